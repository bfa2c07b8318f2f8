#include "daemon/protocol/frame.hpp"

#include <fmt/format.h>

namespace strongroom::protocol {

HeaderBytes encode_header(FrameType type, std::uint32_t length) noexcept {
    return HeaderBytes{static_cast<std::uint8_t>(length >> 24),
                       static_cast<std::uint8_t>(length >> 16),
                       static_cast<std::uint8_t>(length >> 8), static_cast<std::uint8_t>(length),
                       static_cast<std::uint8_t>(type)};
}

Result<FrameHeader> decode_header(std::span<const std::uint8_t, kHeaderSize> bytes,
                                  const Limits& limits) {
    const std::uint32_t length = (std::uint32_t{bytes[0]} << 24) | (std::uint32_t{bytes[1]} << 16) |
                                 (std::uint32_t{bytes[2]} << 8) | std::uint32_t{bytes[3]};
    const std::uint8_t type = bytes[4];
    if (type < static_cast<std::uint8_t>(FrameType::message) ||
        type > static_cast<std::uint8_t>(FrameType::data_end)) {
        return make_error(ErrorCode::bad_request, fmt::format("unknown frame type {}", type));
    }
    if (length > limits.max_frame_bytes) {
        return make_error(ErrorCode::bad_request,
                          fmt::format("frame of {} bytes exceeds the limit of {} bytes", length,
                                      limits.max_frame_bytes));
    }
    const auto frame_type = static_cast<FrameType>(type);
    if (frame_type == FrameType::message && length == 0) {
        return make_error(ErrorCode::bad_request, "empty message frame");
    }
    if (frame_type == FrameType::data_end && length != 0) {
        return make_error(ErrorCode::bad_request, "data_end frame with a payload");
    }
    return FrameHeader{frame_type, length};
}

std::string encode_frame(FrameType type, std::string_view payload) {
    const auto header = encode_header(type, static_cast<std::uint32_t>(payload.size()));
    std::string out;
    out.reserve(kHeaderSize + payload.size());
    out.append(reinterpret_cast<const char*>(header.data()), header.size());
    out.append(payload);
    return out;
}

}  // namespace strongroom::protocol
