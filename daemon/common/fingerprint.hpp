// A copy's fingerprint: a 40-bit token written into a text copy as
// invisible characters, so that a leaked text names its copy even when its
// marking lines have been cut off (issue 4, duplication control).
//
// A frame is U+2060 WORD JOINER, 48 bits (the token, then a CRC-8 of it),
// each as U+200B ZERO WIDTH SPACE (0) or U+200C ZERO WIDTH NON-JOINER (1),
// and U+2060 again: 150 bytes of UTF-8 that display as nothing. A copy
// carries a frame before its first line end, before every 8th line end
// after it, after a space once 2 KiB have passed without one, and at its
// end, so that any excerpt of a few lines still carries one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <set>
#include <span>
#include <string>

namespace strongroom::fingerprint {

inline constexpr int kTokenBits = 40;
inline constexpr std::uint64_t kTokenMask = (std::uint64_t{1} << kTokenBits) - 1;
inline constexpr std::size_t kFrameBytes = 3 + 48 * 3 + 3;
inline constexpr std::size_t kLinesPerFrame = 8;
inline constexpr std::size_t kBytesPerFrame = 2048;

// The frame of a token (only its low 40 bits count).
std::string frame(std::uint64_t token);

// Writes a text with a token's frames inserted. Frames go only before an
// ASCII space or line end, so a UTF-8 sequence is never split.
class Inserter {
public:
    explicit Inserter(std::uint64_t token) : frame_(frame(token)) {}

    // Appends `in`, with frames, to `out`.
    void feed(std::span<const std::uint8_t> in, std::string& out);
    // Appends the closing frame. Returns whether the text ended with a line end.
    bool finish(std::string& out);

private:
    void line_end(std::string& out);

    std::string frame_;
    bool held_cr_ = false;  // a "\r" waiting to see whether "\n" follows
    std::size_t line_ends_ = 0;
    std::size_t since_frame_ = 0;
    bool ended_with_newline_ = false;
};

// Finds the tokens of every intact frame in a text, fed in pieces of any size.
class Scanner {
public:
    void feed(std::span<const std::uint8_t> in);
    const std::set<std::uint64_t>& tokens() const { return tokens_; }

private:
    std::string carry_;
    std::set<std::uint64_t> tokens_;
};

}  // namespace strongroom::fingerprint
