// Who is who, cached: every request starts by finding the caller's account
// by uid, so reads authenticate from memory instead of the database.
//
// The cache is a snapshot of the accounts table tagged with a generation.
// Every committed change to accounts bumps the generation before its answer
// is sent, so a request that starts after a change was acknowledged (a
// suspension, say) never sees the old state. Each thread keeps its own
// reference to the current snapshot and checks the generation with one
// atomic load; only after a change does it take a lock and reload.
//
// Changes are still decided on the writer thread from the database itself.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "daemon/store/accounts.hpp"

namespace strongroom::service {

struct IdentitySnapshot {
    std::uint64_t generation = 0;
    std::unordered_map<std::uint32_t, store::AccountRow> by_uid;

    const store::AccountRow* find(std::uint32_t uid) const {
        const auto it = by_uid.find(uid);
        return it == by_uid.end() ? nullptr : &it->second;
    }
};

class IdentityCache {
public:
    // Loads the accounts into a snapshot (run with a reader connection).
    using Loader = std::function<std::unordered_map<std::uint32_t, store::AccountRow>()>;

    explicit IdentityCache(Loader loader);

    // The current snapshot, reloaded first if accounts changed since.
    std::shared_ptr<const IdentitySnapshot> current();

    // Called after a change to accounts is committed, before it is answered.
    void invalidate() noexcept { generation_.fetch_add(1, std::memory_order_acq_rel); }

private:
    Loader loader_;
    std::uint64_t id_;  // tells this cache's snapshots from another's in thread caches
    std::atomic<std::uint64_t> generation_{1};
    std::mutex mutex_;
    std::shared_ptr<const IdentitySnapshot> latest_;  // guarded by mutex_
};

}  // namespace strongroom::service
