// Unit tests of ArgReader: required and optional fields, types, limits,
// unknown fields, the first error kept, and fail().
#include "daemon/protocol/args.hpp"

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/array.hpp>
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

// Every class of character a one-line field refuses, as JSON escapes, with
// the code point the message names.
struct Refused {
    const char* json;  // inside a JSON string
    const char* code;
};
constexpr Refused kRefused[] = {
    {"\\u0000", "U+0000"}, {"\\u0007", "U+0007"}, {"\\t", "U+0009"},     {"\\n", "U+000A"},
    {"\\r", "U+000D"},     {"\\u001b", "U+001B"}, {"\\u001f", "U+001F"}, {"\\u007f", "U+007F"},
    {"\\u0080", "U+0080"}, {"\\u0085", "U+0085"}, {"\\u009b", "U+009B"}, {"\\u009f", "U+009F"},
    {"\\u061c", "U+061C"}, {"\\u200e", "U+200E"}, {"\\u200f", "U+200F"}, {"\\u2028", "U+2028"},
    {"\\u2029", "U+2029"}, {"\\u202a", "U+202A"}, {"\\u202b", "U+202B"}, {"\\u202c", "U+202C"},
    {"\\u202d", "U+202D"}, {"\\u202e", "U+202E"}, {"\\u2066", "U+2066"}, {"\\u2067", "U+2067"},
    {"\\u2068", "U+2068"}, {"\\u2069", "U+2069"}};

TEST(ArgReader, OneLineStringsRefuseEveryControlCharacterNamingTheArgument) {
    // Verifies that required_string and optional_string refuse C0 (NUL, TAB, LF and CR
    // included), DEL, C1, the line separators and the bidirectional controls, with bad_request
    // naming the argument and the code point, and return nothing.
    for (const auto& bad : kRefused) {
        const auto a = json::parse(std::string(R"({"title": "Patrol)") + bad.json +
                                   R"(report", "note": "x)" + bad.json + R"("})")
                           .as_object();
        ArgReader r(a);
        EXPECT_EQ(r.required_string("title", 500), "") << bad.code;
        EXPECT_EQ(r.optional_string("note", 500), std::nullopt) << bad.code;
        const auto message = finish_message(r);
        EXPECT_THAT(message, HasSubstr("argument \"title\" contains")) << bad.code;
        EXPECT_THAT(message, HasSubstr(std::string("(") + bad.code + ")")) << message;
        EXPECT_THAT(message, HasSubstr("remove it")) << message;
        ArgReader optional(a);
        EXPECT_EQ(optional.optional_string("note", 500), std::nullopt) << bad.code;
        optional.optional_string("title", 500);
        EXPECT_THAT(finish_message(optional), HasSubstr("argument \"note\" contains")) << bad.code;
    }
}

TEST(ArgReader, TheMessageSaysWhatKindOfCharacterItIs) {
    // Verifies that the refusal calls a bidirectional control and a line separator by their kind.
    const auto a = args(R"({"a": "x\u202ey", "b": "x\u2028y", "c": "x\u001by"})");
    ArgReader bidi(a);
    bidi.optional_string("a", 10);
    EXPECT_THAT(finish_message(bidi),
                HasSubstr("argument \"a\" contains a bidirectional control character (U+202E)"));
    ArgReader separator(a);
    separator.optional_string("b", 10);
    EXPECT_THAT(finish_message(separator),
                HasSubstr("argument \"b\" contains a line or paragraph separator (U+2028)"));
    ArgReader control(a);
    control.optional_string("c", 10);
    EXPECT_THAT(finish_message(control),
                HasSubstr("argument \"c\" contains a control character (U+001B); remove it"));
}

