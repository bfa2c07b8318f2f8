// Retention schedules and what they make due (DESIGN.md §2 rule 9). Pure:
// the caller supplies the records' dates and the time "as of".
//
// A record type is either permanent (kept, and transferred to the archives
// at the transfer points, 1 January and 1 July, if its schedule says so) or
// destroyed a set period after its cut-off (the record's date). Either may
// be reviewed at an interval, counted from its entry into the registry or
// its last review; mission planning documents are reviewed more often in the
// mission's first year.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/common/time.hpp"

namespace strongroom::retention {

// A calendar period: "1y", "6m", "2w", "90d" (1 to 1200 units).
struct Period {
    int count = 0;
    char unit = 'd';  // y, m, w or d

    bool operator==(const Period&) const = default;
};

std::optional<Period> parse_period(std::string_view text);
std::string to_string(const Period& p);
// The start of the day (UTC) p after the day holding `at`: a month after
// 31 January is the last day of February. Never decreases as `at` grows.
Micros add_period(Micros at, const Period& p);

enum class Disposition { permanent, destroy };
std::string_view to_string(Disposition d);

struct Schedule {
    std::string type;
    Disposition disposition = Disposition::permanent;
    std::optional<Period> destroy_after;      // destroy: the period after cut-off
    bool transfer = false;                    // permanent: transferred at each transfer point
    std::optional<Period> review;             // review interval
    std::optional<Period> review_first_year;  // ... within the mission's first year, if shorter

    bool operator==(const Schedule&) const = default;
};

// Checks a schedule's consistency; the message names what is wrong.
std::optional<std::string> invalid(const Schedule& s);

// The built-in schedules (the mission's defaults, overridable).
std::vector<Schedule> built_in_schedules();

// The latest transfer point (00:00 UTC on 1 January or 1 July) at or before as_of.
Micros transfer_point(Micros as_of);

enum class Action { destroy, transfer, review };
std::string_view to_string(Action a);

struct RecordDates {
    Micros dated = 0;                // the cut-off
    Micros entered = 0;              // entry into the registry
    std::optional<Micros> reviewed;  // the last review
};

struct Due {
    Action action = Action::review;
    Micros since = 0;  // due from this time
    std::string why;
};

// A record is overdue when it has been due this long.
constexpr Micros kOverdueAfter = 30LL * 86400 * 1000000;

// Records dated before this are due for destruction p after their cut-off,
// as of `as_of` (the same decision as due(), for a count by index range).
Micros destroy_bound(const Period& p, Micros as_of);

// What the schedule makes due for a record as of a time: at most one of
// destroy or transfer, and a review.
std::vector<Due> due(const Schedule& s, const RecordDates& r, Micros as_of, Micros mission_start);

}  // namespace strongroom::retention
