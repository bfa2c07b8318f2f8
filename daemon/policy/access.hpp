// Who may call an operation. A pure function of the operation's requirement
// and the subject: no I/O, no clock, exhaustively testable.
#pragma once

#include <string>
#include <string_view>

#include "daemon/common/error.hpp"
#include "daemon/common/states.hpp"
#include "daemon/policy/roles.hpp"

namespace strongroom::policy {

struct Requirement {
    enum class Kind {
        bootstrap,    // root, and only while no account exists
        any_account,  // any active account
        any_role,     // an active account holding at least one of `roles`
        // the same, or uid 0 without an account (bootstrap approval on the
        // console; the operation's own rule decides what it may do)
        any_role_or_root,
    };
    Kind kind = Kind::any_role;
    RoleSet roles = 0;

    static constexpr Requirement bootstrap() { return {Kind::bootstrap, 0}; }
    static constexpr Requirement any_account() { return {Kind::any_account, 0}; }
    static constexpr Requirement one_of(RoleSet roles) { return {Kind::any_role, roles}; }
    static constexpr Requirement one_of_or_root(RoleSet roles) {
        return {Kind::any_role_or_root, roles};
    }
};

// The authority an allowed dissemination or release rests on: what the
// registry records beside it. The reason text is for people and may be
// reworded; the basis may not change with it.
enum class Basis {
    none,             // refused, or a rule that records no authority
    originator,       // the record's originator
    delegation,       // a written delegation in force
    head_of_mission,  // a post with the head-of-mission authority
};

// The word the registry records for an authority: "originator",
// "delegation" or "head-of-mission" ("" for none).
std::string_view authority_text(Basis basis) noexcept;
// The rule a dissemination allowed on this basis is recorded under (called
// for allowed decisions only: none gives originator, as the policy allows an
// originator without a further basis).
Conveyance conveyance_of(Basis basis) noexcept;

struct Decision {
    bool allowed = false;
    ErrorCode code = ErrorCode::denied;  // when refused
    std::string reason;                  // the rule that decided, for the audit trail
    Basis basis = Basis::none;           // when allowed: the authority it rests on

    static Decision allow(std::string reason, Basis basis = Basis::none) {
        return {true, ErrorCode::denied, std::move(reason), basis};
    }
    static Decision refuse(ErrorCode code, std::string reason) {
        return {false, code, std::move(reason), Basis::none};
    }
};

// accounts_exist matters only to bootstrap.
Decision authorize(const Requirement& requirement, const Subject& subject, bool accounts_exist);

}  // namespace strongroom::policy
