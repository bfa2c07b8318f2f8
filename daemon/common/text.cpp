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
