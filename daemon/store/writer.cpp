#include "daemon/store/writer.hpp"

#include <exception>

#include <pthread.h>

#include <fmt/format.h>

#include "daemon/common/time.hpp"
#include "daemon/store/sqlite.hpp"

namespace strongroom::store {

Writer::Writer(Connection& conn, AuditAppender append, FailureHandler on_failure,
               std::size_t max_batch)
    : conn_(conn),
      append_(std::move(append)),
      on_failure_(std::move(on_failure)),
      max_batch_(max_batch) {
    heartbeat_.store(now_micros());
    thread_ = std::thread([this] {
        ::pthread_setname_np(::pthread_self(), "sr-writer");
        run();
    });
}

Writer::~Writer() {
    stop();
}

void Writer::submit(AuditRecord audit, Work work, Done done) {
    {
        std::lock_guard lock(mutex_);
        if (!failed() && !stopping_) {
            queue_.push_back(Item{std::move(audit), std::move(work), std::move(done)});
            // A busy writer takes the queue when its commit ends; only a
            // sleeping one needs waking (a wake-up is a context switch).
            if (sleeping_) {
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
    idle_.wait(lock, [this] { return (queue_.empty() && !busy_) || failed(); });
}

void Writer::stop() {
    {
        std::lock_guard lock(mutex_);
        if (stopping_ && !thread_.joinable()) {
            return;
        }
        stopping_ = true;
        wake_.notify_one();
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
                sleeping_ = true;
                wake_.wait_for(lock, std::chrono::seconds(1));
                sleeping_ = false;
                heartbeat_.store(now_micros());
            }
            if (queue_.empty() && stopping_) {
                return;
            }
            const std::size_t n = queue_.size() < max_batch_ ? queue_.size() : max_batch_;
            for (std::size_t i = 0; i < n; ++i) {
                batch.push_back(std::move(queue_.front()));
                queue_.pop_front();
            }
            busy_ = true;
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

void Writer::commit_batch(std::deque<Item>& batch) {
    Transaction txn(conn_);
    try {
        conn_.cached("BEGIN IMMEDIATE")->run();
    } catch (const std::exception& e) {
        fail(fmt::format("cannot begin a transaction: {}", e.what()), batch);
        return;
    }
    try {
        for (auto& item : batch) {
            if (item.work) {
                conn_.cached("SAVEPOINT work")->run();
                bool keep = false;
                try {
                    keep = item.work(txn, item.audit);
                } catch (const std::exception& e) {
                    keep = false;
                    item.audit.decision = Decision::error;
                    item.audit.reason = fmt::format("internal error: {}", e.what());
                }
                if (!keep) {
                    conn_.cached("ROLLBACK TO work")->run();
                }
                conn_.cached("RELEASE work")->run();
            }
            append_(txn, std::move(item.audit));
        }
        conn_.cached("COMMIT")->run();
    } catch (const std::exception& e) {
        try {
            conn_.exec("ROLLBACK;");
        } catch (const std::exception&) {
            // The transaction may already be gone; the failure below stands.
        }
        fail(fmt::format("cannot commit to the database: {}", e.what()), batch);
        return;
    }
    {
        std::lock_guard lock(mutex_);
        ++stats_.commits;
        stats_.items += batch.size();
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
    idle_.notify_all();
}

}  // namespace strongroom::store
