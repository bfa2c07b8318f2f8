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
#include <set>
#include <unordered_map>

#include "daemon/common/time.hpp"
#include "daemon/policy/clearance.hpp"
#include "daemon/store/accounts.hpp"
#include "daemon/store/matrix.hpp"

namespace strongroom::service {

// The accounts and the access matrix, as loaded.
struct Directory {
    std::unordered_map<std::uint32_t, store::AccountRow> by_uid;
    std::unordered_map<std::int64_t, policy::PostClearance> posts;    // by post id
    std::unordered_map<std::int64_t, std::string> account_names;      // by account id
    std::unordered_map<std::int64_t, policy::RoleSet> account_roles;  // by account id
    std::unordered_map<std::int64_t, std::string> compartment_names;
    std::unordered_map<std::string, std::int64_t> compartment_ids;
    std::vector<store::AssignmentRow> assignments;  // not ended when loaded, by account
    std::set<std::string> record_types;             // those with a retention schedule
};

// Loads a Directory from a connection (reader or writer).
Directory load_directory(store::Connection& conn, Micros now);

// The clearance of an account at `now` from its assignments and the posts.
// An account holding the officer or auditor role gets no posts, whatever
// assignments an older store still has (separation of duties).
policy::Clearance clearance_of(const Directory& dir, std::int64_t account_id, Micros now);

// The same, read from the database (on the writer, for changes), with only
// the queries one account needs.
policy::Clearance clearance_from_db(store::Connection& conn, std::int64_t account_id, Micros now);
policy::PostClearance post_clearance_from_db(store::Connection& conn, const store::PostRow& post);

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
