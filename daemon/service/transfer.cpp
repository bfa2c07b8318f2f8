// Archive transfer (rule 9): permanent records due for transfer go to the
// archives in a package the tool writes as a BagIt bag (RFC 8493) from what
// the daemon gives: the batch, a signed transfer list, and each record's
// content and metadata (registry history included). When the archives
// acknowledge it, `transfer confirm` removes the local content as a
// certified disposal (state transferred).
#include <algorithm>

#include <boost/json/array.hpp>
#include <boost/json/value_from.hpp>
#include <fmt/format.h>

#include "daemon/common/text.hpp"
#include "daemon/policy/clearance.hpp"
#include "daemon/protocol/args.hpp"
#include "daemon/retention/disposal.hpp"
#include "daemon/service/arguments.hpp"
#include "daemon/service/handlers.hpp"
#include "daemon/service/internal.hpp"
#include "daemon/service/records.hpp"
#include "daemon/service/retention.hpp"
#include "daemon/store/disposal.hpp"
#include "daemon/store/records.hpp"

namespace strongroom::service {
namespace json = boost::json;

namespace {

constexpr std::string_view kListTitle = "STRONGROOM TRANSFER LIST";
constexpr std::string_view kCertificateTitle = "STRONGROOM TRANSFER CERTIFICATE";
constexpr std::uint64_t kDefaultBatch = 1000;

// The payload path of a record's content in the bag: data/ID/content.EXT,
// with the original file's extension when it is plain.
std::string content_path(const store::RecordRow& r) {
    std::string ext;
    if (const auto dot = r.filename.rfind('.'); dot != std::string::npos) {
        ext = r.filename.substr(dot + 1);
        const bool plain =
            !ext.empty() && ext.size() <= 8 && std::all_of(ext.begin(), ext.end(), [](char c) {
                return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
            });
        if (!plain) {
            ext.clear();
        }
    }
    return fmt::format("data/{}/content{}{}", r.id, ext.empty() ? "" : ".", ext);
}

json::object listed(const store::RecordRow& r) {
    json::object o;
    o["record"] = r.id;
    o["registry_number"] = r.registry_number.value_or("");
    o["path"] = content_path(r);
    o["metadata_path"] = fmt::format("data/{}/metadata.json", r.id);
    o["size"] = r.size;
    o["sha256"] = to_hex(r.sha256);
    return o;
}

// The batch as the tool writes it into a bag.
Result<json::object> package_of(Context& ctx, const store::BatchRow& b) {
    auto& conn = ctx.conn();
    store::RecordRepository records(conn);
    json::array items;
    for (const auto& m : store::DisposalRepository(conn).records(b.id)) {
        const auto r = records.find(m.record_id);
        if (!r) {
            return make_error(ErrorCode::internal, fmt::format("record {} is gone", m.record_id));
        }
        items.push_back(listed(*r));
    }
    json::object out;
    out["batch"] = b.id;
    out["state"] = to_text(b.state);
    out["mission"] = ctx.deps.mission_code;
    out["prepared"] = format_timestamp(b.proposed_at);
    out["prepared_by"] = account_name(conn, b.proposed_by);
    out["records"] = std::move(items);
    out["transfer_list"] = b.list ? json::value(*b.list) : json::value(nullptr);
    out["certificate"] = b.certificate ? json::value(*b.certificate) : json::value(nullptr);
    out["receipt"] = b.receipt ? json::value(*b.receipt) : json::value(nullptr);
    return out;
}

std::int64_t batch_arg(protocol::ArgReader& args) {
    return static_cast<std::int64_t>(args.required_uint("batch", INT64_MAX));
}

}  // namespace

std::int64_t create_transfer_batch(Context& ctx, const std::vector<store::RecordRow>& rows,
                                   const std::vector<std::string>& why, Micros as_of) {
    auto& conn = ctx.conn();
    store::DisposalRepository batches(conn);
    const auto id = batches.insert(BatchKind::transfer, BatchState::prepared, as_of,
                                   ctx.subject.account->id, ctx.now);
    std::string lines;
    std::uint64_t bytes = 0;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const auto& r = rows[i];
        batches.add_record(id, r.id, why[i]);
        bytes += static_cast<std::uint64_t>(r.size);
        lines += fmt::format("record: {} | {} | {} | {} | dated {} | {} bytes | sha256 {} | {}\n",
                             r.id, r.registry_number.value_or("no registry number"),
                             policy::level_name(r.level), r.type, format_date(r.dated), r.size,
                             to_hex(r.sha256), content_path(r));
    }
    const auto list = sign_document(
        ctx, fmt::format("{}\nmission: {}\nbatch: {}\nas of: {}\nprepared: {} {}\nrecords: {}\n"
                         "bytes: {}\n{}",
                         kListTitle, ctx.deps.mission_code, id, format_date(as_of),
                         account_name(conn, ctx.subject.account->id), format_timestamp(ctx.now),
                         rows.size(), bytes, lines));
    batches.set_list(id, list);
    return id;
}

