// Who is who, cached: every request starts by finding the caller's account
// by uid, and every read of content needs the caller's clearance, so reads
// authenticate and decide from memory instead of the database. The snapshot
// holds the accounts and the access matrix (posts, grants, assignments that
// have not ended); the clearance of an account is computed from it at the
// moment of each request, so an assignment that ends needs no action.
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

#include "daemon/common/time.hpp"
#include "daemon/registry/access.hpp"

namespace strongroom::service {

using registry::clearance_from_db;
using registry::clearance_of;
using registry::Directory;
using registry::load_directory;
using registry::post_clearance_from_db;

struct IdentitySnapshot {
    std::uint64_t generation = 0;
    Directory dir;

    const store::AccountRow* find(std::uint32_t uid) const {
        const auto it = dir.by_uid.find(uid);
        return it == dir.by_uid.end() ? nullptr : &it->second;
    }
};

class IdentityCache {
public:
    // Loads the accounts and the matrix (run with a reader connection).
    using Loader = std::function<Directory()>;

    explicit IdentityCache(Loader loader);

    // The current snapshot, reloaded first if accounts changed since.
    std::shared_ptr<const IdentitySnapshot> current();

    // Called after a change to accounts or the matrix is committed, before
    // it is answered.
    void invalidate() noexcept { generation_.fetch_add(1, std::memory_order_acq_rel); }

private:
    Loader loader_;
    std::uint64_t id_;  // tells this cache's snapshots from another's in thread caches
    std::atomic<std::uint64_t> generation_{1};
    std::mutex mutex_;
    std::shared_ptr<const IdentitySnapshot> latest_;  // guarded by mutex_
};

}  // namespace strongroom::service
