#include "daemon/audit/trail.hpp"

#include <array>
#include <span>
#include <string_view>

#include <fmt/format.h>

#include "daemon/store/sqlite.hpp"

namespace strongroom::audit {
namespace {

// Domain separation: a MAC over this encoding can never be confused with a
// MAC the daemon computes over anything else with the same key.
constexpr std::string_view kTag = "strongroom audit entry v1";

void put_u64(crypto::HmacSha256& mac, std::uint64_t v) {
    std::array<std::uint8_t, 8> b{};
    for (int i = 7; i >= 0; --i) {
        b[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v & 0xff);
        v >>= 8;
    }
    mac.update(b);
}

void put_text(crypto::HmacSha256& mac, std::string_view text) {
    put_u64(mac, text.size());
    mac.update(std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

}  // namespace

store::Mac chain_mac(crypto::HmacSha256& mac, const store::Mac& previous, std::int64_t seq,
                     const store::AuditRecord& r) {
    mac.begin();
    put_text(mac, kTag);
    mac.update(previous);
    put_u64(mac, static_cast<std::uint64_t>(seq));
    put_u64(mac, static_cast<std::uint64_t>(r.at));
    put_u64(mac, r.account_id ? 1 : 0);
    put_u64(mac, static_cast<std::uint64_t>(r.account_id.value_or(0)));
    put_text(mac, r.account);
    put_u64(mac, r.uid);
    put_u64(mac, static_cast<std::uint64_t>(static_cast<std::int64_t>(r.pid)));
    put_text(mac, r.request);
    put_text(mac, r.object);
    put_text(mac, store::to_string(r.decision));
    put_text(mac, r.reason);
    return mac.finish();
}

Trail::Trail(crypto::HmacSha256 mac, std::optional<std::pair<std::int64_t, store::Mac>> head)
    : mac_(std::move(mac)) {
    if (head) {
        seq_ = head->first;
        head_ = head->second;
    }
}

void Trail::append(store::Transaction& txn, store::AuditRecord&& record) {
    store::AuditRow row;
    row.seq = seq_ + 1;
    row.mac = chain_mac(mac_, head_, row.seq, record);
    row.record = std::move(record);
    store::AuditRepository(txn.connection()).append(row);
    seq_ = row.seq;
    head_ = row.mac;
}

VerifyResult verify(store::Connection& conn, crypto::HmacSha256& mac) {
    VerifyResult result;
    store::Mac previous{};
    std::int64_t expected = 1;
    store::AuditRepository(conn).scan(1, [&](const store::AuditRow& row) {
        if (row.seq != expected) {
            result.intact = false;
            result.first_bad = expected;
            result.problem =
                fmt::format("entry {} is missing (next present is {})", expected, row.seq);
            return false;
        }
        const auto computed = chain_mac(mac, previous, row.seq, row.record);
        if (!crypto::equal_constant_time(computed, row.mac)) {
            result.intact = false;
            result.first_bad = row.seq;
            result.problem = fmt::format("entry {} does not match its MAC", row.seq);
            return false;
        }
        previous = row.mac;
        ++expected;
        ++result.entries;
        return true;
    });
    return result;
}

}  // namespace strongroom::audit
