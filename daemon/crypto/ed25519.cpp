#include "daemon/crypto/ed25519.hpp"

#include <stdexcept>
#include <utility>

#include <openssl/err.h>

#include "daemon/crypto/openssl_util.hpp"

namespace strongroom::crypto {
namespace {

const evp_pkey_st* require(const evp_pkey_st* key) {
    if (key == nullptr) {
        throw std::logic_error("Ed25519 key used after move");
    }
    return key;
}

}  // namespace

Ed25519Key::Ed25519Key(std::span<const std::uint8_t> seed) {
    if (seed.size() != kSeedBytes) {
        throw std::invalid_argument("Ed25519 seed must be 32 bytes");
    }
    key_ = EVP_PKEY_new_raw_private_key_ex(nullptr, "ED25519", nullptr, seed.data(), seed.size());
    if (key_ == nullptr) {
        detail::throw_openssl_error("Ed25519 key from seed");
    }
}

Ed25519Key::~Ed25519Key() {
    EVP_PKEY_free(key_);
}

Ed25519Key::Ed25519Key(Ed25519Key&& other) noexcept : key_(std::exchange(other.key_, nullptr)) {}

Ed25519Key& Ed25519Key::operator=(Ed25519Key&& other) noexcept {
    if (this != &other) {
        EVP_PKEY_free(key_);
        key_ = std::exchange(other.key_, nullptr);
    }
    return *this;
}

Ed25519Key::PublicKey Ed25519Key::public_key() const {
    PublicKey out{};
    std::size_t len = out.size();
    if (EVP_PKEY_get_raw_public_key(require(key_), out.data(), &len) != 1 || len != out.size()) {
        detail::throw_openssl_error("Ed25519 public key");
    }
    return out;
}

Ed25519Key::Signature Ed25519Key::sign(std::span<const std::uint8_t> message) const {
    detail::OpensslPtr<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
    if (!ctx) {
        detail::throw_openssl_error("Ed25519 signing context");
    }
    // OpenSSL's signing API takes a non-const key it does not modify.
    if (EVP_DigestSignInit_ex(ctx.get(), nullptr, nullptr, nullptr, nullptr,
                              const_cast<evp_pkey_st*>(require(key_)), nullptr) != 1) {
        detail::throw_openssl_error("Ed25519 sign init");
    }
    Signature sig{};
    std::size_t len = sig.size();
    if (EVP_DigestSign(ctx.get(), sig.data(), &len, message.data(), message.size()) != 1 ||
        len != sig.size()) {
        detail::throw_openssl_error("Ed25519 sign");
    }
    return sig;
}

bool Ed25519Key::verify(const PublicKey& public_key, std::span<const std::uint8_t> message,
                        std::span<const std::uint8_t> signature) {
    detail::OpensslPtr<EVP_PKEY> key(EVP_PKEY_new_raw_public_key_ex(
        nullptr, "ED25519", nullptr, public_key.data(), public_key.size()));
    detail::OpensslPtr<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
    if (!key || !ctx) {
        detail::throw_openssl_error("Ed25519 verify setup");
    }
    if (EVP_DigestVerifyInit_ex(ctx.get(), nullptr, nullptr, nullptr, nullptr, key.get(),
                                nullptr) != 1) {
        detail::throw_openssl_error("Ed25519 verify init");
    }
    const bool valid = EVP_DigestVerify(ctx.get(), signature.data(), signature.size(),
                                        message.data(), message.size()) == 1;
    // A bad signature leaves an error on the queue; it is an answer, not a
    // failure, so do not let it surface in a later unrelated message.
    ERR_clear_error();
    return valid;
}

}  // namespace strongroom::crypto
