#include "daemon/crypto/hkdf.hpp"

#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/unit/crypto/test_util.hpp"

namespace strongroom::crypto {
namespace {

using test::from_hex;
using test::to_hex;

// Verifies hkdf_sha256 against RFC 5869 appendix A.1 (test case 1).
TEST(Hkdf, Rfc5869TestCase1) {
    const std::vector<std::uint8_t> ikm(22, 0x0b);
    const auto salt = from_hex("000102030405060708090a0b0c");
    const auto info_bytes = from_hex("f0f1f2f3f4f5f6f7f8f9");
    const std::string info(info_bytes.begin(), info_bytes.end());
    std::vector<std::uint8_t> okm(42);
    hkdf_sha256(ikm, salt, info, okm);
    EXPECT_EQ(
        to_hex(okm),
        "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
}

// Verifies RFC 5869 test case 3: an empty salt and empty info are accepted and mean the RFC
// defaults.
TEST(Hkdf, Rfc5869TestCase3EmptySaltAndInfo) {
    const std::vector<std::uint8_t> ikm(22, 0x0b);
    std::vector<std::uint8_t> okm(42);
    hkdf_sha256(ikm, {}, {}, okm);
    EXPECT_EQ(
        to_hex(okm),
        "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
}

// Verifies that an empty input key and an output OpenSSL refuses (too long) throw.
TEST(Hkdf, RefusedArgumentsThrow) {
    std::vector<std::uint8_t> okm(32);
    EXPECT_THROW(hkdf_sha256({}, {}, "x", okm), std::invalid_argument);
    const std::vector<std::uint8_t> ikm(32, 1);
    std::vector<std::uint8_t> too_long(255 * 32 + 1);
    EXPECT_THROW(hkdf_sha256(ikm, {}, "x", too_long), std::runtime_error);
}

}  // namespace
}  // namespace strongroom::crypto
