// End-to-end tests of issue 13, findings 9-11: a restore never takes an
// entry out of the register nor hands a number out twice; a backup works
// with records under a legal hold and a failed one leaves nothing behind;
// a certificate or statement that cannot be written is asked for before
// the work is done. The real daemon and tools, as different Unix users.
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <set>
#include <utility>

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "daemon/common/text.hpp"
#include "daemon/store/sqlite.hpp"
#include "tests/integration/harness.hpp"
#include "tests/integration/mission.hpp"

namespace strongroom::test {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

constexpr uid_t kClerk2 = 61022;
constexpr uid_t kClerk3 = 61023;
constexpr uid_t kAuditor = 61021;

void add_people(Mission& m) {
    m.add_role_account("clerk2", kClerk2, "registrar");
    m.add_role_account("aud", kAuditor, "auditor");
}

std::int64_t raw_data(Mission& m, const std::string& title) {
    return m.ingest(kAnalyst, "intercept " + title + "\n",
                    {"--title", title, "--level", "confidential", "--compartment", "JMAC", "--type",
                     "raw-acquisition-data", "--dated", day_offset(-730)});
}

std::string registry_number(Mission& m, std::int64_t id) {
    auto r = m.tool({"--json", "show", std::to_string(id)}, kAnalyst);
    EXPECT_EQ(r.status, 0) << r.err;
    return r.status == 0 ? std::string(r.json().at("record").at("registry_number").as_string())
                         : "";
}

// Proposes (as `by`), approves (clerk2) and executes (as `by`) the
// destruction of what is due; returns the batch.
std::int64_t destroy_due(Mission& m, uid_t by, const std::string& certificate) {
    auto r = m.admin({"--json", "disposal", "propose"}, by);
    EXPECT_EQ(r.status, 0) << r.err;
    if (r.status != 0) {
        return -1;
    }
    const auto batch = r.json().at("batch").as_int64();
    EXPECT_EQ(m.admin({"disposal", "approve", std::to_string(batch)}, kClerk2).status, 0);
    r = m.admin({"disposal", "execute", std::to_string(batch), "-o", certificate}, by);
    EXPECT_EQ(r.status, 0) << r.err;
    return batch;
}

std::int64_t highest_audit_seq(Mission& m) {
    const auto rows = m.audit_rows();  // stops the daemon
    return rows.empty() ? 0 : rows.back().seq;
}

RunResult restore(Mission& m, const std::string& backup, const RunOptions& options = {}) {
    return run({daemon_path(), "--dev", m.state().string(), "--restore", backup}, options);
}

// Stops the daemon, restores the backup and starts it again.
RunResult restore_and_start(Mission& m, const std::string& backup) {
    { auto stopped = m.stop_and_open(); }
    auto r = restore(m, backup);
    m.start();
    return r;
}

// A numbered copy of a record, issued to a reader: its number.
std::int64_t get_copy(Mission& m, const std::string& id, const std::string& file) {
    auto r = m.tool({"--json", "get", id, "-o", m.out_path(file), "--purpose", "brief"}, kAnalyst);
    EXPECT_EQ(r.status, 0) << r.out << r.err;
    return r.status == 0 ? r.json().at("copy").as_int64() : 0;
}

// A record's copies as the analyst lists them.
boost::json::array copies_of(Mission& m, const std::string& id) {
    auto r = m.tool({"--json", "copies", id}, kAnalyst);
    EXPECT_EQ(r.status, 0) << r.out << r.err;
    return r.status == 0 ? r.json().at("copies").as_array() : boost::json::array();
}

std::vector<std::int64_t> batch_items(Mission& m, std::int64_t batch) {
    auto r = m.admin({"--json", "disposal", "show", std::to_string(batch)}, kAuditor);
    EXPECT_EQ(r.status, 0) << r.err;
    std::vector<std::int64_t> ids;
    if (r.status == 0) {
        const auto doc = r.json();
        for (const auto& i : doc.at("items").as_array()) {
            ids.push_back(i.at("record").as_int64());
        }
    }
    return ids;
}

}  // namespace

