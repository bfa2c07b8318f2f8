#include "daemon/store/retention.hpp"

#include "daemon/store/register.hpp"
#include "daemon/store/sqlite.hpp"

namespace strongroom::store {
namespace {

std::optional<std::string> optional_text(const Statement& s, int i) {
    if (s.column_is_null(i)) {
        return std::nullopt;
    }
    return s.column_text(i);
}

void bind_text(Statement& s, int i, const std::optional<std::string>& v) {
    if (v) {
        s.bind(i, std::string_view(*v));
    } else {
        s.bind_null(i);
    }
}

ScheduleRow read_schedule(const Statement& s) {
    ScheduleRow r;
    r.type = s.column_text(0);
    r.disposition = s.column_text(1);
    r.destroy_after = optional_text(s, 2);
    r.transfer = s.column_int(3) != 0;
    r.review = optional_text(s, 4);
    r.review_first_year = optional_text(s, 5);
    r.changed_at = s.column_int(6);
    r.changed_by = s.column_optional_int(7);
    r.approved_by = s.column_optional_int(8);
    return r;
}

constexpr const char* kScheduleColumns =
    "type, disposition, destroy_after, transfer, review, review_first_year, changed_at, "
    "changed_by, approved_by";

void bind_schedule(Statement& s, const ScheduleRow& r) {
    s.bind(1, std::string_view(r.type)).bind(2, std::string_view(r.disposition));
    bind_text(s, 3, r.destroy_after);
    s.bind(4, std::int64_t{r.transfer ? 1 : 0});
    bind_text(s, 5, r.review);
    bind_text(s, 6, r.review_first_year);
    s.bind(7, r.changed_at).bind(8, r.changed_by).bind(9, r.approved_by);
}

HoldRow read_hold(const Statement& s) {
    HoldRow h;
    h.id = s.column_int(0);
    h.name = s.column_text(1);
    h.reason = s.column_text(2);
    h.type = optional_text(s, 3);
    h.placed_by = s.column_int(4);
    h.placed_at = s.column_int(5);
    h.released_by = s.column_optional_int(6);
    h.released_at = s.column_optional_int(7);
    return h;
}

}  // namespace

std::vector<ScheduleRow> RetentionRepository::schedules() {
    static const std::string sql =
        std::string("SELECT ") + kScheduleColumns + " FROM schedules ORDER BY type";
    auto s = conn_.cached(sql.c_str());
    std::vector<ScheduleRow> out;
    while (s->step()) {
        out.push_back(read_schedule(*s));
    }
    return out;
}

std::optional<ScheduleRow> RetentionRepository::schedule(std::string_view type) {
    static const std::string sql =
        std::string("SELECT ") + kScheduleColumns + " FROM schedules WHERE type = ?1";
    auto s = conn_.cached(sql.c_str());
    s->bind(1, type);
    if (!s->step()) {
        return std::nullopt;
    }
    return read_schedule(*s);
}

void RetentionRepository::put_schedule(const ScheduleRow& row) {
    static const std::string sql = std::string("INSERT OR REPLACE INTO schedules (") +
                                   kScheduleColumns +
                                   ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
    auto s = conn_.cached(sql.c_str());
    bind_schedule(*s, row);
    s->run();
}

bool RetentionRepository::add_missing_schedule(const ScheduleRow& row) {
    static const std::string sql = std::string("INSERT OR IGNORE INTO schedules (") +
                                   kScheduleColumns +
                                   ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
    auto s = conn_.cached(sql.c_str());
    bind_schedule(*s, row);
    s->run();
    return conn_.changes() > 0;
}

std::vector<std::pair<std::string, std::int64_t>> RetentionRepository::held_types() {
    // One index seek per type (records_by_type), not a scan of every record.
    std::vector<std::pair<std::string, std::int64_t>> out;
    auto next = conn_.cached("SELECT min(type) FROM records WHERE type > ?1");
    auto count = conn_.cached("SELECT count(*) FROM records WHERE type = ?1 AND state = 'held'");
    std::string after;
    for (;;) {
        next->reset();
        next->bind(1, std::string_view(after));
        if (!next->step() || next->column_is_null(0)) {
            break;
        }
        after = next->column_text(0);
        count->reset();
        count->bind(1, std::string_view(after));
        count->step();
        if (const auto n = count->column_int(0); n > 0) {
            out.emplace_back(after, n);
        }
    }
    return out;
}

std::int64_t RetentionRepository::count_held(std::string_view type, Micros dated_before) {
    auto s = conn_.cached(
        "SELECT count(*) FROM records WHERE type = ?1 AND state = 'held' AND dated < ?2");
    s->bind(1, type).bind(2, dated_before);
    s->step();
    return s->column_int(0);
}

void RetentionRepository::held_records(std::string_view type, std::pair<Micros, std::int64_t> from,
                                       Micros dated_before, bool with_reviews,
                                       const std::function<bool(const HeldRecord&)>& each) {
    // In the order of records_by_type (type, state, dated, id): no sort.
    auto s = with_reviews
                 ? conn_.cached(
                       "SELECT r.id, r.dated, r.created_at, (SELECT max(at) FROM reviews v "
                       "WHERE v.record_id = r.id) FROM records r "
                       "WHERE r.type = ?1 AND r.state = 'held' AND r.dated >= ?2 AND r.dated < ?4 "
                       "AND (r.dated > ?2 OR r.id > ?3) ORDER BY r.dated, r.id")
                 : conn_.cached(
                       "SELECT id, dated, created_at, NULL FROM records "
                       "WHERE type = ?1 AND state = 'held' AND dated >= ?2 AND dated < ?4 "
                       "AND (dated > ?2 OR id > ?3) ORDER BY dated, id");
    s->bind(1, type).bind(2, from.first).bind(3, from.second).bind(4, dated_before);
    HeldRecord r;
    while (s->step()) {
        r.id = s->column_int(0);
        r.dated = s->column_int(1);
        r.created_at = s->column_int(2);
        r.reviewed = s->column_optional_int(3);
        if (!each(r)) {
            break;
        }
    }
}

void RetentionRepository::add_review(std::int64_t record_id, Micros at, std::int64_t by,
                                     std::string_view note) {
    static const std::string insert_sql =
        std::string("INSERT INTO reviews (id, record_id, at, by_account, note) VALUES (") +
        next_id_sql("reviews") + ", ?1, ?2, ?3, ?4)";
    auto s = conn_.cached(insert_sql.c_str());
    s->bind(1, record_id).bind(2, at).bind(3, by).bind(4, note);
    s->run();
}

std::optional<Micros> RetentionRepository::last_review(std::int64_t record_id) {
    auto s = conn_.cached("SELECT max(at) FROM reviews WHERE record_id = ?1");
    s->bind(1, record_id);
    s->step();
    return s->column_optional_int(0);
}

std::int64_t RetentionRepository::insert_hold(const HoldRow& row) {
    static const std::string insert_sql =
        std::string(
            "INSERT INTO holds (id, name, reason, type, placed_by, placed_at) "
            "VALUES (") +
        next_id_sql("holds") + ", ?1, ?2, ?3, ?4, ?5)";
    auto s = conn_.cached(insert_sql.c_str());
    s->bind(1, std::string_view(row.name)).bind(2, std::string_view(row.reason));
    bind_text(*s, 3, row.type);
    s->bind(4, row.placed_by).bind(5, row.placed_at);
    s->run();
    const auto id = conn_.last_insert_rowid();
    auto r =
        conn_.cached("INSERT OR IGNORE INTO hold_records (record_id, hold_id) VALUES (?1, ?2)");
    for (const auto record : row.records) {
        r->reset();
        r->bind(1, record).bind(2, id);
        r->run();
    }
    return id;
}

std::optional<HoldRow> RetentionRepository::hold_in_force(std::string_view name) {
    auto s = conn_.cached(
        "SELECT id, name, reason, type, placed_by, placed_at, released_by, released_at "
        "FROM holds WHERE name = ?1 AND released_at IS NULL");
    s->bind(1, name);
    if (!s->step()) {
        return std::nullopt;
    }
    auto h = read_hold(*s);
    auto r = conn_.cached("SELECT record_id FROM hold_records WHERE hold_id = ?1 ORDER BY 1");
    r->bind(1, h.id);
    while (r->step()) {
        h.records.push_back(r->column_int(0));
    }
    return h;
}

void RetentionRepository::release_hold(std::int64_t id, std::int64_t by, Micros at) {
    auto s = conn_.cached("UPDATE holds SET released_by = ?2, released_at = ?3 WHERE id = ?1");
    s->bind(1, id).bind(2, by).bind(3, at);
    s->run();
}

std::vector<HoldRow> RetentionRepository::holds_in_force() {
    auto s = conn_.cached(
        "SELECT id, name, reason, type, placed_by, placed_at, released_by, released_at "
        "FROM holds WHERE released_at IS NULL ORDER BY name");
    std::vector<HoldRow> out;
    while (s->step()) {
        out.push_back(read_hold(*s));
    }
    auto r = conn_.cached("SELECT record_id FROM hold_records WHERE hold_id = ?1 ORDER BY 1");
    for (auto& h : out) {
        r->reset();
        r->bind(1, h.id);
        while (r->step()) {
            h.records.push_back(r->column_int(0));
        }
    }
    return out;
}

std::vector<std::string> RetentionRepository::holds_on(std::int64_t record_id,
                                                       std::string_view type) {
    auto s = conn_.cached(
        "SELECT h.name FROM holds h WHERE h.released_at IS NULL AND (h.type = ?2 OR EXISTS "
        "(SELECT 1 FROM hold_records hr WHERE hr.hold_id = h.id AND hr.record_id = ?1)) "
        "ORDER BY h.name");
    s->bind(1, record_id).bind(2, type);
    std::vector<std::string> out;
    while (s->step()) {
        out.push_back(s->column_text(0));
    }
    return out;
}

Micros RetentionRepository::mission_start() {
    return conn_.query_int("SELECT coalesce(min(created_at), 0) FROM accounts");
}

}  // namespace strongroom::store
