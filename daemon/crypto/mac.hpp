// HMAC-SHA256 with a reusable context.
//
// OpenSSL 3's one-shot HMAC() fetches the digest on every call; keeping one
// keyed EVP_MAC_CTX and re-initialising it per message is about 4x faster on
// audit-sized records (PERFORMANCE-NOTES.md). So an HmacSha256 is made once
// per owner (for example the audit writer) and used for every message.
//
// Not thread-safe: each thread or owner keeps its own HmacSha256
// (KeyVault::audit_mac() hands out a fresh one per call).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

struct evp_mac_ctx_st;  // OpenSSL's EVP_MAC_CTX

namespace strongroom::crypto {

class HmacSha256 {
public:
    static constexpr std::size_t kTagBytes = 32;
    using Tag = std::array<std::uint8_t, kTagBytes>;

    // Copies key (non-empty) into OpenSSL's context and nowhere else; the
    // caller may wipe its copy at once. Throws std::invalid_argument for an
    // empty key, std::runtime_error when OpenSSL fails.
    explicit HmacSha256(std::span<const std::uint8_t> key);
    ~HmacSha256();

    // Move-only; a moved-from object throws std::logic_error when used.
    HmacSha256(HmacSha256&& other) noexcept;
    HmacSha256& operator=(HmacSha256&& other) noexcept;
    HmacSha256(const HmacSha256&) = delete;
    HmacSha256& operator=(const HmacSha256&) = delete;

    // The tag of one message. Abandons any incremental computation in
    // progress.
    Tag mac(std::span<const std::uint8_t> data);
    Tag mac(std::string_view data);

    // Incremental form: begin(), update() any number of times, finish().
    // update() or finish() without a begin() throws std::logic_error.
    void begin();
    void update(std::span<const std::uint8_t> data);
    void update(std::string_view data);
    Tag finish();

private:
    evp_mac_ctx_st* ctx_ = nullptr;
    bool started_ = false;
};

// True when a and b have the same length and contents; the time taken
// depends only on the length (CRYPTO_memcmp). Use it to compare tags.
bool equal_constant_time(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) noexcept;

}  // namespace strongroom::crypto
