// Internal to strongroom::crypto: hex encoding of key bytes without lookup
// tables or branches on the bytes, so that the time taken does not depend on
// the key. Output goes into caller-provided (locked) memory; nothing is
// allocated.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace strongroom::crypto::detail {

// Lower-case hex digit of a nibble (0..15).
constexpr std::uint8_t hex_digit(unsigned nibble) noexcept {
    // 0..9 -> '0'..'9'; 10..15 -> 'a'..'f' (adds 'a' - '0' - 10 = 39 when
    // nibble > 9, using the sign bit of 9 - nibble as the mask).
    const unsigned above9 = ((9U - nibble) >> 8U) & 1U;  // 1 when nibble > 9
    return static_cast<std::uint8_t>('0' + nibble + (39U & (0U - above9)));
}

// Value of a hex digit (either case) or 0xff when c is not one.
constexpr unsigned hex_value(std::uint8_t c) noexcept {
    // Each range yields a mask of all ones when c is inside it.
    const unsigned x = c;
    const auto in = [x](unsigned lo, unsigned hi) {
        return (((x - lo) >> 8U) ^ 1U) & (((hi - x) >> 8U) ^ 1U) & 1U;
    };
    const unsigned digit = 0U - in('0', '9');
    const unsigned lower = 0U - in('a', 'f');
    const unsigned upper = 0U - in('A', 'F');
    const unsigned value =
        (digit & (x - '0')) | (lower & (x - 'a' + 10U)) | (upper & (x - 'A' + 10U));
    const unsigned valid = digit | lower | upper;
    return (value & valid) | (0xffU & ~valid);
}

// out.size() must be 2 * in.size().
inline void hex_encode(std::span<const std::uint8_t> in, std::span<std::uint8_t> out) noexcept {
    for (std::size_t i = 0; i < in.size(); ++i) {
        const unsigned byte = in[i];
        out[2 * i] = hex_digit(byte >> 4U);
        out[2 * i + 1] = hex_digit(byte & 0x0fU);
    }
}

// in.size() must be 2 * out.size(). Returns false (after writing all of out)
// when any character is not a hex digit; out then holds garbage to be wiped.
inline bool hex_decode(std::span<const std::uint8_t> in, std::span<std::uint8_t> out) noexcept {
    unsigned bad = 0;
    for (std::size_t i = 0; i < out.size(); ++i) {
        const unsigned hi = hex_value(in[2 * i]);
        const unsigned lo = hex_value(in[2 * i + 1]);
        bad |= (hi | lo) & 0xf0U;
        out[i] = static_cast<std::uint8_t>((hi << 4U | lo) & 0xffU);
    }
    return bad == 0;
}

}  // namespace strongroom::crypto::detail
