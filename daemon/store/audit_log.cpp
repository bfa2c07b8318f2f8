#include "daemon/store/audit_log.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>
#include <string>
#include <string_view>

#include "daemon/store/sqlite.hpp"

namespace strongroom::store {

const char* to_string(Decision d) noexcept {
    switch (d) {
        case Decision::allow:
            return "allow";
        case Decision::deny:
            return "deny";
        case Decision::error:
            return "error";
    }
    return "error";
}

std::optional<Decision> decision_from_string(std::string_view text) noexcept {
    if (text == "allow") {
        return Decision::allow;
    }
    if (text == "deny") {
        return Decision::deny;
    }
    if (text == "error") {
        return Decision::error;
    }
    return std::nullopt;
}

namespace {

constexpr std::size_t kColumnsPerRow = 11;
constexpr std::size_t kRowsPerStatement = 64;  // 704 parameters, under SQLite's 999

// Statements of 64, 32, ..., 2 and 1 rows: a batch is stored with at most six
// statements beyond its whole 64-row ones (a statement costs about as much as
// five rows, so a row per statement would double the cost of a batch's tail).
//
// OR ROLLBACK: a conflict (a NOT NULL, CHECK or duplicate seq) undoes the
// whole transaction, which is what the writer does anyway when an append
// fails (it rolls the batch back and fails closed). With the default ABORT,
// SQLite keeps a statement journal for every statement that writes more than
// one row, so that it can undo just that statement; SQLCipher encrypts each
// page it copies there, which cost the writer about 0.8 us per audit row.
const char* insert_sql(std::size_t rows) {
    // Built once; the cache of prepared statements is keyed by the address,
    // which stays put.
    static const std::array<std::string, 7> sql = [] {
        std::array<std::string, 7> out;
        for (std::size_t k = 0; k < out.size(); ++k) {
            std::string s =
                "INSERT OR ROLLBACK INTO audit_log (seq, at, account_id, account, uid, pid, "
                "request, object, decision, reason, mac) VALUES ";
            for (std::size_t i = 0; i < (std::size_t{1} << k); ++i) {
                s += i == 0 ? "(?,?,?,?,?,?,?,?,?,?,?)" : ",(?,?,?,?,?,?,?,?,?,?,?)";
            }
            out[k] = std::move(s);
        }
        return out;
    }();
    static_assert(kRowsPerStatement == std::size_t{1} << 6);
    for (std::size_t k = sql.size(); k-- > 0;) {
        if (rows == std::size_t{1} << k) {
            return sql[k].c_str();
        }
    }
    throw std::logic_error("no audit insert statement of that size");
}

void bind_row(Statement& s, int first, const AuditRow& row) {
    const auto& r = row.record;
    s.bind(first, row.seq)
        .bind(first + 1, r.at)
        .bind(first + 2, r.account_id)
        .bind(first + 3, r.account)
        .bind(first + 4, std::int64_t{r.uid})
        .bind(first + 5, std::int64_t{r.pid})
        .bind(first + 6, r.request)
        .bind(first + 7, r.object)
        .bind(first + 8, std::string_view(to_string(r.decision)))
        .bind(first + 9, r.reason)
        .bind_blob(first + 10, row.mac);
}

}  // namespace

void AuditRepository::append(const AuditRow& row) {
    append_many(std::span<const AuditRow>(&row, 1));
}

void AuditRepository::append_many(std::span<const AuditRow> rows) {
    for (std::size_t n = kRowsPerStatement; !rows.empty(); n /= 2) {
        while (rows.size() >= n) {
            auto s = conn_.cached(insert_sql(n));
            for (std::size_t i = 0; i < n; ++i) {
                bind_row(*s, static_cast<int>(i * kColumnsPerRow + 1), rows[i]);
            }
            s->run();
            rows = rows.subspan(n);
        }
    }
}

std::optional<std::pair<std::int64_t, Mac>> AuditRepository::head() {
    static constexpr const char* sql = "SELECT seq, mac FROM audit_log ORDER BY seq DESC LIMIT 1";
    auto s = conn_.cached(sql);
    if (!s->step()) {
        return std::nullopt;
    }
    Mac mac{};
    const auto blob = s->column_blob(1);
    std::copy_n(blob.begin(), std::min(blob.size(), mac.size()), mac.begin());
    return std::make_pair(s->column_int(0), mac);
}

std::int64_t AuditRepository::count() {
    return conn_.query_int("SELECT count(*) FROM audit_log");
}

namespace {

AuditRow read_audit_row(const Statement& s) {
    AuditRow row;
    row.seq = s.column_int(0);
    row.record.at = s.column_int(1);
    row.record.account_id = s.column_optional_int(2);
    row.record.account = s.column_text(3);
    row.record.uid = static_cast<std::uint32_t>(s.column_int(4));
    row.record.pid = static_cast<std::int32_t>(s.column_int(5));
    row.record.request = s.column_text(6);
    row.record.object = s.column_text(7);
    row.record.decision = decision_from_string(s.column_text(8)).value_or(Decision::error);
    row.record.reason = s.column_text(9);
    const auto blob = s.column_blob(10);
    std::copy_n(blob.begin(), std::min(blob.size(), row.mac.size()), row.mac.begin());
    return row;
}

}  // namespace

void AuditRepository::scan(std::int64_t from, const std::function<bool(const AuditRow&)>& visit) {
    static constexpr const char* sql =
        "SELECT seq, at, account_id, account, uid, pid, request, object, decision, reason, mac "
        "FROM audit_log WHERE seq >= ?1 ORDER BY seq";
    auto s = conn_.cached(sql);
    s->bind(1, from);
    while (s->step()) {
        if (!visit(read_audit_row(*s))) {
            break;
        }
    }
}

void AuditRepository::scan_range(std::int64_t from, std::int64_t to,
                                 const std::function<bool(const AuditRow&)>& visit) {
    static constexpr const char* sql =
        "SELECT seq, at, account_id, account, uid, pid, request, object, decision, reason, mac "
        "FROM audit_log WHERE seq >= ?1 AND seq < ?2 ORDER BY seq";
    auto s = conn_.cached(sql);
    s->bind(1, from).bind(2, to);
    while (s->step()) {
        if (!visit(read_audit_row(*s))) {
            break;
        }
    }
}

std::optional<Mac> AuditRepository::mac_of(std::int64_t seq) {
    auto s = conn_.cached("SELECT mac FROM audit_log WHERE seq = ?1");
    s->bind(1, seq);
    if (!s->step()) {
        return std::nullopt;
    }
    Mac mac{};
    const auto blob = s->column_blob(0);
    std::copy_n(blob.begin(), std::min(blob.size(), mac.size()), mac.begin());
    return mac;
}

std::vector<AuditRow> AuditRepository::reads(const AuditFilter& f) {
    static constexpr const char* sql =
        "SELECT seq, at, account_id, account, uid, pid, request, object, decision, reason, mac "
        "FROM audit_log WHERE seq > ?1 AND (?2 IS NULL OR at >= ?2) AND (?3 IS NULL OR at < ?3) "
        "AND (?4 IS NULL OR account = ?4) AND request IN ('show', 'get', 'release.issue') "
        "AND (?5 IS NULL OR decision = ?5) ORDER BY seq LIMIT ?6";
    auto s = conn_.cached(sql);
    s->bind(1, f.after).bind(2, f.since).bind(3, f.until);
    if (f.account) {
        s->bind(4, std::string_view(*f.account));
    } else {
        s->bind_null(4);
    }
    if (f.decision) {
        s->bind(5, std::string_view(*f.decision));
    } else {
        s->bind_null(5);
    }
    s->bind(6, static_cast<std::int64_t>(f.limit));
    std::vector<AuditRow> out;
    while (s->step()) {
        out.push_back(read_audit_row(*s));
    }
    return out;
}

std::vector<AuditRow> AuditRepository::search(const AuditFilter& f) {
    static constexpr const char* sql =
        "SELECT seq, at, account_id, account, uid, pid, request, object, decision, reason, mac "
        "FROM audit_log WHERE seq > ?1 AND (?2 IS NULL OR at >= ?2) AND (?3 IS NULL OR at < ?3) "
        "AND (?4 IS NULL OR account = ?4) AND (?5 IS NULL OR request = ?5) "
        "AND (?6 IS NULL OR decision = ?6) AND (?7 IS NULL OR object = ?7 "
        "OR object LIKE ?7 || ' %' OR object LIKE '% ' || ?7 OR object LIKE '% ' || ?7 || ' %') "
        "ORDER BY seq LIMIT ?8";
    auto s = conn_.cached(sql);
    s->bind(1, f.after).bind(2, f.since).bind(3, f.until);
    auto text = [&s](int i, const std::optional<std::string>& v) {
        if (v) {
            s->bind(i, std::string_view(*v));
        } else {
            s->bind_null(i);
        }
    };
    text(4, f.account);
    text(5, f.request);
    text(6, f.decision);
    text(7, f.object);
    s->bind(8, static_cast<std::int64_t>(f.limit));
    std::vector<AuditRow> out;
    while (s->step()) {
        out.push_back(read_audit_row(*s));
    }
    return out;
}

}  // namespace strongroom::store
