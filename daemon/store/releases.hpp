// Releases outside the mission (rule 6): request, approval, issue.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "daemon/common/time.hpp"

namespace strongroom::store {

class Connection;

struct ReleaseRow {
    std::int64_t id = 0;
    std::int64_t record_id = 0;
    std::int64_t requested_by = 0;
    std::string entity;
    std::string entity_kind;
    std::string justification;
    std::string arrangement;
    std::string hrddp;
    Micros requested_at = 0;
    std::string state = "requested";
    std::optional<std::int64_t> approved_by;
    std::optional<Micros> approved_at;
    std::optional<std::string> authority;
    std::string reference;
};

class ReleaseRepository {
public:
    explicit ReleaseRepository(Connection& conn) : conn_(conn) {}

    std::int64_t insert(const ReleaseRow& row);
    std::optional<ReleaseRow> find(std::int64_t id);
    // requested → approved; false if it was not waiting for approval.
    bool approve(std::int64_t id, std::int64_t by, Micros at, const std::string& authority,
                 const std::string& reference);
    // approved → issued; false if it was not approved.
    bool mark_issued(std::int64_t id);
    std::vector<ReleaseRow> of_record(std::int64_t record_id);
    // Requests in a state, oldest first (all states when empty).
    std::vector<ReleaseRow> in_state(const std::string& state);

private:
    Connection& conn_;
};

}  // namespace strongroom::store
