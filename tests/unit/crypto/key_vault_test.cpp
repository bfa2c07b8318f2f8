#include "daemon/crypto/key_vault.hpp"

#include <array>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "daemon/crypto/hkdf.hpp"
#include "tests/unit/crypto/test_util.hpp"

namespace strongroom::crypto {
namespace {

using test::bytes_of;
using test::has_cap_ipc_lock;
using test::TempDir;
using test::to_hex;

constexpr std::string_view kMarker = "STRONGROOM-PLAINTEXT-MARKER-7f3a";

SecureBuffer make_master(std::uint8_t seed) {
    SecureBuffer master(KeyVault::kMasterKeyBytes);
    for (std::size_t i = 0; i < master.size(); ++i) {
        master.data()[i] = static_cast<std::uint8_t>(seed + 31 * i);
    }
    return master;
}

// What the vault should derive for label, computed independently.
std::vector<std::uint8_t> expected_subkey(std::uint8_t seed, std::string_view label) {
    const SecureBuffer master = make_master(seed);
    std::vector<std::uint8_t> out(32);
    hkdf_sha256(master.span(), bytes_of(derivation::kSalt), label, out);
    return out;
}

// An open SQLite connection, closed on scope exit.
class Db {
public:
    explicit Db(const std::filesystem::path& path) {
        const int rc = sqlite3_open_v2(path.c_str(), &db_,
                                       SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
        if (rc != SQLITE_OK) {
            throw std::runtime_error("sqlite3_open_v2 failed");
        }
    }
    ~Db() { sqlite3_close_v2(db_); }
    Db(const Db&) = delete;
    Db& operator=(const Db&) = delete;

    sqlite3* get() const { return db_; }
    int exec(const char* sql) const { return sqlite3_exec(db_, sql, nullptr, nullptr, nullptr); }

    // The single text value sql returns, or "" on error.
    std::string text(const char* sql) const {
        sqlite3_stmt* stmt = nullptr;
        std::string out;
        if (sqlite3_prepare_v2(db_, sql, -1, &stmt, nullptr) == SQLITE_OK &&
            sqlite3_step(stmt) == SQLITE_ROW) {
            const auto* p = sqlite3_column_text(stmt, 0);
            out.assign(reinterpret_cast<const char*>(p),
                       static_cast<std::size_t>(sqlite3_column_bytes(stmt, 0)));
        }
        sqlite3_finalize(stmt);
        return out;
    }

private:
    sqlite3* db_ = nullptr;
};

// Keys a fresh connection with the vault's database key text, as the
// store does before its first statement.
bool apply_key(const KeyVault& vault, sqlite3* db) {
    const auto text = vault.database_key_text();
    return sqlite3_key(db, text.data(), static_cast<int>(text.size())) == SQLITE_OK;
}

// Creates a keyed database holding kMarker.
void create_database(const std::filesystem::path& path, const KeyVault& vault) {
    const Db db(path);
    ASSERT_TRUE(apply_key(vault, db.get()));
    ASSERT_EQ(db.exec("CREATE TABLE t(x TEXT)"), SQLITE_OK) << sqlite3_errmsg(db.get());
    const std::string insert = "INSERT INTO t VALUES ('" + std::string(kMarker) + "')";
    ASSERT_EQ(db.exec(insert.c_str()), SQLITE_OK) << sqlite3_errmsg(db.get());
}

// Verifies each sub-key is HKDF-SHA256(master, "strongroom/v1", its label), and that the four
// differ from each other and from the master.
TEST(KeyVault, DerivesDistinctSubKeysWithDocumentedLabels) {
    const KeyVault vault(make_master(1));
    const auto db_key = expected_subkey(1, derivation::kDatabaseKey);
    const auto audit_key = expected_subkey(1, derivation::kAuditMacKey);
    const auto seed = expected_subkey(1, derivation::kCertificateSeed);
    const auto check_key = expected_subkey(1, derivation::kKeyCheckKey);
    const auto backup_key = expected_subkey(1, derivation::kKeyBackupMac);

    // Audit MAC, key check, key-store backup MAC and signing key use the
    // expected sub-keys.
    EXPECT_EQ(vault.key_backup_mac().mac("keys"), HmacSha256(backup_key).mac("keys"));
    EXPECT_EQ(vault.audit_mac().mac("audit row"), HmacSha256(audit_key).mac("audit row"));
    EXPECT_EQ(vault.key_check(), HmacSha256(check_key).mac(derivation::kKeyCheckMessage));
    EXPECT_EQ(vault.signing_key().public_key(), Ed25519Key(seed).public_key());

    // The database key: a database keyed by the vault opens with the raw key.
    const TempDir dir;
    create_database(dir / "db", vault);
    const Db db(dir / "db");
    const std::string raw = "x'" + to_hex(db_key) + "'";
    ASSERT_EQ(sqlite3_key(db.get(), raw.data(), static_cast<int>(raw.size())), SQLITE_OK);
    EXPECT_EQ(db.text("SELECT x FROM t"), kMarker);

    // Pairwise distinct, and none equals the master.
    const SecureBuffer master = make_master(1);
    const std::vector<std::uint8_t> master_bytes(master.span().begin(), master.span().end());
    const std::vector<std::vector<std::uint8_t>> keys{master_bytes, db_key,    audit_key,
                                                      seed,         check_key, backup_key};
    for (std::size_t i = 0; i < keys.size(); ++i) {
        for (std::size_t j = i + 1; j < keys.size(); ++j) {
            EXPECT_NE(keys[i], keys[j]) << i << " vs " << j;
        }
    }
    // And the vault's own outputs differ between the audit and key-check keys.
    EXPECT_NE(vault.audit_mac().mac(derivation::kKeyCheckMessage), vault.key_check());
}

// Verifies key_check is the same for the same master key and differs for another.
TEST(KeyVault, KeyCheckIdentifiesTheMasterKey) {
    const KeyVault a(make_master(1));
    const KeyVault a_again(make_master(1));
    const KeyVault b(make_master(2));
    EXPECT_EQ(a.key_check(), a_again.key_check());
    EXPECT_NE(a.key_check(), b.key_check());
}

// Verifies the constructor wipes and unmaps the master key before returning, and refuses a master
// of the wrong size.
TEST(KeyVault, ConsumesAndWipesTheMaster) {
    static int releases = 0;
    static bool all_zero = true;
    releases = 0;
    all_zero = true;
    test_hooks::set_wipe_observer([](std::span<const std::uint8_t> pages) {
        ++releases;
        for (const auto b : pages) {
            all_zero = all_zero && b == 0;
        }
    });
    SecureBuffer master = make_master(3);
    {
        const KeyVault vault(std::move(master));
        EXPECT_EQ(releases, 1);  // the master's pages, nothing else yet
        EXPECT_TRUE(all_zero);
    }
    EXPECT_EQ(releases, 7);  // then the six sub-keys
    EXPECT_TRUE(all_zero);
    test_hooks::set_wipe_observer(nullptr);
    EXPECT_TRUE(master.empty());  // NOLINT: moved-from on purpose

    EXPECT_THROW(KeyVault{SecureBuffer(16)}, std::invalid_argument);
}

// Verifies locked() reports that the sub-keys are in locked pages when the process may lock memory.
TEST(KeyVault, ReportsLocked) {
    const KeyVault vault(make_master(1));
    const SecureBuffer probe(32);
    EXPECT_EQ(vault.locked(), probe.locked());
    if (has_cap_ipc_lock()) {
        EXPECT_TRUE(vault.locked());
    }
}

// Verifies a database keyed by the vault reopens with the same vault, and keeps no plaintext on
// disk.
TEST(KeyVault, DatabaseKeyOpensSqlcipherDatabase) {
    const TempDir dir;
    const KeyVault vault(make_master(1));
    create_database(dir / "db", vault);

    {
        const Db db(dir / "db");
        ASSERT_TRUE(apply_key(vault, db.get()));
        EXPECT_EQ(db.exec("SELECT count(*) FROM sqlite_master"), SQLITE_OK);
        EXPECT_EQ(db.text("SELECT x FROM t"), kMarker);
    }

    const std::string file = test::read_file(dir / "db");
    ASSERT_GT(file.size(), 0U);
    EXPECT_EQ(file.find(kMarker), std::string::npos) << "marker found in plaintext";
    EXPECT_NE(file.rfind("SQLite format 3", 0), 0U) << "unencrypted SQLite header";
}

// Verifies a vault from another master key, or no key at all, cannot read the database
// (SQLITE_NOTADB).
TEST(KeyVault, WrongMasterKeyGetsNotADatabase) {
    const TempDir dir;
    create_database(dir / "db", KeyVault(make_master(1)));

    {
        const Db db(dir / "db");
        ASSERT_TRUE(apply_key(KeyVault(make_master(2)), db.get()));
        EXPECT_EQ(db.exec("SELECT count(*) FROM sqlite_master"), SQLITE_NOTADB);
    }
    {
        const Db db(dir / "db");
        EXPECT_EQ(db.exec("SELECT count(*) FROM sqlite_master"), SQLITE_NOTADB);
    }
}

// A rekey retires the audit key: sealed under the successor, it gives back
// the same MAC there (and only with its own binding: the rest of its
// record); sealed again under a third key, it still does; the retiring vault
// cannot open it.
TEST(KeyVault, RetiredAuditKeyFollowsEachRekey) {
    const KeyVault first(make_master(1));
    const KeyVault second(make_master(2));
    const KeyVault third(make_master(3));
    const auto expected = first.audit_mac().mac("audit row");
    const std::vector<std::uint8_t> binding{0, 0, 0, 1, 'r', 'o', 'w'};
    const std::vector<std::uint8_t> altered_binding{0, 0, 0, 1, 'r', 'o', 'x'};

    const auto sealed = first.retire_audit_key(second, binding);
    ASSERT_EQ(sealed.size(), 60U);
    auto mac = second.retired_audit_mac(binding, sealed);
    ASSERT_TRUE(mac.ok()) << mac.error().message;
    EXPECT_EQ(mac->mac("audit row"), expected);
    EXPECT_FALSE(second.retired_audit_mac(altered_binding, sealed).ok()) << "bound to its record";
    EXPECT_FALSE(first.retired_audit_mac(binding, sealed).ok())
        << "sealed under the successor only";
    auto altered = sealed;
    altered[20] ^= 1;
    EXPECT_FALSE(second.retired_audit_mac(binding, altered).ok());

    const auto again = second.reseal_retired_audit_key(third, binding, sealed);
    ASSERT_TRUE(again.ok()) << again.error().message;
    auto later = third.retired_audit_mac(binding, *again);
    ASSERT_TRUE(later.ok());
    EXPECT_EQ(later->mac("audit row"), expected);
    EXPECT_FALSE(third.reseal_retired_audit_key(first, binding, sealed).ok())
        << "third cannot open what is sealed under second";
}

// Verifies the database key text is SQLCipher's raw-key form (x'<64 hex digits>', no passphrase
// KDF) in locked memory, and a moved-from vault refuses use.
TEST(KeyVault, MisuseIsReported) {
    KeyVault vault(make_master(1));
    const auto text = vault.database_key_text();
    const std::string shown(reinterpret_cast<const char*>(text.data()), text.size());
    EXPECT_EQ(shown, "x'" + to_hex(expected_subkey(1, derivation::kDatabaseKey)) + "'");
    EXPECT_TRUE(text.locked() || !has_cap_ipc_lock());

    const KeyVault moved(std::move(vault));
    EXPECT_TRUE(moved.locked() || !has_cap_ipc_lock());
    EXPECT_THROW((void)vault.key_check(), std::logic_error);  // NOLINT: use after move is the point
    EXPECT_THROW((void)vault.database_key_text(), std::logic_error);  // NOLINT: as above
    EXPECT_FALSE(vault.locked());
}

}  // namespace
}  // namespace strongroom::crypto
