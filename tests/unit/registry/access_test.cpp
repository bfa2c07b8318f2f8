// Who may read what, decided from the store (DESIGN §2 rules 1-3 and 11):
// the clearance an account holds through its posts, a record's label and
// its receipts, against a scratch store.
#include "daemon/registry/access.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "daemon/policy/roles.hpp"
#include "daemon/store/matrix.hpp"
#include "daemon/store/records.hpp"
#include "tests/unit/registry/fixture.hpp"

namespace strongroom::registry {
namespace {

using namespace test;  // the scratch registry and its constants

bool reads(Registry& r, std::int64_t account, std::int64_t record) {
    return check_read(r.conn, record, clearance_from_db(r.conn, account, kNow)).decision.allowed;
}

TEST(Access, UnclassifiedIsReadByEveryActiveAccountWithoutAPost) {  // rule 1
    Registry r;
    const auto open = r.record(r.ana, policy::kUnclassified);
    EXPECT_TRUE(reads(r, r.ben, open));
    EXPECT_TRUE(reads(r, r.reg, open));
}

TEST(Access, ClearanceComesFromPostsAndEndsWithTheAssignment) {  // rule 2
    Registry r;
    auto c = clearance_from_db(r.conn, r.ana, kNow);
    ASSERT_EQ(c.posts.size(), 1U);
    EXPECT_EQ(c.posts[0].id, r.analysts);
    ASSERT_EQ(c.posts[0].grants.size(), 1U);
    EXPECT_EQ(c.posts[0].grants[0], std::make_pair(r.jmac, kStrictly));
    const auto mine = r.record(r.ana, kStrictly, {r.jmac});
    EXPECT_TRUE(reads(r, r.ana, mine));

    store::MatrixRepository m(r.conn);
    const auto a = m.assignments_in_force(r.ana, kNow);
    ASSERT_EQ(a.size(), 1U);
    m.end_assignment(a[0].id, kNow - 1, r.off);
    EXPECT_TRUE(clearance_from_db(r.conn, r.ana, kNow).posts.empty());
    EXPECT_FALSE(reads(r, r.ana, mine)) << "clearance outlived the assignment";
    // The cached directory decides the same.
    const auto dir = load_directory(r.conn, kNow);
    EXPECT_TRUE(clearance_of(dir, r.ana, kNow).posts.empty());
}

TEST(Access, AClassifiedRecordNeedsEligibilityAndReceipt) {  // rule 3
    Registry r;
    const auto colleague = r.second_analyst();
    const auto theirs = r.record(colleague, kConfidential, {r.jmac});
    // Eligible, but it was not disseminated to the post: refused.
    const auto before = check_read(r.conn, theirs, clearance_from_db(r.conn, r.ana, kNow));
    EXPECT_FALSE(before.decision.allowed);
    ASSERT_TRUE(before.record);
    // Disseminated to the post: read.
    r.disseminate_to_post(theirs, r.analysts);
    EXPECT_TRUE(reads(r, r.ana, theirs));
    // Disseminated to a post not eligible for the compartment: still refused.
    r.disseminate_to_post(theirs, r.liaison);
    EXPECT_FALSE(reads(r, r.ben, theirs));
    // An uncompartmented record needs only the post's own level.
    const auto plain = r.record(colleague, kConfidential);
    r.disseminate_to_post(plain, r.liaison);
    EXPECT_TRUE(reads(r, r.ben, plain));
    const auto higher = r.record(colleague, kStrictly);
    r.disseminate_to_post(higher, r.liaison);
    EXPECT_FALSE(reads(r, r.ben, higher)) << "a confidential post read strictly confidential";
}

TEST(Access, ARecordNoLongerHeldIsNotFoundForAnyone) {
    Registry r;
    const auto id = r.record(r.ana, kConfidential, {r.jmac});
    store::RecordRepository(r.conn).dispose(id, RecordState::destroyed, std::nullopt, kNow);
    const auto c = check_read(r.conn, id, clearance_from_db(r.conn, r.ana, kNow));
    EXPECT_FALSE(c.decision.allowed);
    EXPECT_FALSE(c.record);
    EXPECT_EQ(c.decision.code, ErrorCode::not_found);
    // What the caller is told is the answer for a record that never existed.
    EXPECT_EQ(no_record(id).code, ErrorCode::not_found);
    EXPECT_EQ(no_record(id).message, fmt::format("no record {} (or you may not see it)", id));
}

TEST(Access, AProductReceivedFromOutsideHasNoOriginatorInside) {  // rule 4
    Registry r;
    auto row = r.row(r.record(r.reg, kConfidential));
    EXPECT_EQ(label_of(row).originator, r.reg);
    row.origin = "UNMISS";
    EXPECT_EQ(label_of(row).originator, 0) << "the registrar who registered it became originator";
    const auto named = named_label_of(r.conn, r.row(r.record(r.ana, kStrictly, {r.jmac})));
    ASSERT_EQ(named.compartment_names.size(), 1U);
    EXPECT_EQ(named.compartment_names[0], "JMAC");
}

TEST(Access, AnOfficerOrAuditorHoldsNoPostWhateverTheAssignments) {  // rule 11
    Registry r;
    auto dir = load_directory(r.conn, kNow);
    // As an older store might still have it: an officer assigned to a post.
    store::AssignmentRow stale;
    stale.id = 99;
    stale.post_id = r.analysts;
    stale.account_id = r.off;
    stale.since = 1;
    dir.assignments.push_back(stale);
    std::sort(dir.assignments.begin(), dir.assignments.end(),
              [](const auto& a, const auto& b) { return a.account_id < b.account_id; });
    EXPECT_TRUE(clearance_of(dir, r.off, kNow).posts.empty());
    EXPECT_FALSE(clearance_of(dir, r.ana, kNow).posts.empty());
}

TEST(Access, ReceiptIsInPersonThroughAPostOrUnderMustShare) {
    Registry r;
    const auto reader = clearance_from_db(r.conn, r.ana, kNow);
    std::vector<store::DisseminationRow> rows(3);
    rows[0].recipient = Recipient::account(r.ana);
    rows[1].recipient = Recipient::post(r.analysts);
    rows[2].recipient = Recipient::post(r.analysts);
    rows[2].authority = Conveyance::must_share;
    const auto rc = receipt_of(rows, reader);
    EXPECT_TRUE(rc.in_person);
    EXPECT_EQ(rc.posts, std::vector<std::int64_t>{r.analysts});
    EXPECT_EQ(rc.must_share_posts, std::vector<std::int64_t>{r.analysts});
    EXPECT_FALSE(receipt_of(rows, clearance_from_db(r.conn, r.ben, kNow)).in_person);
}

}  // namespace
}  // namespace strongroom::registry
