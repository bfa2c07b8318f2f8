// Backups (DESIGN.md §4; issue 7): the database without what could yield a
// destroyed record, and the key store, kept apart.
//
// A content backup is a copy of the database as of the source connection's
// snapshot, under the same database key, from which the record keys and the
// full-text index (the words of every text) are removed and whose freed
// pages are overwritten and dropped (secure_delete, VACUUM). Its content
// chunks can be read only with keys from a key-store backup.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "daemon/common/states.hpp"
#include "daemon/common/time.hpp"

namespace strongroom::crypto {
class KeyVault;
}

namespace strongroom::store {

class Connection;

// Writes the content backup of `source` (a connection whose read snapshot it
// copies) to the new file `dest`; returns its size in bytes. Throws
// StoreError (the partial file is removed).
std::uint64_t write_content_backup(Connection& source, const std::filesystem::path& dest,
                                   const crypto::KeyVault& vault);

struct WrappedKey {
    std::int64_t record_id = 0;
    std::vector<std::uint8_t> wrapped;
};

// Every record key (wrapped), by record id.
std::vector<WrappedKey> all_record_keys(Connection& conn);

// Records destroyed or transferred away, with the time and batch.
struct Disposed {
    std::int64_t record_id = 0;
    RecordState state = RecordState::destroyed;  // destroyed | transferred
    std::int64_t batch = 0;
    Micros at = 0;
};
std::vector<Disposed> all_disposed(Connection& conn);

}  // namespace strongroom::store
