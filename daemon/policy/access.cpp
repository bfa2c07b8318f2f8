#include "daemon/policy/access.hpp"

#include <fmt/format.h>

namespace strongroom::policy {
namespace {

std::string roles_text(RoleSet roles) {
    const auto names = role_names(roles);
    std::string out;
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (i > 0) {
            out += i + 1 == names.size() ? " or " : ", ";
        }
        out += names[i];
    }
    return out;
}

}  // namespace

Decision authorize(const Requirement& requirement, const Subject& subject, bool accounts_exist) {
    if (requirement.kind == Requirement::Kind::bootstrap) {
        if (subject.uid != 0) {
            return Decision::refuse(
                ErrorCode::denied,
                fmt::format("bootstrap is accepted only from uid 0, not uid {}: run "
                            "'strongroom-admin init' as root on the server",
                            subject.uid));
        }
        if (accounts_exist) {
            return Decision::refuse(ErrorCode::conflict,
                                    "already initialised: accounts exist; officers add accounts "
                                    "with 'account add'");
        }
        return Decision::allow("bootstrap by uid 0 with no accounts");
    }

    if (!subject.account) {
        if (requirement.kind == Requirement::Kind::any_role_or_root && subject.uid == 0) {
            return Decision::allow("uid 0 without an account (bootstrap)");
        }
        return Decision::refuse(ErrorCode::denied,
                                fmt::format("uid {} has no account", subject.uid));
    }
    const Account& a = *subject.account;
    if (a.suspended) {
        return Decision::refuse(ErrorCode::denied, fmt::format("account {} is suspended", a.name));
    }
    // Allowed: the reason names the rule; the audit entry names the account.
    if (requirement.kind == Requirement::Kind::any_account) {
        return Decision::allow("active account");
    }
    const RoleSet held = a.roles & requirement.roles;
    if (held == 0) {
        return Decision::refuse(ErrorCode::denied,
                                fmt::format("requires the role {}; account {} does not hold it",
                                            roles_text(requirement.roles), a.name));
    }
    return Decision::allow("role " + roles_text(held));
}

std::string_view authority_text(Basis basis) noexcept {
    // The same words as the conveyance recorded for a dissemination.
    return basis == Basis::none ? std::string_view() : to_text(conveyance_of(basis));
}

Conveyance conveyance_of(Basis basis) noexcept {
    switch (basis) {
        case Basis::delegation:
            return Conveyance::delegation;
        case Basis::head_of_mission:
            return Conveyance::head_of_mission;
        case Basis::originator:
        case Basis::none:
            break;
    }
    return Conveyance::originator;
}

}  // namespace strongroom::policy