TEST(RestoreRegister, AnOlderBackupKeepsEveryRegisterEntryAndHandsNoNumberOutAgain) {
    Mission m;
    add_people(m);
    // The head of mission can approve JMAC releases.
    ASSERT_EQ(m.admin({"grant", "hom", "JMAC", "--level", "confidential"}, kOff1).status, 0);
    const auto kept =
        m.ingest(kAnalyst, "report on the harbour\n",
                 {"--title", "Harbour", "--level", "confidential", "--compartment", "JMAC"});
    const auto backup = m.out_path("before.backup");
    ASSERT_EQ(m.admin({"backup", "-o", backup}, kOff1).status, 0);

    // After the backup: a registrar the backup does not know destroys a
    // record it does not know; a copy, a hold, a release request and a
    // pending change are registered.
    m.add_role_account("clerk3", kClerk3, "registrar");
    const auto doomed = raw_data(m, "Intercept");
    const auto doomed_number = registry_number(m, doomed);
    auto r = m.tool(
        {"--json", "get", std::to_string(kept), "-o", m.out_path("copy1"), "--purpose", "brief"},
        kAnalyst);
    ASSERT_EQ(r.status, 0) << r.err;
    ASSERT_EQ(r.json().at("copy"), 1);
    ASSERT_EQ(m.admin({"hold", "place", "later", "--reason", "placed after the backup", "--record",
                       std::to_string(kept)},
                      kClerk)
                  .status,
              0);
    r = m.tool({"--json", "release", "request", std::to_string(kept), "--to", "UNDP",
                "--entity-kind", "un", "--justification", "coordination", "--arrangement", "MOU-7"},
               kAnalyst);
    ASSERT_EQ(r.status, 0) << r.err;
    const auto release = r.json().at("request").as_int64();
    r = m.admin({"--json", "post", "level", "chief-jmac", "--level", "strictly-confidential"},
                kOff1);
    ASSERT_EQ(r.status, 0) << r.err;
    const auto pending = r.json().at("pending_id").as_int64();
    const auto cert = m.out_path("cert.txt");
    const auto batch = destroy_due(m, kClerk3, cert);
    const auto last_seq = highest_audit_seq(m);

    r = restore(m, backup);
    ASSERT_EQ(r.status, 0) << r.out << r.err;
    m.start();

    // The destruction, its batch and certificate stay in the register.
    EXPECT_EQ(m.tool({"show", std::to_string(doomed)}, kAnalyst).status, 4);
    EXPECT_EQ(batch_items(m, batch), std::vector<std::int64_t>{doomed});
    r = m.admin({"--json", "disposal", "list"}, kAuditor);
    ASSERT_EQ(r.status, 0) << r.err;
    ASSERT_EQ(r.json().at("batches").as_array().size(), 1U) << r.out;
    EXPECT_EQ(r.json().at("batches").at(0).at("state"), "executed");
    EXPECT_EQ(r.json().at("batches").at(0).at("records"), 1);
    EXPECT_EQ(r.json().at("batches").at(0).at("proposed_by"), "clerk3");
    r = m.admin({"--json", "certificate", "verify", cert}, kAuditor);
    EXPECT_EQ(r.status, 0) << r.out << r.err;
    r = m.admin({"--json", "report", "registry", "--record", std::to_string(doomed)}, kAuditor);
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.out.find(doomed_number), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(fmt::format("\"event\":\"destroyed\",\"by\":\"clerk3\",\"party\":\"\","
                                     "\"authority\":\"disposal\",\"reference\":\"batch {}\"",
                                     batch)),
              std::string::npos)
        << "the registry does not show the destruction\n"
        << r.out;
    // The hold, the copy and the release request stand.
    r = m.admin({"--json", "hold", "list"}, kClerk);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.json().at("holds").as_array().size(), 1U) << r.out;
    r = m.tool({"--json", "copies", std::to_string(kept)}, kAnalyst);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.json().at("outstanding"), 1) << r.out;

    // No number is handed out again: record id and registry number, copy
    // number, batch, release request, pending change, audit entry.
    r = m.admin({"--json", "audit", "log", "--action", "daemon.start"}, kAuditor);
    ASSERT_EQ(r.status, 0) << r.err;
    const auto started = r.json();
    const auto& starts = started.at("entries").as_array();
    ASSERT_FALSE(starts.empty());
    EXPECT_GT(starts.back().at("seq").as_int64(), last_seq) << r.out;
    const auto next =
        m.ingest(kAnalyst, "a later report\n",
                 {"--title", "Later", "--level", "confidential", "--compartment", "JMAC", "--type",
                  "raw-acquisition-data", "--dated", day_offset(-730)});
    EXPECT_GT(next, doomed);
    EXPECT_NE(registry_number(m, next), doomed_number);
    r = m.tool(
        {"--json", "get", std::to_string(kept), "-o", m.out_path("copy2"), "--purpose", "brief"},
        kAnalyst);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.json().at("copy"), 2);
    r = m.tool({"--json", "release", "request", std::to_string(kept), "--to", "UNHCR",
                "--entity-kind", "un", "--justification", "coordination", "--arrangement", "MOU-8"},
               kAnalyst);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_GT(r.json().at("request").as_int64(), release);
    r = m.admin({"--json", "post", "level", "jmac-analyst", "--level", "strictly-confidential"},
                kOff1);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_GT(r.json().at("pending_id").as_int64(), pending);
    r = m.admin({"--json", "disposal", "propose"}, kClerk);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_GT(r.json().at("batch").as_int64(), batch) << r.out;
    r = m.admin({"--json", "audit", "verify"}, kAuditor);
    EXPECT_EQ(r.status, 0) << r.out << r.err;
}

