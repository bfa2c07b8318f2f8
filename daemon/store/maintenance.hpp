// The store's part of the work done while the daemon is stopped: a rekey's
// export of the database under a new key, and the check that the export
// holds what the original held. The rest of a rekey (wrapping keys again,
// retiring the old one, the audit entry) is done by the caller in one
// WriteTransaction (register.hpp) on the exported file.
#pragma once

#include <cstdint>
#include <filesystem>

namespace strongroom::crypto {
class KeyVault;
}

namespace strongroom::store {

class Connection;

// What a copy of the database must have as many of as the original.
struct ContentCounts {
    std::int64_t records = 0;
    std::int64_t keys = 0;
    std::int64_t audit = 0;
    bool operator==(const ContentCounts&) const = default;
};
ContentCounts count_content(Connection& conn);

// The database a rekey exported: its schema version and its counts.
struct Exported {
    std::int64_t version = 0;
    ContentCounts counts;
};

// Copies the database open on conn (migrated, its log checkpointed first)
// into the new file fresh, under the database key of next, with 4 KiB pages
// and the same schema version. fresh must not exist: it is created here,
// empty and 0600, because the connection may not create files. Throws
// StoreError when any step fails; fresh may then be left for the caller to
// remove.
Exported export_under_key(Connection& conn, const std::filesystem::path& fresh,
                          const crypto::KeyVault& next);

// Throws StoreError unless conn (the exported file, opened under the new
// key) has the schema version and the counts of the original.
void check_export(Connection& conn, const Exported& original);

}  // namespace strongroom::store
