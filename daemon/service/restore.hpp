// Restoring a backup (strongroomd --restore FILE, the daemon stopped).
//
// The backup replaces the database, and then, before anything is served,
// every destruction and transfer recorded since is replayed on it: a record
// destroyed after the backup was taken is destroyed again, never brought
// back. What is known since comes from the database being replaced, if it
// still opens (its record keys, its disposals and their batches and
// certificates, and the audit entries after the backup's, which continue
// the chain), or else from the newest key-store backup that has not
// expired (keys and disposals). Records whose key is in neither keep their
// metadata; their content cannot be read. The text index is rebuilt from
// the content. The replaced database, once carried over, is overwritten and removed.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "daemon/common/error.hpp"
#include "daemon/common/time.hpp"

namespace strongroom::crypto {
class KeyVault;
}

namespace strongroom::service {

class KeyBackups;

struct RestoreReport {
    std::string known_from;     // "the replaced database" or the key-store backup's name
    std::int64_t records = 0;   // held records in the restored database
    std::int64_t replayed = 0;  // destructions and transfers replayed
    std::int64_t keys = 0;      // record keys restored
    std::int64_t without_key = 0;
    std::int64_t audit_carried = 0;  // audit entries carried over
    std::filesystem::path replaced;  // where the replaced database went ("" if none)
    bool replaced_removed = false;   // it was overwritten and removed

    std::string summary(const std::filesystem::path& backup) const;
};

Result<RestoreReport> restore_backup(const std::filesystem::path& state,
                                     const std::filesystem::path& backup,
                                     const crypto::KeyVault& vault, const KeyBackups& key_backups,
                                     Micros now);

// The note a restore leaves for the daemon to record in the audit trail at
// its next start (then removed).
inline constexpr const char* kRestoredNote = "restored";

}  // namespace strongroom::service
