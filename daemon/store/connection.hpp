// The store's errors, and the options of a connection to the database. A
// Connection is an opaque handle outside daemon/store/: the repositories take
// one, and only the store's own sources (through the internal sqlite.hpp)
// run statements on it.
#pragma once

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

namespace strongroom::crypto {
class KeyVault;
}

namespace strongroom::store {

class StoreError : public std::runtime_error {
public:
    StoreError(int code, const std::string& what, int system_errno = 0)
        : std::runtime_error(what), code_(code), system_errno_(system_errno) {}
    int code() const noexcept { return code_; }
    // The errno of the failed system call behind an I/O error, or 0.
    int system_errno() const noexcept { return system_errno_; }

private:
    int code_;
    int system_errno_;
};

// Why the database could not be written, from a failure on the writer.
enum class WriteFailure {
    none,       // not an I/O failure: a bug or a damaged database
    disk_full,  // SQLITE_FULL, or an I/O error with ENOSPC or EDQUOT
    io_error,   // another I/O error (SQLITE_IOERR, SQLITE_CANTOPEN)
};
WriteFailure classify_write_failure(const std::exception& e) noexcept;
// The failure in a few constant words for the people refused because of it
// ("disk I/O error (Input/output error)"), without the statement.
std::string describe_write_failure(const std::exception& e);

enum class OpenMode {
    create,      // create the file if absent
    read_write,  // the file must exist
};

struct ConnectionOptions {
    unsigned cache_mib = 64;  // page cache of this connection
    bool query_only = false;  // a reader: refuses any write
};

class Connection;

// Closes a connection opened by open_connection.
struct CloseConnection {
    void operator()(Connection* conn) const noexcept;
};
using ConnectionHandle = std::unique_ptr<Connection, CloseConnection>;

// A connection of its own to a database file, for the work done while the
// daemon is stopped (restore, rekey) or beside the store (a backup's
// check). Throws StoreError as the Connection constructor does: with
// SQLITE_NOTADB (kNotADatabase) when the key is wrong or the file is not a
// database, before anything is written.
ConnectionHandle open_connection(const std::filesystem::path& path, OpenMode mode,
                                 const crypto::KeyVault& vault,
                                 const ConnectionOptions& options = {});

}  // namespace strongroom::store
