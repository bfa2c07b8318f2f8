#include "daemon/store/maintenance.hpp"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>
#include <sqlite3.h>

#include "daemon/crypto/key_vault.hpp"
#include "daemon/store/migrations.hpp"
#include "daemon/store/sqlite.hpp"

namespace strongroom::store {
namespace {

// Attaches the file at path as the schema "rekeyed", keyed with vault's
// database key. The key text is bound from locked memory (SQLITE_STATIC:
// SQLite reads it while the statement runs and keeps no copy), and the
// one-off statement is finalised before the text is wiped.
void attach_under_key(Connection& conn, const std::filesystem::path& path,
                      const crypto::KeyVault& vault) {
    const auto text = vault.database_key_text();
    sqlite3* db = conn.handle();
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v2(db, "ATTACH DATABASE ?1 AS rekeyed KEY ?2", -1, &stmt, nullptr);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(stmt, 1, path.c_str(), static_cast<int>(path.native().size()),
                          SQLITE_STATIC);
        sqlite3_bind_text(stmt, 2, reinterpret_cast<const char*>(text.data()),
                          static_cast<int>(text.size()), SQLITE_STATIC);
        rc = sqlite3_step(stmt);
        rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
    }
    sqlite3_finalize(stmt);
    if (rc != SQLITE_OK) {
        throw StoreError(rc,
                         fmt::format("cannot attach {}: {}", path.string(), sqlite3_errmsg(db)));
    }
}

}  // namespace

ContentCounts count_content(Connection& conn) {
    return {conn.query_int("SELECT count(*) FROM records;"),
            conn.query_int("SELECT count(*) FROM record_keys;"),
            conn.query_int("SELECT count(*) FROM audit_log;")};
}

Exported export_under_key(Connection& conn, const std::filesystem::path& fresh,
                          const crypto::KeyVault& next) {
    migrate(conn);
    conn.exec("PRAGMA wal_checkpoint(TRUNCATE);");
    Exported out;
    out.version = conn.query_int("PRAGMA user_version;");
    out.counts = count_content(conn);
    // SQLite takes an empty file for an empty database.
    const int fd =
        ::open(fresh.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        throw StoreError(0,
                         fmt::format("cannot create {}: {}", fresh.string(), std::strerror(errno)));
    }
    ::close(fd);
    attach_under_key(conn, fresh, next);
    conn.exec("PRAGMA rekeyed.cipher_page_size = 4096;");
    conn.exec("SELECT sqlcipher_export('rekeyed');");
    const auto set = fmt::format("PRAGMA rekeyed.user_version = {};", out.version);
    conn.exec(set.c_str());
    conn.exec("DETACH DATABASE rekeyed;");
    return out;
}

void check_export(Connection& conn, const Exported& original) {
    if (conn.query_int("PRAGMA user_version;") != original.version ||
        !(count_content(conn) == original.counts)) {
        throw StoreError(0, "the exported database differs from the original");
    }
}

}  // namespace strongroom::store
