#include "daemon/store/writer.hpp"

#include <exception>
#include <vector>

#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fmt/format.h>

#include "daemon/common/time.hpp"
#include "daemon/store/disk.hpp"
#include "daemon/store/sqlite.hpp"

namespace strongroom::store {

Writer::Writer(Connection& conn, AuditHooks audit, FailureHandler on_failure, std::size_t max_batch,
               DiskSpace* disk, TroubleHandler on_trouble)
    : conn_(conn),
      audit_(std::move(audit)),
      on_failure_(std::move(on_failure)),
      max_batch_(max_batch),
      max_queue_(max_batch),
      disk_(disk),
      on_trouble_(std::move(on_trouble)) {
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
                        failed() ? unavailable_message()
                                 : "strongroomd is stopping and accepts no more requests"));
    }
}

void Writer::submit_audit(AuditRecord audit) {
    submit(std::move(audit), nullptr, nullptr);
}

void Writer::submit_audit(AuditRecord audit, Done done) {
    enqueue(std::move(audit), nullptr, std::move(done), true);
}

std::string Writer::unavailable_message() const {
    if (const auto trouble = blocked(); trouble != Trouble::none) {
        std::string reason;
        {
            std::lock_guard lock(mutex_);
            reason = blocked_reason_;
        }
        return error_for(trouble, reason, false).error().message;
    }
    return "the audit trail cannot be written, so strongroomd is not answering; a technical "
           "officer must check the daemon's log";
}

void Writer::flush() {
    std::unique_lock lock(mutex_);
    urgent_ = true;
    wake_.notify_one();
    idle_.wait(lock, [this] {
        return (queue_.empty() && !busy_) || failed() || blocked() != Trouble::none;
    });
}

