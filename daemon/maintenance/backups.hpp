// Key-store backups (issue 7): the record keys, kept apart from the content
// backups, in STATE/key-backups, each expiring after [retention]
// key_backup_days. A backup past its expiry is overwritten and removed, so
// that from then on no backup yields a record destroyed before it was taken.
//
//   STRONGROOM KEY-STORE BACKUP
//   mission: MISSION
//   taken: 2026-11-22T08:00:00Z
//   expires: 2026-12-22T08:00:00Z
//   keys: 2
//   key: 17 <hex of the wrapped key>
//   ...
//   disposed: 1
//   disposed: 12 destroyed 3 2026-11-20T10:00:00Z
//   register-key: <hex of the register's key, wrapped as record 0's>
//   register: <base64 of the register, sealed under that key>
//   mac: <hex HMAC-SHA256 of everything above, under the key-store backup key>
//
// The register (store/register.hpp: the stubs of records destroyed or
// transferred, batches and certificates, holds, closures, releases, copies,
// the accounts, posts and compartments they name, registry sequences and
// the highest id of each kind) is JSON, sealed with AES-256-GCM under a
// fresh key, itself wrapped like a record key, bound to id 0 (no record has
// it): the file holds no title or name in clear. A restore that has only
// this file carries the register from it. Files written before the register
// was added (no register lines) still give keys and disposals.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "daemon/common/error.hpp"
#include "daemon/common/time.hpp"
#include "daemon/store/backup.hpp"
#include "daemon/store/register.hpp"

namespace strongroom::crypto {
class KeyVault;
}

namespace strongroom::maintenance {

// Overwrites a regular file with zeros, syncs it and removes it; true if it
// is gone.
bool overwrite_and_remove(const std::filesystem::path& path);

class KeyBackups {
public:
    KeyBackups(std::filesystem::path dir, unsigned days) : dir_(std::move(dir)), days_(days) {}

    const std::filesystem::path& dir() const noexcept { return dir_; }
    // The file name of a backup taken at `at`.
    static std::string name_for(Micros at);
    Micros expiry_of(Micros taken) const;

    // Writes a key-store backup taken at `at`; returns its path.
    std::filesystem::path write(Micros at, const std::string& mission,
                                const std::vector<store::WrappedKey>& keys,
                                const std::vector<store::Disposed>& disposed,
                                const store::Register& reg, const crypto::KeyVault& vault) const;

    // Overwrites and removes every backup that has expired by `now`; returns
    // the names removed.
    std::vector<std::string> remove_expired(Micros now) const;

    struct Content {
        std::string name;
        Micros taken = 0;
        std::vector<store::WrappedKey> keys;
        std::vector<store::Disposed> disposed;
        // Absent in a file written before the register was carried.
        std::optional<store::Register> reg;
    };
    // The newest backup not expired by `now` whose MAC verifies.
    Result<Content> newest(Micros now, const crypto::KeyVault& vault) const;
    // The wrapped keys of these records in the backups not expired by `now`
    // whose MAC verifies, the newest backup's first: for a record a restore
    // brings back that the database it replaces had lost (an earlier restore
    // of an older backup).
    std::map<std::int64_t, std::vector<std::uint8_t>> find_keys(
        const std::set<std::int64_t>& ids, Micros now, const crypto::KeyVault& vault) const;

private:
    std::vector<std::pair<Micros, std::filesystem::path>> unexpired(Micros now) const;
    std::optional<Content> read(const std::filesystem::path& path, Micros taken,
                                const crypto::KeyVault& vault, bool with_register) const;

    std::filesystem::path dir_;
    unsigned days_;
};

}  // namespace strongroom::maintenance
