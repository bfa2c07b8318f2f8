#include "daemon/store/backup.hpp"

#include <system_error>

#include <fmt/format.h>
#include <sqlite3.h>

#include "daemon/store/sqlite.hpp"

namespace strongroom::store {

std::uint64_t write_content_backup(Connection& source, const std::filesystem::path& dest,
                                   const crypto::KeyVault& vault) {
    std::error_code ec;
    if (std::filesystem::exists(dest, ec)) {
        throw StoreError(SQLITE_CANTOPEN, fmt::format("{} exists", dest.string()));
    }
    try {
        {
            Connection out(dest, OpenMode::create, vault, ConnectionOptions{16, false});
            sqlite3_backup* b = sqlite3_backup_init(out.handle(), "main", source.handle(), "main");
            if (b == nullptr) {
                throw_sqlite(out.handle(), sqlite3_errcode(out.handle()), "starting a backup");
            }
            const int rc = sqlite3_backup_step(b, -1);
            const int done = sqlite3_backup_finish(b);
            if (rc != SQLITE_DONE) {
                throw_sqlite(out.handle(), rc, "copying the database");
            }
            if (done != SQLITE_OK) {
                throw_sqlite(out.handle(), done, "finishing the copy");
            }
            // The copy is in rollback-journal mode: one file.
            out.exec("PRAGMA journal_mode = DELETE;");
            out.exec("PRAGMA secure_delete = ON;");
            // No key beside the content it protects, and no word of any
            // text: the index is emptied (a restore rebuilds it with keys).
            out.exec("BEGIN IMMEDIATE;");
            out.exec("DELETE FROM record_keys;");
            out.exec("DELETE FROM record_text_source;");
            out.exec("DELETE FROM record_text_segments;");
            out.exec("DELETE FROM record_text_segdir;");
            out.exec("DELETE FROM record_text_docsize;");
            out.exec("DELETE FROM record_text_stat;");
            out.exec("COMMIT;");
            out.exec("VACUUM;");
        }
        return std::filesystem::file_size(dest);
    } catch (...) {
        std::filesystem::remove(dest, ec);
        std::filesystem::remove(dest.string() + "-journal", ec);
        throw;
    }
}

std::int64_t copy_table(Connection& from, Connection& to, const std::string& table) {
    const auto select = fmt::format("SELECT * FROM \"{}\"", table);
    sqlite3_stmt* in = nullptr;
    if (const int rc = sqlite3_prepare_v2(from.handle(), select.c_str(), -1, &in, nullptr);
        rc != SQLITE_OK) {
        throw_sqlite(from.handle(), rc, "reading " + table);
    }
    const int n = sqlite3_column_count(in);
    std::string marks;
    for (int i = 1; i <= n; ++i) {
        marks += fmt::format("{}?{}", i > 1 ? ", " : "", i);
    }
    const auto insert = fmt::format("INSERT OR REPLACE INTO \"{}\" VALUES ({})", table, marks);
    sqlite3_stmt* out = nullptr;
    if (const int rc = sqlite3_prepare_v2(to.handle(), insert.c_str(), -1, &out, nullptr);
        rc != SQLITE_OK) {
        sqlite3_finalize(in);
        throw_sqlite(to.handle(), rc, "writing " + table);
    }
    std::int64_t copied = 0;
    while (sqlite3_step(in) == SQLITE_ROW) {
        for (int i = 0; i < n; ++i) {
            switch (sqlite3_column_type(in, i)) {
                case SQLITE_INTEGER:
                    sqlite3_bind_int64(out, i + 1, sqlite3_column_int64(in, i));
                    break;
                case SQLITE_FLOAT:
                    sqlite3_bind_double(out, i + 1, sqlite3_column_double(in, i));
                    break;
                case SQLITE_TEXT:
                    sqlite3_bind_text(out, i + 1,
                                      reinterpret_cast<const char*>(sqlite3_column_text(in, i)),
                                      sqlite3_column_bytes(in, i), SQLITE_TRANSIENT);
                    break;
                case SQLITE_BLOB:
                    sqlite3_bind_blob(out, i + 1, sqlite3_column_blob(in, i),
                                      sqlite3_column_bytes(in, i), SQLITE_TRANSIENT);
                    break;
                default:
                    sqlite3_bind_null(out, i + 1);
            }
        }
        copied += sqlite3_step(out) == SQLITE_DONE ? 1 : 0;  // a missing reference: left out
        sqlite3_reset(out);
        sqlite3_clear_bindings(out);
    }
    sqlite3_finalize(out);
    sqlite3_finalize(in);
    return copied;
}

std::vector<WrappedKey> all_record_keys(Connection& conn) {
    auto s = conn.cached("SELECT record_id, wrapped FROM record_keys ORDER BY record_id");
    std::vector<WrappedKey> out;
    while (s->step()) {
        out.push_back({s->column_int(0), s->column_blob(1)});
    }
    return out;
}

std::vector<Disposed> all_disposed(Connection& conn) {
    auto s = conn.cached(
        "SELECT id, state, coalesce(disposal_batch, 0), coalesce(disposed_at, 0) FROM records "
        "WHERE state IN ('destroyed', 'transferred') ORDER BY id");
    std::vector<Disposed> out;
    while (s->step()) {
        out.push_back({s->column_int(0), s->column_text(1), s->column_int(2), s->column_int(3)});
    }
    return out;
}

}  // namespace strongroom::store
