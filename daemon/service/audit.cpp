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

}  // namespace

std::vector<SigningKey> signing_keys(store::Connection& conn, const crypto::KeyVault& vault) {
    std::vector<SigningKey> out;
    out.push_back({0, vault.signing_key().public_key(), 0});
    auto retired = store::RetiredKeyRepository(conn).all();
    for (auto it = retired.rbegin(); it != retired.rend(); ++it) {
        SigningKey k{it->epoch, {}, it->retired_at, it->first_seq, it->last_seq};
        // Only a row whose sealed key opens is the daemon's own: its public
        // key, range and time are bound to it.
        if (vault.retired_audit_mac(it->binding(), it->audit_key).ok() &&
            it->signing_public.size() == k.key.size()) {
            std::copy(it->signing_public.begin(), it->signing_public.end(), k.key.begin());
            out.push_back(k);
        }
    }
    return out;
}

std::optional<SigningKey> signed_by(const std::vector<SigningKey>& keys, std::string_view body,
                                    const crypto::Ed25519Key::Signature& signature) {
    for (const auto& k : keys) {
        if (crypto::Ed25519Key::verify(
                k.key, {reinterpret_cast<const std::uint8_t*>(body.data()), body.size()},
                signature)) {
            return k;
        }
    }
    return std::nullopt;
}

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
    const auto retired = store::RetiredKeyRepository(own).all();
    json::object given;
    if (external) {
        auto parsed = audit::parse_signed_checkpoint(*external);
        if (!parsed) {
            return std::move(parsed).error();
        }
        const auto by =
            signed_by(signing_keys(own, *ctx.deps.vault), parsed->body, parsed->signature);
        given["sequence"] = parsed->checkpoint.seq;
        given["time"] = format_timestamp(parsed->checkpoint.at);
        // A retired key signed only what came before its retirement.
        const bool in_its_time =
            !by || by->epoch == 0 ||
            (parsed->checkpoint.seq <= by->last_seq && parsed->checkpoint.at <= by->retired_at);
        given["signature_valid"] = by.has_value() && in_its_time;
        if (by && by->epoch != 0) {
            given["signed_by_retired_key"] = by->epoch;
        }
        if (by && !in_its_time) {
            problems.push_back(fmt::format(
                "the checkpoint given is signed with retired key {} but is of entry {} or a time "
                "after that key's retirement (entries {} to {}, retired {})",
                by->epoch, parsed->checkpoint.seq, by->first_seq, by->last_seq,
                format_timestamp(by->retired_at)));
        } else if (!by) {
            problems.push_back(
                "the checkpoint given was not signed by this strongroom's key (or was altered)");
        } else {
            checkpoints.push_back(parsed->checkpoint);
        }
    }
    std::vector<store::ReaderLease> extra;
    const unsigned cores = std::max(1U, std::thread::hardware_concurrency());
    while (extra.size() + 1 < std::min(cores, 4U)) {
        auto lease = ctx.deps.readers->try_lease();
        if (!lease) {
            break;
        }
        extra.push_back(std::move(*lease));
    }
    // Each worker has its own MACs: the current key's and one per retired
    // key, for the entries chained under it.
    const std::size_t n = extra.size() + 1;
    std::vector<crypto::HmacSha256> macs;
    macs.reserve(n * (retired.size() + 1));
    std::vector<std::vector<audit::RetiredMac>> retired_macs(n);
    std::vector<audit::VerifyWorker> workers;
    for (std::size_t i = 0; i < n; ++i) {
        for (const auto& k : retired) {
            auto mac = ctx.deps.vault->retired_audit_mac(k.binding(), k.audit_key);
            if (!mac) {
                return std::move(mac).error();
            }
            macs.push_back(std::move(*mac));
            retired_macs[i].push_back({k.first_seq, k.last_seq, &macs.back()});
        }
        macs.push_back(ctx.deps.vault->audit_mac());
        workers.push_back(
            {i == 0 ? &own : &extra[i - 1].connection(), &macs.back(), retired_macs[i]});
    }
    const auto r = audit::verify(workers, checkpoints);
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
    if (ctx.deps.checkpoints != nullptr) {
        cps["file"] = ctx.deps.checkpoints->path().string();
    }
    out["checkpoints"] = std::move(cps);
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
