#include "daemon/store/sqlite.hpp"

#include <cerrno>
#include <cstring>
#include <mutex>

#include <fmt/format.h>
#include <sqlite3.h>

#include "daemon/common/files.hpp"
#include "daemon/crypto/key_vault.hpp"
#include "daemon/store/stored.hpp"

namespace strongroom::store {

void throw_sqlite(sqlite3* db, int rc, std::string_view context) {
    const char* msg = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    throw StoreError(rc, fmt::format("{}: {}", context, msg != nullptr ? msg : "unknown error"),
                     db != nullptr ? sqlite3_system_errno(db) : 0);
}

std::string describe_write_failure(const std::exception& e) {
    const auto* s = dynamic_cast<const StoreError*>(&e);
    if (s == nullptr) {
        return e.what();
    }
    std::string out = sqlite3_errstr(s->code());
    // Only the errno values that say what happened to the disk: others may
    // be left over from an unrelated call.
    const int err = s->system_errno();
    if (err == EIO || err == ENOSPC || err == EDQUOT || err == EROFS) {
        out += fmt::format(" ({})", std::strerror(s->system_errno()));
    }
    return out;
}

WriteFailure classify_write_failure(const std::exception& e) noexcept {
    const auto* s = dynamic_cast<const StoreError*>(&e);
    if (s == nullptr) {
        return WriteFailure::none;
    }
    const int primary = s->code() & 0xff;
    if (primary == SQLITE_FULL || ((primary == SQLITE_IOERR || primary == SQLITE_CANTOPEN) &&
                                   is_out_of_space(s->system_errno()))) {
        return WriteFailure::disk_full;
    }
    if (primary == SQLITE_IOERR || primary == SQLITE_CANTOPEN) {
        return WriteFailure::io_error;
    }
    return WriteFailure::none;
}

Statement& Statement::bind(int index, std::int64_t value) {
    if (int rc = sqlite3_bind_int64(stmt_, index, value); rc != SQLITE_OK) {
        throw_sqlite(db_, rc, "bind");
    }
    return *this;
}

// Text and blobs are bound without a copy (SQLITE_STATIC): the caller's bytes
// must stay valid until the statement has been stepped, which every
// repository guarantees by binding and stepping within one function.
Statement& Statement::bind(int index, std::string_view text) {
    if (int rc =
            sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8);
        rc != SQLITE_OK) {
        throw_sqlite(db_, rc, "bind");
    }
    return *this;
}

Statement& Statement::bind_blob(int index, std::span<const std::uint8_t> bytes) {
    if (int rc = sqlite3_bind_blob64(stmt_, index, bytes.data(), bytes.size(), SQLITE_STATIC);
        rc != SQLITE_OK) {
        throw_sqlite(db_, rc, "bind");
    }
    return *this;
}

Statement& Statement::bind_null(int index) {
    if (int rc = sqlite3_bind_null(stmt_, index); rc != SQLITE_OK) {
        throw_sqlite(db_, rc, "bind");
    }
    return *this;
}

Statement& Statement::bind(int index, const std::optional<std::int64_t>& value) {
    return value ? bind(index, *value) : bind_null(index);
}

bool Statement::step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) {
        return true;
    }
    if (rc == SQLITE_DONE) {
        return false;
    }
    throw_sqlite(db_, rc, sqlite3_sql(stmt_));
}

void Statement::run() {
    while (step()) {
    }
}

std::int64_t Statement::column_int(int index) const {
    return sqlite3_column_int64(stmt_, index);
}

std::optional<std::int64_t> Statement::column_optional_int(int index) const {
    if (column_is_null(index)) {
        return std::nullopt;
    }
    return column_int(index);
}

std::string Statement::column_text(int index) const {
    const auto* p = sqlite3_column_text(stmt_, index);
    const int n = sqlite3_column_bytes(stmt_, index);
    if (p == nullptr) {
        return {};
    }
    return std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n));
}

std::vector<std::uint8_t> Statement::column_blob(int index) const {
    const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt_, index));
    const int n = sqlite3_column_bytes(stmt_, index);
    if (p == nullptr) {
        return {};
    }
    return std::vector<std::uint8_t>(p, p + n);
}

bool Statement::column_is_null(int index) const {
    return sqlite3_column_type(stmt_, index) == SQLITE_NULL;
}

void Statement::reset() {
    if (stmt_ != nullptr) {
        sqlite3_reset(stmt_);
        sqlite3_clear_bindings(stmt_);
    }
}

namespace {

// Process-wide SQLite settings, applied once before the first connection.
void configure_sqlite() {
    static std::once_flag once;
    std::call_once(once, [] {
        // Memory statistics take a global mutex on every allocation and free,
        // which every thread then contends for; nothing here reads them.
        sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    });
}

}  // namespace

