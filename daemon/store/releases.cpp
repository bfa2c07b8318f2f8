#include "daemon/store/releases.hpp"

#include "daemon/store/register.hpp"
#include "daemon/store/sqlite.hpp"

namespace strongroom::store {
namespace {

std::string select(const char* where) {
    return std::string(
               "SELECT id, record_id, requested_by, entity, entity_kind, justification, "
               "arrangement, hrddp, requested_at, state, approved_by, approved_at, authority, "
               "reference FROM releases ") +
           where;
}

ReleaseRow read_row(const Statement& s) {
    ReleaseRow r;
    r.id = s.column_int(0);
    r.record_id = s.column_int(1);
    r.requested_by = s.column_int(2);
    r.entity = s.column_text(3);
    r.entity_kind = s.column_text(4);
    r.justification = s.column_text(5);
    r.arrangement = s.column_text(6);
    r.hrddp = s.column_text(7);
    r.requested_at = s.column_int(8);
    r.state = s.column_text(9);
    r.approved_by = s.column_optional_int(10);
    r.approved_at = s.column_optional_int(11);
    if (!s.column_is_null(12)) {
        r.authority = s.column_text(12);
    }
    r.reference = s.column_text(13);
    return r;
}

}  // namespace

std::int64_t ReleaseRepository::insert(const ReleaseRow& r) {
    static const std::string insert_sql =
        std::string(
            "INSERT INTO releases (id, record_id, requested_by, entity, "
            "entity_kind, justification, arrangement, hrddp, requested_at) VALUES (") +
        next_id_sql("releases") + ", ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
    auto s = conn_.cached(insert_sql.c_str());
    s->bind(1, r.record_id)
        .bind(2, r.requested_by)
        .bind(3, r.entity)
        .bind(4, r.entity_kind)
        .bind(5, r.justification)
        .bind(6, r.arrangement)
        .bind(7, r.hrddp)
        .bind(8, r.requested_at);
    s->run();
    return conn_.last_insert_rowid();
}

std::optional<ReleaseRow> ReleaseRepository::find(std::int64_t id) {
    static const std::string sql = select("WHERE id = ?1");
    auto s = conn_.cached(sql.c_str());
    s->bind(1, id);
    if (!s->step()) {
        return std::nullopt;
    }
    return read_row(*s);
}

bool ReleaseRepository::approve(std::int64_t id, std::int64_t by, Micros at,
                                const std::string& authority, const std::string& reference) {
    auto s = conn_.cached(
        "UPDATE releases SET state = 'approved', approved_by = ?2, approved_at = ?3, "
        "authority = ?4, reference = ?5 WHERE id = ?1 AND state = 'requested'");
    s->bind(1, id).bind(2, by).bind(3, at).bind(4, authority).bind(5, reference);
    s->run();
    return conn_.changes() == 1;
}

bool ReleaseRepository::mark_issued(std::int64_t id) {
    auto s =
        conn_.cached("UPDATE releases SET state = 'issued' WHERE id = ?1 AND state = 'approved'");
    s->bind(1, id);
    s->run();
    return conn_.changes() == 1;
}

std::vector<ReleaseRow> ReleaseRepository::of_record(std::int64_t record_id) {
    static const std::string sql = select("WHERE record_id = ?1 ORDER BY id");
    auto s = conn_.cached(sql.c_str());
    s->bind(1, record_id);
    std::vector<ReleaseRow> out;
    while (s->step()) {
        out.push_back(read_row(*s));
    }
    return out;
}

std::vector<ReleaseRow> ReleaseRepository::in_state(const std::string& state) {
    static const std::string sql = select("WHERE ?1 = '' OR state = ?1 ORDER BY id");
    auto s = conn_.cached(sql.c_str());
    s->bind(1, state);
    std::vector<ReleaseRow> out;
    while (s->step()) {
        out.push_back(read_row(*s));
    }
    return out;
}

}  // namespace strongroom::store
