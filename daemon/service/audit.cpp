// The audit trail for auditors: verify the chain against its checkpoints,
// read it with filters, take a signed checkpoint, export the public key.
// Every one of these requests is itself audited, like any other.
#include <algorithm>
#include <thread>
#include <vector>

#include <boost/json/array.hpp>
#include <fmt/format.h>

#include "daemon/audit/checkpoint.hpp"
#include "daemon/audit/trail.hpp"
#include "daemon/common/text.hpp"
#include "daemon/crypto/key_vault.hpp"
#include "daemon/protocol/args.hpp"
#include "daemon/service/arguments.hpp"
#include "daemon/service/handlers.hpp"
#include "daemon/service/internal.hpp"
#include "daemon/store/audit_log.hpp"
#include "daemon/store/retired_keys.hpp"
#include "daemon/store/store.hpp"

namespace strongroom::service {
namespace json = boost::json;

namespace {

audit::Checkpoint current_head(store::Connection& conn, Micros now) {
    audit::Checkpoint c;
    c.at = now;
    if (const auto head = store::AuditRepository(conn).head()) {
        c.seq = head->first;
        c.head = head->second;
    }
    return c;
}

// The answer's account of a checkpoint someone gave.
json::object given_json(const audit::GivenCheckpoint& judged) {
    json::object given;
    given["sequence"] = judged.checkpoint.seq;
    given["time"] = format_timestamp(judged.checkpoint.at);
    given["signature_valid"] = judged.signature_valid;
    if (judged.retired_epoch) {
        given["signed_by_retired_key"] = *judged.retired_epoch;
    }
    return given;
}

// The caller's connection and up to three readers free right now (one per
// core), for verifying ranges of the chain side by side.
std::vector<store::Connection*> with_free_readers(Context& ctx, store::Connection& own,
                                                  std::vector<store::ReaderLease>& extra) {
    std::vector<store::Connection*> conns{&own};
    const unsigned cores = std::max(1U, std::thread::hardware_concurrency());
    extra.reserve(std::min(cores, 4U));
    while (conns.size() < std::min(cores, 4U)) {
        auto lease = ctx.deps.readers->try_lease();
        if (!lease) {
            break;
        }
        extra.push_back(std::move(*lease));
        conns.push_back(&extra.back().connection());
    }
    return conns;
}

json::object verify_json(const audit::VerifyResult& r, const std::vector<std::string>& problems,
                         const audit::CheckpointLog* file) {
    json::object out;
    out["intact"] = r.intact && problems.empty();
    out["entries"] = r.entries;
    out["first_bad"] = r.first_bad ? json::value(*r.first_bad) : json::value(nullptr);
    json::array all;
    if (!r.problem.empty()) {
        all.emplace_back(r.problem);
    }
    for (const auto& p : problems) {
        all.emplace_back(p);
    }
    out["problems"] = std::move(all);
    json::object cps;
    cps["checked"] = r.checkpoints_checked;
    cps["latest"] = r.latest_checkpoint;
    if (file != nullptr) {
        cps["file"] = file->path().string();
    }
    out["checkpoints"] = std::move(cps);
    return out;
}

}  // namespace

Result<json::object> handle_audit_verify(Context& ctx) {
    protocol::ArgReader args(ctx.args);
    const auto external = args.optional_lines("checkpoint", 1024);
    if (auto err = args.finish()) {
        return *err;
    }
    ctx.audit.object = "audit";
    std::vector<audit::Checkpoint> checkpoints;
    std::vector<std::string> problems;
    if (ctx.deps.checkpoints != nullptr) {
        auto content = ctx.deps.checkpoints->read();
        if (!content) {
            return std::move(content).error();
        }
        checkpoints = std::move(content->checkpoints);
        problems = std::move(content->problems);
    }
    // The chain splits into ranges verified side by side: one on this
    // request's connection, the others on readers free right now.
    store::Connection& own =
        ctx.conn_after_audit();  // leased before any other, so this cannot deadlock
    json::object given;
    if (external) {
        auto judged = audit::judge_checkpoint(own, *ctx.deps.vault, *external);
        if (!judged) {
            return std::move(judged).error();
        }
        given = given_json(*judged);
        if (judged->problem) {
            problems.push_back(*judged->problem);
        } else {
            checkpoints.push_back(judged->checkpoint);
        }
    }
    std::vector<store::ReaderLease> extra;
    const auto conns = with_free_readers(ctx, own, extra);
    const auto verified = audit::verify_chain(conns, *ctx.deps.vault, checkpoints);
    if (!verified) {
        return verified.error();
    }
    const auto& r = *verified;
    auto out = verify_json(r, problems, ctx.deps.checkpoints);
    if (external) {
        out["given_checkpoint"] = std::move(given);
    }
    ctx.audit.reason = r.intact && problems.empty()
                           ? fmt::format("chain intact: {} entries, {} checkpoints matched",
                                         r.entries, r.checkpoints_checked)
                           : fmt::format("chain NOT intact: {}",
                                         !r.problem.empty() ? r.problem : problems.front());
    return out;
}

Result<json::object> handle_audit_log(Context& ctx) {
    protocol::ArgReader args(ctx.args);
    store::AuditFilter f;
    const auto since = optional_last_day(args, "since");
    const auto until = optional_last_day(args, "until");
    f.since = since.start;
    f.until = until.end;
    f.account = args.optional_string("account", 64);
    if (const auto record = args.optional_uint("record", INT64_MAX)) {
        f.object = fmt::format("record:{}", *record);
    }
    f.request = args.optional_string("action", 64);
    f.decision = args.optional_string("decision", 8);
    if (f.decision && !store::decision_from_string(*f.decision)) {
        args.fail(make_error(ErrorCode::bad_request,
                             fmt::format("\"{}\" is not a decision: use allow, deny or error",
                                         printable(*f.decision, 8))));
    }
    f.after = static_cast<std::int64_t>(args.optional_uint("after", INT64_MAX).value_or(0));
    f.limit = args.optional_uint("limit", 1000).value_or(100);
    if (auto err = args.finish()) {
        return *err;
    }
    if (f.limit == 0) {
        f.limit = 100;
    }
    ctx.audit.object = "audit";
    const auto rows = store::AuditRepository(ctx.conn_after_audit()).search(f);
    json::array entries;
    for (const auto& r : rows) {
        json::object e;
        e["seq"] = r.seq;
        e["at"] = format_timestamp(r.record.at);
        e["account"] = r.record.account;
        e["uid"] = r.record.uid;
        e["pid"] = r.record.pid;
        e["action"] = r.record.request;
        e["object"] = r.record.object;
        e["decision"] = store::to_string(r.record.decision);
        e["reason"] = r.record.reason;
        entries.push_back(std::move(e));
    }
    ctx.audit.reason = fmt::format("{} entries read", rows.size());
    json::object out;
    out["entries"] = std::move(entries);
    out["next"] = rows.size() == f.limit ? json::value(rows.back().seq) : json::value(nullptr);
    return out;
}

Result<json::object> handle_audit_checkpoint(Context& ctx) {
    protocol::ArgReader args(ctx.args);
    if (auto err = args.finish()) {
        return *err;
    }
    ctx.audit.object = "audit";
    const auto c = current_head(ctx.conn_after_audit(), ctx.now);
    const auto text =
        audit::signed_checkpoint(c, ctx.deps.mission_code, ctx.deps.vault->signing_key());
    ctx.audit.reason = fmt::format("signed checkpoint of entry {}", c.seq);
    json::object out;
    out["sequence"] = c.seq;
    out["head"] = to_hex(c.head);
    out["time"] = format_timestamp(c.at);
    out["checkpoint"] = text;
    return out;
}

Result<json::object> handle_audit_public_key(Context& ctx) {
    protocol::ArgReader args(ctx.args);
    const auto wanted = args.optional_uint("key", 1000000);  // a retired key, by number
    if (auto err = args.finish()) {
        return *err;
    }
    ctx.audit.object = wanted ? fmt::format("signing-key:retired-{}", *wanted) : "signing-key";
    ctx.audit.reason = "public key exported";
    const auto keys = signing_keys(ctx.conn(), *ctx.deps.vault);
    const SigningKey* chosen = &keys.front();
    if (wanted) {
        const auto it = std::find_if(keys.begin() + 1, keys.end(), [&](const SigningKey& k) {
            return k.epoch == static_cast<std::int64_t>(*wanted);
        });
        if (it == keys.end()) {
            return make_error(ErrorCode::not_found,
                              fmt::format("no retired key {}: {} keys were retired by rekeys",
                                          *wanted, keys.size() - 1));
        }
        chosen = &*it;
    }
    json::object out;
    out["algorithm"] = "Ed25519";
    out["pem"] = audit::public_key_pem(chosen->key);
    out["fingerprint_sha256"] = to_hex(crypto::sha256(chosen->key));
    if (wanted) {
        out["key"] = chosen->epoch;
        out["retired_at"] = format_timestamp(chosen->retired_at);
    }
    // Keys retired by a rekey, newest first: what was signed before verifies
    // with them.
    json::array retired;
    for (std::size_t i = 1; i < keys.size(); ++i) {
        json::object k;
        k["key"] = keys[i].epoch;
        k["retired"] = format_timestamp(keys[i].retired_at);
        k["pem"] = audit::public_key_pem(keys[i].key);
        k["fingerprint_sha256"] = to_hex(crypto::sha256(keys[i].key));
        retired.push_back(std::move(k));
    }
    out["retired"] = std::move(retired);
    return out;
}

}  // namespace strongroom::service
