#include "daemon/crypto/ed25519.hpp"

#include <stdexcept>
#include <vector>

#include <gtest/gtest.h>

#include "tests/unit/crypto/test_util.hpp"

namespace strongroom::crypto {
namespace {

using test::bytes_of;
using test::from_hex;
using test::to_hex;

// Verifies Ed25519Key against RFC 8032 section 7.1 test 1 (empty message) and that verify accepts
// it.
TEST(Ed25519, Rfc8032Test1) {
    const auto seed = from_hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
    const Ed25519Key key(seed);
    EXPECT_EQ(to_hex(key.public_key()),
              "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
    const auto sig = key.sign({});
    EXPECT_EQ(to_hex(sig),
              "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e"
              "39701cf9b46bd25bf5f0595bbe24655141438e7a100b");
    EXPECT_TRUE(Ed25519Key::verify(key.public_key(), {}, sig));
}

// Verifies that verify rejects a changed message, a changed signature and a wrong length.
TEST(Ed25519, VerifyRejectsTampering) {
    const std::vector<std::uint8_t> seed(32, 7);
    const Ed25519Key key(seed);
    const auto message = bytes_of("certificate body");
    auto sig = key.sign(message);
    EXPECT_TRUE(Ed25519Key::verify(key.public_key(), message, sig));
    EXPECT_FALSE(Ed25519Key::verify(key.public_key(), bytes_of("certificate bodY"), sig));
    EXPECT_FALSE(Ed25519Key::verify(key.public_key(), message, std::span(sig).first(63)));
    sig[0] ^= 1U;
    EXPECT_FALSE(Ed25519Key::verify(key.public_key(), message, sig));
}

// Verifies that a seed of the wrong length is refused.
TEST(Ed25519, WrongSeedLengthThrows) {
    const std::vector<std::uint8_t> seed(31, 7);
    EXPECT_THROW(Ed25519Key{seed}, std::invalid_argument);
}

}  // namespace
}  // namespace strongroom::crypto
