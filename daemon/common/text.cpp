#include "daemon/common/text.hpp"

#include <algorithm>
#include <cstdint>

namespace strongroom {

std::string printable(std::string_view text, std::size_t max_bytes) {
    std::string out;
    const std::size_t n = text.size() < max_bytes ? text.size() : max_bytes;
    out.reserve(n + 3);
    for (std::size_t i = 0; i < n; ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        out.push_back(c >= 0x20 && c < 0x7f ? static_cast<char>(c) : '?');
    }
    if (n < text.size()) {
        out += "...";
    }
    return out;
}

namespace {

// One UTF-8 character at data[i]: its code point and length, or length 0 if
// the bytes there are not UTF-8 (overlong, a surrogate, beyond Unicode, cut).
struct Decoded {
    std::uint32_t code_point = 0;
    std::size_t length = 0;
};

Decoded decode_at(std::string_view text, std::size_t i) noexcept {
    const auto* data = reinterpret_cast<const unsigned char*>(text.data());
    const std::size_t size = text.size();
    const unsigned b = data[i];
    if (b < 0x80) {
        return {b, 1};
    }
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if (b >= 0xc2 && b <= 0xdf) {
        n = 1;
        cp = b & 0x1fU;
    } else if (b >= 0xe0 && b <= 0xef) {
        n = 2;
        cp = b & 0x0fU;
    } else if (b >= 0xf0 && b <= 0xf4) {
        n = 3;
        cp = b & 0x07U;
    } else {
        return {};
    }
    if (i + n >= size) {
        return {};
    }
    for (std::size_t k = 1; k <= n; ++k) {
        const unsigned c = data[i + k];
        if ((c & 0xc0U) != 0x80U) {
            return {};
        }
        cp = (cp << 6) | (c & 0x3fU);
    }
    if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff)) {
        return {};
    }
    return {cp, n + 1};
}

bool is_invisible(std::uint32_t cp) noexcept {
    return (cp >= 0x200b && cp <= 0x200d) || cp == 0x2060 || cp == 0xfeff;
}

constexpr char kHexDigits[] = "0123456789abcdef";

void append_escape(std::string& out, std::uint32_t cp) {
    switch (cp) {
        case '\n':
            out += "\\n";
            return;
        case '\t':
            out += "\\t";
            return;
        case '\r':
            out += "\\r";
            return;
        default:
            break;
    }
    if (cp < 0x80) {
        out += "\\x";
        out += kHexDigits[(cp >> 4) & 0xf];
        out += kHexDigits[cp & 0xf];
        return;
    }
    out += "\\u";
    for (int shift = 12; shift >= 0; shift -= 4) {
        out += kHexDigits[(cp >> shift) & 0xf];
    }
}

void append_byte_escape(std::string& out, unsigned char b) {
    out += "\\x";
    out += kHexDigits[b >> 4];
    out += kHexDigits[b & 0xf];
}

// escape_controls, with '|' and the invisible characters escaped too when
// field is set.
std::string escape(std::string_view text, bool keep_line_feeds, bool field) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        const auto d = decode_at(text, i);
        if (d.length == 0) {
            append_byte_escape(out, static_cast<unsigned char>(text[i]));
            ++i;
            continue;
        }
        const bool escaped =
            (is_control_code_point(d.code_point) && !(keep_line_feeds && d.code_point == '\n')) ||
            (field && (d.code_point == '|' || is_invisible(d.code_point)));
        if (escaped) {
            append_escape(out, d.code_point);
        } else {
            out.append(text, i, d.length);
        }
        i += d.length;
    }
    return out;
}

}  // namespace

bool is_control_code_point(std::uint32_t cp) noexcept {
    return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x061c || cp == 0x200e ||
           cp == 0x200f || cp == 0x2028 || cp == 0x2029 || (cp >= 0x202a && cp <= 0x202e) ||
           (cp >= 0x2066 && cp <= 0x2069);
}

std::string_view control_kind(std::uint32_t cp) noexcept {
    if (cp == 0x2028 || cp == 0x2029) {
        return "a line or paragraph separator";
    }
    if (cp >= 0x0600) {
        return "a bidirectional control character";
    }
    return "a control character";
}

std::optional<ControlFound> find_control(std::string_view text, bool multi_line) {
    for (std::size_t i = 0; i < text.size();) {
        const auto d = decode_at(text, i);
        if (d.length == 0) {
            return ControlFound{i, static_cast<unsigned char>(text[i]), true};
        }
        if (is_control_code_point(d.code_point) &&
            !(multi_line && (d.code_point == '\n' || d.code_point == '\t'))) {
            return ControlFound{i, d.code_point};
        }
        i += d.length;
    }
    return std::nullopt;
}

std::string escape_controls(std::string_view text, bool keep_line_feeds) {
    return escape(text, keep_line_feeds, false);
}

std::string escape_controls_in_json(std::string_view json) {
    std::string out;
    out.reserve(json.size());
    for (std::size_t i = 0; i < json.size();) {
        const auto d = decode_at(json, i);
        if (d.length == 0) {
            out += "\\ufffd";  // a byte that is not UTF-8 (a path, say) is not JSON
            ++i;
            continue;
        }
        if (d.code_point >= 0x7f && is_control_code_point(d.code_point)) {
            out += "\\u";
            for (int shift = 12; shift >= 0; shift -= 4) {
                out += kHexDigits[(d.code_point >> shift) & 0xf];
            }
        } else {
            out.append(json, i, d.length);
        }
        i += d.length;
    }
    return out;
}

std::string line_field(std::string_view text) {
    return escape(text, false, true);
}

