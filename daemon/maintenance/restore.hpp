// Restoring a backup (strongroomd --restore FILE, the daemon stopped).
//
// The backup replaces the database, and then, before anything is served,
// the register since is carried into it (store/register.hpp): every record
// destroyed or transferred since stays so (destroyed again if the backup
// holds it, kept as a register entry if the backup lacks it), and every
// batch with its certificate, hold, closure, release and numbered copy, with
// the accounts, posts and compartments they name, stays in the register; no
// id or number is handed out again. What is known since comes from the
// database being replaced, if it still opens (its record keys, its register,
// and the audit entries after the backup's, which continue the chain), or
// else from the newest key-store backup that has not expired (keys and the
// register; the audit entries after it are lost, and the next start
// continues the chain after the highest one it knew). A register entry that
// cannot be carried refuses the restore before anything is changed. Records
// whose key is in neither keep their metadata; their content cannot be read.
// Records entered after the backup are not in it: they are named, and their
// numbers stay reserved. The text index is rebuilt from the content. The
// replaced database, once carried over, is overwritten and removed.
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

struct RestoreReport {
    std::string known_from;     // "the replaced database" or the key-store backup's name
    std::int64_t records = 0;   // held records in the restored database
    std::int64_t replayed = 0;  // destructions and transfers replayed
    std::int64_t stubs = 0;     // register entries of records the backup lacked, disposed since
    std::int64_t carried = 0;   // other register rows added (batches, holds, copies, accounts...)
    std::int64_t updated = 0;   // register rows brought up to date (a batch executed since...)
    std::int64_t access = 0;    // access rows brought back to the state before the restore
    std::vector<std::int64_t> lost;          // records entered after the backup, not in it
    std::int64_t keys = 0;                   // record keys restored
    std::int64_t keys_from_key_backups = 0;  // of those, found only in key-store backups
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

}  // namespace strongroom::maintenance
