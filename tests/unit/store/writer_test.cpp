// Tests of the group-commit writer: durability order, savepoints, audit on
// refusal, batching, and failing closed.

#include <atomic>
#include <future>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "daemon/common/faults.hpp"
#include "daemon/store/accounts.hpp"
#include "daemon/store/audit_log.hpp"
#include "daemon/store/disk.hpp"
#include "daemon/store/fault_vfs.hpp"
#include "daemon/store/sqlite.hpp"
#include "daemon/store/store.hpp"
#include "tests/support/temp_store.hpp"

namespace strongroom::store {
namespace {

using test::make_vault;
using test::ScratchDir;

// Stores audit records with consecutive sequence numbers and a zero MAC.
struct PlainAppender {
    std::int64_t seq = 0;
    std::atomic<bool> fail{false};
    void operator()(Transaction& txn, AuditRecord&& r) {
        if (fail) {
            throw StoreError(0, "injected audit failure");
        }
        AuditRow row;
        row.seq = ++seq;
        row.record = std::move(r);
        AuditRepository(txn.connection()).append(row);
    }
};

struct Env {
    ScratchDir dir;
    crypto::KeyVault vault = make_vault();
    std::unique_ptr<Store> store;
    PlainAppender appender;
    std::atomic<int> failures{0};

