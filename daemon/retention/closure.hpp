// Mission closure (DESIGN §2 rules 9-11): one registrar prepares it, a
// second approves it; it transfers every permanent record to the archives
// and destroys all the rest, and is complete only when nothing is held here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "daemon/common/error.hpp"
#include "daemon/common/time.hpp"
#include "daemon/policy/duties.hpp"
#include "daemon/store/connection.hpp"
#include "daemon/store/disposal.hpp"
#include "daemon/store/records.hpp"

namespace strongroom::retention {

// A closure, or not_found ("no closure 3").
Result<store::ClosureRow> find_closure(store::Connection& conn, std::int64_t id);

// What a closure would do now: every held record of a permanent type to be
// transferred (with why), every other one destroyed. Refused (conflict)
// while a closure is open or any held record may not be disposed of (a
// hold, copies out, an open batch); `why` then counts them.
struct ClosurePlan {
    std::vector<store::RecordRow> permanent;
    std::vector<std::string> why_permanent;
    std::vector<store::RecordRow> rest;
};
Result<ClosurePlan> plan_closure(store::Connection& conn, std::string& why);

// Approves a prepared closure (and its disposal batch) by a registrar other
// than the one who prepared it.
Result<store::ClosureRow> approve_closure(store::Connection& conn, std::int64_t id, std::int64_t by,
                                          const policy::Approver& approver, Micros at,
                                          std::string& why);

// A closure that may be completed now: approved, not complete, with the
// archives' receipt when it transfers, and every held record in its batches.
Result<store::ClosureRow> closure_to_complete(store::Connection& conn, std::int64_t id,
                                              const std::optional<std::string>& receipt);

}  // namespace strongroom::retention
