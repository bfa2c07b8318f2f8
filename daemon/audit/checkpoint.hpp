// Checkpoints of the audit chain: its head (sequence number and MAC) at a
// moment, kept outside the database so that removing the newest entries
// (truncation) is detected, and signed for auditors to carry across the air
// gap.
//
// The checkpoint file (STATE_DIR/audit-checkpoints) is append-only text, a
// line per checkpoint:
//
//   <seq> <head mac, hex> <time, RFC 3339> <line mac, hex>
//
// where the line mac is HMAC-SHA256 under the audit key over
// "strongroom checkpoint v1|<seq>|<head>|<time>", so that a line cannot be
// made up without the key. strongroomd writes a checkpoint every N entries
// and when it stops, and logs each to the journal (MESSAGE_ID checkpoint).
//
// A signed checkpoint is five lines of text and a signature line:
//
//   STRONGROOM AUDIT CHECKPOINT
//   mission: <code>
//   sequence: <seq>
//   head: <hex>
//   time: <RFC 3339>
//   signature: <base64 Ed25519 signature of the five lines above>
//
// verifiable with stock openssl and the exported public key (PEM).
#pragma once

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "daemon/common/error.hpp"
#include "daemon/common/fd.hpp"
#include "daemon/common/time.hpp"
#include "daemon/crypto/ed25519.hpp"
#include "daemon/crypto/mac.hpp"
#include "daemon/store/audit_log.hpp"

namespace strongroom::audit {

struct Checkpoint {
    std::int64_t seq = 0;
    store::Mac head{};
    Micros at = 0;
};

struct CheckpointFileContent {
    std::vector<Checkpoint> checkpoints;  // the lines whose MAC holds, in file order
    std::vector<std::string> problems;    // lines that do not, by line number
};

class CheckpointLog {
public:
    // Opens (creating, mode 0600) the file for appending; throws
    // std::runtime_error with the reason if it cannot.
    CheckpointLog(const std::filesystem::path& path, crypto::HmacSha256 mac);
    ~CheckpointLog();
    CheckpointLog(const CheckpointLog&) = delete;
    CheckpointLog& operator=(const CheckpointLog&) = delete;

    // Appends a line and makes it durable.
    Status append(const Checkpoint& c);
    // Reads every line back (through the descriptor opened at start).
    Result<CheckpointFileContent> read() const;

    const std::filesystem::path& path() const noexcept { return path_; }

private:
    std::filesystem::path path_;
    Fd fd_;
    mutable std::mutex mutex_;
    mutable crypto::HmacSha256 mac_;
};

// Rekey: writes the checkpoint file `from` again at `to` (fsync'd; the
// caller renames it into place) with each line whose MAC holds under
// old_mac MACed under new_mac instead. Any other line is copied as it is,
// so that audit verify goes on reporting it. A missing file gives an empty one.
struct RewrittenCheckpoints {
    std::size_t rewritten = 0;
    std::size_t kept = 0;  // lines that did not verify under the old key
};
Result<RewrittenCheckpoints> rewrite_checkpoints(const std::filesystem::path& from,
                                                 const std::filesystem::path& to,
                                                 crypto::HmacSha256& old_mac,
                                                 crypto::HmacSha256& new_mac);

// The five signed lines and the signature line.
std::string signed_checkpoint(const Checkpoint& c, const std::string& mission,
                              const crypto::Ed25519Key& key);

struct ParsedCheckpoint {
    Checkpoint checkpoint;
    std::string mission;
    std::string body;  // the five signed lines
    crypto::Ed25519Key::Signature signature{};
};
// Parses a signed checkpoint; the error names what is wrong.
Result<ParsedCheckpoint> parse_signed_checkpoint(std::string_view text);

// The public key as a PEM SubjectPublicKeyInfo block (openssl reads it).
std::string public_key_pem(const crypto::Ed25519Key::PublicKey& key);

}  // namespace strongroom::audit
