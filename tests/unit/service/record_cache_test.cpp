#include "daemon/service/record_cache.hpp"

#include <gtest/gtest.h>

namespace strongroom::service {
namespace {

std::shared_ptr<const RecordCache::Entry> entry(std::int64_t id,
                                                RecordState state = RecordState::held) {
    auto e = std::make_shared<RecordCache::Entry>();
    e->record.id = id;
    e->record.state = state;
    return e;
}

TEST(RecordCache, KeepsWhatWasReadSinceTheLastInvalidation) {
    RecordCache cache(100);
    const auto stamp = cache.stamp();
    cache.put(1, entry(1), stamp);
    ASSERT_TRUE(cache.find(1));
    EXPECT_EQ(cache.find(1)->record.id, 1);
    EXPECT_FALSE(cache.find(2));
}

TEST(RecordCache, AnEntryReadBeforeAChangeIsNeverCachedAfterIt) {
    RecordCache cache(100);
    const auto stamp = cache.stamp();  // a reader opens its snapshot...
    cache.invalidate(7);               // ...a change to record 7 commits...
    cache.put(7, entry(7), stamp);     // ...and the reader offers what it read before
    EXPECT_FALSE(cache.find(7));
    // Any invalidation counts, whichever record it names.
    const auto later = cache.stamp();
    cache.invalidate(8);
    cache.put(7, entry(7), later);
    EXPECT_FALSE(cache.find(7));
    cache.put(7, entry(7), cache.stamp());
    EXPECT_TRUE(cache.find(7));
}

TEST(RecordCache, InvalidationRemovesTheEntry) {
    RecordCache cache(100);
    cache.put(3, entry(3), cache.stamp());
    cache.invalidate(3);
    EXPECT_FALSE(cache.find(3));
}

TEST(RecordCache, OnlyHeldRecordsAreCachedAndTheSizeIsBounded) {
    RecordCache cache(32);
    cache.put(1, entry(1, RecordState::uploading), cache.stamp());
    EXPECT_FALSE(cache.find(1));
    for (std::int64_t id = 0; id < 1000; ++id) {
        cache.put(id, entry(id), cache.stamp());
    }
    EXPECT_LE(cache.size(), 32U);
    EXPECT_GT(cache.size(), 0U);
    RecordCache off(0);
    off.put(1, entry(1), off.stamp());
    EXPECT_FALSE(off.find(1));
}

}  // namespace
}  // namespace strongroom::service
