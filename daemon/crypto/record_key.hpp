// Per-record content encryption (DESIGN.md §2 rule 10: destroying one key
// makes one record's content unreadable).
//
// Each record has its own random 256-bit key. Its content is stored in
// chunks, each sealed with AES-256-GCM:
//
//   nonce = 4 zero bytes | chunk number (u64, big-endian)
//   aad   = "strongroom chunk v1" | chunk number | final flag (1 byte)
//
// A key is used for one record only, so a (key, nonce) pair never repeats;
// the chunk number in the nonce and the final flag in the aad make a
// reordered, swapped or truncated chunk sequence fail to open.
//
// The record key is stored wrapped (KeyVault::wrap_record_key) under a key
// derived from the master key, bound to the record id.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "daemon/common/error.hpp"
#include "daemon/crypto/digest.hpp"
#include "daemon/crypto/secure_buffer.hpp"

namespace strongroom::crypto {

class RecordKey {
public:
    static constexpr std::size_t kKeyBytes = 32;
    static constexpr std::size_t kTagBytes = 16;

    // A fresh random key. Throws std::runtime_error if the RNG fails.
    static RecordKey generate();
    // From unwrapped key bytes (exactly kKeyBytes).
    explicit RecordKey(SecureBuffer key);

    RecordKey(RecordKey&&) noexcept;
    RecordKey& operator=(RecordKey&&) noexcept;
    ~RecordKey();

    // Appends the sealed chunk (ciphertext then tag) to out.
    void seal(std::uint64_t chunk, bool final, std::span<const std::uint8_t> plain,
              std::vector<std::uint8_t>& out) const;
    // Opens a sealed chunk into out (replacing its contents). An internal
    // error when the chunk fails authentication.
    Status open(std::uint64_t chunk, bool final, std::span<const std::uint8_t> sealed,
                std::vector<std::uint8_t>& out) const;

    std::span<const std::uint8_t> bytes() const noexcept { return key_.span(); }

private:
    struct Contexts;
    SecureBuffer key_;
    std::unique_ptr<Contexts> ctx_;  // cipher contexts reused across chunks
};

// 64 random bits from the OpenSSL RNG. Throws std::runtime_error if it fails.
std::uint64_t random_u64();

}  // namespace strongroom::crypto
