// Unit tests of frame headers: encoding, and every check decode_header makes
// before the server allocates anything for a payload.
#include "daemon/protocol/frame.hpp"

#include <cstdint>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace strongroom::protocol {
namespace {

using ::testing::HasSubstr;

HeaderBytes raw(std::uint32_t length, std::uint8_t type) {
    return HeaderBytes{
        static_cast<std::uint8_t>(length >> 24), static_cast<std::uint8_t>(length >> 16),
        static_cast<std::uint8_t>(length >> 8), static_cast<std::uint8_t>(length), type};
}

TEST(EncodeHeader, IsBigEndianLengthThenType) {
    // Verifies the wire layout of README: a 4-byte big-endian length, then the type byte.
    EXPECT_EQ(encode_header(FrameType::message, 0x01020304U),
              (HeaderBytes{0x01, 0x02, 0x03, 0x04, 0x01}));
    EXPECT_EQ(encode_header(FrameType::data, 0xA0B0C0D0U),
              (HeaderBytes{0xA0, 0xB0, 0xC0, 0xD0, 0x02}));
    EXPECT_EQ(encode_header(FrameType::data_end, 0), (HeaderBytes{0, 0, 0, 0, 0x03}));
}

TEST(DecodeHeader, ReadsWhatEncodeHeaderWrote) {
    // Verifies that valid headers of each type decode to the type and length that were encoded.
    const Limits limits;
    for (const auto& [type, length] :
         {std::pair{FrameType::message, 1U}, std::pair{FrameType::message, 300U},
          std::pair{FrameType::data, 0U}, std::pair{FrameType::data, 65536U},
          std::pair{FrameType::data_end, 0U}}) {
        const auto h = decode_header(encode_header(type, length), limits);
        ASSERT_TRUE(h.ok()) << h.error().message;
        EXPECT_EQ(h->type, type);
        EXPECT_EQ(h->length, length);
    }
}

TEST(DecodeHeader, LengthLimitIsInclusive) {
    // Verifies that a frame of exactly max_frame_bytes is accepted and one byte more is refused.
    Limits limits;
    limits.max_frame_bytes = 4096;
    EXPECT_TRUE(decode_header(raw(4096, 1), limits).ok());
    EXPECT_TRUE(decode_header(raw(4096, 2), limits).ok());
    const auto over = decode_header(raw(4097, 1), limits);
    ASSERT_FALSE(over.ok());
    EXPECT_EQ(over.error().code, ErrorCode::bad_request);
    EXPECT_THAT(over.error().message, HasSubstr("4097"));
    EXPECT_THAT(over.error().message, HasSubstr("4096"));
    EXPECT_FALSE(decode_header(raw(4097, 2), limits).ok());
}

TEST(DecodeHeader, HugeLengthsAreRefusedUnderTheDefaultLimit) {
    // Verifies that lengths near 4 GiB are refused with the default 1 MiB limit, for message and
    // data frames.
    const Limits limits;
    EXPECT_EQ(limits.max_frame_bytes, 1024U * 1024U);
    EXPECT_TRUE(decode_header(raw(1024 * 1024, 1), limits).ok());
    for (std::uint32_t length : {1024U * 1024U + 1U, 0x7FFFFFFFU, 0xFFFFFFF0U, 0xFFFFFFFFU}) {
        for (std::uint8_t type : {std::uint8_t{1}, std::uint8_t{2}}) {
            const auto h = decode_header(raw(length, type), limits);
            ASSERT_FALSE(h.ok()) << length;
            EXPECT_EQ(h.error().code, ErrorCode::bad_request);
        }
    }
}

TEST(DecodeHeader, UnknownTypesAreRefused) {
    // Verifies that every type byte other than 1, 2 and 3 is refused, naming the type.
    const Limits limits;
    for (int type = 0; type < 256; ++type) {
        if (type >= 1 && type <= 3) {
            continue;
        }
        for (std::uint32_t length : {0U, 1U}) {
            const auto h = decode_header(raw(length, static_cast<std::uint8_t>(type)), limits);
            ASSERT_FALSE(h.ok()) << type;
            EXPECT_EQ(h.error().code, ErrorCode::bad_request);
            EXPECT_THAT(h.error().message, HasSubstr("unknown frame type " + std::to_string(type)));
        }
    }
}

TEST(DecodeHeader, EmptyMessageIsRefused) {
    // Verifies that a message frame must carry a payload (an empty JSON document is meaningless).
    const auto h = decode_header(raw(0, 1), Limits{});
    ASSERT_FALSE(h.ok());
    EXPECT_EQ(h.error().code, ErrorCode::bad_request);
    EXPECT_THAT(h.error().message, HasSubstr("empty message"));
}

TEST(DecodeHeader, DataEndWithPayloadIsRefused) {
    // Verifies that data_end must be empty: any length, even one byte, is refused.
    for (std::uint32_t length : {1U, 2U, 1000U}) {
        const auto h = decode_header(raw(length, 3), Limits{});
        ASSERT_FALSE(h.ok()) << length;
        EXPECT_EQ(h.error().code, ErrorCode::bad_request);
        EXPECT_THAT(h.error().message, HasSubstr("data_end"));
    }
}

TEST(EncodeFrame, IsHeaderFollowedByPayload) {
    // Verifies that encode_frame writes the header for the payload's size and then the payload.
    const std::string frame = encode_frame(FrameType::message, "{\"v\":1}");
    ASSERT_EQ(frame.size(), kHeaderSize + 7);
    EXPECT_EQ(frame.substr(0, kHeaderSize), std::string("\0\0\0\x07\x01", 5));
    EXPECT_EQ(frame.substr(kHeaderSize), "{\"v\":1}");

    const std::string end = encode_frame(FrameType::data_end, "");
    EXPECT_EQ(end, std::string("\0\0\0\0\x03", 5));
}

}  // namespace
}  // namespace strongroom::protocol
