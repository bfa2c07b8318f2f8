#include "daemon/maintenance/restore.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include <fmt/format.h>

#include "daemon/audit/checkpoint.hpp"
#include "daemon/crypto/key_vault.hpp"
#include "daemon/maintenance/backups.hpp"
#include "daemon/registry/content.hpp"
#include "daemon/store/audit_log.hpp"
#include "daemon/store/backup.hpp"
#include "daemon/store/connection.hpp"
#include "daemon/store/migrations.hpp"
#include "daemon/store/records.hpp"
#include "daemon/store/register.hpp"
#include "daemon/store/store.hpp"

namespace strongroom::maintenance {
namespace fs = std::filesystem;

namespace {

// What is known since the backup: keys, and the register (or, from a
// key-store backup written before the register was carried, disposals).
struct Since {
    std::string from;
    std::vector<store::WrappedKey> keys;
    std::optional<store::Register> reg;
    std::vector<store::Disposed> disposed;  // when reg is absent
    std::optional<fs::path> live;           // the database whose audit entries continue the chain
};

Result<Since> what_is_known(const fs::path& db, const crypto::KeyVault& vault,
                            const KeyBackups& key_backups, Micros now) {
    Since s;
    std::error_code ec;
    if (fs::exists(db, ec)) {
        try {
            const auto conn_handle = store::open_connection(db, store::OpenMode::read_write, vault);
            auto& conn = *conn_handle;
            store::ReadSnapshot snapshot(conn);
            s.keys = store::all_record_keys(conn);
            s.reg = store::read_register(conn);
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
    s.reg = std::move(content->reg);
    s.from = "key-store backup " + content->name;
    return s;
}

// "12, 13 and 17" (at most ten, then "and N more").
std::string id_list(const std::vector<std::int64_t>& ids) {
    std::string out;
    for (std::size_t i = 0; i < ids.size() && i < 10; ++i) {
        out += fmt::format("{}{}", i == 0 ? "" : i + 1 == ids.size() ? " and " : ", ", ids[i]);
    }
    if (ids.size() > 10) {
        out += fmt::format(" and {} more", ids.size() - 10);
    }
    return out;
}

// A key-store backup written before the register was carried knows the
// records disposed of, not their register entries: it can stand in only if
// the backup has every one of them.
void check_disposals_known(store::RecordRepository& records, const Since& since) {
    std::vector<std::int64_t> missing;
    for (const auto& d : since.disposed) {
        if (!records.find(d.record_id)) {
            missing.push_back(d.record_id);
        }
    }
    if (!missing.empty()) {
        throw store::RegisterConflict(fmt::format(
            "{} was written by an older strongroomd and does not carry the register: records "
            "{} were destroyed or transferred after the backup was taken and the restore could "
            "not keep them in the register. Restore a backup taken after their disposal, or "
            "restore with the database in place",
            since.from, id_list(missing)));
    }
}

// The highest audit entry known (the replaced database's are carried over):
// a checkpoint line for it, so that the next start continues the chain
// after it and never hands its numbers out again.
void checkpoint_known_head(const fs::path& state, const crypto::KeyVault& vault,
                           const store::Register& reg, Micros now) {
    if (!reg.audit_head) {
        return;
    }
    audit::CheckpointLog log(state / "audit-checkpoints", vault.audit_mac());
    std::int64_t newest = 0;
    if (auto content = log.read()) {
        for (const auto& c : content->checkpoints) {
            newest = std::max(newest, c.seq);
        }
    }
    if (reg.audit_head->first > newest) {
        if (auto st = log.append({reg.audit_head->first, reg.audit_head->second, now}); !st) {
            throw std::runtime_error(st.error().message);
        }
    }
}

}  // namespace

std::string RestoreReport::summary(const fs::path& backup) const {
    std::string lost_part;
    if (!lost.empty()) {
        lost_part = fmt::format(
            "; {} records entered after the backup are not in it, their content is lost and "
            "their numbers are not used again: {}",
            lost.size(), id_list(lost));
    }
    return fmt::format(
        "restored {}: {} records held, {} destructions and transfers replayed, {} register "
        "entries kept of records destroyed or transferred since, {} other register entries "
        "carried over and {} brought up to date, access as it was before the restore ({} "
        "accounts, posts, assignments, grants and pending changes brought back to it), {} keys "
        "from {}{}, {} records without a key (content unreadable), {} audit entries carried "
        "over{}{}",
        backup.string(), records, replayed, stubs, carried, updated, access, keys, known_from,
        keys_from_key_backups > 0
            ? fmt::format(" ({} of them from key-store backups)", keys_from_key_backups)
            : std::string(),
        without_key, audit_carried, lost_part,
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
    const auto abandon = [&] {
        fs::remove(fresh, ec);
        fs::remove(fresh.string() + "-journal", ec);
    };
    try {
        const auto conn_handle = store::open_connection(fresh, store::OpenMode::read_write, vault);
        auto& conn = *conn_handle;
        store::migrate(conn);
        store::WriteTransaction tx(conn);
        store::RecordRepository records(conn);
        records.remove_unfinished();
        // The register first: every entry the replaced database (or the
        // key-store backup) knows, and every disposal since, replayed.
        if (since->reg) {
            const auto carried = store::carry_register(conn, *since->reg);
            report.replayed = carried.replayed;
            report.stubs = carried.stubs;
            report.carried = carried.added;
            report.updated = carried.updated;
            report.access = carried.access;
            report.lost = carried.lost;
        } else {
            check_disposals_known(records, *since);
            std::vector<store::Disposal> disposals;
            std::int64_t highest = 0;
            for (const auto& d : since->disposed) {
                disposals.push_back({d.record_id, d.state, d.batch, d.at});
                highest = std::max(highest, d.record_id);
            }
            for (const auto& k : since->keys) {
                highest = std::max(highest, k.record_id);
                if (!records.find(k.record_id)) {
                    report.lost.push_back(k.record_id);
                }
            }
            report.replayed = store::replay_disposals(conn, disposals);
            store::reserve_ids(conn, "records", highest);
        }
        // The records lost stay in the register, as the replaced database
        // described them (a key-store backup knows their ids only).
        if (!report.lost.empty()) {
            std::vector<store::LostRecord> lost;
            if (since->live) {
                const auto live_handle =
                    store::open_connection(*since->live, store::OpenMode::read_write, vault);
                auto& live = *live_handle;
                store::ReadSnapshot snapshot(live);
                lost = store::describe_lost(live, report.lost);
            } else {
                for (const auto id : report.lost) {
                    store::LostRecord l;
                    l.id = id;
                    lost.push_back(std::move(l));
                }
            }
            for (auto& l : lost) {
                l.lost_at = now;
                l.backup = backup.filename().string();
            }
            store::register_lost(conn, lost);
        }
        std::map<std::int64_t, const std::vector<std::uint8_t>*> keys;
        for (const auto& k : since->keys) {
            keys.emplace(k.record_id, &k.wrapped);
        }
        // A record the replaced database had lost (an earlier restore of an
        // older backup) and this backup brings back: its key from the
        // key-store backups, which outlive that restore.
        std::set<std::int64_t> keyless;
        records.for_each_in_state(RecordState::held, [&](const store::RecordRow& r) {
            if (!keys.contains(r.id)) {
                keyless.insert(r.id);
            }
        });
        const auto recovered = key_backups.find_keys(keyless, now, vault);
        for (const auto& [id, wrapped] : recovered) {
            keys.emplace(id, &wrapped);
        }
        report.keys_from_key_backups = static_cast<std::int64_t>(recovered.size());
        // Keys back, and the text index rebuilt from the content.
        records.for_each_in_state(RecordState::held, [&](const store::RecordRow& r) {
            ++report.records;
            std::string text;
            if (const auto k = keys.find(r.id); k != keys.end()) {
                records.put_key(r.id, *k->second);
                ++report.keys;
                if (auto t = registry::indexed_text_of(records, vault, r)) {
                    text = std::move(*t);
                }
            } else {
                ++report.without_key;
            }
            records.index_text(r.id, r.title, text);
        });
        tx.commit();
        records.optimize_text_index();
        // The audit entries written after the backup continue its chain.
        if (since->live) {
            const auto live_handle =
                store::open_connection(*since->live, store::OpenMode::read_write, vault);
            auto& live = *live_handle;
            store::AuditRepository restored(conn);
            const auto head = restored.head();
            store::WriteTransaction audit_tx(conn);
            store::AuditRepository(live).scan(head ? head->first + 1 : 1,
                                              [&](const store::AuditRow& row) {
                                                  restored.append(row);
                                                  ++report.audit_carried;
                                                  return true;
                                              });
            audit_tx.commit();
        }
        store::use_write_ahead_log(conn);
    } catch (const store::RegisterConflict& e) {
        abandon();
        return make_error(ErrorCode::conflict,
                          fmt::format("{} cannot be restored: {}; nothing was changed (the "
                                      "database in {} is as it was)",
                                      backup.string(), e.what(), state.string()));
    } catch (const store::StoreError& e) {
        abandon();
        if (e.code() == store::kNotADatabase) {
            return make_error(ErrorCode::bad_request,
                              fmt::format("{} does not open under the master key in use: it is "
                                          "not a strongroom backup, or it was made under another "
                                          "key (before a rekey: backups made then open only "
                                          "with the retired key); nothing was restored",
                                          backup.string()));
        }
        return make_error(ErrorCode::internal,
                          fmt::format("the backup could not be restored: {}; nothing was changed "
                                      "(the database in {} is as it was)",
                                      e.what(), state.string()));
    } catch (const std::exception& e) {
        abandon();
        return make_error(ErrorCode::internal,
                          fmt::format("the backup could not be restored: {}; nothing was changed "
                                      "(the database in {} is as it was)",
                                      e.what(), state.string()));
    }
    // Without the replaced database, the audit entries after the key-store
    // backup's are lost: the next start reports the gap and continues after
    // the highest entry known, as for a truncation.
    if (!since->live && since->reg) {
        try {
            checkpoint_known_head(state, vault, *since->reg, now);
        } catch (const std::exception& e) {
            abandon();
            return make_error(ErrorCode::internal,
                              fmt::format("the audit checkpoint file could not be written: {}; "
                                          "nothing was restored",
                                          e.what()));
        }
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

}  // namespace strongroom::maintenance
