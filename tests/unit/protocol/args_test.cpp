// Unit tests of ArgReader: required and optional fields, types, limits,
// unknown fields, the first error kept, and fail().
#include "daemon/protocol/args.hpp"

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace strongroom::protocol {
namespace {

namespace json = boost::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

json::object args(const char* text) {
    return json::parse(text).as_object();
}

// The message of the error finish() reports, or "" (with a failure) when none.
std::string finish_message(const ArgReader& r) {
    const auto err = r.finish();
    EXPECT_TRUE(err.has_value());
    if (!err) {
        return {};
    }
    EXPECT_EQ(err->code, ErrorCode::bad_request);
    return err->message;
}

TEST(ArgReader, ReadsEveryKindOfField) {
    // Verifies that each accessor returns the value present and that finish() then reports nothing.
    const auto a = args(R"({"name": "alice", "uid": 1001, "note": "n", "limit": 5,)"
                        R"( "force": true, "roles": ["officer", "registrar"]})");
    ArgReader r(a);
    EXPECT_EQ(r.required_string("name", 64), "alice");
    EXPECT_EQ(r.required_uint("uid", 4294967294U), 1001U);
    EXPECT_EQ(r.optional_string("note", 10), "n");
    EXPECT_EQ(r.optional_uint("limit", 10), 5U);
    EXPECT_TRUE(r.optional_bool("force", false));
    EXPECT_THAT(r.string_list("roles", 3, 32), ElementsAre("officer", "registrar"));
    EXPECT_FALSE(r.finish().has_value());
}

TEST(ArgReader, UintListsAreCheckedItemByItem) {
    const auto a = args(R"({"records": [3, 1, 2]})");
    ArgReader ok(a);
    EXPECT_THAT(ok.uint_list("records", 3, 10), ElementsAre(3U, 1U, 2U));
    EXPECT_FALSE(ok.finish().has_value());
    const auto empty = args("{}");
    ArgReader absent(empty);
    EXPECT_TRUE(absent.uint_list("records", 3, 10).empty());
    ArgReader too_many(a);
    too_many.uint_list("records", 2, 10);
    EXPECT_THAT(finish_message(too_many), HasSubstr("more than 2 items"));
    ArgReader too_large(a);
    too_large.uint_list("records", 3, 2);
    EXPECT_THAT(finish_message(too_large), HasSubstr("integers from 0 to 2"));
    const auto minus = args(R"({"records": [1, -1]})");
    ArgReader negative(minus);
    negative.uint_list("records", 3, 10);
    EXPECT_THAT(finish_message(negative), HasSubstr("records"));
    const auto text = args(R"({"records": "1"})");
    ArgReader not_list(text);
    not_list.uint_list("records", 3, 10);
    EXPECT_THAT(finish_message(not_list), HasSubstr("an array of non-negative integers"));
}

TEST(ArgReader, AbsentOptionalFieldsGiveDefaults) {
    // Verifies that absent optional fields give nullopt, the fallback or an empty list, with no
    // error.
    const json::object a;
    ArgReader r(a);
    EXPECT_FALSE(r.optional_string("note", 10).has_value());
    EXPECT_FALSE(r.optional_uint("limit", 10).has_value());
    EXPECT_TRUE(r.optional_bool("force", true));
    EXPECT_FALSE(r.optional_bool("dry", false));
    EXPECT_TRUE(r.string_list("roles", 3, 32).empty());
    EXPECT_FALSE(r.finish().has_value());
}

TEST(ArgReader, MissingRequiredFieldsAreReported) {
    // Verifies that a missing required string or integer is reported by name.
    const json::object a;
    {
        ArgReader r(a);
        EXPECT_EQ(r.required_string("name", 64), "");
        EXPECT_THAT(finish_message(r), HasSubstr("missing argument \"name\""));
    }
    {
        ArgReader r(a);
        EXPECT_EQ(r.required_uint("uid", 10), 0U);
        EXPECT_THAT(finish_message(r), HasSubstr("missing argument \"uid\""));
    }
}

TEST(ArgReader, WrongTypesAreReported) {
    // Verifies that a present field of the wrong type (null included) is an error naming the field.
    struct Case {
        const char* json;
        void (*read)(ArgReader&);
        const char* expected;
    };
    const Case cases[] = {
        {R"({"f": 1})", [](ArgReader& r) { (void)r.required_string("f", 9); }, "a string"},
        {R"({"f": null})", [](ArgReader& r) { (void)r.required_string("f", 9); }, "a string"},
        {R"({"f": ["a"]})", [](ArgReader& r) { (void)r.optional_string("f", 9); }, "a string"},
        {R"({"f": "1"})", [](ArgReader& r) { (void)r.required_uint("f", 9); }, "non-negative"},
        {R"({"f": -1})", [](ArgReader& r) { (void)r.required_uint("f", 9); }, "non-negative"},
        {R"({"f": 1.0})", [](ArgReader& r) { (void)r.optional_uint("f", 9); }, "non-negative"},
        {R"({"f": true})", [](ArgReader& r) { (void)r.optional_uint("f", 9); }, "non-negative"},
        {R"({"f": 1})", [](ArgReader& r) { (void)r.optional_bool("f", false); }, "true or false"},
        {R"({"f": "true"})", [](ArgReader& r) { (void)r.optional_bool("f", false); },
         "true or false"},
        {R"({"f": "a"})", [](ArgReader& r) { (void)r.string_list("f", 3, 9); }, "an array"},
        {R"({"f": {}})", [](ArgReader& r) { (void)r.string_list("f", 3, 9); }, "an array"},
        {R"({"f": ["a", 1]})", [](ArgReader& r) { (void)r.string_list("f", 3, 9); }, "an array"},
        {R"({"f": [null]})", [](ArgReader& r) { (void)r.string_list("f", 3, 9); }, "an array"},
    };
    for (const auto& c : cases) {
        const auto a = args(c.json);
        ArgReader r(a);
        c.read(r);
        const std::string msg = finish_message(r);
        EXPECT_THAT(msg, HasSubstr("\"f\"")) << c.json;
        EXPECT_THAT(msg, HasSubstr(c.expected)) << c.json;
    }
}

TEST(ArgReader, WrongTypeGivesEmptyValues) {
    // Verifies that a wrongly typed field never leaks a value: accessors return empty or the
    // fallback.
    const auto a = args(R"({"s": 5, "b": "yes"})");
    ArgReader r(a);
    EXPECT_EQ(r.required_string("s", 9), "");
    ArgReader r2(a);
    EXPECT_TRUE(r2.optional_bool("b", true));
    EXPECT_TRUE(r2.finish().has_value());
}

TEST(ArgReader, StringLengthLimitIsInclusiveAndInBytes) {
    // Verifies that a string of exactly max_bytes bytes is accepted and one byte more refused,
    // counting UTF-8 bytes.
    const auto a = args(R"({"ok": "abcd", "long": "abcde", "utf": "\u00e9\u00e9\u00e9"})");
    {
        ArgReader r(a);
        EXPECT_EQ(r.required_string("ok", 4), "abcd");
        (void)r.optional_string("long", 5);
        (void)r.optional_string("utf", 6);
        EXPECT_FALSE(r.finish().has_value());
    }
    {
        ArgReader r(a);
        EXPECT_FALSE(r.optional_string("long", 4).has_value());
        EXPECT_THAT(finish_message(r), HasSubstr("\"long\" is longer than 4 bytes"));
    }
    {
        ArgReader r(a);
        EXPECT_EQ(r.required_string("utf", 5), "");
        EXPECT_THAT(finish_message(r), HasSubstr("\"utf\" is longer than 5 bytes"));
    }
}

TEST(ArgReader, IntegerLimitIsInclusive) {
    // Verifies that an integer equal to max is accepted, max+1 refused, and the full uint64 range
    // is readable.
    const auto a = args(R"({"n": 10, "m": 11, "z": 0, "big": 18446744073709551615})");
    {
        ArgReader r(a);
        EXPECT_EQ(r.required_uint("n", 10), 10U);
        EXPECT_EQ(r.required_uint("z", 0), 0U);
        EXPECT_EQ(r.required_uint("big", std::numeric_limits<std::uint64_t>::max()),
                  std::numeric_limits<std::uint64_t>::max());
        (void)r.optional_uint("m", 11);
        EXPECT_FALSE(r.finish().has_value());
    }
    {
        ArgReader r(a);
        EXPECT_FALSE(r.optional_uint("m", 10).has_value());
        EXPECT_THAT(finish_message(r), HasSubstr("\"m\" is larger than 10"));
    }
    {
        ArgReader r(a);
        EXPECT_EQ(r.required_uint("big", 4294967294U), 0U);
        EXPECT_THAT(finish_message(r), HasSubstr("\"big\" is larger than 4294967294"));
    }
}

TEST(ArgReader, ListLimits) {
    // Verifies that a list may hold exactly max_items items of at most max_bytes, and no more.
    const auto a = args(R"({"three": ["a", "b", "c"], "wide": ["abc", "abcd"], "none": []})");
    {
        ArgReader r(a);
        EXPECT_THAT(r.string_list("three", 3, 1), ElementsAre("a", "b", "c"));
        EXPECT_THAT(r.string_list("wide", 2, 4), ElementsAre("abc", "abcd"));
        EXPECT_TRUE(r.string_list("none", 0, 0).empty());
        EXPECT_FALSE(r.finish().has_value());
    }
    {
        ArgReader r(a);
        EXPECT_TRUE(r.string_list("three", 2, 1).empty());
        EXPECT_THAT(finish_message(r), HasSubstr("\"three\" has more than 2 items"));
    }
    {
        ArgReader r(a);
        EXPECT_TRUE(r.string_list("wide", 2, 3).empty());
        EXPECT_THAT(finish_message(r), HasSubstr("at most 3 bytes"));
    }
}

TEST(ArgReader, UnknownFieldsAreErrors) {
    // Verifies that a field nobody read makes finish() fail, naming it printably.
    const auto a = args(R"({"name": "alice", "admin": true})");
    ArgReader r(a);
    EXPECT_EQ(r.required_string("name", 64), "alice");
    EXPECT_THAT(finish_message(r), HasSubstr("unknown argument \"admin\""));

    const auto b = args(R"({"x\ny\u001b[1m": 1})");
    ArgReader rb(b);
    const std::string msg = finish_message(rb);
    EXPECT_THAT(msg, HasSubstr("unknown argument \"x?y?[1m\""));
    EXPECT_EQ(msg.find('\n'), std::string::npos);
}

TEST(ArgReader, ReadingAnAbsentOptionalFieldDoesNotExcuseAnotherOne) {
    // Verifies that only the fields actually read count as known: a similar name does not.
    const auto a = args(R"({"Name": "alice"})");
    ArgReader r(a);
    EXPECT_FALSE(r.optional_string("name", 64).has_value());
    EXPECT_THAT(finish_message(r), HasSubstr("unknown argument \"Name\""));
}

TEST(ArgReader, FirstErrorIsKept) {
    // Verifies that after a first problem, later problems do not replace it and later reads return
    // nothing.
    const auto a = args(R"({"uid": "x", "name": "alice", "limit": 99})");
    ArgReader r(a);
    EXPECT_EQ(r.required_string("missing", 64), "");          // first problem
    EXPECT_EQ(r.required_uint("uid", 10), 0U);                // wrong type, not reported
    EXPECT_FALSE(r.optional_string("name", 64).has_value());  // fine, but reading has stopped
    EXPECT_FALSE(r.optional_uint("limit", 10).has_value());   // too large, not reported
    EXPECT_TRUE(r.string_list("other", 3, 3).empty());
    r.fail(make_error(ErrorCode::conflict, "later"));
    const std::string msg = finish_message(r);
    EXPECT_THAT(msg, HasSubstr("missing argument \"missing\""));
}

TEST(ArgReader, ErrorBeatsUnknownField) {
    // Verifies that a real problem is reported in preference to an unread field, and fields read
    // after it are not called unknown.
    const auto a = args(R"({"uid": -5, "name": "alice"})");
    ArgReader r(a);
    (void)r.required_uint("uid", 10);
    (void)r.required_string("name", 64);
    EXPECT_THAT(finish_message(r), HasSubstr("\"uid\" must be a non-negative integer"));
}

TEST(ArgReader, FailRecordsTheCallersError) {
    // Verifies that fail() is reported by finish() with its own code, unless an earlier problem
    // exists.
    const auto a = args(R"({"name": "-bad-"})");
    {
        ArgReader r(a);
        EXPECT_EQ(r.required_string("name", 64), "-bad-");
        r.fail(make_error(ErrorCode::conflict, "name is not valid"));
        r.fail(make_error(ErrorCode::denied, "second"));
        const auto err = r.finish();
        ASSERT_TRUE(err.has_value());
        EXPECT_EQ(err->code, ErrorCode::conflict);
        EXPECT_EQ(err->message, "name is not valid");
    }
    {
        const json::object empty;
        ArgReader r(empty);
        (void)r.required_string("name", 64);
        r.fail(make_error(ErrorCode::conflict, "later"));
        EXPECT_THAT(finish_message(r), HasSubstr("missing argument \"name\""));
    }
}

}  // namespace
}  // namespace strongroom::protocol
