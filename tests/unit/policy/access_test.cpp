// Unit tests of authorize(): every requirement against every kind of caller,
// compared with a reference written here as a truth table, plus the reasons
// given for the audit trail.
#include "daemon/policy/access.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace strongroom::policy {
namespace {

using ::testing::HasSubstr;

constexpr RoleSet kOfficer = 1;
constexpr RoleSet kRegistrar = 2;
constexpr RoleSet kAuditor = 4;
constexpr RoleSet kAllRoles = kOfficer | kRegistrar | kAuditor;

// One caller: a uid and maybe an account.
struct Caller {
    std::uint32_t uid = 0;
    bool has_account = false;
    RoleSet roles = 0;
    bool suspended = false;
};

// What the rules (DESIGN: who may call an operation) say should happen,
// stated independently of access.cpp: the conditions for allowing, then the
// code of a refusal.
struct Expected {
    bool allowed;
    ErrorCode code;  // meaningful only when refused
};

Expected reference(Requirement::Kind kind, RoleSet required, const Caller& c, bool accounts_exist) {
    const bool root = c.uid == 0;
    const bool active = c.has_account && !c.suspended;
    const bool holds_a_required_role = (c.roles & required) != 0;
    bool allowed = false;
    switch (kind) {
        case Requirement::Kind::bootstrap:
            // Roles, accounts and suspension play no part: only root, only before any account.
            allowed = root && !accounts_exist;
            break;
        case Requirement::Kind::any_account:
            allowed = active;
            break;
        case Requirement::Kind::any_role:
            allowed = active && holds_a_required_role;
            break;
        case Requirement::Kind::any_role_or_root:
            // Role holders as above, or root with no account at all (bootstrap approval).
            allowed = (active && holds_a_required_role) || (root && !c.has_account);
            break;
    }
    if (allowed) {
        return {true, ErrorCode::denied};
    }
    // The only refusal by state is a second bootstrap by root.
    const bool state = kind == Requirement::Kind::bootstrap && root && accounts_exist;
    return {false, state ? ErrorCode::conflict : ErrorCode::denied};
}

const char* kind_name(Requirement::Kind kind) {
    switch (kind) {
        case Requirement::Kind::bootstrap:
            return "bootstrap";
        case Requirement::Kind::any_account:
            return "any_account";
        case Requirement::Kind::any_role:
            return "any_role";
        case Requirement::Kind::any_role_or_root:
            return "any_role_or_root";
    }
    return "?";
}

Subject subject_of(const Caller& c) {
    Subject s;
    s.uid = c.uid;
    if (c.has_account) {
        Account a;
        a.id = 12;
        a.name = "alice";
        a.roles = c.roles;
        a.suspended = c.suspended;
        s.account = a;
    }
    return s;
}

// Every caller: no account, or an account with each subset of roles, active or suspended; as uid 0
// or not.
std::vector<Caller> every_caller() {
    std::vector<Caller> out;
    for (std::uint32_t uid : {0U, 61001U}) {
        out.push_back(Caller{uid, false, 0, false});
        for (RoleSet roles = 0; roles <= kAllRoles; ++roles) {
            for (bool suspended : {false, true}) {
                out.push_back(Caller{uid, true, roles, suspended});
            }
        }
    }
    return out;
}

TEST(Authorize, MatchesTheReferenceForEveryCombination) {
    // Verifies authorize() against the reference for every kind x required roles x caller x
    // accounts_exist.
    const auto callers = every_caller();
    ASSERT_EQ(callers.size(), 34U);
    int checked = 0;
    int allowed = 0;
    for (auto kind : {Requirement::Kind::bootstrap, Requirement::Kind::any_account,
                      Requirement::Kind::any_role, Requirement::Kind::any_role_or_root}) {
        for (RoleSet required = 0; required <= kAllRoles; ++required) {
            const Requirement req{kind, required};
            for (const Caller& c : callers) {
                for (bool accounts_exist : {false, true}) {
                    const Expected want = reference(kind, required, c, accounts_exist);
                    const Decision got = authorize(req, subject_of(c), accounts_exist);
                    SCOPED_TRACE(testing::Message()
                                 << kind_name(kind) << " roles=" << required << " uid=" << c.uid
                                 << " account=" << c.has_account << " held=" << c.roles
                                 << " suspended=" << c.suspended
                                 << " accounts_exist=" << accounts_exist);
                    EXPECT_EQ(got.allowed, want.allowed) << got.reason;
                    if (!want.allowed) {
                        EXPECT_EQ(got.code, want.code) << got.reason;
                    }
                    EXPECT_FALSE(got.reason.empty());
                    ++checked;
                    allowed += got.allowed ? 1 : 0;
                }
            }
        }
    }
    EXPECT_EQ(checked, 4 * 8 * 34 * 2);
    // Sanity of the table itself: some of each outcome, so the loop is not vacuous.
    EXPECT_GT(allowed, 0);
    EXPECT_LT(allowed, checked);
}

TEST(Authorize, NamedRequirementsBuildTheRightKinds) {
    // Verifies that the Requirement helpers used by the dispatch table build what their names say.
    EXPECT_EQ(Requirement::bootstrap().kind, Requirement::Kind::bootstrap);
    EXPECT_EQ(Requirement::any_account().kind, Requirement::Kind::any_account);
    const auto r = Requirement::one_of(kOfficer | kAuditor);
    EXPECT_EQ(r.kind, Requirement::Kind::any_role);
    EXPECT_EQ(r.roles, kOfficer | kAuditor);
    // A default-constructed requirement allows nobody: any_role with no roles.
    const Requirement none;
    Subject s = subject_of(Caller{0, true, kAllRoles, false});
    EXPECT_FALSE(authorize(none, s, true).allowed);
}

TEST(Authorize, RefusalReasonsSayWhy) {
    // Verifies that each refusal gives the reason an officer would need: the uid, the suspension,
    // the missing role.
    const auto no_account =
        authorize(Requirement::any_account(), subject_of(Caller{61005, false, 0, false}), true);
    EXPECT_THAT(no_account.reason, HasSubstr("uid 61005 has no account"));

    const auto suspended = authorize(Requirement::one_of(kOfficer),
                                     subject_of(Caller{61001, true, kOfficer, true}), true);
    EXPECT_THAT(suspended.reason, HasSubstr("account alice is suspended"));

    const auto missing_role = authorize(Requirement::one_of(kOfficer | kRegistrar),
                                        subject_of(Caller{61001, true, kAuditor, false}), true);
    EXPECT_THAT(missing_role.reason, HasSubstr("officer or registrar"));
    EXPECT_THAT(missing_role.reason, HasSubstr("alice"));

    const auto all_three =
        authorize(Requirement::one_of(kAllRoles), subject_of(Caller{61001, true, 0, false}), true);
    EXPECT_THAT(all_three.reason, HasSubstr("officer, registrar or auditor"));

    const auto not_root =
        authorize(Requirement::bootstrap(), subject_of(Caller{61001, false, 0, false}), false);
    EXPECT_THAT(not_root.reason, HasSubstr("uid 61001"));

    const auto again =
        authorize(Requirement::bootstrap(), subject_of(Caller{0, false, 0, false}), true);
    EXPECT_THAT(again.reason, HasSubstr("already initialised"));
}

TEST(Authorize, AllowReasonsNameTheRuleThatDecided) {
    // Verifies that an allowed decision records which rule (which role) allowed it; the audit
    // entry beside it names the account, so the reason does not repeat it.
    const auto by_role = authorize(Requirement::one_of(kOfficer | kRegistrar),
                                   subject_of(Caller{61001, true, kRegistrar, false}), true);
    ASSERT_TRUE(by_role.allowed);
    EXPECT_EQ(by_role.reason, "role registrar");

    const auto any =
        authorize(Requirement::any_account(), subject_of(Caller{61001, true, 0, false}), true);
    ASSERT_TRUE(any.allowed);
    EXPECT_EQ(any.reason, "active account");

    const auto boot =
        authorize(Requirement::bootstrap(), subject_of(Caller{0, false, 0, false}), false);
    ASSERT_TRUE(boot.allowed);
    EXPECT_THAT(boot.reason, HasSubstr("uid 0"));
}

TEST(Authorize, RootHasNoPowersBeyondBootstrap) {
    // Verifies that uid 0 without an account is refused everything but bootstrap, like any unknown
    // uid.
    const Subject root = subject_of(Caller{0, false, 0, false});
    EXPECT_FALSE(authorize(Requirement::any_account(), root, true).allowed);
    EXPECT_FALSE(authorize(Requirement::one_of(kAllRoles), root, true).allowed);
    EXPECT_FALSE(authorize(Requirement::any_account(), root, false).allowed);
}

}  // namespace
}  // namespace strongroom::policy
