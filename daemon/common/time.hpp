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

// The daemon's clock: the system's, plus the development offset below.
Micros now_micros() noexcept;

// The development clock (strongroomd --dev with STRONGROOM_DEV_CLOCK): an
// offset added to every time the daemon reads, for trying what happens on a
// later date (an assignment's end, a delegation's expiry, a backup's period)
// without waiting for it. Zero unless set, and only strongroomd's main sets
// it, in --dev mode; monotonic timers are not affected.
void set_clock_offset(Micros offset) noexcept;
Micros clock_offset() noexcept;

// "+3d", "-2h", "+90m", "+30s", "0" (optional spaces and a final line feed
// around it): an offset for set_clock_offset, in microseconds; nullopt for
// anything else, including offsets beyond 100 years either way.
std::optional<Micros> parse_clock_offset(std::string_view text);

// "2026-11-21T23:40:44Z" (seconds precision, UTC).
std::string format_timestamp(Micros at);
// "YYYY-MM-DD" of the UTC day holding `at`.
std::string format_date(Micros at);

// Parses a calendar date "YYYY-MM-DD" (CLI.md) into the microsecond at its
// start, UTC. Rejects anything else, including impossible dates.
std::optional<Micros> parse_date(std::string_view text);

}  // namespace strongroom
