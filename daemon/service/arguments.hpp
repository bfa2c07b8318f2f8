// Reading the arguments every kind of handler shares: names, levels and the
// last day of something dated. Each records its problem in the ArgReader,
// which reports the first one at finish(). Internal to the service.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "daemon/common/error.hpp"
#include "daemon/common/time.hpp"
#include "daemon/policy/clearance.hpp"
#include "daemon/protocol/args.hpp"

namespace strongroom::service {

// A required name of an account, post or compartment (what: for the message).
std::string checked_name(protocol::ArgReader& args, std::string_view key, std::string_view what);

// A required level, by any of its accepted spellings.
policy::Level checked_level(protocol::ArgReader& args, std::string_view key);

// An optional "YYYY-MM-DD" naming the last day something holds: its text, its
// start, and the exclusive end (the start of the next day, UTC).
struct LastDay {
    std::optional<std::string> text;
    std::optional<Micros> start;
    std::optional<Micros> end;
};
LastDay optional_last_day(protocol::ArgReader& args, std::string_view key);

struct Context;

// The one argument of a request about one object: its id under `key` (and
// no other argument). Once read, the audit entry names the object "KIND:ID".
std::optional<Error> sole_id(Context& ctx, std::string_view key, std::string_view kind,
                             std::int64_t& id);

}  // namespace strongroom::service