TEST(RestoreRegister, WithOnlyTheKeyStoreBackupTheRegisterStaysAndNoNumberIsReused) {
    Mission m;
    add_people(m);
    const auto kept =
        m.ingest(kAnalyst, "report on the harbour\n",
                 {"--title", "Harbour", "--level", "confidential", "--compartment", "JMAC"});
    const auto backup = m.out_path("before.backup");
    ASSERT_EQ(m.admin({"backup", "-o", backup}, kOff1).status, 0);
    m.add_role_account("clerk3", kClerk3, "registrar");
    const auto doomed = raw_data(m, "Intercept");
    const auto doomed_number = registry_number(m, doomed);
    const auto cert = m.out_path("cert.txt");
    const auto batch = destroy_due(m, kClerk3, cert);
    // Entered after the first backup and before the second, held: its
    // content is in neither the first backup nor any key-store backup's reach.
    const auto later =
        m.ingest(kAnalyst, "entered later\n",
                 {"--title", "Later", "--level", "confidential", "--compartment", "JMAC"});
    // The later backup's key-store backup knows all of that; the database is then lost.
    ASSERT_EQ(m.admin({"backup", "-o", m.out_path("after.backup")}, kOff1).status, 0);
    const auto last_seq = highest_audit_seq(m);
    for (const char* f : {"strongroom.db", "strongroom.db-wal", "strongroom.db-shm"}) {
        fs::remove(m.state() / f);
    }

    auto r = restore(m, backup);
    ASSERT_EQ(r.status, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("from key-store backup keys-"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(fmt::format("not used again: {}", later)), std::string::npos) << r.out;
    m.start();
    EXPECT_EQ(m.tool({"show", std::to_string(doomed)}, kAnalyst).status, 4);
    EXPECT_EQ(m.tool({"show", std::to_string(kept)}, kAnalyst).status, 0);
    EXPECT_EQ(batch_items(m, batch), std::vector<std::int64_t>{doomed});
    r = m.admin({"--json", "certificate", "verify", cert}, kAuditor);
    EXPECT_EQ(r.status, 0) << r.out << r.err;
    r = m.admin({"--json", "account", "list"}, kOff1);
    EXPECT_NE(r.out.find("clerk3"), std::string::npos) << r.out;
    // The record lost stays in the register, known by its id only.
    r = m.admin({"--json", "report", "registry", "--record", std::to_string(later)}, kAuditor);
    ASSERT_EQ(r.status, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("\"event\":\"lost\""), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("knew only its id"), std::string::npos) << r.out;
    const auto next =
        m.ingest(kAnalyst, "after the restore\n",
                 {"--title", "Next", "--level", "confidential", "--compartment", "JMAC"});
    EXPECT_GT(next, later);
    EXPECT_NE(registry_number(m, next), doomed_number);
    r = m.admin({"--json", "audit", "log", "--action", "daemon.start"}, kAuditor);
    ASSERT_EQ(r.status, 0) << r.err;
    const auto started = r.json();
    const auto& starts = started.at("entries").as_array();
    ASSERT_FALSE(starts.empty());
    EXPECT_GT(starts.back().at("seq").as_int64(), last_seq) << r.out;
}

TEST(RestoreRegister, ARegisterThatCannotBeCarriedRefusesTheRestoreAndChangesNothing) {
    Mission m;
    add_people(m);
    const auto backup = m.out_path("before.backup");
    ASSERT_EQ(m.admin({"backup", "-o", backup}, kOff1).status, 0);
    const auto doomed = raw_data(m, "Intercept");
    destroy_due(m, kClerk, m.out_path("cert.txt"));
    {
        // The database and the backup disagree on who an account is.
        auto db = m.stop_and_open();
        db->store.writer_connection().exec(
            "UPDATE accounts SET name = 'mallory' WHERE name = 'clerk2'");
    }
    const auto before = read_file(m.state() / "strongroom.db");
    auto r = restore(m, backup);
    EXPECT_EQ(r.status, 1) << r.out << r.err;
    EXPECT_NE(r.err.find("mallory"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("nothing was changed"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("constraint"), std::string::npos) << r.err;
    EXPECT_TRUE(read_file(m.state() / "strongroom.db") == before) << "the database changed";
    m.start();
    EXPECT_EQ(m.tool({"show", std::to_string(doomed)}, kAnalyst).status, 4);
}

TEST(RestoreRegister, ACertificateVerifiesOnlyIfEveryRecordItNamesIsStillAccountedFor) {
    Mission m;
    add_people(m);
    const auto doomed = raw_data(m, "Intercept");
    const auto cert = m.out_path("cert.txt");
    const auto batch = destroy_due(m, kClerk, cert);
    ASSERT_EQ(m.admin({"certificate", "verify", cert}, kAuditor).status, 0);
    {
        // What a restore did before: the record and its place in the batch gone.
        auto db = m.stop_and_open();
        auto& conn = db->store.writer_connection();
        for (const char* table : {"batch_records", "record_compartments", "disseminations"}) {
            conn.exec(fmt::format("DELETE FROM {} WHERE record_id = {}", table, doomed).c_str());
        }
        conn.exec(fmt::format("DELETE FROM records WHERE id = {}", doomed).c_str());
    }
    m.start();
    auto r = m.admin({"--json", "certificate", "verify", cert}, kAuditor);
    EXPECT_EQ(r.status, 5) << r.out << r.err;
    EXPECT_NE(r.out.find(
                  fmt::format("record {} named in the certificate is not in the register", doomed)),
              std::string::npos)
        << r.out;
    r = m.admin({"--json", "disposal", "show", std::to_string(batch)}, kAuditor);
    EXPECT_EQ(r.status, 0) << r.err;
}

namespace {

// A tmpfs of `bytes` mounted on dir (owned as dir was), filled to the brim
// when `full`; unmounted at the end.
class SmallDisk {
public:
    SmallDisk(const fs::path& dir, std::size_t bytes, bool full, mode_t mode = 0) : dir_(dir) {
        struct stat st {};
        EXPECT_EQ(::stat(dir.c_str(), &st), 0);
        const auto options = fmt::format("size={},uid={},gid={},mode={:o}", bytes, st.st_uid,
                                         st.st_gid, mode != 0 ? mode : (st.st_mode & 07777));
        mounted_ = ::mount("tmpfs", dir.c_str(), "tmpfs", 0, options.c_str()) == 0;
        EXPECT_TRUE(mounted_) << "mount tmpfs on " << dir << ": " << std::strerror(errno);
        if (full && mounted_) {
            std::ofstream filler(dir / ".filler", std::ios::binary);
            const std::string block(4096, 'x');
            for (std::size_t i = 0; i < bytes / block.size() + 2 && filler; ++i) {
                filler << block << std::flush;
            }
        }
    }
    ~SmallDisk() {
        if (mounted_) {
            ::umount2(dir_.c_str(), MNT_DETACH);
        }
    }
    SmallDisk(const SmallDisk&) = delete;
    SmallDisk& operator=(const SmallDisk&) = delete;
    // Frees the filler.
    void free_filler() { fs::remove(dir_ / ".filler"); }

private:
    fs::path dir_;
    bool mounted_ = false;
};

std::vector<std::string> names_in(const fs::path& dir) {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir)) {
        if (e.path().filename() != ".filler") {
            names.push_back(e.path().filename().string());
        }
    }
    return names;
}

std::vector<json::value> failed_backups(Mission& m) {
    auto r =
        m.admin({"--json", "audit", "log", "--action", "backup", "--decision", "error"}, kAuditor);
    EXPECT_EQ(r.status, 0) << r.err;
    std::vector<json::value> out;
    if (r.status == 0) {
        const auto doc = r.json();
        for (const auto& e : doc.at("entries").as_array()) {
            out.push_back(e);
        }
    }
    return out;
}

}  // namespace

TEST(BackupFaults, ARecordUnderALegalHoldIsBackedUpAndTheHoldStandsAfterARestore) {
    Mission m;
    add_people(m);
    const auto held = raw_data(m, "Intercept");
    ASSERT_EQ(m.admin({"hold", "place", "inquiry", "--reason", "board of inquiry", "--record",
                       std::to_string(held)},
                      kClerk)
                  .status,
              0);
    const auto backup = m.out_path("held.backup");
    auto r = m.admin({"--json", "backup", "-o", backup}, kOff1);
    ASSERT_EQ(r.status, 0) << r.out << r.err;
    const std::string name(r.json().at("key_backup").as_string());
    EXPECT_TRUE(fs::exists(backup));
    EXPECT_TRUE(fs::exists(m.state() / "key-backups" / name));
    // The live hold still keeps its key in the database.
    {
        auto db = m.stop_and_open();
        EXPECT_THROW(db->store.writer_connection().exec(
                         fmt::format("DELETE FROM record_keys WHERE record_id = {}", held).c_str()),
                     store::StoreError);
    }
    // Restored, the record reads, stays under the hold, and the hold's rule holds.
    r = restore(m, backup);
    ASSERT_EQ(r.status, 0) << r.out << r.err;
    m.start();
    {
        auto db = m.stop_and_open();
        auto& conn = db->store.writer_connection();
        EXPECT_THROW(
            conn.exec(
                fmt::format("UPDATE records SET state = 'destroyed' WHERE id = {}", held).c_str()),
            store::StoreError);
    }
    m.start();
    EXPECT_EQ(m.tool({"get", std::to_string(held), "-o", m.out_path("copy"), "--purpose", "check"},
                     kAnalyst)
                  .status,
              0);
    r = m.admin({"--json", "disposal", "propose"}, kClerk);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.out.find("legal hold inquiry"), std::string::npos) << r.out;
}

