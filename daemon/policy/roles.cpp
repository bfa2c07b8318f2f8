#include "daemon/policy/roles.hpp"

#include <array>

#include <fmt/format.h>

#include "daemon/common/text.hpp"

namespace strongroom::policy {
namespace {

constexpr std::array<std::pair<Role, std::string_view>, 3> kRoles{{
    {Role::officer, "officer"},
    {Role::registrar, "registrar"},
    {Role::auditor, "auditor"},
}};

}  // namespace

std::string_view role_name(Role role) noexcept {
    for (const auto& [r, name] : kRoles) {
        if (r == role) {
            return name;
        }
    }
    return "unknown";
}

std::optional<Role> parse_role(std::string_view text) noexcept {
    for (const auto& [r, name] : kRoles) {
        if (name == text) {
            return r;
        }
    }
    return std::nullopt;
}

std::vector<std::string> role_names(RoleSet set) {
    std::vector<std::string> out;
    for (const auto& [r, name] : kRoles) {
        if (has(set, r)) {
            out.emplace_back(name);
        }
    }
    return out;
}

Result<RoleSet> combine_roles(const std::vector<std::string>& names) {
    RoleSet set = 0;
    for (const auto& n : names) {
        const auto r = parse_role(n);
        if (!r) {
            return make_error(ErrorCode::bad_request,
                              fmt::format("unknown role \"{}\" (roles are officer, registrar, "
                                          "auditor)",
                                          printable(n, 32)));
        }
        set |= bit(*r);
    }
    if (has(set, Role::auditor) && (has(set, Role::officer) || has(set, Role::registrar))) {
        return make_error(ErrorCode::conflict,
                          "separation of duties: an auditor cannot also be an officer or a "
                          "registrar; give these roles to different accounts");
    }
    return set;
}

}  // namespace strongroom::policy
