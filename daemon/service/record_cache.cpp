#include "daemon/service/record_cache.hpp"

namespace strongroom::service {

RecordCache::RecordCache(std::size_t capacity)
    : per_shard_(capacity == 0 ? 0 : (capacity + kShards - 1) / kShards) {}

std::shared_ptr<const RecordCache::Entry> RecordCache::find(std::int64_t id) {
    auto& s = shard(id);
    std::lock_guard lock(s.mutex);
    const auto it = s.entries.find(id);
    return it == s.entries.end() ? nullptr : it->second;
}

void RecordCache::put(std::int64_t id, std::shared_ptr<const Entry> entry, std::uint64_t stamp) {
    if (per_shard_ == 0 || !entry || entry->record.state != RecordState::held) {
        return;
    }
    auto& s = shard(id);
    std::lock_guard lock(s.mutex);
    // Checked under the shard's lock, which invalidate() takes before it
    // counts: an invalidation either is seen here or erases this entry.
    if (invalidations_.load(std::memory_order_acquire) != stamp) {
        return;
    }
    if (s.entries.size() >= per_shard_ && s.entries.find(id) == s.entries.end()) {
        s.entries.erase(s.entries.begin());  // an arbitrary victim: bucket order
    }
    s.entries[id] = std::move(entry);
}

void RecordCache::invalidate(std::int64_t id) {
    auto& s = shard(id);
    std::lock_guard lock(s.mutex);
    invalidations_.fetch_add(1, std::memory_order_acq_rel);
    s.entries.erase(id);
}

std::size_t RecordCache::size() {
    std::size_t n = 0;
    for (auto& s : shards_) {
        std::lock_guard lock(s.mutex);
        n += s.entries.size();
    }
    return n;
}

}  // namespace strongroom::service
