#include "daemon/store/writer.hpp"

#include <exception>
#include <vector>

#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fmt/format.h>

#include "daemon/common/time.hpp"
#include "daemon/store/sqlite.hpp"

namespace strongroom::store {

Writer::Writer(Connection& conn, AuditHooks audit, FailureHandler on_failure, std::size_t max_batch)
    : conn_(conn),
      audit_(std::move(audit)),
      on_failure_(std::move(on_failure)),
      max_batch_(max_batch),
      max_queue_(max_batch) {
    heartbeat_.store(now_micros());
    thread_ = std::thread([this] {
        ::pthread_setname_np(::pthread_self(), "sr-writer");
        // The writer keeps the default priority. At nice 5 (tried, to let
        // request threads preempt its bursts) it lost the CPU to them at
        // saturation: through the socket (bench/run audit-cost --socket),
        // 3-13 % of the entries of reads answered early became durable later
        // than the 10 ms DESIGN.md allows, and show ran at 24-34k/s; at the
        // default priority 0.4-1.2 % and 34-38k/s.
        ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), 0);
        run();
    });
}

Writer::~Writer() {
    stop();
}

void Writer::submit(AuditRecord audit, Work work, Done done) {
    enqueue(std::move(audit), std::move(work), std::move(done), true);
}

void Writer::submit_internal(Work work, Done done) {
    enqueue(AuditRecord{}, std::move(work), std::move(done), false);
}

void Writer::enqueue(AuditRecord audit, Work work, Done done, bool audited) {
    if (!work && audit_.prepare) {
        audit_.prepare(audit);  // on this thread, in parallel with the writer
    }
    {
        std::unique_lock lock(mutex_);
        // Back-pressure: a full queue holds the submitting request until the
        // writer has taken a batch, which bounds memory and slows clients to
        // the rate the audit trail can be written at.
        if (queue_.size() >= max_queue_) {
            ++blocked_;
            space_.wait(lock,
                        [this] { return queue_.size() < max_queue_ || failed() || stopping_; });
            --blocked_;
        }
        if (!failed() && !stopping_) {
            const bool durable = static_cast<bool>(done);
            queue_.push_back(Item{std::move(audit), std::move(work), std::move(done), audited,
                                  durable ? std::chrono::steady_clock::time_point{}
                                          : std::chrono::steady_clock::now()});
            ++submitted_;
            durable_waiting_ += durable ? 1 : 0;
            // A busy writer takes the queue when its commit ends; only a
            // sleeping one needs waking (a wake-up is a context switch), and
            // one gathering audit records only for someone waiting.
            if (sleep_ == Sleep::idle ||
                (sleep_ == Sleep::gathering && (durable || queue_.size() >= max_batch_))) {
                wake_.notify_one();
            }
            return;
        }
    }
    if (done) {
        done(make_error(ErrorCode::unavailable,
                        "strongroomd is not accepting changes (stopping, or the audit trail "
                        "could not be written)"));
    }
}

void Writer::submit_audit(AuditRecord audit) {
    submit(std::move(audit), nullptr, nullptr);
}

void Writer::flush() {
    std::unique_lock lock(mutex_);
    urgent_ = true;
    wake_.notify_one();
    idle_.wait(lock, [this] { return (queue_.empty() && !busy_) || failed(); });
}

void Writer::sync() {
    std::unique_lock lock(mutex_);
    const auto target = submitted_;
    if (settled_ >= target) {
        return;
    }
    urgent_ = true;  // no gathering window: commit what is queued now
    wake_.notify_one();
    idle_.wait(lock, [this, target] { return settled_ >= target || failed(); });
}

void Writer::stop() {
    {
        std::lock_guard lock(mutex_);
        if (stopping_ && !thread_.joinable()) {
            return;
        }
        stopping_ = true;
        wake_.notify_one();
        space_.notify_all();
    }
    if (thread_.joinable()) {
        thread_.join();
    }
}

std::size_t Writer::pending() const {
    std::lock_guard lock(mutex_);
    return queue_.size();
}

Writer::Stats Writer::stats() const {
    std::lock_guard lock(mutex_);
    return stats_;
}

void Writer::run() {
    std::deque<Item> batch;
    for (;;) {
        {
            std::unique_lock lock(mutex_);
            busy_ = false;
            idle_.notify_all();
            // Wake at least every second so the heartbeat shows the thread is alive.
            while (queue_.empty() && !stopping_) {
                sleep_ = Sleep::idle;
                wake_.wait_for(lock, std::chrono::seconds(1));
                sleep_ = Sleep::awake;
                heartbeat_.store(now_micros());
            }
            if (queue_.empty() && stopping_) {
                return;
            }
            // Only audit records of reads (their answers are already sent):
            // gather more for up to the commit window since the last commit,
            // so that a commit carries many of them. Anyone waiting for an
            // acknowledgement ends the wait.
            if (durable_waiting_ == 0 && !urgent_ && !stopping_ && queue_.size() < max_batch_) {
                sleep_ = Sleep::gathering;
                wake_.wait_until(lock, last_commit_ + kAuditWindow, [this] {
                    return durable_waiting_ > 0 || urgent_ || stopping_ ||
                           queue_.size() >= max_batch_;
                });
                sleep_ = Sleep::awake;
            }
            urgent_ = false;
            if (queue_.size() <= max_batch_) {
                // Everything: a swap, so that submitters never wait on the
                // lock while a large batch is moved.
                batch.swap(queue_);
                durable_waiting_ = 0;
            } else {
                for (std::size_t i = 0; i < max_batch_; ++i) {
                    durable_waiting_ -= queue_.front().done ? 1 : 0;
                    batch.push_back(std::move(queue_.front()));
                    queue_.pop_front();
                }
            }
            busy_ = true;
            if (blocked_ > 0) {
                space_.notify_all();
            }
        }
        heartbeat_.store(now_micros());
        if (failed()) {
            fail("an earlier commit failed", batch);
        } else {
            commit_batch(batch);
        }
        batch.clear();
    }
}

