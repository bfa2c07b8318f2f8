// strongroom:internal -- only daemon/store/ (and tests that tamper with a
// database on purpose) may include this header; the layering check refuses
// it anywhere else.
//
// Thin RAII wrappers over SQLCipher connections and statements. This module
// is the only place in Strongroom where SQL is written or sqlite3 is called.
//
// Failures of the database itself (I/O errors, a damaged page, a constraint
// the code should have checked first) are exceptions: they are not expected
// outcomes of a request. The service catches them at the request boundary
// and answers `internal`.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "daemon/store/connection.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace strongroom::crypto {
class KeyVault;
}

namespace strongroom::store {

class Statement {
public:
    Statement() = default;
    Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}

    // Bind parameters by 1-based index. Text and blobs are not copied: they
    // must stay valid until the statement has been stepped.
    Statement& bind(int index, std::int64_t value);
    Statement& bind(int index, std::string_view text);
    Statement& bind_blob(int index, std::span<const std::uint8_t> bytes);
    Statement& bind_null(int index);
    Statement& bind(int index, const std::optional<std::int64_t>& value);

    // Advances to the next row: true if there is one, false when done.
    bool step();
    // For statements that return no rows.
    void run();

    std::int64_t column_int(int index) const;
    std::optional<std::int64_t> column_optional_int(int index) const;
    std::string column_text(int index) const;
    std::vector<std::uint8_t> column_blob(int index) const;
    bool column_is_null(int index) const;

    // Ready for another execution with fresh bindings.
    void reset();

private:
    sqlite3* db_ = nullptr;
    sqlite3_stmt* stmt_ = nullptr;
};

// A statement from the connection's cache, reset when it goes out of scope.
class CachedStatement {
public:
    explicit CachedStatement(Statement stmt) : stmt_(stmt) {}
    ~CachedStatement() { stmt_.reset(); }
    CachedStatement(const CachedStatement&) = delete;
    CachedStatement& operator=(const CachedStatement&) = delete;

    Statement* operator->() { return &stmt_; }
    Statement& operator*() { return stmt_; }

private:
    Statement stmt_;
};

class Connection {
public:
    // Opens and keys a connection, then proves the key by reading the schema.
    // Throws StoreError with SQLITE_NOTADB when the key is wrong or the file
    // is not a database; nothing has been written to the file at that point.
    Connection(const std::filesystem::path& path, OpenMode mode, const crypto::KeyVault& vault,
               const ConnectionOptions& options);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    // Runs one or more statements that return no rows.
    void exec(const char* sql);

    // A prepared statement for sql, prepared once per connection. sql must be
    // a string literal (the cache is keyed by its address).
    CachedStatement cached(const char* sql);

    // A one-off prepared statement, finalised by the caller via the wrapper.
    std::int64_t last_insert_rowid() const;
    int changes() const;
    // Rows changed through this connection since it opened (every INSERT,
    // UPDATE and DELETE, virtual tables included).
    std::int64_t total_changes() const;

    // Reads one integer result, e.g. a PRAGMA.
    std::int64_t query_int(const char* sql);

    // True while a transaction is open (SQLite ends one by itself after
    // some I/O errors).
    bool in_transaction() const noexcept;

    sqlite3* handle() const noexcept { return db_; }

private:
    sqlite3* db_ = nullptr;
    std::unordered_map<const char*, sqlite3_stmt*> cache_;
};

// Throws StoreError for a failed sqlite3 call, with the connection's message.
[[noreturn]] void throw_sqlite(sqlite3* db, int rc, std::string_view context);

}  // namespace strongroom::store