TEST(BackupFaults, AFailedBackupLeavesNoFileAndIsAuditedAsFailedWithTheCause) {
    Mission m;
    add_people(m);
    raw_data(m, "Intercept");
    { auto stopped = m.stop_and_open(); }
    for (const char* where : {"backup-tmp", "key-backups"}) {
        SCOPED_TRACE(where);
        // A full disk where the backup (or its key-store backup) is written.
        SmallDisk disk(m.state() / where, 64 * 1024, true);
        m.start();
        const auto out = m.out_path(fmt::format("{}.backup", where));
        auto r = m.admin({"backup", "-o", out}, kOff1);
        EXPECT_NE(r.status, 0) << r.out << r.err;
        EXPECT_FALSE(fs::exists(out));
        EXPECT_FALSE(fs::exists(out + ".part"));
        EXPECT_TRUE(names_in(m.state() / "backup-tmp").empty());
        EXPECT_TRUE(names_in(m.state() / "key-backups").empty());
        const auto failed = failed_backups(m);
        ASSERT_EQ(failed.size(), std::string(where) == "backup-tmp" ? 1U : 2U);
        const std::string reason(failed.back().at("reason").as_string());
        EXPECT_NE(reason.find("backup failed"), std::string::npos) << reason;
        EXPECT_NE(reason.find("is full"), std::string::npos) << reason;
        { auto stopped = m.stop_and_open(); }
    }
    // With room again, a backup works.
    m.start();
    EXPECT_EQ(m.admin({"backup", "-o", m.out_path("ok.backup")}, kOff1).status, 0);
}

namespace {

// A batch approved for destruction (proposed by clerk, approved by clerk2).
std::string approved_batch(Mission& m) {
    raw_data(m, "Intercept");
    auto r = m.admin({"--json", "disposal", "propose"}, kClerk);
    EXPECT_EQ(r.status, 0) << r.err;
    const auto batch = std::to_string(r.json().at("batch").as_int64());
    EXPECT_EQ(m.admin({"disposal", "approve", batch}, kClerk2).status, 0);
    return batch;
}

std::string batch_state(Mission& m, const std::string& kind, const std::string& batch) {
    auto r = m.admin({"--json", kind, "list"}, kClerk);
    EXPECT_EQ(r.status, 0) << r.err;
    const auto doc = r.json();
    for (const auto& b : doc.at("batches").as_array()) {
        if (std::to_string(b.at("batch").as_int64()) == batch) {
            return std::string(b.at("state").as_string());
        }
    }
    return "";
}

}  // namespace

