// Small text helpers shared by the daemon and the tools.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace strongroom {

// Copies at most max_bytes of text, replacing control characters and bytes
// that are not printable ASCII with '?', so that untrusted input can be put
// in a log line or an error message without forging lines or escapes.
std::string printable(std::string_view text, std::size_t max_bytes = 80);

// True when text is a valid name for an account, post or compartment:
// 1-64 characters of [A-Za-z0-9._-], starting with a letter or digit.
bool is_valid_name(std::string_view text) noexcept;

// Lower-case hexadecimal of bytes.
std::string to_hex(std::span<const std::uint8_t> bytes);
// Lower- or upper-case hex back to bytes; nothing if it is not hex of whole bytes.
std::optional<std::vector<std::uint8_t>> from_hex(std::string_view text);

// Standard base64 (RFC 4648, with padding), as `base64` and openssl write it.
std::string to_base64(std::span<const std::uint8_t> bytes);
std::optional<std::vector<std::uint8_t>> from_base64(std::string_view text);

// For text that arrives in pieces: the length of the longest prefix made of
// complete, valid UTF-8 characters (no NUL: NUL is not text), and whether
// what follows it is only the start of a character that may yet complete
// (true) rather than invalid bytes (false).
struct Utf8Prefix {
    std::size_t valid = 0;
    bool incomplete_only = true;
};
Utf8Prefix utf8_prefix(std::string_view data) noexcept;

// The text of a record's content that the full-text index holds: the longest
// prefix of at most `max_bytes` that ends at a character boundary, if the
// whole content is UTF-8 (otherwise nothing). Fed in pieces of any size, the
// result is the same, so that destruction can remove exactly what ingest
// indexed.
class IndexedText {
public:
    explicit IndexedText(std::size_t max_bytes) : max_(max_bytes) {}

    void feed(std::string_view bytes);
    // After the last piece: whether the whole content was UTF-8.
    bool finish();
    bool is_text() const noexcept { return ok_ && pending_.empty(); }
    // The indexed text (empty unless is_text()).
    std::string take();
    // The indexed text of content known to be all UTF-8, from a part of it
    // that may end inside a character (destruction reads no more than it
    // needs): the same as take() after the whole content.
    std::string take_prefix();
    // True once more content cannot change take() unless it is invalid.
    bool full() const noexcept { return full_; }

private:
    std::size_t max_;
    bool ok_ = true;
    bool full_ = false;
    std::string text_;
    std::string pending_;
};

}  // namespace strongroom