Result<json::object> transfer_package(Context& ctx, std::int64_t batch) {
    auto b = retention::find_batch(ctx.conn(), batch, BatchKind::transfer);
    if (!b) {
        return std::move(b).error();
    }
    return package_of(ctx, *b);
}

Result<json::object> handle_transfer_prepare(Context& ctx) {
    const auto request = batch_request(ctx, kDefaultBatch, "a transfer is prepared");
    if (!request) {
        return request.error();
    }
    const auto [as_of, limit] = *request;
    ctx.audit.object = "transfer";
    auto& conn = ctx.conn();
    store::DisposalRepository batches(conn);
    auto choice = choose_due(conn, as_of, retention::Action::transfer, BatchKind::transfer, limit);
    auto& chosen = choice.rows;
    auto blockers = blockers_json(choice.blockers);
    const auto left = choice.left;
    if (chosen.empty()) {
        ctx.audit.reason = "nothing due for transfer";
        json::object out;
        out["batch"] = nullptr;
        out["records"] = json::array();
        out["blockers"] = std::move(blockers);
        out["left"] = left;
        return out;
    }
    const auto id = create_transfer_batch(ctx, chosen, choice.why, as_of);
    ctx.audit.object = fmt::format("transfer:{}", id);
    ctx.audit.reason = fmt::format("prepared the transfer of {} records, {} blocked", chosen.size(),
                                   blockers.size());
    auto b = batches.find(id);
    auto out = package_of(ctx, *b);
    if (!out) {
        return out;
    }
    out->emplace("blockers", std::move(blockers));
    out->emplace("left", left);
    return out;
}

Result<json::object> handle_transfer_show(Context& ctx) {
    std::int64_t id = 0;
    if (auto err = sole_id(ctx, "batch", "transfer", id)) {
        return *err;
    }
    auto b = retention::find_batch(ctx.conn(), id, BatchKind::transfer);
    if (!b) {
        return std::move(b).error();
    }
    return package_of(ctx, *b);
}

Result<json::object> handle_transfer_list(Context& ctx) {
    protocol::ArgReader args(ctx.args);
    if (auto err = args.finish()) {
        return *err;
    }
    ctx.audit.object = "transfer";
    auto& conn = ctx.conn();
    store::DisposalRepository repo(conn);
    json::array out;
    for (const auto& b : repo.list(BatchKind::transfer)) {
        json::object o;
        o["batch"] = b.id;
        o["state"] = to_text(b.state);
        o["records"] = repo.records(b.id).size();
        o["prepared"] = format_timestamp(b.proposed_at);
        o["prepared_by"] = account_name(conn, b.proposed_by);
        o["receipt"] = b.receipt ? json::value(*b.receipt) : json::value(nullptr);
        out.push_back(std::move(o));
    }
    return json::object{{"batches", std::move(out)}};
}