TEST(CertificateOutput, AnUnwritablePathIsRefusedBeforeTheDisposalIsExecuted) {
    Mission m;
    add_people(m);
    const auto batch = approved_batch(m);
    // No such directory; a directory the registrar cannot write; a file that exists.
    const auto locked = m.state().parent_path() / "locked";
    fs::create_directory(locked);
    fs::permissions(locked, fs::perms::owner_all | fs::perms::group_read | fs::perms::others_read |
                                fs::perms::group_exec | fs::perms::others_exec);
    for (const auto& path : {m.out_path("no-such-dir/cert.txt"), (locked / "cert.txt").string(),
                             m.file("exists.txt", "x\n")}) {
        auto r = m.admin({"disposal", "execute", batch, "-o", path}, kClerk);
        EXPECT_EQ(r.status, 2) << path << ": " << r.out << r.err;
        EXPECT_NE(r.err.find(path), std::string::npos) << r.err;
        EXPECT_EQ(batch_state(m, "disposal", batch), "approved") << path;
    }
    EXPECT_EQ(m.admin({"disposal", "execute", batch, "-o", m.out_path("cert.txt")}, kClerk).status,
              0);
}

TEST(CertificateOutput, AWriteThatFailsAfterTheWorkSaysItIsDoneAndHowToGetTheDocument) {
    Mission m;
    add_people(m);
    const auto batch = approved_batch(m);
    const auto dir = m.state().parent_path() / "small";
    fs::create_directory(dir);
    SmallDisk disk(dir, 16 * 1024, true, 01777);  // room for a file, not for its bytes
    auto r = m.admin({"disposal", "execute", batch, "-o", (dir / "cert.txt").string()}, kClerk);
    EXPECT_EQ(r.status, 1) << r.out << r.err;
    EXPECT_NE(r.err.find(fmt::format("disposal batch {} was executed", batch)), std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find(fmt::format("strongroom-admin disposal show {} -o FILE", batch)),
              std::string::npos)
        << r.err;
    EXPECT_FALSE(fs::exists(dir / "cert.txt"));
    EXPECT_FALSE(fs::exists(dir / "cert.txt.part"));
    EXPECT_EQ(batch_state(m, "disposal", batch), "executed");
    const auto again = m.out_path("again.txt");
    ASSERT_EQ(m.admin({"disposal", "show", batch, "-o", again}, kClerk).status, 0);
    EXPECT_EQ(m.admin({"certificate", "verify", again}, kClerk).status, 0);
}

TEST(CertificateOutput, TransferConfirmAndClosureCompleteCheckTheirPathFirstToo) {
    Mission m;
    add_people(m);
    const auto old = m.ingest(kAnalyst, "assessment\n",
                              {"--title", "Assessment", "--level", "confidential", "--compartment",
                               "JMAC", "--dated", day_offset(-400)});
    auto r = m.admin({"--json", "transfer", "prepare", "-o", m.out_path("package")}, kClerk);
    ASSERT_EQ(r.status, 0) << r.err << r.out;
    const auto batch = std::to_string(r.json().at("batch").as_int64());
    r = m.admin({"transfer", "confirm", batch, "--receipt", "R-1", "-o",
                 m.out_path("no-such-dir/cert.txt")},
                kClerk);
    EXPECT_EQ(r.status, 2) << r.out << r.err;
    EXPECT_EQ(batch_state(m, "transfer", batch), "prepared");
    EXPECT_EQ(m.tool({"show", std::to_string(old)}, kAnalyst).status, 0);
    // Written after the work fails: done, and how to get it.
    const auto dir = m.state().parent_path() / "small";
    fs::create_directory(dir);
    {
        SmallDisk disk(dir, 16 * 1024, true, 01777);
        r = m.admin(
            {"transfer", "confirm", batch, "--receipt", "R-1", "-o", (dir / "cert.txt").string()},
            kClerk);
        EXPECT_EQ(r.status, 1) << r.out << r.err;
        EXPECT_NE(r.err.find(fmt::format("transfer batch {} was confirmed", batch)),
                  std::string::npos)
            << r.err;
        EXPECT_NE(r.err.find(fmt::format("strongroom-admin transfer show {} -o FILE", batch)),
                  std::string::npos)
            << r.err;
    }
    EXPECT_EQ(batch_state(m, "transfer", batch), "confirmed");
    const auto again = m.out_path("transfer-cert.txt");
    ASSERT_EQ(m.admin({"transfer", "show", batch, "-o", again}, kClerk).status, 0);
    EXPECT_EQ(m.admin({"certificate", "verify", again}, kClerk).status, 0);

    // The closure (of one record left to destroy): the check comes first.
    raw_data(m, "Last intercept");
    r = m.admin({"--json", "closure", "prepare", "-o", m.out_path("closure-package")}, kClerk);
    ASSERT_EQ(r.status, 0) << r.err << r.out;
    const auto closure = std::to_string(r.json().at("closure").as_int64());
    ASSERT_EQ(m.admin({"closure", "approve", closure}, kClerk2).status, 0);
    r = m.admin({"closure", "complete", closure, "--receipt", "R-2", "-o",
                 m.out_path("no-such-dir/statement.txt")},
                kClerk);
    EXPECT_EQ(r.status, 2) << r.out << r.err;
    r = m.admin({"--json", "closure", "show", closure}, kClerk);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_TRUE(r.json().at("completed").is_null()) << r.out;
    {
        SmallDisk disk(dir, 16 * 1024, true, 01777);
        r = m.admin({"closure", "complete", closure, "--receipt", "R-2", "-o",
                     (dir / "statement.txt").string()},
                    kClerk);
        EXPECT_EQ(r.status, 1) << r.out << r.err;
        EXPECT_NE(r.err.find(fmt::format("closure {} is complete", closure)), std::string::npos)
            << r.err;
        EXPECT_NE(r.err.find(fmt::format("strongroom-admin closure show {} -o FILE", closure)),
                  std::string::npos)
            << r.err;
    }
    const auto statement = m.out_path("statement.txt");
    ASSERT_EQ(m.admin({"closure", "show", closure, "-o", statement}, kClerk).status, 0);
    EXPECT_TRUE(read_file(statement).starts_with("STRONGROOM CLOSURE STATEMENT\n"))
        << read_file(statement);
}

}  // namespace strongroom::test

