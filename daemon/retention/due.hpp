// What the retention schedules make due in the store (DESIGN §2 rules 9 and
// 10): the schedules as stored, the legal holds in force, the records due
// for destruction, transfer or review and why, and what blocks a record's
// disposal. The calendar arithmetic itself is schedule.hpp (pure); this part
// reads the store and writes nothing.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "daemon/common/states.hpp"
#include "daemon/common/time.hpp"
#include "daemon/retention/schedule.hpp"
#include "daemon/store/connection.hpp"
#include "daemon/store/records.hpp"
#include "daemon/store/retention.hpp"

namespace strongroom::retention {

Schedule to_schedule(const store::ScheduleRow& row);

// "destroy 1y after cut-off, review 6m (3m in the mission's first year)"
std::string describe(const Schedule& s);

// The mission's holds in force, by record and by type.
struct Holds {
    std::map<std::int64_t, std::vector<std::string>> by_record;
    std::map<std::string, std::vector<std::string>> by_type;

    explicit Holds(store::RetentionRepository& repo);
    // The names of the holds on a record of a type.
    std::vector<std::string> on(std::int64_t record, const std::string& type) const;
};

// Why a record may not be disposed of now (not held, under a legal hold,
// copies outstanding), or none.
std::optional<std::string> disposal_blocker(store::Connection& conn, const Holds& holds,
                                            const store::RecordRow& r);

// A held record due for an action, and why.
struct DueRecord {
    std::int64_t id = 0;
    std::string type;
    std::string why;
};
// The held records due for an action (destroy or transfer) as of a time, by
// type, then date.
std::vector<DueRecord> due_for(store::Connection& conn, Micros as_of, Action action);

// The held records due for an action that a new batch of `kind` may take:
// at most `limit`, the others free of blockers counted as left, and each
// blocked one named with its reason (a hold, copies out, an open batch).
struct Blocked {
    std::int64_t record = 0;
    std::string reason;
};
struct DueChoice {
    std::vector<store::RecordRow> rows;
    std::vector<std::string> why;
    std::vector<Blocked> blockers;
    std::size_t left = 0;
};
DueChoice choose_due(store::Connection& conn, Micros as_of, Action action, BatchKind kind,
                     std::uint64_t limit);

// Where a page of what is due ends: "TYPE/DATED/ID".
struct DueCursor {
    std::string type;
    Micros dated = INT64_MIN;
    std::int64_t id = 0;
};
std::optional<DueCursor> parse_cursor(const std::string& text);
std::string to_text(const DueCursor& c);

// Per record type with held records: its schedule and the counts of records
// held, due for destruction or transfer and for review, on hold and overdue.
struct TypeDue {
    std::string type;
    std::string schedule;  // describe()
    std::int64_t held = 0;
    bool destroys = false;      // the disposal count is of destruction, else of transfer
    std::int64_t disposal = 0;  // due for destruction or transfer
    std::int64_t reviews = 0;
    std::int64_t on_hold = 0;
    std::int64_t overdue = 0;
};
struct Unscheduled {
    std::string type;
    std::int64_t held = 0;
};
// One thing due for one record.
struct DueItem {
    std::int64_t record = 0;
    std::string type;
    Action action = Action::destroy;
    Micros since = 0;
    bool overdue = false;
    std::string why;
    std::vector<std::string> holds;
};
struct DuePage {
    std::vector<TypeDue> types;
    std::vector<Unscheduled> unscheduled;
    std::vector<DueItem> items;
    std::optional<DueCursor> next;  // where the next page starts, if there is more
};
// What is due as of a time: per type, the counts; and a page of the items
// due after the cursor, records taken until `limit` items are reached (none
// when limit is 0). A record's items are never split between pages.
DuePage compute_due(store::Connection& conn, Micros as_of, const std::optional<DueCursor>& cursor,
                    std::uint64_t limit);

}  // namespace strongroom::retention
