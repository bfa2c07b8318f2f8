// Unit tests of the text helpers: printable(), is_valid_name(), the control
// characters untrusted text may not carry and their visible escapes.
#include "daemon/common/text.hpp"

#include <string>
#include <string_view>

#include <gtest/gtest.h>

namespace strongroom {
namespace {

using namespace std::string_view_literals;

TEST(Printable, KeepsPrintableAscii) {
    // Verifies that ordinary printable ASCII, including space and punctuation, is copied unchanged.
    EXPECT_EQ(printable("account.add alice ~{}[]\"'\\"), "account.add alice ~{}[]\"'\\");
    EXPECT_EQ(printable(""), "");
}

TEST(Printable, ReplacesControlCharacters) {
    // Verifies that every control character, including newline, escape, NUL and DEL, becomes '?'.
    EXPECT_EQ(printable("a\nb\rc\td\x1b[31me"), "a?b?c?d?[31me");
    EXPECT_EQ(printable("x\0y"sv), "x?y");
    EXPECT_EQ(printable("\x7f"), "?");
    std::string all;
    for (int c = 0; c < 0x20; ++c) {
        all.push_back(static_cast<char>(c));
    }
    EXPECT_EQ(printable(all), std::string(0x20, '?'));
}

TEST(Printable, ReplacesEachNonAsciiByte) {
    // Verifies that bytes above 0x7f (UTF-8 or not) are each replaced by '?', so the output is pure
    // ASCII.
    EXPECT_EQ(printable("caf\xc3\xa9"), "caf??");
    EXPECT_EQ(printable("\xff\x80"), "??");
}

TEST(Printable, TruncatesLongTextWithAnEllipsis) {
    // Verifies that text longer than max_bytes is cut to max_bytes and marked with "...".
    EXPECT_EQ(printable("abcdefgh", 3), "abc...");
    EXPECT_EQ(printable("abc", 3), "abc");
    EXPECT_EQ(printable("abcd", 0), "...");
    EXPECT_EQ(printable("a\nbcdef", 2), "a?...");
}

TEST(Printable, DefaultLimitIsEightyBytes) {
    // Verifies that without an explicit limit at most 80 bytes of input are kept.
    const std::string eighty(80, 'x');
    EXPECT_EQ(printable(eighty), eighty);
    EXPECT_EQ(printable(eighty + "y"), eighty + "...");
}

TEST(IsValidName, AcceptsNamesOfTheDocumentedAlphabet) {
    // Verifies that 1-64 characters of [A-Za-z0-9._-] starting with a letter or digit are accepted.
    for (const char* name : {"a", "Z", "7", "alice", "Alice.Smith", "ops_team-2", "9lives", "a.",
                             "a-", "a_", "x..y"}) {
        EXPECT_TRUE(is_valid_name(name)) << name;
    }
    EXPECT_TRUE(is_valid_name(std::string(64, 'n')));
    EXPECT_TRUE(is_valid_name("a" + std::string(63, '-')));
}

TEST(IsValidName, RefusesEverythingElse) {
    // Verifies that empty, too long, badly started names and names with other characters are
    // refused.
    for (const char* name :
         {"", ".alice", "_alice", "-alice", "al ice", "alice/bob", "alice\n", "al\tice",
          "alic\xc3\xa9", "a:b", "a@b", "a+b", "../etc", "*", "a,b"}) {
        EXPECT_FALSE(is_valid_name(name)) << '"' << name << '"';
    }
    EXPECT_FALSE(is_valid_name(std::string(65, 'n')));
    EXPECT_FALSE(is_valid_name("ab\0c"sv));
}

// Base64 as RFC 4648 writes it (its test vectors), and hex back to bytes.
TEST(Base64, MatchesTheRfcVectorsAndRejectsWhatIsNotBase64) {
    const std::pair<const char*, const char*> vectors[] = {{"", ""},
                                                           {"f", "Zg=="},
                                                           {"fo", "Zm8="},
                                                           {"foo", "Zm9v"},
                                                           {"foob", "Zm9vYg=="},
                                                           {"fooba", "Zm9vYmE="},
                                                           {"foobar", "Zm9vYmFy"}};
    for (const auto& [plain, encoded] : vectors) {
        const std::string p(plain);
        const std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(p.data()),
                                                  p.size());
        EXPECT_EQ(to_base64(bytes), encoded);
        const auto back = from_base64(encoded);
        ASSERT_TRUE(back) << encoded;
        EXPECT_EQ(std::string(back->begin(), back->end()), p);
    }
    for (const char* bad : {"Zg=", "Z===", "Zg==Zg==", "Zm9!", "=Zm9"}) {
        EXPECT_FALSE(from_base64(bad)) << bad;
    }
}

TEST(Hex, RoundTripsAndRejectsOddOrNonHex) {
    const std::vector<std::uint8_t> bytes{0x00, 0x7f, 0xa5, 0xff};
    EXPECT_EQ(from_hex(to_hex(bytes)), bytes);
    EXPECT_EQ(from_hex("007FA5FF"), bytes);
    EXPECT_FALSE(from_hex("abc"));
    EXPECT_FALSE(from_hex("zz"));
}

}  // namespace
}  // namespace strongroom

