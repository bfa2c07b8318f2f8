// libFuzzer target for dates and durations: parse_date (daemon/common/time)
// and the retention periods parse_period (daemon/retention/schedule).
//
// The whole input is tried as a date and as a period. Invariants:
//   - an accepted date is the start of a UTC day, format_date() writes the
//     text back exactly, and the next day's text parses to a day later;
//   - an accepted period has 1..1200 units of y, m, w or d, to_string()
//     parses back to it, and add_period() moves forward to the start of a
//     day and never decreases as its start grows.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "daemon/common/time.hpp"
#include "daemon/retention/schedule.hpp"
#include "tests/fuzz/fuzz_util.hpp"

namespace {

using strongroom::Micros;
using strongroom::fuzz::broken;
constexpr Micros kDay = 86400LL * 1000000LL;

void check_date(std::string_view text) {
    const auto day = strongroom::parse_date(text);
    if (!day) {
        return;
    }
    if (*day % kDay != 0) {
        broken("fuzz_dates", "a date is the start of a UTC day");
    }
    if (strongroom::format_date(*day) != text) {
        broken("fuzz_dates", "format_date(parse_date(t)) == t");
    }
    const auto next = strongroom::format_date(*day + kDay);
    const auto parsed_next = strongroom::parse_date(next);
    if (parsed_next && *parsed_next != *day + kDay) {
        broken("fuzz_dates", "the next day's text parses to a day later");
    }
}

void check_period(std::string_view text) {
    namespace retention = strongroom::retention;
    const auto p = retention::parse_period(text);
    if (!p) {
        return;
    }
    if (p->count < 1 || p->count > 1200 ||
        std::string_view("ymwd").find(p->unit) == std::string_view::npos) {
        broken("fuzz_dates", "a period has 1..1200 units of y, m, w or d");
    }
    const auto back = retention::parse_period(retention::to_string(*p));
    if (!back || !(*back == *p)) {
        broken("fuzz_dates", "parse_period(to_string(p)) == p");
    }
    // Some moments around today, the epoch and a leap day, in order.
    const Micros moments[] = {0,
                              kDay - 1,
                              951782400LL * 1000000LL,      // 2000-02-29
                              951868800LL * 1000000LL - 1,  // the end of it
                              1798675200LL * 1000000LL,     // 2027-01-01
                              1798675200LL * 1000000LL + 12345};
    Micros previous = 0;
    for (std::size_t i = 0; i < std::size(moments); ++i) {
        const auto at = moments[i];
        const auto later = retention::add_period(at, *p);
        if (later <= at - at % kDay || later % kDay != 0) {
            broken("fuzz_dates", "add_period() gives the start of a later day");
        }
        if (i > 0 && later < previous) {
            broken("fuzz_dates", "add_period() never decreases as its start grows");
        }
        previous = later;
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto text = strongroom::fuzz::text_of(data, size);
    check_date(text);
    check_period(text);
    return 0;
}