bool is_valid_name(std::string_view text) noexcept {
    if (text.empty() || text.size() > 64) {
        return false;
    }
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        const bool alnum =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (alnum) {
            continue;
        }
        if (i > 0 && (c == '.' || c == '_' || c == '-')) {
            continue;
        }
        return false;
    }
    return true;
}

std::string to_hex(std::span<const std::uint8_t> bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (const auto b : bytes) {
        out.push_back(digits[b >> 4]);
        out.push_back(digits[b & 0x0f]);
    }
    return out;
}

Utf8Prefix utf8_prefix(std::string_view text) noexcept {
    const auto* data = reinterpret_cast<const unsigned char*>(text.data());
    const std::size_t size = text.size();
    std::size_t i = 0;
    while (i < size) {
        const unsigned b = data[i];
        if (b == 0) {
            return {i, false};
        }
        if (b < 0x80) {
            ++i;
            continue;
        }
        std::size_t n = 0;
        std::uint32_t cp = 0;
        if (b >= 0xc2 && b <= 0xdf) {
            n = 1;
            cp = b & 0x1fU;
        } else if (b >= 0xe0 && b <= 0xef) {
            n = 2;
            cp = b & 0x0fU;
        } else if (b >= 0xf0 && b <= 0xf4) {
            n = 3;
            cp = b & 0x07U;
        } else {
            return {i, false};
        }
        if (i + n >= size) {
            // The character runs past the end: a valid start, or invalid.
            for (std::size_t k = i + 1; k < size; ++k) {
                if ((data[k] & 0xc0U) != 0x80U) {
                    return {i, false};
                }
            }
            return {i, true};
        }
        for (std::size_t k = 1; k <= n; ++k) {
            const unsigned c = data[i + k];
            if ((c & 0xc0U) != 0x80U) {
                return {i, false};
            }
            cp = (cp << 6) | (c & 0x3fU);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff)) {
            return {i, false};  // overlong, beyond Unicode, or a surrogate
        }
        i += n + 1;
    }
    return {i, true};
}

std::optional<std::vector<std::uint8_t>> from_hex(std::string_view text) {
    if (text.size() % 2 != 0) {
        return std::nullopt;
    }
    auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    };
    std::vector<std::uint8_t> out;
    out.reserve(text.size() / 2);
    for (std::size_t i = 0; i < text.size(); i += 2) {
        const int hi = nibble(text[i]);
        const int lo = nibble(text[i + 1]);
        if (hi < 0 || lo < 0) {
            return std::nullopt;
        }
        out.push_back(static_cast<std::uint8_t>(hi * 16 + lo));
    }
    return out;
}

namespace {
constexpr std::string_view kBase64 =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
}  // namespace

std::string to_base64(std::span<const std::uint8_t> bytes) {
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    for (std::size_t i = 0; i < bytes.size(); i += 3) {
        const std::size_t n = std::min<std::size_t>(3, bytes.size() - i);
        std::uint32_t v = static_cast<std::uint32_t>(bytes[i]) << 16;
        if (n > 1) {
            v |= static_cast<std::uint32_t>(bytes[i + 1]) << 8;
        }
        if (n > 2) {
            v |= bytes[i + 2];
        }
        out += kBase64[(v >> 18) & 63];
        out += kBase64[(v >> 12) & 63];
        out += n > 1 ? kBase64[(v >> 6) & 63] : '=';
        out += n > 2 ? kBase64[v & 63] : '=';
    }
    return out;
}

std::optional<std::vector<std::uint8_t>> from_base64(std::string_view text) {
    if (text.size() % 4 != 0) {
        return std::nullopt;
    }
    std::vector<std::uint8_t> out;
    out.reserve(text.size() / 4 * 3);
    for (std::size_t i = 0; i < text.size(); i += 4) {
        std::uint32_t v = 0;
        int pad = 0;
        for (std::size_t j = 0; j < 4; ++j) {
            const char c = text[i + j];
            if (c == '=' && i + 4 == text.size() && j >= 2) {
                ++pad;
                v <<= 6;
                continue;
            }
            const auto at = kBase64.find(c);
            if (at == std::string_view::npos || pad > 0) {
                return std::nullopt;
            }
            v = (v << 6) | static_cast<std::uint32_t>(at);
        }
        out.push_back(static_cast<std::uint8_t>(v >> 16));
        if (pad < 2) {
            out.push_back(static_cast<std::uint8_t>((v >> 8) & 0xff));
        }
        if (pad < 1) {
            out.push_back(static_cast<std::uint8_t>(v & 0xff));
        }
    }
    return out;
}

void IndexedText::feed(std::string_view bytes) {
    if (!ok_) {
        return;
    }
    pending_.append(bytes);
    const auto [valid, incomplete_only] = utf8_prefix(pending_);
    if (!incomplete_only) {
        ok_ = false;
        text_.clear();
        pending_.clear();
        return;
    }
    if (!full_) {
        const std::size_t room = max_ - text_.size();
        std::size_t take = valid;
        if (take > room) {
            // Cut at the last character boundary that fits; nothing after it
            // is indexed, whatever the sizes of the pieces.
            take = room;
            while (take > 0 && (static_cast<unsigned char>(pending_[take]) & 0xc0) == 0x80) {
                --take;
            }
            full_ = true;
        }
        text_.append(pending_, 0, take);
    }
    pending_.erase(0, valid);
}

bool IndexedText::finish() {
    return is_text();
}

std::string IndexedText::take_prefix() {
    if (!ok_) {
        return {};
    }
    return std::move(text_);
}

std::string IndexedText::take() {
    if (!is_text()) {
        return {};
    }
    return std::move(text_);
}

}  // namespace strongroom
