// Release outside the mission (rule 6): a reader requests it with its
// justification and references; the head of mission or a holder of a valid
// written delegation for release approves it, never the requester; the
// requester then issues the released copy, registered like any copy.
#include "daemon/store/releases.hpp"

#include <algorithm>

#include <boost/json/array.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "daemon/common/text.hpp"
#include "daemon/policy/clearance.hpp"
#include "daemon/protocol/args.hpp"
#include "daemon/service/arguments.hpp"
#include "daemon/service/copies.hpp"
#include "daemon/service/handlers.hpp"
#include "daemon/service/identity.hpp"
#include "daemon/service/internal.hpp"
#include "daemon/service/records.hpp"
#include "daemon/store/accounts.hpp"
#include "daemon/store/matrix.hpp"
#include "daemon/store/records.hpp"

namespace strongroom::service {
namespace json = boost::json;

namespace {

json::object release_json(store::Connection& conn, const store::ReleaseRow& r) {
    json::object o;
    o["request"] = r.id;
    o["record"] = r.record_id;
    o["to"] = r.entity;
    o["entity_kind"] = r.entity_kind;
    o["justification"] = r.justification;
    o["arrangement"] = r.arrangement;
    o["hrddp"] = r.hrddp.empty() ? json::value(nullptr) : json::value(r.hrddp);
    o["requested_by"] = account_name(conn, r.requested_by);
    o["requested"] = format_timestamp(r.requested_at);
    o["state"] = r.state;
    o["approved_by"] =
        r.approved_by ? json::value(account_name(conn, *r.approved_by)) : json::value(nullptr);
    o["approved"] =
        r.approved_at ? json::value(format_timestamp(*r.approved_at)) : json::value(nullptr);
    o["authority"] = r.authority ? json::value(*r.authority) : json::value(nullptr);
    o["reference"] = r.reference;
    return o;
}

std::int64_t request_arg(protocol::ArgReader& args) {
    return static_cast<std::int64_t>(args.required_uint("request", INT64_MAX));
}

Error no_request(std::int64_t id) {
    return make_error(ErrorCode::not_found, fmt::format("no release request {}", id));
}

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
    struct Person {
        std::string account;
        std::string post;
        std::string authority;  // head-of-mission, delegation
    };
    std::vector<Person> people;
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

}  // namespace

Result<json::object> handle_release_request(Context& ctx) {
    protocol::ArgReader args(ctx.args);
    const auto id = record_id_arg(args);
    const auto entity = args.required_string("to", 200);
    const auto kind = args.required_string("entity_kind", 32);
    const auto justification = args.required_lines("justification", 2000);
    const auto arrangement = args.required_string("arrangement", 200);
    const auto hrddp = args.optional_string("hrddp", 200).value_or("");
    if (auto err = args.finish()) {
        return *err;
    }
    ctx.audit.object = fmt::format("record:{}", id);
    auto& conn = ctx.conn();
    const auto me = ctx.subject.account->id;
    const auto reader = clearance_from_db(conn, me, ctx.now);
    const auto c = check_read(conn, id, reader);
    if (!c.decision.allowed) {
        ctx.audit.reason = c.decision.reason;
        return no_record(id);
    }
    if (entity.find_first_not_of(' ') == std::string::npos) {
        return make_error(ErrorCode::bad_request, "name the entity the record goes to (--to)");
    }
    // Both go into the released copy's marking line, whose fields '|' separates.
    const std::pair<const char*, const std::string*> marked[] = {{"to", &entity},
                                                                 {"arrangement", &arrangement}};
    for (const auto& [key, value] : marked) {
        if (value->find('|') != std::string::npos) {
            return make_error(ErrorCode::bad_request,
                              fmt::format("argument \"{}\" contains '|', which separates the "
                                          "fields of the released copy's marking; remove it",
                                          key));
        }
    }
    const auto ok = policy::may_request_release(kind, justification, arrangement, hrddp);
    if (!ok.allowed) {
        ctx.audit.reason = fmt::format("{}; release refused: {}", c.decision.reason, ok.reason);
        return make_error(ok.code, ok.reason);
    }
    const auto approvers = release_approvers(conn, named_label_of(conn, *c.record), me, ctx.now);
    if (approvers.people.empty()) {
        const auto why = fmt::format("nobody can approve a release of record {}: {}", id,
                                     fmt::join(approvers.why_not, "; "));
        ctx.audit.reason = fmt::format("{}; release refused: {}", c.decision.reason, why);
        return make_error(ErrorCode::conflict,
                          why +
                              "; ask a technical officer to assign the head of mission's post, "
                              "or the head of mission to delegate release approval");
    }
    store::ReleaseRow r;
    r.record_id = id;
    r.requested_by = me;
    r.entity = entity;
    r.entity_kind = kind;
    r.justification = justification;
    r.arrangement = arrangement;
    r.hrddp = hrddp;
    r.requested_at = ctx.now;
    r.id = store::ReleaseRepository(conn).insert(r);
    // The approvers' posts receive the record for review, registered like
    // any dissemination, so that they can read what they are asked to release.
    store::RecordRepository records(conn);
    json::array review;
    std::vector<std::string> review_names;
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
        row.by_account = me;
        row.at = ctx.now;
        records.disseminate(row);
        review.emplace_back(post.name);
        review_names.push_back(post.name);
    }
    ctx.changed_records.push_back(id);
    ctx.audit.reason = fmt::format(
        "{}; release request {} to {} ({}) under {}; for review to {}", c.decision.reason, r.id,
        printable(entity, 60), kind, printable(arrangement, 60),
        review_names.empty() ? "none needed" : fmt::format("{}", fmt::join(review_names, ", ")));
    auto out = release_json(conn, r);
    out["status"] = "requested";
    json::array who;
    for (const auto& p : approvers.people) {
        who.push_back(
            json::object{{"account", p.account}, {"post", p.post}, {"authority", p.authority}});
    }
    out["approvers"] = std::move(who);
    out["review_posts"] = std::move(review);
    return out;
}

