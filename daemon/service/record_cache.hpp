// Record metadata for reads, cached: a record's row and its dissemination
// are what every `show` and every candidate of a listing needs, and reading
// them from SQLCipher costs more than the rest of the request, because every
// committed audit entry empties the readers' page caches (SQLite drops a
// connection's whole cache when the database changed since its last read).
//
// Correctness: a change to a record is committed on the writer, then the
// record is invalidated here, then the change is answered. A reader takes a
// stamp before it opens its read snapshot and offers what it read with that
// stamp; the offer is refused if any invalidation happened since, so an
// entry read before a change can never be cached after it. Only records in
// state 'held' are cached; the decision itself is always made afresh by the
// policy with the caller's clearance.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "daemon/store/records.hpp"

namespace strongroom::service {

class RecordCache {
public:
    struct Entry {
        store::RecordRow record;
        std::vector<store::DisseminationRow> disseminations;
    };

    // capacity: entries kept (0 disables the cache).
    explicit RecordCache(std::size_t capacity);

    std::shared_ptr<const Entry> find(std::int64_t id);

    // Taken before reading from the database; passed to put.
    std::uint64_t stamp() const noexcept { return invalidations_.load(std::memory_order_acquire); }

    // Offers an entry read in a snapshot opened after `stamp` was taken.
    void put(std::int64_t id, std::shared_ptr<const Entry> entry, std::uint64_t stamp);

    // After a change to the record is committed, before it is answered.
    void invalidate(std::int64_t id);

    std::size_t size();

private:
    static constexpr std::size_t kShards = 16;
    struct Shard {
        std::mutex mutex;
        std::unordered_map<std::int64_t, std::shared_ptr<const Entry>> entries;
    };
    Shard& shard(std::int64_t id) { return shards_[static_cast<std::size_t>(id) % kShards]; }

    std::size_t per_shard_;
    std::atomic<std::uint64_t> invalidations_{0};
    std::array<Shard, kShards> shards_;
};

}  // namespace strongroom::service
