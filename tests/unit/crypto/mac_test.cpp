#include "daemon/crypto/mac.hpp"

#include <cstdint>
#include <random>
#include <stdexcept>
#include <type_traits>
#include <vector>

#include <gtest/gtest.h>

#include "tests/unit/crypto/test_util.hpp"

namespace strongroom::crypto {
namespace {

using test::bytes_of;
using test::from_hex;
using test::to_hex;

constexpr const char* kRfc4231Case2 =
    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";

// Verifies HMAC-SHA256 against RFC 4231 test case 2 (key "Jefe"), one-shot and incremental.
TEST(HmacSha256, Rfc4231TestCase2) {
    HmacSha256 mac(bytes_of("Jefe"));
    EXPECT_EQ(to_hex(mac.mac("what do ya want for nothing?")), kRfc4231Case2);

    mac.begin();
    mac.update("what do ya ");
    mac.update(bytes_of("want for "));
    mac.update("nothing?");
    EXPECT_EQ(to_hex(mac.finish()), kRfc4231Case2);
}

// Verifies RFC 4231 test case 6: a key longer than the block size (hashed by HMAC first).
TEST(HmacSha256, Rfc4231TestCase6LongKey) {
    const std::vector<std::uint8_t> key(131, 0xaa);
    HmacSha256 mac(key);
    EXPECT_EQ(to_hex(mac.mac("Test Using Larger Than Block-Size Key - Hash Key First")),
              "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

// Verifies that one context reused for many messages gives the same tags as a fresh context per
// message.
TEST(HmacSha256, ReusedContextMatchesFreshContexts) {
    std::mt19937 rng(42);  // NOLINT: deterministic test data, not crypto
    std::vector<std::uint8_t> key(32);
    for (auto& b : key) {
        b = static_cast<std::uint8_t>(rng());
    }
    HmacSha256 reused(key);
    for (int i = 0; i < 200; ++i) {
        std::vector<std::uint8_t> message(rng() % 600);
        for (auto& b : message) {
            b = static_cast<std::uint8_t>(rng());
        }
        HmacSha256 fresh(key);
        const auto expected = fresh.mac(message);
        ASSERT_EQ(reused.mac(message), expected) << "message " << i;
        if (i % 7 == 0) {
            // An abandoned incremental computation does not leak into the next tag.
            reused.begin();
            reused.update("junk");
        }
    }
}

// Verifies that update or finish without begin throws, and a moved-from context refuses use.
TEST(HmacSha256, MisuseThrows) {
    static_assert(!std::is_copy_constructible_v<HmacSha256>);
    static_assert(std::is_nothrow_move_constructible_v<HmacSha256>);
    EXPECT_THROW(HmacSha256(std::span<const std::uint8_t>{}), std::invalid_argument);

    HmacSha256 mac(bytes_of("Jefe"));
    EXPECT_THROW(mac.update("x"), std::logic_error);
    EXPECT_THROW(mac.finish(), std::logic_error);

    HmacSha256 moved = std::move(mac);
    EXPECT_EQ(to_hex(moved.mac("what do ya want for nothing?")), kRfc4231Case2);
    EXPECT_THROW(mac.mac("x"), std::logic_error);  // NOLINT: use after move is the point
}

// Verifies equal_constant_time: equal spans match, a one-bit or length difference does not.
TEST(HmacSha256, EqualConstantTime) {
    const auto a = from_hex(kRfc4231Case2);
    auto b = a;
    EXPECT_TRUE(equal_constant_time(a, b));
    b[31] ^= 1U;
    EXPECT_FALSE(equal_constant_time(a, b));
    EXPECT_FALSE(equal_constant_time(a, std::span(a).first(31)));
    EXPECT_TRUE(equal_constant_time({}, {}));
}

}  // namespace
}  // namespace strongroom::crypto
