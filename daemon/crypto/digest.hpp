// SHA-256 of a buffer, for content addressing and the audit entry digests.
// Thread-safe: each thread keeps its own digest context, and the algorithm is
// fetched from OpenSSL once per process (fetching per call costs more than
// hashing a short record).
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

namespace strongroom::crypto {

using Sha256Digest = std::array<std::uint8_t, 32>;

Sha256Digest sha256(std::span<const std::uint8_t> data);
Sha256Digest sha256(std::string_view data);

}  // namespace strongroom::crypto
