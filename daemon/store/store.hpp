// The encrypted store: the database file in the state directory, its writer
// thread and a small pool of reader connections.
//
//   STATE/strongroom.db        SQLCipher database (WAL mode, 4 KiB pages)
//   STATE/strongroom.keycheck  identifies the master key that opens it
//
// Opening checks the key against the key check first, so that a wrong key
// and a damaged file get different messages; neither case writes anything.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "daemon/store/connection.hpp"
#include "daemon/store/migrations.hpp"
#include "daemon/store/writer.hpp"

namespace strongroom::crypto {
class KeyVault;
}

namespace strongroom::store {

// Records in STATE/strongroom.keycheck that the vault's master key opens the
// database (written durably: a temporary file, fsync'd, renamed). Throws
// OpenError when it cannot.
void write_key_check(const std::filesystem::path& state_dir, const crypto::KeyVault& vault);

// What PRAGMA integrity_check found: it reads every page of the database, so
// every page's HMAC is verified too (SQLCipher 3.4.1 has no
// cipher_integrity_check). problems: at most max_problems lines, empty when
// the database is intact.
struct IntegrityReport {
    bool ok = false;
    std::vector<std::string> problems;
    std::int64_t pages = 0;
};
IntegrityReport check_integrity(Connection& conn, std::size_t max_problems = 20);

// The size of the database file in bytes (pages times page size), and the
// schema version (migrations applied).
std::int64_t database_bytes(Connection& conn);
std::int64_t schema_version(Connection& conn);

// A start-up failure with a message for the operator.
class OpenError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct StoreOptions {
    std::filesystem::path state_dir;
    unsigned readers = 4;
    unsigned cache_mib = 64;
};

class ReaderPool;

// A reader connection, returned to the pool when the lease ends.
class ReaderLease {
public:
    ReaderLease(ReaderPool& pool, Connection* conn) : pool_(&pool), conn_(conn) {}
    ~ReaderLease();
    ReaderLease(ReaderLease&& other) noexcept : pool_(other.pool_), conn_(other.conn_) {
        other.conn_ = nullptr;
    }
    ReaderLease(const ReaderLease&) = delete;
    ReaderLease& operator=(const ReaderLease&) = delete;
    ReaderLease& operator=(ReaderLease&&) = delete;

    Connection& connection() noexcept { return *conn_; }

private:
    ReaderPool* pool_;
    Connection* conn_;
};

class ReaderPool {
public:
    ReaderPool(const std::filesystem::path& db, const crypto::KeyVault& vault, unsigned count,
               unsigned cache_mib);
    ~ReaderPool();
    ReaderPool(const ReaderPool&) = delete;
    ReaderPool& operator=(const ReaderPool&) = delete;
    // Waits for a free reader; the pool is sized so that this is rare.
    ReaderLease lease();
    // A free reader if more than keep_free are free now (for work that can
    // do with fewer, leaving readers for others).
    std::optional<ReaderLease> try_lease(std::size_t keep_free = 1);

private:
    friend class ReaderLease;
    void give_back(Connection* conn);

    std::vector<std::unique_ptr<Connection>> all_;
    std::vector<Connection*> free_;
    std::mutex mutex_;
    std::condition_variable available_;
};

// A read transaction: every query in it sees the same snapshot.
class ReadSnapshot {
public:
    explicit ReadSnapshot(Connection& conn);
    ~ReadSnapshot();
    ReadSnapshot(const ReadSnapshot&) = delete;
    ReadSnapshot& operator=(const ReadSnapshot&) = delete;

private:
    Connection& conn_;
};

class Store {
public:
    // Opens (or, when create is true and there is no database yet, creates)
    // the database, checks the key, applies migrations and opens the readers.
    // The writer is started separately, once the audit trail can append.
    // Throws OpenError with a message an operator can act on.
    Store(const StoreOptions& options, const crypto::KeyVault& vault, bool create);
    ~Store();

    const std::filesystem::path& database_path() const noexcept { return db_path_; }
    const MigrationReport& migration() const noexcept { return migration_; }
    bool created() const noexcept { return created_; }

    // The writer connection, for start-up work before the writer starts
    // (reading the audit chain head) and for the writer itself.
    Connection& writer_connection() noexcept { return *writer_conn_; }

    // disk (optional) is told when the file system fills and asked how much
    // space is left (disk.hpp); on_trouble hears of failed commits.
    void start_writer(Writer::AuditHooks audit, Writer::FailureHandler on_failure,
                      DiskSpace* disk = nullptr, Writer::TroubleHandler on_trouble = nullptr);
    Writer& writer() noexcept { return *writer_; }
    ReaderPool& readers() noexcept { return *readers_; }

    // Stops the writer after committing what is queued; closes nothing else.
    void stop();

private:
    std::filesystem::path db_path_;
    std::filesystem::path keycheck_path_;
    bool created_ = false;
    MigrationReport migration_;
    std::unique_ptr<Connection> writer_conn_;
    std::unique_ptr<Writer> writer_;
    std::unique_ptr<ReaderPool> readers_;
};

}  // namespace strongroom::store