TEST(ArgReader, OrdinaryTextOfEveryScriptIsAccepted) {
    // Verifies that printable text is accepted unchanged: punctuation, backslashes, accents,
    // Arabic and Persian (with its zero-width non-joiner), CJK, emoji with a joiner, and the
    // full-width forms.
    const std::vector<std::string> texts{
        "Patrol report, 7(b) \\ \"quoted\" | ~",
        "Rapport de la MINUSMA \xc3\xa0 Gao",
        "\xd8\xaa\xd9\x82\xd8\xb1\xd9\x8a\xd8\xb1",                              // Arabic
        "\xd9\x85\xdb\x8c\xe2\x80\x8c\xd8\xae\xd9\x88\xd8\xa7\xd9\x87\xd9\x85",  // Persian, ZWNJ
        "\xe5\xa0\xb1\xe5\x91\x8a",                                              // CJK
        "\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x9a\x92",                          // emoji + ZWJ
        "\xef\xbc\x9d\xef\xbc\x8b\xef\xbc\x8d\xef\xbc\xa0",                      // full width
        "\xc2\xa0non-breaking\xc2\xa0space"};
    for (const auto& t : texts) {
        json::object a;
        a["title"] = t;
        a["list"] = json::array{json::string(t)};
        ArgReader r(a);
        EXPECT_EQ(r.required_string("title", 500), t);
        EXPECT_THAT(r.string_list("list", 1, 500), ElementsAre(t));
        EXPECT_FALSE(r.finish().has_value()) << t;
    }
}

TEST(ArgReader, StringListsRefuseControlsNamingTheItem) {
    // Verifies that a control character in one item of a list of strings is refused, naming the
    // argument and the item, and that the list is then empty.
    const auto a = args(R"({"to": ["jmac-analyst", "hom\u001b[2J"]})");
    ArgReader r(a);
    EXPECT_TRUE(r.string_list("to", 8, 64).empty());
    EXPECT_THAT(finish_message(r),
                HasSubstr("argument \"to\" (item 2) contains a control character (U+001B)"));
}

TEST(ArgReader, LinesAllowLineFeedsAndTabsButNoOtherControl) {
    // Verifies that required_lines and optional_lines keep LF and TAB but refuse CR, NUL, ESC,
    // C1, the separators and the bidirectional controls, naming the argument.
    const auto ok = args(R"({"justification": "mandate 7(b)\n\tand the request", "note": "a\nb"})");
    ArgReader good(ok);
    EXPECT_EQ(good.required_lines("justification", 2000), "mandate 7(b)\n\tand the request");
    EXPECT_EQ(good.optional_lines("note", 10), "a\nb");
    EXPECT_FALSE(good.finish().has_value());
    for (const auto& bad : kRefused) {
        if (std::string(bad.code) == "U+000A" || std::string(bad.code) == "U+0009") {
            continue;
        }
        const auto a =
            json::parse(std::string(R"({"justification": "line one\n)") + bad.json + R"("})")
                .as_object();
        ArgReader r(a);
        EXPECT_EQ(r.required_lines("justification", 2000), "") << bad.code;
        const auto message = finish_message(r);
        EXPECT_THAT(message, HasSubstr("argument \"justification\" contains")) << bad.code;
        EXPECT_THAT(message, HasSubstr(bad.code)) << message;
        EXPECT_THAT(message, HasSubstr("only line feeds and tabs")) << message;
    }
    // A missing required text is still reported as missing.
    const auto none = args("{}");
    ArgReader missing(none);
    missing.required_lines("justification", 2000);
    EXPECT_THAT(finish_message(missing), HasSubstr("missing argument \"justification\""));
}

TEST(ArgReader, TheLengthLimitIsCheckedBeforeTheCharacters) {
    // Verifies that an over-long string is reported as too long (its content is not examined).
    const auto a = args(R"({"title": "\u001b\u001b\u001b"})");
    ArgReader r(a);
    r.optional_string("title", 2);
    EXPECT_THAT(finish_message(r), HasSubstr("longer than 2 bytes"));
}

}  // namespace
}  // namespace strongroom::protocol
