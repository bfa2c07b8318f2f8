// The audit trail: an append-only, hash-chained log in the database.
//
// Entry n carries mac(n) = HMAC-SHA256(audit key, mac(n-1) || canonical(n)),
// where mac(0) is 32 zero bytes and canonical(n) is a fixed, length-prefixed
// encoding of every field of the entry, its sequence number included. A
// changed, removed or reordered entry breaks the chain from that point on.
//
// The Trail is used only on the writer thread (it is the writer's audit
// appender), so it needs no lock: the writer serialises every append.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "daemon/crypto/mac.hpp"
#include "daemon/store/audit_log.hpp"
#include "daemon/store/writer.hpp"

namespace strongroom::audit {

// The chain MAC of one entry, given the previous entry's MAC.
store::Mac chain_mac(crypto::HmacSha256& mac, const store::Mac& previous, std::int64_t seq,
                     const store::AuditRecord& record);

class Trail {
public:
    // head: the newest entry already stored (sequence number and MAC).
    Trail(crypto::HmacSha256 mac, std::optional<std::pair<std::int64_t, store::Mac>> head);

    // Chains and stores one record in the open transaction.
    void append(store::Transaction& txn, store::AuditRecord&& record);

    std::int64_t head_seq() const noexcept { return seq_; }

private:
    crypto::HmacSha256 mac_;
    std::int64_t seq_ = 0;
    store::Mac head_{};
};

struct VerifyResult {
    bool intact = true;
    std::int64_t entries = 0;
    std::optional<std::int64_t> first_bad;  // sequence number of the first bad entry
    std::string problem;                    // what is wrong there, for people
};

// Walks the whole chain from the first entry.
VerifyResult verify(store::Connection& conn, crypto::HmacSha256& mac);

}  // namespace strongroom::audit
