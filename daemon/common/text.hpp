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

// Characters that must never reach a person's screen from text others wrote,
// nor a line of a marking or a signed document: the C0 controls (NUL, TAB,
// CR and LF included), DEL, the C1 controls (U+0080-U+009F), the line and
// paragraph separators (U+2028, U+2029), and the bidirectional formatting
// characters that reorder what is shown (U+202A-U+202E embeddings and
// overrides, U+2066-U+2069 isolates, and the marks U+200E, U+200F, U+061C).
// They can make a terminal obey, ring, forge a line, or show text in another
// order than it is stored.
bool is_control_code_point(std::uint32_t code_point) noexcept;

// What kind of control character a code point is, for messages: "a control
// character", "a line separator", "a bidirectional control character".
std::string_view control_kind(std::uint32_t code_point) noexcept;

// The first control character (is_control_code_point) of UTF-8 text, by its
// byte offset and code point; line feeds (and tabs) are allowed when
// multi_line. Text that is not valid UTF-8 reports its first invalid byte's
// offset with not_utf8 set. Nothing when the text is clean.
struct ControlFound {
    std::size_t offset = 0;
    std::uint32_t code_point = 0;
    bool not_utf8 = false;
};
std::optional<ControlFound> find_control(std::string_view text, bool multi_line = false);

// The text with every control character (is_control_code_point) and every
// byte that is not UTF-8 written as a visible escape: \n, \t, \r, \x1b for
// C0 and DEL, \u009b for C1, \u202e for the separators and the
// bidirectional controls, \xff for a byte that is not UTF-8. Everything else,
// backslashes included, is copied unchanged, so applying it twice changes
// nothing more. With keep_line_feeds, "\n" is copied as it is (text of
// several lines that may not forge anything else).
std::string escape_controls(std::string_view text, bool keep_line_feeds = false);

// Serialized JSON with every control character still raw in it (DEL, C1,
// the separators, the bidirectional controls: a serializer writes only C0 as
// escapes) written as a \uXXXX escape. Such characters occur only inside
// strings, so the document means exactly the same; a terminal shown it
// receives none of them. A byte that is not UTF-8 (which a serializer copies
// from a string that was never checked, a file name say) becomes \ufffd, so
// the document is always valid JSON.
std::string escape_controls_in_json(std::string_view json);

// A field of one line of a document whose fields are separated by '|', such
// as a copy's marking line: escape_controls, and also '|' (\x7c) and the
// invisible characters a copy's fingerprint is written with (U+200B,
// U+200C, U+200D, U+2060, U+FEFF), so the field can neither split the
// line, forge another field, nor carry a fingerprint of another copy.
std::string line_field(std::string_view text);

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
