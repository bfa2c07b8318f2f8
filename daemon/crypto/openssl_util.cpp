#include "daemon/crypto/openssl_util.hpp"

#include <array>
#include <stdexcept>

#include <openssl/err.h>

namespace strongroom::crypto::detail {

std::string openssl_error(std::string_view what) {
    std::string text(what);
    // The earliest error is the root cause; the rest add context.
    const unsigned long first = ERR_get_error();
    if (first == 0) {
        text += ": unknown OpenSSL error";
    } else {
        std::array<char, 256> reason{};
        ERR_error_string_n(first, reason.data(), reason.size());
        text += ": ";
        text += reason.data();
    }
    ERR_clear_error();
    return text;
}

void throw_openssl_error(std::string_view what) {
    throw std::runtime_error(openssl_error(what));
}

}  // namespace strongroom::crypto::detail
