// The wire format between the tools and strongroomd.
//
// A connection carries frames. Each frame is a 5-byte header, a big-endian
// u32 payload length and a u8 frame type, followed by the payload:
//
//   message   one JSON document (a request or a response, see message.hpp)
//   data      a chunk of content bytes belonging to the current request or
//             response (streamed content is never sent as one frame)
//   data_end  empty; ends a stream of data frames
//
// The length is checked against Limits::max_frame_bytes before anything is
// allocated for the payload.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "daemon/common/error.hpp"

namespace strongroom::protocol {

inline constexpr std::int64_t kProtocolVersion = 1;
inline constexpr std::size_t kHeaderSize = 5;

enum class FrameType : std::uint8_t {
    message = 1,
    data = 2,
    data_end = 3,
};

struct Limits {
    std::size_t max_frame_bytes = 1024 * 1024;  // payload bytes of one frame
    unsigned max_json_depth = 16;               // nesting of arrays and objects
};

struct FrameHeader {
    FrameType type = FrameType::message;
    std::uint32_t length = 0;
};

using HeaderBytes = std::array<std::uint8_t, kHeaderSize>;

HeaderBytes encode_header(FrameType type, std::uint32_t length) noexcept;

// Validates a received header: a known type, a length within the limit, and
// an empty payload for data_end.
Result<FrameHeader> decode_header(std::span<const std::uint8_t, kHeaderSize> bytes,
                                  const Limits& limits);

// Header and payload in one buffer, ready to write. The payload must fit the
// u32 length (callers keep it far below, at the frame limit).
std::string encode_frame(FrameType type, std::string_view payload);

}  // namespace strongroom::protocol
