#include "daemon/service/restore.hpp"

#include <map>
#include <optional>
#include <vector>

#include <fmt/format.h>
#include <sqlite3.h>

#include "daemon/crypto/key_vault.hpp"
#include "daemon/service/backups.hpp"
#include "daemon/service/retention.hpp"
#include "daemon/store/audit_log.hpp"
#include "daemon/store/backup.hpp"
#include "daemon/store/disposal.hpp"
#include "daemon/store/migrations.hpp"
#include "daemon/store/records.hpp"
#include "daemon/store/sqlite.hpp"

namespace strongroom::service {
namespace fs = std::filesystem;

namespace {

// What is known since the backup: keys, disposals, and (from a replaced
// database) batches and audit entries.
struct Since {
    std::string from;
    std::vector<store::WrappedKey> keys;
    std::vector<store::Disposed> disposed;
    std::vector<store::BatchRow> batches;
    std::vector<std::pair<std::int64_t, store::BatchRecord>> batch_records;
    std::optional<fs::path> live;  // the database whose audit entries continue the chain
};

Result<Since> what_is_known(const fs::path& db, const crypto::KeyVault& vault,
                            const KeyBackups& key_backups, Micros now) {
    Since s;
    std::error_code ec;
    if (fs::exists(db, ec)) {
        try {
            store::Connection conn(db, store::OpenMode::read_write, vault, {});
            s.keys = store::all_record_keys(conn);
            s.disposed = store::all_disposed(conn);
            store::DisposalRepository batches(conn);
            s.batches = batches.all();
            for (const auto& b : s.batches) {
                for (auto& r : batches.records(b.id)) {
                    s.batch_records.emplace_back(b.id, std::move(r));
                }
            }
            s.from = "the replaced database";
            s.live = db;
            return s;
        } catch (const std::exception&) {
            // Damaged: fall back on the key-store backups.
        }
    }
    auto content = key_backups.newest(now, vault);
    if (!content) {
        return make_error(
            ErrorCode::conflict,
            fmt::format("the database in {} does not open and {}: the backup's content could "
                        "not be read, so nothing was restored",
                        db.parent_path().string(), content.error().message));
    }
    s.keys = std::move(content->keys);
    s.disposed = std::move(content->disposed);
    s.from = "key-store backup " + content->name;
    return s;
}

// Runs fn with the legal-hold triggers off: a disposal that happened is
// replayed whatever holds the backup shows (they were released before it).
template <typename Fn>
void without_hold_triggers(store::Connection& conn, Fn&& fn) {
    std::vector<std::string> sql;
    {
        auto s = conn.cached(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name IN "
            "('held_records_stay', 'held_keys_stay')");
        while (s->step()) {
            sql.push_back(s->column_text(0));
        }
    }
    conn.exec("DROP TRIGGER IF EXISTS held_records_stay;");
    conn.exec("DROP TRIGGER IF EXISTS held_keys_stay;");
    fn();
    for (const auto& t : sql) {
        conn.exec((t + ";").c_str());
    }
}

}  // namespace

std::string RestoreReport::summary(const fs::path& backup) const {
    return fmt::format(
        "restored {}: {} records held, {} destructions and transfers replayed, {} keys from {}, "
        "{} records without a key (content unreadable), {} audit entries carried over{}",
        backup.string(), records, replayed, keys, known_from, without_key, audit_carried,
        replaced_removed   ? std::string("; the replaced database was overwritten and removed")
        : replaced.empty() ? std::string()
                           : "; the replaced database is " + replaced.string());
}

Result<RestoreReport> restore_backup(const fs::path& state, const fs::path& backup,
                                     const crypto::KeyVault& vault, const KeyBackups& key_backups,
                                     Micros now) {
    const auto db = state / "strongroom.db";
    const auto fresh = state / "strongroom.db.restoring";
    std::error_code ec;
    fs::remove(fresh, ec);
    fs::remove(fresh.string() + "-journal", ec);
    if (!fs::is_regular_file(backup, ec)) {
        return make_error(ErrorCode::bad_request, fmt::format("{} is not a file", backup.string()));
    }
    auto since = what_is_known(db, vault, key_backups, now);
    if (!since) {
        return std::move(since).error();
    }
    RestoreReport report;
    report.known_from = since->from;
    fs::copy_file(backup, fresh, ec);
    if (ec) {
        return make_error(ErrorCode::bad_request,
                          fmt::format("cannot copy {}: {}", backup.string(), ec.message()));
    }
    fs::permissions(fresh, fs::perms::owner_read | fs::perms::owner_write, ec);
    try {
        store::Connection conn(fresh, store::OpenMode::read_write, vault, {});
        store::migrate(conn);
        conn.exec("BEGIN IMMEDIATE;");
        store::DisposalRepository batches(conn);
        for (const auto& b : since->batches) {
            batches.put(b);
        }
        store::RecordRepository records(conn);
        without_hold_triggers(conn, [&] {
            for (const auto& d : since->disposed) {
                const auto r = records.find(d.record_id);
                if (!r || r->state != "held") {
                    continue;
                }
                std::optional<std::int64_t> batch;
                if (d.batch != 0 && batches.find(d.batch)) {
                    batch = d.batch;
                }
                records.dispose(d.record_id, d.state, batch, d.at);
                ++report.replayed;
            }
        });
        for (const auto& [batch, r] : since->batch_records) {
            if (records.find(r.record_id)) {
                batches.add_record(batch, r.record_id, r.why);
            }
        }
        records.remove_unfinished();
        std::map<std::int64_t, const std::vector<std::uint8_t>*> keys;
        for (const auto& k : since->keys) {
            keys.emplace(k.record_id, &k.wrapped);
        }
        // Keys back, and the text index rebuilt from the content.
        records.for_each_in_state("held", [&](const store::RecordRow& r) {
            ++report.records;
            std::string text;
            if (const auto k = keys.find(r.id); k != keys.end()) {
                records.put_key(r.id, *k->second);
                ++report.keys;
                if (auto t = indexed_text_of(records, vault, r)) {
                    text = std::move(*t);
                }
            } else {
                ++report.without_key;
            }
            records.index_text(r.id, r.title, text);
        });
        conn.exec("COMMIT;");
        records.optimize_text_index();
        // The audit entries written after the backup continue its chain;
        // the holds and closures since stand.
        if (since->live) {
            store::Connection live(*since->live, store::OpenMode::read_write, vault, {});
            conn.exec("BEGIN IMMEDIATE;");
            for (const char* table : {"holds", "hold_records", "closures", "retired_keys"}) {
                store::copy_table(live, conn, table);
            }
            conn.exec("COMMIT;");
            store::AuditRepository restored(conn);
            const auto head = restored.head();
            conn.exec("BEGIN IMMEDIATE;");
            store::AuditRepository(live).scan(head ? head->first + 1 : 1,
                                              [&](const store::AuditRow& row) {
                                                  restored.append(row);
                                                  ++report.audit_carried;
                                                  return true;
                                              });
            conn.exec("COMMIT;");
        }
        conn.exec("PRAGMA journal_mode = WAL;");
    } catch (const store::StoreError& e) {
        fs::remove(fresh, ec);
        fs::remove(fresh.string() + "-journal", ec);
        if (e.code() == SQLITE_NOTADB) {
            return make_error(ErrorCode::bad_request,
                              fmt::format("{} does not open under the master key in use: it is "
                                          "not a strongroom backup, or it was made under another "
                                          "key (before a rekey: backups made then open only "
                                          "with the retired key); nothing was restored",
                                          backup.string()));
        }
        return make_error(ErrorCode::internal,
                          fmt::format("the backup could not be restored: {}", e.what()));
    } catch (const std::exception& e) {
        fs::remove(fresh, ec);
        fs::remove(fresh.string() + "-journal", ec);
        return make_error(ErrorCode::internal,
                          fmt::format("the backup could not be restored: {}", e.what()));
    }
    if (fs::exists(db, ec)) {
        std::string stamp;
        for (const char c : format_timestamp(now)) {
            if (c != '-' && c != ':') {
                stamp.push_back(c);
            }
        }
        report.replaced = state / ("strongroom.db.replaced-" + stamp);
        fs::rename(db, report.replaced, ec);
        for (const char* suffix : {"-wal", "-shm"}) {
            fs::remove(db.string() + suffix, ec);
        }
    }
    fs::rename(fresh, db, ec);
    if (ec) {
        return make_error(ErrorCode::internal, fmt::format("cannot put the restored database in "
                                                           "place: {}",
                                                           ec.message()));
    }
    // What the replaced database knew is carried over; kept, it would hold
    // the keys of records destroyed later: overwritten and removed.
    if (!report.replaced.empty() && overwrite_and_remove(report.replaced)) {
        report.replaced.clear();
        report.replaced_removed = true;
    }
    return report;
}

}  // namespace strongroom::service
