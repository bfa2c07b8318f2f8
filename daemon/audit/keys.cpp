#include "daemon/audit/keys.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "daemon/crypto/key_vault.hpp"
#include "daemon/store/retired_keys.hpp"

namespace strongroom::audit {

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

Result<GivenCheckpoint> judge_checkpoint(store::Connection& conn, const crypto::KeyVault& vault,
                                         const std::string& text) {
    auto parsed = parse_signed_checkpoint(text);
    if (!parsed) {
        return std::move(parsed).error();
    }
    GivenCheckpoint out;
    out.checkpoint = parsed->checkpoint;
    const auto by = signed_by(signing_keys(conn, vault), parsed->body, parsed->signature);
    // A retired key signed only what came before its retirement.
    const bool in_its_time =
        !by || by->epoch == 0 ||
        (parsed->checkpoint.seq <= by->last_seq && parsed->checkpoint.at <= by->retired_at);
    out.signature_valid = by.has_value() && in_its_time;
    if (by && by->epoch != 0) {
        out.retired_epoch = by->epoch;
    }
    if (by && !in_its_time) {
        out.problem = fmt::format(
            "the checkpoint given is signed with retired key {} but is of entry {} or a time "
            "after that key's retirement (entries {} to {}, retired {})",
            by->epoch, parsed->checkpoint.seq, by->first_seq, by->last_seq,
            format_timestamp(by->retired_at));
    } else if (!by) {
        out.problem =
            "the checkpoint given was not signed by this strongroom's key (or was altered)";
    }
    return out;
}

Result<VerifyResult> verify_chain(const std::vector<store::Connection*>& conns,
                                  const crypto::KeyVault& vault,
                                  const std::vector<Checkpoint>& checkpoints) {
    const auto retired = store::RetiredKeyRepository(*conns.front()).all();
    // Each worker has its own MACs: the current key's and one per retired
    // key, for the entries chained under it.
    const std::size_t n = conns.size();
    std::vector<crypto::HmacSha256> macs;
    macs.reserve(n * (retired.size() + 1));
    std::vector<std::vector<RetiredMac>> retired_macs(n);
    std::vector<VerifyWorker> workers;
    for (std::size_t i = 0; i < n; ++i) {
        for (const auto& k : retired) {
            auto mac = vault.retired_audit_mac(k.binding(), k.audit_key);
            if (!mac) {
                return std::move(mac).error();
            }
            macs.push_back(std::move(*mac));
            retired_macs[i].push_back({k.first_seq, k.last_seq, &macs.back()});
        }
        macs.push_back(vault.audit_mac());
        workers.push_back({conns[i], &macs.back(), retired_macs[i]});
    }
    return verify(workers, checkpoints);
}

}  // namespace strongroom::audit
