// Ed25519 signing key (RFC 8032), made from a 32-byte seed. KeyVault derives
// the seed of the daemon's certificate-signing key; this class signs with it
// and gives out the public half.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

struct evp_pkey_st;  // OpenSSL's EVP_PKEY

namespace strongroom::crypto {

class Ed25519Key {
public:
    static constexpr std::size_t kSeedBytes = 32;
    static constexpr std::size_t kPublicKeyBytes = 32;
    static constexpr std::size_t kSignatureBytes = 64;
    using PublicKey = std::array<std::uint8_t, kPublicKeyBytes>;
    using Signature = std::array<std::uint8_t, kSignatureBytes>;

    // Copies the seed into OpenSSL's key object and nowhere else. Throws
    // std::invalid_argument when seed is not 32 bytes, std::runtime_error
    // when OpenSSL fails.
    explicit Ed25519Key(std::span<const std::uint8_t> seed);
    ~Ed25519Key();

    // Move-only; a moved-from key throws std::logic_error when used.
    Ed25519Key(Ed25519Key&& other) noexcept;
    Ed25519Key& operator=(Ed25519Key&& other) noexcept;
    Ed25519Key(const Ed25519Key&) = delete;
    Ed25519Key& operator=(const Ed25519Key&) = delete;

    PublicKey public_key() const;

    // Signs message (pure Ed25519, no pre-hash). Several threads may sign
    // with one key at once: each call uses its own OpenSSL context.
    Signature sign(std::span<const std::uint8_t> message) const;

    // True when signature is a valid signature of message under public_key.
    static bool verify(const PublicKey& public_key, std::span<const std::uint8_t> message,
                       std::span<const std::uint8_t> signature);

private:
    evp_pkey_st* key_ = nullptr;
};

}  // namespace strongroom::crypto
