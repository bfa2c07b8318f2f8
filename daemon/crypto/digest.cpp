#include "daemon/crypto/digest.hpp"

#include <openssl/evp.h>

#include "daemon/crypto/openssl_util.hpp"

namespace strongroom::crypto {
namespace {

const EVP_MD* sha256_algorithm() {
    static const detail::OpensslPtr<EVP_MD> md(EVP_MD_fetch(nullptr, "SHA256", nullptr));
    if (!md) {
        detail::throw_openssl_error("SHA-256");
    }
    return md.get();
}

EVP_MD_CTX* thread_context() {
    thread_local const detail::OpensslPtr<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
    if (!ctx) {
        detail::throw_openssl_error("SHA-256 context");
    }
    return ctx.get();
}

}  // namespace

Sha256Digest sha256(std::span<const std::uint8_t> data) {
    EVP_MD_CTX* ctx = thread_context();
    Sha256Digest out{};
    unsigned int len = 0;
    if (EVP_DigestInit_ex(ctx, sha256_algorithm(), nullptr) != 1 ||
        EVP_DigestUpdate(ctx, data.data(), data.size()) != 1 ||
        EVP_DigestFinal_ex(ctx, out.data(), &len) != 1 || len != out.size()) {
        detail::throw_openssl_error("SHA-256");
    }
    return out;
}

Sha256Digest sha256(std::string_view data) {
    return sha256(std::span(reinterpret_cast<const std::uint8_t*>(data.data()), data.size()));
}

struct Sha256Stream::Impl {
    detail::OpensslPtr<EVP_MD_CTX> ctx{EVP_MD_CTX_new()};
};

Sha256Stream::Sha256Stream() : impl_(std::make_unique<Impl>()) {
    if (!impl_->ctx || EVP_DigestInit_ex(impl_->ctx.get(), sha256_algorithm(), nullptr) != 1) {
        detail::throw_openssl_error("SHA-256");
    }
}
Sha256Stream::~Sha256Stream() = default;
Sha256Stream::Sha256Stream(Sha256Stream&&) noexcept = default;
Sha256Stream& Sha256Stream::operator=(Sha256Stream&&) noexcept = default;

void Sha256Stream::update(std::span<const std::uint8_t> data) {
    if (!data.empty() && EVP_DigestUpdate(impl_->ctx.get(), data.data(), data.size()) != 1) {
        detail::throw_openssl_error("SHA-256");
    }
}

void Sha256Stream::update(std::string_view data) {
    update(std::span(reinterpret_cast<const std::uint8_t*>(data.data()), data.size()));
}

Sha256Digest Sha256Stream::finish() {
    Sha256Digest d{};
    unsigned int n = 0;
    if (EVP_DigestFinal_ex(impl_->ctx.get(), d.data(), &n) != 1) {
        detail::throw_openssl_error("SHA-256");
    }
    return d;
}

}  // namespace strongroom::crypto
