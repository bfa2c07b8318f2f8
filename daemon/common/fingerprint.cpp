#include "daemon/common/fingerprint.hpp"

#include <algorithm>
#include <string_view>

namespace strongroom::fingerprint {
namespace {

constexpr std::string_view kMark = "\xE2\x81\xA0";  // U+2060
constexpr std::string_view kZero = "\xE2\x80\x8B";  // U+200B
constexpr std::string_view kOne = "\xE2\x80\x8C";   // U+200C

// CRC-8, polynomial x^8 + x^2 + x + 1, over the token's five bytes.
std::uint8_t crc8(std::uint64_t token) {
    std::uint8_t crc = 0;
    for (int i = 4; i >= 0; --i) {
        crc = static_cast<std::uint8_t>(crc ^ ((token >> (8 * i)) & 0xff));
        for (int b = 0; b < 8; ++b) {
            crc = static_cast<std::uint8_t>((crc & 0x80) != 0 ? (crc << 1) ^ 0x07 : crc << 1);
        }
    }
    return crc;
}

}  // namespace

std::string frame(std::uint64_t token) {
    token &= kTokenMask;
    const std::uint64_t bits = (token << 8) | crc8(token);
    std::string out;
    out.reserve(kFrameBytes);
    out += kMark;
    for (int i = 47; i >= 0; --i) {
        out += ((bits >> i) & 1) != 0 ? kOne : kZero;
    }
    out += kMark;
    return out;
}

void Inserter::feed(std::span<const std::uint8_t> in, std::string& out) {
    out.reserve(out.size() + in.size() + kFrameBytes);
    for (const auto byte : in) {
        const char c = static_cast<char>(byte);
        if (held_cr_) {
            // A frame goes before a whole "\r\n", not between its bytes.
            held_cr_ = false;
            if (c == '\n') {
                line_end(out);
                out += "\r\n";
                ++since_frame_;
                continue;
            }
            out += '\r';
            ++since_frame_;
        }
        if (c == '\r') {
            held_cr_ = true;
            continue;
        }
        if (c == '\n') {
            line_end(out);
        }
        out += c;
        ++since_frame_;
        if (c == ' ' && since_frame_ >= kBytesPerFrame) {
            out += frame_;
            since_frame_ = 0;
        }
    }
    if (!in.empty()) {
        ended_with_newline_ = in.back() == '\n';
    }
}

void Inserter::line_end(std::string& out) {
    if (line_ends_ % kLinesPerFrame == 0) {
        out += frame_;
        since_frame_ = 0;
    }
    ++line_ends_;
}

bool Inserter::finish(std::string& out) {
    if (held_cr_) {
        out += '\r';
        held_cr_ = false;
    }
    out += frame_;
    return ended_with_newline_;
}

void Scanner::feed(std::span<const std::uint8_t> in) {
    carry_.append(reinterpret_cast<const char*>(in.data()), in.size());
    std::size_t pos = 0;
    std::size_t incomplete = std::string::npos;  // a frame that may end in the next piece
    for (;;) {
        const auto start = carry_.find(kMark, pos);
        if (start == std::string::npos) {
            break;
        }
        if (carry_.size() - start < kFrameBytes) {
            incomplete = start;
            break;
        }
        std::uint64_t bits = 0;
        bool ok = true;
        for (std::size_t i = 0; i < 48 && ok; ++i) {
            const std::string_view sym(carry_.data() + start + 3 + 3 * i, 3);
            if (sym == kOne) {
                bits = (bits << 1) | 1;
            } else if (sym == kZero) {
                bits <<= 1;
            } else {
                ok = false;
            }
        }
        ok = ok && std::string_view(carry_.data() + start + kFrameBytes - 3, 3) == kMark;
        if (ok && crc8(bits >> 8) == (bits & 0xff)) {
            tokens_.insert(bits >> 8);
            pos = start + kFrameBytes;
        } else {
            pos = start + 3;  // not a frame: a closing mark may open the next one
        }
    }
    // Drop what was scanned, keeping a frame that may continue and the last
    // two bytes (a mark split across pieces).
    const std::size_t drop =
        incomplete != std::string::npos
            ? incomplete
            : std::max(pos, carry_.size() >= 2 ? carry_.size() - 2 : std::size_t{0});
    carry_.erase(0, std::min(drop, carry_.size()));
}

}  // namespace strongroom::fingerprint
