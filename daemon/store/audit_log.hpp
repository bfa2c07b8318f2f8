// Typed access to the audit_log table. The chain (sequence numbers and MACs)
// is computed by the audit module; this repository only stores and reads rows.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "daemon/common/time.hpp"

namespace strongroom::store {

class Connection;

enum class Decision { allow, deny, error };

const char* to_string(Decision d) noexcept;
std::optional<Decision> decision_from_string(std::string_view text) noexcept;

// What a request leaves in the audit trail, before it is chained.
struct AuditRecord {
    Micros at = 0;
    std::optional<std::int64_t> account_id;
    std::string account;  // name at the time, empty for an unknown caller
    std::uint32_t uid = 0;
    std::int32_t pid = 0;
    std::string request;  // operation name
    std::string object;   // what it acted on, e.g. "account:alice"
    Decision decision = Decision::deny;
    std::string reason;  // which rule allowed or refused it

    // Filled by the audit module (not stored): a digest of the fields above,
    // computed on the thread that submits a complete record, so that the
    // writer thread only chains it.
    std::optional<std::array<std::uint8_t, 32>> content_digest;
};

using Mac = std::array<std::uint8_t, 32>;

struct AuditRow {
    std::int64_t seq = 0;
    AuditRecord record;
    Mac mac{};
};

// What `audit log` asks for; unset fields match everything.
struct AuditFilter {
    std::int64_t after = 0;  // entries with a higher sequence number
    std::optional<Micros> since;
    std::optional<Micros> until;  // exclusive
    std::optional<std::string> account;
    std::optional<std::string> object;  // a whole word of the object, e.g. "record:12"
    std::optional<std::string> request;
    std::optional<std::string> decision;
    std::size_t limit = 100;
};

class AuditRepository {
public:
    explicit AuditRepository(Connection& conn) : conn_(conn) {}

    void append(const AuditRow& row);
    // Appends rows in order, many per statement.
    void append_many(std::span<const AuditRow> rows);
    // The newest row's sequence number and MAC, if any.
    std::optional<std::pair<std::int64_t, Mac>> head();
    std::int64_t count();
    // Rows with seq >= from in order, until the callback returns false.
    void scan(std::int64_t from, const std::function<bool(const AuditRow&)>& visit);
    // The same over [from, to).
    void scan_range(std::int64_t from, std::int64_t to,
                    const std::function<bool(const AuditRow&)>& visit);
    // The stored MAC of one entry.
    std::optional<Mac> mac_of(std::int64_t seq);
    // Reads of records (show, get, release.issue) matching a filter (its
    // request and object fields ignored), oldest first.
    std::vector<AuditRow> reads(const AuditFilter& filter);
    // Entries matching a filter, oldest first.
    std::vector<AuditRow> search(const AuditFilter& filter);

private:
    Connection& conn_;
};

}  // namespace strongroom::store
