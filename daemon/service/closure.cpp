// Mission closure (rules 9-11): one registrar prepares it, a second approves
// it. It transfers every permanent record to the archives and destroys all
// the rest, under certificates, and ends with a signed statement that
// nothing classified remains here.
#include <boost/json/array.hpp>
#include <fmt/format.h>

#include "daemon/protocol/args.hpp"
#include "daemon/service/handlers.hpp"
#include "daemon/service/internal.hpp"
#include "daemon/service/retention.hpp"
#include "daemon/store/disposal.hpp"
#include "daemon/store/records.hpp"

namespace strongroom::service {
namespace json = boost::json;

namespace {

constexpr std::string_view kStatementTitle = "STRONGROOM CLOSURE STATEMENT";

Result<store::ClosureRow> find(store::DisposalRepository& repo, std::int64_t id) {
    auto c = repo.find_closure(id);
    if (!c) {
        return make_error(ErrorCode::not_found, fmt::format("no closure {}", id));
    }
    return std::move(*c);
}

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
    store::DisposalRepository repo(conn);
    if (const auto open = repo.open_closure()) {
        return make_error(ErrorCode::conflict,
                          fmt::format("closure {} is already prepared", open->id));
    }
    store::RetentionRepository retention(conn);
    const Holds holds(retention);
    std::map<std::string, retention::Schedule> schedules;
    for (const auto& row : retention.schedules()) {
        schedules.emplace(row.type, to_schedule(row));
    }
    store::RecordRepository records(conn);
    std::vector<store::RecordRow> permanent;
    std::vector<std::string> why_permanent;
    std::vector<store::RecordRow> rest;
    json::array blockers;
    records.for_each_in_state(RecordState::held, [&](store::RecordRow& r) {
        auto why = disposal_blocker(conn, holds, r);
        if (!why) {
            for (const auto kind : {BatchKind::destroy, BatchKind::transfer}) {
                if (const auto b = repo.open_batch_of(r.id, kind)) {
                    why = fmt::format("record {} is in open {} batch {}", r.id, kind, *b);
                }
            }
        }
        if (why) {
            blockers.emplace_back(*why);
            return;
        }
        const auto s = schedules.find(r.type);
        if (s != schedules.end() && s->second.disposition == retention::Disposition::permanent) {
            why_permanent.push_back(r.type + ": permanent, transferred at mission closure");
            permanent.push_back(std::move(r));
        } else {
            rest.push_back(std::move(r));
        }
    });
    if (!blockers.empty()) {
        ctx.audit.reason = fmt::format("{} records block the closure", blockers.size());
        std::string first(blockers.front().as_string());
        return make_error(
            ErrorCode::conflict,
            fmt::format("the mission cannot be closed yet: {}{}", first,
                        blockers.size() > 1 ? fmt::format(" (and {} more)", blockers.size() - 1)
                                            : std::string()));
    }
    std::optional<std::int64_t> transfer;
    if (!permanent.empty()) {
        transfer = create_transfer_batch(ctx, permanent, why_permanent, ctx.now);
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
    protocol::ArgReader args(ctx.args);
    const auto id = closure_arg(args);
    if (auto err = args.finish()) {
        return *err;
    }
    ctx.audit.object = fmt::format("closure:{}", id);
    auto& conn = ctx.conn();
    store::DisposalRepository repo(conn);
    auto c = find(repo, id);
    if (!c) {
        return std::move(c).error();
    }
    auto out = closure_json(conn, *c);
    out["statement"] = c->statement ? json::value(*c->statement) : json::value(nullptr);
    return out;
}

Result<json::object> handle_closure_approve(Context& ctx) {
    protocol::ArgReader args(ctx.args);
    const auto id = closure_arg(args);
    if (auto err = args.finish()) {
        return *err;
    }
    ctx.audit.object = fmt::format("closure:{}", id);
    auto& conn = ctx.conn();
    store::DisposalRepository repo(conn);
    auto c = find(repo, id);
    if (!c) {
        return std::move(c).error();
    }
    if (c->approved_by || c->completed_at) {
        return make_error(ErrorCode::conflict, fmt::format("closure {} is already approved", id));
    }
    const auto me = ctx.subject.account->id;
    if (c->proposed_by == me) {
        return make_error(ErrorCode::conflict,
                          fmt::format("you prepared closure {} yourself; a different registrar "
                                      "must approve it (two-person rule)",
                                      id));
    }
    const auto may = policy::may_approve(
        approver_of(ctx), {id, c->proposed_by, c->proposed_at, policy::Role::registrar, false}, 0);
    if (!may.allowed) {
        ctx.audit.reason = may.reason;
        return make_error(may.code, may.reason);
    }
    repo.approve_closure(id, me, ctx.now);
    if (c->disposal_batch) {
        repo.approve(*c->disposal_batch, me, ctx.now);
    }
    ctx.audit.reason = "closure approved by a second registrar";
    return closure_json(conn, *repo.find_closure(id));
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
    store::DisposalRepository repo(conn);
    auto c = find(repo, id);
    if (!c) {
        return std::move(c).error();
    }
    if (c->completed_at) {
        return make_error(ErrorCode::conflict, fmt::format("closure {} is already complete", id));
    }
    if (!c->approved_by) {
        return make_error(ErrorCode::conflict,
                          fmt::format("closure {} is not approved: a registrar other than the one "
                                      "who prepared it must approve it",
                                      id));
    }
    if (c->transfer_batch && (!receipt || receipt->empty())) {
        return make_error(ErrorCode::bad_request,
                          "the archives' receipt for the transfer package is needed (--receipt)");
    }
    // Nothing may have entered since: every held record is in one of the two batches.
    store::RecordRepository records(conn);
    std::size_t covered = 0;
    for (const auto batch : {c->transfer_batch, c->disposal_batch}) {
        covered += batch ? repo.records(*batch).size() : 0;
    }
    const auto held = static_cast<std::size_t>(records.count());
    if (held != covered) {
        return make_error(ErrorCode::conflict,
                          fmt::format("{} records entered since closure {} was prepared; they "
                                      "are not in its batches",
                                      held - std::min(held, covered), id));
    }
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
