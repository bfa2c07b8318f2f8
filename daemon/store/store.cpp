#include "daemon/store/store.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <sqlite3.h>

#include "daemon/common/fd.hpp"
#include "daemon/common/files.hpp"
#include "daemon/common/text.hpp"
#include "daemon/crypto/key_vault.hpp"
#include "daemon/store/sqlite.hpp"

namespace strongroom::store {
namespace {

constexpr const char* kKeyCheckHeader = "strongroom-keycheck v1 ";

std::optional<std::string> read_small_file(const std::filesystem::path& path) {
    const Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!fd) {
        if (errno == ENOENT) {
            return std::nullopt;
        }
        throw OpenError(fmt::format("cannot read {}: {}", path.string(), std::strerror(errno)));
    }
    std::string out;
    if (const int err = io::read_file(fd.get(), out, 1024); err != 0) {
        throw OpenError(fmt::format("cannot read {}: {}", path.string(), std::strerror(err)));
    }
    return out;
}

// Writes a small file so that it is either absent or complete after a crash:
// a temporary file, fsync'd, renamed into place, then the directory fsync'd.
void write_file_durably(const std::filesystem::path& path, std::string_view content) {
    const auto tmp = path.string() + ".tmp";
    Fd fd(io::open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd) {
        throw OpenError(fmt::format("cannot write {}: {}", tmp, std::strerror(errno)));
    }
    auto st = io::write_all(fd.get(), content, tmp);
    if (st && io::fsync(fd.get()) != 0) {
        st = make_error(ErrorCode::internal,
                        fmt::format("cannot sync {}: {}", tmp, std::strerror(errno)));
    }
    fd.reset();
    if (!st) {
        ::unlink(tmp.c_str());
        throw OpenError(st.error().message);
    }
    if (io::rename(tmp, path) != 0) {
        const int err = errno;
        ::unlink(tmp.c_str());
        throw OpenError(fmt::format("cannot write {}: {}", path.string(), std::strerror(err)));
    }
    sync_directory(path.parent_path());
}

}  // namespace

void write_key_check(const std::filesystem::path& state_dir, const crypto::KeyVault& vault) {
    write_file_durably(state_dir / "strongroom.keycheck",
                       kKeyCheckHeader + to_hex(vault.key_check()) + "\n");
}

ReaderLease::~ReaderLease() {
    if (conn_ != nullptr) {
        pool_->give_back(conn_);
    }
}

ReaderPool::ReaderPool(const std::filesystem::path& db, const crypto::KeyVault& vault,
                       unsigned count, unsigned cache_mib) {
    ConnectionOptions options;
    options.cache_mib = cache_mib;
    options.query_only = true;
    for (unsigned i = 0; i < count; ++i) {
        all_.push_back(std::make_unique<Connection>(db, OpenMode::read_write, vault, options));
        free_.push_back(all_.back().get());
    }
}

ReaderPool::~ReaderPool() = default;

ReaderLease ReaderPool::lease() {
    std::unique_lock lock(mutex_);
    available_.wait(lock, [this] { return !free_.empty(); });
    Connection* conn = free_.back();
    free_.pop_back();
    return ReaderLease(*this, conn);
}

std::optional<ReaderLease> ReaderPool::try_lease(std::size_t keep_free) {
    std::lock_guard lock(mutex_);
    if (free_.size() <= keep_free) {
        return std::nullopt;
    }
    Connection* conn = free_.back();
    free_.pop_back();
    return ReaderLease(*this, conn);
}

void ReaderPool::give_back(Connection* conn) {
    {
        std::lock_guard lock(mutex_);
        free_.push_back(conn);
    }
    available_.notify_one();
}

// BEGIN and COMMIT are prepared once per connection: a read request is a
// few microseconds of work, and parsing them each time would be a good part.
ReadSnapshot::ReadSnapshot(Connection& conn) : conn_(conn) {
    conn_.cached("BEGIN")->run();
}

ReadSnapshot::~ReadSnapshot() {
    try {
        conn_.cached("COMMIT")->run();
    } catch (const StoreError&) {
        try {
            conn_.exec("ROLLBACK;");
        } catch (const StoreError&) {
            // Nothing more to do: a read transaction holds no changes.
        }
    }
}

