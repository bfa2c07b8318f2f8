#include "daemon/policy/duties.hpp"

#include <fmt/format.h>

namespace strongroom::policy {
namespace {

std::string oversight_names(RoleSet roles) {
    const bool officer = has(roles, Role::officer);
    const bool auditor = has(roles, Role::auditor);
    return officer && auditor ? "officer and auditor roles"
           : officer          ? "officer role"
                              : "auditor role";
}

}  // namespace

Decision may_hold_post(std::string_view account, RoleSet roles) {
    if (is_oversight(roles)) {
        return Decision::refuse(
            ErrorCode::conflict,
            fmt::format("separation of duties: {} holds the {}, and officers and auditors hold "
                        "no post (they never read classified content); assign the post to a "
                        "content user's account",
                        account, oversight_names(roles)));
    }
    return Decision::allow("the account holds no officer or auditor role");
}

Decision may_take_roles(std::string_view account, RoleSet roles, bool holds_post) {
    if (is_oversight(roles) && holds_post) {
        return Decision::refuse(
            ErrorCode::conflict,
            fmt::format("separation of duties: {} holds a post, and officers and auditors hold "
                        "no post; unassign its posts first or use another account",
                        account));
    }
    return Decision::allow("roles compatible with the account's posts");
}

Decision may_approve(const Approver& approver, const Proposal& proposal,
                     std::int64_t active_officers) {
    const auto role = role_name(proposal.approver_role);
    if (!approver.account) {
        // Bootstrap on the console: the first officer's proposal of the
        // second, approved by root while the mission has one officer.
        if (approver.uid == 0 && proposal.bootstrap_eligible && active_officers < 2) {
            return Decision::allow(fmt::format(
                "bootstrap: uid 0 approves change {} while the mission has {} active officer{}",
                proposal.id, active_officers, active_officers == 1 ? "" : "s"));
        }
        return Decision::refuse(ErrorCode::denied,
                                fmt::format("uid {} has no account", approver.uid));
    }
    if (!has(approver.roles, proposal.approver_role)) {
        return Decision::refuse(ErrorCode::denied,
                                fmt::format("change {} needs a second {}; {} is not one",
                                            proposal.id, role, approver.name));
    }
    if (proposal.requested_by && *proposal.requested_by == *approver.account) {
        return Decision::refuse(ErrorCode::conflict,
                                fmt::format("you requested change {} yourself; a different {} "
                                            "must approve it (two-person rule)",
                                            proposal.id, role));
    }
    if (!approver.roles_at || *approver.roles_at >= proposal.requested_at) {
        return Decision::refuse(
            ErrorCode::conflict,
            fmt::format("two-person rule: {} was given the {} role after change {} was proposed; "
                        "a {} who held the role before must approve it",
                        approver.name, role, proposal.id, role));
    }
    return Decision::allow(fmt::format("second {} approves change {}", role, proposal.id));
}

}  // namespace strongroom::policy
