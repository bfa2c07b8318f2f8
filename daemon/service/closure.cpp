// Mission closure (rules 9-11): one registrar prepares it, a second approves
// it. It transfers every permanent record to the archives and destroys all
// the rest, under certificates, and ends with a signed statement that
// nothing classified remains here.
#include "daemon/retention/closure.hpp"

#include <boost/json/array.hpp>
#include <fmt/format.h>

#include "daemon/protocol/args.hpp"
#include "daemon/service/arguments.hpp"
#include "daemon/service/handlers.hpp"
#include "daemon/service/internal.hpp"
#include "daemon/service/retention.hpp"
#include "daemon/store/disposal.hpp"
#include "daemon/store/records.hpp"

namespace strongroom::service {
namespace json = boost::json;

namespace {

constexpr std::string_view kStatementTitle = "STRONGROOM CLOSURE STATEMENT";

std::int64_t closure_arg(protocol::ArgReader& args) {
    return static_cast<std::int64_t>(args.required_uint("closure", INT64_MAX));
}

json::object closure_json(store::Connection& conn, const store::ClosureRow& c) {
    json::object o;
    o["closure"] = c.id;
    o["transfer_batch"] = c.transfer_batch ? json::value(*c.transfer_batch) : nullptr;
    o["disposal_batch"] = c.disposal_batch ? json::value(*c.disposal_batch) : nullptr;
    o["proposed_by"] = account_name(conn, c.proposed_by);
    o["approved_by"] =
        c.approved_by ? json::value(account_name(conn, *c.approved_by)) : json::value(nullptr);
    o["completed"] = c.completed_at ? json::value(format_timestamp(*c.completed_at)) : nullptr;
    return o;
}

}  // namespace

Result<json::object> handle_closure_prepare(Context& ctx) {
    protocol::ArgReader args(ctx.args);
    if (auto err = args.finish()) {
        return *err;
    }
    ctx.audit.object = "closure";
    auto& conn = ctx.conn();
    auto plan = retention::plan_closure(conn, ctx.audit.reason);
    if (!plan) {
        return std::move(plan).error();
    }
    const auto& permanent = plan->permanent;
    const auto& rest = plan->rest;
    store::DisposalRepository repo(conn);
    std::optional<std::int64_t> transfer;
    if (!permanent.empty()) {
        transfer = create_transfer_batch(ctx, permanent, plan->why_permanent, ctx.now);
    }
    std::optional<std::int64_t> disposal;
    if (!rest.empty()) {
        disposal = repo.insert(BatchKind::destroy, BatchState::proposed, ctx.now,
                               ctx.subject.account->id, ctx.now);
        for (const auto& r : rest) {
            repo.add_record(*disposal, r.id, r.type + ": destroyed at mission closure");
        }
    }
    const auto id = repo.insert_closure(transfer, disposal, ctx.subject.account->id, ctx.now);
    ctx.audit.object = fmt::format("closure:{}", id);
    ctx.audit.reason = fmt::format("closure prepared: {} records to transfer, {} to destroy",
                                   permanent.size(), rest.size());
    json::object out = closure_json(conn, *repo.find_closure(id));
    out["to_transfer"] = permanent.size();
    out["to_destroy"] = rest.size();
    if (transfer) {
        auto package = transfer_package(ctx, *transfer);
        if (!package) {
            return package;
        }
        out["transfer"] = std::move(*package);
    }
    out["message"] = fmt::format(
        "a second registrar must run 'closure approve {}'; then, with the archives' receipt for "
        "the transfer package, 'closure complete {} --receipt REF'",
        id, id);
    return out;
}

Result<json::object> handle_closure_show(Context& ctx) {
    std::int64_t id = 0;
    if (auto err = sole_id(ctx, "closure", "closure", id)) {
        return *err;
    }
    auto& conn = ctx.conn();
    auto c = retention::find_closure(conn, id);
    if (!c) {
        return std::move(c).error();
    }
    auto out = closure_json(conn, *c);
    out["statement"] = c->statement ? json::value(*c->statement) : json::value(nullptr);
    return out;
}

Result<json::object> handle_closure_approve(Context& ctx) {
    std::int64_t id = 0;
    if (auto err = sole_id(ctx, "closure", "closure", id)) {
        return *err;
    }
    auto& conn = ctx.conn();
    const auto approved = retention::approve_closure(conn, id, ctx.subject.account->id,
                                                     approver_of(ctx), ctx.now, ctx.audit.reason);
    if (!approved) {
        return approved.error();
    }
    return closure_json(conn, *approved);
}

Result<json::object> handle_closure_complete(Context& ctx) {
    protocol::ArgReader args(ctx.args);
    const auto id = closure_arg(args);
    const auto receipt = args.optional_string("receipt", 200);
    if (auto err = args.finish()) {
        return *err;
    }
    ctx.audit.object = fmt::format("closure:{}", id);
    auto& conn = ctx.conn();
    const auto c = retention::closure_to_complete(conn, id, receipt);
    if (!c) {
        return c.error();
    }
    store::DisposalRepository repo(conn);
    store::RecordRepository records(conn);
    json::object out;
    std::string transferred = "none";
    std::string destroyed = "none";
    if (c->transfer_batch) {
        auto t = confirm_transfer(ctx, *c->transfer_batch, *receipt);
        if (!t) {
            return t;
        }
        transferred = fmt::format("{} records in transfer batch {}, archives' receipt {}",
                                  t->at("transferred").as_uint64(), *c->transfer_batch, *receipt);
        out["transfer_certificate"] = t->at("certificate");
    }
    std::string unrecoverable = "-";
    if (c->disposal_batch) {
        auto d = execute_disposal(ctx, *c->disposal_batch);
        if (!d) {
            return d;
        }
        destroyed = fmt::format("{} records in disposal batch {}", d->at("destroyed").as_uint64(),
                                *c->disposal_batch);
        unrecoverable = std::string(d->at("unrecoverable_after").as_string());
        out["disposal_certificate"] = d->at("certificate");
    }
    const auto remaining = records.count();
    const auto classified = records.count_classified();
    if (remaining != 0 || classified != 0) {
        return make_error(ErrorCode::internal,
                          fmt::format("{} records remain after the closure's batches", remaining));
    }
    const auto statement = sign_document(
        ctx,
        fmt::format("{}\nmission: {}\nclosure: {}\nprepared: {} {}\napproved: {} {}\ncompleted: {} "
                    "{}\ntransferred to the archives: {}\ndestroyed: {}\nno backup can yield the "
                    "destroyed records after: {}\nrecords held here: 0\nclassified content "
                    "remaining here: none\n",
                    kStatementTitle, ctx.deps.mission_code, id, account_name(conn, c->proposed_by),
                    format_timestamp(c->proposed_at), account_name(conn, *c->approved_by),
                    format_timestamp(*c->approved_at), account_name(conn, ctx.subject.account->id),
                    format_timestamp(ctx.now), transferred, destroyed, unrecoverable));
    repo.complete_closure(id, ctx.subject.account->id, ctx.now, statement);
    ctx.audit.object = fmt::format("closure:{}", id);
    ctx.audit.reason =
        fmt::format("mission closed: transferred {}; destroyed {}", transferred, destroyed);
    out["closure"] = id;
    out["statement"] = statement;
    return out;
}

}  // namespace strongroom::service
