#include "daemon/store/register.hpp"

#include <algorithm>
#include <array>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <sqlite3.h>

#include "daemon/store/records.hpp"
#include "daemon/store/sqlite.hpp"
#include "daemon/store/stored.hpp"

namespace strongroom::store {
static_assert(kNotADatabase == SQLITE_NOTADB);
namespace {

constexpr std::array<std::string_view, 23> kRegisterTables{
    "accounts",       "compartments",      "posts",       "assignments",  "grants",
    "matrix_changes", "pending",           "batches",     "records",      "record_compartments",
    "lost_records",   "batch_records",     "holds",       "hold_records", "closures",
    "releases",       "lost_releases",     "copies",      "lost_copies",  "delegations",
    "disseminations", "registry_sequence", "retired_keys"};

constexpr std::array<std::string_view, 14> kReservedTables{
    "accounts", "compartments", "posts",          "assignments", "matrix_changes",
    "pending",  "records",      "disseminations", "delegations", "releases",
    "reviews",  "holds",        "batches",        "closures"};

constexpr const char* kDisposed = "state IN ('destroyed', 'transferred')";

// A one-off statement (the SQL is built here, so not from the cache).
class Prepared {
public:
    Prepared(Connection& conn, const std::string& sql) : db_(conn.handle()) {
        if (const int rc = sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt_, nullptr);
            rc != SQLITE_OK) {
            throw_sqlite(db_, rc, sql);
        }
    }
    ~Prepared() { sqlite3_finalize(stmt_); }
    Prepared(const Prepared&) = delete;
    Prepared& operator=(const Prepared&) = delete;

    void bind(int i, const Value& v) {
        if (const auto* n = std::get_if<std::int64_t>(&v)) {
            sqlite3_bind_int64(stmt_, i, *n);
        } else if (const auto* d = std::get_if<double>(&v)) {
            sqlite3_bind_double(stmt_, i, *d);
        } else if (const auto* t = std::get_if<std::string>(&v)) {
            sqlite3_bind_text(stmt_, i, t->data(), static_cast<int>(t->size()), SQLITE_TRANSIENT);
        } else if (const auto* b = std::get_if<std::vector<std::uint8_t>>(&v)) {
            sqlite3_bind_blob(stmt_, i, b->data(), static_cast<int>(b->size()), SQLITE_TRANSIENT);
        } else {
            sqlite3_bind_null(stmt_, i);
        }
    }
    bool step() {
        const int rc = sqlite3_step(stmt_);
        if (rc == SQLITE_ROW) {
            return true;
        }
        if (rc != SQLITE_DONE) {
            throw_sqlite(db_, rc, sqlite3_sql(stmt_));
        }
        return false;
    }
    void reset() {
        sqlite3_reset(stmt_);
        sqlite3_clear_bindings(stmt_);
    }
    int columns() const { return sqlite3_column_count(stmt_); }
    std::string name(int i) const { return sqlite3_column_name(stmt_, i); }
    Value value(int i) const {
        switch (sqlite3_column_type(stmt_, i)) {
            case SQLITE_INTEGER:
                return std::int64_t{sqlite3_column_int64(stmt_, i)};
            case SQLITE_FLOAT:
                return sqlite3_column_double(stmt_, i);
            case SQLITE_TEXT:
                return std::string(reinterpret_cast<const char*>(sqlite3_column_text(stmt_, i)),
                                   static_cast<std::size_t>(sqlite3_column_bytes(stmt_, i)));
            case SQLITE_BLOB: {
                const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt_, i));
                return std::vector<std::uint8_t>(
                    p, p + static_cast<std::size_t>(sqlite3_column_bytes(stmt_, i)));
            }
            default:
                return std::monostate{};
        }
    }
    std::int64_t integer(int i) const { return sqlite3_column_int64(stmt_, i); }

private:
    sqlite3* db_;
    sqlite3_stmt* stmt_ = nullptr;
};

TableRows select_rows(Connection& conn, std::string_view table, std::string_view where) {
    Prepared s(conn, fmt::format("SELECT * FROM \"{}\"{}{}", table, where.empty() ? "" : " WHERE ",
                                 where));
    TableRows out;
    out.table = std::string(table);
    for (int i = 0; i < s.columns(); ++i) {
        out.columns.push_back(s.name(i));
    }
    while (s.step()) {
        std::vector<Value> row;
        row.reserve(out.columns.size());
        for (int i = 0; i < s.columns(); ++i) {
            row.push_back(s.value(i));
        }
        out.rows.push_back(std::move(row));
    }
    return out;
}

std::string show(const Value& v) {
    if (const auto* n = std::get_if<std::int64_t>(&v)) {
        return std::to_string(*n);
    }
    if (const auto* t = std::get_if<std::string>(&v)) {
        return *t;
    }
    return std::holds_alternative<std::monostate>(v) ? "none" : "?";
}