namespace strongroom::test {

// Rewrites a key-store backup as an older strongroomd wrote it: without the
// register, MACed again under the dev key.
void strip_register(const fs::path& state, const fs::path& file) {
    const auto text = read_file(file);
    std::string body;
    for (std::size_t at = 0; at < text.size();) {
        const auto end = text.find('\n', at);
        const auto line = text.substr(at, end - at + 1);
        if (!line.starts_with("register") && !line.starts_with("mac: ")) {
            body += line;
        }
        at = end + 1;
    }
    const auto key = read_file(state / "dev.key");
    crypto::SecureBuffer master(crypto::KeyVault::kMasterKeyBytes);
    std::memcpy(master.data(), key.data(), master.size());
    const crypto::KeyVault vault(std::move(master));
    const auto mac = vault.key_backup_mac().mac(body);
    std::ofstream(file, std::ios::trunc | std::ios::binary)
        << body << "mac: " << to_hex(mac) << "\n";
}

TEST(RestoreRegister, AnOlderKeyStoreBackupIsReadAndRefusedClearlyWhenItCannotKeepTheRegister) {
    Mission m;
    add_people(m);
    raw_data(m, "First intercept");
    const auto first = m.out_path("first.backup");
    ASSERT_EQ(m.admin({"backup", "-o", first}, kOff1).status, 0);
    const auto later = raw_data(m, "Later intercept");
    destroy_due(m, kClerk, m.out_path("cert.txt"));
    const auto second = m.out_path("second.backup");
    ASSERT_EQ(m.admin({"backup", "-o", second}, kOff1).status, 0);
    { auto stopped = m.stop_and_open(); }
    for (const auto& e : fs::directory_iterator(m.state() / "key-backups")) {
        strip_register(m.state(), e.path());
    }
    for (const char* f : {"strongroom.db", "strongroom.db-wal", "strongroom.db-shm"}) {
        fs::remove(m.state() / f);
    }
    // The first backup lacks a record destroyed after it: the old file cannot
    // keep it in the register, so the restore is refused, saying what to do.
    auto r = restore(m, first);
    EXPECT_EQ(r.status, 1) << r.out << r.err;
    EXPECT_NE(r.err.find("written by an older strongroomd"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(fmt::format("records {} were destroyed", later)), std::string::npos)
        << r.err;
    EXPECT_FALSE(fs::exists(m.state() / "strongroom.db"));
    // The second has it: the old file still gives its keys and disposals.
    r = restore(m, second);
    ASSERT_EQ(r.status, 0) << r.out << r.err;
    m.start();
    EXPECT_EQ(m.tool({"show", std::to_string(later)}, kAnalyst).status, 4);
    r = m.admin({"--json", "certificate", "verify", m.out_path("cert.txt")}, kAuditor);
    EXPECT_EQ(r.status, 0) << r.out << r.err;
}

}  // namespace strongroom::test

namespace strongroom::test {
namespace {

std::int64_t jmac_record(Mission& m, const std::string& text) {
    return m.ingest(kAnalyst, text,
                    {"--title", "Harbour", "--level", "confidential", "--compartment", "JMAC"});
}

std::string pending_of(const RunResult& r) {
    EXPECT_EQ(r.status, 0) << r.out << r.err;
    return r.status == 0 ? std::to_string(r.json().at("pending_id").as_int64()) : "";
}

}  // namespace

TEST(RestoreAccess, AnOlderBackupGivesBackNoAccessWithdrawnSinceAndKeepsWhatWasGiven) {
    // An officer who restores an old backup must not get back the access withdrawn since the
    // backup was taken (a suspension, an ended assignment, a withdrawn grant, a lowered post
    // level, a change already decided), nor take away what was given since.
    Mission m;
    add_people(m);
    const auto jmac = jmac_record(m, "report on the harbour\n");
    const auto police =
        m.ingest(kPolice, "report on the checkpoint\n",
                 {"--title", "Checkpoint", "--level", "confidential", "--compartment", "POLICE"});
    ASSERT_EQ(m.tool({"disseminate", std::to_string(jmac), "--to", "chief-jmac", "--to",
                      "jmac-desk2", "--to", "jmac-analyst"},
                     kAnalyst)
                  .status,
              0);
    for (const auto& [who, id] :
         {std::pair{kChief, jmac}, std::pair{kDesk2, jmac}, std::pair{kPolice, police}}) {
        ASSERT_EQ(m.tool({"show", std::to_string(id)}, who).status, 0) << who;
    }
    const auto decided = pending_of(m.admin(
        {"--json", "post", "level", "jmac-analyst", "--level", "strictly-confidential"}, kOff1));
    const auto backup = m.out_path("old.backup");
    ASSERT_EQ(m.admin({"backup", "-o", backup}, kOff1).status, 0);

    // Withdrawn since the backup.
    ASSERT_EQ(m.admin({"account", "suspend", "chief"}, kOff1).status, 0);
    ASSERT_EQ(m.admin({"post", "unassign", "jmac-desk2", "desk2"}, kOff1).status, 0);
    ASSERT_EQ(m.admin({"revoke", "police-desk", "POLICE"}, kOff1).status, 0);
    // Proposed before the backup, approved since: it must not wait for approval again.
    ASSERT_EQ(m.admin({"pending", "approve", decided}, kOff2).status, 0);
    // Given since: an account and its post.
    constexpr uid_t kLate = 61030;
    ASSERT_EQ(m.admin({"account", "add", "late", "--uid", std::to_string(kLate)}, kOff1).status, 0);
    ASSERT_EQ(m.admin({"post", "assign", "jmac-analyst", "late"}, kOff2).status, 0);
    ASSERT_EQ(m.tool({"show", std::to_string(jmac)}, kLate).status, 0);

    { auto stopped = m.stop_and_open(); }
    auto r = restore(m, backup);
    ASSERT_EQ(r.status, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("access as it was before the restore"), std::string::npos) << r.out;
    m.start();

    r = m.tool({"show", std::to_string(jmac)}, kChief);
    EXPECT_EQ(r.status, 3) << "a suspended account reads again after the restore\n" << r.err;
    EXPECT_NE(r.err.find("suspended"), std::string::npos) << r.err;
    EXPECT_EQ(m.tool({"show", std::to_string(jmac)}, kDesk2).status, 4)
        << "an ended assignment is open again after the restore";
    EXPECT_EQ(m.tool({"show", std::to_string(police)}, kPolice).status, 4)
        << "a withdrawn grant is back after the restore";
    EXPECT_EQ(m.tool({"show", std::to_string(jmac)}, kLate).status, 0)
        << "access given since was taken away by the restore";
    EXPECT_EQ(m.tool({"show", std::to_string(jmac)}, kAnalyst).status, 0);
    r = m.admin({"--json", "pending", "list"}, kOff2);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_TRUE(r.json().at("pending").as_array().empty()) << "a decided change waits again\n"
                                                           << r.out;
    EXPECT_NE(m.admin({"pending", "approve", decided}, kOff2).status, 0)
        << "a change was approved twice";
    r = m.admin({"--json", "account", "list"}, kOff1);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.out.find("\"late\""), std::string::npos) << r.out;
    // The matrix as it was before the restore: jmac-analyst strictly confidential, no POLICE
    // grant for police-desk.
    r = m.admin({"--json", "post", "list"}, kOff1);
    ASSERT_EQ(r.status, 0) << r.err;
    const auto posts = r.json();
    for (const auto& p : posts.at("posts").as_array()) {
        if (p.at("name") == "jmac-analyst") {
            EXPECT_EQ(p.at("level"), "strictly-confidential") << p;
        }
    }
    r = m.admin({"--json", "audit", "verify"}, kAuditor);
    EXPECT_EQ(r.status, 0) << r.out << r.err;
}

TEST(RestoreAccess, ARecordBroughtBackByASecondRestoreTakesItsKeyFromTheKeyStoreBackups) {
    // Backup B1, record R, backup B2, restore B1 (R lost, in the register as lost), restore B2:
    // R is back with its content, readable and destroyable, its key from B2's key-store backup.
    Mission m;
    add_people(m);
    const auto early = m.out_path("b1.backup");
    ASSERT_EQ(m.admin({"backup", "-o", early}, kOff1).status, 0);
    const auto record = raw_data(m, "Second restore");
    const auto number = registry_number(m, record);
    const auto later = m.out_path("b2.backup");
    ASSERT_EQ(m.admin({"backup", "-o", later}, kOff1).status, 0);

    { auto stopped = m.stop_and_open(); }
    auto r = restore(m, early);
    ASSERT_EQ(r.status, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("content is lost"), std::string::npos) << r.out;
    // Lost, it stays in the register with its number, and says so.
    m.start();
    EXPECT_EQ(m.tool({"show", std::to_string(record)}, kAnalyst).status, 4);
    r = m.admin({"--json", "report", "registry", "--record", std::to_string(record)}, kAuditor);
    ASSERT_EQ(r.status, 0) << r.out << r.err;
    EXPECT_NE(r.out.find(number), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("\"event\":\"entered\",\"by\":\"analyst\""), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("\"event\":\"lost\""), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("b1.backup"), std::string::npos) << r.out;
    r = m.admin({"--json", "report", "registry"}, kAuditor);
    ASSERT_EQ(r.status, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("\"event\":\"lost\""), std::string::npos) << r.out;
    { auto stopped = m.stop_and_open(); }
    r = restore(m, later);
    ASSERT_EQ(r.status, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("1 of them from key-store backups"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("0 records without a key"), std::string::npos) << r.out;
    m.start();

    EXPECT_EQ(registry_number(m, record), number);
    r = m.admin({"--json", "report", "registry", "--record", std::to_string(record)}, kAuditor);
    ASSERT_EQ(r.status, 0) << r.out << r.err;
    EXPECT_EQ(r.out.find("\"event\":\"lost\""), std::string::npos) << "back, yet lost\n" << r.out;
    const auto out = m.out_path("back.txt");
    r = m.tool({"get", std::to_string(record), "-o", out, "--purpose", "check"}, kAnalyst);
    ASSERT_EQ(r.status, 0) << r.out << r.err;
    std::ifstream in(out);
    std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_NE(content.find("intercept Second restore"), std::string::npos) << content;
    ASSERT_EQ(m.tool({"copy", "return", std::to_string(record), "1"}, kAnalyst).status, 0);
    // It can be destroyed like any record due.
    const auto batch = destroy_due(m, kClerk, m.out_path("cert.txt"));
    EXPECT_EQ(batch_items(m, batch), std::vector<std::int64_t>{record});
    EXPECT_EQ(m.tool({"show", std::to_string(record)}, kAnalyst).status, 4);
}

}  // namespace strongroom::test

namespace strongroom::test {

TEST(RestoreRegister, ACopyMadeOfARecordLostAndBroughtBackStaysInTheRegisterWithItsNumber) {
    // Backup B1, record R, backup B2, copy 1 of R, restore B1 (R lost with its copy register),
    // restore B2 (R back): copy 1 is still outstanding with its holder, can be returned, and
    // the next copy is number 2, never 1 again.
    Mission m;
    add_people(m);
    const auto early = m.out_path("b1.backup");
    ASSERT_EQ(m.admin({"backup", "-o", early}, kOff1).status, 0);
    const auto record = raw_data(m, "Copied then lost");
    const auto id = std::to_string(record);
    const auto later = m.out_path("b2.backup");
    ASSERT_EQ(m.admin({"backup", "-o", later}, kOff1).status, 0);
    auto r =
        m.tool({"--json", "get", id, "-o", m.out_path("c1.txt"), "--purpose", "brief"}, kAnalyst);
    ASSERT_EQ(r.status, 0) << r.out << r.err;
    EXPECT_EQ(r.json().at("copy").as_int64(), 1);

    { auto stopped = m.stop_and_open(); }
    r = restore(m, early);
    ASSERT_EQ(r.status, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("content is lost"), std::string::npos) << r.out;
    m.start();
    EXPECT_EQ(m.tool({"copies", id}, kAnalyst).status, 4);
    { auto stopped = m.stop_and_open(); }
    r = restore(m, later);
    ASSERT_EQ(r.status, 0) << r.out << r.err;
    m.start();

    r = m.tool({"--json", "copies", id}, kAnalyst);
    ASSERT_EQ(r.status, 0) << r.out << r.err;
    const auto copies = r.json().at("copies").as_array();
    ASSERT_EQ(copies.size(), 1U) << r.out;
    EXPECT_EQ(copies[0].at("copy").as_int64(), 1) << r.out;
    EXPECT_EQ(copies[0].at("state").as_string(), "outstanding") << r.out;
    EXPECT_EQ(copies[0].at("holder").as_string(), "analyst") << r.out;
    r = m.tool({"--json", "get", id, "-o", m.out_path("c2.txt"), "--purpose", "brief"}, kAnalyst);
    ASSERT_EQ(r.status, 0) << r.out << r.err;
    EXPECT_EQ(r.json().at("copy").as_int64(), 2) << "a copy number handed out twice";
    EXPECT_EQ(m.tool({"copy", "return", id, "1"}, kAnalyst).status, 0);
    EXPECT_EQ(m.tool({"copy", "return", id, "2"}, kAnalyst).status, 0);
    r = m.admin({"--json", "audit", "verify"}, kAuditor);
    EXPECT_EQ(r.status, 0) << r.out << r.err;
}

TEST(RestoreRegister, ACopyReturnedBeforeItsRecordWasLostIsNotOutstandingWhenItComesBack) {
    // Record R, copy 1 of R, backup B2 (copy 1 outstanding there), copy 1 returned,
    // restore of an older B1 (R lost, its copy register kept), restore B2 (R back):
    // copy 1 stays returned; the backup's older state does not reopen it.
    Mission m;
    add_people(m);
    const auto early = m.out_path("b1.backup");
    ASSERT_EQ(m.admin({"backup", "-o", early}, kOff1).status, 0);
    const auto record = raw_data(m, "Copied, returned, lost");
    const auto id = std::to_string(record);
    EXPECT_EQ(get_copy(m, id, "c1.txt"), 1);
    const auto later = m.out_path("b2.backup");
    ASSERT_EQ(m.admin({"backup", "-o", later}, kOff1).status, 0);
    ASSERT_EQ(m.tool({"copy", "return", id, "1"}, kAnalyst).status, 0);

    ASSERT_EQ(restore_and_start(m, early).status, 0);
    const auto r = restore_and_start(m, later);
    ASSERT_EQ(r.status, 0) << r.out << r.err;

    const auto copies = copies_of(m, id);
    ASSERT_EQ(copies.size(), 1U);
    EXPECT_EQ(copies[0].at("state").as_string(), "returned");
    EXPECT_NE(m.tool({"copy", "return", id, "1"}, kAnalyst).status, 0)
        << "a returned copy was returned again";
}

}  // namespace strongroom::test