void Writer::sync() {
    std::unique_lock lock(mutex_);
    const auto target = submitted_;
    if (settled_ >= target) {
        return;
    }
    urgent_ = true;  // no gathering window: commit what is queued now
    wake_.notify_one();
    idle_.wait(lock, [this, target] {
        return settled_ >= target || failed() || blocked() != Trouble::none;
    });
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

Status Writer::error_for(Trouble trouble, const std::string& reason, bool change) const {
    const std::string where =
        disk_ != nullptr ? disk_->options().dir.string() : std::string("the state directory");
    if (change) {
        // The same text as a change refused before it ran (disk.hpp).
        if (trouble == Trouble::disk_full) {
            return make_error(ErrorCode::unavailable, disk_full_message(where));
        }
        return make_error(
            ErrorCode::unavailable,
            fmt::format("strongroomd could not write to its database in {} ({}): nothing was "
                        "stored; try again, and if it persists a technical officer must check "
                        "the disk and the daemon's log",
                        where, reason));
    }
    // A read whose entry could not be written: the answer everyone gets while
    // no entry can be.
    if (trouble == Trouble::disk_full) {
        return make_error(ErrorCode::unavailable,
                          disk_ != nullptr
                              ? disk_->cannot_audit()
                              : fmt::format("the file system of {} is full: strongroomd cannot "
                                            "write its audit trail, so it answers nothing until "
                                            "space is freed there",
                                            where));
    }
    return make_error(ErrorCode::unavailable,
                      fmt::format("strongroomd cannot write its audit trail to its database in {} "
                                  "({}), so it answers nothing until it can; a technical officer "
                                  "must check the disk and the daemon's log",
                                  where, reason));
}

void Writer::run() {
    std::deque<Item> batch;
    while (take_next(batch)) {
        heartbeat_.store(now_micros());
        carry_out(batch);
        batch.clear();
    }
}

bool Writer::take_next(std::deque<Item>& batch) {
    std::unique_lock lock(mutex_);
    busy_ = false;
    idle_.notify_all();
    if (!held_.empty()) {
        take_after_backoff(lock, batch);
    } else {
        // Wake at least every second so the heartbeat shows the thread is alive.
        while (queue_.empty() && !stopping_) {
            sleep_ = Sleep::idle;
            wake_.wait_for(lock, std::chrono::seconds(1));
            sleep_ = Sleep::awake;
            heartbeat_.store(now_micros());
        }
        if (queue_.empty() && stopping_) {
            return false;
        }
        // Only audit records of reads (their answers are already sent):
        // gather more for up to the commit window since the last commit,
        // so that a commit carries many of them. Anyone waiting for an
        // acknowledgement ends the wait.
        if (durable_waiting_ == 0 && !urgent_ && !stopping_ && queue_.size() < max_batch_) {
            sleep_ = Sleep::gathering;
            wake_.wait_until(lock, last_commit_ + kAuditWindow, [this] {
                return durable_waiting_ > 0 || urgent_ || stopping_ || queue_.size() >= max_batch_;
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
    }
    busy_ = true;
    if (blocked_ > 0) {
        space_.notify_all();
    }
    return true;
}

void Writer::take_after_backoff(std::unique_lock<std::mutex>& lock, std::deque<Item>& batch) {
    // Blocked: try again after the back-off (at once when stopping), with
    // whatever arrived meanwhile.
    if (!stopping_) {
        sleep_ = Sleep::idle;
        wake_.wait_for(lock, backoff_, [this] { return stopping_; });
        sleep_ = Sleep::awake;
    }
    heartbeat_.store(now_micros());
    batch.swap(queue_);
    durable_waiting_ = 0;
    urgent_ = false;
}

void Writer::carry_out(std::deque<Item>& batch) {
    if (failed()) {
        fail("an earlier commit failed", batch);
        return;
    }
    if (held_.empty()) {
        commit_batch(batch);
        return;
    }
    const bool done = retry_held(batch);
    bool stopping = false;
    {
        std::lock_guard lock(mutex_);
        stopping = stopping_;
    }
    if (!done && stopping) {
        // Nothing more can be done: what is held is lost, and said so.
        const auto lost = held_.size();
        {
            std::lock_guard lock(mutex_);
            settled_ += lost;
            stats_.held = 0;
        }
        held_.clear();
        report(TroubleReport::Event::lost, blocked(),
               "stopping while audit entries could not be written", 0, lost);
    }
}

namespace {

// A failure that leaves the batch's transaction unusable: the database could
// not be written (the whole batch is retried as a batch failure), or SQLite
// ended the transaction itself.
bool breaks_the_batch(const std::exception& e, const Connection& conn) {
    return classify_write_failure(e) != WriteFailure::none || !conn.in_transaction();
}

}  // namespace

// Runs the work of a batch. Without savepoints (the fast path), a work that
// refuses or throws after changing rows cannot be undone alone: the answer
// is false, and the caller rolls the batch back and runs it again with a
// savepoint around each work. A refusal that changed nothing needs no undo.
// A work that fails because the database cannot be written fails the batch
// (the exception goes on).
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
            if (breaks_the_batch(e, conn_)) {
                throw;
            }
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

std::optional<Writer::Failure> Writer::attempt(std::deque<Item>& batch, bool& truncate_log) {
    Transaction txn(conn_);
    bool appended = false;
    try {
        conn_.cached("BEGIN IMMEDIATE")->run();
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
        appended = true;
        for (auto& item : batch) {
            if (item.audited) {
                // Moved when the hooks give the records back after a
                // rollback, else copied, to be committed again.
                if (audit_.rolled_back) {
                    audit_.append(txn, std::move(item.audit));
                } else {
                    AuditRecord copy = item.audit;
                    audit_.append(txn, std::move(copy));
                }
            }
        }
        if (audit_.flush) {
            audit_.flush(txn);
        }
        conn_.cached("COMMIT")->run();
    } catch (const std::exception& e) {
        try {
            if (conn_.in_transaction()) {
                conn_.exec("ROLLBACK;");
            }
        } catch (const std::exception&) {
            // The transaction may already be gone; the failure below stands.
        }
        if (appended && audit_.rolled_back) {
            // The records appended come back to their items, to be
            // committed again.
            auto back = audit_.rolled_back();
            std::size_t i = 0;
            for (auto& item : batch) {
                if (item.audited && i < back.size()) {
                    item.audit = std::move(back[i++]);
                }
            }
        }
        Failure f;
        switch (classify_write_failure(e)) {
            case WriteFailure::disk_full:
                f.trouble = Trouble::disk_full;
                break;
            case WriteFailure::io_error:
                f.trouble = Trouble::io_error;
                break;
            case WriteFailure::none:
                f.trouble = Trouble::none;
                break;
        }
        f.reason = describe_write_failure(e);
        f.detail = e.what();
        return f;
    }
    truncate_log = txn.truncate_log();
    return std::nullopt;
}

void Writer::commit_batch(std::deque<Item>& batch) {
    bool truncate_log = false;
    const auto failure = attempt(batch, truncate_log);
    if (!failure) {
        settle(batch, truncate_log);
        return;
    }
    if (failure->trouble == Trouble::none) {
        fail(fmt::format("cannot commit to the database: {}", failure->detail), batch);
        return;
    }
    {
        std::lock_guard lock(mutex_);
        ++stats_.failed_commits;
    }
    if (failure->trouble == Trouble::disk_full && disk_ != nullptr && disk_->out_of_space()) {
        // The reserve was just released, for audit entries: the changes are
        // refused, and the reads of the batch wait for their entries, written
        // at once in the reserve's room, rather than being refused too.
        const auto changes = refuse_changes(batch, *failure);
        if (!attempt(batch, truncate_log)) {
            {
                std::lock_guard lock(mutex_);
                stats_.entries_retried += batch.size();
            }
            settle(batch, truncate_log);
            report(TroubleReport::Event::failed, failure->trouble, failure->detail, changes, 0);
            return;
        }
        std::lock_guard lock(mutex_);
        ++stats_.failed_commits;
    }
    const auto changes = hold(batch, *failure);
    const auto entries = held_.size();
    std::deque<Item> none;
    // At once: with the reserve released (or after a passing I/O error), it
    // usually succeeds.
    if (retry_held(none)) {
        report(TroubleReport::Event::failed, failure->trouble, failure->detail, changes, entries);
    }
}

void Writer::report(TroubleReport::Event event, Trouble trouble, std::string reason,
                    std::size_t changes, std::size_t entries) {
    if (!on_trouble_) {
        return;
    }
    TroubleReport r;
    r.event = event;
    r.trouble = trouble;
    r.reason = std::move(reason);
    r.changes = changes;
    r.entries = entries;
    on_trouble_(r);
}

void Writer::settle(std::deque<Item>& batch, bool truncate_log) {
    last_commit_ = std::chrono::steady_clock::now();
    if (truncate_log) {
        try {
            conn_.exec("PRAGMA wal_checkpoint(TRUNCATE);");
        } catch (const std::exception&) {
            // The commit stands; the log's frames are overwritten as it
            // is reused after the next checkpoint.
        }
    }
    if (audit_.committed) {
        try {
            audit_.committed();
        } catch (const std::exception&) {
            // The commit stands (a checkpoint is tried again after the next).
        }
    }
    // How much space is left, at most every 100 ms: the level decides
    // whether reads wait for their entries and whether changes are taken.
    if (disk_ != nullptr && last_commit_ - last_disk_check_ >= std::chrono::milliseconds(100)) {
        last_disk_check_ = last_commit_;
        disk_->check();
    }
    std::uint64_t early = 0;
    std::uint64_t late = 0;
    std::int64_t longest = 0;
    for (const auto& item : batch) {
        // Answered before the entry was durable (a read's, a refusal's).
        if (!item.done && item.audited && item.queued != std::chrono::steady_clock::time_point{}) {
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

std::size_t Writer::refuse_changes(std::deque<Item>& batch, const Failure& failure) {
    const auto change_error = error_for(failure.trouble, failure.reason, true);
    std::uint64_t changes = 0;
    std::size_t settled = 0;
    for (auto it = batch.begin(); it != batch.end();) {
        auto& item = *it;
        if (!item.work) {
            ++it;
            continue;
        }
        // Answered with the error now; its entry says so.
        if (item.done) {
            if (item.audited) {
                item.audit.decision = Decision::error;
                item.audit.reason = fmt::format(
                    "not done: the audit trail could not be written ({})", failure.reason);
                item.audit.content_digest.reset();
            }
            ++changes;
            item.done(change_error);
            item.done = nullptr;
        }
        item.work = nullptr;
        if (item.audited) {
            ++it;
        } else {
            // Storage work of a request audited later: its failure is
            // reported there.
            ++settled;
            it = batch.erase(it);
        }
    }
    std::lock_guard lock(mutex_);
    stats_.changes_failed += changes;
    settled_ += settled;
    return changes;
}

std::size_t Writer::hold(std::deque<Item>& batch, const Failure& failure) {
    if (failure.trouble == Trouble::disk_full && disk_ != nullptr) {
        disk_->out_of_space();  // the reserve goes, for the audit entries
    }
    const auto changes = refuse_changes(batch, failure);
    const auto read_error = error_for(failure.trouble, failure.reason, false);
    for (auto& item : batch) {
        // A read waiting for its entry: answered with the error now; its
        // entry says so. A read answered before keeps its entry.
        if (item.done) {
            item.audit.decision = Decision::error;
            item.audit.reason = fmt::format(
                "answered with an error, not done: the audit trail could not be written ({})",
                failure.reason);
            item.audit.content_digest.reset();
            item.done(read_error);
            item.done = nullptr;
        }
        held_.push_back(std::move(item));
    }
    std::lock_guard lock(mutex_);
    stats_.held = held_.size();
    return changes;
}

bool Writer::retry_held(std::deque<Item>& arrived) {
    // What arrived while blocked is held behind the rest, in order. The
    // service refuses requests while blocked, so only those already on the
    // way arrive here; changes among them are answered with the error.
    const auto trouble_before = blocked();
    if (!arrived.empty()) {
        Failure f;
        f.trouble = trouble_before == Trouble::none ? Trouble::io_error : trouble_before;
        {
            std::lock_guard lock(mutex_);
            f.reason = blocked_reason_.empty() ? "the database cannot be written" : blocked_reason_;
        }
        hold(arrived, f);
    }
    bool truncate_log = false;
    const auto failure = attempt(held_, truncate_log);
    if (failure) {
        std::lock_guard lock(mutex_);
        ++stats_.failed_commits;
    }
    if (!failure) {
        const auto written = held_.size();
        {
            std::lock_guard lock(mutex_);
            stats_.entries_retried += written;
            stats_.held = 0;
            blocked_reason_.clear();
        }
        settle(held_, truncate_log);
        held_.clear();
        backoff_ = std::chrono::milliseconds(50);
        if (const auto was = blocked_state_.exchange(Trouble::none); was != Trouble::none) {
            report(TroubleReport::Event::resumed, was, {}, 0, written);
        }
        std::lock_guard lock(mutex_);
        idle_.notify_all();
        return true;
    }
    if (failure->trouble == Trouble::none) {
        fail(fmt::format("cannot commit to the database: {}", failure->detail), held_);
        held_.clear();
        return false;
    }
    if (failure->trouble == Trouble::disk_full && disk_ != nullptr) {
        disk_->out_of_space();
    }
    {
        std::lock_guard lock(mutex_);
        blocked_reason_ = failure->reason;
        stats_.held = held_.size();
    }
    backoff_ = std::min<std::chrono::milliseconds>(backoff_ * 2, std::chrono::seconds(2));
    if (blocked_state_.exchange(failure->trouble) != failure->trouble) {
        report(TroubleReport::Event::blocked, failure->trouble, failure->detail, 0, held_.size());
    }
    std::lock_guard lock(mutex_);
    idle_.notify_all();  // flush() and sync() do not wait for a blocked writer
    return false;
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
