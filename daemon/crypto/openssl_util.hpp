// Internal to strongroom::crypto: owning pointers for OpenSSL objects and
// the text of OpenSSL's error queue. Not for other modules (they never see
// OpenSSL).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <openssl/evp.h>
#include <openssl/kdf.h>

namespace strongroom::crypto::detail {

struct OpensslFree {
    void operator()(EVP_KDF* p) const noexcept { EVP_KDF_free(p); }
    void operator()(EVP_KDF_CTX* p) const noexcept { EVP_KDF_CTX_free(p); }
    void operator()(EVP_MAC* p) const noexcept { EVP_MAC_free(p); }
    void operator()(EVP_MAC_CTX* p) const noexcept { EVP_MAC_CTX_free(p); }
    void operator()(EVP_MD_CTX* p) const noexcept { EVP_MD_CTX_free(p); }
    void operator()(EVP_MD* p) const noexcept { EVP_MD_free(p); }
    void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
};

template <class T>
using OpensslPtr = std::unique_ptr<T, OpensslFree>;

// "what: <reason from OpenSSL's error queue>"; empties the queue.
std::string openssl_error(std::string_view what);

// Throws std::runtime_error(openssl_error(what)).
[[noreturn]] void throw_openssl_error(std::string_view what);

}  // namespace strongroom::crypto::detail
