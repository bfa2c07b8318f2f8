// The registry's states and kinds: each type has exactly the words the
// schema's CHECK constraints allow (the stored words cannot drift from the
// types), every word reads back as its type, and no other word does.
#include "daemon/common/states.hpp"

#include <gtest/gtest.h>

namespace strongroom {
namespace {

TEST(States, EachWordReadsBackAsItsType) {
    for (const auto s : {RecordState::uploading, RecordState::held, RecordState::destroyed,
                         RecordState::transferred, RecordState::lost}) {
        EXPECT_EQ(parse_record_state(to_text(s)), s) << to_text(s);
    }
    for (const auto k : {BatchKind::destroy, BatchKind::transfer}) {
        EXPECT_EQ(parse_batch_kind(to_text(k)), k) << to_text(k);
    }
    for (const auto s : {BatchState::proposed, BatchState::approved, BatchState::executed,
                         BatchState::prepared, BatchState::confirmed}) {
        EXPECT_EQ(parse_batch_state(to_text(s)), s) << to_text(s);
    }
}

TEST(States, TheWordsAreTheOnesTheDatabaseStores) {
    // migrations.cpp: records.state, batches.kind and batches.state.
    EXPECT_EQ(to_text(RecordState::uploading), "uploading");
    EXPECT_EQ(to_text(RecordState::held), "held");
    EXPECT_EQ(to_text(RecordState::destroyed), "destroyed");
    EXPECT_EQ(to_text(RecordState::transferred), "transferred");
    EXPECT_EQ(to_text(BatchKind::destroy), "destroy");
    EXPECT_EQ(to_text(BatchKind::transfer), "transfer");
    EXPECT_EQ(to_text(BatchState::proposed), "proposed");
    EXPECT_EQ(to_text(BatchState::approved), "approved");
    EXPECT_EQ(to_text(BatchState::executed), "executed");
    EXPECT_EQ(to_text(BatchState::prepared), "prepared");
    EXPECT_EQ(to_text(BatchState::confirmed), "confirmed");
    EXPECT_EQ(
        fmt::format("{} {} {}", RecordState::held, BatchKind::transfer, BatchState::confirmed),
        "held transfer confirmed");
}

TEST(States, ARecipientIsAPostOrAnAccountNeverBoth) {
    const auto post = Recipient::post(7);
    const auto account = Recipient::account(7);
    EXPECT_TRUE(post.is_post());
    EXPECT_FALSE(post.is_account());
    EXPECT_EQ(post.post_id(), 7);
    EXPECT_EQ(post.account_id(), 0);
    EXPECT_TRUE(account.is_account());
    EXPECT_EQ(account.account_id(), 7);
    EXPECT_EQ(account.post_id(), 0);
    EXPECT_NE(post, account) << "post 7 and account 7 are different recipients";
    // The stored column: the post's id, or minus the account's.
    EXPECT_EQ(post.stored_value(), 7);
    EXPECT_EQ(account.stored_value(), -7);
    EXPECT_EQ(Recipient::stored(-7), account);
    EXPECT_EQ(Recipient::stored(7), post);
}

TEST(States, ConveyancesAreTheSixRulesADisseminationIsRecordedUnder) {
    for (const auto c :
         {Conveyance::originator, Conveyance::delegation, Conveyance::head_of_mission,
          Conveyance::must_share, Conveyance::receipt, Conveyance::release_review}) {
        EXPECT_EQ(parse_conveyance(to_text(c)), c) << to_text(c);
    }
    // migrations.cpp: disseminations.authority (schema 6).
    EXPECT_EQ(to_text(Conveyance::head_of_mission), "head-of-mission");
    EXPECT_EQ(to_text(Conveyance::must_share), "must-share");
    EXPECT_EQ(to_text(Conveyance::release_review), "release-review");
    EXPECT_FALSE(parse_conveyance("head_of_mission"));
    EXPECT_FALSE(parse_conveyance("owner"));
}

TEST(States, OtherWordsAreRefused) {
    for (const char* word : {"", "Held", "held ", "destroy", "deleted", "held\n"}) {
        EXPECT_FALSE(parse_record_state(word)) << word;
    }
    EXPECT_FALSE(parse_batch_kind("destroyed"));
    EXPECT_FALSE(parse_batch_kind("Destroy"));
    EXPECT_FALSE(parse_batch_state("done"));
    EXPECT_FALSE(parse_batch_state("held"));
}

}  // namespace
}  // namespace strongroom
