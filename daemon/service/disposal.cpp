// Disposal (rule 10): a batch of records due for destruction is proposed by
// one registrar and approved by another; executing it destroys each record's
// content (its key, its chunks, its text in the index) and yields a signed
// certificate that is kept for good and can be verified later.
#include "daemon/store/disposal.hpp"

#include <algorithm>
#include <charconv>
#include <map>
#include <optional>

#include <boost/json/array.hpp>
#include <boost/json/value_from.hpp>
#include <fmt/format.h>

#include "daemon/common/text.hpp"
#include "daemon/crypto/digest.hpp"
#include "daemon/crypto/ed25519.hpp"
#include "daemon/crypto/key_vault.hpp"
#include "daemon/policy/clearance.hpp"
#include "daemon/protocol/args.hpp"
#include "daemon/retention/certificates.hpp"
#include "daemon/retention/disposal.hpp"
#include "daemon/service/arguments.hpp"
#include "daemon/service/handlers.hpp"
#include "daemon/service/internal.hpp"
#include "daemon/service/records.hpp"
#include "daemon/service/retention.hpp"
#include "daemon/store/copies.hpp"
#include "daemon/store/records.hpp"

namespace strongroom::service {
namespace json = boost::json;

namespace {

constexpr std::string_view kDestructionTitle = "STRONGROOM DESTRUCTION CERTIFICATE";
constexpr Micros kDay = 86400LL * 1000000;
constexpr std::uint64_t kDefaultBatch = 10000;  // records a proposal takes at most
constexpr std::uint64_t kMaxBatch = 100000;

std::int64_t batch_arg(protocol::ArgReader& args) {
    return static_cast<std::int64_t>(args.required_uint("batch", INT64_MAX));
}

json::object batch_json(store::Connection& conn, const store::BatchRow& b, std::size_t records) {
    json::object o;
    o["batch"] = b.id;
    o["kind"] = to_text(b.kind);
    o["state"] = to_text(b.state);
    o["as_of"] = format_date(b.as_of);
    o["records"] = records;
    o["proposed_by"] = account_name(conn, b.proposed_by);
    o["proposed"] = format_timestamp(b.proposed_at);
    o["approved_by"] =
        b.approved_by ? json::value(account_name(conn, *b.approved_by)) : json::value(nullptr);
    o["approved"] = b.approved_at ? json::value(format_timestamp(*b.approved_at)) : nullptr;
    o["executed_by"] =
        b.executed_by ? json::value(account_name(conn, *b.executed_by)) : json::value(nullptr);
    o["executed"] = b.executed_at ? json::value(format_timestamp(*b.executed_at)) : nullptr;
    return o;
}

// A decimal number, all of text.
}  // namespace

Result<std::string> dispose_records(Context& ctx, std::int64_t batch,
                                    const std::vector<store::RecordRow>& rows, RecordState state) {
    auto lines =
        retention::dispose_records(ctx.conn(), *ctx.deps.vault, batch, rows, state, ctx.now);
    if (lines) {
        for (const auto& r : rows) {
            ctx.changed_records.push_back(r.id);
        }
        ctx.truncate_log = true;
    }
    return lines;
}

std::string sign_document(const Context& ctx, const std::string& body) {
    const auto key = ctx.deps.vault->signing_key();
    const auto sig = key.sign({reinterpret_cast<const std::uint8_t*>(body.data()), body.size()});
    return body + "signature: " + to_base64(sig) + "\n";
}

json::array blockers_json(const std::vector<retention::Blocked>& blockers) {
    json::array out;
    for (const auto& b : blockers) {
        out.push_back(json::object{{"record", b.record}, {"reason", b.reason}});
    }
    return out;
}

Result<BatchRequest> batch_request(Context& ctx, std::uint64_t default_limit,
                                   std::string_view what) {
    protocol::ArgReader args(ctx.args);
    const auto as_of_day = optional_last_day(args, "as_of");
    const auto limit = args.optional_uint("limit", kMaxBatch).value_or(default_limit);
    if (auto err = args.finish()) {
        return *err;
    }
    if (limit == 0) {
        return make_error(ErrorCode::bad_request, "a batch takes at least one record (--limit)");
    }
    if (as_of_day.start && *as_of_day.start > ctx.now) {
        return make_error(ErrorCode::bad_request,
                          fmt::format("{} as of today or an earlier day, not a later one", what));
    }
    return BatchRequest{as_of_day.end ? std::min(*as_of_day.end - 1, ctx.now) : ctx.now, limit};
}

Result<json::object> handle_disposal_propose(Context& ctx) {
    const auto request = batch_request(ctx, kDefaultBatch, "a disposal is proposed");
    if (!request) {
        return request.error();
    }
    const auto [as_of, limit] = *request;
    ctx.audit.object = "disposal";
    auto& conn = ctx.conn();
    store::DisposalRepository batches(conn);
    auto choice = choose_due(conn, as_of, retention::Action::destroy, BatchKind::destroy, limit);
    json::array ids;
    for (const auto& r : choice.rows) {
        ids.emplace_back(r.id);
    }
    auto blockers = blockers_json(choice.blockers);
    const auto left = choice.left;
    json::object out;
    out["as_of"] = format_timestamp(as_of);
    out["records"] = std::move(ids);
    out["blockers"] = std::move(blockers);
    out["left"] = left;
    if (choice.rows.empty()) {
        out["batch"] = nullptr;
        ctx.audit.reason = "nothing due for destruction";
        return out;
    }
    const auto batch = batches.insert(BatchKind::destroy, BatchState::proposed, as_of,
                                      ctx.subject.account->id, ctx.now);
    for (std::size_t i = 0; i < choice.rows.size(); ++i) {
        batches.add_record(batch, choice.rows[i].id, choice.why[i]);
    }
    ctx.audit.object = fmt::format("disposal:{}", batch);
    ctx.audit.reason = fmt::format("proposed {} records for destruction, {} blocked",
                                   choice.rows.size(), out.at("blockers").as_array().size());
    out["batch"] = batch;
    out["message"] = fmt::format(
        "a different registrar must run 'disposal approve {}' before it can be executed", batch);
    return out;
}

Result<json::object> handle_disposal_approve(Context& ctx) {
    std::int64_t id = 0;
    if (auto err = sole_id(ctx, "batch", "disposal", id)) {
        return *err;
    }
    auto& conn = ctx.conn();
    const auto approved = retention::approve_disposal(conn, id, ctx.subject.account->id,
                                                      approver_of(ctx), ctx.now, ctx.audit.reason);
    if (!approved) {
        return approved.error();
    }
    return batch_json(conn, approved->batch, approved->records);
}

Result<json::object> execute_disposal(Context& ctx, std::int64_t id) {
    ctx.audit.object = fmt::format("disposal:{}", id);
    auto& conn = ctx.conn();
    auto ready = retention::disposal_to_execute(conn, id, ctx.audit.reason);
    if (!ready) {
        return std::move(ready).error();
    }
    const auto& b = ready->batch;
    const auto& rows = ready->rows;
    store::DisposalRepository repo(conn);
    const auto unrecoverable_after = ctx.now + static_cast<Micros>(ctx.deps.key_backup_days) * kDay;
    auto lines = dispose_records(ctx, id, rows, RecordState::destroyed);
    if (!lines) {
        return std::move(lines).error();
    }
    const auto body = fmt::format(
        "{}\nmission: {}\nbatch: {}\nas of: {}\nproposed: {} {}\napproved: {} {}\nexecuted: {} "
        "{}\nmethod: record key destroyed; content and text index entries overwritten "
        "(secure_delete) and freed\nno backup can yield these records after: {}\nrecords: {}\n{}",
        kDestructionTitle, ctx.deps.mission_code, id, format_date(b.as_of),
        account_name(conn, b.proposed_by), format_timestamp(b.proposed_at),
        account_name(conn, *b.approved_by), format_timestamp(*b.approved_at),
        account_name(conn, ctx.subject.account->id), format_timestamp(ctx.now),
        format_timestamp(unrecoverable_after), rows.size(), *lines);
    const auto certificate = sign_document(ctx, body);
    repo.execute(id, BatchState::executed, ctx.subject.account->id, ctx.now, certificate);
    ctx.audit.reason = fmt::format("destroyed {} records", rows.size());
    json::object out;
    out["batch"] = id;
    out["destroyed"] = rows.size();
    out["unrecoverable_after"] = format_timestamp(unrecoverable_after);
    out["certificate"] = certificate;
    return out;
}

Result<json::object> handle_disposal_execute(Context& ctx) {
    protocol::ArgReader args(ctx.args);
    const auto id = batch_arg(args);
    if (auto err = args.finish()) {
        return *err;
    }
    if (const auto c = store::DisposalRepository(ctx.conn()).open_closure_of(id)) {
        ctx.audit.object = fmt::format("disposal:{}", id);
        return make_error(ErrorCode::conflict,
                          fmt::format("disposal batch {} belongs to closure {}: 'closure complete "
                                      "{}' executes it",
                                      id, *c, *c));
    }
    return execute_disposal(ctx, id);
}

Result<json::object> handle_disposal_list(Context& ctx) {
    protocol::ArgReader args(ctx.args);
    if (auto err = args.finish()) {
        return *err;
    }
    ctx.audit.object = "disposal";
    auto& conn = ctx.conn();
    store::DisposalRepository repo(conn);
    json::array out;
    for (const auto& b : repo.list(BatchKind::destroy)) {
        auto o = batch_json(conn, b, repo.records(b.id).size());
        out.push_back(std::move(o));
    }
    return json::object{{"batches", std::move(out)}};
}

Result<json::object> handle_disposal_show(Context& ctx) {
    std::int64_t id = 0;
    if (auto err = sole_id(ctx, "batch", "disposal", id)) {
        return *err;
    }
    auto& conn = ctx.conn();
    store::DisposalRepository repo(conn);
    auto b = retention::find_batch(conn, id, BatchKind::destroy);
    if (!b) {
        return std::move(b).error();
    }
    const auto members = repo.records(id);
    auto out = batch_json(conn, *b, members.size());
    json::array items;
    for (const auto& m : members) {
        items.push_back(json::object{{"record", m.record_id}, {"why", m.why}});
    }
    out["items"] = std::move(items);
    out["certificate"] = b->certificate ? json::value(*b->certificate) : json::value(nullptr);
    return out;
}

Result<json::object> handle_certificate_verify(Context& ctx) {
    protocol::ArgReader args(ctx.args);
    const auto id = batch_arg(args);
    const auto digest = args.required_string("sha256", 64);
    const auto args_kind = args.optional_string("kind", 16).value_or("destroy");
    if (args_kind != "destroy" && args_kind != "transfer") {
        args.fail(make_error(ErrorCode::bad_request, "kind is destroy or transfer"));
    }
    if (auto err = args.finish()) {
        return *err;
    }
    const auto kind = args_kind == "transfer" ? BatchKind::transfer : BatchKind::destroy;
    ctx.audit.object =
        fmt::format("{}:{}", kind == BatchKind::transfer ? "transfer" : "disposal", id);
    auto& conn = ctx.conn();
    const auto checked = retention::check_certificate(
        conn, id, kind, digest,
        [keys = signing_keys(conn, *ctx.deps.vault)](std::string_view body, const auto& signature) {
            return signed_by(keys, body, signature).has_value();
        });
    if (!checked) {
        return checked.error();
    }
    const auto& problems = checked->problems;
    json::object out;
    out["batch"] = id;
    out["kind"] = to_text(kind);
    out["matches_register"] = checked->matches_register;
    out["register_signature_valid"] = checked->register_signature_valid;
    out["records"] = checked->records;
    out["records_destroyed"] = checked->records_disposed;
    out["valid"] = problems.empty();
    ctx.audit.reason = problems.empty()
                           ? "certificate verified"
                           : fmt::format("certificate not valid: {} problems", problems.size());
    out["problems"] = json::value_from(problems);
    return out;
}

}  // namespace strongroom::service
