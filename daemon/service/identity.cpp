#include "daemon/service/identity.hpp"

#include <algorithm>

namespace strongroom::service {

namespace {
std::atomic<std::uint64_t> next_cache_id{1};
}  // namespace

IdentityCache::IdentityCache(Loader loader)
    : loader_(std::move(loader)), id_(next_cache_id.fetch_add(1)) {}

std::shared_ptr<const IdentitySnapshot> IdentityCache::current() {
    // Each thread keeps the snapshot it last used; most requests need
    // nothing more than this comparison.
    thread_local std::shared_ptr<const IdentitySnapshot> mine;
    thread_local std::uint64_t owner = 0;
    const auto wanted = generation_.load(std::memory_order_acquire);
    if (owner == id_ && mine && mine->generation == wanted) {
        return mine;
    }
    std::lock_guard lock(mutex_);
    const auto now = generation_.load(std::memory_order_acquire);
    if (!latest_ || latest_->generation != now) {
        // Tagged with the generation read before loading: a change committed
        // while loading makes the tag stale, and the next caller reloads.
        auto fresh = std::make_shared<IdentitySnapshot>();
        fresh->generation = now;
        fresh->dir = loader_();
        latest_ = std::move(fresh);
    }
    mine = latest_;
    owner = id_;
    return mine;
}

}  // namespace strongroom::service
