#include "daemon/retention/schedule.hpp"

#include <gtest/gtest.h>

namespace strongroom::retention {
namespace {

Micros at(const char* d) {
    return *parse_date(d);
}

Schedule schedule_of(std::string_view type) {
    for (auto& s : built_in_schedules()) {
        if (s.type == type) {
            return s;
        }
    }
    ADD_FAILURE() << "no built-in schedule " << type;
    return {};
}

TEST(Period, ParsesCountAndUnit) {
    EXPECT_EQ(parse_period("1y"), (Period{1, 'y'}));
    EXPECT_EQ(parse_period("6m"), (Period{6, 'm'}));
    EXPECT_EQ(parse_period("2w"), (Period{2, 'w'}));
    EXPECT_EQ(parse_period("1200d"), (Period{1200, 'd'}));
    for (const char* bad : {"", "y", "0d", "1201d", "1x", "-1d", "1.5y", "12345y", "1 y", "1Y"}) {
        EXPECT_FALSE(parse_period(bad)) << bad;
    }
    EXPECT_EQ(to_string(Period{6, 'm'}), "6m");
}

TEST(Period, AddsInTheCalendar) {
    EXPECT_EQ(add_period(at("2025-01-31"), {1, 'm'}), at("2025-02-28"));
    EXPECT_EQ(add_period(at("2024-01-31"), {1, 'm'}), at("2024-02-29"));
    EXPECT_EQ(add_period(at("2024-02-29"), {1, 'y'}), at("2025-02-28"));
    EXPECT_EQ(add_period(at("2025-08-31"), {6, 'm'}), at("2026-02-28"));
    EXPECT_EQ(add_period(at("2025-11-15"), {3, 'm'}), at("2026-02-15"));
    EXPECT_EQ(add_period(at("2025-12-30"), {2, 'w'}), at("2026-01-13"));
    EXPECT_EQ(add_period(at("2025-12-30"), {3, 'd'}), at("2026-01-02"));
    // Counted from the start of the day.
    EXPECT_EQ(add_period(at("2025-03-01") + 3600, {1, 'y'}), at("2026-03-01"));
    EXPECT_EQ(add_period(at("2025-03-01") + 3600, {1, 'd'}), at("2025-03-02"));
}

TEST(Period, TheDestroyBoundAgreesWithDueForEveryDay) {
    const auto s = schedule_of("source-personal-data");
    for (const char* as_of : {"2026-08-30", "2026-08-31", "2026-03-01", "2024-02-29"}) {
        const auto bound = destroy_bound(*s.destroy_after, at(as_of) + 5);
        for (Micros d = at(as_of) - 400LL * 86400000000; d < at(as_of); d += 86400000000LL / 2) {
            const bool is_due = !due(s, {d, d, std::nullopt}, at(as_of) + 5, 0).empty();
            EXPECT_EQ(is_due, d < bound) << as_of << " " << format_timestamp(d);
        }
    }
}

TEST(Schedule, BuiltInsFollowTheRules) {
    EXPECT_TRUE(schedule_of("intelligence-product").transfer);
    EXPECT_EQ(schedule_of("intelligence-product").disposition, Disposition::permanent);
    EXPECT_EQ(schedule_of("acquisition-plan").review, (Period{1, 'y'}));
    EXPECT_EQ(schedule_of("information-requirement").review, (Period{1, 'y'}));
    for (const char* t : {"mission-concept", "component-concept", "mission-plan"}) {
        EXPECT_EQ(schedule_of(t).review_first_year, (Period{3, 'm'})) << t;
        EXPECT_EQ(schedule_of(t).review, (Period{6, 'm'})) << t;
    }
    EXPECT_EQ(schedule_of("raw-acquisition-data").destroy_after, (Period{1, 'y'}));
    EXPECT_EQ(schedule_of("source-personal-data").destroy_after, (Period{6, 'm'}));
    for (const auto& s : built_in_schedules()) {
        EXPECT_FALSE(invalid(s)) << s.type << ": " << *invalid(s);
    }
}

TEST(Schedule, InconsistentSchedulesAreNamed) {
    Schedule s{"raw-acquisition-data", Disposition::destroy, std::nullopt, false,
               std::nullopt,           std::nullopt};
    EXPECT_NE(invalid(s)->find("--destroy-after"), std::string::npos);
    s.destroy_after = Period{1, 'y'};
    s.transfer = true;
    EXPECT_NE(invalid(s)->find("only permanent"), std::string::npos);
    s.transfer = false;
    s.type = "Raw Data";
    EXPECT_NE(invalid(s)->find("lower-case"), std::string::npos);
    s.type = "raw";
    s.review_first_year = Period{3, 'm'};
    EXPECT_NE(invalid(s)->find("first-year"), std::string::npos);
}

TEST(Due, DestructionIsDueThePeriodAfterCutOff) {
    const auto s = schedule_of("raw-acquisition-data");
    const RecordDates r{at("2024-11-01"), at("2024-11-02"), std::nullopt};
    EXPECT_TRUE(due(s, r, at("2025-10-31"), at("2024-01-01")).empty());
    const auto d = due(s, r, at("2025-11-01"), at("2024-01-01"));
    ASSERT_EQ(d.size(), 1U);
    EXPECT_EQ(d[0].action, Action::destroy);
    EXPECT_EQ(d[0].since, at("2025-11-01"));
    EXPECT_EQ(d[0].why,
              "raw-acquisition-data: destroyed 1y after cut-off (dated 2024-11-01), due "
              "2025-11-01");
}

TEST(Due, PermanentRecordsAreDueForTransferAtEachTransferPoint) {
    EXPECT_EQ(transfer_point(at("2026-11-22")), at("2026-07-01"));
    EXPECT_EQ(transfer_point(at("2026-07-01")), at("2026-07-01"));
    EXPECT_EQ(transfer_point(at("2026-06-30")), at("2026-01-01"));
    const auto s = schedule_of("intelligence-product");
    const RecordDates before{at("2026-06-30"), at("2026-06-30"), std::nullopt};
    const RecordDates after{at("2026-07-01"), at("2026-07-01"), std::nullopt};
    const auto d = due(s, before, at("2026-11-22"), at("2025-01-01"));
    ASSERT_EQ(d.size(), 1U);
    EXPECT_EQ(d[0].action, Action::transfer);
    EXPECT_EQ(d[0].since, at("2026-07-01"));
    EXPECT_TRUE(due(s, after, at("2026-11-22"), at("2025-01-01")).empty());
    // A permanent type without transfer is never due for transfer or destruction.
    EXPECT_TRUE(
        due(schedule_of("acquisition-plan"), before, at("2026-11-22"), at("2026-06-01")).empty());
}

TEST(Due, ReviewsCountFromEntryOrTheLastReview) {
    const auto s = schedule_of("acquisition-plan");
    RecordDates r{at("2024-01-01"), at("2025-03-01"), std::nullopt};
    EXPECT_TRUE(due(s, r, at("2026-02-28"), at("2020-01-01")).empty());
    auto d = due(s, r, at("2026-03-01"), at("2020-01-01"));
    ASSERT_EQ(d.size(), 1U);
    EXPECT_EQ(d[0].action, Action::review);
    EXPECT_NE(d[0].why.find("entered 2025-03-01"), std::string::npos) << d[0].why;
    r.reviewed = at("2026-02-01");
    EXPECT_TRUE(due(s, r, at("2026-03-01"), at("2020-01-01")).empty());
    d = due(s, r, at("2027-02-01"), at("2020-01-01"));
    ASSERT_EQ(d.size(), 1U);
    EXPECT_NE(d[0].why.find("last reviewed 2026-02-01"), std::string::npos) << d[0].why;
}

TEST(Due, MissionPlanningIsReviewedQuarterlyInTheFirstYear) {
    const auto s = schedule_of("mission-plan");
    const auto start = at("2026-01-01");
    const RecordDates early{at("2026-02-01"), at("2026-02-01"), std::nullopt};
    auto d = due(s, early, at("2026-05-01"), start);
    ASSERT_EQ(d.size(), 1U);
    EXPECT_NE(d[0].why.find("every 3m"), std::string::npos) << d[0].why;
    // Entered late in the first year: the next review falls after it, every 6 months.
    const RecordDates late{at("2026-11-01"), at("2026-11-01"), std::nullopt};
    EXPECT_TRUE(due(s, late, at("2027-02-01"), start).empty());
    d = due(s, late, at("2027-05-01"), start);
    ASSERT_EQ(d.size(), 1U);
    EXPECT_NE(d[0].why.find("every 6m"), std::string::npos) << d[0].why;
}

}  // namespace
}  // namespace strongroom::retention
