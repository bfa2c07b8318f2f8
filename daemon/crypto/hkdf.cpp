#include "daemon/crypto/hkdf.hpp"

#include <array>
#include <cstddef>
#include <stdexcept>

#include <openssl/core_names.h>
#include <openssl/params.h>

#include "daemon/crypto/openssl_util.hpp"

namespace strongroom::crypto {

void hkdf_sha256(std::span<const std::uint8_t> ikm, std::span<const std::uint8_t> salt,
                 std::string_view info, std::span<std::uint8_t> out) {
    if (ikm.empty()) {
        throw std::invalid_argument("HKDF input key must not be empty");
    }
    // Derivation runs a handful of times at start-up: fetching the KDF on
    // each call costs nothing that matters.
    detail::OpensslPtr<EVP_KDF> kdf(EVP_KDF_fetch(nullptr, OSSL_KDF_NAME_HKDF, nullptr));
    if (!kdf) {
        detail::throw_openssl_error("HKDF unavailable");
    }
    detail::OpensslPtr<EVP_KDF_CTX> ctx(EVP_KDF_CTX_new(kdf.get()));
    if (!ctx) {
        detail::throw_openssl_error("HKDF context");
    }

    // OSSL_PARAM takes non-const pointers but only reads these buffers.
    char digest[] = "SHA256";
    std::array<OSSL_PARAM, 5> params{};
    std::size_t n = 0;
    params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0);
    params[n++] = OSSL_PARAM_construct_octet_string(
        OSSL_KDF_PARAM_KEY, const_cast<std::uint8_t*>(ikm.data()), ikm.size());
    if (!salt.empty()) {
        params[n++] = OSSL_PARAM_construct_octet_string(
            OSSL_KDF_PARAM_SALT, const_cast<std::uint8_t*>(salt.data()), salt.size());
    }
    if (!info.empty()) {
        params[n++] = OSSL_PARAM_construct_octet_string(
            OSSL_KDF_PARAM_INFO, const_cast<char*>(info.data()), info.size());
    }
    params[n] = OSSL_PARAM_construct_end();

    if (EVP_KDF_derive(ctx.get(), out.data(), out.size(), params.data()) != 1) {
        detail::throw_openssl_error("HKDF-SHA256 derivation");
    }
}

}  // namespace strongroom::crypto
