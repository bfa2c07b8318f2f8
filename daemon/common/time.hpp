// Time as the daemon records it: microseconds since the Unix epoch, UTC.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace strongroom {

using Clock = std::chrono::system_clock;
using Micros = std::int64_t;  // microseconds since 1970-01-01T00:00:00Z

Micros now_micros() noexcept;

// "2026-11-21T23:40:44Z" (seconds precision, UTC).
std::string format_timestamp(Micros at);
// "YYYY-MM-DD" of the UTC day holding `at`.
std::string format_date(Micros at);

// Parses a calendar date "YYYY-MM-DD" (CLI.md) into the microsecond at its
// start, UTC. Rejects anything else, including impossible dates.
std::optional<Micros> parse_date(std::string_view text);

}  // namespace strongroom