    Env() {
        store = std::make_unique<Store>(test::store_options(dir.path()), vault, true);
        Writer::AuditHooks hooks;
        hooks.append = [this](Transaction& t, AuditRecord&& r) { appender(t, std::move(r)); };
        store->start_writer(hooks, [this](const std::string&) { ++failures; });
    }
    std::int64_t count(const char* sql) {
        auto lease = store->readers().lease();
        return lease.connection().query_int(sql);
    }
};

AuditRecord record(std::string request) {
    AuditRecord r;
    r.at = 1;
    r.uid = 1000;
    r.request = std::move(request);
    return r;
}

Writer::Work add(const std::string& name, std::uint32_t uid) {
    return [name, uid](Transaction& txn, AuditRecord& audit) {
        NewAccount a;
        a.name = name;
        a.uid = uid;
        a.at = 1;
        AccountRepository(txn.connection()).insert(a);
        audit.decision = Decision::allow;
        audit.reason = "test";
        return true;
    };
}

TEST(Writer, DoneIsCalledAfterTheChangeIsCommitted) {
    // When done(ok) runs, a reader already sees both the change and its audit entry.
    Env env;
    std::promise<std::pair<std::int64_t, std::int64_t>> seen;
    env.store->writer().submit(record("account.add"), add("alice", 1), [&](const Status& st) {
        EXPECT_TRUE(st.ok());
        seen.set_value({env.count("SELECT count(*) FROM accounts"),
                        env.count("SELECT count(*) FROM audit_log")});
    });
    const auto [accounts, audit] = seen.get_future().get();
    EXPECT_EQ(accounts, 1);
    EXPECT_EQ(audit, 1);
}

TEST(Writer, RefusedWorkIsRolledBackButAudited) {
    // Work that returns false leaves no effect, yet its audit record is written.
    Env env;
    std::promise<void> done;
    env.store->writer().submit(
        record("account.add"),
        [](Transaction& txn, AuditRecord& audit) {
            NewAccount a;
            a.name = "mallory";
            a.uid = 66;
            a.at = 1;
            AccountRepository(txn.connection()).insert(a);
            audit.decision = Decision::deny;
            audit.reason = "refused after writing";
            return false;
        },
        [&](const Status& st) {
            EXPECT_TRUE(st.ok());
            done.set_value();
        });
    done.get_future().get();
    EXPECT_EQ(env.count("SELECT count(*) FROM accounts"), 0);
    EXPECT_EQ(env.count("SELECT count(*) FROM audit_log WHERE decision = 'deny'"), 1);
}

TEST(Writer, ThrowingWorkIsRolledBackAndAuditedAsError) {
    // An exception in work rolls back its effects and records decision "error" with the reason.
    Env env;
    std::promise<void> done;
    env.store->writer().submit(
        record("boom"),
        [](Transaction& txn, AuditRecord&) -> bool {
            NewAccount a;
            a.name = "x";
            a.uid = 5;
            a.at = 1;
            AccountRepository(txn.connection()).insert(a);
            throw std::runtime_error("disk on fire");
        },
        [&](const Status&) { done.set_value(); });
    done.get_future().get();
    EXPECT_EQ(env.count("SELECT count(*) FROM accounts"), 0);
    auto lease = env.store->readers().lease();
    auto s = lease.connection().cached("SELECT decision, reason FROM audit_log");
    ASSERT_TRUE(s->step());
    EXPECT_EQ(s->column_text(0), "error");
    EXPECT_NE(s->column_text(1).find("disk on fire"), std::string::npos);
}

TEST(Writer, ConcurrentRequestsShareCommits) {
    // Requests that arrive while a commit is under way are committed together (group commit).
    Env env;
    std::promise<void> release;
    auto gate = release.get_future().share();
    std::atomic<int> ok{0};
    // The first job holds the writer until every other request is queued
    // (120 items: the queue holds one batch, 128, while a commit is under way).
    env.store->writer().submit(
        record("hold"),
        [gate](Transaction&, AuditRecord& a) {
            gate.wait();
            a.decision = Decision::allow;
            return true;
        },
        [&](const Status& st) { ok += st.ok() ? 1 : 0; });
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 15; ++i) {
                const auto uid = static_cast<std::uint32_t>(t * 100 + i + 1);
                env.store->writer().submit(record("account.add"),
                                           add("u" + std::to_string(uid), uid),
                                           [&](const Status& st) { ok += st.ok() ? 1 : 0; });
                env.store->writer().submit_audit(record("whoami"));
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    release.set_value();
    env.store->writer().flush();
    EXPECT_EQ(ok.load(), 61);
    const auto stats = env.store->writer().stats();
    EXPECT_EQ(stats.items, 121U);
    EXPECT_LE(stats.commits, 3U) << "queued requests must share transactions";
    EXPECT_GE(stats.largest_batch, 60U);
    EXPECT_EQ(env.count("SELECT count(*) FROM accounts"), 60);
    EXPECT_EQ(env.count("SELECT count(*) FROM audit_log"), 121);
}

TEST(Writer, FailsClosedWhenTheAuditCannotBeWritten) {
    // If an audit record cannot be stored, the batch fails, the failure handler runs once, and
    // nothing more is accepted.
    Env env;
    env.appender.fail = true;
    std::promise<Status> first;
    env.store->writer().submit(record("account.add"), add("alice", 1),
                               [&](const Status& st) { first.set_value(st); });
    const auto st = first.get_future().get();
    EXPECT_FALSE(st.ok());
    EXPECT_TRUE(env.store->writer().failed());
    EXPECT_EQ(env.failures.load(), 1);
    EXPECT_EQ(env.count("SELECT count(*) FROM accounts"), 0) << "the change was not committed";

    env.appender.fail = false;
    std::promise<Status> second;
    env.store->writer().submit(record("account.add"), add("bob", 2),
                               [&](const Status& s2) { second.set_value(s2); });
    const auto st2 = second.get_future().get();
    EXPECT_FALSE(st2.ok());
    EXPECT_EQ(st2.error().code, ErrorCode::unavailable);
    EXPECT_EQ(env.failures.load(), 1);
}

TEST(Writer, SyncWaitsForWhatWasSubmittedBeforeItWhileOthersGoOnSubmitting) {
    // A read's audit entry is queued after its answer; sync() makes it
    // visible to the next reader, even while another thread keeps the queue busy.
    Env env;
    std::atomic<bool> stop{false};
    std::thread busy([&] {
        while (!stop) {
            env.store->writer().submit_audit(record("whoami"));
        }
    });
    for (int i = 1; i <= 20; ++i) {
        env.store->writer().submit_audit(record("marker"));
        env.store->writer().sync();
        EXPECT_EQ(env.count("SELECT count(*) FROM audit_log WHERE request = 'marker'"), i);
    }
    stop = true;
    busy.join();
}

TEST(Writer, StopCommitsWhatIsQueued) {
    // stop() commits every record already submitted before the thread ends.
    Env env;
    for (int i = 0; i < 100; ++i) {
        env.store->writer().submit_audit(record("whoami"));
    }
    env.store->writer().stop();
    EXPECT_EQ(env.count("SELECT count(*) FROM audit_log"), 100);
}

}  // namespace
}  // namespace strongroom::store

