#include "daemon/common/text.hpp"

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

}  // namespace strongroom
