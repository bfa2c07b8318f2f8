// Retention pieces shared by the service's retention and disposal handlers.
// Internal to the service.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "daemon/common/time.hpp"
#include "daemon/retention/schedule.hpp"
#include "daemon/store/retention.hpp"

namespace strongroom::store {
class Connection;
}

namespace strongroom::service {

retention::Schedule to_schedule(const store::ScheduleRow& row);

// "destroy 1y after cut-off, review 6m (3m in the mission's first year)"
std::string describe(const retention::Schedule& s);

// The mission's holds in force, by record and by type.
struct Holds {
    std::map<std::int64_t, std::vector<std::string>> by_record;
    std::map<std::string, std::vector<std::string>> by_type;

    explicit Holds(store::RetentionRepository& repo);
    // The names of the holds on a record of a type.
    std::vector<std::string> on(std::int64_t record, const std::string& type) const;
};

// A held record due for destruction, and why.
struct DueRecord {
    std::int64_t id = 0;
    std::string type;
    std::string why;
};
std::vector<DueRecord> due_for_destruction(store::Connection& conn, Micros as_of);

}  // namespace strongroom::service
