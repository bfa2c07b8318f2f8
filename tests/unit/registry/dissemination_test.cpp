// Dissemination (DESIGN §2 rules 3, 4 and 7) against a scratch store: only
// the originator, a written delegation or the head of mission pass a record
// on; only to eligible posts and people; each registered with its authority.
#include "daemon/registry/dissemination.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "daemon/registry/access.hpp"
#include "daemon/store/matrix.hpp"
#include "daemon/store/records.hpp"
#include "tests/unit/registry/fixture.hpp"

namespace strongroom::registry {
namespace {

using namespace test;  // the scratch registry and its constants

// A second analyst on the same post, and a head of mission cleared for JMAC.
struct Mission : Registry {
    std::int64_t cid = second_analyst();

    Mission() { add_head_of_mission(); }

    Result<Dissemination> pass(std::int64_t record, std::int64_t by, std::vector<std::string> posts,
                               std::vector<std::string> people, std::string& why) {
        return disseminate(conn,
                           {.record = record,
                            .posts = std::move(posts),
                            .people = std::move(people),
                            .by = by,
                            .at = kNow},
                           why);
    }
    std::vector<store::DisseminationRow> given(std::int64_t record) {
        return store::RecordRepository(conn).disseminations(record);
    }
};

TEST(Dissemination, TheOriginatorPassesARecordOnAndItIsRegisteredWithItsAuthority) {  // rule 7
    Mission m;
    const auto id = m.record(m.ana, kConfidential, {m.jmac});
    std::string why;
    const auto done = m.pass(id, m.ana, {"jmac-analyst"}, {"hom"}, why);
    ASSERT_TRUE(done) << done.error().message;
    EXPECT_EQ(done->authority, Conveyance::originator);
    ASSERT_EQ(done->delivered.size(), 2U);
    EXPECT_FALSE(done->delivered[0].to_post);  // people first
    EXPECT_EQ(done->delivered[0].name, "hom");
    EXPECT_TRUE(done->delivered[1].to_post);
    EXPECT_EQ(done->delivered[1].name, "jmac-analyst");
    EXPECT_TRUE(done->delivered[1].added);
    EXPECT_EQ(why, "originator; to jmac-analyst, hom");
    const auto rows = m.given(id);
    ASSERT_EQ(rows.size(), 2U);
    for (const auto& r : rows) {
        EXPECT_EQ(r.authority, Conveyance::originator);
        EXPECT_EQ(r.by_account, m.ana);
        EXPECT_EQ(r.at, kNow);
    }
    // Given again: registered once.
    const auto again = m.pass(id, m.ana, {"jmac-analyst"}, {}, why);
    ASSERT_TRUE(again);
    EXPECT_FALSE(again->delivered[0].added);
    EXPECT_EQ(m.given(id).size(), 2U);
    // Now the colleague on the post reads it.
    EXPECT_TRUE(check_read(m.conn, id, clearance_from_db(m.conn, m.cid, kNow)).decision.allowed);
}

TEST(Dissemination, AReaderWhoIsNotTheOriginatorMayNotPassItOn) {  // rule 4
    Mission m;
    const auto id = m.record(m.ana, kConfidential, {m.jmac});
    std::string why;
    ASSERT_TRUE(m.pass(id, m.ana, {"jmac-analyst"}, {}, why));
    const auto refused = m.pass(id, m.cid, {"head-of-mission"}, {}, why);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, ErrorCode::denied);
    EXPECT_NE(refused.error().message.find("originator control"), std::string::npos);
    EXPECT_EQ(m.given(id).size(), 1U) << "a refused dissemination was registered";
}

TEST(Dissemination, AWrittenDelegationLetsItsPostPassTheRecordOnUnderItsReference) {  // rule 4
    Mission m;
    const auto id = m.record(m.ana, kConfidential, {m.jmac});
    std::string why;
    const auto d = delegate_dissemination(m.conn,
                                          {.record = id,
                                           .to_post = "jmac-analyst",
                                           .reference = "DEL-2026-7",
                                           .until = kNow + 1000,
                                           .by = m.ana,
                                           .at = kNow - 10},
                                          why);
    ASSERT_TRUE(d) << d.error().message;
    EXPECT_TRUE(d->disseminated) << "the delegate's post did not receive the record";
    EXPECT_EQ(why, "originator delegates dissemination to post jmac-analyst under DEL-2026-7");
    const auto done = m.pass(id, m.cid, {"head-of-mission"}, {}, why);
    ASSERT_TRUE(done) << done.error().message;
    EXPECT_EQ(done->authority, Conveyance::delegation);
    EXPECT_EQ(done->reference, "DEL-2026-7");
    // Once it has ended, it no longer counts.
    const auto later = disseminate(
        m.conn,
        {.record = id, .posts = {"head-of-mission"}, .people = {}, .by = m.cid, .at = kNow + 1000},
        why);
    ASSERT_FALSE(later);
    EXPECT_EQ(later.error().code, ErrorCode::denied);
}

TEST(Dissemination, OnlyTheOriginatorDelegatesWithAReferenceToAnEligiblePost) {  // rule 4
    Mission m;
    const auto id = m.record(m.ana, kConfidential, {m.jmac});
    std::string why;
    auto order = DelegationOrder{.record = id,
                                 .to_post = "jmac-analyst",
                                 .reference = "",
                                 .until = std::nullopt,
                                 .by = m.ana,
                                 .at = kNow};
    auto refused = delegate_dissemination(m.conn, order, why);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, ErrorCode::bad_request);
    order.reference = "DEL-1";
    order.to_post = "liaison";  // not eligible for JMAC
    refused = delegate_dissemination(m.conn, order, why);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, ErrorCode::denied);
    order.to_post = "jmac-analyst";
    order.until = kNow;
    refused = delegate_dissemination(m.conn, order, why);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().message, "the delegation would end before it starts");
    order.until = std::nullopt;
    order.by = m.hom;  // may read it once disseminated, but is not its originator
    ASSERT_TRUE(m.pass(id, m.ana, {"head-of-mission"}, {}, why));
    refused = delegate_dissemination(m.conn, order, why);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, ErrorCode::denied);
    EXPECT_EQ(why, "only the originator may delegate dissemination");
    EXPECT_TRUE(
        store::RecordRepository(m.conn).delegations_in_force("disseminate", id, kNow).empty());
}

