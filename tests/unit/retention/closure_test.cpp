// Mission closure against a scratch store (DESIGN §2 rules 9-11): what it
// transfers and destroys, what blocks it, the second registrar, and that it
// completes only with the archives' receipt and nothing held outside it.
#include "daemon/retention/closure.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "daemon/store/disposal.hpp"
#include "tests/unit/retention/scratch.hpp"

namespace strongroom::retention {
namespace {

using test::kDay;
using test::kNow;
using test::Scratch;

// A closure as the service files it: its batches made from the plan.
std::int64_t prepare(Scratch& s, const ClosurePlan& plan) {
    store::DisposalRepository repo(s.conn);
    std::optional<std::int64_t> transfer;
    if (!plan.permanent.empty()) {
        transfer = repo.insert(BatchKind::transfer, BatchState::prepared, kNow, s.first, kNow);
        for (const auto& r : plan.permanent) {
            repo.add_record(*transfer, r.id, "permanent");
        }
    }
    std::optional<std::int64_t> disposal;
    if (!plan.rest.empty()) {
        disposal = repo.insert(BatchKind::destroy, BatchState::proposed, kNow, s.first, kNow);
        for (const auto& r : plan.rest) {
            repo.add_record(*disposal, r.id, "closure");
        }
    }
    return repo.insert_closure(transfer, disposal, s.first, kNow);
}

TEST(Closure, PermanentRecordsGoToTheArchivesAndEverythingElseIsDestroyed) {  // rule 9
    Scratch s;
    const auto product = s.record("intelligence-product", kNow - 10 * kDay);
    const auto raw = s.record("raw-data", kNow - 10 * kDay);  // not yet due: destroyed all the same
    const auto other = s.record("unscheduled", kNow - 10 * kDay);
    std::string why;
    const auto plan = plan_closure(s.conn, why);
    ASSERT_TRUE(plan) << plan.error().message;
    ASSERT_EQ(plan->permanent.size(), 1U);
    EXPECT_EQ(plan->permanent[0].id, product);
    EXPECT_EQ(plan->why_permanent[0],
              "intelligence-product: permanent, transferred at mission closure");
    ASSERT_EQ(plan->rest.size(), 2U);
    EXPECT_EQ(plan->rest[0].id, raw);
    EXPECT_EQ(plan->rest[1].id, other);
}

TEST(Closure, AHeldRecordThatMayNotBeDisposedOfBlocksIt) {  // rules 9 and 10
    Scratch s;
    const auto a = s.record("raw-data", kNow);
    const auto b = s.record("raw-data", kNow);
    s.hold("BOARD-3", {a, b});
    std::string why;
    const auto refused = plan_closure(s.conn, why);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, ErrorCode::conflict);
    EXPECT_EQ(refused.error().message,
              fmt::format("the mission cannot be closed yet: record {} is under legal hold "
                          "BOARD-3 (and 1 more)",
                          a));
    EXPECT_EQ(why, "2 records block the closure");
}

TEST(Closure, ASecondRegistrarApprovesAndOnlyOnce) {  // rule 11
    Scratch s;
    s.record("raw-data", kNow);
    std::string why;
    const auto id = prepare(s, *plan_closure(s.conn, why));
    EXPECT_EQ(plan_closure(s.conn, why).error().message,
              fmt::format("closure {} is already prepared", id));
    const auto own = approve_closure(s.conn, id, s.first, s.approver(s.first), kNow, why);
    ASSERT_FALSE(own);
    EXPECT_EQ(own.error().message,
              fmt::format("you prepared closure {} yourself; a different registrar must approve "
                          "it (two-person rule)",
                          id));
    EXPECT_EQ(closure_to_complete(s.conn, id, std::nullopt).error().code, ErrorCode::conflict)
        << "completed before approval";
    const auto ok = approve_closure(s.conn, id, s.second, s.approver(s.second), kNow, why);
    ASSERT_TRUE(ok) << ok.error().message;
    EXPECT_EQ(ok->approved_by, s.second);
    EXPECT_EQ(store::DisposalRepository(s.conn).find(*ok->disposal_batch)->state,
              BatchState::approved)
        << "the closure's disposal batch was not approved with it";
    EXPECT_EQ(
        approve_closure(s.conn, id, s.second, s.approver(s.second), kNow, why).error().message,
        fmt::format("closure {} is already approved", id));
    EXPECT_TRUE(closure_to_complete(s.conn, id, std::nullopt));
}

TEST(Closure, ItCompletesOnlyWithTheReceiptAndNothingEnteredSince) {  // rule 9
    Scratch s;
    s.record("intelligence-product", kNow);
    std::string why;
    const auto id = prepare(s, *plan_closure(s.conn, why));
    ASSERT_TRUE(approve_closure(s.conn, id, s.second, s.approver(s.second), kNow, why));
    EXPECT_EQ(closure_to_complete(s.conn, id, std::nullopt).error().code, ErrorCode::bad_request);
    EXPECT_EQ(closure_to_complete(s.conn, id, std::string()).error().code, ErrorCode::bad_request);
    EXPECT_TRUE(closure_to_complete(s.conn, id, std::string("ARCH-2026-1")));
    s.record("raw-data", kNow);  // entered after the closure was prepared
    const auto refused = closure_to_complete(s.conn, id, std::string("ARCH-2026-1"));
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().message,
              fmt::format("1 records entered since closure {} was prepared; they are not in its "
                          "batches",
                          id));
    EXPECT_EQ(find_closure(s.conn, id + 1).error().message, fmt::format("no closure {}", id + 1));
}

}  // namespace
}  // namespace strongroom::retention