std::int64_t as_int(const Value& v) {
    const auto* n = std::get_if<std::int64_t>(&v);
    return n != nullptr ? *n : 0;
}

bool is_null(const Value& v) {
    return std::holds_alternative<std::monostate>(v);
}

// One source table being carried into the target: its rows by column name,
// and statements on the target built once.
class Carrier {
public:
    // into: the target's table, when not the source's (a lost_ twin).
    Carrier(Connection& conn, const TableRows& rows, std::vector<std::string> key,
            std::string into = {})
        : conn_(conn),
          rows_(rows),
          table_(into.empty() ? rows.table : std::move(into)),
          key_(std::move(key)) {
        Prepared info(conn, fmt::format("PRAGMA table_info(\"{}\")", table_));
        std::set<std::string> target;
        while (info.step()) {
            target.insert(std::get<std::string>(info.value(1)));
        }
        for (const auto& c : rows.columns) {
            if (target.count(c) == 0) {
                throw RegisterConflict(fmt::format(
                    "the register names a column {}.{} this strongroomd does not have: it was "
                    "written by a newer strongroomd; restore with that version",
                    table_, c));
            }
        }
    }

    std::size_t col(std::string_view name) const {
        const auto it = std::find(rows_.columns.begin(), rows_.columns.end(), name);
        if (it == rows_.columns.end()) {
            throw RegisterConflict(
                fmt::format("the register's {} rows lack their {} column", rows_.table, name));
        }
        return static_cast<std::size_t>(it - rows_.columns.begin());
    }
    const Value& get(const std::vector<Value>& row, std::string_view name) const {
        return row[col(name)];
    }

    // The target's row with the same key, as columns of the source.
    std::optional<std::vector<Value>> target_row(const std::vector<Value>& row) {
        if (!find_) {
            std::string cols;
            for (const auto& c : rows_.columns) {
                cols += fmt::format("{}\"{}\"", cols.empty() ? "" : ", ", c);
            }
            find_.emplace(conn_, fmt::format("SELECT {} FROM \"{}\" WHERE {}", cols, table_,
                                             key_condition(1)));
        }
        find_->reset();
        bind_key(*find_, row, 1);
        if (!find_->step()) {
            return std::nullopt;
        }
        std::vector<Value> out;
        for (int i = 0; i < find_->columns(); ++i) {
            out.push_back(find_->value(i));
        }
        return out;
    }

    void insert(const std::vector<Value>& row) {
        if (!insert_) {
            std::string cols;
            std::string marks;
            for (std::size_t i = 0; i < rows_.columns.size(); ++i) {
                cols += fmt::format("{}\"{}\"", i == 0 ? "" : ", ", rows_.columns[i]);
                marks += fmt::format("{}?{}", i == 0 ? "" : ", ", i + 1);
            }
            insert_.emplace(
                conn_, fmt::format("INSERT INTO \"{}\" ({}) VALUES ({})", table_, cols, marks));
        }
        insert_->reset();
        for (std::size_t i = 0; i < row.size(); ++i) {
            insert_->bind(static_cast<int>(i) + 1, row[i]);
        }
        run(*insert_, row, "added");
    }

    // Every column but the key, from the source row.
    void update(const std::vector<Value>& row) {
        if (!update_) {
            std::string sets;
            for (std::size_t i = 0; i < rows_.columns.size(); ++i) {
                sets += fmt::format("{}\"{}\" = ?{}", i == 0 ? "" : ", ", rows_.columns[i], i + 1);
            }
            update_.emplace(conn_,
                            fmt::format("UPDATE \"{}\" SET {} WHERE {}", table_, sets,
                                        key_condition(static_cast<int>(rows_.columns.size()) + 1)));
        }
        update_->reset();
        for (std::size_t i = 0; i < row.size(); ++i) {
            update_->bind(static_cast<int>(i) + 1, row[i]);
        }
        bind_key(*update_, row, static_cast<int>(rows_.columns.size()) + 1);
        run(*update_, row, "brought up to date");
    }

    // The id of a target row other than this one whose column has this value.
    std::optional<std::int64_t> other_with(std::string_view column, const Value& v,
                                           std::int64_t id) {
        Prepared s(conn_, fmt::format("SELECT id FROM \"{}\" WHERE \"{}\" = ?1 AND id != ?2",
                                      table_, column));
        s.bind(1, v);
        s.bind(2, Value{id});
        if (!s.step()) {
            return std::nullopt;
        }
        return s.integer(0);
    }

