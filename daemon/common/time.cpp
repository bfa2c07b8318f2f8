#include "daemon/common/time.hpp"

#include <atomic>
#include <charconv>

#include <fmt/format.h>

namespace strongroom {

namespace {
std::atomic<Micros> g_offset{0};
}  // namespace

Micros now_micros() noexcept {
    using namespace std::chrono;
    return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count() +
           g_offset.load(std::memory_order_relaxed);
}

void set_clock_offset(Micros offset) noexcept {
    g_offset.store(offset, std::memory_order_relaxed);
}

Micros clock_offset() noexcept {
    return g_offset.load(std::memory_order_relaxed);
}

std::optional<Micros> parse_clock_offset(std::string_view text) {
    auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
    while (!text.empty() && blank(text.front())) {
        text.remove_prefix(1);
    }
    while (!text.empty() && blank(text.back())) {
        text.remove_suffix(1);
    }
    if (text == "0") {
        return Micros{0};
    }
    if (text.size() < 3 || (text.front() != '+' && text.front() != '-')) {
        return std::nullopt;
    }
    const bool ahead = text.front() == '+';
    Micros unit = 0;
    switch (text.back()) {
        case 's':
            unit = 1000000;
            break;
        case 'm':
            unit = 60LL * 1000000;
            break;
        case 'h':
            unit = 3600LL * 1000000;
            break;
        case 'd':
            unit = 86400LL * 1000000;
            break;
        default:
            return std::nullopt;
    }
    const std::string_view digits = text.substr(1, text.size() - 2);
    std::int64_t n = 0;
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if (ec != std::errc{} || ptr != digits.data() + digits.size() || n < 0 ||
        digits.front() == '+' || n > 36600LL * 86400LL * 1000000 / unit) {
        return std::nullopt;
    }
    return ahead ? n * unit : -n * unit;
}

std::string format_date(Micros at) {
    return format_timestamp(at).substr(0, 10);
}

std::string format_timestamp(Micros at) {
    using namespace std::chrono;
    const sys_time<microseconds> tp{microseconds{at}};
    const auto day = floor<days>(tp);
    const year_month_day ymd{day};
    const hh_mm_ss hms{floor<seconds>(tp - day)};
    // Written digit by digit: this is on the path of every answer that
    // carries a time, and a formatting library call costs more than the rest.
    char buf[20] = "0000-00-00T00:00:00";
    auto put = [&buf](std::size_t pos, long value, std::size_t width) {
        for (std::size_t i = 0; i < width; ++i) {
            buf[pos + width - 1 - i] = static_cast<char>('0' + value % 10);
            value /= 10;
        }
    };
    const int year = static_cast<int>(ymd.year());
    if (year < 0 || year > 9999) {
        return fmt::format("{}Z", at);  // outside the calendar the format can show
    }
    put(0, year, 4);
    put(5, static_cast<long>(static_cast<unsigned>(ymd.month())), 2);
    put(8, static_cast<long>(static_cast<unsigned>(ymd.day())), 2);
    put(11, hms.hours().count(), 2);
    put(14, hms.minutes().count(), 2);
    put(17, hms.seconds().count(), 2);
    std::string out(buf, 19);
    out.push_back('Z');
    return out;
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