namespace strongroom::store {
namespace {

TEST(Writer, CountsEntriesAnsweredEarlyThatBecameDurableLate) {
    // A read's entry (answered before it is durable) queued behind a commit
    // that takes 30 ms is counted as durable later than 10 ms; a change's
    // entry (answered after) is not counted at all.
    Env env;
    std::promise<void> release;
    auto gate = release.get_future().share();
    env.store->writer().submit(
        record("hold"),
        [gate](Transaction&, AuditRecord& a) {
            gate.wait();
            a.decision = Decision::allow;
            return true;
        },
        [](const Status&) {});
    env.store->writer().submit_audit(record("whoami"));
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    release.set_value();
    env.store->writer().flush();
    const auto stats = env.store->writer().stats();
    EXPECT_EQ(stats.early, 1U);
    EXPECT_EQ(stats.early_late, 1U);
    EXPECT_GE(stats.early_max_us, 30000U);
}

TEST(Writer, AFullQueueHoldsSubmittersUntilThereIsRoom) {
    // With the queue full, submitting waits (back-pressure) instead of growing without bound or
    // refusing; everything submitted is committed once the writer moves on.
    test::ScratchDir dir;
    auto vault = test::make_vault();
    Store store(test::store_options(dir.path(), 1), vault, true);
    std::int64_t seq = 0;
    Writer::AuditHooks hooks;
    hooks.append = [&seq](Transaction& t, AuditRecord&& r) {
        AuditRow row;
        row.seq = ++seq;
        row.record = std::move(r);
        AuditRepository(t.connection()).append(row);
    };
    Writer writer(store.writer_connection(), hooks, nullptr, /*max_batch=*/4);  // 4 queued at most
    std::promise<void> release;
    auto gate = release.get_future().share();
    writer.submit(
        record("hold"),
        [gate](Transaction&, AuditRecord& a) {
            gate.wait();
            a.decision = Decision::allow;
            return true;
        },
        nullptr);
    std::atomic<int> submitted{0};
    std::thread producer([&] {
        for (int i = 0; i < 100; ++i) {
            writer.submit_audit(record("whoami"));
            ++submitted;
        }
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    // At most one batch (4, the held one among them) taken plus 4 queued.
    EXPECT_LE(submitted.load(), 4 + 4) << "the producer must wait while the queue is full";
    EXPECT_GE(submitted.load(), 4);
    EXPECT_LE(writer.pending(), 4U);
    release.set_value();
    producer.join();
    writer.flush();
    EXPECT_EQ(submitted.load(), 100);
    EXPECT_EQ(store.writer_connection().query_int("SELECT count(*) FROM audit_log"), 101);
    writer.stop();
}

}  // namespace
}  // namespace strongroom::store

namespace strongroom::store {
namespace {

TEST(Writer, ARefusalAfterWritingIsUndoneAloneWhileItsBatchKeepsTheRest) {
    // Three works in one batch: the middle one writes, then refuses. The
    // batch runs without savepoints, is rolled back and run again with them:
    // the first and last changes stay, the middle one leaves nothing, and all
    // three are audited once, with the record each work wrote in its last run.
    Env env;
    std::promise<void> gate_open;
    std::shared_future<void> gate = gate_open.get_future().share();
    std::promise<void> blocked;
    // Holds the writer so that the next three are taken as one batch.
    env.store->writer().submit(
        record("hold"),
        [&](Transaction&, AuditRecord& a) {
            a.decision = Decision::allow;
            blocked.set_value();
            gate.wait();
            return true;
        },
        [](const Status&) {});
    blocked.get_future().get();
    std::atomic<int> middle_runs{0};
    std::promise<void> all_done;
    std::atomic<int> done_count{0};
    auto done = [&](const Status& st) {
        EXPECT_TRUE(st.ok());
        if (++done_count == 3) {
            all_done.set_value();
        }
    };
    env.store->writer().submit(record("first"), add("first", 1), done);
    env.store->writer().submit(
        record("middle"),
        [&](Transaction& txn, AuditRecord& audit) {
            ++middle_runs;
            NewAccount a;
            a.name = "middle";
            a.uid = 2;
            a.at = 1;
            AccountRepository(txn.connection()).insert(a);
            EXPECT_TRUE(audit.reason.empty());  // restored before the second run
            audit.decision = Decision::deny;
            audit.reason = "refused after writing";
            return false;
        },
        done);
    env.store->writer().submit(record("last"), add("last", 3), done);
    gate_open.set_value();
    all_done.get_future().get();
    EXPECT_EQ(middle_runs.load(), 2);
    EXPECT_EQ(env.count("SELECT count(*) FROM accounts"), 2);
    EXPECT_EQ(env.count("SELECT count(*) FROM accounts WHERE name = 'middle'"), 0);
    EXPECT_EQ(env.count("SELECT count(*) FROM audit_log"), 4);
    EXPECT_EQ(env.count("SELECT count(*) FROM audit_log WHERE request = 'middle' AND "
                        "decision = 'deny' AND reason = 'refused after writing'"),
              1);
    EXPECT_EQ(env.store->writer().stats().replays, 1U);
}

TEST(Writer, ARefusalThatWroteNothingNeedsNoReplay) {
    Env env;
    std::promise<void> done;
    env.store->writer().submit(
        record("account.add"),
        [](Transaction&, AuditRecord& audit) {
            audit.decision = Decision::deny;
            audit.reason = "refused before writing";
            return false;
        },
        [&](const Status&) { done.set_value(); });
    done.get_future().get();
    EXPECT_EQ(env.store->writer().stats().replays, 0U);
    EXPECT_EQ(env.count("SELECT count(*) FROM audit_log WHERE decision = 'deny'"), 1);
}

// --- commits that fail (a full disk, an I/O error), with the fault VFS ------

// Like PlainAppender, but puts the sequence back and gives the records back
// when a batch is rolled back, as the audit trail does.
struct RollbackAppender {
    std::int64_t seq = 0;
    std::int64_t committed = 0;
    std::vector<AuditRecord> since;
};

struct FaultEnv {
    ScratchDir dir;
    crypto::KeyVault vault = make_vault();
    std::unique_ptr<DiskSpace> disk;
    std::unique_ptr<Store> store;
    RollbackAppender appender;
    std::atomic<int> failures{0};
    std::vector<Writer::TroubleReport> reports;  // writer thread, read after flush
    std::mutex mutex;