    std::string describe(const std::vector<Value>& row) const {
        std::string out = table_;
        for (const auto& k : key_) {
            out += " " + show(get(row, k));
        }
        return out;
    }

private:
    std::string key_condition(int first) const {
        std::string out;
        for (std::size_t i = 0; i < key_.size(); ++i) {
            out += fmt::format("{}\"{}\" = ?{}", i == 0 ? "" : " AND ", key_[i],
                               first + static_cast<int>(i));
        }
        return out;
    }
    void bind_key(Prepared& s, const std::vector<Value>& row, int first) const {
        for (std::size_t i = 0; i < key_.size(); ++i) {
            s.bind(first + static_cast<int>(i), get(row, key_[i]));
        }
    }
    void run(Prepared& s, const std::vector<Value>& row, std::string_view what) {
        try {
            s.step();
        } catch (const StoreError& e) {
            throw RegisterConflict(fmt::format("{} of the register cannot be {} in the backup: {}",
                                               describe(row), what, e.what()));
        }
    }

    Connection& conn_;
    const TableRows& rows_;
    std::string table_;
    std::vector<std::string> key_;
    std::optional<Prepared> find_;
    std::optional<Prepared> insert_;
    std::optional<Prepared> update_;
};

bool exists(Connection& conn, std::string_view table, std::int64_t id) {
    Prepared s(conn, fmt::format("SELECT 1 FROM \"{}\" WHERE id = ?1", table));
    s.bind(1, Value{id});
    return s.step();
}

int batch_rank(const Value& state) {
    const auto s = show(state);
    return s == "executed" || s == "confirmed" ? 2 : s == "approved" ? 1 : 0;
}

int release_rank(const Value& state) {
    const auto s = show(state);
    return s == "issued" ? 2 : s == "approved" ? 1 : 0;
}

const TableRows* table_of(const Register& r, std::string_view name) {
    for (const auto& t : r.tables) {
        if (t.table == name) {
            return &t;
        }
    }
    return nullptr;
}

// Accounts, compartments and posts: the same id is the same thing (they are
// never removed or renamed), and a new one must not take a name, uid or
// authority the backup gives another.
void carry_named(Connection& conn, const TableRows& rows, std::vector<std::string> unique,
                 CarryReport& report) {
    Carrier c(conn, rows, {"id"});
    for (const auto& row : rows.rows) {
        const auto id = as_int(c.get(row, "id"));
        if (const auto t = c.target_row(row)) {
            for (const auto& u : unique) {
                if (u != "authority" && (*t)[c.col(u)] != c.get(row, u)) {
                    throw RegisterConflict(fmt::format(
                        "{} has {} {} in the register but {} in the backup: the backup is not "
                        "of this strongroom's history",
                        c.describe(row), u, show(c.get(row, u)), show((*t)[c.col(u)])));
                }
            }
            continue;
        }
        for (const auto& u : unique) {
            const auto& v = c.get(row, u);
            if (u == "authority" && show(v).empty()) {
                continue;
            }
            if (const auto other = c.other_with(u, v, id)) {
                throw RegisterConflict(fmt::format(
                    "{} ({} {}) of the register cannot be added: the backup gives that {} to "
                    "{} {}: the backup is not of this strongroom's history",
                    c.describe(row), u, show(v), u, rows.table, *other));
            }
        }
        c.insert(row);
        ++report.added;
    }
}

// The rows of a history table (matrix changes, delegations,
// disseminations) the target lacks, added when what they name is there: a
// delegation or dissemination of a record the backup lacks and that was not
// disposed of goes with that record (its id stays reserved).
void carry_history(Connection& conn, const TableRows& rows, CarryReport& report) {
    Carrier c(conn, rows, {"id"});
    const bool of_record =
        std::find(rows.columns.begin(), rows.columns.end(), "record_id") != rows.columns.end();
    for (const auto& row : rows.rows) {
        if (const auto have = c.target_row(row)) {
            // A delegation revoked since stays revoked.
            if (rows.table == "delegations" && is_null((*have)[c.col("revoked_at")]) &&
                !is_null(c.get(row, "revoked_at"))) {
                c.update(row);
                ++report.access;
            }
            continue;
        }
        if (of_record) {
            const auto& record = c.get(row, "record_id");
            if (!is_null(record) && !exists(conn, "records", as_int(record))) {
                continue;
            }
        }
        if (rows.table == "disseminations") {
            // The same fact under another id (not of this history): kept once.
            Prepared s(conn,
                       "SELECT 1 FROM disseminations WHERE recipient = ?1 AND record_id = ?2 AND "
                       "authority = ?3");
            s.bind(1, c.get(row, "recipient"));
            s.bind(2, c.get(row, "record_id"));
            s.bind(3, c.get(row, "authority"));
            if (s.step()) {
                continue;
            }
        }
        c.insert(row);
        ++report.added;
    }
}

// The target's row made the source's: updated if it differs, added if absent.
void mirror_row(Carrier& c, const std::vector<Value>& row, CarryReport& report) {
    if (const auto have = c.target_row(row)) {
        if (*have != row) {
            c.update(row);
            ++report.access;
        }
        return;
    }
    c.insert(row);
    ++report.added;
}