TEST(Dissemination, TheHeadOfMissionPassesOnWhatItHasReceived) {  // rule 4
    Mission m;
    const auto id = m.record(m.ana, kConfidential, {m.jmac});
    std::string why;
    ASSERT_TRUE(m.pass(id, m.ana, {"head-of-mission"}, {}, why));
    const auto done = m.pass(id, m.hom, {"jmac-analyst"}, {}, why);
    ASSERT_TRUE(done) << done.error().message;
    EXPECT_EQ(done->authority, Conveyance::head_of_mission);
}

TEST(Dissemination, NothingGoesToAnIneligiblePostOrPersonAndNothingIsRegistered) {  // rule 3
    Mission m;
    const auto id = m.record(m.ana, kConfidential, {m.jmac});
    std::string why;
    auto refused = m.pass(id, m.ana, {"jmac-analyst", "liaison"}, {}, why);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, ErrorCode::denied);
    EXPECT_TRUE(why.starts_with("originator; ")) << why;
    refused = m.pass(id, m.ana, {"jmac-analyst"}, {"ben"}, why);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().message, "ben holds no post eligible for this record");
    refused = m.pass(id, m.ana, {"no-such-post"}, {}, why);
    EXPECT_EQ(refused.error().code, ErrorCode::not_found);
    refused = m.pass(id, m.ana, {}, {"nobody"}, why);
    EXPECT_EQ(refused.error().code, ErrorCode::not_found);
    EXPECT_TRUE(m.given(id).empty()) << "part of a refused dissemination was registered";
}

TEST(Dissemination, ACallerWhoMayNotReadTheRecordLearnsNothingOfIt) {  // rules 3 and 4
    Mission m;
    const auto id = m.record(m.ana, kStrictly, {m.jmac});
    std::string why;
    // The head of mission holds the authority, but has not received it.
    const auto refused = m.pass(id, m.hom, {"jmac-analyst"}, {}, why);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().message, no_record(id).message);
    EXPECT_EQ(m.pass(id + 50, m.hom, {"jmac-analyst"}, {}, why).error().message,
              no_record(id + 50).message);
}

}  // namespace
}  // namespace strongroom::registry
