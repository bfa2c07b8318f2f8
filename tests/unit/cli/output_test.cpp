// What the tools print for people: every value through one escaping
// function, so that no control character, C1, DEL or bidirectional control
// another account stored reaches a terminal; and JSON that stays exact.
#include <sstream>
#include <string>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include "admin-tools/cli/cli.hpp"

namespace strongroom::cli {
namespace {

namespace json = boost::json;

const std::string kEvil = "Fuel \x1b]0;owned\x07 convoy\xe2\x80\xaegnp.exe\nID  forged\xc2\x9b";

// None of the raw controls of kEvil (line feeds too, unless lines are expected).
void expect_no_raw_controls(const std::string& s, bool lines = false) {
    for (const char* raw : {"\x1b", "\x07", "\xe2\x80\xae", "\xc2\x9b"}) {
        EXPECT_EQ(s.find(raw), std::string::npos) << s;
    }
    if (!lines) {
        EXPECT_EQ(s.find('\n'), std::string::npos) << s;
    }
}

TEST(Shown, EscapesControlsAndKeepsTheRest) {
    // Verifies that shown() writes controls, C1, bidirectional controls and bytes that are not
    // UTF-8 as visible escapes, leaves other text alone, and that show() does it to JSON values.
    EXPECT_EQ(shown(kEvil), "Fuel \\x1b]0;owned\\x07 convoy\\u202egnp.exe\\nID  forged\\u009b");
    EXPECT_EQ(shown("caf\xc3\xa9 \\ \xff"), "caf\xc3\xa9 \\ \\xff");
    EXPECT_EQ(shown(shown(kEvil)), shown(kEvil));
    EXPECT_EQ(shown_lines("line 1\nline\x1b 2\n"), "line 1\nline\\x1b 2\n");
    EXPECT_EQ(show(json::value(kEvil)), shown(kEvil));
    EXPECT_EQ(show(json::parse(R"(["a\u001b", "b"])")), "a\\x1b, b");
    // Deciding still sees the exact text.
    EXPECT_EQ(text(json::value(kEvil)), kEvil);
}

TEST(Shown, TablesAndFieldsEscapeEveryCell) {
    // Verifies that print_table and print_fields escape every header, key and cell, so a value
    // can neither forge a row nor send an escape sequence, and still line up.
    std::ostringstream table;
    print_table(table, {"ID", "TITLE"}, {{"1", kEvil}, {"2", "plain"}});
    expect_no_raw_controls(table.str(), true);
    EXPECT_EQ(table.str(), "ID  TITLE\n1   " + shown(kEvil) + "\n2   plain\n");
    std::ostringstream fields;
    print_fields(fields, {{"title", kEvil}, {"id", "1"}});
    EXPECT_EQ(fields.str(), "title: " + shown(kEvil) + "\nid:    1\n");
}

TEST(JsonText, IsTheSameJsonWithNoRawControl) {
    // Verifies that json_text writes the controls the serializer leaves raw (C1, DEL, U+202E) as
    // \u escapes too, so the document parses to exactly the same value and holds no raw control.
    json::object doc{{"title", kEvil + "\x7f\xe2\x80\xa8"}, {"n", 7}};
    const auto out = json_text(doc);
    expect_no_raw_controls(out);
    EXPECT_EQ(out.find("\x7f"), std::string::npos) << out;
    EXPECT_NE(out.find("\\u202e"), std::string::npos) << out;
    EXPECT_NE(out.find("\\u009b"), std::string::npos) << out;
    EXPECT_EQ(json::parse(out), json::value(doc));
}

}  // namespace
}  // namespace strongroom::cli
