#include "daemon/store/accounts.hpp"

#include "daemon/store/register.hpp"
#include "daemon/store/sqlite.hpp"

namespace strongroom::store {
namespace {

#define ACCOUNT_COLUMNS                                                               \
    "id, name, uid, roles, suspended, created_at, created_by, changed_at, roles_at, " \
    "roles_approved_by"

AccountRow read_row(Statement& s) {
    AccountRow r;
    r.id = s.column_int(0);
    r.name = s.column_text(1);
    r.uid = static_cast<std::uint32_t>(s.column_int(2));
    r.roles = static_cast<std::uint32_t>(s.column_int(3));
    r.suspended = s.column_int(4) != 0;
    r.created_at = s.column_int(5);
    r.created_by = s.column_optional_int(6);
    r.changed_at = s.column_int(7);
    r.roles_at = s.column_optional_int(8);
    r.roles_approved_by = s.column_optional_int(9);
    return r;
}

}  // namespace

std::optional<AccountRow> AccountRepository::find_by_uid(std::uint32_t uid) {
    static constexpr const char* sql = "SELECT " ACCOUNT_COLUMNS
                                       " "
                                       "FROM accounts WHERE uid = ?1";
    auto s = conn_.cached(sql);
    s->bind(1, std::int64_t{uid});
    if (!s->step()) {
        return std::nullopt;
    }
    return read_row(*s);
}

std::optional<AccountRow> AccountRepository::find_by_name(std::string_view name) {
    static constexpr const char* sql = "SELECT " ACCOUNT_COLUMNS
                                       " "
                                       "FROM accounts WHERE name = ?1";
    auto s = conn_.cached(sql);
    s->bind(1, name);
    if (!s->step()) {
        return std::nullopt;
    }
    return read_row(*s);
}

std::optional<AccountRow> AccountRepository::find(std::int64_t id) {
    static constexpr const char* sql = "SELECT " ACCOUNT_COLUMNS
                                       " "
                                       "FROM accounts WHERE id = ?1";
    auto s = conn_.cached(sql);
    s->bind(1, id);
    if (!s->step()) {
        return std::nullopt;
    }
    return read_row(*s);
}

std::vector<AccountRow> AccountRepository::list(std::string_view after, std::size_t limit) {
    static constexpr const char* sql = "SELECT " ACCOUNT_COLUMNS
                                       " "
                                       "FROM accounts WHERE name > ?1 ORDER BY name LIMIT ?2";
    auto s = conn_.cached(sql);
    s->bind(1, after).bind(2, static_cast<std::int64_t>(limit));
    std::vector<AccountRow> out;
    while (s->step()) {
        out.push_back(read_row(*s));
    }
    return out;
}

std::int64_t AccountRepository::insert(const NewAccount& a) {
    static const std::string sql =
        "INSERT INTO accounts (id, name, uid, roles, suspended, created_at, created_by, "
        "changed_at, roles_at, roles_approved_by) VALUES (" +
        next_id_sql("accounts") + ", ?1, ?2, ?3, 0, ?4, ?5, ?4, CASE WHEN ?3 != 0 THEN ?4 END, ?6)";
    auto s = conn_.cached(sql.c_str());
    s->bind(1, a.name)
        .bind(2, std::int64_t{a.uid})
        .bind(3, std::int64_t{a.roles})
        .bind(4, a.at)
        .bind(5, a.created_by)
        .bind(6, a.roles_approved_by);
    s->run();
    return conn_.last_insert_rowid();
}

void AccountRepository::set_suspended(std::int64_t id, bool suspended, Micros at) {
    static constexpr const char* sql =
        "UPDATE accounts SET suspended = ?2, changed_at = ?3 WHERE id = ?1";
    auto s = conn_.cached(sql);
    s->bind(1, id).bind(2, std::int64_t{suspended ? 1 : 0}).bind(3, at);
    s->run();
}

std::int64_t AccountRepository::count() {
    return conn_.query_int("SELECT count(*) FROM accounts");
}

std::int64_t AccountRepository::count_active_with_roles(std::uint32_t role_bits) {
    static constexpr const char* sql =
        "SELECT count(*) FROM accounts WHERE suspended = 0 AND (roles & ?1) = ?1";
    auto s = conn_.cached(sql);
    s->bind(1, std::int64_t{role_bits});
    s->step();
    return s->column_int(0);
}

}  // namespace strongroom::store
