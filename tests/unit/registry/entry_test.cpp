// Entering records (DESIGN §2 rules 2-5 and 7) against a scratch store: a
// label the originator's posts allow, the registry number of a classified
// record, a received product to eligible posts only, must-share to the
// security focal point, and nothing entered once the mission closes.
#include "daemon/registry/entry.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "daemon/registry/access.hpp"
#include "daemon/store/disposal.hpp"
#include "daemon/store/matrix.hpp"
#include "daemon/store/records.hpp"
#include "daemon/store/retention.hpp"
#include "tests/unit/registry/fixture.hpp"

namespace strongroom::registry {
namespace {

using namespace test;  // the scratch registry and its constants

struct Desk : Registry {
    Desk() {
        store::ScheduleRow s;
        s.type = "intelligence-product";
        s.disposition = "permanent";
        s.transfer = true;
        store::RetentionRepository(conn).put_schedule(s);
    }

    Entry entry(policy::Level level, std::vector<std::string> compartments = {}) {
        Entry e;
        e.title = "Harbour";
        e.level = level;
        e.compartments = std::move(compartments);
        e.type = "intelligence-product";
        e.dated = kNow;
        return e;
    }

    Result<Entered> enter(const Entry& e, std::int64_t by, std::string& why) {
        return enter_record(conn, e, by, clearance_from_db(conn, by, kNow),
                            {.size = 5, .chunks = 1}, "UNMISS", kNow, why);
    }
};

TEST(Entry, AClassifiedRecordGetsTheNextRegistryNumberOfItsYear) {  // rule 7
    Desk d;
    std::string why;
    const auto a = d.enter(d.entry(kConfidential, {"JMAC"}), d.ana, why);
    ASSERT_TRUE(a) << a.error().message;
    const auto b = d.enter(d.entry(kStrictly, {"JMAC"}), d.ana, why);
    ASSERT_TRUE(b);
    const auto year = format_date(kNow).substr(0, 4);
    EXPECT_EQ(a->registry_number, fmt::format("UNMISS/{}/000001", year));
    EXPECT_EQ(b->registry_number, fmt::format("UNMISS/{}/000002", year));
    const auto open = d.enter(d.entry(policy::kUnclassified), d.ben, why);
    ASSERT_TRUE(open);
    EXPECT_FALSE(open->registry_number) << "an unclassified record was numbered";
    const auto row = d.row(a->id);
    EXPECT_EQ(row.state, RecordState::held);
    EXPECT_EQ(row.compartments, std::vector<std::int64_t>{d.jmac});
    EXPECT_EQ(row.originator, d.ana);
}

TEST(Entry, AnOriginatorLabelsOnlyAsTheirPostsAllow) {  // rules 2 and 4
    Desk d;
    std::string why;
    auto refused = d.enter(d.entry(kConfidential, {"JMAC"}), d.ben, why);  // liaison: no JMAC
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, ErrorCode::denied);
    EXPECT_FALSE(why.empty());
    refused = d.enter(d.entry(kConfidential, {"NO-SUCH"}), d.ana, why);
    EXPECT_EQ(refused.error().code, ErrorCode::not_found);
    EXPECT_EQ(why, "unknown compartment NO-SUCH");
    auto e = d.entry(kConfidential);
    e.type = "no-schedule";
    refused = d.enter(e, d.ana, why);
    EXPECT_EQ(refused.error().code, ErrorCode::bad_request);
    EXPECT_EQ(store::RecordRepository(d.conn).count(), 0) << "a refused entry was stored";
}

TEST(Entry, AReceivedProductGoesToEligiblePostsUnderItsReceiptWithNoOriginatorInside) {  // 3, 4
    Desk d;
    auto e = d.entry(kConfidential, {"JMAC"});
    e.origin = "UNMISS JMAC";
    e.to_posts = {"jmac-analyst"};
    std::string why;
    const auto got = d.enter(e, d.reg, why);  // the registrar need not be cleared for it
    ASSERT_TRUE(got) << got.error().message;
    EXPECT_EQ(got->received_by, std::vector<std::string>{"jmac-analyst"});
    EXPECT_EQ(why,
              "registrar registers a product received from outside; from UNMISS JMAC, to "
              "jmac-analyst");
    const auto given = store::RecordRepository(d.conn).disseminations(got->id);
    ASSERT_EQ(given.size(), 1U);
    EXPECT_EQ(given[0].authority, Conveyance::receipt);
    EXPECT_EQ(label_of(d.row(got->id)).originator, 0);
    EXPECT_TRUE(
        check_read(d.conn, got->id, clearance_from_db(d.conn, d.ana, kNow)).decision.allowed);
    // Not to a post that may not hold it.
    e.to_posts = {"liaison"};
    const auto refused = d.enter(e, d.reg, why);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, ErrorCode::denied);
    EXPECT_TRUE(why.starts_with("post liaison: ")) << why;
}

TEST(Entry, ASafetyRecordGoesToTheSecurityFocalPointWhateverItsCompartments) {  // rule 5
    Desk d;
    auto e = d.entry(kStrictly, {"JMAC"});
    e.safety = true;
    std::string why;
    auto none = d.enter(e, d.ana, why);
    ASSERT_TRUE(none);
    EXPECT_FALSE(none->focal_point);
    EXPECT_TRUE(why.ends_with("; must-share: no security focal point post exists")) << why;
    const auto sfp = store::MatrixRepository(d.conn).insert_post(
        "security", kConfidential, "security-focal-point", 1, d.off, std::nullopt);
    const auto got = d.enter(e, d.ana, why);
    ASSERT_TRUE(got);
    EXPECT_EQ(got->focal_point, "security");
    EXPECT_EQ(got->focal_point_level, kConfidential);  // lower than the record: the tool warns
    const auto given = store::RecordRepository(d.conn).disseminations(got->id);
    ASSERT_EQ(given.size(), 1U);
    EXPECT_EQ(given[0].recipient, Recipient::post(sfp));
    EXPECT_EQ(given[0].authority, Conveyance::must_share);
}

TEST(Entry, NothingIsEnteredOnceTheMissionIsClosing) {
    Desk d;
    store::DisposalRepository(d.conn).insert_closure(std::nullopt, std::nullopt, d.reg, kNow);
    std::string why;
    const auto refused = d.enter(d.entry(kConfidential, {"JMAC"}), d.ana, why);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, ErrorCode::conflict);
    EXPECT_EQ(why, "mission closed or being closed");
}

}  // namespace
}  // namespace strongroom::registry
