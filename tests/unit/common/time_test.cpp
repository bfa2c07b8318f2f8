// Unit tests of the time helpers: format_timestamp and parse_date (CLI.md dates).
#include "daemon/common/time.hpp"

#include <cstdint>
#include <string>

#include <gtest/gtest.h>

namespace strongroom {
namespace {

constexpr Micros kSecond = 1'000'000;

// Seconds since the epoch of some dates, computed independently (Python's
// calendar.timegm) rather than with the code under test.
constexpr std::int64_t k2000_02_29 = 951782400;
constexpr std::int64_t k2024_02_29 = 1709164800;
constexpr std::int64_t k2026_11_21 = 1795219200;
constexpr std::int64_t k1969_12_31 = -86400;
constexpr std::int64_t k9999_12_31 = 253402214400;

TEST(FormatTimestamp, Epoch) {
    // Verifies that microsecond 0 is written as the Unix epoch in UTC with a Z suffix.
    EXPECT_EQ(format_timestamp(0), "1970-01-01T00:00:00Z");
}

TEST(FormatTimestamp, KnownInstantTruncatesToSeconds) {
    // Verifies that a known instant is written to the second, dropping (not rounding) microseconds.
    const Micros at = (k2026_11_21 + 23 * 3600 + 40 * 60 + 44) * kSecond;
    EXPECT_EQ(format_timestamp(at), "2026-11-21T23:40:44Z");
    EXPECT_EQ(format_timestamp(at + 999'999), "2026-11-21T23:40:44Z");
    EXPECT_EQ(format_timestamp(at + kSecond), "2026-11-21T23:40:45Z");
}

TEST(FormatTimestamp, LeapDayAndPadding) {
    // Verifies that a leap day and single-digit fields are written zero-padded.
    EXPECT_EQ(format_timestamp((k2000_02_29 + 3 * 3600 + 4 * 60 + 5) * kSecond),
              "2000-02-29T03:04:05Z");
}

TEST(FormatTimestamp, BeforeTheEpoch) {
    // Verifies that instants before 1970 are written as the second they fall in, not rounded
    // towards zero.
    EXPECT_EQ(format_timestamp(-1), "1969-12-31T23:59:59Z");
    EXPECT_EQ(format_timestamp(-kSecond), "1969-12-31T23:59:59Z");
    EXPECT_EQ(format_timestamp(k1969_12_31 * kSecond), "1969-12-31T00:00:00Z");
}

TEST(FormatTimestamp, EndOfDay) {
    // Verifies that the last second of a day stays on that day.
    EXPECT_EQ(format_timestamp((k2026_11_21 + 86399) * kSecond + 999'999), "2026-11-21T23:59:59Z");
}

TEST(ParseDate, ValidDatesGiveMidnightUtc) {
    // Verifies that valid dates, including leap days, give the microsecond at the start of the day
    // in UTC.
    EXPECT_EQ(parse_date("1970-01-01"), Micros{0});
    EXPECT_EQ(parse_date("2000-02-29"), k2000_02_29 * kSecond);
    EXPECT_EQ(parse_date("2024-02-29"), k2024_02_29 * kSecond);
    EXPECT_EQ(parse_date("2026-11-21"), k2026_11_21 * kSecond);
    EXPECT_EQ(parse_date("1969-12-31"), k1969_12_31 * kSecond);
    EXPECT_EQ(parse_date("9999-12-31"), k9999_12_31 * kSecond);
}

TEST(ParseDate, RoundTripsThroughFormatTimestamp) {
    // Verifies that formatting a parsed date gives back the same date at midnight.
    for (const char* date :
         {"1970-01-01", "1999-12-31", "2000-02-29", "2026-01-31", "2026-12-01"}) {
        const auto at = parse_date(date);
        ASSERT_TRUE(at.has_value()) << date;
        EXPECT_EQ(format_timestamp(*at), std::string(date) + "T00:00:00Z");
    }
}

TEST(ParseDate, ImpossibleDatesAreRefused) {
    // Verifies that well-formed but impossible dates are refused rather than rolled over.
    for (const char* date : {"2026-02-30", "2026-02-29", "1900-02-29", "2100-02-29", "2026-04-31",
                             "2026-06-31", "2026-09-31", "2026-11-31", "2026-13-01", "2026-00-10",
                             "2026-01-00", "2026-01-32", "2026-99-99"}) {
        EXPECT_FALSE(parse_date(date).has_value()) << date;
    }
}

TEST(ParseDate, WrongFormatsAreRefused) {
    // Verifies that anything but exactly YYYY-MM-DD is refused: other separators, widths, signs,
    // spaces, times.
    for (const char* text : {"",
                             "2026",
                             "2026-01",
                             "2026-1-05",
                             "2026-01-5",
                             "26-01-05",
                             "02026-01-05",
                             "2026/01/05",
                             "2026.01.05",
                             "20260105",
                             "2026-01-05T00:00:00Z",
                             "2026-01-05 ",
                             " 2026-01-05",
                             "+026-01-05",
                             "-026-01-05",
                             "2026-+1-05",
                             "2026--1-05",
                             "2026-01-+5",
                             "2026-01-0x",
                             "2o26-01-05",
                             "2026_01_05",
                             "05-01-2026",
                             "2026-01-05\n"}) {
        EXPECT_FALSE(parse_date(text).has_value()) << '"' << text << '"';
    }
}

TEST(ParseDate, EmbeddedNulIsRefused) {
    // Verifies that a NUL byte inside the ten characters is refused, not taken as the end of the
    // text.
    using namespace std::string_view_literals;
    EXPECT_FALSE(parse_date("2026-01-0\0"sv).has_value());
    EXPECT_FALSE(parse_date("2026-01-05\0"sv).has_value());
}

TEST(NowMicros, IsCurrentAndMicrosecondResolution) {
    // Verifies that now_micros() is in microseconds since the epoch (not seconds or nanoseconds).
    const Micros now = now_micros();
    const auto sys = std::chrono::duration_cast<std::chrono::microseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    EXPECT_LE(now, sys);
    EXPECT_GT(now, sys - 60 * kSecond);
}

TEST(ClockOffset, ParsesSignedCountsOfSecondsMinutesHoursAndDays) {
    EXPECT_EQ(parse_clock_offset("+3d"), 3 * 86400 * kSecond);
    EXPECT_EQ(parse_clock_offset("-2h\n"), -2 * 3600 * kSecond);
    EXPECT_EQ(parse_clock_offset(" +90m "), 90 * 60 * kSecond);
    EXPECT_EQ(parse_clock_offset("+30s"), 30 * kSecond);
    EXPECT_EQ(parse_clock_offset("0"), Micros{0});
}

TEST(ClockOffset, RefusesAnythingElse) {
    for (const char* bad : {"", "3d", "+d", "+3", "+3w", "++3d", "+-3d", "+3.5d", "+3 d",
                            "+99999999d", "+ 3d", "tomorrow"}) {
        EXPECT_FALSE(parse_clock_offset(bad).has_value()) << bad;
    }
}

TEST(ClockOffset, MovesTheDaemonsClockAndNothingElse) {
    const Micros before = now_micros();
    set_clock_offset(5 * 86400 * kSecond);
    const Micros moved = now_micros();
    set_clock_offset(0);
    EXPECT_GE(moved - before, 5 * 86400 * kSecond);
    EXPECT_LT(moved - before, 5 * 86400 * kSecond + 60 * kSecond);
    EXPECT_EQ(clock_offset(), Micros{0});
    EXPECT_LT(now_micros() - before, 60 * kSecond);
}

}  // namespace
}  // namespace strongroom
