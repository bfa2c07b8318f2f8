// Release outside the mission (DESIGN §2 rules 6 and 11) against a scratch
// store: what a request must carry, who approves it (never the requester,
// and only one who may read the record), and the released copy.
#include "daemon/registry/releases.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "daemon/store/copies.hpp"
#include "daemon/store/matrix.hpp"
#include "daemon/store/records.hpp"
#include "tests/unit/registry/fixture.hpp"

namespace strongroom::registry {
namespace {

using namespace test;  // the scratch registry and its constants

struct Mission : Registry {
    Mission() { add_head_of_mission(); }

    ReleaseRequest to_unct(std::int64_t record, std::int64_t by) {
        return {.record = record,
                .entity = "UNCT",
                .entity_kind = "un",
                .justification = "protection of civilians",
                .arrangement = "MOU-8",
                .hrddp = "",
                .by = by,
                .at = kNow};
    }
};

TEST(Releases, ARequestNeedsItsJustificationArrangementAndForASecurityForceItsDueDiligence) {
    Mission m;  // rule 6
    const auto id = m.record(m.ana, kConfidential, {m.jmac});
    std::string why;
    auto q = m.to_unct(id, m.ana);
    q.justification = "";
    EXPECT_EQ(request_release(m.conn, q, why).error().code, ErrorCode::bad_request);
    q = m.to_unct(id, m.ana);
    q.arrangement = " ";
    EXPECT_EQ(request_release(m.conn, q, why).error().code, ErrorCode::bad_request);
    q = m.to_unct(id, m.ana);
    q.entity_kind = "security-force";
    const auto refused = request_release(m.conn, q, why);
    ASSERT_FALSE(refused);
    EXPECT_NE(why.find("release refused"), std::string::npos) << why;
    q.hrddp = "HRDDP-2026-3";
    EXPECT_TRUE(request_release(m.conn, q, why));
    // Text that would forge a field of the released copy's marking.
    q = m.to_unct(id, m.ana);
    q.entity = "UNCT | copy 9";
    EXPECT_NE(request_release(m.conn, q, why).error().message.find("contains '|'"),
              std::string::npos);
    EXPECT_EQ(store::ReleaseRepository(m.conn).of_record(id).size(), 1U);
}

TEST(Releases, TheApproversPostReceivesTheRecordForReviewAndIsNamed) {  // rules 6 and 7
    Mission m;
    const auto id = m.record(m.ana, kConfidential, {m.jmac});
    std::string why;
    const auto q = request_release(m.conn, m.to_unct(id, m.ana), why);
    ASSERT_TRUE(q) << q.error().message;
    ASSERT_EQ(q->approvers.size(), 1U);
    EXPECT_EQ(q->approvers[0].account, "hom");
    EXPECT_EQ(q->approvers[0].authority, "head-of-mission");
    EXPECT_EQ(q->review_posts, std::vector<std::string>{"head-of-mission"});
    const auto given = store::RecordRepository(m.conn).disseminations(id);
    ASSERT_EQ(given.size(), 1U);
    EXPECT_EQ(given[0].authority, Conveyance::release_review);
    EXPECT_EQ(given[0].reference, fmt::format("release {}", q->release.id));
    EXPECT_EQ(q->release.state, "requested");
}

TEST(Releases, TheRequesterNeverApprovesTheirOwnRequest) {  // rule 11
    Mission m;
    // The head of mission requests: nobody else could approve it.
    const auto mine = m.record(m.hom, kConfidential, {m.jmac});
    std::string why;
    const auto none = request_release(m.conn, m.to_unct(mine, m.hom), why);
    ASSERT_FALSE(none);
    EXPECT_EQ(none.error().code, ErrorCode::conflict);
    EXPECT_NE(none.error().message.find("no holder other than the requester"), std::string::npos)
        << none.error().message;

    // With a delegate, the head of mission's request waits for the delegate.
    ASSERT_TRUE(
        delegate_release(m.conn, "jmac-analyst", "DEL-R-1", std::nullopt, m.hom, kNow - 5, why));
    const auto q = request_release(m.conn, m.to_unct(mine, m.hom), why);
    ASSERT_TRUE(q) << q.error().message;
    std::string object;
    const auto own = approve_release(m.conn, q->release.id, m.hom, kNow, object, why);
    ASSERT_FALSE(own);
    EXPECT_EQ(own.error().code, ErrorCode::conflict);
    EXPECT_EQ(object, fmt::format("release:{} record:{}", q->release.id, mine));
    const auto approved = approve_release(m.conn, q->release.id, m.ana, kNow, object, why);
    ASSERT_TRUE(approved) << approved.error().message;
    EXPECT_EQ(approved->state, "approved");
    EXPECT_EQ(approved->authority, "delegation");
    EXPECT_EQ(approved->reference, "DEL-R-1");
    EXPECT_EQ(approved->approved_by, m.ana);
    // Once.
    EXPECT_EQ(approve_release(m.conn, q->release.id, m.ana, kNow, object, why).error().code,
              ErrorCode::conflict);
}

TEST(Releases, ToAnyoneWhoMayNotApproveItTheRequestDoesNotExist) {  // rule 6
    Mission m;
    const auto id = m.record(m.ana, kConfidential, {m.jmac});
    std::string why;
    const auto q = request_release(m.conn, m.to_unct(id, m.ana), why);
    ASSERT_TRUE(q);
    std::string object;
    const auto refused = approve_release(m.conn, q->release.id, m.ben, kNow, object, why);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().message, no_request(q->release.id).message);
    EXPECT_EQ(approve_release(m.conn, q->release.id + 7, m.ben, kNow, object, why).error().message,
              no_request(q->release.id + 7).message);
    // Only the head of mission delegates release approval.
    EXPECT_EQ(
        delegate_release(m.conn, "liaison", "DEL-2", std::nullopt, m.ana, kNow, why).error().code,
        ErrorCode::denied);
    EXPECT_EQ(why, "not the head of mission");
}

TEST(Releases, TheRequesterIssuesTheApprovedReleaseOnceAsAReleasedCopy) {  // rules 6 and 8
    Mission m;
    const auto id = m.record(m.ana, kConfidential, {m.jmac}, 1);
    std::string why;
    std::string object;
    const auto q = request_release(m.conn, m.to_unct(id, m.ana), why);
    ASSERT_TRUE(q);
    const auto rq = q->release.id;
    EXPECT_EQ(release_to_issue(m.conn, rq, m.ana, kNow, object, why).error().message,
              fmt::format("release {} is not approved yet", rq));
    ASSERT_TRUE(approve_release(m.conn, rq, m.hom, kNow, object, why));
    EXPECT_EQ(release_to_issue(m.conn, rq, m.hom, kNow, object, why).error().code,
              ErrorCode::denied)
        << "someone other than the requester issued it";
    // A copy outstanding at the limit does not hold back an approved release.
    CopyRequest ordinary;
    ordinary.holder = m.ana;
    ordinary.holder_name = "ana";
    ordinary.at = kNow;
    ASSERT_TRUE(issue_copy(m.conn, m.row(id), ordinary, why));
    const auto ready = release_to_issue(m.conn, rq, m.ana, kNow, object, why);
    ASSERT_TRUE(ready) << ready.error().message;
    const auto copy = issue_release(m.conn, *ready, "ana", kNow, why);
    ASSERT_TRUE(copy) << copy.error().message;
    EXPECT_NE(copy->marking.find("RELEASED TO UNCT UNDER MOU-8"), std::string::npos);
    const auto row = store::CopyRepository(m.conn).find(id, copy->number);
    EXPECT_EQ(row->state, "released");
    EXPECT_EQ(row->release_id, rq);
    EXPECT_EQ(store::ReleaseRepository(m.conn).find(rq)->state, "issued");
    EXPECT_TRUE(why.ends_with(fmt::format("; released to UNCT under MOU-8 (release {})", rq)))
        << why;
    EXPECT_EQ(release_to_issue(m.conn, rq, m.ana, kNow, object, why).error().message,
              fmt::format("release {} has already been issued", rq));
}

TEST(Releases, EveryoneSeesTheirOwnRequestsAndApproversThoseWaiting) {
    Mission m;
    const auto id = m.record(m.ana, kConfidential, {m.jmac});
    std::string why;
    ASSERT_TRUE(request_release(m.conn, m.to_unct(id, m.ana), why));
    EXPECT_EQ(visible_releases(m.conn, m.ana, kNow).releases.size(), 1U);
    EXPECT_FALSE(visible_releases(m.conn, m.ana, kNow).approver);
    const auto hom = visible_releases(m.conn, m.hom, kNow);
    EXPECT_TRUE(hom.approver);
    EXPECT_EQ(hom.releases.size(), 1U);
    EXPECT_TRUE(visible_releases(m.conn, m.ben, kNow).releases.empty());
}

}  // namespace
}  // namespace strongroom::registry
