// HKDF-SHA256 (RFC 5869): derives sub-keys from the master key.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace strongroom::crypto {

// Fills out (1 to 255 * 32 bytes) with HKDF-SHA256(ikm, salt, info). An
// empty salt means the RFC's default (32 zero bytes). The caller provides
// out, so derived keys go straight into a SecureBuffer. Uses OpenSSL 3's
// EVP_KDF "HKDF". Throws std::invalid_argument for an empty ikm and
// std::runtime_error when OpenSSL fails or refuses the arguments (out empty
// or too long).
void hkdf_sha256(std::span<const std::uint8_t> ikm, std::span<const std::uint8_t> salt,
                 std::string_view info, std::span<std::uint8_t> out);

}  // namespace strongroom::crypto
