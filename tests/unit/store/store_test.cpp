// Tests of opening the encrypted store, migrations and the account repository.

#include "daemon/store/store.hpp"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "daemon/store/accounts.hpp"
#include "daemon/store/audit_log.hpp"
#include "daemon/store/maintenance.hpp"
#include "daemon/store/matrix.hpp"
#include "daemon/store/migrations.hpp"
#include "daemon/store/records.hpp"
#include "daemon/store/register.hpp"
#include "daemon/store/sqlite.hpp"
#include "tests/support/temp_store.hpp"

namespace strongroom::store {
namespace {

using test::make_vault;
using test::ScratchDir;

std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

StoreOptions options(const ScratchDir& dir) {
    return test::store_options(dir.path());
}

// Runs a write on the writer connection outside the writer thread.
void add_account(Connection& conn, const std::string& name, std::uint32_t uid,
                 std::uint32_t roles = 0) {
    NewAccount a;
    a.name = name;
    a.uid = uid;
    a.roles = roles;
    a.at = 1000;
    AccountRepository(conn).insert(a);
}

TEST(StoreOpen, CreatesTheSchemaAndAKeyCheck) {
    // A new store is created at the latest schema version with its key check beside it.
    ScratchDir dir;
    auto vault = make_vault();
    Store s(options(dir), vault, true);
    EXPECT_TRUE(s.created());
    EXPECT_EQ(s.migration().from, 0);
    EXPECT_EQ(s.migration().to, latest_schema_version());
    EXPECT_EQ(s.writer_connection().query_int("PRAGMA user_version"), latest_schema_version());
    EXPECT_TRUE(std::filesystem::exists(dir.path() / "strongroom.keycheck"));
    // WAL mode is persistent and every connection is FULL-synchronous.
    auto mode = s.writer_connection().cached("PRAGMA journal_mode");
    ASSERT_TRUE(mode->step());
    EXPECT_EQ(mode->column_text(0), "wal");
    EXPECT_EQ(s.writer_connection().query_int("PRAGMA synchronous"), 2);
    EXPECT_EQ(s.writer_connection().query_int("PRAGMA secure_delete"), 1);
}

TEST(StoreOpen, ReopensWithTheSameKeyAndKeepsData) {
    // Data written before closing is read back after reopening with the same key.
    ScratchDir dir;
    auto vault = make_vault();
    {
        Store s(options(dir), vault, true);
        add_account(s.writer_connection(), "alice", 1001);
    }
    Store s(options(dir), vault, true);
    EXPECT_FALSE(s.created());
    EXPECT_EQ(s.migration().from, s.migration().to);
    auto lease = s.readers().lease();
    auto row = AccountRepository(lease.connection()).find_by_name("alice");
    ASSERT_TRUE(row);
    EXPECT_EQ(row->uid, 1001U);
}

TEST(StoreOpen, WrongKeyIsNamedAndTheFileUntouched) {
    // Another master key is refused as the wrong key (not as damage), without changing the file.
    ScratchDir dir;
    {
        auto vault = make_vault(1);
        Store s(options(dir), vault, true);
        add_account(s.writer_connection(), "alice", 1001);
    }
    const auto before = slurp(dir.path() / "strongroom.db");
    auto other = make_vault(2);
    try {
        Store s(options(dir), other, true);
        FAIL() << "opened with the wrong key";
    } catch (const OpenError& e) {
        EXPECT_NE(std::string(e.what()).find("master key is not the one"), std::string::npos)
            << e.what();
    }
    EXPECT_EQ(slurp(dir.path() / "strongroom.db"), before);
}

TEST(StoreOpen, DamagedFirstPageIsNamedAsDamage) {
    // With the right key but a damaged first page, the message says the file is damaged.
    ScratchDir dir;
    auto vault = make_vault();
    { Store s(options(dir), vault, true); }
    {
        std::fstream io(dir.path() / "strongroom.db",
                        std::ios::binary | std::ios::in | std::ios::out);
        io.seekp(700);
        io.write("garbage!", 8);
    }
    try {
        Store s(options(dir), vault, true);
        FAIL() << "opened a damaged file";
    } catch (const OpenError& e) {
        EXPECT_NE(std::string(e.what()).find("is damaged"), std::string::npos) << e.what();
    }
}

TEST(StoreOpen, WithoutKeyCheckAWrongKeyIsStillRefused) {
    // If the key check file is gone, a wrong key is refused with a message naming both causes.
    ScratchDir dir;
    {
        auto vault = make_vault(1);
        Store s(options(dir), vault, true);
    }
    std::filesystem::remove(dir.path() / "strongroom.keycheck");
    auto other = make_vault(2);
    try {
        Store s(options(dir), other, true);
        FAIL() << "opened with the wrong key";
    } catch (const OpenError& e) {
        EXPECT_NE(std::string(e.what()).find("wrong or the file is damaged"), std::string::npos)
            << e.what();
    }
    // The right key rewrites the lost key check.
    auto vault = make_vault(1);
    Store s(options(dir), vault, true);
    EXPECT_TRUE(std::filesystem::exists(dir.path() / "strongroom.keycheck"));
}

TEST(StoreOpen, TruncatedFileIsRefused) {
    // A database shorter than one page is refused as damaged.
    ScratchDir dir;
    auto vault = make_vault();
    { Store s(options(dir), vault, true); }
    std::filesystem::resize_file(dir.path() / "strongroom.db", 100);
    EXPECT_THROW(Store(options(dir), vault, true), OpenError);
}

TEST(StoreOpen, NewerSchemaIsRefused) {
    // A database written by a newer strongroomd is refused rather than guessed at.
    ScratchDir dir;
    auto vault = make_vault();
    {
        Store s(options(dir), vault, true);
        s.writer_connection().exec("PRAGMA user_version = 999;");
    }
    try {
        Store s(options(dir), vault, true);
        FAIL() << "opened a newer schema";
    } catch (const OpenError& e) {
        EXPECT_NE(std::string(e.what()).find("newer than this strongroomd"), std::string::npos)
            << e.what();
    }
}

TEST(StoreOpen, ReadersAreReadOnly) {
    // A reader connection refuses writes.
    ScratchDir dir;
    auto vault = make_vault();
    Store s(options(dir), vault, true);
    auto lease = s.readers().lease();
    EXPECT_THROW(add_account(lease.connection(), "x", 1), StoreError);
}

// A rekey's export: the copy under the new vault's key has the original's
// schema version and counts, opens with that vault only, and holds no
// plaintext of what it copied.
TEST(Maintenance, ExportUnderANewKeyOpensWithThatKeyOnly) {
    ScratchDir dir;
    auto old_vault = make_vault(1);
    auto new_vault = make_vault(2);
    {
        Store s(options(dir), old_vault, true);
        add_account(s.writer_connection(), "marker-account-xyzzy", 1001);
    }
    const auto db = dir.path() / "strongroom.db";
    const auto fresh = dir.path() / "exported.db";
    Exported exported;
    {
        auto conn = open_connection(db, OpenMode::read_write, old_vault);
        exported = export_under_key(*conn, fresh, new_vault);
        EXPECT_THROW(export_under_key(*conn, fresh, new_vault), StoreError)
            << "an existing file is not overwritten";
    }
    EXPECT_EQ(exported.version, latest_schema_version());
    {
        auto conn = open_connection(fresh, OpenMode::read_write, new_vault);
        EXPECT_NO_THROW(check_export(*conn, exported));
        EXPECT_TRUE(AccountRepository(*conn).find_by_name("marker-account-xyzzy"));
        Exported more = exported;
        ++more.counts.audit;
        EXPECT_THROW(check_export(*conn, more), StoreError);
    }
    try {
        (void)open_connection(fresh, OpenMode::read_write, old_vault);
        ADD_FAILURE() << "the old key opened the export";
    } catch (const StoreError& e) {
        EXPECT_EQ(e.code(), kNotADatabase);
    }
    EXPECT_EQ(slurp(fresh).find("marker-account-xyzzy"), std::string::npos);
}

TEST(Accounts, FindListPageAndSuspend) {
    // The repository finds by uid and name, pages in name order and counts active officers.
    ScratchDir dir;
    auto vault = make_vault();
    Store s(options(dir), vault, true);
    auto& conn = s.writer_connection();
    add_account(conn, "carol", 3, 1);
    add_account(conn, "alice", 1, 1);
    add_account(conn, "bob", 2, 2);
    AccountRepository repo(conn);
    EXPECT_EQ(repo.count(), 3);
    EXPECT_EQ(repo.find_by_uid(2)->name, "bob");
    EXPECT_FALSE(repo.find_by_uid(4));
    EXPECT_FALSE(repo.find_by_name("dave"));

    auto page = repo.list("", 2);
    ASSERT_EQ(page.size(), 2U);
    EXPECT_EQ(page[0].name, "alice");
    EXPECT_EQ(page[1].name, "bob");
    page = repo.list("bob", 2);
    ASSERT_EQ(page.size(), 1U);
    EXPECT_EQ(page[0].name, "carol");

    EXPECT_EQ(repo.count_active_with_roles(1), 2);
    repo.set_suspended(repo.find_by_name("alice")->id, true, 2000);
    EXPECT_EQ(repo.count_active_with_roles(1), 1);
    const auto alice = repo.find_by_name("alice");
    EXPECT_TRUE(alice->suspended);
    EXPECT_EQ(alice->changed_at, 2000);
    EXPECT_EQ(alice->created_at, 1000);
}

TEST(Accounts, UniqueNameAndUidAreEnforcedByTheSchema) {
    // The schema itself refuses a second account with the same name or uid.
    ScratchDir dir;
    auto vault = make_vault();
    Store s(options(dir), vault, true);
    add_account(s.writer_connection(), "alice", 1);
    EXPECT_THROW(add_account(s.writer_connection(), "alice", 2), StoreError);
    EXPECT_THROW(add_account(s.writer_connection(), "other", 1), StoreError);
}

std::vector<AuditRow> audit_rows(std::int64_t first, std::size_t n) {
    std::vector<AuditRow> rows(n);
    for (std::size_t i = 0; i < n; ++i) {
        auto& row = rows[i];
        row.seq = first + static_cast<std::int64_t>(i);
        row.record.at = 1000 + row.seq;
        row.record.account_id = row.seq % 3 == 0 ? std::nullopt : std::optional(row.seq);
        row.record.account = "alice";
        row.record.uid = 1000;
        row.record.pid = 42;
        row.record.request = "show";
        row.record.object = "record:" + std::to_string(row.seq);
        row.record.decision = Decision::allow;
        row.record.reason = "reason " + std::to_string(row.seq);
        row.mac.fill(static_cast<std::uint8_t>(row.seq));
    }
    return rows;
}

TEST(AuditLog, BatchesOfEverySizeAreStoredInOrderAndWhole) {
    // Rows go in 64-row statements and then 32, 16, ..., 1 for the tail.
    ScratchDir dir;
    auto vault = make_vault();
    Store s(options(dir), vault, true);
    AuditRepository repo(s.writer_connection());
    std::int64_t next = 1;
    for (const std::size_t n : {1U, 2U, 63U, 64U, 65U, 127U, 128U, 200U}) {
        const auto rows = audit_rows(next, n);
        s.writer_connection().exec("BEGIN IMMEDIATE;");
        repo.append_many(rows);
        s.writer_connection().exec("COMMIT;");
        next += static_cast<std::int64_t>(n);
    }
    const auto expected = audit_rows(1, static_cast<std::size_t>(next - 1));
    std::size_t i = 0;
    repo.scan(1, [&](const AuditRow& row) {
        EXPECT_LT(i, expected.size());
        if (i < expected.size()) {
            const auto& e = expected[i];
            EXPECT_EQ(row.seq, e.seq);
            EXPECT_EQ(row.record.at, e.record.at);
            EXPECT_EQ(row.record.account_id, e.record.account_id);
            EXPECT_EQ(row.record.object, e.record.object);
            EXPECT_EQ(row.record.reason, e.record.reason);
            EXPECT_EQ(row.mac, e.mac);
        }
        ++i;
        return true;
    });
    EXPECT_EQ(i, expected.size());
}

TEST(AuditLog, AConflictingRowUndoesTheWholeTransaction) {
    // A duplicate sequence number fails the append and leaves nothing of the
    // transaction behind (the writer then fails closed).
    ScratchDir dir;
    auto vault = make_vault();
    Store s(options(dir), vault, true);
    AuditRepository repo(s.writer_connection());
    repo.append_many(audit_rows(1, 10));
    s.writer_connection().exec("BEGIN IMMEDIATE;");
    add_account(s.writer_connection(), "alice", 1);
    repo.append_many(audit_rows(11, 70));
    EXPECT_THROW(repo.append_many(audit_rows(75, 64)), StoreError);
    EXPECT_THROW(s.writer_connection().exec("ROLLBACK;"), StoreError);  // none is left open
    EXPECT_EQ(repo.count(), 10);
    EXPECT_EQ(s.writer_connection().query_int("SELECT count(*) FROM accounts"), 0);
}

}  // namespace
}  // namespace strongroom::store

