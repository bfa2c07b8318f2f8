// The audit trail: an append-only, hash-chained log in the database.
//
// Each entry n has a content digest d(n) = SHA-256(canonical(n)), where
// canonical(n) is a fixed, length-prefixed encoding of every field of the
// entry, and a chain MAC
//
//   mac(n) = HMAC-SHA256(audit key, tag || mac(n-1) || n || d(n)),
//
// with mac(0) = 32 zero bytes. A changed, removed or reordered entry breaks
// the chain from that point on. The digest of a read's entry is computed on
// the thread that served the read; the writer thread only chains (one short
// HMAC per entry) and stores, many rows per statement.
//
// The Trail is used only on the writer thread (append and flush), so it needs
// no lock: the writer serialises every append.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "daemon/audit/checkpoint.hpp"
#include "daemon/crypto/digest.hpp"
#include "daemon/crypto/mac.hpp"
#include "daemon/store/audit_log.hpp"
#include "daemon/store/writer.hpp"

namespace strongroom::audit {

// The content digest of a record (any thread).
crypto::Sha256Digest content_digest(const store::AuditRecord& record);

// Fills in record.content_digest if it is not there yet.
void seal(store::AuditRecord& record);

// The chain MAC of one entry, given the previous entry's MAC.
store::Mac chain_mac(crypto::HmacSha256& mac, const store::Mac& previous, std::int64_t seq,
                     const crypto::Sha256Digest& content);

class Trail {
public:
    // head: the newest entry already stored (sequence number and MAC).
    Trail(crypto::HmacSha256 mac, std::optional<std::pair<std::int64_t, store::Mac>> head);

    // Chains one record; it is stored by the next flush, in the same
    // transaction.
    void append(store::Transaction& txn, store::AuditRecord&& record);
    // Stores every record appended since the last flush.
    void flush(store::Transaction& txn);
    // The transaction was rolled back: the chain goes back to the head of
    // the last commit, and the records appended since come back in order.
    std::vector<store::AuditRecord> rolled_back();

    // The hooks the store's writer calls.
    store::Writer::AuditHooks hooks();

    // Checkpoints: after a commit that takes the chain `every` entries or
    // more past the last checkpoint (`last`: its sequence number), the head
    // goes to the log and to `announce` (the journal). Writer thread.
    using Announce = std::function<void(const Checkpoint&, const Status&)>;
    void set_checkpoints(CheckpointLog* log, std::int64_t every, std::int64_t last,
                         Announce announce);
    // After each commit (writer thread).
    void committed();
    // A checkpoint of the head now, unless the last one is already of it
    // (when the daemon stops, with the writer stopped).
    void checkpoint_now();

    std::int64_t head_seq() const noexcept { return seq_; }
    Checkpoint head() const;

private:
    void checkpoint();

    crypto::HmacSha256 mac_;
    std::int64_t seq_ = 0;
    store::Mac head_{};
    std::int64_t committed_seq_ = 0;  // the head of the last commit
    store::Mac committed_head_{};
    std::vector<store::AuditRow> pending_;  // appended, not yet stored
    std::vector<store::AuditRow> stored_;   // stored, not yet committed
    CheckpointLog* log_ = nullptr;
    std::int64_t every_ = 0;
    std::int64_t last_checkpoint_ = 0;
    Announce announce_;
};

struct VerifyResult {
    bool intact = true;
    std::int64_t entries = 0;
    std::optional<std::int64_t> first_bad;  // sequence number of the first bad entry
    std::string problem;                    // what is wrong there, for people
    std::int64_t checkpoints_checked = 0;
    std::int64_t latest_checkpoint = 0;  // the highest sequence number a checkpoint holds
};

// Walks the whole chain from the first entry, and checks it against the
// checkpoints: each must match the entry at its sequence number, and none
// may be beyond the last entry (the newest entries were removed).
VerifyResult verify(store::Connection& conn, crypto::HmacSha256& mac,
                    const std::vector<Checkpoint>& checkpoints = {});

// The same, with the chain split into as many ranges as there are workers
// (each a connection and MACs of its own), verified side by side.
//
// After a rekey the entries first_seq..last_seq of each retired master key
// were chained under its audit key: `retired` gives a MAC per retired key
// (oldest first), `mac` is the current key's, for every other entry. The
// first entry under a new key chains from the last MAC under the old one,
// so an entry altered under a retired key still breaks the chain there.
struct RetiredMac {
    std::int64_t first_seq = 1;
    std::int64_t last_seq = 0;
    crypto::HmacSha256* mac = nullptr;
};
struct VerifyWorker {
    store::Connection* conn;
    crypto::HmacSha256* mac;
    std::span<const RetiredMac> retired = {};
};
VerifyResult verify(std::span<const VerifyWorker> workers,
                    const std::vector<Checkpoint>& checkpoints = {});

}  // namespace strongroom::audit