// Posts as the source has them. An authority moved from one post to
// another is cleared first, so that no two posts hold it on the way.
void carry_posts(Connection& conn, const TableRows& t, CarryReport& report) {
    Carrier c(conn, t, {"id"});
    std::vector<const std::vector<Value>*> changed;
    for (const auto& row : t.rows) {
        if (const auto have = c.target_row(row); have && *have != row) {
            changed.push_back(&row);
            if ((*have)[c.col("authority")] != c.get(row, "authority")) {
                auto cleared = *have;
                cleared[c.col("authority")] = std::string();
                c.update(cleared);
            }
        }
    }
    for (const auto* row : changed) {
        c.update(*row);
        ++report.access;
    }
}

// The access matrix exactly as the source has it: grants added or changed,
// and those the source lacks withdrawn.
void carry_grants(Connection& conn, const Register& source, CarryReport& report) {
    const auto* grants = table_of(source, "grants");
    std::set<std::pair<std::int64_t, std::int64_t>> granted;
    if (grants != nullptr) {
        Carrier c(conn, *grants, {"post_id", "compartment_id"});
        for (const auto& row : grants->rows) {
            granted.emplace(as_int(c.get(row, "post_id")), as_int(c.get(row, "compartment_id")));
            mirror_row(c, row, report);
        }
    }
    {
        std::vector<std::pair<std::int64_t, std::int64_t>> withdrawn;
        Prepared s(conn, "SELECT post_id, compartment_id FROM grants");
        while (s.step()) {
            std::pair<std::int64_t, std::int64_t> key{s.integer(0), s.integer(1)};
            if (granted.count(key) == 0) {
                withdrawn.push_back(key);
            }
        }
        for (const auto& [post, compartment] : withdrawn) {
            Prepared d(conn, "DELETE FROM grants WHERE post_id = ?1 AND compartment_id = ?2");
            d.bind(1, Value{post});
            d.bind(2, Value{compartment});
            d.step();
            ++report.access;
        }
    }
}

// Who may do and read what, as the source has it (issue 13): a restore
// brings back content and the register, never the access of the past. An
// account suspended, an assignment ended, a grant withdrawn or lowered, a
// post's level lowered or a change decided since the backup stays so; an
// account, assignment or grant given since (under the two-person rule) is
// kept. Order matters for the separation-of-duties triggers: assignments
// are closed before roles are brought up to date, and opened after.
void carry_access(Connection& conn, const Register& source, CarryReport& report) {
    const auto* assignments = table_of(source, "assignments");
    std::vector<const std::vector<Value>*> opened;
    if (assignments != nullptr) {
        Carrier c(conn, *assignments, {"id"});
        for (const auto& row : assignments->rows) {
            if (const auto have = c.target_row(row)) {
                if (*have != row) {
                    c.update(row);
                    ++report.access;
                }
            } else {
                opened.push_back(&row);
            }
        }
    }
    if (const auto* t = table_of(source, "accounts")) {
        Carrier c(conn, *t, {"id"});
        for (const auto& row : t->rows) {
            if (const auto have = c.target_row(row); have && *have != row) {
                c.update(row);
                ++report.access;
            }
        }
    }
    if (const auto* t = table_of(source, "posts")) {
        carry_posts(conn, *t, report);
    }
    if (assignments != nullptr) {
        Carrier c(conn, *assignments, {"id"});
        for (const auto* row : opened) {
            c.insert(*row);
            ++report.added;
        }
    }
    carry_grants(conn, source, report);
    // Changes waiting for a second person: one decided since is not pending
    // again (it cannot be approved twice, nor a withdrawn one approved).
    if (const auto* t = table_of(source, "pending")) {
        Carrier c(conn, *t, {"id"});
        for (const auto& row : t->rows) {
            mirror_row(c, row, report);
        }
    }
}

// True when the source is at least as recent as the target: its audit trail
// reaches as far (a key-store backup older than the backup restored is not).
bool source_is_newer(Connection& conn, const Register& source) {
    const auto target = AuditRepository(conn).head();
    if (!target) {
        return true;
    }
    return source.audit_head && source.audit_head->first >= target->first;
}

