// Tests of the hash-chained audit trail: chaining, continuation after a
// restart, and detection of changed, removed and reordered entries.

#include "daemon/audit/trail.hpp"

#include <gtest/gtest.h>

#include "daemon/store/sqlite.hpp"
#include "daemon/store/store.hpp"
#include "tests/support/temp_store.hpp"

namespace strongroom::audit {
namespace {

using test::make_vault;
using test::ScratchDir;

struct Env {
    ScratchDir dir;
    crypto::KeyVault vault = make_vault();
    std::unique_ptr<store::Store> store;

    Env() { open(); }
    void open() {
        store.reset();
        store = std::make_unique<store::Store>(test::store_options(dir.path(), 1), vault, true);
    }
    // Appends n entries through a Trail that continues from the stored head.
    void append(int n, const std::string& request = "whoami") {
        auto& conn = store->writer_connection();
        Trail trail(vault.audit_mac(), store::AuditRepository(conn).head());
        store::Transaction txn(conn);
        conn.exec("BEGIN");
        for (int i = 0; i < n; ++i) {
            store::AuditRecord r;
            r.at = 1000 + i;
            r.uid = 1001;
            r.pid = 42;
            r.account = "alice";
            r.account_id = 7;
            r.request = request;
            r.object = "account:alice";
            r.decision = store::Decision::allow;
            r.reason = "active account alice";
            trail.append(txn, std::move(r));
        }
        trail.flush(txn);
        conn.exec("COMMIT");
    }
    VerifyResult verify() {
        auto mac = vault.audit_mac();
        return audit::verify(store->writer_connection(), mac);
    }
    void sql(const char* s) { store->writer_connection().exec(s); }
};

TEST(Trail, AnUntouchedChainVerifies) {
    // Entries appended in two sessions (a restart in between) form one intact chain.
    Env env;
    env.append(5);
    env.open();
    env.append(5, "account.list");
    const auto r = env.verify();
    EXPECT_TRUE(r.intact) << r.problem;
    EXPECT_EQ(r.entries, 10);
    EXPECT_FALSE(r.first_bad);
}

TEST(Trail, AChangedFieldIsFoundAtItsSequenceNumber) {
    // Changing any stored field of entry 4 breaks the chain exactly there.
    for (const char* change :
         {"UPDATE audit_log SET decision = 'deny' WHERE seq = 4",
          "UPDATE audit_log SET reason = 'nothing to see' WHERE seq = 4",
          "UPDATE audit_log SET uid = 0 WHERE seq = 4", "UPDATE audit_log SET at = 5 WHERE seq = 4",
          "UPDATE audit_log SET object = '' WHERE seq = 4",
          "UPDATE audit_log SET account_id = NULL WHERE seq = 4"}) {
        Env env;
        env.append(8);
        env.sql(change);
        const auto r = env.verify();
        EXPECT_FALSE(r.intact) << change;
        ASSERT_TRUE(r.first_bad) << change;
        EXPECT_EQ(*r.first_bad, 4) << change;
    }
}

TEST(Trail, ARemovedEntryIsFound) {
    // Deleting entry 3 is reported at sequence number 3.
    Env env;
    env.append(6);
    env.sql("DELETE FROM audit_log WHERE seq = 3");
    const auto r = env.verify();
    EXPECT_FALSE(r.intact);
    EXPECT_EQ(r.first_bad.value_or(-1), 3);
}

TEST(Trail, RemovingAndRenumberingIsFound) {
    // Deleting entry 3 and renumbering the rest to close the gap is still found at 3.
    Env env;
    env.append(6);
    env.sql("DELETE FROM audit_log WHERE seq = 3");
    env.sql("UPDATE audit_log SET seq = seq - 1 WHERE seq > 3");
    const auto r = env.verify();
    EXPECT_FALSE(r.intact);
    EXPECT_EQ(r.first_bad.value_or(-1), 3);
}

TEST(Trail, ReorderedEntriesAreFound) {
    // Swapping the contents of entries 2 and 5 (MACs included) is found at 2.
    Env env;
    env.append(3);
    env.append(1, "account.add");
    env.append(3);
    env.sql("UPDATE audit_log SET seq = -1 WHERE seq = 2");
    env.sql("UPDATE audit_log SET seq = 2 WHERE seq = 4");
    env.sql("UPDATE audit_log SET seq = 4 WHERE seq = -1");
    const auto r = env.verify();
    EXPECT_FALSE(r.intact);
    EXPECT_EQ(r.first_bad.value_or(-1), 2);
}

TEST(Trail, AnotherKeyCannotForgeTheChain) {
    // A chain verified with another audit key fails at the first entry.
    Env env;
    env.append(3);
    auto other = make_vault(0x99).audit_mac();
    const auto r = verify(env.store->writer_connection(), other);
    EXPECT_FALSE(r.intact);
    EXPECT_EQ(r.first_bad.value_or(-1), 1);
}

// After a rekey the chain goes on under the new audit key from the last
// entry under the retired one. It verifies with the retired key for its
// range; an entry altered on either side of the switch is named; the wrong
// range for the retired key fails where it goes wrong.
TEST(Trail, ChainVerifiesAcrossARekey) {
    Env env;
    env.append(5);
    const auto next = test::make_vault(0x43);
    {
        auto& conn = env.store->writer_connection();
        Trail trail(next.audit_mac(), store::AuditRepository(conn).head());
        store::Transaction txn(conn);
        conn.exec("BEGIN");
        for (int i = 0; i < 4; ++i) {
            store::AuditRecord r;
            r.at = 2000 + i;
            r.request = "whoami";
            r.decision = store::Decision::allow;
            trail.append(txn, std::move(r));
        }
        trail.flush(txn);
        conn.exec("COMMIT");
    }
    auto check = [&](std::int64_t first, std::int64_t last, unsigned workers) {
        std::vector<crypto::HmacSha256> macs;
        macs.reserve(2 * workers);
        std::vector<std::vector<RetiredMac>> retired(workers);
        std::vector<std::unique_ptr<store::Connection>> conns;
        std::vector<VerifyWorker> w;
        for (unsigned i = 0; i < workers; ++i) {
            conns.push_back(std::make_unique<store::Connection>(
                env.dir.path() / "strongroom.db", store::OpenMode::read_write, env.vault,
                store::ConnectionOptions{}));
            macs.push_back(env.vault.audit_mac());
            retired[i].push_back({first, last, &macs.back()});
            macs.push_back(next.audit_mac());
            w.push_back({conns.back().get(), &macs.back(), retired[i]});
        }
        return audit::verify(w);
    };
    for (const unsigned workers : {1U, 3U}) {
        const auto ok = check(1, 5, workers);
        EXPECT_TRUE(ok.intact) << ok.problem;
        EXPECT_EQ(ok.entries, 9);
        EXPECT_EQ(check(1, 4, workers).first_bad, 5);
        EXPECT_EQ(check(1, 6, workers).first_bad, 6);
    }
    // Without the retired key, the first entry already fails.
    auto only_new = next.audit_mac();
    EXPECT_EQ(audit::verify(env.store->writer_connection(), only_new).first_bad, 1);

    env.sql("UPDATE audit_log SET reason = 'x' WHERE seq = 3");
    EXPECT_EQ(check(1, 5, 1).first_bad, 3);
    env.sql("UPDATE audit_log SET reason = 'active account alice' WHERE seq = 3");
    EXPECT_TRUE(check(1, 5, 1).intact);
    env.sql("UPDATE audit_log SET at = 1 WHERE seq = 7");
    EXPECT_EQ(check(1, 5, 3).first_bad, 7);
}

}  // namespace
}  // namespace strongroom::audit
