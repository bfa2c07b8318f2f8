#include "daemon/registry/releases.hpp"

#include <algorithm>
#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "daemon/common/text.hpp"
#include "daemon/policy/clearance.hpp"
#include "daemon/registry/access.hpp"
#include "daemon/store/accounts.hpp"
#include "daemon/store/matrix.hpp"

namespace strongroom::registry {

namespace {

// The approver's posts that hold a written delegation for release in force.
std::vector<std::int64_t> release_delegates(store::Connection& conn, Micros now) {
    std::vector<std::int64_t> posts;
    for (const auto& d :
         store::RecordRepository(conn).delegations_in_force("release", std::nullopt, now)) {
        posts.push_back(d.to_post);
    }
    return posts;
}

// Who may approve a release of a record: the holders now of the head of
// mission's post and of posts holding a written delegation for release in
// force, other than the requester, through posts eligible for the record
// (an approver must be able to read what is released).
struct Approvers {
    std::vector<Approver> people;
    std::vector<store::PostRow> review_posts;  // eligible posts that get the record for review
    std::vector<std::string> why_not;          // for a refusal: why each candidate cannot
};

Approvers release_approvers(store::Connection& conn, const policy::Label& label,
                            std::int64_t requester, Micros now) {
    Approvers out;
    store::MatrixRepository matrix(conn);
    std::vector<std::pair<store::PostRow, std::string>> candidates;
    if (auto hom = matrix.post_with_authority("head-of-mission")) {
        candidates.emplace_back(std::move(*hom), "head-of-mission");
    } else {
        out.why_not.emplace_back("no post holds the head-of-mission authority");
    }
    for (const auto& d :
         store::RecordRepository(conn).delegations_in_force("release", std::nullopt, now)) {
        const bool seen = std::any_of(candidates.begin(), candidates.end(),
                                      [&](const auto& c) { return c.first.id == d.to_post; });
        if (auto post = matrix.find_post(d.to_post); post && !seen) {
            candidates.emplace_back(std::move(*post), "delegation");
        }
    }
    store::AccountRepository accounts(conn);
    const auto open = matrix.open_assignments(now);
    for (const auto& [post, authority] : candidates) {
        const auto receive = policy::may_receive(post_clearance_from_db(conn, post), label);
        std::vector<std::string> holders;
        for (const auto& a : open) {
            if (a.post_id != post.id || a.since > now || a.account_id == requester) {
                continue;
            }
            const auto acc = accounts.find(a.account_id);
            if (acc && !acc->suspended && !policy::is_oversight(acc->roles)) {
                holders.push_back(acc->name);
            }
        }
        if (!receive.allowed) {
            out.why_not.push_back(receive.reason);
            continue;
        }
        if (holders.empty()) {
            out.why_not.push_back(
                fmt::format("post {} has no holder other than the requester", post.name));
            continue;
        }
        for (auto& h : holders) {
            out.people.push_back({std::move(h), post.name, authority});
        }
        out.review_posts.push_back(post);
    }
    return out;
}

// Text of a request that goes into the released copy's marking line, whose
// fields '|' separates.
std::optional<Error> forges_marking(const ReleaseRequest& q) {
    const std::pair<const char*, const std::string*> marked[] = {{"to", &q.entity},
                                                                 {"arrangement", &q.arrangement}};
    for (const auto& [key, value] : marked) {
        if (value->find('|') != std::string::npos) {
            return make_error(ErrorCode::bad_request,
                              fmt::format("argument \"{}\" contains '|', which separates the "
                                          "fields of the released copy's marking; remove it",
                                          key));
        }
    }
    return std::nullopt;
}

}  // namespace

Error no_request(std::int64_t id) {
    return make_error(ErrorCode::not_found, fmt::format("no release request {}", id));
}

Result<RequestedRelease> request_release(store::Connection& conn, const ReleaseRequest& q,
                                         std::string& why) {
    const auto id = q.record;
    const auto c = check_read(conn, id, clearance_from_db(conn, q.by, q.at));
    if (!c.decision.allowed) {
        why = c.decision.reason;
        return no_record(id);
    }
    if (q.entity.find_first_not_of(' ') == std::string::npos) {
        return make_error(ErrorCode::bad_request, "name the entity the record goes to (--to)");
    }
    if (auto err = forges_marking(q)) {
        return *err;
    }
    const auto ok =
        policy::may_request_release(q.entity_kind, q.justification, q.arrangement, q.hrddp);
    if (!ok.allowed) {
        why = fmt::format("{}; release refused: {}", c.decision.reason, ok.reason);
        return make_error(ok.code, ok.reason);
    }
    auto approvers = release_approvers(conn, named_label_of(conn, *c.record), q.by, q.at);
    if (approvers.people.empty()) {
        const auto none = fmt::format("nobody can approve a release of record {}: {}", id,
                                      fmt::join(approvers.why_not, "; "));
        why = fmt::format("{}; release refused: {}", c.decision.reason, none);
        return make_error(ErrorCode::conflict,
                          none +
                              "; ask a technical officer to assign the head of mission's post, "
                              "or the head of mission to delegate release approval");
    }
    RequestedRelease out;
    auto& r = out.release;
    r.record_id = id;
    r.requested_by = q.by;
    r.entity = q.entity;
    r.entity_kind = q.entity_kind;
    r.justification = q.justification;
    r.arrangement = q.arrangement;
    r.hrddp = q.hrddp;
    r.requested_at = q.at;
    r.id = store::ReleaseRepository(conn).insert(r);
    out.approvers = std::move(approvers.people);
    // The approvers' posts receive the record for review, registered like
    // any dissemination, so that they can read what they are asked to release.
    store::RecordRepository records(conn);
    for (const auto& post : approvers.review_posts) {
        const bool has_it =
            std::any_of(c.disseminations.begin(), c.disseminations.end(), [&](const auto& d) {
                return d.recipient == Recipient::post(post.id) &&
                       d.authority != Conveyance::must_share;
            });
        if (has_it) {
            continue;  // the post received it already
        }
        store::DisseminationRow row;
        row.record_id = id;
        row.recipient = Recipient::post(post.id);
        row.authority = Conveyance::release_review;
        row.reference = fmt::format("release {}", r.id);
        row.by_account = q.by;
        row.at = q.at;
        records.disseminate(row);
        out.review_posts.push_back(post.name);
    }
    why = fmt::format(
        "{}; release request {} to {} ({}) under {}; for review to {}", c.decision.reason, r.id,
        printable(q.entity, 60), q.entity_kind, printable(q.arrangement, 60),
        out.review_posts.empty() ? "none needed"
                                 : fmt::format("{}", fmt::join(out.review_posts, ", ")));
    return out;
}

Result<store::ReleaseRow> approve_release(store::Connection& conn, std::int64_t q, std::int64_t by,
                                          Micros at, std::string& object, std::string& why) {
    store::ReleaseRepository releases(conn);
    const auto r = releases.find(q);
    if (!r) {
        why = "no such release request";
        return no_request(q);
    }
    object = fmt::format("release:{} record:{}", q, r->record_id);
    const auto approver = clearance_from_db(conn, by, at);
    const auto may =
        policy::may_approve_release(approver, r->requested_by, release_delegates(conn, at));
    why = may.reason;
    if (!may.allowed) {
        // The requester knows the request; to anyone else who may not
        // approve, it does not exist (the same answer as for no request).
        if (r->requested_by == by) {
            return make_error(may.code, may.reason);
        }
        return no_request(q);
    }
    // An approver must be able to read what they release; to one who cannot,
    // the request does not exist either.
    if (const auto c = check_read(conn, r->record_id, approver); !c.decision.allowed) {
        why = "approver may not read the record: " + c.decision.reason;
        return no_request(q);
    }
    if (r->state != "requested") {
        why += "; already " + r->state;
        return make_error(ErrorCode::conflict,
                          fmt::format("release request {} is already {}", q, r->state));
    }
    const std::string authority(policy::authority_text(may.basis));
    std::string reference;
    if (may.basis == policy::Basis::delegation) {
        for (const auto& d :
             store::RecordRepository(conn).delegations_in_force("release", std::nullopt, at)) {
            for (const auto& p : approver.posts) {
                if (p.id == d.to_post && reference.empty()) {
                    reference = d.reference;
                }
            }
        }
    }
    releases.approve(q, by, at, authority, reference);
    return *releases.find(q);
}

Result<ReleaseToIssue> release_to_issue(store::Connection& conn, std::int64_t q, std::int64_t by,
                                        Micros at, std::string& object, std::string& why) {
    auto r = store::ReleaseRepository(conn).find(q);
    if (!r || r->requested_by != by) {
        why = r ? "not the requester" : "no such release request";
        return r ? make_error(ErrorCode::denied,
                              fmt::format("only the requester of release {} may issue it", q))
                 : no_request(q);
    }
    object = fmt::format("release:{} record:{}", q, r->record_id);
    if (r->state != "approved") {
        why = "release " + r->state;
        return make_error(ErrorCode::conflict,
                          r->state == "requested"
                              ? fmt::format("release {} is not approved yet", q)
                              : fmt::format("release {} has already been issued", q));
    }
    auto c = check_read(conn, r->record_id, clearance_from_db(conn, by, at));
    why = c.decision.reason;
    if (!c.decision.allowed) {
        return no_record(r->record_id);
    }
    return ReleaseToIssue{std::move(*r), std::move(*c.record)};
}

Result<IssuedCopy> issue_release(store::Connection& conn, const ReleaseToIssue& release,
                                 const std::string& holder_name, Micros at, std::string& why) {
    const auto& r = release.release;
    // Escaped even though requests are refused such text now: one stored
    // before must not split or forge the marking either.
    CopyRequest copy;
    copy.holder = r.requested_by;
    copy.holder_name = holder_name;
    copy.purpose = fmt::format("release {} to {}", r.id, r.entity);
    copy.at = at;
    copy.released_to =
        fmt::format("RELEASED TO {} UNDER {}", line_field(r.entity), line_field(r.arrangement));
    copy.release_id = r.id;
    auto issued = issue_copy(conn, release.record, copy, why);
    if (!issued) {
        return issued;
    }
    store::ReleaseRepository(conn).mark_issued(r.id);
    why += fmt::format("; released to {} under {} (release {})", printable(r.entity, 60),
                       printable(r.arrangement, 60), r.id);
    return issued;
}

VisibleReleases visible_releases(store::Connection& conn, std::int64_t me, Micros at) {
    const auto clearance = clearance_from_db(conn, me, at);
    VisibleReleases out;
    // Approvers see every request waiting; everyone sees their own.
    out.approver = policy::may_approve_release(clearance, 0, release_delegates(conn, at)).allowed;
    for (auto& r : store::ReleaseRepository(conn).in_state("")) {
        // Requests waiting for approval only for records the approver may read.
        if (r.requested_by == me || (out.approver && r.state == "requested" &&
                                     check_read(conn, r.record_id, clearance).decision.allowed)) {
            out.releases.push_back(std::move(r));
        }
    }
    return out;
}

Result<std::int64_t> delegate_release(store::Connection& conn, const std::string& to,
                                      const std::string& ref, std::optional<Micros> until,
                                      std::int64_t by, Micros at, std::string& why) {
    if (ref.find_first_not_of(" \t") == std::string::npos) {
        return make_error(ErrorCode::bad_request,
                          "a delegation needs the reference of the written delegation (--ref)");
    }
    const auto caller = clearance_from_db(conn, by, at);
    const bool hom = std::any_of(caller.posts.begin(), caller.posts.end(), [](const auto& p) {
        return p.authority == policy::Authority::head_of_mission;
    });
    if (!hom) {
        why = "not the head of mission";
        return make_error(ErrorCode::denied,
                          "only the head of mission may delegate the approval of releases");
    }
    const auto post = store::MatrixRepository(conn).find_post(to);
    if (!post) {
        return make_error(ErrorCode::not_found, fmt::format("no post named {}", printable(to, 64)));
    }
    if (until && *until <= at) {
        return make_error(ErrorCode::bad_request, "the delegation would end before it starts");
    }
    store::DelegationRow d;
    d.kind = "release";
    d.grantor = by;
    d.to_post = post->id;
    d.reference = ref;
    d.until = until;
    d.created_at = at;
    const auto id = store::RecordRepository(conn).insert_delegation(d);
    why = fmt::format("head of mission delegates release approval to post {} under {}", to,
                      printable(ref, 80));
    return id;
}

}  // namespace strongroom::registry
