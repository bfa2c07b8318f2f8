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
// If a batch cannot be committed because the file system is full or an I/O
// error occurred (SQLITE_FULL, ENOSPC, EIO), it is rolled back, the chain is
// put back where the last commit left it, and the batch's changes are
// answered with an error naming the cause (disk space, or the I/O error);
// their audit entries, marked as errors, and the entries of requests already
// answered are committed again at once (after releasing the disk reserve,
// when the disk is full; disk.hpp). Until that succeeds the writer is
// *blocked*: it holds those entries in order, never dropping one, tries
// again every 50 ms to 2 s, and the service answers nothing (blocked()
// names the cause); it resumes by itself when a commit succeeds. Any other
// failure (a damaged database, a bug) fails closed for good: every waiting
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
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "daemon/common/error.hpp"
#include "daemon/store/audit_log.hpp"

namespace strongroom::store {

class Connection;
class DiskSpace;

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
        // On the writer thread, after a ROLLBACK of a batch whose records
        // were appended: the chain goes back to the last commit's head, and
        // the records appended since come back, in order, to be committed
        // again.
        std::function<std::vector<AuditRecord>()> rolled_back;
    };
    using FailureHandler = std::function<void(const std::string& reason)>;

    // Why commits fail now (while blocked) or failed last.
    enum class Trouble { none, disk_full, io_error };
    // For the daemon to log, on the writer thread.
    struct TroubleReport {
        enum class Event {
            failed,   // a commit failed and was rolled back; its entries were written again
            blocked,  // and they could not be: entries held, nothing answered
            resumed,  // the held entries are written; serving again
            lost,     // stopping while blocked: the held entries are lost
        };
        Event event = Event::failed;
        Trouble trouble = Trouble::none;
        std::string reason;       // the database's message
        std::size_t changes = 0;  // changes answered with the error (failed)
        std::size_t entries = 0;  // entries written again, held, or lost
    };
    using TroubleHandler = std::function<void(const TroubleReport&)>;

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
        // Commits that failed with a full disk or an I/O error and were
        // rolled back; changes answered with that error; audit entries
        // committed again after such a failure.
        std::uint64_t failed_commits = 0;
        std::uint64_t changes_failed = 0;
        std::uint64_t entries_retried = 0;
        std::size_t held = 0;  // audit entries held now (blocked)
    };
    static constexpr std::chrono::microseconds kEarlyBound{10000};

    // max_batch bounds a commit, and the queue holds at most one batch more:
    // an entry answered early waits for at most the commit in progress and
    // its own. With 1024 (and a queue of 2048), 99.7 % of the entries of
    // reads answered early at saturation became durable later than 10 ms
    // (longest 69 ms); with 128, 0.04-1.2 % (longest 13-35 ms), at the same
    // or a higher rate (bench/run audit-cost).
    // disk (optional): told when a commit finds the file system full, and
    // asked after commits how much space is left; its directory names the
    // place in messages.
    Writer(Connection& conn, AuditHooks audit, FailureHandler on_failure,
           std::size_t max_batch = 128, DiskSpace* disk = nullptr,
           TroubleHandler on_trouble = nullptr);
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
    // The same, with done called once it is durable (or could not be
    // written): a read answered only after its entry is durable.
    void submit_audit(AuditRecord audit, Done done);

    // Waits until everything submitted so far is committed.
    void flush();
    // Waits until everything submitted before this call is committed (or has
    // failed), while others go on submitting: a read of the audit trail sees
    // the entries of every request answered before it.
    void sync();
    // Commits what is queued, then stops the thread. Idempotent.
    void stop();

    bool failed() const noexcept { return failed_.load(std::memory_order_acquire); }
    // Not none while no audit entry can be written (entries held).
    Trouble blocked() const noexcept { return blocked_state_.load(std::memory_order_acquire); }
    // What everyone is told while blocked, or after a failure for good.
    std::string unavailable_message() const;
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

    struct Failure {
        Trouble trouble = Trouble::none;  // none: fails closed for good
        std::string reason;               // a few constant words, for the people answered
        std::string detail;               // the database's whole message, for the log
    };

    void enqueue(AuditRecord audit, Work work, Done done, bool audited);
    bool run_works(Transaction& txn, std::deque<Item>& batch, bool savepoints);
    void run();
    // Waits for the next batch and moves it out of the queue (all of it, or
    // max_batch_ items); false once stopping with nothing left.
    bool take_next(std::deque<Item>& batch);
    // While entries are held, the back-off before they are tried again.
    void take_after_backoff(std::unique_lock<std::mutex>& lock, std::deque<Item>& batch);
    // Commits a batch, or retries what is held with it, or refuses it after
    // an earlier failure.
    void carry_out(std::deque<Item>& batch);
    // One transaction for the batch: nothing on success, else the failure
    // (rolled back, the chain put back).
    std::optional<Failure> attempt(std::deque<Item>& batch, bool& truncate_log);
    void commit_batch(std::deque<Item>& batch);
    // After a successful commit: statistics, then everyone is answered.
    void settle(std::deque<Item>& batch, bool truncate_log);
    // Answers the changes of a failed batch with the error (their entries say
    // so) and drops storage work audited elsewhere; reads stay waiting.
    // Returns the changes answered.
    std::size_t refuse_changes(std::deque<Item>& batch, const Failure& failure);
    // After a failure from a full disk or an I/O error: answers the changes
    // with the error and moves every audit entry into held_.
    // Returns the changes answered.
    std::size_t hold(std::deque<Item>& batch, const Failure& failure);
    void report(TroubleReport::Event event, Trouble trouble, std::string reason,
                std::size_t changes, std::size_t entries);
    // Commits held_ (and what arrived meanwhile); true once it succeeded.
    bool retry_held(std::deque<Item>& arrived);
    // What a change (change) or a read waiting for its entry is told.
    Status error_for(Trouble trouble, const std::string& reason, bool change) const;
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
    DiskSpace* disk_ = nullptr;
    TroubleHandler on_trouble_;
    std::deque<Item> held_;  // writer thread only: entries to commit before anything else
    std::atomic<Trouble> blocked_state_{Trouble::none};
    std::string blocked_reason_;  // under mutex_
    std::chrono::milliseconds backoff_{50};
    std::chrono::steady_clock::time_point last_disk_check_{};
    std::atomic<std::int64_t> heartbeat_{0};
    Stats stats_;
    std::uint64_t replays_ = 0;  // writer thread only; copied into stats_ after each commit
    std::thread thread_;
};

}  // namespace strongroom::store
