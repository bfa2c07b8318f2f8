// Unit tests of the text helpers: printable() and is_valid_name().
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

}  // namespace
}  // namespace strongroom
