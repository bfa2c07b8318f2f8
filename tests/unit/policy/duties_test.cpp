// Unit tests of separation of duties and the two-person rule
// (policy/duties.hpp): every combination of roles against holding a post,
// and may_approve against a reference over every kind of approver, timing
// and bootstrap state, plus the clearance decisions for oversight roles.
#include "daemon/policy/duties.hpp"

#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "daemon/policy/clearance.hpp"

namespace strongroom::policy {
namespace {

constexpr RoleSet kOfficer = 1;
constexpr RoleSet kRegistrar = 2;
constexpr RoleSet kAuditor = 4;

TEST(Duties, OfficersAndAuditorsHoldNoPostWhateverElseTheyHold) {
    // For every set of roles: a post is refused exactly when the officer or auditor role is in
    // it, and the refusal names the rule and the account.
    for (RoleSet roles = 0; roles < 8; ++roles) {
        const bool oversight = (roles & (kOfficer | kAuditor)) != 0;
        const auto d = may_hold_post("alice", roles);
        EXPECT_EQ(d.allowed, !oversight) << roles;
        if (oversight) {
            EXPECT_EQ(d.code, ErrorCode::conflict);
            EXPECT_NE(d.reason.find("separation of duties"), std::string::npos);
            EXPECT_NE(d.reason.find("alice"), std::string::npos);
        }
        for (bool holds : {false, true}) {
            EXPECT_EQ(may_take_roles("alice", roles, holds).allowed, !(oversight && holds))
                << roles << " holds=" << holds;
        }
    }
    EXPECT_TRUE(may_hold_post("clerk", kRegistrar).allowed) << "registry work is not oversight";
}

TEST(Duties, EveryRoleNeedsASecondOfficerAndSoDoesAnOfficersOwnAccountsPost) {
    // Any non-empty role set needs approval; an assignment needs it exactly when the assigning
    // officer created the account.
    EXPECT_FALSE(roles_need_approval(0));
    for (RoleSet roles = 1; roles < 8; ++roles) {
        EXPECT_TRUE(roles_need_approval(roles)) << roles;
    }
    EXPECT_TRUE(assignment_needs_approval(7, 7));
    EXPECT_FALSE(assignment_needs_approval(7, 8));
    EXPECT_FALSE(assignment_needs_approval(7, std::nullopt)) << "made at bootstrap";
}

// The rule stated independently: who may approve a proposal.
bool reference(bool has_account, std::uint32_t uid, RoleSet roles, std::optional<Micros> since,
               std::int64_t id, std::int64_t requester, Micros proposed, Role needed,
               bool bootstrap, std::int64_t officers) {
    if (!has_account) {
        return uid == 0 && bootstrap && officers < 2;
    }
    return (roles & bit(needed)) != 0 && id != requester && since && *since < proposed;
}

TEST(Duties, MayApproveMatchesTheReferenceForEveryKindOfApprover) {
    // Accounts with every role set, given their role before, at or after the proposal (or
    // never), the proposer themselves, and callers without accounts as root or not, with and
    // without a bootstrap proposal and one or two officers.
    int checked = 0;
    int allowed = 0;
    for (bool has_account : {false, true}) {
        for (std::uint32_t uid : {0U, 61001U}) {
            for (RoleSet roles = 0; roles < 8; ++roles) {
                for (std::optional<Micros> since :
                     {std::optional<Micros>{}, std::optional<Micros>{50},
                      std::optional<Micros>{100}, std::optional<Micros>{150}}) {
                    for (std::int64_t id : {3, 4}) {
                        for (Role needed : {Role::officer, Role::registrar}) {
                            for (bool bootstrap : {false, true}) {
                                for (std::int64_t officers : {0, 1, 2}) {
                                    Approver a;
                                    a.uid = uid;
                                    if (has_account) {
                                        a.account = id;
                                    }
                                    a.name = "x";
                                    a.roles = roles;
                                    a.roles_at = since;
                                    Proposal p{9, 3, 100, needed, bootstrap};
                                    const auto got = may_approve(a, p, officers);
                                    const bool want =
                                        reference(has_account, uid, roles, since, id, 3, 100,
                                                  needed, bootstrap, officers);
                                    EXPECT_EQ(got.allowed, want)
                                        << got.reason << " account=" << has_account
                                        << " uid=" << uid << " roles=" << roles << " id=" << id
                                        << " officers=" << officers;
                                    EXPECT_FALSE(got.reason.empty());
                                    ++checked;
                                    allowed += got.allowed ? 1 : 0;
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    EXPECT_EQ(checked, 2 * 2 * 8 * 4 * 2 * 2 * 2 * 3);
    EXPECT_GT(allowed, 0);
    EXPECT_LT(allowed, checked);
}

TEST(Duties, AnApproverGivenTheRoleAfterTheProposalIsToldWhy) {
    // The refusal of a late approver names the change and the rule; self-approval is conflict.
    Approver late{61012, 12, "sock", kOfficer, Micros{200}};
    const auto d = may_approve(late, {5, 1, 100, Role::officer, false}, 3);
    EXPECT_FALSE(d.allowed);
    EXPECT_EQ(d.code, ErrorCode::conflict);
    EXPECT_NE(d.reason.find("sock was given the officer role after change 5 was proposed"),
              std::string::npos)
        << d.reason;
    Approver self{61001, 1, "off1", kOfficer, Micros{10}};
    EXPECT_EQ(may_approve(self, {5, 1, 100, Role::officer, false}, 3).code, ErrorCode::conflict);
}

TEST(Duties, OversightRolesReadAndApproveNothingClassifiedWhateverPostsTheyShow) {
    // An officer or auditor with an eligible post that received the record is still refused;
    // UNCLASSIFIED stays readable; the same clearance without the roles reads it.
    PostClearance post;
    post.id = 1;
    post.name = "chief";
    post.level = kHighestLevel;
    post.authority = Authority::head_of_mission;
    Clearance reader;
    reader.account = 5;
    reader.posts = {post};
    Label label;
    label.level = 1;
    Receipt receipt;
    receipt.posts = {1};
    for (RoleSet roles = 0; roles < 8; ++roles) {
        reader.roles = roles;
        const bool oversight = (roles & (kOfficer | kAuditor)) != 0;
        EXPECT_EQ(may_read(reader, label, receipt).allowed, !oversight) << roles;
        EXPECT_EQ(may_label(reader, label).allowed, !oversight) << roles;
        EXPECT_EQ(may_disseminate(reader, label, {}).allowed, !oversight) << roles;
        EXPECT_EQ(may_approve_release(reader, 9, {}).allowed, !oversight) << roles;
        Label open;
        EXPECT_TRUE(may_read(reader, open, {}).allowed) << roles;
        EXPECT_TRUE(may_label(reader, open).allowed) << roles;
    }
}

}  // namespace
}  // namespace strongroom::policy
