// Tests of the hash-chained audit trail: chaining, continuation after a
// restart, and detection of changed, removed and reordered entries.

#include "daemon/audit/trail.hpp"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace strongroom::audit
