// The record and matrix repositories against a real SQLCipher store.
#include "daemon/store/records.hpp"

#include <gtest/gtest.h>

#include "daemon/store/accounts.hpp"
#include "daemon/store/matrix.hpp"
#include "daemon/store/sqlite.hpp"
#include "daemon/store/store.hpp"
#include "tests/support/temp_store.hpp"

namespace strongroom::store {
namespace {

using test::make_vault;
using test::ScratchDir;
using test::store_options;

struct Fixture {
    ScratchDir dir;
    crypto::KeyVault vault = make_vault();
    Store store{store_options(dir.path()), vault, true};
    Connection& conn = store.writer_connection();
    std::int64_t account = 0;

    Fixture() {
        NewAccount a;
        a.name = "ana";
        a.uid = 5000;
        a.at = 1;
        account = AccountRepository(conn).insert(a);
    }

    std::int64_t record(int level, const std::string& title = "t") {
        RecordRepository r(conn);
        RecordRow row;
        row.title = title;
        row.level = level;
        row.type = "report";
        row.originator = account;
        row.created_at = 10;
        const auto id = r.insert(row);
        r.finish(id, 1, 1, std::vector<std::uint8_t>(32, 7), true, std::nullopt);
        return id;
    }
};

TEST(Records, AnUploadIsInvisibleUntilFinishedAndRemovedIfLeftOver) {
    Fixture f;
    RecordRepository r(f.conn);
    RecordRow row;
    row.title = "pending";
    row.type = "report";
    row.originator = f.account;
    row.compartments = {};
    const auto id = r.insert(row);
    r.put_chunk(id, 0, std::vector<std::uint8_t>{1, 2, 3});
    EXPECT_EQ(r.find(id)->state, RecordState::uploading);
    EXPECT_TRUE(r.at_level(0, INT64_MAX, 10).empty());
    const auto kept = f.record(0);
    EXPECT_EQ(r.remove_unfinished(), 1);
    EXPECT_FALSE(r.find(id));
    EXPECT_FALSE(r.chunk(id, 0));
    EXPECT_TRUE(r.find(kept));
    ASSERT_EQ(r.at_level(0, INT64_MAX, 10).size(), 1U);
}

TEST(Records, ChunksAreKeptPerRecordAndInOrder) {
    Fixture f;
    RecordRepository r(f.conn);
    const auto a = f.record(1);
    const auto b = f.record(1);
    for (std::uint64_t i = 0; i < 3; ++i) {
        r.put_chunk(a, i, std::vector<std::uint8_t>{static_cast<std::uint8_t>(i)});
        r.put_chunk(b, i, std::vector<std::uint8_t>{static_cast<std::uint8_t>(10 + i)});
    }
    EXPECT_EQ(*r.chunk(a, 2), std::vector<std::uint8_t>{2});
    EXPECT_EQ(*r.chunk(b, 0), std::vector<std::uint8_t>{10});
    EXPECT_FALSE(r.chunk(a, 3));
}

TEST(Records, CandidatesComeNewestFirstBelowTheCursor) {
    Fixture f;
    RecordRepository r(f.conn);
    std::vector<std::int64_t> ids;
    for (int i = 0; i < 5; ++i) {
        ids.push_back(f.record(i % 2));
    }
    const auto unclassified = r.at_level(0, INT64_MAX, 10);
    ASSERT_EQ(unclassified.size(), 3U);
    EXPECT_EQ(unclassified[0].id, ids[4]);
    EXPECT_EQ(unclassified[2].id, ids[0]);
    EXPECT_EQ(r.at_level(0, ids[4], 1).at(0).id, ids[2]);
    EXPECT_EQ(r.by_originator(f.account, INT64_MAX, 10).size(), 5U);

    DisseminationRow d;
    d.record_id = ids[1];
    d.recipient = Recipient::post(7);
    d.authority = Conveyance::originator;
    d.at = 1;
    EXPECT_TRUE(r.disseminate(d));
    EXPECT_FALSE(r.disseminate(d));  // already received under that authority
    d.authority = Conveyance::must_share;
    EXPECT_TRUE(r.disseminate(d));
    d.record_id = ids[3];
    d.authority = Conveyance::originator;
    EXPECT_TRUE(r.disseminate(d));
    const auto got = r.by_recipient(Recipient::post(7), INT64_MAX, 10);
    ASSERT_EQ(got.size(), 3U);
    EXPECT_EQ(got[0].id, ids[3]);
    EXPECT_EQ(r.disseminations(ids[1]).size(), 2U);
}

TEST(Records, SearchMatchesTitleAndTextButKeepsNoCopyOfTheText) {
    Fixture f;
    RecordRepository r(f.conn);
    const auto a = f.record(1, "Ford crossing");
    const auto b = f.record(1, "Other");
    r.index_text(a, "Ford crossing", "");
    r.index_text(b, "Other", "the bridge at kilometre nine is mined");
    EXPECT_EQ(r.search("\"ford\"", INT64_MAX, 10), std::vector<std::int64_t>{a});
    EXPECT_EQ(r.search("\"bridge\" \"mined\"", INT64_MAX, 10), std::vector<std::int64_t>{b});
    EXPECT_TRUE(r.search("\"bridge\" \"ford\"", INT64_MAX, 10).empty());
    EXPECT_EQ(f.conn.query_int("SELECT count(*) FROM record_text_source"), 0);
}

// Automatic merging is off; merge steps fold the small segments that one
// transaction each leaves behind, and every record stays findable.
TEST(Records, TextIndexMergesInPacedStepsAndLosesNothing) {
    Fixture f;
    RecordRepository r(f.conn);
    EXPECT_EQ(f.conn.query_int("SELECT value FROM record_text_stat WHERE id = 2"), 0);
    std::vector<std::int64_t> ids;
    for (int i = 0; i < 12; ++i) {
        f.conn.exec("BEGIN");
        ids.push_back(f.record(1, "convoy"));
        r.index_text(ids.back(), "convoy", "route " + std::to_string(i));
        f.conn.exec("COMMIT");
    }
    const auto level0 = [&f] {
        return f.conn.query_int("SELECT count(*) FROM record_text_segdir WHERE level = 0");
    };
    EXPECT_EQ(level0(), 12);  // one segment per transaction, nothing merged them
    f.conn.exec("BEGIN");
    r.merge_text_index(TextIndexPacer::kLeavesPerStep);
    f.conn.exec("COMMIT");
    EXPECT_LT(level0(), 12);
    std::vector<std::int64_t> newest_first(ids.rbegin(), ids.rend());
    EXPECT_EQ(r.search("\"convoy\"", INT64_MAX, 100), newest_first);
    EXPECT_EQ(r.search("\"route\" \"7\"", INT64_MAX, 100), std::vector<std::int64_t>{ids[7]});
}

TEST(Records, TextIndexPacerAsksForAStepPerBudgetOfText) {
    TextIndexPacer pacer;
    EXPECT_FALSE(pacer.indexed(TextIndexPacer::kBytesPerStep - 1));
    EXPECT_TRUE(pacer.indexed(1));
    EXPECT_FALSE(pacer.indexed(10));
    EXPECT_TRUE(pacer.indexed(10 * TextIndexPacer::kBytesPerStep));
}

TEST(Records, RegistrySequenceCountsPerYearAndNeverRepeats) {
    Fixture f;
    RecordRepository r(f.conn);
    EXPECT_EQ(r.next_registry_sequence(2026), 1);
    EXPECT_EQ(r.next_registry_sequence(2026), 2);
    EXPECT_EQ(r.next_registry_sequence(2027), 1);
    EXPECT_EQ(r.next_registry_sequence(2026), 3);
}

TEST(Records, DelegationsInForceEndWithTheirDate) {
    Fixture f;
    RecordRepository r(f.conn);
    const auto id = f.record(1);
    const auto post =
        MatrixRepository(f.conn).insert_post("desk", 1, "", 1, f.account, std::nullopt);
    DelegationRow d;
    d.kind = "disseminate";
    d.record_id = id;
    d.grantor = f.account;
    d.to_post = post;
    d.reference = "REF";
    d.until = 100;
    d.created_at = 1;
    r.insert_delegation(d);
    EXPECT_EQ(r.delegations_in_force("disseminate", id, 99).size(), 1U);
    EXPECT_TRUE(r.delegations_in_force("disseminate", id, 100).empty());
    EXPECT_TRUE(r.delegations_in_force("release", id, 50).empty());
}

TEST(Matrix, AssignmentsInForceRespectTheirDates) {
    Fixture f;
    MatrixRepository m(f.conn);
    const auto post = m.insert_post("desk", 1, "", 1, f.account, std::nullopt);
    const auto id = m.insert_assignment(post, f.account, 100, 200, f.account);
    EXPECT_TRUE(m.assignments_in_force(f.account, 99).empty());
    EXPECT_EQ(m.assignments_in_force(f.account, 100).size(), 1U);
    EXPECT_EQ(m.assignments_in_force(f.account, 199).size(), 1U);
    EXPECT_TRUE(m.assignments_in_force(f.account, 200).empty());
    m.end_assignment(id, 150, f.account);
    EXPECT_TRUE(m.assignments_in_force(f.account, 160).empty());
    EXPECT_EQ(m.open_assignments(140).size(), 1U);
    EXPECT_TRUE(m.open_assignments(150).empty());
}

TEST(Matrix, OnePostPerAuthorityAndGrantsReplaceEachOther) {
    Fixture f;
    MatrixRepository m(f.conn);
    m.insert_post("hom", 1, "head-of-mission", 1, f.account, std::nullopt);
    EXPECT_THROW(m.insert_post("hom2", 1, "head-of-mission", 1, f.account, std::nullopt),
                 StoreError);
    const auto c = m.insert_compartment("JMAC", "", 1, f.account);
    const auto p = m.find_post("hom")->id;
    m.put_grant(GrantRow{p, c, 1, 1, f.account, std::nullopt});
    m.put_grant(GrantRow{p, c, 2, 2, f.account, f.account});
    ASSERT_EQ(m.grants_of(p).size(), 1U);
    EXPECT_EQ(m.grants_of(p)[0].level, 2);
    EXPECT_EQ(m.grants_of(p)[0].approved_by, f.account);
    m.delete_grant(p, c);
    EXPECT_TRUE(m.grants().empty());
}

}  // namespace
}  // namespace strongroom::store