// A record's releases and copies: a row whose record the target holds goes
// in releases or copies, one whose record it lacks (the record is lost) in
// lost_releases or lost_copies, to come back with the record on a later
// restore of a backup that holds it: its copies stay accounted for and
// their numbers are never handed out again.
void carry_releases(Connection& conn, const Register& source, CarryReport& report) {
    if (const auto* t = table_of(source, "releases")) {
        Carrier c(conn, *t, {"id"});
        Carrier lost(conn, *t, {"id"}, "lost_releases");
        for (const auto& row : t->rows) {
            if (const auto have = c.target_row(row)) {
                if (release_rank(c.get(row, "state")) > release_rank((*have)[c.col("state")])) {
                    c.update(row);
                    ++report.updated;
                }
                continue;
            }
            if (exists(conn, "records", as_int(c.get(row, "record_id")))) {
                c.insert(row);
                ++report.added;
            } else if (!lost.target_row(row)) {
                lost.insert(row);
                ++report.added;
            }
        }
    }
    if (const auto* t = table_of(source, "lost_releases")) {
        Carrier lost(conn, *t, {"id"});
        Carrier back(conn, *t, {"id"}, "releases");
        for (const auto& row : t->rows) {
            if (exists(conn, "records", as_int(lost.get(row, "record_id")))) {
                if (!back.target_row(row)) {
                    back.insert(row);
                    ++report.added;
                }
            } else if (!lost.target_row(row)) {
                lost.insert(row);
                ++report.added;
            }
        }
    }
}

void carry_copies(Connection& conn, const Register& source, CarryReport& report) {
    const auto release_known = [&conn](const Value& release) {
        return is_null(release) || exists(conn, "releases", as_int(release));
    };
    // A copy returned or destroyed since the backup is not outstanding again,
    // whether its record was kept or lost in between.
    const auto close_if_closed = [&report](Carrier& c, const std::vector<Value>& have,
                                           const std::vector<Value>& row) {
        if (show(have[c.col("state")]) == "outstanding" &&
            show(c.get(row, "state")) != "outstanding") {
            c.update(row);
            ++report.updated;
        }
    };
    if (const auto* t = table_of(source, "copies")) {
        Carrier c(conn, *t, {"record_id", "number"});
        Carrier lost(conn, *t, {"record_id", "number"}, "lost_copies");
        for (const auto& row : t->rows) {
            if (const auto have = c.target_row(row)) {
                close_if_closed(c, *have, row);
                continue;
            }
            if (exists(conn, "records", as_int(c.get(row, "record_id")))) {
                if (release_known(c.get(row, "release_id"))) {
                    c.insert(row);
                    ++report.added;
                }
            } else if (!lost.target_row(row)) {
                lost.insert(row);
                ++report.added;
            }
        }
    }
    if (const auto* t = table_of(source, "lost_copies")) {
        Carrier lost(conn, *t, {"record_id", "number"});
        Carrier back(conn, *t, {"record_id", "number"}, "copies");
        for (const auto& row : t->rows) {
            if (exists(conn, "records", as_int(lost.get(row, "record_id")))) {
                if (const auto have = back.target_row(row)) {
                    close_if_closed(back, *have, row);
                } else if (release_known(lost.get(row, "release_id"))) {
                    back.insert(row);
                    ++report.added;
                }
            } else if (!lost.target_row(row)) {
                lost.insert(row);
                ++report.added;
            }
        }
    }
}

}  // namespace

std::span<const std::string_view> register_tables() {
    return kRegisterTables;
}

std::span<const std::string_view> reserved_tables() {
    return kReservedTables;
}

std::string next_id_sql(std::string_view table) {
    // (SELECT max(id) FROM t) alone, so that SQLite reads the last row of the
    // table's b-tree instead of scanning it (its min/max optimisation).
    return fmt::format(
        "(max(coalesce((SELECT max(id) FROM {}), 0), coalesce((SELECT CAST(value AS INTEGER) "
        "FROM meta WHERE key = 'reserved.{}'), 0)) + 1)",
        table, table);
}

