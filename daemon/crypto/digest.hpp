// SHA-256, the daemon's one digest: of a buffer (content addressing, the
// audit entry digests, certificates) or of data arriving in pieces (an
// upload's content, a key's fingerprint).
// Thread-safe: each thread keeps its own digest context, and the algorithm is
// fetched from OpenSSL once per process (fetching per call costs more than
// hashing a short record).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

namespace strongroom::crypto {

using Sha256Digest = std::array<std::uint8_t, 32>;

Sha256Digest sha256(std::span<const std::uint8_t> data);
Sha256Digest sha256(std::string_view data);

// SHA-256 over data that arrives in pieces.
class Sha256Stream {
public:
    Sha256Stream();
    ~Sha256Stream();
    Sha256Stream(Sha256Stream&&) noexcept;
    Sha256Stream& operator=(Sha256Stream&&) noexcept;

    void update(std::span<const std::uint8_t> data);
    void update(std::string_view data);
    Sha256Digest finish();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace strongroom::crypto
