#include "daemon/common/text.hpp"

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

}  // namespace strongroom
