#include "daemon/crypto/mac.hpp"

#include <array>
#include <stdexcept>
#include <utility>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/params.h>

#include "daemon/crypto/openssl_util.hpp"

namespace strongroom::crypto {
namespace {

// The HMAC implementation, fetched once per process (thread-safe static
// initialisation); every context holds its own reference to it.
EVP_MAC* hmac_algorithm() {
    static const detail::OpensslPtr<EVP_MAC> mac = [] {
        detail::OpensslPtr<EVP_MAC> fetched(EVP_MAC_fetch(nullptr, OSSL_MAC_NAME_HMAC, nullptr));
        if (!fetched) {
            detail::throw_openssl_error("HMAC unavailable");
        }
        return fetched;
    }();
    return mac.get();
}

std::span<const std::uint8_t> as_bytes(std::string_view text) noexcept {
    return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

}  // namespace

HmacSha256::HmacSha256(std::span<const std::uint8_t> key) {
    if (key.empty()) {
        throw std::invalid_argument("HMAC-SHA256 key must not be empty");
    }
    detail::OpensslPtr<EVP_MAC_CTX> ctx(EVP_MAC_CTX_new(hmac_algorithm()));
    if (!ctx) {
        detail::throw_openssl_error("HMAC context");
    }
    char digest[] = "SHA256";
    const std::array<OSSL_PARAM, 2> params{
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_end(),
    };
    // Sets the digest and the key; later EVP_MAC_init calls pass no key and
    // so only reset the context to the keyed state.
    if (EVP_MAC_init(ctx.get(), key.data(), key.size(), params.data()) != 1) {
        detail::throw_openssl_error("HMAC-SHA256 key setup");
    }
    ctx_ = ctx.release();
}

HmacSha256::~HmacSha256() {
    EVP_MAC_CTX_free(ctx_);
}

HmacSha256::HmacSha256(HmacSha256&& other) noexcept
    : ctx_(std::exchange(other.ctx_, nullptr)), started_(std::exchange(other.started_, false)) {}

HmacSha256& HmacSha256::operator=(HmacSha256&& other) noexcept {
    if (this != &other) {
        EVP_MAC_CTX_free(ctx_);
        ctx_ = std::exchange(other.ctx_, nullptr);
        started_ = std::exchange(other.started_, false);
    }
    return *this;
}

HmacSha256::Tag HmacSha256::mac(std::span<const std::uint8_t> data) {
    begin();
    update(data);
    return finish();
}

HmacSha256::Tag HmacSha256::mac(std::string_view data) {
    return mac(as_bytes(data));
}

void HmacSha256::begin() {
    if (ctx_ == nullptr) {
        throw std::logic_error("HMAC-SHA256 context used after move");
    }
    started_ = false;
    if (EVP_MAC_init(ctx_, nullptr, 0, nullptr) != 1) {
        detail::throw_openssl_error("HMAC-SHA256 init");
    }
    started_ = true;
}

void HmacSha256::update(std::span<const std::uint8_t> data) {
    if (!started_) {
        throw std::logic_error("HMAC-SHA256 update without begin");
    }
    if (EVP_MAC_update(ctx_, data.data(), data.size()) != 1) {
        started_ = false;
        detail::throw_openssl_error("HMAC-SHA256 update");
    }
}

void HmacSha256::update(std::string_view data) {
    update(as_bytes(data));
}

HmacSha256::Tag HmacSha256::finish() {
    if (!started_) {
        throw std::logic_error("HMAC-SHA256 finish without begin");
    }
    started_ = false;
    Tag tag{};
    std::size_t written = 0;
    if (EVP_MAC_final(ctx_, tag.data(), &written, tag.size()) != 1 || written != tag.size()) {
        detail::throw_openssl_error("HMAC-SHA256 final");
    }
    return tag;
}

bool equal_constant_time(std::span<const std::uint8_t> a,
                         std::span<const std::uint8_t> b) noexcept {
    // The lengths are not secret (tags have a fixed size).
    if (a.size() != b.size()) {
        return false;
    }
    return a.empty() || CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace strongroom::crypto
