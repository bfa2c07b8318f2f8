// Roles and the subject of a request: who is asking, as the policy sees them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/common/error.hpp"

namespace strongroom::policy {

// Administrative roles. Content access does not come from any of them: it
// comes from posts (later), so an officer reads nothing by being an officer.
enum class Role : std::uint32_t {
    officer = 1,    // accounts, posts, compartments, the access matrix
    registrar = 2,  // registry and retention
    auditor = 4,    // the audit trail and reports
};

using RoleSet = std::uint32_t;

inline constexpr RoleSet bit(Role r) noexcept {
    return static_cast<RoleSet>(r);
}
inline constexpr bool has(RoleSet set, Role r) noexcept {
    return (set & bit(r)) != 0;
}

std::string_view role_name(Role role) noexcept;
std::optional<Role> parse_role(std::string_view text) noexcept;
std::vector<std::string> role_names(RoleSet set);

// Checks a requested combination of roles against separation of duties: an
// auditor audits administration and registry, so holds neither of them.
Result<RoleSet> combine_roles(const std::vector<std::string>& names);

// An account as the policy needs it.
struct Account {
    std::int64_t id = 0;
    std::string name;
    RoleSet roles = 0;
    bool suspended = false;
};

// The caller of a request: the peer uid of the socket, and the account with
// that uid if there is one.
struct Subject {
    std::uint32_t uid = 0;
    std::optional<Account> account;
};

}  // namespace strongroom::policy