Connection::Connection(const std::filesystem::path& path, OpenMode mode,
                       const crypto::KeyVault& vault, const ConnectionOptions& options) {
    configure_sqlite();
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_PRIVATECACHE;
    if (mode == OpenMode::create) {
        flags |= SQLITE_OPEN_CREATE;
    }
    int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
    if (rc != SQLITE_OK) {
        StoreError err(rc, fmt::format("cannot open database {}: {}", path.string(),
                                       db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc)));
        sqlite3_close_v2(db_);
        db_ = nullptr;
        throw err;
    }
    try {
        {
            // SQLCipher keeps its own copy (which it wipes when it frees
            // it); ours is wiped when text goes out of scope.
            const auto text = vault.database_key_text();
            if (int k = sqlite3_key(db_, text.data(), static_cast<int>(text.size()));
                k != SQLITE_OK) {
                throw_sqlite(db_, k, "cannot key the database");
            }
        }
        // 4 KiB cipher pages: about twice the blob throughput of the 1 KiB
        // default (PERFORMANCE-NOTES.md). Must precede the first read.
        exec("PRAGMA cipher_page_size = 4096;");
        // Proves the key: the first read of page 1 fails its HMAC check with
        // a wrong key or a damaged file, before anything is written.
        exec("SELECT count(*) FROM sqlite_master;");
        exec("PRAGMA temp_store = MEMORY;");  // no temporary files outside the state dir
        exec("PRAGMA secure_delete = ON;");
        exec("PRAGMA foreign_keys = ON;");
        exec("PRAGMA synchronous = FULL;");
        const auto pages = -static_cast<long long>(options.cache_mib) * 1024;  // negative: KiB
        const auto cache_sql = fmt::format("PRAGMA cache_size = {};", pages);
        exec(cache_sql.c_str());
        sqlite3_busy_timeout(db_, 5000);
        if (options.query_only) {
            exec("PRAGMA query_only = ON;");
        }
    } catch (...) {
        sqlite3_close_v2(db_);
        db_ = nullptr;
        throw;
    }
}

Connection::~Connection() {
    for (auto& [sql, stmt] : cache_) {
        sqlite3_finalize(stmt);
    }
    if (db_ != nullptr) {
        sqlite3_close_v2(db_);
    }
}

void Connection::exec(const char* sql) {
    char* err = nullptr;
    const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
        const std::string msg = err != nullptr ? err : sqlite3_errstr(rc);
        sqlite3_free(err);
        throw StoreError(rc, msg, sqlite3_system_errno(db_));
    }
}

CachedStatement Connection::cached(const char* sql) {
    auto it = cache_.find(sql);
    if (it == cache_.end()) {
        sqlite3_stmt* stmt = nullptr;
        const int rc = sqlite3_prepare_v2(db_, sql, -1, &stmt, nullptr);
        if (rc != SQLITE_OK) {
            throw_sqlite(db_, rc, sql);
        }
        it = cache_.emplace(sql, stmt).first;
    }
    return CachedStatement(Statement(db_, it->second));
}

bool Connection::in_transaction() const noexcept {
    return db_ != nullptr && sqlite3_get_autocommit(db_) == 0;
}

std::int64_t Connection::last_insert_rowid() const {
    return sqlite3_last_insert_rowid(db_);
}

std::int64_t Connection::total_changes() const {
    return sqlite3_total_changes(db_);
}

int Connection::changes() const {
    return sqlite3_changes(db_);
}

std::int64_t Connection::query_int(const char* sql) {
    auto stmt = cached(sql);
    if (!stmt->step()) {
        throw StoreError(SQLITE_ERROR, fmt::format("no result from {}", sql));
    }
    return stmt->column_int(0);
}

void CloseConnection::operator()(Connection* conn) const noexcept {
    delete conn;
}

ConnectionHandle open_connection(const std::filesystem::path& path, OpenMode mode,
                                 const crypto::KeyVault& vault, const ConnectionOptions& options) {
    return ConnectionHandle(new Connection(path, mode, vault, options));
}

namespace {

template <typename E>
E known(std::optional<E> value, std::string_view what, std::string_view word) {
    if (!value) {
        throw StoreError(SQLITE_CORRUPT,
                         fmt::format("the database holds an unknown {} '{}'", what, word));
    }
    return *value;
}

}  // namespace

RecordState stored_record_state(std::string_view word) {
    return known(parse_record_state(word), "record state", word);
}

BatchKind stored_batch_kind(std::string_view word) {
    return known(parse_batch_kind(word), "batch kind", word);
}

BatchState stored_batch_state(std::string_view word) {
    return known(parse_batch_state(word), "batch state", word);
}

Conveyance stored_conveyance(std::string_view word) {
    return known(parse_conveyance(word), "dissemination authority", word);
}

}  // namespace strongroom::store
