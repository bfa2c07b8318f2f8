// The keys behind the audit trail and the signed documents, current and
// retired by rekeys: which key signed a document or a checkpoint, and the
// chain verified with each range's own audit key.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/audit/checkpoint.hpp"
#include "daemon/audit/trail.hpp"
#include "daemon/common/error.hpp"
#include "daemon/common/time.hpp"
#include "daemon/crypto/ed25519.hpp"
#include "daemon/store/connection.hpp"

namespace strongroom::crypto {
class KeyVault;
}

namespace strongroom::audit {

// The keys that sign certificates and checkpoints: the current one first
// (epoch 0), then those retired by rekeys, newest first. A retired key is
// listed only if its sealed row opens under the current master key.
struct SigningKey {
    std::int64_t epoch = 0;
    crypto::Ed25519Key::PublicKey key{};
    Micros retired_at = 0;
    std::int64_t first_seq = 0;  // a retired key's audit entries
    std::int64_t last_seq = 0;
};
std::vector<SigningKey> signing_keys(store::Connection& conn, const crypto::KeyVault& vault);
// The key among keys whose signature of body this is, if any.
std::optional<SigningKey> signed_by(const std::vector<SigningKey>& keys, std::string_view body,
                                    const crypto::Ed25519Key::Signature& signature);

// A signed checkpoint someone holds, judged: its signature is valid when a
// key of this strongroom made it, and a retired key only for entries and a
// time before its retirement. `accepted` is the checkpoint to verify the
// chain against, when valid; `problem` says why not otherwise.
struct GivenCheckpoint {
    Checkpoint checkpoint;
    bool signature_valid = false;
    std::optional<std::int64_t> retired_epoch;
    std::optional<std::string> problem;
};
Result<GivenCheckpoint> judge_checkpoint(store::Connection& conn, const crypto::KeyVault& vault,
                                         const std::string& text);

// Verifies the chain against the checkpoints, split over the connections
// given (the first is the caller's), each range under the audit key it was
// chained with.
Result<VerifyResult> verify_chain(const std::vector<store::Connection*>& conns,
                                  const crypto::KeyVault& vault,
                                  const std::vector<Checkpoint>& checkpoints);

}  // namespace strongroom::audit
