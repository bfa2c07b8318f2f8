// Unit tests of the error codes (the CLI.md contract) and of Result/Status.
#include "daemon/common/error.hpp"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace strongroom {
namespace {

struct CodeRow {
    ErrorCode code;
    const char* name;
    int exit;
};

// CLI.md, "Common to both tools": exit status, code string. Written out here
// independently of error.cpp so that a change to either side is caught.
constexpr CodeRow kContract[] = {
    {ErrorCode::internal, "internal", 1}, {ErrorCode::bad_request, "bad_request", 2},
    {ErrorCode::denied, "denied", 3},     {ErrorCode::not_found, "not_found", 4},
    {ErrorCode::conflict, "conflict", 5}, {ErrorCode::unavailable, "unavailable", 6},
};

TEST(ErrorCode, StringsAndExitStatusesMatchTheCliContract) {
    // Verifies that every code has the string and exit status of CLI.md's table.
    for (const auto& row : kContract) {
        SCOPED_TRACE(row.name);
        EXPECT_EQ(to_string(row.code), row.name);
        EXPECT_EQ(exit_status(row.code), row.exit);
        const auto back = error_code_from_string(row.name);
        ASSERT_TRUE(back.has_value());
        EXPECT_EQ(*back, row.code);
    }
}

TEST(ErrorCode, ExitStatusesAreDistinctAndNeverSuccess) {
    // Verifies that no code exits 0 and no two codes share an exit status, so scripts can tell them
    // apart.
    std::vector<int> seen;
    for (const auto& row : kContract) {
        const int status = exit_status(row.code);
        EXPECT_NE(status, 0) << row.name;
        for (int s : seen) {
            EXPECT_NE(s, status) << row.name;
        }
        seen.push_back(status);
    }
}

TEST(ErrorCode, UnknownStringsAreRefused) {
    // Verifies that only the exact lower-case code strings are recognised.
    for (const char* text : {"", "ok", "Denied", "DENIED", "bad-request", "bad_request ",
                             " internal", "not found", "unavailable\n"}) {
        EXPECT_FALSE(error_code_from_string(text).has_value()) << '"' << text << '"';
    }
}

TEST(ErrorCode, OutOfRangeValueMapsToInternal) {
    // Verifies that a value outside the enum (a bug) is reported as internal with exit 1, not as
    // success.
    const auto bogus = static_cast<ErrorCode>(99);
    EXPECT_EQ(to_string(bogus), "internal");
    EXPECT_EQ(exit_status(bogus), 1);
}

TEST(Result, HoldsAValue) {
    // Verifies that a Result built from a value is ok and gives the value back by every accessor.
    Result<std::string> r = std::string("alice");
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(static_cast<bool>(r));
    EXPECT_EQ(r.value(), "alice");
    EXPECT_EQ(*r, "alice");
    EXPECT_EQ(r->size(), 5U);
    r.value() += "!";
    EXPECT_EQ(*r, "alice!");
    const Result<std::string>& cr = r;
    EXPECT_EQ(cr.value(), "alice!");
    EXPECT_EQ(cr->size(), 6U);
}

TEST(Result, HoldsAnError) {
    // Verifies that a Result built from an Error is not ok and keeps the code and message.
    const Result<int> r = make_error(ErrorCode::not_found, "no record R-7");
    EXPECT_FALSE(r.ok());
    EXPECT_FALSE(static_cast<bool>(r));
    EXPECT_EQ(r.error().code, ErrorCode::not_found);
    EXPECT_EQ(r.error().message, "no record R-7");
}

TEST(Result, MovesOutValueAndErrorOfMoveOnlyTypes) {
    // Verifies that value and error can be moved out of an rvalue Result, so move-only values work.
    Result<std::unique_ptr<int>> r = std::make_unique<int>(42);
    ASSERT_TRUE(r.ok());
    std::unique_ptr<int> p = std::move(r).value();
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(*p, 42);

    Result<std::unique_ptr<int>> e = make_error(ErrorCode::conflict, "held");
    Error err = std::move(e).error();
    EXPECT_EQ(err.code, ErrorCode::conflict);
    EXPECT_EQ(err.message, "held");
}

TEST(Status, DefaultIsSuccessAndErrorIsKept) {
    // Verifies that a default Status is ok and one built from an Error reports that error.
    const Status ok;
    EXPECT_TRUE(ok.ok());
    EXPECT_TRUE(static_cast<bool>(ok));

    Status bad = make_error(ErrorCode::denied, "uid 1001 has no account");
    EXPECT_FALSE(bad.ok());
    EXPECT_FALSE(static_cast<bool>(bad));
    EXPECT_EQ(bad.error().code, ErrorCode::denied);
    EXPECT_EQ(bad.error().message, "uid 1001 has no account");
    const Error moved = std::move(bad).error();
    EXPECT_EQ(moved.message, "uid 1001 has no account");
}

TEST(Error, DefaultIsInternal) {
    // Verifies that an Error nobody filled in is reported as internal, never as a softer code.
    const Error e;
    EXPECT_EQ(e.code, ErrorCode::internal);
    EXPECT_TRUE(e.message.empty());
}

}  // namespace
}  // namespace strongroom
