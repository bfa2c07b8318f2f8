#include "daemon/store/matrix.hpp"

#include "daemon/store/register.hpp"
#include "daemon/store/sqlite.hpp"

namespace strongroom::store {
namespace {

CompartmentRow read_compartment(Statement& s) {
    return CompartmentRow{s.column_int(0), s.column_text(1), s.column_text(2), s.column_int(3)};
}

PostRow read_post(Statement& s) {
    return PostRow{s.column_int(0), s.column_text(1), static_cast<int>(s.column_int(2)),
                   s.column_text(3), s.column_int(4)};
}

AssignmentRow read_assignment(Statement& s) {
    return AssignmentRow{s.column_int(0), s.column_int(1), s.column_int(2), s.column_int(3),
                         s.column_optional_int(4)};
}

GrantRow read_grant(Statement& s) {
    return GrantRow{s.column_int(0), s.column_int(1),          static_cast<int>(s.column_int(2)),
                    s.column_int(3), s.column_optional_int(4), s.column_optional_int(5)};
}

PendingRow read_pending(Statement& s) {
    PendingRow r;
    r.id = s.column_int(0);
    r.op = s.column_text(1);
    r.args = s.column_text(2);
    r.summary = s.column_text(3);
    r.requested_by = s.column_int(4);
    r.requested_at = s.column_int(5);
    r.state = s.column_text(6);
    r.decided_by = s.column_optional_int(7);
    r.decided_at = s.column_optional_int(8);
    return r;
}

#define POST_COLUMNS "id, name, level, authority, created_at"
#define ASSIGNMENT_COLUMNS "id, post_id, account_id, since, ends"
#define GRANT_COLUMNS "post_id, compartment_id, level, granted_at, granted_by, approved_by"
#define PENDING_COLUMNS \
    "id, op, args, summary, requested_by, requested_at, state, decided_by, decided_at"

}  // namespace

std::optional<CompartmentRow> MatrixRepository::find_compartment(std::string_view name) {
    auto s =
        conn_.cached("SELECT id, name, description, created_at FROM compartments WHERE name = ?1");
    s->bind(1, name);
    if (!s->step()) {
        return std::nullopt;
    }
    return read_compartment(*s);
}

std::vector<CompartmentRow> MatrixRepository::compartments() {
    auto s =
        conn_.cached("SELECT id, name, description, created_at FROM compartments ORDER BY name");
    std::vector<CompartmentRow> out;
    while (s->step()) {
        out.push_back(read_compartment(*s));
    }
    return out;
}

std::int64_t MatrixRepository::insert_compartment(std::string_view name,
                                                  std::string_view description, Micros at,
                                                  std::int64_t by) {
    static const std::string insert_sql =
        std::string(
            "INSERT INTO compartments (id, name, description, created_at, "
            "created_by) VALUES (") +
        next_id_sql("compartments") + ", ?1, ?2, ?3, ?4)";
    auto s = conn_.cached(insert_sql.c_str());
    s->bind(1, name).bind(2, description).bind(3, at).bind(4, by);
    s->run();
    return conn_.last_insert_rowid();
}

std::optional<PostRow> MatrixRepository::find_post(std::string_view name) {
    auto s = conn_.cached("SELECT " POST_COLUMNS " FROM posts WHERE name = ?1");
    s->bind(1, name);
    if (!s->step()) {
        return std::nullopt;
    }
    return read_post(*s);
}

std::optional<PostRow> MatrixRepository::find_post(std::int64_t id) {
    auto s = conn_.cached("SELECT " POST_COLUMNS " FROM posts WHERE id = ?1");
    s->bind(1, id);
    if (!s->step()) {
        return std::nullopt;
    }
    return read_post(*s);
}

std::optional<PostRow> MatrixRepository::post_with_authority(std::string_view authority) {
    auto s = conn_.cached("SELECT " POST_COLUMNS " FROM posts WHERE authority = ?1");
    s->bind(1, authority);
    if (!s->step()) {
        return std::nullopt;
    }
    return read_post(*s);
}

std::vector<PostRow> MatrixRepository::posts() {
    auto s = conn_.cached("SELECT " POST_COLUMNS " FROM posts ORDER BY name");
    std::vector<PostRow> out;
    while (s->step()) {
        out.push_back(read_post(*s));
    }
    return out;
}

std::int64_t MatrixRepository::insert_post(std::string_view name, int level,
                                           std::string_view authority, Micros at, std::int64_t by,
                                           std::optional<std::int64_t> approved_by) {
    static const std::string insert_sql =
        std::string(
            "INSERT INTO posts (id, name, level, authority, created_at, "
            "created_by, approved_by) VALUES (") +
        next_id_sql("posts") + ", ?1, ?2, ?3, ?4, ?5, ?6)";
    auto s = conn_.cached(insert_sql.c_str());
    s->bind(1, name)
        .bind(2, std::int64_t{level})
        .bind(3, authority)
        .bind(4, at)
        .bind(5, by)
        .bind(6, approved_by);
    s->run();
    return conn_.last_insert_rowid();
}

void MatrixRepository::set_post_level(std::int64_t id, int level) {
    auto s = conn_.cached("UPDATE posts SET level = ?2 WHERE id = ?1");
    s->bind(1, id).bind(2, std::int64_t{level});
    s->run();
}

std::vector<AssignmentRow> MatrixRepository::open_assignments(Micros now) {
    auto s = conn_.cached("SELECT " ASSIGNMENT_COLUMNS
                          " FROM assignments WHERE ends IS NULL OR ends > ?1 ORDER BY id");
    s->bind(1, now);
    std::vector<AssignmentRow> out;
    while (s->step()) {
        out.push_back(read_assignment(*s));
    }
    return out;
}

std::vector<AssignmentRow> MatrixRepository::assignments_in_force(std::int64_t account_id,
                                                                  Micros now) {
    auto s = conn_.cached("SELECT " ASSIGNMENT_COLUMNS
                          " FROM assignments WHERE account_id = ?1 AND since <= ?2 "
                          "AND (ends IS NULL OR ends > ?2) ORDER BY post_id");
    s->bind(1, account_id).bind(2, now);
    std::vector<AssignmentRow> out;
    while (s->step()) {
        out.push_back(read_assignment(*s));
    }
    return out;
}

std::optional<AssignmentRow> MatrixRepository::assignment_in_force(std::int64_t post_id,
                                                                   std::int64_t account_id,
                                                                   Micros now) {
    auto s = conn_.cached("SELECT " ASSIGNMENT_COLUMNS
                          " FROM assignments WHERE account_id = ?1 AND post_id = ?2 "
                          "AND (ends IS NULL OR ends > ?3) ORDER BY id LIMIT 1");
    s->bind(1, account_id).bind(2, post_id).bind(3, now);
    if (!s->step()) {
        return std::nullopt;
    }
    return read_assignment(*s);
}

std::int64_t MatrixRepository::insert_assignment(std::int64_t post_id, std::int64_t account_id,
                                                 Micros since, std::optional<Micros> ends,
                                                 std::int64_t by) {
    static const std::string insert_sql =
        std::string(
            "INSERT INTO assignments (id, post_id, account_id, since, ends, "
            "created_by) VALUES (") +
        next_id_sql("assignments") + ", ?1, ?2, ?3, ?4, ?5)";
    auto s = conn_.cached(insert_sql.c_str());
    s->bind(1, post_id).bind(2, account_id).bind(3, since).bind(4, ends).bind(5, by);
    s->run();
    return conn_.last_insert_rowid();
}

void MatrixRepository::end_assignment(std::int64_t assignment_id, Micros at, std::int64_t by) {
    auto s = conn_.cached("UPDATE assignments SET ends = ?2, ended_by = ?3 WHERE id = ?1");
    s->bind(1, assignment_id).bind(2, at).bind(3, by);
    s->run();
}

std::vector<OversightConflict> MatrixRepository::oversight_conflicts(Micros now) {
    auto s = conn_.cached(
        "SELECT a.id, a.account_id, c.name, a.post_id, p.name FROM assignments a "
        "JOIN accounts c ON c.id = a.account_id JOIN posts p ON p.id = a.post_id "
        "WHERE (c.roles & 5) != 0 AND (a.ends IS NULL OR a.ends > ?1) ORDER BY a.id");
    s->bind(1, now);
    std::vector<OversightConflict> out;
    while (s->step()) {
        out.push_back(OversightConflict{s->column_int(0), s->column_int(1), s->column_text(2),
                                        s->column_int(3), s->column_text(4)});
    }
    return out;
}

bool MatrixRepository::holds_open_assignment(std::int64_t account_id, Micros now) {
    auto s = conn_.cached(
        "SELECT 1 FROM assignments WHERE account_id = ?1 AND (ends IS NULL OR ends > ?2) "
        "LIMIT 1");
    s->bind(1, account_id).bind(2, now);
    return s->step();
}

std::optional<GrantRow> MatrixRepository::find_grant(std::int64_t post_id,
                                                     std::int64_t compartment_id) {
    auto s = conn_.cached("SELECT " GRANT_COLUMNS
                          " FROM grants WHERE post_id = ?1 AND compartment_id = ?2");
    s->bind(1, post_id).bind(2, compartment_id);
    if (!s->step()) {
        return std::nullopt;
    }
    return read_grant(*s);
}

std::vector<GrantRow> MatrixRepository::grants_of(std::int64_t post_id) {
    auto s = conn_.cached("SELECT " GRANT_COLUMNS
                          " FROM grants WHERE post_id = ?1 ORDER BY compartment_id");
    s->bind(1, post_id);
    std::vector<GrantRow> out;
    while (s->step()) {
        out.push_back(read_grant(*s));
    }
    return out;
}

std::vector<GrantRow> MatrixRepository::grants() {
    auto s = conn_.cached("SELECT " GRANT_COLUMNS " FROM grants ORDER BY post_id, compartment_id");
    std::vector<GrantRow> out;
    while (s->step()) {
        out.push_back(read_grant(*s));
    }
    return out;
}

void MatrixRepository::put_grant(const GrantRow& g) {
    auto s = conn_.cached(
        "INSERT OR REPLACE INTO grants (post_id, compartment_id, level, granted_at, granted_by, "
        "approved_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    s->bind(1, g.post_id)
        .bind(2, g.compartment_id)
        .bind(3, std::int64_t{g.level})
        .bind(4, g.granted_at)
        .bind(5, g.granted_by)
        .bind(6, g.approved_by);
    s->run();
}

void MatrixRepository::delete_grant(std::int64_t post_id, std::int64_t compartment_id) {
    auto s = conn_.cached("DELETE FROM grants WHERE post_id = ?1 AND compartment_id = ?2");
    s->bind(1, post_id).bind(2, compartment_id);
    s->run();
}

std::vector<MatrixChangeRow> MatrixRepository::changes(Micros since, Micros until) {
    auto s = conn_.cached(
        "SELECT id, at, change, detail, by_account, approved_by FROM matrix_changes "
        "WHERE at >= ?1 AND at < ?2 ORDER BY id");
    s->bind(1, since).bind(2, until);
    std::vector<MatrixChangeRow> out;
    while (s->step()) {
        MatrixChangeRow r;
        r.id = s->column_int(0);
        r.at = s->column_int(1);
        r.change = s->column_text(2);
        r.detail = s->column_text(3);
        r.by_account = s->column_optional_int(4);
        r.approved_by = s->column_optional_int(5);
        out.push_back(std::move(r));
    }
    return out;
}

void MatrixRepository::record_change(Micros at, std::string_view change, std::string_view detail,
                                     std::int64_t by, std::optional<std::int64_t> approved_by) {
    static const std::string insert_sql =
        std::string(
            "INSERT INTO matrix_changes (id, at, change, detail, by_account, "
            "approved_by) VALUES (") +
        next_id_sql("matrix_changes") + ", ?1, ?2, ?3, ?4, ?5)";
    auto s = conn_.cached(insert_sql.c_str());
    s->bind(1, at).bind(2, change).bind(3, detail).bind(4, by).bind(5, approved_by);
    s->run();
}

std::int64_t MatrixRepository::insert_pending(std::string_view op, std::string_view args,
                                              std::string_view summary, std::int64_t by,
                                              Micros at) {
    static const std::string insert_sql =
        std::string(
            "INSERT INTO pending (id, op, args, summary, requested_by, "
            "requested_at) VALUES (") +
        next_id_sql("pending") + ", ?1, ?2, ?3, ?4, ?5)";
    auto s = conn_.cached(insert_sql.c_str());
    s->bind(1, op).bind(2, args).bind(3, summary).bind(4, by).bind(5, at);
    s->run();
    return conn_.last_insert_rowid();
}

std::optional<PendingRow> MatrixRepository::find_pending(std::int64_t id) {
    auto s = conn_.cached("SELECT " PENDING_COLUMNS " FROM pending WHERE id = ?1");
    s->bind(1, id);
    if (!s->step()) {
        return std::nullopt;
    }
    return read_pending(*s);
}

std::vector<PendingRow> MatrixRepository::pending(std::string_view state) {
    auto s = conn_.cached("SELECT " PENDING_COLUMNS " FROM pending WHERE state = ?1 ORDER BY id");
    s->bind(1, state);
    std::vector<PendingRow> out;
    while (s->step()) {
        out.push_back(read_pending(*s));
    }
    return out;
}

void MatrixRepository::decide_pending(std::int64_t id, std::string_view state,
                                      std::optional<std::int64_t> by, Micros at) {
    auto s = conn_.cached(
        "UPDATE pending SET state = ?2, decided_by = ?3, decided_at = ?4 WHERE id = ?1");
    s->bind(1, id).bind(2, state).bind(3, by).bind(4, at);
    s->run();
}

}  // namespace strongroom::store
