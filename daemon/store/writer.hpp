// The single writer connection, with group commit.
//
// Every change of state, and every audit entry, goes through one thread that
// owns the only read-write connection. Requests that arrive while a commit is
// in progress are gathered and committed together in the next transaction,
// so that concurrent requests share one fsync (synchronous=FULL in WAL mode).
//
// Within a batch, work that refuses (returns false) or throws has its
// effects rolled back, while its audit record is still written. A batch first
// runs without savepoints (each costs SQLCipher an encrypted copy of every
// page a work touches); if a work refuses or throws after changing rows, the
// batch is rolled back and run again with a SAVEPOINT around each work. Work
// must therefore give the same result when run again after a rollback (its
// audit record is restored first). A completion is called only after the
// transaction holding the work and its audit record is durable.
//
// If a batch cannot be committed the writer fails closed: every waiting
// request is answered with an error, the failure handler is called once, and
// no further work is accepted.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "daemon/common/error.hpp"
#include "daemon/store/audit_log.hpp"

namespace strongroom::store {

class Connection;

// Handed to work running on the writer thread.
class Transaction {
public:
    explicit Transaction(Connection& conn) : conn_(conn) {}
    Connection& connection() noexcept { return conn_; }

    // After the commit, copy the write-ahead log into the database and
    // truncate it, so that no old image of a page (destroyed content, a
    // removed key) stays in the log file.
    void truncate_log_after_commit() noexcept { truncate_log_ = true; }
    bool truncate_log() const noexcept { return truncate_log_; }

private:
    Connection& conn_;
    bool truncate_log_ = false;
};

class Writer {
public:
    // Runs inside the transaction; fills in the decision and reason of the
    // audit record; returns false to roll back its own effects.
    using Work = std::function<bool(Transaction&, AuditRecord&)>;
    // Called on the writer thread after the commit (ok) or its failure.
    using Done = std::function<void(const Status&)>;
    // How audit records reach the database; provided by the audit module. A
    // failure to append or flush is a failure of the batch.
    struct AuditHooks {
        // On the submitting thread, for a record that is complete when
        // submitted (a read's): work that need not wait for the writer.
        std::function<void(AuditRecord&)> prepare;
        // On the writer thread, in commit order: chains the record.
        std::function<void(Transaction&, AuditRecord&&)> append;
        // On the writer thread, before COMMIT: stores what was appended.
        std::function<void(Transaction&)> flush;
        // On the writer thread, after COMMIT, before anyone is answered.
        std::function<void()> committed;
    };
    using FailureHandler = std::function<void(const std::string& reason)>;

    struct Stats {
        std::uint64_t commits = 0;
        std::uint64_t items = 0;
        std::uint64_t largest_batch = 0;
        std::uint64_t replays = 0;  // batches run again with savepoints
        // Audit entries of requests answered before the entry was durable
        // (reads, refusals): how many, how many became durable later than
        // DESIGN.md's 10 ms after they were queued, and the longest wait.
        std::uint64_t early = 0;
        std::uint64_t early_late = 0;
        std::uint64_t early_max_us = 0;
    };
    static constexpr std::chrono::microseconds kEarlyBound{10000};

    // max_batch bounds a commit, and the queue holds at most one batch more:
    // an entry answered early waits for at most the commit in progress and
    // its own. With 1024 (and a queue of 2048), 99.7 % of the entries of
    // reads answered early at saturation became durable later than 10 ms
    // (longest 69 ms); with 128, 0.04-1.2 % (longest 13-35 ms), at the same
    // or a higher rate (bench/run audit-cost).
    Writer(Connection& conn, AuditHooks audit, FailureHandler on_failure,
           std::size_t max_batch = 128);
    ~Writer();
    Writer(const Writer&) = delete;
    Writer& operator=(const Writer&) = delete;

    // A change of state with its audit record; done after it is durable.
    // Both submit calls wait while the queue is full (back-pressure).
    void submit(AuditRecord audit, Work work, Done done);
    // Storage work that is part of a request audited by a later submit (a
    // large upload's content, written ahead of its record): no audit record.
    void submit_internal(Work work, Done done);
    // An audit record alone (a read, or a refusal that changed nothing). It
    // is committed with the next batch, which starts at once.
    void submit_audit(AuditRecord audit);

    // Waits until everything submitted so far is committed.
    void flush();
    // Waits until everything submitted before this call is committed (or has
    // failed), while others go on submitting: a read of the audit trail sees
    // the entries of every request answered before it.
    void sync();
    // Commits what is queued, then stops the thread. Idempotent.
    void stop();

    bool failed() const noexcept { return failed_.load(std::memory_order_acquire); }
    std::size_t pending() const;
    Stats stats() const;
    // Microseconds since the epoch of the writer loop's last wake-up; the
    // watchdog checks that the writer is alive.
    std::int64_t last_heartbeat() const noexcept { return heartbeat_.load(); }

private:
    struct Item {
        AuditRecord audit;
        Work work;
        Done done;
        bool audited = true;
        std::chrono::steady_clock::time_point queued{};  // answered early: when queued
    };

    void enqueue(AuditRecord audit, Work work, Done done, bool audited);
    bool run_works(Transaction& txn, std::deque<Item>& batch, bool savepoints);
    void run();
    void commit_batch(std::deque<Item>& batch);
    void fail(const std::string& reason, std::deque<Item>& batch);

    Connection& conn_;
    AuditHooks audit_;
    FailureHandler on_failure_;
    std::size_t max_batch_;
    std::size_t max_queue_;  // submitters wait while this many items are queued

    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::condition_variable idle_;
    std::condition_variable space_;  // the queue has room again
    std::size_t blocked_ = 0;        // submitters waiting for room
    std::deque<Item> queue_;
    // Audit records of reads may wait this long after the previous commit
    // for company; they are durable well within the 10 ms DESIGN.md allows.
    static constexpr std::chrono::microseconds kAuditWindow{1000};

    enum class Sleep { awake, idle, gathering };

    bool stopping_ = false;
    bool busy_ = false;
    bool urgent_ = false;              // flush() is waiting
    Sleep sleep_ = Sleep::awake;       // what the writer waits for on wake_
    std::size_t durable_waiting_ = 0;  // queued items whose sender waits for the commit
    std::uint64_t submitted_ = 0;      // items queued since start
    std::uint64_t settled_ = 0;        // items committed or failed since start
    std::chrono::steady_clock::time_point last_commit_{};  // writer thread only
    std::atomic<bool> failed_{false};
    std::atomic<std::int64_t> heartbeat_{0};
    Stats stats_;
    std::uint64_t replays_ = 0;  // writer thread only; copied into stats_ after each commit
    std::thread thread_;
};

}  // namespace strongroom::store
