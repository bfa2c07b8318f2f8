#include "daemon/crypto/record_key.hpp"

#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "daemon/crypto/digest.hpp"
#include "daemon/crypto/key_vault.hpp"

namespace strongroom::crypto {
namespace {

std::vector<std::uint8_t> bytes(std::string_view s) {
    return {s.begin(), s.end()};
}

KeyVault vault(std::uint8_t seed) {
    SecureBuffer master(KeyVault::kMasterKeyBytes);
    for (std::size_t i = 0; i < master.size(); ++i) {
        master.data()[i] = static_cast<std::uint8_t>(seed + 7 * i);
    }
    return KeyVault(std::move(master));
}

TEST(RecordKey, SealedChunkOpensWithSameNumberAndFlag) {
    const auto key = RecordKey::generate();
    const auto plain = bytes("operational summary, sector west");
    std::vector<std::uint8_t> sealed;
    key.seal(3, true, plain, sealed);
    EXPECT_EQ(sealed.size(), plain.size() + RecordKey::kTagBytes);
    EXPECT_EQ(std::string(sealed.begin(), sealed.end() - 16).find("operational"),
              std::string::npos);
    std::vector<std::uint8_t> out;
    ASSERT_TRUE(key.open(3, true, sealed, out).ok());
    EXPECT_EQ(out, plain);
}

TEST(RecordKey, MovedChunkOrTruncatedSequenceFailsToOpen) {
    const auto key = RecordKey::generate();
    std::vector<std::uint8_t> sealed;
    key.seal(0, false, bytes("first chunk"), sealed);
    std::vector<std::uint8_t> out;
    EXPECT_FALSE(key.open(1, false, sealed, out).ok());  // reordered
    EXPECT_FALSE(key.open(0, true, sealed, out).ok());   // presented as the last chunk
    sealed[2] ^= 1;
    EXPECT_FALSE(key.open(0, false, sealed, out).ok());  // altered
}

TEST(RecordKey, AnotherRecordsKeyCannotOpen) {
    const auto a = RecordKey::generate();
    const auto b = RecordKey::generate();
    std::vector<std::uint8_t> sealed;
    a.seal(0, true, bytes("x"), sealed);
    std::vector<std::uint8_t> out;
    EXPECT_FALSE(b.open(0, true, sealed, out).ok());
}

TEST(RecordKey, EmptyChunkRoundTrips) {
    const auto key = RecordKey::generate();
    std::vector<std::uint8_t> sealed;
    key.seal(0, true, {}, sealed);
    std::vector<std::uint8_t> out{1, 2};
    ASSERT_TRUE(key.open(0, true, sealed, out).ok());
    EXPECT_TRUE(out.empty());
}

TEST(RecordKeyWrap, UnwrapsOnlyForTheSameRecordAndMaster) {
    const auto v = vault(1);
    const auto key = RecordKey::generate();
    const auto wrapped = v.wrap_record_key(42, key);
    EXPECT_EQ(wrapped.size(), 60U);
    auto back = v.unwrap_record_key(42, wrapped);
    ASSERT_TRUE(back.ok());
    EXPECT_TRUE(std::equal(back->bytes().begin(), back->bytes().end(), key.bytes().begin()));
    EXPECT_FALSE(v.unwrap_record_key(43, wrapped).ok());
    EXPECT_FALSE(vault(2).unwrap_record_key(42, wrapped).ok());
    auto altered = wrapped;
    altered[20] ^= 0x40;
    EXPECT_FALSE(v.unwrap_record_key(42, altered).ok());
    EXPECT_FALSE(v.unwrap_record_key(42, std::span(wrapped).first(59)).ok());
}

TEST(Sha256Stream, PiecesGiveTheDigestOfTheWhole) {
    const std::string text(100000, 'q');
    Sha256Stream s;
    s.update({reinterpret_cast<const std::uint8_t*>(text.data()), 7});
    s.update({reinterpret_cast<const std::uint8_t*>(text.data()) + 7, text.size() - 7});
    EXPECT_EQ(s.finish(), sha256(text));
}

}  // namespace
}  // namespace strongroom::crypto
