#include "daemon/retention/schedule.hpp"

#include <chrono>

#include <fmt/format.h>

namespace strongroom::retention {
namespace {

using namespace std::chrono;

constexpr Micros kDay = 86400LL * 1000000;

sys_days day_of(Micros at) {
    return floor<days>(sys_time<microseconds>{microseconds{at}});
}

Micros micros_of(sys_days d) {
    return duration_cast<microseconds>(d.time_since_epoch()).count();
}

std::string date(Micros at) {
    return format_date(at);
}

}  // namespace

std::optional<Period> parse_period(std::string_view text) {
    if (text.size() < 2 || text.size() > 5) {
        return std::nullopt;
    }
    const char unit = text.back();
    if (unit != 'y' && unit != 'm' && unit != 'w' && unit != 'd') {
        return std::nullopt;
    }
    int count = 0;
    for (const char c : text.substr(0, text.size() - 1)) {
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
        count = count * 10 + (c - '0');
    }
    if (count < 1 || count > 1200) {
        return std::nullopt;
    }
    return Period{count, unit};
}

std::string to_string(const Period& p) {
    return fmt::format("{}{}", p.count, p.unit);
}

Micros add_period(Micros at, const Period& p) {
    const auto day = day_of(at);
    if (p.unit == 'd' || p.unit == 'w') {
        return micros_of(day) + static_cast<Micros>(p.count) * (p.unit == 'w' ? 7 : 1) * kDay;
    }
    const year_month_day ymd{day};
    const int add_months = p.unit == 'y' ? 12 * p.count : p.count;
    const auto ym = year_month{ymd.year(), ymd.month()} + months{add_months};
    const auto last = year_month_day_last{ym.year(), month_day_last{ym.month()}}.day();
    const auto d = ymd.day() > last ? last : ymd.day();
    return micros_of(sys_days{year_month_day{ym.year(), ym.month(), d}});
}

Micros destroy_bound(const Period& p, Micros as_of) {
    // The first day whose date plus p is after as_of; add_period depends on
    // the day alone and never decreases, so a binary search over days finds it.
    const Micros today = day_of(as_of).time_since_epoch().count();
    Micros lo = today - 1300 * 366;
    Micros hi = today + 1;
    while (lo < hi) {
        const auto mid = lo + (hi - lo) / 2;
        if (add_period(mid * kDay, p) > as_of) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    return lo * kDay;
}

std::string_view to_string(Disposition d) {
    return d == Disposition::permanent ? "permanent" : "destroy";
}

std::string_view to_string(Action a) {
    switch (a) {
        case Action::destroy:
            return "destroy";
        case Action::transfer:
            return "transfer";
        case Action::review:
            return "review";
    }
    return "review";
}

std::optional<std::string> invalid(const Schedule& s) {
    if (s.type.empty() || s.type.size() > 64) {
        return "a record type is 1 to 64 characters";
    }
    for (const char c : s.type) {
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
            return fmt::format("record type \"{}\": use lower-case letters, digits and '-'",
                               s.type);
        }
    }
    if (s.disposition == Disposition::destroy && !s.destroy_after) {
        return "a schedule that destroys needs the period after cut-off (--destroy-after)";
    }
    if (s.disposition == Disposition::permanent && s.destroy_after) {
        return "a permanent schedule has no destruction period";
    }
    if (s.disposition == Disposition::destroy && s.transfer) {
        return "only permanent records are transferred to the archives";
    }
    if (s.review_first_year && !s.review) {
        return "a first-year review interval needs the review interval after it";
    }
    return std::nullopt;
}

std::vector<Schedule> built_in_schedules() {
    const Period year{1, 'y'};
    const Period half{6, 'm'};
    const Period quarter{3, 'm'};
    std::vector<Schedule> out;
    out.push_back({"intelligence-product", Disposition::permanent, std::nullopt, true, std::nullopt,
                   std::nullopt});
    for (const char* t : {"information-requirement", "acquisition-plan"}) {
        out.push_back({t, Disposition::permanent, std::nullopt, false, year, std::nullopt});
    }
    for (const char* t : {"mission-concept", "component-concept", "mission-plan"}) {
        out.push_back({t, Disposition::permanent, std::nullopt, false, half, quarter});
    }
    out.push_back(
        {"raw-acquisition-data", Disposition::destroy, year, false, std::nullopt, std::nullopt});
    out.push_back(
        {"source-personal-data", Disposition::destroy, half, false, std::nullopt, std::nullopt});
    return out;
}

Micros transfer_point(Micros as_of) {
    const year_month_day ymd{day_of(as_of)};
    const auto m = ymd.month() >= July ? July : January;
    return micros_of(sys_days{year_month_day{ymd.year(), m, day{1}}});
}

std::vector<Due> due(const Schedule& s, const RecordDates& r, Micros as_of, Micros mission_start) {
    std::vector<Due> out;
    if (s.disposition == Disposition::destroy && s.destroy_after) {
        const auto at = add_period(r.dated, *s.destroy_after);
        if (at <= as_of) {
            out.push_back({Action::destroy, at,
                           fmt::format("{}: destroyed {} after cut-off (dated {}), due {}", s.type,
                                       to_string(*s.destroy_after), date(r.dated), date(at))});
        }
    } else if (s.transfer) {
        const auto point = transfer_point(as_of);
        if (r.dated < point) {
            out.push_back(
                {Action::transfer, point,
                 fmt::format("{}: permanent, transferred twice a year; dated {}, before the "
                             "transfer point {}",
                             s.type, date(r.dated), date(point))});
        }
    }
    if (s.review) {
        const Micros from = r.reviewed ? *r.reviewed : r.entered;
        auto interval = *s.review;
        auto at = add_period(from, interval);
        // Within the mission's first year a shorter interval applies.
        if (s.review_first_year) {
            const auto first = add_period(from, *s.review_first_year);
            if (first < add_period(mission_start, Period{1, 'y'})) {
                interval = *s.review_first_year;
                at = first;
            }
        }
        if (at <= as_of) {
            out.push_back(
                {Action::review, at,
                 fmt::format("{}: reviewed every {}; {} {}, due {}", s.type, to_string(interval),
                             r.reviewed ? "last reviewed" : "entered", date(from), date(at))});
        }
    }
    return out;
}

}  // namespace strongroom::retention
