// What the schedules make due in a scratch store (DESIGN §2 rules 9 and 10):
// destruction after the period, legal holds and outstanding copies blocking
// disposal, a batch taking at most its limit, and the pages of what is due.
#include "daemon/retention/due.hpp"

#include <set>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "daemon/store/copies.hpp"
#include "daemon/store/disposal.hpp"
#include "daemon/store/records.hpp"
#include "daemon/store/retention.hpp"
#include "tests/unit/retention/scratch.hpp"

namespace strongroom::retention {
namespace {

using test::kDay;
using test::kNow;
using test::Scratch;

std::set<std::int64_t> ids(const std::vector<DueRecord>& due) {
    std::set<std::int64_t> out;
    for (const auto& d : due) {
        out.insert(d.id);
    }
    return out;
}

TEST(Due, RawDataIsDueForDestructionAYearAfterItsDateAndProductsNever) {  // rule 9
    Scratch s;
    const auto old = s.record("raw-data", kNow - 400 * kDay);
    s.record("raw-data", kNow - 100 * kDay);
    s.record("intelligence-product", kNow - 4000 * kDay);
    const auto due = due_for(s.conn, kNow, Action::destroy);
    EXPECT_EQ(ids(due), std::set<std::int64_t>{old});
    ASSERT_FALSE(due.empty());
    EXPECT_FALSE(due[0].why.empty());
    EXPECT_EQ(describe(to_schedule(*store::RetentionRepository(s.conn).schedule("raw-data"))),
              "destroy 1y after cut-off");
}

TEST(Due, ProductsAreDueForTransferAtTheHalfYearAndNotForDestruction) {  // rule 9
    Scratch s;
    const auto product = s.record("intelligence-product", kNow - 400 * kDay);
    EXPECT_EQ(ids(due_for(s.conn, kNow, Action::transfer)), std::set<std::int64_t>{product});
    EXPECT_TRUE(due_for(s.conn, kNow, Action::destroy).empty());
}

TEST(Due, AHoldOrAnOutstandingCopyBlocksDisposalAndABatchTakesItsLimit) {  // rules 9 and 10
    Scratch s;
    const auto held = s.record("raw-data", kNow - 500 * kDay);
    const auto copied = s.record("raw-data", kNow - 490 * kDay);
    const auto a = s.record("raw-data", kNow - 480 * kDay);
    const auto b = s.record("raw-data", kNow - 470 * kDay);
    s.hold("INQUIRY-7", {held});
    store::CopyRow c;
    c.record_id = copied;
    c.number = 1;
    c.holder = s.first;
    c.purpose = "brief";
    c.issued_at = kNow - kDay;
    c.fingerprint = 77;
    store::CopyRepository(s.conn).insert(c);

    const auto choice = choose_due(s.conn, kNow, Action::destroy, BatchKind::destroy, 1);
    ASSERT_EQ(choice.rows.size(), 1U);
    EXPECT_EQ(choice.rows[0].id, a);
    EXPECT_EQ(choice.left, 1U);
    ASSERT_EQ(choice.blockers.size(), 2U);
    EXPECT_EQ(choice.blockers[0].record, held);
    EXPECT_EQ(choice.blockers[0].reason,
              fmt::format("record {} is under legal hold INQUIRY-7", held));
    EXPECT_EQ(choice.blockers[1].reason, fmt::format("record {} has 1 outstanding copy", copied));

    // A record already in an open batch of the kind is not taken twice.
    store::DisposalRepository batches(s.conn);
    const auto batch =
        batches.insert(BatchKind::destroy, BatchState::proposed, kNow, s.first, kNow);
    batches.add_record(batch, a, "due");
    const auto again = choose_due(s.conn, kNow, Action::destroy, BatchKind::destroy, 10);
    ASSERT_EQ(again.rows.size(), 1U);
    EXPECT_EQ(again.rows[0].id, b);
    EXPECT_EQ(again.blockers.size(), 3U);
}

TEST(Due, AHoldOnATypeHoldsEveryRecordOfIt) {  // rule 9
    Scratch s;
    s.record("raw-data", kNow - 500 * kDay);
    s.record("raw-data", kNow - 450 * kDay);
    s.hold("ALL-RAW", {}, "raw-data");
    const auto page = compute_due(s.conn, kNow, std::nullopt, 10);
    ASSERT_EQ(page.types.size(), 1U);
    EXPECT_EQ(page.types[0].disposal, 2);
    EXPECT_EQ(page.types[0].on_hold, 2);
    EXPECT_TRUE(page.types[0].destroys);
    ASSERT_EQ(page.items.size(), 2U);
    EXPECT_EQ(page.items[0].holds, std::vector<std::string>{"ALL-RAW"});
    EXPECT_TRUE(choose_due(s.conn, kNow, Action::destroy, BatchKind::destroy, 10).rows.empty());
}

TEST(Due, PagesFollowedByTheirCursorsListEveryDueRecordOnce) {
    Scratch s;
    std::set<std::int64_t> expected;
    for (int i = 0; i < 5; ++i) {
        expected.insert(s.record("raw-data", kNow - (400 + i) * kDay));
    }
    s.record("raw-data", kNow - 10 * kDay);  // not due
    s.record("unscheduled-type", kNow - 900 * kDay);
    std::set<std::int64_t> seen;
    std::optional<DueCursor> cursor;
    int pages = 0;
    do {
        const auto page = compute_due(s.conn, kNow, cursor, 2);
        ASSERT_EQ(page.unscheduled.size(), 1U);
        EXPECT_EQ(page.unscheduled[0].type, "unscheduled-type");
        EXPECT_LE(page.items.size(), 2U);
        for (const auto& item : page.items) {
            EXPECT_TRUE(seen.insert(item.record).second) << "record listed twice";
            EXPECT_EQ(item.action, Action::destroy);
            EXPECT_TRUE(item.overdue);
        }
        cursor = page.next;
        if (cursor) {
            // What the tool is given back reads as the same cursor.
            const auto again = parse_cursor(to_text(*cursor));
            ASSERT_TRUE(again);
            EXPECT_EQ(again->type, cursor->type);
            EXPECT_EQ(again->dated, cursor->dated);
            EXPECT_EQ(again->id, cursor->id);
        }
        ASSERT_LT(++pages, 10);
    } while (cursor);
    EXPECT_EQ(seen, expected);
    EXPECT_EQ(pages, 3);
}

TEST(Due, ACursorThatIsNotOneIsRefused) {
    for (const char* bad : {"", "raw-data", "raw-data/12", "raw-data/x/1", "raw-data/1/2z",
                            "a/99999999999999999999/1"}) {
        EXPECT_FALSE(parse_cursor(bad)) << bad;
    }
    EXPECT_TRUE(parse_cursor("raw-data/-5/3"));
}

}  // namespace
}  // namespace strongroom::retention
