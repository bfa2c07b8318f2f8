// Disposal batches against a scratch store (DESIGN §2 rules 10 and 11): a
// second registrar approves, never the proposer nor one who gained the role
// after the proposal; a hold placed after approval stops the batch; disposal
// leaves nothing of a record's content or text to read back.
#include "daemon/retention/disposal.hpp"

#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "daemon/store/records.hpp"
#include "daemon/store/retention.hpp"
#include "tests/unit/retention/scratch.hpp"

namespace strongroom::retention {
namespace {

using test::kNow;
using test::Scratch;

TEST(Disposal, TheProposerNeverApprovesTheirOwnBatch) {  // rule 11
    Scratch s;
    const auto batch = s.proposed(s.record("raw-data", 10), s.first, kNow);
    std::string why;
    const auto own = approve_disposal(s.conn, batch, s.first, s.approver(s.first), kNow, why);
    ASSERT_FALSE(own);
    EXPECT_EQ(own.error().code, ErrorCode::conflict);
    EXPECT_NE(own.error().message.find("two-person rule"), std::string::npos);
    const auto ok = approve_disposal(s.conn, batch, s.second, s.approver(s.second), kNow, why);
    ASSERT_TRUE(ok) << ok.error().message;
    EXPECT_EQ(ok->batch.state, BatchState::approved);
    EXPECT_EQ(ok->records, 1U);
    EXPECT_EQ(why, "approved the destruction of 1 records");
    EXPECT_EQ(store::DisposalRepository(s.conn).find(batch)->state, BatchState::approved);
    EXPECT_EQ(
        approve_disposal(s.conn, batch, s.second, s.approver(s.second), kNow, why).error().code,
        ErrorCode::conflict)
        << "approved twice";
}

TEST(Disposal, ARegistrarWhoGainedTheRoleAfterTheProposalDoesNotCount) {  // rule 11
    Scratch s;
    const auto batch = s.proposed(s.record("raw-data", 10), s.first, kNow - 100);
    const auto late = s.registrar("late", 5003, kNow);  // a second account made since
    std::string why;
    const auto refused = approve_disposal(s.conn, batch, late, s.approver(late), kNow, why);
    ASSERT_FALSE(refused);
    EXPECT_NE(why.find("was given the registrar role after change"), std::string::npos) << why;
    EXPECT_EQ(store::DisposalRepository(s.conn).find(batch)->state, BatchState::proposed);
    EXPECT_EQ(find_batch(s.conn, batch, BatchKind::transfer).error().message,
              fmt::format("no transfer batch {}", batch));
}

TEST(Disposal, AHoldPlacedAfterApprovalStopsTheBatch) {  // rules 9 and 10
    Scratch s;
    const auto id = s.record("raw-data", 10);
    const auto batch = s.proposed(id, s.first, kNow);
    std::string why;
    ASSERT_TRUE(approve_disposal(s.conn, batch, s.second, s.approver(s.second), kNow, why));
    s.hold("BOARD-3", {id});
    const auto members = members_now(s.conn, batch);
    ASSERT_TRUE(members);
    EXPECT_EQ(members->blocked, fmt::format("record {} is under legal hold BOARD-3", id));
}

TEST(Disposal, NothingOfADisposedRecordsContentOrTextRemains) {  // rule 10
    Scratch s;
    const auto id = s.record("raw-data", 10, "convoy leaves at dawn from the northern gate");
    store::RecordRepository records(s.conn);
    ASSERT_EQ(records.search("northern", INT64_MAX, 10), std::vector<std::int64_t>{id});
    const auto batch = s.proposed(id, s.first, kNow);
    const auto members = members_now(s.conn, batch);
    ASSERT_TRUE(members);
    ASSERT_FALSE(members->blocked);
    const auto lines =
        dispose_records(s.conn, s.vault, batch, members->rows, RecordState::destroyed, kNow);
    ASSERT_TRUE(lines) << lines.error().message;
    EXPECT_TRUE(lines->starts_with(fmt::format("record: {} | no registry number | ", id)))
        << *lines;
    EXPECT_NE(lines->find("| copies: none\n"), std::string::npos) << *lines;
    EXPECT_FALSE(records.key(id)) << "the record key survived";
    EXPECT_FALSE(records.chunk(id, 0)) << "the content survived";
    EXPECT_TRUE(records.search("northern", INT64_MAX, 10).empty()) << "the text is still found";
    const auto row = records.find(id);
    ASSERT_TRUE(row);
    EXPECT_EQ(row->state, RecordState::destroyed);
    // Done once: the record is no longer one a batch may dispose of.
    const auto again = members_now(s.conn, batch);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->blocked, fmt::format("record {} was destroyed", id));
}

}  // namespace
}  // namespace strongroom::retention
