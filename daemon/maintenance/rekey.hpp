// Rekeying the store (strongroomd --rekey NEW_KEY_FILE, the daemon stopped).
//
// The store moves from the master key in use to a new one:
//   1. the database is exported (sqlcipher_export) into a new file under the
//      new database key, beside the old one;
//   2. in that file, in one transaction: every record key is unwrapped with
//      the old key and wrapped with the new one; the old master key is
//      retired (retired_keys: its audit MAC key sealed under the new master,
//      its signing public key, its key check, and the range of audit entries
//      chained under it); keys retired before are sealed again; and the
//      rekey itself is appended to the audit trail, chained under the new
//      audit key from the last entry under the old one;
//   3. the checkpoint file is MACed again under the new audit key;
//   4. the new file replaces the database (one rename), the key check is
//      written, and the old file is overwritten and removed.
// Key-store backups are overwritten and removed: they, and the content
// backups they belong to, open only under the old key.
//
// A crash before step 4's rename leaves the old database whole (the new
// file is removed at the next rekey); after it, the new one is in place and
// the start-up key check names the key it needs.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "daemon/common/error.hpp"
#include "daemon/common/time.hpp"

namespace strongroom::crypto {
class KeyVault;
}

namespace strongroom::maintenance {

class KeyBackups;

struct RekeyReport {
    std::int64_t epoch = 0;  // the number the retired key got (1 = the first)
    std::int64_t first_seq = 0;
    std::int64_t last_seq = 0;   // the audit entries chained under it
    std::int64_t rekey_seq = 0;  // the audit entry recording the rekey
    std::int64_t record_keys = 0;
    std::int64_t resealed = 0;  // keys retired before, sealed again
    std::size_t checkpoints = 0;
    std::size_t checkpoints_not_verified = 0;
    std::vector<std::string> key_backups_removed;
    std::string old_check;  // key checks, hex
    std::string new_check;

    // One line for the audit entry and the operator.
    std::string summary() const;
};

// Who asked (root at the console, normally), for the audit entry.
struct RekeyActor {
    std::uint32_t uid = 0;
    std::int32_t pid = 0;
};

// At start-up, once the database has opened under the key in use: what a
// rekey interrupted by a crash left undone. The checkpoint file written for
// the new key goes in place if its lines verify under this key (else it is
// removed), the old database is overwritten and removed, a half-made export
// is removed. Returns what was done, for the audit trail.
std::vector<std::string> finish_interrupted_rekey(const std::filesystem::path& state,
                                                  const crypto::KeyVault& vault);

Result<RekeyReport> rekey_store(const std::filesystem::path& state, const crypto::KeyVault& current,
                                const crypto::KeyVault& next, const KeyBackups& key_backups,
                                const RekeyActor& actor, Micros now);

}  // namespace strongroom::maintenance
