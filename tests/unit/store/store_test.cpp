// Tests of opening the encrypted store, migrations and the account repository.

#include "daemon/store/store.hpp"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "daemon/store/accounts.hpp"
#include "daemon/store/migrations.hpp"
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

}  // namespace
}  // namespace strongroom::store
