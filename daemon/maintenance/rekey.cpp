#include "daemon/maintenance/rekey.hpp"

#include <cstdint>
#include <cstring>
#include <optional>

#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "daemon/audit/checkpoint.hpp"
#include "daemon/audit/trail.hpp"
#include "daemon/common/files.hpp"
#include "daemon/common/text.hpp"
#include "daemon/crypto/key_vault.hpp"
#include "daemon/maintenance/backups.hpp"
#include "daemon/store/audit_log.hpp"
#include "daemon/store/backup.hpp"
#include "daemon/store/maintenance.hpp"
#include "daemon/store/records.hpp"
#include "daemon/store/register.hpp"
#include "daemon/store/retired_keys.hpp"
#include "daemon/store/store.hpp"
#include "daemon/store/writer.hpp"

namespace strongroom::maintenance {
namespace fs = std::filesystem;

namespace {

bool same_file(const fs::path& a, const fs::path& b) {
    struct stat sa {};
    struct stat sb {};
    return ::lstat(a.c_str(), &sa) == 0 && ::lstat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

// What an earlier rekey left behind if it stopped half-way.
void remove_leftovers(const fs::path& db, const fs::path& fresh, const fs::path& prior,
                      const fs::path& checkpoints_new) {
    std::error_code ec;
    fs::remove(fresh, ec);
    fs::remove(fresh.string() + "-journal", ec);
    fs::remove(checkpoints_new, ec);
    if (fs::exists(prior, ec)) {
        if (same_file(prior, db)) {
            fs::remove(prior, ec);  // a second name of the database in use
        } else {
            overwrite_and_remove(prior);  // the database under a retired key
        }
    }
}

// The head the chain continues from: the newest entry, or the latest
// checkpoint when entries it saw are gone (as the daemon does at start).
std::optional<std::pair<std::int64_t, store::Mac>> chain_head(
    store::Connection& conn, const std::optional<audit::Checkpoint>& latest) {
    auto head = store::AuditRepository(conn).head();
    if (latest && latest->seq > (head ? head->first : 0)) {
        head = std::make_pair(latest->seq, latest->head);
    }
    return head;
}

}  // namespace

std::vector<std::string> finish_interrupted_rekey(const fs::path& state,
                                                  const crypto::KeyVault& vault) {
    std::vector<std::string> done;
    const auto db = state / "strongroom.db";
    const auto prior = state / "strongroom.db.prekey";
    const auto checkpoints_new = state / "audit-checkpoints.rekeying";
    std::error_code ec;
    if (fs::exists(checkpoints_new, ec)) {
        bool current = false;
        {
            const audit::CheckpointLog log(checkpoints_new, vault.audit_mac());
            const auto content = log.read();
            current = content && content->problems.empty();
        }
        if (current) {
            fs::rename(checkpoints_new, state / "audit-checkpoints", ec);
            done.push_back("the checkpoint file MACed under this key was put in place");
        } else {
            fs::remove(checkpoints_new, ec);
            done.push_back("a checkpoint file of an unfinished rekey was removed");
        }
    }
    if (fs::exists(prior, ec)) {
        if (same_file(prior, db)) {
            fs::remove(prior, ec);
        } else {
            overwrite_and_remove(prior);
            done.push_back("the database under the retired key was overwritten and removed");
        }
    }
    if (fs::exists(state / "strongroom.db.rekeying", ec)) {
        fs::remove(state / "strongroom.db.rekeying", ec);
        fs::remove(state / "strongroom.db.rekeying-journal", ec);
        done.push_back("the unfinished export of a rekey was removed");
    }
    sync_directory(state);
    return done;
}

std::string RekeyReport::summary() const {
    return fmt::format(
        "master key replaced (key check {}… → {}…): retired as key {}, which chained audit "
        "entries {} to {}; {} record keys wrapped again, {} keys retired before sealed again, "
        "{} checkpoints MACed again{}; key-store backups made under the retired key are removed",
        old_check.substr(0, 16), new_check.substr(0, 16), epoch, first_seq, last_seq, record_keys,
        resealed, checkpoints,
        checkpoints_not_verified == 0
            ? std::string()
            : fmt::format(" ({} lines that did not verify were kept as they were)",
                          checkpoints_not_verified));
}

Result<RekeyReport> rekey_store(const fs::path& state, const crypto::KeyVault& current,
                                const crypto::KeyVault& next, const KeyBackups& key_backups,
                                const RekeyActor& actor, Micros now) {
    const auto db = state / "strongroom.db";
    const auto fresh = state / "strongroom.db.rekeying";
    const auto prior = state / "strongroom.db.prekey";
    const auto checkpoints = state / "audit-checkpoints";
    const auto checkpoints_new = state / "audit-checkpoints.rekeying";
    remove_leftovers(db, fresh, prior, checkpoints_new);

    RekeyReport report;
    report.old_check = to_hex(current.key_check());
    report.new_check = to_hex(next.key_check());
    if (report.old_check == report.new_check) {
        return make_error(ErrorCode::bad_request,
                          "the new key is the master key in use: give a new key file");
    }
    std::error_code ec;
    if (!fs::exists(db, ec)) {
        return make_error(ErrorCode::bad_request,
                          fmt::format("no database at {}: nothing to rekey", db.string()));
    }
    auto old_mac = current.audit_mac();
    auto new_mac = next.audit_mac();
    std::optional<audit::Checkpoint> latest;
    {
        const audit::CheckpointLog log(checkpoints, current.audit_mac());
        if (auto content = log.read()) {
            for (const auto& c : content->checkpoints) {
                if (!latest || c.seq > latest->seq) {
                    latest = c;
                }
            }
        }
    }
    try {
        // 1. The export, under the new database key.
        store::Exported exported;
        {
            auto old = store::open_connection(db, store::OpenMode::read_write, current);
            exported = store::export_under_key(*old, fresh, next);
        }

        // 2. Keys wrapped again, the old key retired, the rekey audited.
        {
            auto handle = store::open_connection(fresh, store::OpenMode::read_write, next);
            auto& conn = *handle;
            store::check_export(conn, exported);
            store::WriteTransaction tx(conn);
            store::RetiredKeyRepository retired(conn);
            auto keys = retired.all();
            for (auto& k : keys) {
                auto sealed = current.reseal_retired_audit_key(next, k.binding(), k.audit_key);
                if (!sealed) {
                    throw store::StoreError(0, sealed.error().message);
                }
                k.audit_key = std::move(*sealed);
                retired.put(k);
                ++report.resealed;
            }
            const auto head = chain_head(conn, latest);
            store::RetiredKey mine;
            mine.epoch = keys.empty() ? 1 : keys.back().epoch + 1;
            mine.key_check = report.old_check;
            const auto pub = current.signing_key().public_key();
            mine.signing_public.assign(pub.begin(), pub.end());
            mine.first_seq = keys.empty() ? 1 : keys.back().last_seq + 1;
            if (head && head->first < mine.first_seq - 1) {
                throw store::StoreError(
                    0, fmt::format("the newest audit entries are missing: the trail ends at "
                                   "entry {}, before the end of the last retired key's range "
                                   "({}); run audit verify and keep its report",
                                   head->first, mine.first_seq - 1));
            }
            mine.last_seq = std::max(head ? head->first : 0, mine.first_seq - 1);
            mine.retired_at = now;
            mine.audit_key = current.retire_audit_key(next, mine.binding());
            retired.put(mine);
            report.epoch = mine.epoch;
            report.first_seq = mine.first_seq;
            report.last_seq = mine.last_seq;

            store::RecordRepository records(conn);
            for (const auto& k : store::all_record_keys(conn)) {
                auto key = current.unwrap_record_key(k.record_id, k.wrapped);
                if (!key) {
                    throw store::StoreError(0, key.error().message);
                }
                records.replace_key(k.record_id, next.wrap_record_key(k.record_id, *key));
                ++report.record_keys;
            }
            // Step 3 now, so that the audit entry can say what it did.
            auto rewritten =
                audit::rewrite_checkpoints(checkpoints, checkpoints_new, old_mac, new_mac);
            if (!rewritten) {
                throw store::StoreError(0, rewritten.error().message);
            }
            report.checkpoints = rewritten->rewritten;
            report.checkpoints_not_verified = rewritten->kept;

            audit::Trail trail(next.audit_mac(), head);
            store::Transaction txn(conn);
            store::AuditRecord entry;
            entry.at = now;
            entry.account = "strongroomd";
            entry.uid = actor.uid;
            entry.pid = actor.pid;
            entry.request = "rekey";
            entry.object = "master-key";
            entry.decision = store::Decision::allow;
            entry.reason = report.summary();
            trail.append(txn, std::move(entry));
            trail.flush(txn);
            report.rekey_seq = trail.head_seq();
            tx.commit();
        }
    } catch (const std::exception& e) {
        remove_leftovers(db, fresh, prior, checkpoints_new);
        return make_error(ErrorCode::internal,
                          fmt::format("the store was not rekeyed (it is unchanged): {}", e.what()));
    }

    // 4. The new file in place: one rename is the moment of the change. The
    // key check names the new key first: a crash before the rename leaves
    // the old database, which the old key still opens (the key check is
    // then rewritten); after it, the new key opens the new one.
    for (const char* suffix : {"-wal", "-shm"}) {
        fs::remove(db.string() + suffix, ec);
    }
    std::string why;
    try {
        store::write_key_check(state, next);
        if (::link(db.c_str(), prior.c_str()) != 0 || ::rename(fresh.c_str(), db.c_str()) != 0) {
            why = std::strerror(errno);
        }
    } catch (const std::exception& e) {
        why = e.what();
    }
    if (!why.empty()) {
        try {
            store::write_key_check(state, current);
        } catch (const std::exception&) {
            // The old key still opens the old database; start-up rewrites it.
        }
        remove_leftovers(db, fresh, prior, checkpoints_new);
        return make_error(ErrorCode::internal,
                          fmt::format("the store was not rekeyed (it is unchanged): cannot put "
                                      "the new database in place: {}",
                                      why));
    }
    sync_directory(state);
    // From here the store is rekeyed; what is left undone now is finished
    // at the next start (finish_interrupted_rekey).
    fs::rename(checkpoints_new, checkpoints, ec);
    sync_directory(state);
    // The old file holds everything under the retired key: overwritten.
    overwrite_and_remove(prior);
    report.key_backups_removed = key_backups.remove_expired(INT64_MAX);
    sync_directory(state);
    return report;
}

}  // namespace strongroom::maintenance