bool table_exists(Connection& conn, std::string_view table) {
    Prepared s(conn, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1");
    s.bind(1, Value{std::string(table)});
    return s.step();
}

Register read_register(Connection& conn) {
    Register r;
    for (const auto table : kRegisterTables) {
        // A table a later migration adds (an older database, read before it
        // is migrated) has nothing to carry.
        if (!table_exists(conn, table)) {
            continue;
        }
        std::string where;
        if (table == "records") {
            where = std::string(kDisposed) + " ORDER BY id";
        } else if (table == "record_compartments") {
            where = fmt::format("record_id IN (SELECT id FROM records WHERE {})", kDisposed);
        } else if (table == "copies") {
            where = "1 ORDER BY record_id, number";
        } else if (table == "lost_copies") {
            where = "record_id NOT IN (SELECT id FROM records) ORDER BY record_id, number";
        } else if (table == "lost_releases") {
            where = "record_id NOT IN (SELECT id FROM records) ORDER BY id";
        } else if (table == "registry_sequence") {
            where = "1 ORDER BY year";
        } else if (table == "retired_keys") {
            where = "1 ORDER BY epoch";
        } else if (table == "grants") {
            where = "1 ORDER BY post_id, compartment_id";
        } else if (table == "lost_records") {
            where = "id NOT IN (SELECT id FROM records) ORDER BY id";
        } else if (table != "batch_records" && table != "hold_records") {
            where = "1 ORDER BY id";
        }
        auto rows = select_rows(conn, table, where);
        if (!rows.rows.empty()) {
            r.tables.push_back(std::move(rows));
        }
    }
    for (const auto table : kReservedTables) {
        Prepared s(conn,
                   fmt::format("SELECT max(coalesce((SELECT max(id) FROM {}), 0), coalesce((SELECT "
                               "CAST(value AS INTEGER) FROM meta WHERE key = 'reserved.{}'), 0))",
                               table, table));
        s.step();
        if (const auto n = s.integer(0); n > 0) {
            r.reserved[std::string(table)] = n;
        }
    }
    {
        auto s = conn.cached("SELECT id FROM records WHERE state = 'held' ORDER BY id");
        while (s->step()) {
            r.held.push_back(s->column_int(0));
        }
    }
    r.audit_head = AuditRepository(conn).head();
    return r;
}

namespace {

// Rows of a table keyed by `key`: one the target lacks is added; one it has
// is brought up to the source's when `ahead` (source row, target row) says
// the source's is further along (a batch executed, a closure completed).
template <typename Ahead>
void carry_ranked(Connection& conn, const TableRows& t, std::vector<std::string> key,
                  CarryReport& report, Ahead&& ahead) {
    Carrier c(conn, t, std::move(key));
    for (const auto& row : t.rows) {
        if (const auto have = c.target_row(row)) {
            if (ahead(c, row, *have)) {
                c.update(row);
                ++report.updated;
            }
            continue;
        }
        c.insert(row);
        ++report.added;
    }
}

// Rows about a record (keyed by `key`), added when the target lacks them
// and holds the record: one whose record the backup lacks and that was not
// disposed of is not in the register any more (its id stays reserved).
void carry_of_records(Connection& conn, const Register& source, std::string_view table,
                      std::vector<std::string> key, CarryReport& report) {
    if (const auto* t = table_of(source, table)) {
        Carrier c(conn, *t, std::move(key));
        for (const auto& row : t->rows) {
            if (!c.target_row(row) && exists(conn, "records", as_int(c.get(row, "record_id")))) {
                c.insert(row);
                ++report.added;
            }
        }
    }
}

void carry_batches(Connection& conn, const TableRows& t, CarryReport& report) {
    carry_ranked(
        conn, t, {"id"}, report,
        [](const Carrier& c, const std::vector<Value>& row, const std::vector<Value>& have) {
            if (have[c.col("kind")] != c.get(row, "kind")) {
                throw RegisterConflict(fmt::format(
                    "{} is a {} batch in the register but a {} batch in the backup: the "
                    "backup is not of this strongroom's history",
                    c.describe(row), show(c.get(row, "kind")), show(have[c.col("kind")])));
            }
            return batch_rank(c.get(row, "state")) > batch_rank(have[c.col("state")]);
        });
}

// The register's records: one the target holds that the register says was
// disposed of is disposed of again; one it lacks goes in as its register
// entry without content (refused if its registry number is another
// record's), and one still lost stays lost.
void carry_records(Connection& conn, const Register& source, CarryReport& report) {
    RecordRepository records(conn);
    if (const auto* t = table_of(source, "records")) {
        Carrier c(conn, *t, {"id"});
        for (const auto& row : t->rows) {
            const auto id = as_int(c.get(row, "id"));
            const auto state = show(c.get(row, "state"));
            if (const auto have = records.find(id)) {
                if (have->state == RecordState::held) {
                    std::optional<std::int64_t> batch;
                    if (const auto& b = c.get(row, "disposal_batch");
                        !is_null(b) && exists(conn, "batches", as_int(b))) {
                        batch = as_int(b);
                    }
                    records.dispose(id, stored_record_state(state), batch,
                                    as_int(c.get(row, "disposed_at")));
                    ++report.replayed;
                }
                continue;
            }
            if (const auto other =
                    c.other_with("registry_number", c.get(row, "registry_number"), id)) {
                throw RegisterConflict(fmt::format(
                    "record {} ({}, {}) cannot be kept in the register: the backup gives its "
                    "registry number to record {}",
                    id, show(c.get(row, "registry_number")), state, *other));
            }
            c.insert(row);
            ++report.stubs;
        }
    }
    carry_of_records(conn, source, "record_compartments", {"record_id", "compartment_id"}, report);
    if (const auto* t = table_of(source, "lost_records")) {
        // Lost still: a record the backup holds is back.
        Carrier c(conn, *t, {"id"});
        for (const auto& row : t->rows) {
            if (!c.target_row(row) && !exists(conn, "records", as_int(c.get(row, "id")))) {
                c.insert(row);
                ++report.added;
            }
        }
    }
    carry_of_records(conn, source, "batch_records", {"batch_id", "record_id"}, report);
}

// Legal holds: one released since stays released; one in force may not
// take the name of another the backup has in force.
void carry_holds(Connection& conn, const Register& source, CarryReport& report) {
    if (const auto* t = table_of(source, "holds")) {
        Carrier c(conn, *t, {"id"});
        for (const auto& row : t->rows) {
            if (const auto have = c.target_row(row)) {
                if (is_null((*have)[c.col("released_at")]) && !is_null(c.get(row, "released_at"))) {
                    c.update(row);
                    ++report.updated;
                }
                continue;
            }
            if (is_null(c.get(row, "released_at"))) {
                Prepared s(conn, "SELECT id FROM holds WHERE name = ?1 AND released_at IS NULL");
                s.bind(1, c.get(row, "name"));
                if (s.step()) {
                    throw RegisterConflict(fmt::format(
                        "legal hold {} ({}) of the register cannot be added: the backup has "
                        "another hold {} in force under that name",
                        as_int(c.get(row, "id")), show(c.get(row, "name")), s.integer(0)));
                }
            }
            c.insert(row);
            ++report.added;
        }
    }
    carry_of_records(conn, source, "hold_records", {"record_id", "hold_id"}, report);
}

// The highest id of each kind the register knows, so that none is handed
// out again.
void carry_reserved(Connection& conn, const Register& source) {
    for (const auto& [table, id] : source.reserved) {
        if (std::find(kReservedTables.begin(), kReservedTables.end(), table) ==
            kReservedTables.end()) {
            throw RegisterConflict(fmt::format(
                "the register reserves ids of a table {} this strongroomd does not have: it was "
                "written by a newer strongroomd; restore with that version",
                table));
        }
        reserve_ids(conn, table, id);
    }
}

}  // namespace

CarryReport carry_register(Connection& conn, const Register& source) {
    CarryReport report;
    HoldTriggersAside triggers(conn);

    if (const auto* t = table_of(source, "accounts")) {
        carry_named(conn, *t, {"name", "uid"}, report);
    }
    if (const auto* t = table_of(source, "compartments")) {
        carry_named(conn, *t, {"name"}, report);
    }
    if (const auto* t = table_of(source, "posts")) {
        carry_named(conn, *t, {"name", "authority"}, report);
    }
    if (source_is_newer(conn, source)) {
        carry_access(conn, source, report);
    }
    if (const auto* t = table_of(source, "matrix_changes")) {
        carry_history(conn, *t, report);
    }
    if (const auto* t = table_of(source, "batches")) {
        carry_batches(conn, *t, report);
    }
    carry_records(conn, source, report);
    carry_holds(conn, source, report);
    if (const auto* t = table_of(source, "closures")) {
        const auto rank = [](const Carrier& c, const std::vector<Value>& row) {
            return !is_null(row[c.col("completed_at")])  ? 2
                   : !is_null(row[c.col("approved_at")]) ? 1
                                                         : 0;
        };
        carry_ranked(conn, *t, {"id"}, report,
                     [&rank](const Carrier& c, const auto& row, const auto& have) {
                         return rank(c, row) > rank(c, have);
                     });
    }
    carry_releases(conn, source, report);
    carry_copies(conn, source, report);
    for (const auto* name : {"delegations", "disseminations"}) {
        if (const auto* t = table_of(source, name)) {
            carry_history(conn, *t, report);
        }
    }
    if (const auto* t = table_of(source, "registry_sequence")) {
        carry_ranked(conn, *t, {"year"}, report,
                     [](const Carrier& c, const auto& row, const auto& have) {
                         return as_int(c.get(row, "last")) > as_int(have[c.col("last")]);
                     });
    }
    if (const auto* t = table_of(source, "retired_keys")) {
        carry_ranked(conn, *t, {"epoch"}, report,
                     [](const Carrier&, const auto&, const auto&) { return false; });
    }
    carry_reserved(conn, source);
    RecordRepository records(conn);
    for (const auto id : source.held) {
        if (!records.find(id)) {
            report.lost.push_back(id);
        }
    }
    triggers.put_back();
    return report;
}

std::int64_t replay_disposals(Connection& conn, std::span<const Disposal> disposals) {
    RecordRepository records(conn);
    HoldTriggersAside triggers(conn);
    std::int64_t replayed = 0;
    for (const auto& d : disposals) {
        const auto r = records.find(d.record_id);
        if (!r || r->state != RecordState::held) {
            continue;
        }
        std::optional<std::int64_t> batch;
        if (d.batch != 0 && exists(conn, "batches", d.batch)) {
            batch = d.batch;
        }
        records.dispose(d.record_id, d.state, batch, d.at);
        ++replayed;
    }
    triggers.put_back();
    return replayed;
}

HoldTriggersAside::HoldTriggersAside(Connection& conn) : conn_(conn) {
    {
        auto s = conn.cached(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name IN "
            "('held_records_stay', 'held_keys_stay') ORDER BY name");
        while (s->step()) {
            sql_.push_back(s->column_text(0));
        }
    }
    conn.exec("DROP TRIGGER IF EXISTS held_records_stay;");
    conn.exec("DROP TRIGGER IF EXISTS held_keys_stay;");
}

void HoldTriggersAside::put_back() {
    for (const auto& t : sql_) {
        conn_.exec((t + ";").c_str());
    }
    sql_.clear();
}

std::vector<LostRecord> describe_lost(Connection& source, std::span<const std::int64_t> ids) {
    std::vector<LostRecord> out;
    RecordRepository records(source);
    for (const auto id : ids) {
        LostRecord l;
        l.id = id;
        if (const auto r = records.find(id)) {
            l.registry_number = r->registry_number;
            l.title = r->title;
            l.level = r->level;
            l.type = r->type;
            l.originator = r->originator;
            l.origin = r->origin;
            l.created_at = r->created_at;
            l.compartments = r->compartments;
        }
        out.push_back(std::move(l));
    }
    return out;
}

void register_lost(Connection& conn, std::span<const LostRecord> lost) {
    auto s = conn.cached(
        "INSERT OR IGNORE INTO lost_records (id, registry_number, title, level, type, "
        "originator, origin, created_at, compartments, lost_at, backup) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
    for (const auto& l : lost) {
        std::string comps;
        for (const auto c : l.compartments) {
            comps += (comps.empty() ? "" : " ") + std::to_string(c);
        }
        s->reset();
        s->bind(1, l.id);
        if (l.registry_number) {
            s->bind(2, std::string_view(*l.registry_number));
        } else {
            s->bind_null(2);
        }
        s->bind(3, std::string_view(l.title))
            .bind(4, l.level ? std::optional<std::int64_t>(*l.level) : std::nullopt)
            .bind(5, std::string_view(l.type))
            .bind(6, l.originator)
            .bind(7, std::string_view(l.origin))
            .bind(8, l.created_at)
            .bind(9, std::string_view(comps))
            .bind(10, l.lost_at)
            .bind(11, std::string_view(l.backup));
        s->run();
    }
}

std::optional<LostRecord> find_lost(Connection& conn, std::int64_t id) {
    auto s = conn.cached(
        "SELECT id, registry_number, title, level, type, originator, origin, created_at, "
        "compartments, lost_at, backup FROM lost_records WHERE id = ?1");
    s->bind(1, id);
    if (!s->step()) {
        return std::nullopt;
    }
    LostRecord l;
    l.id = s->column_int(0);
    if (!s->column_is_null(1)) {
        l.registry_number = s->column_text(1);
    }
    l.title = s->column_text(2);
    if (const auto level = s->column_optional_int(3)) {
        l.level = static_cast<int>(*level);
    }
    l.type = s->column_text(4);
    l.originator = s->column_optional_int(5);
    l.origin = s->column_text(6);
    l.created_at = s->column_optional_int(7);
    std::istringstream comps(s->column_text(8));
    for (std::int64_t c = 0; comps >> c;) {
        l.compartments.push_back(c);
    }
    l.lost_at = s->column_int(9);
    l.backup = s->column_text(10);
    return l;
}

std::vector<std::int64_t> lost_registered(Connection& conn, std::int64_t after, Micros since,
                                          Micros until, std::size_t limit) {
    auto s = conn.cached(
        "SELECT id FROM lost_records WHERE id > ?1 AND coalesce(created_at, 0) >= ?2 AND "
        "coalesce(created_at, 0) < ?3 ORDER BY id LIMIT ?4");
    s->bind(1, after).bind(2, since).bind(3, until).bind(4, static_cast<std::int64_t>(limit));
    std::vector<std::int64_t> out;
    while (s->step()) {
        out.push_back(s->column_int(0));
    }
    return out;
}

void reserve_ids(Connection& conn, std::string_view table, std::int64_t id) {
    auto s = conn.cached(
        "INSERT OR REPLACE INTO meta (key, value) SELECT ?1, CAST(max(?2, coalesce((SELECT "
        "CAST(value AS INTEGER) FROM meta WHERE key = ?1), 0)) AS TEXT)");
    const auto key = fmt::format("reserved.{}", table);
    s->bind(1, std::string_view(key)).bind(2, id);
    s->run();
}

WriteTransaction::WriteTransaction(Connection& conn) : conn_(conn) {
    conn_.exec("BEGIN IMMEDIATE;");
}

WriteTransaction::~WriteTransaction() {
    if (open_) {
        try {
            conn_.exec("ROLLBACK;");
        } catch (const StoreError&) {
            // Nothing more can be done: the connection is closed next.
        }
    }
}

void WriteTransaction::commit() {
    conn_.exec("COMMIT;");
    open_ = false;
}

void use_write_ahead_log(Connection& conn) {
    conn.exec("PRAGMA journal_mode = WAL;");
}

}  // namespace strongroom::store