// Runs the work of a batch. Without savepoints (the fast path), a work that
// refuses or throws after changing rows cannot be undone alone: the answer
// is false, and the caller rolls the batch back and runs it again with a
// savepoint around each work. A refusal that changed nothing needs no undo.
bool Writer::run_works(Transaction& txn, std::deque<Item>& batch, bool savepoints) {
    for (auto& item : batch) {
        if (!item.work) {
            continue;
        }
        if (savepoints) {
            conn_.cached("SAVEPOINT work")->run();
        }
        const auto before = conn_.total_changes();
        bool keep = false;
        try {
            keep = item.work(txn, item.audit);
        } catch (const std::exception& e) {
            keep = false;
            item.audit.decision = Decision::error;
            item.audit.reason = fmt::format("internal error: {}", e.what());
        }
        if (savepoints) {
            if (!keep) {
                conn_.cached("ROLLBACK TO work")->run();
            }
            conn_.cached("RELEASE work")->run();
        } else if (!keep && conn_.total_changes() != before) {
            return false;
        }
    }
    return true;
}

void Writer::commit_batch(std::deque<Item>& batch) {
    Transaction txn(conn_);
    try {
        conn_.cached("BEGIN IMMEDIATE")->run();
    } catch (const std::exception& e) {
        fail(fmt::format("cannot begin a transaction: {}", e.what()), batch);
        return;
    }
    try {
        // Savepoints cost SQLCipher an encrypted copy of every page each work
        // touches, for every work: the batch first runs without them.
        std::vector<AuditRecord> before;
        for (const auto& item : batch) {
            if (item.work) {
                before.push_back(item.audit);
            }
        }
        if (!run_works(txn, batch, false)) {
            conn_.cached("ROLLBACK")->run();
            conn_.cached("BEGIN IMMEDIATE")->run();
            std::size_t i = 0;
            for (auto& item : batch) {
                if (item.work) {
                    item.audit = before[i++];
                }
            }
            ++replays_;
            run_works(txn, batch, true);
        }
        for (auto& item : batch) {
            if (item.audited) {
                audit_.append(txn, std::move(item.audit));
            }
        }
        if (audit_.flush) {
            audit_.flush(txn);
        }
        conn_.cached("COMMIT")->run();
        last_commit_ = std::chrono::steady_clock::now();
        if (txn.truncate_log()) {
            try {
                conn_.exec("PRAGMA wal_checkpoint(TRUNCATE);");
            } catch (const std::exception&) {
                // The commit stands; the log's frames are overwritten as it
                // is reused after the next checkpoint.
            }
        }
        if (audit_.committed) {
            audit_.committed();
        }
    } catch (const std::exception& e) {
        try {
            conn_.exec("ROLLBACK;");
        } catch (const std::exception&) {
            // The transaction may already be gone; the failure below stands.
        }
        fail(fmt::format("cannot commit to the database: {}", e.what()), batch);
        return;
    }
    std::uint64_t early = 0;
    std::uint64_t late = 0;
    std::int64_t longest = 0;
    for (const auto& item : batch) {
        if (!item.done && item.audited) {
            const auto waited =
                std::chrono::duration_cast<std::chrono::microseconds>(last_commit_ - item.queued);
            ++early;
            late += waited > kEarlyBound ? 1 : 0;
            longest = std::max<std::int64_t>(longest, waited.count());
        }
    }
    {
        std::lock_guard lock(mutex_);
        ++stats_.commits;
        stats_.items += batch.size();
        stats_.early += early;
        stats_.early_late += late;
        stats_.early_max_us = std::max(stats_.early_max_us, static_cast<std::uint64_t>(longest));
        settled_ += batch.size();
        stats_.replays = replays_;
        if (batch.size() > stats_.largest_batch) {
            stats_.largest_batch = batch.size();
        }
    }
    const Status ok;
    for (auto& item : batch) {
        if (item.done) {
            item.done(ok);
        }
    }
}

void Writer::fail(const std::string& reason, std::deque<Item>& batch) {
    const bool first = !failed_.exchange(true, std::memory_order_acq_rel);
    // The failure handler hears of it before anyone is answered.
    if (first && on_failure_) {
        on_failure_(reason);
    }
    const Status error = make_error(
        ErrorCode::internal,
        fmt::format("the audit trail could not be written ({}); strongroomd stops answering",
                    reason));
    for (auto& item : batch) {
        if (item.done) {
            item.done(error);
        }
    }
    std::lock_guard lock(mutex_);
    settled_ += batch.size();
    idle_.notify_all();
    space_.notify_all();
}

}  // namespace strongroom::store
