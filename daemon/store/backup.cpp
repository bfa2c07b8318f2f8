#include "daemon/store/backup.hpp"

#include <system_error>

#include <fmt/format.h>
#include <sqlite3.h>

#include "daemon/store/register.hpp"
#include "daemon/store/sqlite.hpp"
#include "daemon/store/stored.hpp"

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
            {
                // The keys of records under a legal hold go too: the copy
                // is not the live register, and its triggers are put back
                // as they were, so a restore of it keeps the holds' rule.
                HoldTriggersAside holds(out);
                out.exec("DELETE FROM record_keys;");
                holds.put_back();
            }
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
        out.push_back({s->column_int(0), stored_record_state(s->column_text(1)), s->column_int(2),
                       s->column_int(3)});
    }
    return out;
}

}  // namespace strongroom::store