namespace strongroom {
namespace {

TEST(Utf8Prefix, CompleteTextIsAllValid) {
    const auto r = utf8_prefix("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 ok");
    EXPECT_EQ(r.valid, 17U);
    EXPECT_TRUE(r.incomplete_only);
}

TEST(Utf8Prefix, ACharacterCutAtTheEndMayStillComplete) {
    const std::string euro = "\xe2\x82\xac";
    for (std::size_t cut = 1; cut < euro.size(); ++cut) {
        const auto r = utf8_prefix("ab" + euro.substr(0, cut));
        EXPECT_EQ(r.valid, 2U);
        EXPECT_TRUE(r.incomplete_only) << cut;
    }
}

TEST(Utf8Prefix, InvalidBytesStopThePrefix) {
    const std::string cases[] = {
        std::string("ab\0cd", 5),  // NUL is not text
        "ab\xff",                  // never valid
        "ab\xc0\xaf",              // overlong
        "ab\xe0\x80\xaf",          // overlong
        "ab\xed\xa0\x80",          // surrogate
        "ab\xf4\x90\x80\x80",      // beyond U+10FFFF
        "ab\xc3(",                 // continuation missing
        "ab\xe2\x82",              // (incomplete: checked below)
    };
    for (std::size_t i = 0; i + 1 < std::size(cases); ++i) {
        const auto r = utf8_prefix(cases[i]);
        EXPECT_EQ(r.valid, 2U) << i;
        EXPECT_FALSE(r.incomplete_only) << i;
    }
    EXPECT_TRUE(utf8_prefix(cases[std::size(cases) - 1]).incomplete_only);
    EXPECT_FALSE(utf8_prefix("ab\xe2(").incomplete_only);  // cut, but already wrong
}

// The indexed text of `content` fed in pieces of `piece` bytes.
std::pair<bool, std::string> indexed(const std::string& content, std::size_t max,
                                     std::size_t piece) {
    IndexedText t(max);
    for (std::size_t at = 0; at < content.size(); at += piece) {
        t.feed(std::string_view(content).substr(at, piece));
    }
    const bool is_text = t.finish();
    return {is_text, t.take()};
}

TEST(IndexedText, IsTheSamePrefixWhateverThePieces) {
    // "é" is two bytes, "€" three: the cap falls inside characters.
    std::string content;
    for (int i = 0; i < 50; ++i) {
        content += "ab é € ";
    }
    for (std::size_t max : {1U, 2U, 3U, 4U, 7U, 10U, 11U, 99U, 1000U}) {
        const auto whole = indexed(content, max, content.size());
        EXPECT_TRUE(whole.first);
        EXPECT_LE(whole.second.size(), max);
        EXPECT_EQ(content.compare(0, whole.second.size(), whole.second), 0);
        EXPECT_TRUE(utf8_prefix(whole.second).valid == whole.second.size());
        // The longest such prefix: one more character would not fit.
        if (whole.second.size() < content.size()) {
            auto next = whole.second.size() + 1;
            while (next < content.size() &&
                   (static_cast<unsigned char>(content[next]) & 0xc0) == 0x80) {
                ++next;
            }
            EXPECT_GT(next, max) << max;
        }
        for (std::size_t piece = 1; piece < 12; ++piece) {
            EXPECT_EQ(indexed(content, max, piece), whole) << max << " " << piece;
        }
    }
}

TEST(IndexedText, APrefixReadUntilFullGivesTheSameTextAsTheWhole) {
    // Destruction reads only until the index's share is full; the part read
    // may end inside a character.
    const std::string content = "\xd0\x96\xd0\x96\xd0\x96 \xd0\x96\xd0\x96\xd0\x96";
    for (std::size_t max : {1U, 2U, 3U, 5U, 8U}) {
        const auto whole = indexed(content, max, content.size());
        for (std::size_t piece = 1; piece < 6; ++piece) {
            IndexedText t(max);
            for (std::size_t at = 0; at < content.size() && !t.full(); at += piece) {
                t.feed(std::string_view(content).substr(at, piece));
            }
            EXPECT_EQ(t.take_prefix(), whole.second) << max << " " << piece;
        }
    }
}

TEST(IndexedText, IsEmptyUnlessTheWholeContentIsUtf8) {
    EXPECT_EQ(indexed("plain text", 4, 3), (std::pair<bool, std::string>{true, "plai"}));
    // Invalid after the cap: still not text.
    EXPECT_EQ(indexed("plain text \xff", 4, 3), (std::pair<bool, std::string>{false, ""}));
    // Ends inside a character.
    EXPECT_EQ(indexed("text \xe2\x82", 100, 2), (std::pair<bool, std::string>{false, ""}));
    EXPECT_EQ(indexed("", 100, 1), (std::pair<bool, std::string>{true, ""}));
}

TEST(Controls, AreC0DelC1TheSeparatorsAndTheBidirectionalControls) {
    // Verifies the exact set of code points is_control_code_point names, at each edge.
    for (std::uint32_t cp = 0; cp < 0x20; ++cp) {
        EXPECT_TRUE(is_control_code_point(cp)) << cp;
    }
    for (std::uint32_t cp = 0x7f; cp <= 0x9f; ++cp) {
        EXPECT_TRUE(is_control_code_point(cp)) << cp;
    }
    for (const std::uint32_t cp : {0x061cU, 0x200eU, 0x200fU, 0x2028U, 0x2029U, 0x202aU, 0x202bU,
                                   0x202cU, 0x202dU, 0x202eU, 0x2066U, 0x2067U, 0x2068U, 0x2069U}) {
        EXPECT_TRUE(is_control_code_point(cp)) << cp;
    }
    for (const std::uint32_t cp :
         {0x20U, 0x7eU, 0xa0U, 0xe9U, 0x061bU, 0x061dU, 0x200bU, 0x200cU, 0x200dU, 0x2027U, 0x202fU,
          0x2065U, 0x206aU, 0xfeffU, 0xff1dU, 0x1f600U}) {
        EXPECT_FALSE(is_control_code_point(cp)) << cp;
    }
}

TEST(FindControl, NamesTheFirstControlByOffsetAndCodePoint) {
    // Verifies that find_control reports the first control character's byte offset and code
    // point, allows LF and TAB only for text of several lines, and reports bytes that are not
    // UTF-8.
    EXPECT_FALSE(find_control("Patrol report \xc3\xa9 \xd8\xaa").has_value());
    auto f = find_control("ab\x1b[2J\x07");
    ASSERT_TRUE(f.has_value());
    EXPECT_EQ(f->offset, 2U);
    EXPECT_EQ(f->code_point, 0x1bU);
    f = find_control("\xc3\xa9x\xe2\x80\xae");
    ASSERT_TRUE(f.has_value());
    EXPECT_EQ(f->offset, 3U);
    EXPECT_EQ(f->code_point, 0x202eU);
    f = find_control("a\0b"sv);
    ASSERT_TRUE(f.has_value());
    EXPECT_EQ(f->code_point, 0U);
    EXPECT_TRUE(find_control("a\nb").has_value());
    EXPECT_TRUE(find_control("a\tb").has_value());
    EXPECT_FALSE(find_control("a\n\tb", true).has_value());
    f = find_control("a\n\r", true);
    ASSERT_TRUE(f.has_value());
    EXPECT_EQ(f->code_point, 0x0dU);
    f = find_control("a\xc2\x9b", true);
    ASSERT_TRUE(f.has_value());
    EXPECT_EQ(f->code_point, 0x9bU);
    f = find_control("ok\xff");
    ASSERT_TRUE(f.has_value());
    EXPECT_TRUE(f->not_utf8);
    EXPECT_EQ(f->offset, 2U);
    EXPECT_TRUE(find_control("\xc0\xaf").has_value());  // overlong
}

TEST(EscapeControls, ShowsEveryControlAsAVisibleEscape) {
    // Verifies the escapes of each class: \n \t \r, \xNN for other C0 and DEL, \u for C1, the
    // separators and the bidirectional controls, \xNN for bytes that are not UTF-8; the rest
    // (backslashes, accents, zero-width joiners) unchanged.
    EXPECT_EQ(escape_controls("a\nb\tc\rd"), "a\\nb\\tc\\rd");
    EXPECT_EQ(escape_controls("\x1b]0;owned\x07"), "\\x1b]0;owned\\x07");
    EXPECT_EQ(escape_controls("x\0y\x7f"sv), "x\\x00y\\x7f");
    EXPECT_EQ(escape_controls("\xc2\x9b"
                              "31m"),
              "\\u009b31m");
    EXPECT_EQ(escape_controls("exe\xe2\x80\xae"
                              "gnp"),
              "exe\\u202egnp");
    EXPECT_EQ(escape_controls("\xe2\x80\xa8\xe2\x81\xa6\xd8\x9c\xe2\x80\x8f"),
              "\\u2028\\u2066\\u061c\\u200f");
    EXPECT_EQ(escape_controls("bad\xff\xc3"), "bad\\xff\\xc3");
    EXPECT_EQ(escape_controls("caf\xc3\xa9 \\x1b \xe2\x80\x8c"), "caf\xc3\xa9 \\x1b \xe2\x80\x8c");
    EXPECT_EQ(escape_controls(""), "");
}

TEST(EscapeControls, IsIdempotentAndCanKeepLineFeeds) {
    // Verifies that escaping escaped text changes nothing, and that keep_line_feeds keeps only
    // LF.
    const std::string raw = "t\x1b\xe2\x80\xae\n\t\xff\xc2\x85";
    const auto once = escape_controls(raw);
    EXPECT_EQ(escape_controls(once), once);
    EXPECT_FALSE(find_control(once).has_value());
    EXPECT_EQ(escape_controls("one\ntwo\tthree\r", true), "one\ntwo\\tthree\\r");
}

TEST(LineField, CannotSplitALineForgeAFieldOrCarryAFingerprint) {
    // Verifies that line_field escapes line breaks and controls, the '|' that separates a
    // marking's fields, and the invisible characters fingerprints are written with.
    EXPECT_EQ(line_field("UNDP\nCONFIDENTIAL // JMAC | record 999"),
              "UNDP\\nCONFIDENTIAL // JMAC \\x7c record 999");
    EXPECT_EQ(line_field("A\xe2\x81\xa0\xe2\x80\x8b\xe2\x80\x8c\xe2\x80\x8d\xef\xbb\xbf"
                         "B"),
              "A\\u2060\\u200b\\u200c\\u200d\\ufeffB");
    EXPECT_EQ(line_field("WA-2026-04"), "WA-2026-04");
    EXPECT_EQ(line_field("Mission \xc3\xa0 Gao"), "Mission \xc3\xa0 Gao");
}

TEST(EscapeControlsInJson, WritesWhatTheSerializerLeftRawAsUnicodeEscapes) {
    // Verifies that DEL, C1, the separators and the bidirectional controls in serialized JSON
    // become \u escapes, other text (and escapes already there) stays, and a byte that is not
    // UTF-8 becomes \ufffd.
    EXPECT_EQ(escape_controls_in_json("{\"t\":\"a\\u001b\xe2\x80\xae"
                                      "b\x7f\xc2\x85\"}"),
              "{\"t\":\"a\\u001b\\u202eb\\u007f\\u0085\"}");
    EXPECT_EQ(escape_controls_in_json("[\"caf\xc3\xa9\",\"\xd8\xaa\"]"),
              "[\"caf\xc3\xa9\",\"\xd8\xaa\"]");
    EXPECT_EQ(escape_controls_in_json("[\"\xff\"]"), "[\"\\ufffd\"]");
}

}  // namespace
}  // namespace strongroom
