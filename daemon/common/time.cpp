#include "daemon/common/time.hpp"

#include <charconv>

#include <fmt/format.h>

namespace strongroom {

Micros now_micros() noexcept {
    using namespace std::chrono;
    return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

std::string format_timestamp(Micros at) {
    using namespace std::chrono;
    const sys_time<microseconds> tp{microseconds{at}};
    const auto day = floor<days>(tp);
    const year_month_day ymd{day};
    const hh_mm_ss hms{floor<seconds>(tp - day)};
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", static_cast<int>(ymd.year()),
                       static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                       hms.hours().count(), hms.minutes().count(), hms.seconds().count());
}

std::optional<Micros> parse_date(std::string_view text) {
    if (text.size() != 10 || text[4] != '-' || text[7] != '-') {
        return std::nullopt;
    }
    auto number = [&](std::size_t pos, std::size_t len) -> std::optional<int> {
        int v = 0;
        const char* first = text.data() + pos;
        const char* last = first + len;
        for (const char* p = first; p != last; ++p) {
            if (*p < '0' || *p > '9') {
                return std::nullopt;
            }
        }
        auto [ptr, ec] = std::from_chars(first, last, v);
        if (ec != std::errc{} || ptr != last) {
            return std::nullopt;
        }
        return v;
    };
    const auto y = number(0, 4);
    const auto m = number(5, 2);
    const auto d = number(8, 2);
    if (!y || !m || !d) {
        return std::nullopt;
    }
    using namespace std::chrono;
    const year_month_day ymd{year{*y}, month{static_cast<unsigned>(*m)},
                             day{static_cast<unsigned>(*d)}};
    if (!ymd.ok()) {
        return std::nullopt;
    }
    const sys_days sd{ymd};
    return duration_cast<microseconds>(sd.time_since_epoch()).count();
}

}  // namespace strongroom
