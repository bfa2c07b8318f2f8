// Separation of duties and the two-person rule (DESIGN.md §2 rule 11), as
// pure decisions. Administration (officer), registry (registrar), audit
// (auditor) and content access (posts) are separate duties:
//
//   may_hold_post        an account holding the officer or auditor role
//                        holds no post, so it never reads classified content
//                        (a registrar may: registry work is not oversight).
//   may_take_roles       the same rule seen from the other side: an account
//                        that holds a post cannot be given those roles.
//   roles_need_approval  giving an account any role (officer, registrar,
//                        auditor) needs a second officer.
//   assignment_needs_approval
//                        an officer assigning a post to an account that the
//                        same officer created needs a second officer, so no
//                        officer alone makes an account and gives it access.
//   may_approve          an approval is by another account than the
//                        proposer's, holding the approver's role, which it
//                        held before the change was proposed; or, at
//                        bootstrap, by uid 0 while the store has fewer than
//                        two active officers (the first officer's proposal
//                        of the second, approved on the console).
//
// These hold against one person with two accounts: an officer cannot give
// a second account of their own a role, nor approve through an account that
// was given its role afterwards.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "daemon/common/time.hpp"
#include "daemon/policy/access.hpp"
#include "daemon/policy/roles.hpp"

namespace strongroom::policy {

// The roles whose holders never read classified content.
inline constexpr RoleSet kOversightRoles = bit(Role::officer) | bit(Role::auditor);

inline constexpr bool is_oversight(RoleSet roles) noexcept {
    return (roles & kOversightRoles) != 0;
}

// Whether account (name, roles) may be assigned a post.
Decision may_hold_post(std::string_view account, RoleSet roles);

// Whether account (name) may be given roles, holding a post or not.
Decision may_take_roles(std::string_view account, RoleSet roles, bool holds_post);

// True when giving these roles needs a second officer (any role does).
inline constexpr bool roles_need_approval(RoleSet roles) noexcept {
    return roles != 0;
}

// True when an assignment by `assigner` of an account made by `created_by`
// needs a second officer.
inline constexpr bool assignment_needs_approval(std::int64_t assigner,
                                                std::optional<std::int64_t> created_by) noexcept {
    return created_by && *created_by == assigner;
}

// The approver of a pending change, as the rule needs it.
struct Approver {
    std::uint32_t uid = 0;
    std::optional<std::int64_t> account;  // none: a caller without an account (uid 0)
    std::string name;
    RoleSet roles = 0;
    std::optional<Micros> roles_at;  // when the account was given its roles
};

struct Proposal {
    std::int64_t id = 0;
    std::optional<std::int64_t> requested_by;
    Micros requested_at = 0;
    Role approver_role = Role::officer;  // the role of the second person
    bool bootstrap_eligible = false;     // uid 0 may approve it while officers < 2
};

// active_officers: active accounts holding the officer role now.
Decision may_approve(const Approver& approver, const Proposal& proposal,
                     std::int64_t active_officers);

}  // namespace strongroom::policy
