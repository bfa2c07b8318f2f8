// Copy fingerprints: written into a text invisibly, found again in any
// excerpt that keeps a few lines, whatever pieces the text arrives in.
#include "daemon/common/fingerprint.hpp"

#include <random>

#include <gtest/gtest.h>

namespace strongroom::fingerprint {
namespace {

std::span<const std::uint8_t> bytes(const std::string& s) {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

std::string with_fingerprint(const std::string& text, std::uint64_t token, std::size_t piece) {
    Inserter ins(token);
    std::string out;
    for (std::size_t i = 0; i < text.size(); i += piece) {
        ins.feed(bytes(text.substr(i, piece)), out);
    }
    ins.finish(out);
    return out;
}

std::set<std::uint64_t> scan(const std::string& text, std::size_t piece) {
    Scanner sc;
    for (std::size_t i = 0; i < text.size(); i += piece) {
        sc.feed(bytes(text.substr(i, piece)));
    }
    return sc.tokens();
}

std::string remove_invisible(std::string s) {
    for (const std::string_view mark : {"\xE2\x81\xA0", "\xE2\x80\x8B", "\xE2\x80\x8C"}) {
        for (auto at = s.find(mark); at != std::string::npos; at = s.find(mark)) {
            s.erase(at, mark.size());
        }
    }
    return s;
}

std::string lines(int n) {
    std::string t;
    for (int i = 0; i < n; ++i) {
        t += "Line " + std::to_string(i) + " of the patrol report, kilometre " +
             std::to_string(i * 7) + ".\n";
    }
    return t;
}

TEST(Fingerprint, TheTextReadsTheSameWithoutItsInvisibleCharacters) {
    const auto text = lines(40) + "Ünïcödé stays whole: 情報 ";
    const auto marked = with_fingerprint(text, 0x12'3456'789a, 7);
    EXPECT_NE(marked, text);
    EXPECT_EQ(remove_invisible(marked), text);
}

TEST(Fingerprint, FoundWhateverThePiecesAndNothingElse) {
    const std::uint64_t token = 0xab'cdef'0123;
    const auto marked = with_fingerprint(lines(30), token, 4096);
    for (const std::size_t piece :
         std::initializer_list<std::size_t>{1, 2, 3, 149, 150, 151, 1000, 100000}) {
        EXPECT_EQ(scan(marked, piece), std::set<std::uint64_t>{token}) << piece;
    }
    EXPECT_TRUE(scan(lines(30), 64).empty());
}

TEST(Fingerprint, AnExcerptOfNineLinesStillNamesTheCopy) {
    const std::uint64_t token = 42;
    const auto marked = with_fingerprint(lines(100), token, 333);
    // Any 9 consecutive lines hold a frame (one every 8 line ends).
    std::vector<std::string> ls;
    std::size_t from = 0;
    for (auto nl = marked.find('\n'); nl != std::string::npos; nl = marked.find('\n', from)) {
        ls.push_back(marked.substr(from, nl + 1 - from));
        from = nl + 1;
    }
    for (std::size_t start = 0; start + 9 <= ls.size(); ++start) {
        std::string excerpt;
        for (std::size_t i = start; i < start + 9; ++i) {
            excerpt += ls[i];
        }
        EXPECT_EQ(scan(excerpt, 4096), std::set<std::uint64_t>{token}) << start;
    }
}

TEST(Fingerprint, OneLongLineCarriesAFrameEveryTwoKilobytes) {
    std::string text;
    while (text.size() < 20000) {
        text += "word ";
    }
    const auto marked = with_fingerprint(text, 7, 4096);
    const auto excerpt = marked.substr(9000, 2 * kBytesPerFrame + 2 * kFrameBytes);
    EXPECT_EQ(scan(excerpt, 4096), std::set<std::uint64_t>{7});
}

TEST(Fingerprint, WindowsLineEndsStayWhole) {
    std::string text;
    for (int i = 0; i < 20; ++i) {
        text += "line " + std::to_string(i) + "\r\n";
    }
    text += "last\r";
    for (const std::size_t piece : std::initializer_list<std::size_t>{1, 2, 7, 4096}) {
        const auto marked = with_fingerprint(text, 9, piece);
        EXPECT_EQ(remove_invisible(marked), text) << piece;
        EXPECT_EQ(marked.find("\r" + frame(9) + "\n"), std::string::npos) << piece;
        EXPECT_NE(marked.find(frame(9) + "\r\n"), std::string::npos) << piece;
        EXPECT_EQ(scan(marked, 5), std::set<std::uint64_t>{9});
    }
}

TEST(Fingerprint, TwoCopiesInOneFileAreBothNamed) {
    const auto both = with_fingerprint(lines(3), 1, 100) + with_fingerprint(lines(3), 2, 100);
    EXPECT_EQ(scan(both, 50), (std::set<std::uint64_t>{1, 2}));
}

TEST(Fingerprint, AChangedBitIsNotReadAsAnotherCopy) {
    auto f = frame(0x55'5555'5555);
    // Flip one symbol: U+200B <-> U+200C differ in their last byte.
    for (std::size_t i = 0; i < 48; ++i) {
        auto g = f;
        auto& last = g[3 + 3 * i + 2];
        last = last == '\x8B' ? '\x8C' : '\x8B';
        EXPECT_TRUE(scan(g, 1000).empty()) << i;
    }
}

TEST(Fingerprint, RandomBytesNeverCrashTheScanner) {
    std::mt19937 rng(7);
    std::string junk;
    const std::string pieces[] = {"\xE2\x81\xA0", "\xE2\x80\x8B", "\xE2\x80\x8C", "a", "\n"};
    for (int i = 0; i < 200000; ++i) {
        junk += pieces[rng() % 5];
    }
    Scanner sc;
    for (std::size_t i = 0; i < junk.size(); i += 97) {
        sc.feed(bytes(junk.substr(i, 97)));
    }
    EXPECT_TRUE(sc.tokens().empty());  // and ASan saw no access out of bounds
}

}  // namespace
}  // namespace strongroom::fingerprint