namespace strongroom::store {
namespace {

// Builds a store at schema 5 (before separation of duties was enforced):
// an officer holding a post, an auditor holding an ended one, a record with
// a dissemination.
void make_schema_5_store(const std::filesystem::path& dir, const crypto::KeyVault& vault) {
    Connection conn(dir / "strongroom.db", OpenMode::create, vault, ConnectionOptions{});
    conn.exec("PRAGMA journal_mode = WAL;");
    for (const auto& m : migrations()) {
        if (m.version > 5) {
            break;
        }
        conn.exec(m.sql);
    }
    conn.exec("PRAGMA user_version = 5;");
    conn.exec(
        "INSERT INTO accounts (id, name, uid, roles, created_at, changed_at) VALUES "
        "(1, 'off1', 1001, 1, 10, 10), (2, 'aud', 1002, 4, 20, 20), (3, 'chief', 1003, 0, 30, 30);"
        "INSERT INTO posts (id, name, level, created_at) VALUES (1, 'chief-jmac', 1, 40);"
        "INSERT INTO assignments (post_id, account_id, since, ends) VALUES "
        "(1, 1, 50, NULL), (1, 2, 50, 60), (1, 3, 50, NULL);"
        "INSERT INTO records (id, title, level, type, dated, originator, size, chunks, sha256, "
        "is_text, created_at) VALUES (1, 't', 1, 'intelligence-product', 0, 3, 0, 0, x'00', 1, 70);"
        "INSERT INTO disseminations (id, record_id, recipient, authority, at) VALUES "
        "(7, 1, 1, 'originator', 80);");
}

TEST(Migration6, ReportsOfficersHoldingPostsAndForbidsNewOnes) {
    // Migrating a schema-5 store keeps an officer's assignment (reported, not guessed), dates the
    // existing roles, keeps disseminations with their ids, and from then on the database refuses
    // posts for officers and auditors and 'release-review' is a dissemination authority.
    ScratchDir dir;
    auto vault = make_vault();
    make_schema_5_store(dir.path(), vault);
    Store s(options(dir), vault, false);
    EXPECT_EQ(s.migration().from, 5);
    EXPECT_EQ(s.migration().to, latest_schema_version());
    auto& conn = s.writer_connection();
    MatrixRepository matrix(conn);
    const auto conflicts = matrix.oversight_conflicts(100);
    ASSERT_EQ(conflicts.size(), 1U) << "the auditor's ended assignment is no conflict";
    EXPECT_EQ(conflicts[0].account, "off1");
    EXPECT_EQ(conflicts[0].post, "chief-jmac");
    AccountRepository accounts(conn);
    EXPECT_EQ(accounts.find(1)->roles_at, std::optional<Micros>(10));
    EXPECT_EQ(accounts.find(3)->roles_at, std::nullopt);
    EXPECT_THROW(matrix.insert_assignment(1, 2, 100, std::nullopt, 1), StoreError);
    EXPECT_NO_THROW(matrix.insert_assignment(1, 3, 100, std::nullopt, 1)) << "content users may";
    // Ending the officer's assignment is allowed; reopening it is not.
    matrix.end_assignment(conflicts[0].assignment_id, 100, 1);
    EXPECT_TRUE(matrix.oversight_conflicts(101).empty());
    EXPECT_THROW(conn.exec("UPDATE assignments SET ends = NULL WHERE account_id = 1;"), StoreError);
    RecordRepository records(conn);
    const auto ds = records.disseminations(1);
    ASSERT_EQ(ds.size(), 1U);
    EXPECT_EQ(ds[0].id, 7);
    DisseminationRow review;
    review.record_id = 1;
    review.recipient = Recipient::post(1);
    review.authority = Conveyance::release_review;
    review.at = 90;
    EXPECT_TRUE(records.disseminate(review));
}

}  // namespace
}  // namespace strongroom::store