// One record of a prepared batch: its metadata, then its content. The
// package goes to the archives under the registry's custody: the registrar
// need not be cleared for what it carries, and every record that leaves
// this way is audited with its batch.
Result<json::object> handle_transfer_content(Context& ctx) {
    protocol::ArgReader args(ctx.args);
    const auto id = batch_arg(args);
    const auto record = static_cast<std::int64_t>(args.required_uint("record", INT64_MAX));
    if (auto err = args.finish()) {
        return *err;
    }
    ctx.audit.object = fmt::format("transfer:{} record:{}", id, record);
    auto& conn = ctx.conn();
    store::DisposalRepository repo(conn);
    auto b = retention::find_batch(conn, id, BatchKind::transfer);
    if (!b) {
        return std::move(b).error();
    }
    if (b->state != BatchState::prepared) {
        return make_error(ErrorCode::conflict,
                          fmt::format("transfer batch {} is already {}", id, b->state));
    }
    const auto members = repo.records(id);
    const bool member =
        std::any_of(members.begin(), members.end(),
                    [&](const store::BatchRecord& m) { return m.record_id == record; });
    if (!member) {
        return make_error(ErrorCode::not_found,
                          fmt::format("record {} is not in transfer batch {}", record, id));
    }
    const auto r = store::RecordRepository(conn).find(record);
    if (!r || r->state != RecordState::held) {
        return make_error(ErrorCode::conflict, fmt::format("record {} is not held here", record));
    }
    auto content = record_content(ctx, *r);
    if (!content) {
        return std::move(content).error();
    }
    ctx.content = std::move(*content);
    ctx.audit.reason = fmt::format("content to the archives in transfer batch {}", id);
    json::object meta = listed(*r);
    meta["title"] = r->title;
    meta["level"] = policy::level_name(r->level);
    meta["compartments"] = compartment_names(conn, r->compartments);
    meta["type"] = r->type;
    meta["dated"] = format_date(r->dated);
    meta["entered"] = format_timestamp(r->created_at);
    meta["origin"] = r->origin;
    meta["filename"] = r->filename;
    meta["mission"] = ctx.deps.mission_code;
    meta["transfer_batch"] = id;
    meta["registry_history"] = registry_history(conn, *r);
    return json::object{{"metadata", std::move(meta)}};
}

Result<json::object> confirm_transfer(Context& ctx, std::int64_t id, const std::string& receipt) {
    ctx.audit.object = fmt::format("transfer:{}", id);
    if (receipt.empty()) {
        return make_error(ErrorCode::bad_request,
                          "the archives' acknowledgement reference is needed (--receipt)");
    }
    // It goes into a signed certificate, one field of one line.
    for (const char c : receipt) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f || c == '|') {
            return make_error(ErrorCode::bad_request,
                              "a receipt reference is one line of text without '|'");
        }
    }
    auto& conn = ctx.conn();
    auto ready = retention::transfer_to_confirm(conn, id, ctx.audit.reason);
    if (!ready) {
        return std::move(ready).error();
    }
    const auto& b = ready->batch;
    const auto& rows = ready->rows;
    store::DisposalRepository repo(conn);
    auto lines = dispose_records(ctx, id, rows, RecordState::transferred);
    if (!lines) {
        return std::move(lines).error();
    }
    const auto certificate = sign_document(
        ctx, fmt::format("{}\nmission: {}\nbatch: {}\nas of: {}\nprepared: {} {}\nreceipt: {}\n"
                         "confirmed: {} {}\nmethod: transferred to the archives; local record key "
                         "destroyed; content and text index entries overwritten (secure_delete) "
                         "and freed\nrecords: {}\n{}",
                         kCertificateTitle, ctx.deps.mission_code, id, format_date(b.as_of),
                         account_name(conn, b.proposed_by), format_timestamp(b.proposed_at),
                         receipt, account_name(conn, ctx.subject.account->id),
                         format_timestamp(ctx.now), rows.size(), *lines));
    repo.set_receipt(id, receipt);
    repo.execute(id, BatchState::confirmed, ctx.subject.account->id, ctx.now, certificate);
    ctx.audit.reason = fmt::format("archives acknowledged {} ({}); {} records removed locally", id,
                                   receipt, rows.size());
    json::object out;
    out["batch"] = id;
    out["transferred"] = rows.size();
    out["receipt"] = receipt;
    out["certificate"] = certificate;
    return out;
}

Result<json::object> handle_transfer_confirm(Context& ctx) {
    protocol::ArgReader args(ctx.args);
    const auto id = batch_arg(args);
    const auto receipt = args.required_string("receipt", 200);
    if (auto err = args.finish()) {
        return *err;
    }
    if (const auto c = store::DisposalRepository(ctx.conn()).open_closure_of(id)) {
        ctx.audit.object = fmt::format("transfer:{}", id);
        return make_error(ErrorCode::conflict,
                          fmt::format("transfer batch {} belongs to closure {}: 'closure complete "
                                      "{}' confirms it",
                                      id, *c, *c));
    }
    return confirm_transfer(ctx, id, receipt);
}

}  // namespace strongroom::service