Result<json::object> handle_release_approve(Context& ctx) {
    protocol::ArgReader args(ctx.args);
    const auto q = request_arg(args);
    if (auto err = args.finish()) {
        return *err;
    }
    ctx.audit.object = fmt::format("release:{}", q);
    auto& conn = ctx.conn();
    store::ReleaseRepository releases(conn);
    const auto r = releases.find(q);
    if (!r) {
        ctx.audit.reason = "no such release request";
        return no_request(q);
    }
    ctx.audit.object = fmt::format("release:{} record:{}", q, r->record_id);
    const auto approver = clearance_from_db(conn, ctx.subject.account->id, ctx.now);
    const auto delegates = release_delegates(conn, ctx.now);
    const auto may = policy::may_approve_release(approver, r->requested_by, delegates);
    ctx.audit.reason = may.reason;
    if (!may.allowed) {
        // The requester knows the request; to anyone else who may not
        // approve, it does not exist (the same answer as for no request).
        if (r->requested_by == ctx.subject.account->id) {
            return make_error(may.code, may.reason);
        }
        return no_request(q);
    }
    // An approver must be able to read what they release; to one who cannot,
    // the request does not exist either.
    if (const auto c = check_read(conn, r->record_id, approver); !c.decision.allowed) {
        ctx.audit.reason = "approver may not read the record: " + c.decision.reason;
        return no_request(q);
    }
    if (r->state != "requested") {
        ctx.audit.reason += "; already " + r->state;
        return make_error(ErrorCode::conflict,
                          fmt::format("release request {} is already {}", q, r->state));
    }
    const std::string authority(policy::authority_text(may.basis));
    std::string reference;
    if (may.basis == policy::Basis::delegation) {
        for (const auto& d :
             store::RecordRepository(conn).delegations_in_force("release", std::nullopt, ctx.now)) {
            for (const auto& p : approver.posts) {
                if (p.id == d.to_post && reference.empty()) {
                    reference = d.reference;
                }
            }
        }
    }
    releases.approve(q, ctx.subject.account->id, ctx.now, authority, reference);
    auto out = release_json(conn, *releases.find(q));
    return out;
}

