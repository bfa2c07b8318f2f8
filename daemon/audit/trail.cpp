#include "daemon/audit/trail.hpp"

#include <algorithm>
#include <array>
#include <exception>
#include <iterator>
#include <map>
#include <span>
#include <string_view>
#include <system_error>
#include <thread>

#include <fmt/format.h>

#include "daemon/store/connection.hpp"

namespace strongroom::audit {
namespace {

// Domain separation: a MAC over this encoding can never be confused with a
// MAC the daemon computes over anything else with the same key.
constexpr std::string_view kTag = "strongroom audit entry v1";
constexpr std::string_view kChainTag = "sr-chain";  // exactly 8 bytes

// The canonical encoding is built in one buffer and MACed in one call: a
// call into OpenSSL per field would cost more than the hashing itself.
void put_u64(std::string& out, std::uint64_t v) {
    char b[8];
    for (int i = 7; i >= 0; --i) {
        b[i] = static_cast<char>(v & 0xff);
        v >>= 8;
    }
    out.append(b, sizeof b);
}

void put_text(std::string& out, std::string_view text) {
    put_u64(out, text.size());
    out.append(text);
}

}  // namespace

crypto::Sha256Digest content_digest(const store::AuditRecord& r) {
    thread_local std::string buf;
    buf.clear();
    put_text(buf, kTag);
    put_u64(buf, static_cast<std::uint64_t>(r.at));
    put_u64(buf, r.account_id ? 1 : 0);
    put_u64(buf, static_cast<std::uint64_t>(r.account_id.value_or(0)));
    put_text(buf, r.account);
    put_u64(buf, r.uid);
    put_u64(buf, static_cast<std::uint64_t>(static_cast<std::int64_t>(r.pid)));
    put_text(buf, r.request);
    put_text(buf, r.object);
    put_text(buf, store::to_string(r.decision));
    put_text(buf, r.reason);
    return crypto::sha256(std::string_view(buf));
}

void seal(store::AuditRecord& record) {
    if (!record.content_digest) {
        record.content_digest = content_digest(record);
    }
}

store::Mac chain_mac(crypto::HmacSha256& mac, const store::Mac& previous, std::int64_t seq,
                     const crypto::Sha256Digest& content) {
    // Fixed size: tag, previous MAC, sequence number, content digest.
    std::array<std::uint8_t, 8 + 32 + 8 + 32> buf{};
    std::size_t at = 0;
    for (char c : kChainTag) {
        buf[at++] = static_cast<std::uint8_t>(c);
    }
    for (auto b : previous) {
        buf[at++] = b;
    }
    const auto s = static_cast<std::uint64_t>(seq);
    for (int shift = 56; shift >= 0; shift -= 8) {
        buf[at++] = static_cast<std::uint8_t>((s >> shift) & 0xff);
    }
    for (auto b : content) {
        buf[at++] = b;
    }
    return mac.mac(buf);
}

Trail::Trail(crypto::HmacSha256 mac, std::optional<std::pair<std::int64_t, store::Mac>> head)
    : mac_(std::move(mac)) {
    if (head) {
        seq_ = head->first;
        head_ = head->second;
    }
    committed_seq_ = seq_;
    committed_head_ = head_;
}

void Trail::append(store::Transaction&, store::AuditRecord&& record) {
    seal(record);
    store::AuditRow row;
    row.seq = seq_ + 1;
    row.mac = chain_mac(mac_, head_, row.seq, *record.content_digest);
    row.record = std::move(record);
    seq_ = row.seq;
    head_ = row.mac;
    pending_.push_back(std::move(row));
}

void Trail::flush(store::Transaction& txn) {
    if (pending_.empty()) {
        return;
    }
    store::AuditRepository(txn.connection()).append_many(pending_);
    // Kept until the commit: a rolled-back batch gets its records back.
    if (stored_.empty()) {
        stored_.swap(pending_);
    } else {
        std::move(pending_.begin(), pending_.end(), std::back_inserter(stored_));
        pending_.clear();
    }
}

std::vector<store::AuditRecord> Trail::rolled_back() {
    std::vector<store::AuditRecord> back;
    back.reserve(stored_.size() + pending_.size());
    for (auto* rows : {&stored_, &pending_}) {
        for (auto& row : *rows) {
            back.push_back(std::move(row.record));
        }
        rows->clear();
    }
    seq_ = committed_seq_;
    head_ = committed_head_;
    return back;
}

store::Writer::AuditHooks Trail::hooks() {
    store::Writer::AuditHooks h;
    h.prepare = [](store::AuditRecord& r) { seal(r); };
    h.append = [this](store::Transaction& txn, store::AuditRecord&& r) {
        append(txn, std::move(r));
    };
    h.flush = [this](store::Transaction& txn) { flush(txn); };
    h.committed = [this] { committed(); };
    h.rolled_back = [this] { return rolled_back(); };
    return h;
}

void Trail::set_checkpoints(CheckpointLog* log, std::int64_t every, std::int64_t last,
                            Announce announce) {
    log_ = log;
    every_ = every;
    last_checkpoint_ = last;
    announce_ = std::move(announce);
}

Checkpoint Trail::head() const {
    return Checkpoint{seq_, head_, now_micros()};
}

void Trail::checkpoint() {
    const auto c = head();
    const auto st = log_->append(c);
    if (st) {
        last_checkpoint_ = seq_;
    }
    if (announce_) {
        announce_(c, st);
    }
}

void Trail::committed() {
    committed_seq_ = seq_;
    committed_head_ = head_;
    stored_.clear();
    if (log_ != nullptr && every_ > 0 && seq_ - last_checkpoint_ >= every_) {
        try {
            checkpoint();
        } catch (const std::exception&) {
            // Tried again after the next commit; the chain itself is stored.
        }
    }
}

void Trail::checkpoint_now() {
    if (log_ != nullptr && seq_ > last_checkpoint_) {
        checkpoint();
    }
}

namespace {

struct RangeOutcome {
    std::optional<std::int64_t> first_bad;
    std::string problem;
};

// Several checkpoints may name one entry (the file's and an auditor's).
using CheckpointIndex = std::multimap<std::int64_t, const Checkpoint*>;

// Verifies the entries [from, to): each against its MAC, chained from the
// stored MAC of the entry before `from`, and against the checkpoints. A
// range that is not the last must hold every number up to `to`.
RangeOutcome verify_range(const VerifyWorker& worker, std::int64_t from, std::int64_t to, bool last,
                          const CheckpointIndex& at_seq) {
    RangeOutcome out;
    store::AuditRepository repo(*worker.conn);
    // The key each entry was chained under: the retired key whose range
    // holds it, else the current one. Entries come in order, so the search
    // only moves forward.
    std::size_t epoch = 0;
    auto mac_for = [&](std::int64_t seq) -> crypto::HmacSha256& {
        while (epoch < worker.retired.size() && worker.retired[epoch].last_seq < seq) {
            ++epoch;
        }
        if (epoch < worker.retired.size() && worker.retired[epoch].first_seq <= seq) {
            return *worker.retired[epoch].mac;
        }
        return *worker.mac;
    };
    store::Mac previous{};
    if (from > 1) {
        // If it is missing, the range before names it.
        previous = repo.mac_of(from - 1).value_or(store::Mac{});
    }
    std::int64_t expected = from;
    repo.scan_range(from, to, [&](const store::AuditRow& row) {
        if (row.seq != expected) {
            out.first_bad = expected;
            out.problem =
                fmt::format("entry {} is missing (next present is {})", expected, row.seq);
            return false;
        }
        const auto computed =
            chain_mac(mac_for(row.seq), previous, row.seq, content_digest(row.record));
        if (!crypto::equal_constant_time(computed, row.mac)) {
            out.first_bad = row.seq;
            out.problem = fmt::format("entry {} does not match its MAC", row.seq);
            return false;
        }
        const auto [from_it, to_it] = at_seq.equal_range(row.seq);
        for (auto it = from_it; it != to_it; ++it) {
            if (!crypto::equal_constant_time(it->second->head, row.mac)) {
                out.first_bad = row.seq;
                out.problem = fmt::format(
                    "entry {} differs from the checkpoint of {}: the chain was "
                    "rewritten from there or before",
                    row.seq, format_timestamp(it->second->at));
                return false;
            }
        }
        previous = row.mac;
        ++expected;
        return true;
    });
    if (!out.first_bad && !last && expected != to) {
        out.first_bad = expected;
        out.problem = fmt::format("entry {} is missing", expected);
    }
    return out;
}

}  // namespace

VerifyResult verify(std::span<const VerifyWorker> workers,
                    const std::vector<Checkpoint>& checkpoints) {
    VerifyResult result;
    CheckpointIndex at_seq;
    for (const auto& c : checkpoints) {
        at_seq.emplace(c.seq, &c);
        result.latest_checkpoint = std::max(result.latest_checkpoint, c.seq);
    }
    const auto head = store::AuditRepository(*workers.front().conn).head();
    const std::int64_t last_seq = head ? head->first : 0;
    // Each entry is checked against the stored MAC of the one before it, so
    // the chain splits into ranges verified side by side.
    const auto parts = static_cast<std::int64_t>(std::max<std::size_t>(
        1, std::min<std::size_t>(workers.size(),
                                 static_cast<std::size_t>(std::max<std::int64_t>(last_seq, 1)))));
    const auto n = static_cast<std::size_t>(parts);
    std::vector<RangeOutcome> outcomes(n);
    std::vector<std::exception_ptr> errors(n);
    // Never throws: a range's failure (a page that cannot be read, say) is
    // kept and rethrown on this thread once every range has ended.
    auto run = [&](std::size_t i) noexcept {
        try {
            const auto k = static_cast<std::int64_t>(i);
            const std::int64_t from = 1 + k * last_seq / parts;
            const std::int64_t to = k + 1 == parts ? INT64_MAX : 1 + (k + 1) * last_seq / parts;
            outcomes[i] = verify_range(workers[i], from, to, k + 1 == parts, at_seq);
        } catch (...) {
            errors[i] = std::current_exception();
        }
    };
    std::vector<std::thread> threads;
    std::size_t next = 1;
    try {
        for (; next < n; ++next) {
            threads.emplace_back(run, next);
        }
    } catch (const std::system_error&) {
        // No more threads: the remaining ranges run here.
    }
    for (std::size_t i = next; i < n; ++i) {
        run(i);
    }
    run(0);
    for (auto& t : threads) {
        t.join();
    }
    for (const auto& e : errors) {
        if (e) {
            std::rethrow_exception(e);
        }
    }
    for (const auto& o : outcomes) {
        if (o.first_bad && (!result.first_bad || *o.first_bad < *result.first_bad)) {
            result.first_bad = o.first_bad;
            result.problem = o.problem;
        }
    }
    result.intact = !result.first_bad;
    result.entries = result.first_bad ? *result.first_bad - 1 : last_seq;
    for (const auto& [seq, c] : at_seq) {
        result.checkpoints_checked += seq <= result.entries ? 1 : 0;
    }
    if (result.intact && result.latest_checkpoint > result.entries) {
        const auto& c = *at_seq.find(result.latest_checkpoint)->second;
        result.intact = false;
        result.first_bad = result.entries + 1;
        result.problem = fmt::format(
            "entries {} to {} are missing: the checkpoint of {} had the chain at entry {}",
            result.entries + 1, c.seq, format_timestamp(c.at), c.seq);
    }
    return result;
}

VerifyResult verify(store::Connection& conn, crypto::HmacSha256& mac,
                    const std::vector<Checkpoint>& checkpoints) {
    const VerifyWorker one{&conn, &mac};
    return verify(std::span<const VerifyWorker>(&one, 1), checkpoints);
}

}  // namespace strongroom::audit
