// Typed access to the accounts table.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/common/time.hpp"

namespace strongroom::store {

class Connection;

struct AccountRow {
    std::int64_t id = 0;
    std::string name;
    std::uint32_t uid = 0;
    std::uint32_t roles = 0;  // bit set; the policy module names the bits
    bool suspended = false;
    Micros created_at = 0;
    std::optional<std::int64_t> created_by;
    Micros changed_at = 0;
    std::optional<Micros> roles_at;                 // when it was given its roles (none: no roles)
    std::optional<std::int64_t> roles_approved_by;  // the second officer who approved them
};

struct NewAccount {
    std::string name;
    std::uint32_t uid = 0;
    std::uint32_t roles = 0;
    Micros at = 0;
    std::optional<std::int64_t> created_by;
    std::optional<std::int64_t> roles_approved_by;
};

class AccountRepository {
public:
    explicit AccountRepository(Connection& conn) : conn_(conn) {}

    std::optional<AccountRow> find_by_uid(std::uint32_t uid);
    std::optional<AccountRow> find_by_name(std::string_view name);
    std::optional<AccountRow> find(std::int64_t id);
    // Ordered by name; at most limit rows after the name `after` (paging).
    std::vector<AccountRow> list(std::string_view after, std::size_t limit);
    std::int64_t insert(const NewAccount& account);
    void set_suspended(std::int64_t id, bool suspended, Micros at);
    std::int64_t count();
    // Active (not suspended) accounts holding every bit of role_bits.
    std::int64_t count_active_with_roles(std::uint32_t role_bits);

private:
    Connection& conn_;
};

}  // namespace strongroom::store
