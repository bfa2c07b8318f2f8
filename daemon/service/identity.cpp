#include "daemon/service/identity.hpp"

#include <algorithm>

#include "daemon/store/accounts.hpp"
#include "daemon/store/retention.hpp"

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

Directory load_directory(store::Connection& conn, Micros now) {
    Directory d;
    for (auto& row : store::AccountRepository(conn).list("", SIZE_MAX / 2)) {
        d.account_names.emplace(row.id, row.name);
        d.account_roles.emplace(row.id, row.roles);
        const auto uid = row.uid;
        d.by_uid.emplace(uid, std::move(row));
    }
    store::MatrixRepository matrix(conn);
    for (const auto& c : matrix.compartments()) {
        d.compartment_names.emplace(c.id, c.name);
        d.compartment_ids.emplace(c.name, c.id);
    }
    for (const auto& p : matrix.posts()) {
        policy::PostClearance pc;
        pc.id = p.id;
        pc.name = p.name;
        pc.level = p.level;
        pc.authority = policy::parse_authority(p.authority).value_or(policy::Authority::none);
        d.posts.emplace(p.id, std::move(pc));
    }
    for (const auto& g : matrix.grants()) {  // ordered by post, then compartment
        const auto it = d.posts.find(g.post_id);
        if (it != d.posts.end()) {
            it->second.grants.emplace_back(g.compartment_id, g.level);
        }
    }
    d.assignments = matrix.open_assignments(now);
    for (auto& s : store::RetentionRepository(conn).schedules()) {
        d.record_types.insert(std::move(s.type));
    }
    std::sort(d.assignments.begin(), d.assignments.end(),
              [](const store::AssignmentRow& a, const store::AssignmentRow& b) {
                  return a.account_id < b.account_id ||
                         (a.account_id == b.account_id && a.post_id < b.post_id);
              });
    return d;
}

policy::Clearance clearance_of(const Directory& dir, std::int64_t account_id, Micros now) {
    policy::Clearance c;
    c.account = account_id;
    if (const auto r = dir.account_roles.find(account_id); r != dir.account_roles.end()) {
        c.roles = r->second;
    }
    if (policy::is_oversight(c.roles)) {
        return c;
    }
    auto it = std::lower_bound(
        dir.assignments.begin(), dir.assignments.end(), account_id,
        [](const store::AssignmentRow& a, std::int64_t id) { return a.account_id < id; });
    for (; it != dir.assignments.end() && it->account_id == account_id; ++it) {
        if (it->since > now || (it->ends && *it->ends <= now)) {
            continue;
        }
        const auto post = dir.posts.find(it->post_id);
        if (post == dir.posts.end()) {
            continue;
        }
        if (!c.posts.empty() && c.posts.back().id == post->second.id) {
            continue;  // two assignments to the same post
        }
        c.posts.push_back(post->second);
    }
    return c;
}

policy::PostClearance post_clearance_from_db(store::Connection& conn, const store::PostRow& post) {
    policy::PostClearance pc;
    pc.id = post.id;
    pc.name = post.name;
    pc.level = post.level;
    pc.authority = policy::parse_authority(post.authority).value_or(policy::Authority::none);
    for (const auto& g : store::MatrixRepository(conn).grants_of(post.id)) {
        pc.grants.emplace_back(g.compartment_id, g.level);
    }
    return pc;
}

policy::Clearance clearance_from_db(store::Connection& conn, std::int64_t account_id, Micros now) {
    policy::Clearance c;
    c.account = account_id;
    if (const auto a = store::AccountRepository(conn).find(account_id)) {
        c.roles = a->roles;
    }
    if (policy::is_oversight(c.roles)) {
        return c;
    }
    store::MatrixRepository matrix(conn);
    for (const auto& a : matrix.assignments_in_force(account_id, now)) {
        if (!c.posts.empty() && c.posts.back().id == a.post_id) {
            continue;
        }
        if (auto post = matrix.find_post(a.post_id)) {
            c.posts.push_back(post_clearance_from_db(conn, *post));
        }
    }
    return c;
}

}  // namespace strongroom::service
