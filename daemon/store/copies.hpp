// Numbered copies of records (duplication control): issue, close, list.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "daemon/common/time.hpp"

namespace strongroom::store {

class Connection;

struct CopyRow {
    std::int64_t record_id = 0;
    std::int64_t number = 0;
    std::int64_t holder = 0;
    std::string purpose;
    Micros issued_at = 0;
    std::uint64_t fingerprint = 0;
    std::string state = "outstanding";
    std::optional<Micros> closed_at;
    std::optional<std::int64_t> closed_by;
    std::optional<std::int64_t> release_id;
};

class CopyRepository {
public:
    explicit CopyRepository(Connection& conn) : conn_(conn) {}

    // The number the next copy of a record gets (numbers are never reused).
    std::int64_t next_number(std::int64_t record_id);
    std::int64_t outstanding(std::int64_t record_id);
    bool fingerprint_taken(std::uint64_t fingerprint);
    void insert(const CopyRow& row);
    std::optional<CopyRow> find(std::int64_t record_id, std::int64_t number);
    std::optional<CopyRow> find_by_fingerprint(std::uint64_t fingerprint);
    // Closes an outstanding copy; false if it was not outstanding.
    bool close(std::int64_t record_id, std::int64_t number, const std::string& state, Micros at,
               std::int64_t by);
    std::vector<CopyRow> of_record(std::int64_t record_id);
    // Copies issued in [since, until), by holder then time.
    std::vector<CopyRow> issued_between(Micros since, Micros until);
    // Every outstanding copy, by holder, oldest first.
    std::vector<CopyRow> all_outstanding();

private:
    Connection& conn_;
};

}  // namespace strongroom::store
