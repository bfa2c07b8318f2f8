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
#include "daemon/registry/releases.hpp"
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
    const auto done = registry::request_release(conn,
                                                {.record = id,
                                                 .entity = entity,
                                                 .entity_kind = kind,
                                                 .justification = justification,
                                                 .arrangement = arrangement,
                                                 .hrddp = hrddp,
                                                 .by = ctx.subject.account->id,
                                                 .at = ctx.now},
                                                ctx.audit.reason);
    if (!done) {
        return done.error();
    }
    ctx.changed_records.push_back(id);
    auto out = release_json(conn, done->release);
    out["status"] = "requested";
    json::array who;
    for (const auto& p : done->approvers) {
        who.push_back(
            json::object{{"account", p.account}, {"post", p.post}, {"authority", p.authority}});
    }
    out["approvers"] = std::move(who);
    json::array review;
    for (const auto& name : done->review_posts) {
        review.emplace_back(name);
    }
    out["review_posts"] = std::move(review);
    return out;
}

Result<json::object> handle_release_approve(Context& ctx) {
    std::int64_t q = 0;
    if (auto err = sole_id(ctx, "request", "release", q)) {
        return *err;
    }
    auto& conn = ctx.conn();
    const auto approved = registry::approve_release(conn, q, ctx.subject.account->id, ctx.now,
                                                    ctx.audit.object, ctx.audit.reason);
    if (!approved) {
        return approved.error();
    }
    return release_json(conn, *approved);
}

Result<json::object> handle_release_issue(Context& ctx) {
    std::int64_t q = 0;
    if (auto err = sole_id(ctx, "request", "release", q)) {
        return *err;
    }
    auto& conn = ctx.conn();
    const auto release = registry::release_to_issue(conn, q, ctx.subject.account->id, ctx.now,
                                                    ctx.audit.object, ctx.audit.reason);
    if (!release) {
        return release.error();
    }
    const auto& record = release->record;
    auto plain = record_content(ctx, record);
    if (!plain) {
        return std::move(plain).error();
    }
    const auto copy = registry::issue_release(conn, *release, ctx.subject.account->name, ctx.now,
                                              ctx.audit.reason);
    if (!copy) {
        return copy.error();
    }
    json::object out;
    out["request"] = q;
    out["id"] = record.id;
    out["to"] = release->release.entity;
    out["registry_number"] =
        record.registry_number ? json::value(*record.registry_number) : json::value(nullptr);
    out["holder"] = ctx.subject.account->name;
    ctx.content = copy_content(std::move(*plain), record, *copy, out);
    return out;
}

Result<json::object> handle_release_list(Context& ctx) {
    protocol::ArgReader args(ctx.args);
    if (auto err = args.finish()) {
        return *err;
    }
    ctx.audit.object = "releases";
    auto& conn = ctx.conn();
    const auto visible = registry::visible_releases(conn, ctx.subject.account->id, ctx.now);
    json::array list;
    for (const auto& r : visible.releases) {
        list.push_back(release_json(conn, r));
    }
    ctx.audit.reason = fmt::format("{} release requests shown{}", list.size(),
                                   visible.approver ? " (approver)" : "");
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
    const auto did = registry::delegate_release(ctx.conn(), to, ref, last_day.end,
                                                ctx.subject.account->id, ctx.now, ctx.audit.reason);
    if (!did) {
        return did.error();
    }
    return json::object{
        {"delegation", json::object{{"id", *did},
                                    {"kind", "release"},
                                    {"to", to},
                                    {"ref", ref},
                                    {"until", last_day.text ? json::value(*last_day.text)
                                                            : json::value(nullptr)}}}};
}

}  // namespace strongroom::service