    FaultEnv() {
        faults::enable();
        EXPECT_TRUE(install_fault_vfs());
        DiskOptions d;
        d.dir = dir.path();
        d.reserve_bytes = 1 << 20;
        d.space_left_bytes = 0;
        d.admin_space_left_bytes = 0;
        disk = std::make_unique<DiskSpace>(d);
        store = std::make_unique<Store>(test::store_options(dir.path()), vault, true);
        Writer::AuditHooks hooks;
        hooks.append = [this](Transaction& txn, AuditRecord&& r) {
            AuditRow row;
            row.seq = ++appender.seq;
            row.record = r;
            appender.since.push_back(std::move(r));
            AuditRepository(txn.connection()).append(row);
        };
        hooks.committed = [this] {
            appender.committed = appender.seq;
            appender.since.clear();
        };
        hooks.rolled_back = [this] {
            appender.seq = appender.committed;
            return std::exchange(appender.since, {});
        };
        store->start_writer(
            hooks, [this](const std::string&) { ++failures; }, disk.get(),
            [this](const Writer::TroubleReport& r) {
                std::lock_guard lock(mutex);
                reports.push_back(r);
            });
    }
    ~FaultEnv() {
        faults::disarm();
        store->stop();
    }
    std::int64_t count(const char* sql) {
        auto lease = store->readers().lease();
        return lease.connection().query_int(sql);
    }
    Status change(const std::string& name, std::uint32_t uid) {
        std::promise<Status> p;
        store->writer().submit(record("account.add"), add(name, uid),
                               [&](const Status& st) { p.set_value(st); });
        return p.get_future().get();
    }
};

TEST(WriterFaults, AFailedCommitRefusesItsChangesAndWritesItsAuditEntriesAgain) {
    // A commit that fails with ENOSPC (then EIO) is rolled back: the change is answered with an
    // error naming the cause and not stored, the entry of a read answered before and the change's
    // (as an error) are committed with consecutive numbers, and the next change succeeds.
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
    GTEST_SKIP() << "needs the read's entry and the change in one commit, which ThreadSanitizer's "
                    "slowdown splits (the failing write then hits the read's commit alone)";
#endif
#endif
    FaultEnv env;
    int n = 0;
    for (const int error : {ENOSPC, EIO}) {
        faults::arm(faults::Spec{faults::bit(faults::Call::write), 1, error, false});
        env.store->writer().submit_audit(record("show"));  // answered before
        ++n;
        const auto st = env.change(fmt::format("a{}", n), static_cast<std::uint32_t>(100 + n));
        ASSERT_FALSE(st.ok());
        EXPECT_EQ(st.error().code, ErrorCode::unavailable);
        EXPECT_NE(st.error().message.find(error == ENOSPC ? "nearly full" : "disk I/O error"),
                  std::string::npos)
            << st.error().message;
        EXPECT_TRUE(env.change(fmt::format("b{}", n), static_cast<std::uint32_t>(200 + n)).ok());
        EXPECT_EQ(env.store->writer().blocked(), Writer::Trouble::none);
    }
    env.store->writer().flush();
    EXPECT_EQ(env.failures.load(), 0) << "it did not fail closed";
    EXPECT_EQ(env.count("SELECT count(*) FROM accounts"), 2);  // b1, b2
    EXPECT_EQ(env.count("SELECT count(*) FROM audit_log WHERE request = 'show'"), 2);
    EXPECT_EQ(env.count("SELECT count(*) FROM audit_log WHERE decision = 'error'"), 2);
    EXPECT_EQ(env.count("SELECT max(seq) - count(*) FROM audit_log"), 0) << "a gap in the chain";
    const auto stats = env.store->writer().stats();
    EXPECT_EQ(stats.failed_commits, 2U);
    EXPECT_EQ(stats.changes_failed, 2U);
    EXPECT_GE(stats.entries_retried, 4U);
    EXPECT_GE(env.disk->reading().full_events, 1U);
}

TEST(WriterFaults, AReadWaitingForItsEntryIsAnsweredFromTheReserveWhenTheDiskFills) {
    // The first commit to find the file system full releases the reserve: a change in it is
    // refused, but the read waiting for its entry is answered once that entry is written in the
    // reserve's room, not refused with it (the integration test DiskFull covers the read refused
    // once the reserve is spent too).
    FaultEnv env;
    ASSERT_TRUE(env.disk->reading().reserve_bytes > 0) << "no reserve to release";
    faults::arm(faults::Spec{faults::bit(faults::Call::write), 1, ENOSPC, false});
    std::promise<Status> read;
    std::promise<Status> change;
    env.store->writer().submit_audit(record("show"), [&](const Status& st) { read.set_value(st); });
    env.store->writer().submit(record("account.add"), add("late", 400),
                               [&](const Status& st) { change.set_value(st); });
    const auto answered = read.get_future().get();
    const auto changed = change.get_future().get();
    EXPECT_TRUE(answered.ok()) << answered.error().message;
    if (!changed.ok()) {
        // In the read's commit: refused, with the message of a full disk, and not stored.
        EXPECT_NE(changed.error().message.find("nearly full"), std::string::npos)
            << changed.error().message;
        EXPECT_EQ(env.count("SELECT count(*) FROM accounts"), 0);
    }
    env.store->writer().flush();
    EXPECT_EQ(env.count("SELECT count(*) FROM audit_log WHERE request = 'show' AND decision <> "
                        "'error'"),
              1);
    EXPECT_GE(env.disk->reading().full_events, 1U);
    EXPECT_EQ(env.store->writer().blocked(), Writer::Trouble::none);
    EXPECT_EQ(env.failures.load(), 0) << "it did not fail closed";
    EXPECT_EQ(env.count("SELECT max(seq) - count(*) FROM audit_log"), 0) << "a gap in the chain";
}

TEST(WriterFaults, WhileNothingCanBeWrittenItHoldsTheEntriesAndResumesByItself) {
    // Every write failing: the writer is blocked (flush does not wait for it), holds the entries
    // of reads answered, refuses changes at once, and once writes succeed it stores the held
    // entries in order and takes changes again, without failing closed.
    FaultEnv env;
    faults::arm(faults::Spec{faults::kAllCalls, 1, EIO, true});
    for (int i = 0; i < 3; ++i) {
        env.store->writer().submit_audit(record(fmt::format("read{}", i)));
    }
    env.store->writer().flush();
    EXPECT_EQ(env.store->writer().blocked(), Writer::Trouble::io_error);
    EXPECT_NE(env.store->writer().unavailable_message().find("cannot write its audit trail"),
              std::string::npos);
    EXPECT_FALSE(env.change("held", 300).ok());
    EXPECT_EQ(env.count("SELECT count(*) FROM audit_log"), 0);
    faults::disarm();
    for (int i = 0; i < 100 && env.store->writer().blocked() != Writer::Trouble::none; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_EQ(env.store->writer().blocked(), Writer::Trouble::none);
    EXPECT_TRUE(env.change("after", 301).ok());
    EXPECT_EQ(env.failures.load(), 0);
    EXPECT_EQ(env.count("SELECT count(*) FROM audit_log WHERE request LIKE 'read%'"), 3);
    EXPECT_EQ(env.count("SELECT min(seq) FROM audit_log WHERE request = 'read0'"), 1);
    EXPECT_EQ(env.count("SELECT count(*) FROM accounts"), 1);
    std::lock_guard lock(env.mutex);
    ASSERT_FALSE(env.reports.empty());
    EXPECT_EQ(env.reports.front().event, Writer::TroubleReport::Event::blocked);
    EXPECT_EQ(env.reports.back().event, Writer::TroubleReport::Event::resumed);
}

}  // namespace
}  // namespace strongroom::store
