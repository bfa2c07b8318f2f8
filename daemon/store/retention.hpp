// Retention in the database: schedules, reviews, legal holds, and the
// records retention due sweeps over.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/common/time.hpp"

namespace strongroom::store {

class Connection;

struct ScheduleRow {
    std::string type;
    std::string disposition;  // permanent | destroy
    std::optional<std::string> destroy_after;
    bool transfer = false;
    std::optional<std::string> review;
    std::optional<std::string> review_first_year;
    Micros changed_at = 0;
    std::optional<std::int64_t> changed_by;  // nullopt: built in
    std::optional<std::int64_t> approved_by;
};

struct HoldRow {
    std::int64_t id = 0;
    std::string name;
    std::string reason;
    std::optional<std::string> type;    // a hold on every record of a type
    std::vector<std::int64_t> records;  // or on these records
    std::int64_t placed_by = 0;
    Micros placed_at = 0;
    std::optional<std::int64_t> released_by;
    std::optional<Micros> released_at;
};

// What the sweep needs of a held record.
struct HeldRecord {
    std::int64_t id = 0;
    Micros dated = 0;
    Micros created_at = 0;
    std::optional<Micros> reviewed;  // the last review
};

class RetentionRepository {
public:
    explicit RetentionRepository(Connection& conn) : conn_(conn) {}

    std::vector<ScheduleRow> schedules();
    std::optional<ScheduleRow> schedule(std::string_view type);
    // Inserts or replaces the schedule of row.type.
    void put_schedule(const ScheduleRow& row);
    // Adds the schedule unless its type has one; true if added.
    bool add_missing_schedule(const ScheduleRow& row);

    // Record types of held records, with their counts.
    std::vector<std::pair<std::string, std::int64_t>> held_types();
    // How many held records of a type are dated before a time.
    std::int64_t count_held(std::string_view type, Micros dated_before);
    // The held records of a type dated before `dated_before`, in (dated, id)
    // order from just after `from` (dated, id); until each returns false.
    void held_records(std::string_view type, std::pair<Micros, std::int64_t> from,
                      Micros dated_before, bool with_reviews,
                      const std::function<bool(const HeldRecord&)>& each);

    void add_review(std::int64_t record_id, Micros at, std::int64_t by, std::string_view note);
    std::optional<Micros> last_review(std::int64_t record_id);

    std::int64_t insert_hold(const HoldRow& row);
    std::optional<HoldRow> hold_in_force(std::string_view name);
    void release_hold(std::int64_t id, std::int64_t by, Micros at);
    std::vector<HoldRow> holds_in_force();
    // The names of the holds in force on a record of a type.
    std::vector<std::string> holds_on(std::int64_t record_id, std::string_view type);

    // The time of the first account (init): the mission's start.
    Micros mission_start();

private:
    Connection& conn_;
};

}  // namespace strongroom::store