Result<json::object> handle_release_issue(Context& ctx) {
    protocol::ArgReader args(ctx.args);
    const auto q = request_arg(args);
    if (auto err = args.finish()) {
        return *err;
    }
    ctx.audit.object = fmt::format("release:{}", q);
    auto& conn = ctx.conn();
    store::ReleaseRepository releases(conn);
    const auto r = releases.find(q);
    const auto me = ctx.subject.account->id;
    if (!r || r->requested_by != me) {
        ctx.audit.reason = r ? "not the requester" : "no such release request";
        return r ? make_error(ErrorCode::denied,
                              fmt::format("only the requester of release {} may issue it", q))
                 : no_request(q);
    }
    ctx.audit.object = fmt::format("release:{} record:{}", q, r->record_id);
    if (r->state != "approved") {
        ctx.audit.reason = "release " + r->state;
        return make_error(ErrorCode::conflict,
                          r->state == "requested"
                              ? fmt::format("release {} is not approved yet", q)
                              : fmt::format("release {} has already been issued", q));
    }
    const auto reader = clearance_from_db(conn, me, ctx.now);
    const auto c = check_read(conn, r->record_id, reader);
    ctx.audit.reason = c.decision.reason;
    if (!c.decision.allowed) {
        return no_record(r->record_id);
    }
    auto plain = record_content(ctx, *c.record);
    if (!plain) {
        return std::move(plain).error();
    }
    // Escaped even though requests are refused such text now: one stored
    // before must not split or forge the marking either.
    const auto released_to =
        fmt::format("RELEASED TO {} UNDER {}", line_field(r->entity), line_field(r->arrangement));
    auto copy =
        issue_copy(ctx, *c.record, fmt::format("release {} to {}", q, r->entity), released_to, q);
    if (!copy) {
        return std::move(copy).error();
    }
    releases.mark_issued(q);
    ctx.audit.reason += fmt::format("; released to {} under {} (release {})",
                                    printable(r->entity, 60), printable(r->arrangement, 60), q);
    json::object out;
    out["request"] = q;
    out["id"] = c.record->id;
    out["to"] = r->entity;
    out["registry_number"] =
        c.record->registry_number ? json::value(*c.record->registry_number) : json::value(nullptr);
    out["holder"] = ctx.subject.account->name;
    ctx.content = copy_content(std::move(*plain), *c.record, *copy, out);
    return out;
}

Result<json::object> handle_release_list(Context& ctx) {
    protocol::ArgReader args(ctx.args);
    if (auto err = args.finish()) {
        return *err;
    }
    ctx.audit.object = "releases";
    auto& conn = ctx.conn();
    const auto me = ctx.subject.account->id;
    const auto clearance = clearance_from_db(conn, me, ctx.now);
    // Approvers see every request waiting; everyone sees their own.
    const bool approver =
        policy::may_approve_release(clearance, 0, release_delegates(conn, ctx.now)).allowed;
    json::array list;
    for (const auto& r : store::ReleaseRepository(conn).in_state("")) {
        // Requests waiting for approval only for records the approver may read.
        if (r.requested_by == me || (approver && r.state == "requested" &&
                                     check_read(conn, r.record_id, clearance).decision.allowed)) {
            list.push_back(release_json(conn, r));
        }
    }
    ctx.audit.reason =
        fmt::format("{} release requests shown{}", list.size(), approver ? " (approver)" : "");
    json::object out;
    out["releases"] = std::move(list);
    return out;
}

Result<json::object> handle_delegate_release(Context& ctx) {
    protocol::ArgReader args(ctx.args);
    const auto to = args.required_string("to", 64);
    const auto ref = args.required_string("ref", 200);
    const auto last_day = optional_last_day(args, "until");
    if (auto err = args.finish()) {
        return *err;
    }
    ctx.audit.object = "post:" + printable(to, 64);
    if (ref.find_first_not_of(" \t") == std::string::npos) {
        return make_error(ErrorCode::bad_request,
                          "a delegation needs the reference of the written delegation (--ref)");
    }
    auto& conn = ctx.conn();
    const auto me = ctx.subject.account->id;
    const auto caller = clearance_from_db(conn, me, ctx.now);
    const bool hom = std::any_of(caller.posts.begin(), caller.posts.end(), [](const auto& p) {
        return p.authority == policy::Authority::head_of_mission;
    });
    if (!hom) {
        ctx.audit.reason = "not the head of mission";
        return make_error(ErrorCode::denied,
                          "only the head of mission may delegate the approval of releases");
    }
    const auto post = store::MatrixRepository(conn).find_post(to);
    if (!post) {
        return make_error(ErrorCode::not_found, fmt::format("no post named {}", printable(to, 64)));
    }
    if (last_day.end && *last_day.end <= ctx.now) {
        return make_error(ErrorCode::bad_request, "the delegation would end before it starts");
    }
    store::DelegationRow d;
    d.kind = "release";
    d.grantor = me;
    d.to_post = post->id;
    d.reference = ref;
    d.until = last_day.end;
    d.created_at = ctx.now;
    const auto did = store::RecordRepository(conn).insert_delegation(d);
    ctx.audit.reason = fmt::format("head of mission delegates release approval to post {} under {}",
                                   to, printable(ref, 80));
    return json::object{
        {"delegation", json::object{{"id", did},
                                    {"kind", "release"},
                                    {"to", to},
                                    {"ref", ref},
                                    {"until", last_day.text ? json::value(*last_day.text)
                                                            : json::value(nullptr)}}}};
}

}  // namespace strongroom::service
