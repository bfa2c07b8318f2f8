// The dispatch table: one row per operation. Internal to the service.
#pragma once

#include <filesystem>
#include <optional>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "daemon/audit/checkpoint.hpp"
#include "daemon/common/error.hpp"
#include "daemon/common/peer.hpp"
#include "daemon/common/stream.hpp"
#include "daemon/common/time.hpp"
#include "daemon/policy/access.hpp"
#include "daemon/store/accounts.hpp"
#include "daemon/store/audit_log.hpp"
#include "daemon/store/connection.hpp"
#include "daemon/store/disk.hpp"
#include "daemon/store/records.hpp"
#include "daemon/store/writer.hpp"

namespace strongroom::crypto {
class KeyVault;
}
namespace strongroom::store {
class ReaderPool;
}

namespace strongroom::maintenance {
class KeyBackups;
}

namespace strongroom::registry {
struct Directory;
}

namespace strongroom::service {

using registry::Directory;
class RecordCache;

// What handlers share across requests: the key vault (record keys), the
// reader pool (content streamed after an answer) and configuration.
struct Deps {
    const crypto::KeyVault* vault = nullptr;
    store::ReaderPool* readers = nullptr;
    std::string mission_code = "MISSION";
    RecordCache* records = nullptr;               // metadata for reads; changes invalidate it
    store::TextIndexPacer* text_pacer = nullptr;  // writer thread only
    const audit::CheckpointLog* checkpoints = nullptr;
    store::Writer* writer = nullptr;  // reads of the audit trail wait for earlier entries
    unsigned key_backup_days = 30;    // life of a key-store backup ([retention])
    const maintenance::KeyBackups* key_backups = nullptr;  // STATE/key-backups
    std::filesystem::path backup_tmp;        // STATE/backup-tmp: backups being written
    const store::DiskSpace* disk = nullptr;  // space on the state directory's file system
};

// Facts about the running daemon that some answers include.
struct DaemonFacts {
    Micros started_at = 0;
    store::Writer::Stats writer;
    std::size_t writer_pending = 0;
    std::optional<store::DiskReading> disk;  // when the daemon watches its disk
    std::optional<store::DiskOptions> disk_options;
    std::uint64_t refused_unaudited = 0;
    std::optional<std::uint64_t> faults_injected;  // when fault injection is enabled (tests)
};

// Where a handler's connection comes from: the writer's transaction for a
// change, or a reader leased on first use for a read (so that an answer that
// needs no database, like whoami, leases nothing).
class ConnectionSource {
public:
    virtual ~ConnectionSource() = default;
    virtual store::Connection& get() = 0;
};

// What a handler gets: the caller, its arguments, a connection, and the
// audit record, whose object it names.
struct Context {
    const Peer& peer;
    const policy::Subject& subject;
    const store::AccountRow* caller;  // the caller's account row, if any
    const boost::json::object& args;
    ConnectionSource& db;
    store::AuditRecord& audit;
    Micros now;
    const DaemonFacts& facts;
    const Deps& deps;
    // Reads: the cached accounts and matrix the caller was authenticated
    // with. Changes: nullptr (they decide from the database).
    const Directory* directory = nullptr;
    // Set by a handler whose answer carries content (get).
    std::unique_ptr<ContentSource> content;
    // Set by a handler that changed accounts or the matrix: the cache is
    // reloaded before the answer goes out.
    bool changed_directory = false;
    // Set by a handler that changed records' metadata or dissemination: they
    // leave the record cache before the answer goes out.
    std::vector<std::int64_t> changed_records;
    // Set by a handler that destroyed content: the write-ahead log is
    // truncated after the commit, so no old page image stays in it.
    bool truncate_log = false;

    store::Connection& conn() { return db.get(); }
    // For reads of the audit trail, as the first use of the connection: the
    // entries of every request answered before this one are committed first
    // (a read's entry is otherwise queued after its answer).
    store::Connection& conn_after_audit() {
        if (deps.writer != nullptr) {
            deps.writer->sync();
        }
        return db.get();
    }
};

using Handler = Result<boost::json::object> (*)(Context&);

// read: on the calling thread, audit entry queued. write: on the writer,
// answered when durable. upload: content follows the request (ingest).
enum class Mode { read, write, upload };

struct Operation {
    std::string_view name;
    policy::Requirement who;
    Mode mode;
    Handler handler;
    std::string_view summary;  // one line, for `--help` of the tools and docs
};

// The row for name, or nothing: an unknown operation reaches no handler.
const Operation* find_operation(std::string_view name) noexcept;

// Every row, for tests and documentation.
std::span<const Operation> all_operations() noexcept;

}  // namespace strongroom::service
