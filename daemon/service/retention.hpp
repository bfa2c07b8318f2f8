// Retention pieces shared by the service's retention and disposal handlers.
// Internal to the service.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "daemon/common/error.hpp"
#include "daemon/common/time.hpp"
#include "daemon/retention/due.hpp"
#include "daemon/retention/schedule.hpp"
#include "daemon/store/records.hpp"
#include "daemon/store/retention.hpp"

namespace strongroom::store {
class Connection;
}
namespace strongroom::crypto {
class KeyVault;
}

namespace strongroom::service {

struct Context;

using retention::choose_due;
using retention::describe;
using retention::disposal_blocker;
using retention::DueChoice;
using retention::Holds;
using retention::to_schedule;

// Per record type with held records: its schedule and the counts of records
// held, due for destruction or transfer and review, on hold and overdue.
boost::json::array retention_summary(store::Connection& conn, Micros as_of);

// [{"record", "reason"}] of the records a new batch could not take.
boost::json::array blockers_json(const std::vector<retention::Blocked>& blockers);

// The arguments of a new batch (disposal propose, transfer prepare): the
// as-of time (the end of the day given, never later than now) and how many
// records it takes at most (default_limit when not given, at most 100000).
// what names the act in the refusal of a later day ("a disposal is
// proposed").
struct BatchRequest {
    Micros as_of = 0;
    std::uint64_t limit = 0;
};
Result<BatchRequest> batch_request(Context& ctx, std::uint64_t default_limit,
                                   std::string_view what);

// Disposes of records in a batch (state destroyed or transferred): removes
// each one's text from the index, its key and its content, then merges the
// index and has the log truncated after the commit. Returns the certificate's
// record lines.
Result<std::string> dispose_records(Context& ctx, std::int64_t batch,
                                    const std::vector<store::RecordRow>& rows, RecordState state);

// A transfer batch (state prepared) of rows with its signed transfer list;
// returns its id.
std::int64_t create_transfer_batch(Context& ctx, const std::vector<store::RecordRow>& rows,
                                   const std::vector<std::string>& why, Micros as_of);
// A transfer batch as the tool writes it into a bag.
Result<boost::json::object> transfer_package(Context& ctx, std::int64_t batch);

// Executes an approved disposal batch: {"batch", "destroyed", "unrecoverable_after",
// "certificate"}.
Result<boost::json::object> execute_disposal(Context& ctx, std::int64_t batch);
// Confirms a prepared transfer batch with the archives' receipt: {"batch",
// "transferred", "receipt", "certificate"}.
Result<boost::json::object> confirm_transfer(Context& ctx, std::int64_t batch,
                                             const std::string& receipt);

// body + "signature: BASE64\n", signed with the strongroom's Ed25519 key.
std::string sign_document(const Context& ctx, const std::string& body);

}  // namespace strongroom::service
