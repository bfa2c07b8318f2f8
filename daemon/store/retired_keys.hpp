// The master keys a store had before each rekey (schema 5, retired_keys),
// kept so that what was made under them still verifies: the audit entries
// first_seq..last_seq were chained under the retired audit key, and the
// certificates and signed checkpoints of that time under its signing key.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "daemon/common/time.hpp"

namespace strongroom::store {

class Connection;

struct RetiredKey {
    std::int64_t epoch = 0;                    // 1 = the store's first master key
    std::string key_check;                     // hex, identifies that master key
    std::vector<std::uint8_t> signing_public;  // Ed25519, 32 bytes
    std::vector<std::uint8_t> audit_key;       // sealed under the current master
    std::int64_t first_seq = 1;                // the audit entries chained under it
    std::int64_t last_seq = 0;
    Micros retired_at = 0;

    // Every field but audit_key, encoded: what the sealed audit key is bound
    // to (KeyVault::retire_audit_key), so that a changed range, public key
    // or key check makes the row fail to open.
    std::vector<std::uint8_t> binding() const;
};

class RetiredKeyRepository {
public:
    explicit RetiredKeyRepository(Connection& conn) : conn_(conn) {}

    // Oldest first.
    std::vector<RetiredKey> all();
    // Adds a key, or replaces the one of the same epoch (a reseal).
    void put(const RetiredKey& key);

private:
    Connection& conn_;
};

}  // namespace strongroom::store
