#include "daemon/store/copies.hpp"

#include "daemon/store/sqlite.hpp"

namespace strongroom::store {
namespace {

constexpr const char* kColumns =
    "record_id, number, holder, purpose, issued_at, fingerprint, state, closed_at, closed_by, "
    "release_id";

CopyRow read_row(const Statement& s) {
    CopyRow c;
    c.record_id = s.column_int(0);
    c.number = s.column_int(1);
    c.holder = s.column_int(2);
    c.purpose = s.column_text(3);
    c.issued_at = s.column_int(4);
    c.fingerprint = static_cast<std::uint64_t>(s.column_int(5));
    c.state = s.column_text(6);
    c.closed_at = s.column_optional_int(7);
    c.closed_by = s.column_optional_int(8);
    c.release_id = s.column_optional_int(9);
    return c;
}

std::string select(const char* where) {
    return std::string("SELECT ") + kColumns + " FROM copies " + where;
}

}  // namespace

std::int64_t CopyRepository::next_number(std::int64_t record_id) {
    auto s = conn_.cached("SELECT coalesce(max(number), 0) + 1 FROM copies WHERE record_id = ?1");
    s->bind(1, record_id);
    s->step();
    return s->column_int(0);
}

std::int64_t CopyRepository::outstanding(std::int64_t record_id) {
    auto s =
        conn_.cached("SELECT count(*) FROM copies WHERE record_id = ?1 AND state = 'outstanding'");
    s->bind(1, record_id);
    s->step();
    return s->column_int(0);
}

bool CopyRepository::fingerprint_taken(std::uint64_t fingerprint) {
    auto s = conn_.cached("SELECT 1 FROM copies WHERE fingerprint = ?1");
    s->bind(1, static_cast<std::int64_t>(fingerprint));
    return s->step();
}

void CopyRepository::insert(const CopyRow& c) {
    auto s = conn_.cached(
        "INSERT INTO copies (record_id, number, holder, purpose, issued_at, fingerprint, state, "
        "release_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    s->bind(1, c.record_id)
        .bind(2, c.number)
        .bind(3, c.holder)
        .bind(4, c.purpose)
        .bind(5, c.issued_at)
        .bind(6, static_cast<std::int64_t>(c.fingerprint))
        .bind(7, c.state)
        .bind(8, c.release_id);
    s->run();
}

std::optional<CopyRow> CopyRepository::find(std::int64_t record_id, std::int64_t number) {
    static const std::string sql = select("WHERE record_id = ?1 AND number = ?2");
    auto s = conn_.cached(sql.c_str());
    s->bind(1, record_id).bind(2, number);
    if (!s->step()) {
        return std::nullopt;
    }
    return read_row(*s);
}

std::optional<CopyRow> CopyRepository::find_by_fingerprint(std::uint64_t fingerprint) {
    static const std::string sql = select("WHERE fingerprint = ?1");
    auto s = conn_.cached(sql.c_str());
    s->bind(1, static_cast<std::int64_t>(fingerprint));
    if (!s->step()) {
        return std::nullopt;
    }
    return read_row(*s);
}

bool CopyRepository::close(std::int64_t record_id, std::int64_t number, const std::string& state,
                           Micros at, std::int64_t by) {
    auto s = conn_.cached(
        "UPDATE copies SET state = ?3, closed_at = ?4, closed_by = ?5 "
        "WHERE record_id = ?1 AND number = ?2 AND state = 'outstanding'");
    s->bind(1, record_id).bind(2, number).bind(3, state).bind(4, at).bind(5, by);
    s->run();
    return conn_.changes() == 1;
}

std::vector<CopyRow> CopyRepository::of_record(std::int64_t record_id) {
    static const std::string sql = select("WHERE record_id = ?1 ORDER BY number");
    auto s = conn_.cached(sql.c_str());
    s->bind(1, record_id);
    std::vector<CopyRow> out;
    while (s->step()) {
        out.push_back(read_row(*s));
    }
    return out;
}

std::vector<CopyRow> CopyRepository::issued_between(Micros since, Micros until) {
    static const std::string sql = select(
        "WHERE issued_at >= ?1 AND issued_at < ?2 ORDER BY holder, issued_at, record_id, "
        "number");
    auto s = conn_.cached(sql.c_str());
    s->bind(1, since).bind(2, until);
    std::vector<CopyRow> out;
    while (s->step()) {
        out.push_back(read_row(*s));
    }
    return out;
}

std::vector<CopyRow> CopyRepository::all_outstanding() {
    static const std::string sql =
        select("WHERE state = 'outstanding' ORDER BY holder, issued_at, record_id, number");
    auto s = conn_.cached(sql.c_str());
    std::vector<CopyRow> out;
    while (s->step()) {
        out.push_back(read_row(*s));
    }
    return out;
}

}  // namespace strongroom::store