Store::Store(const StoreOptions& options, const crypto::KeyVault& vault, bool create)
    : db_path_(options.state_dir / "strongroom.db"),
      keycheck_path_(options.state_dir / "strongroom.keycheck") {
    const auto key_check = vault.key_check();
    const std::string expected = kKeyCheckHeader + to_hex(key_check) + "\n";

    std::error_code ec;
    const bool exists = std::filesystem::exists(db_path_, ec);
    if (!exists && !create) {
        throw OpenError(fmt::format("no database at {}", db_path_.string()));
    }

    bool rewrite_keycheck = false;
    ConnectionOptions writer_options;
    writer_options.cache_mib = options.cache_mib;
    if (exists) {
        const auto recorded = read_small_file(keycheck_path_);
        const bool key_matches = recorded.has_value() && *recorded == expected;
        struct stat st {};
        if (::stat(db_path_.c_str(), &st) == 0 && st.st_size < 4096) {
            throw OpenError(fmt::format(
                "the database {} is damaged: it is {} bytes long, shorter than one page; restore "
                "it from a backup. The file was not modified.",
                db_path_.string(), st.st_size));
        }
        try {
            writer_conn_ =
                std::make_unique<Connection>(db_path_, OpenMode::read_write, vault, writer_options);
        } catch (const StoreError& e) {
            if (e.code() != SQLITE_NOTADB) {
                throw OpenError(
                    fmt::format("cannot open the database {}: {}", db_path_.string(), e.what()));
            }
            // The first page failed its check: the key check tells a wrong
            // key from a damaged file.
            if (recorded && !key_matches) {
                throw OpenError(fmt::format(
                    "the master key is not the one {} was created with (it does not match {}); "
                    "start strongroomd with the right key. The database was not modified.",
                    db_path_.string(), keycheck_path_.string()));
            }
            if (key_matches) {
                throw OpenError(fmt::format(
                    "the database {} is damaged: its first page fails the integrity check "
                    "({}); restore it from a backup. The file was not modified.",
                    db_path_.string(), e.what()));
            }
            throw OpenError(fmt::format(
                "cannot open the database {}: the master key is wrong or the file is damaged "
                "({}). The file was not modified.",
                db_path_.string(), e.what()));
        }
        rewrite_keycheck = !key_matches;
    } else {
        try {
            writer_conn_ =
                std::make_unique<Connection>(db_path_, OpenMode::create, vault, writer_options);
        } catch (const StoreError& e) {
            throw OpenError(
                fmt::format("cannot create the database {}: {}", db_path_.string(), e.what()));
        }
        created_ = true;
    }

    try {
        writer_conn_->exec("PRAGMA journal_mode = WAL;");
        migration_ = migrate(*writer_conn_);
        if (created_ || rewrite_keycheck) {
            // New, or the key check was lost or stale: the key has just
            // proved itself by opening the database, so record it.
            write_file_durably(keycheck_path_, expected);
        }
        // A reader's cache lasts one read transaction when anything was
        // committed in between (SQLite drops it then), and every request
        // commits an audit entry: a reader needs only a request's working set.
        readers_ = std::make_unique<ReaderPool>(db_path_, vault, options.readers,
                                                std::max(4U, options.cache_mib / 16));
    } catch (const StoreError& e) {
        throw OpenError(
            fmt::format("cannot prepare the database {}: {}", db_path_.string(), e.what()));
    }
}

Store::~Store() {
    stop();
}

void Store::start_writer(Writer::AuditHooks audit, Writer::FailureHandler on_failure,
                         DiskSpace* disk, Writer::TroubleHandler on_trouble) {
    writer_ = std::make_unique<Writer>(*writer_conn_, std::move(audit), std::move(on_failure), 128,
                                       disk, std::move(on_trouble));
}

void Store::stop() {
    if (writer_) {
        writer_->stop();
    }
}

std::int64_t database_bytes(Connection& conn) {
    return conn.query_int("PRAGMA page_count") * conn.query_int("PRAGMA page_size");
}

std::int64_t schema_version(Connection& conn) {
    return conn.query_int("PRAGMA user_version");
}

IntegrityReport check_integrity(Connection& conn, std::size_t max_problems) {
    IntegrityReport r;
    r.pages = conn.query_int("PRAGMA page_count");
    auto s = conn.cached("PRAGMA integrity_check(100)");
    while (s->step()) {
        auto line = s->column_text(0);
        if (line == "ok") {
            continue;
        }
        if (r.problems.size() < max_problems) {
            r.problems.push_back(std::move(line));
        }
    }
    r.ok = r.problems.empty();
    return r;
}

}  // namespace strongroom::store
