// Who may read what, from the store: the accounts and the access matrix as
// the policy sees them, a record's label and its receipts.
#include "daemon/registry/access.hpp"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "daemon/store/accounts.hpp"
#include "daemon/store/matrix.hpp"
#include "daemon/store/retention.hpp"

namespace strongroom::registry {

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

policy::Label label_of(const store::RecordRow& r) {
    policy::Label l;
    l.level = r.level;
    l.compartments = r.compartments;
    // A product received from outside keeps originator control with its
    // origin: the registrar who registered it is not its originator.
    l.originator = r.origin.empty() ? r.originator : 0;
    l.safety = r.safety;
    return l;
}

policy::Label named_label_of(store::Connection& conn, const store::RecordRow& r) {
    auto label = label_of(r);
    std::map<std::int64_t, std::string> names;
    for (const auto& comp : store::MatrixRepository(conn).compartments()) {
        names.emplace(comp.id, comp.name);
    }
    for (const auto cid : label.compartments) {
        label.compartment_names.push_back(names[cid]);
    }
    return label;
}

policy::Receipt receipt_of(const std::vector<store::DisseminationRow>& rows,
                           const policy::Clearance& reader) {
    policy::Receipt rc;
    for (const auto& d : rows) {
        if (d.recipient == Recipient::account(reader.account)) {
            rc.in_person = true;
            continue;
        }
        for (const auto& p : reader.posts) {
            if (d.recipient == Recipient::post(p.id)) {
                (d.authority == Conveyance::must_share ? rc.must_share_posts : rc.posts)
                    .push_back(p.id);
            }
        }
    }
    return rc;
}

ReadCheck check_read(store::Connection& conn, std::int64_t id, const policy::Clearance& reader) {
    ReadCheck c;
    store::RecordRepository records(conn);
    c.record = records.find(id);
    if (!c.record || c.record->state != RecordState::held) {
        c.record.reset();
        c.decision = policy::Decision::refuse(ErrorCode::not_found, "no such record held");
        return c;
    }
    c.disseminations = records.disseminations(id);
    c.decision =
        policy::may_read(reader, label_of(*c.record), receipt_of(c.disseminations, reader));
    return c;
}

Error no_record(std::int64_t id) {
    return make_error(ErrorCode::not_found,
                      fmt::format("no record {} (or you may not see it)", id));
}

std::string account_name(store::Connection& conn, std::int64_t id) {
    const auto a = store::AccountRepository(conn).find(id);
    return a ? a->name : fmt::format("account#{}", id);
}

}  // namespace strongroom::registry
