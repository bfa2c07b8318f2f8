#include "daemon/crypto/record_key.hpp"

#include <array>
#include <cstring>
#include <stdexcept>
#include <string_view>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "daemon/crypto/openssl_util.hpp"

namespace strongroom::crypto {
namespace {

constexpr std::string_view kChunkAad = "strongroom chunk v1";
constexpr std::size_t kNonceBytes = 12;

struct CipherFree {
    void operator()(EVP_CIPHER_CTX* p) const noexcept { EVP_CIPHER_CTX_free(p); }
};
using CipherPtr = std::unique_ptr<EVP_CIPHER_CTX, CipherFree>;

std::array<std::uint8_t, kNonceBytes> nonce_for(std::uint64_t chunk) {
    std::array<std::uint8_t, kNonceBytes> n{};
    for (std::size_t i = 0; i < 8; ++i) {
        n[4 + i] = static_cast<std::uint8_t>(chunk >> (56 - 8 * i));
    }
    return n;
}

std::array<std::uint8_t, kChunkAad.size() + 9> aad_for(std::uint64_t chunk, bool final) {
    std::array<std::uint8_t, kChunkAad.size() + 9> a{};
    std::memcpy(a.data(), kChunkAad.data(), kChunkAad.size());
    for (std::size_t i = 0; i < 8; ++i) {
        a[kChunkAad.size() + i] = static_cast<std::uint8_t>(chunk >> (56 - 8 * i));
    }
    a[kChunkAad.size() + 8] = final ? 1 : 0;
    return a;
}

int to_int(std::size_t n) {
    if (n > static_cast<std::size_t>(INT32_MAX)) {
        throw std::length_error("chunk too large");
    }
    return static_cast<int>(n);
}

}  // namespace

struct RecordKey::Contexts {
    CipherPtr enc{EVP_CIPHER_CTX_new()};
    CipherPtr dec{EVP_CIPHER_CTX_new()};
    bool enc_ready = false;
    bool dec_ready = false;
};

RecordKey RecordKey::generate() {
    SecureBuffer key(kKeyBytes);
    if (RAND_bytes(key.data(), static_cast<int>(kKeyBytes)) != 1) {
        detail::throw_openssl_error("random record key");
    }
    return RecordKey(std::move(key));
}

RecordKey::RecordKey(SecureBuffer key) : key_(std::move(key)), ctx_(std::make_unique<Contexts>()) {
    if (key_.size() != kKeyBytes) {
        throw std::invalid_argument("a record key is 32 bytes");
    }
    if (!ctx_->enc || !ctx_->dec) {
        detail::throw_openssl_error("cipher context");
    }
}

RecordKey::RecordKey(RecordKey&&) noexcept = default;
RecordKey& RecordKey::operator=(RecordKey&&) noexcept = default;
RecordKey::~RecordKey() = default;

void RecordKey::seal(std::uint64_t chunk, bool final, std::span<const std::uint8_t> plain,
                     std::vector<std::uint8_t>& out) const {
    EVP_CIPHER_CTX* c = ctx_->enc.get();
    if (!ctx_->enc_ready) {
        if (EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), nullptr, key_.data(), nullptr) != 1) {
            detail::throw_openssl_error("AES-256-GCM init");
        }
        ctx_->enc_ready = true;
    }
    const auto nonce = nonce_for(chunk);
    const auto aad = aad_for(chunk, final);
    int n = 0;
    if (EVP_EncryptInit_ex(c, nullptr, nullptr, nullptr, nonce.data()) != 1 ||
        EVP_EncryptUpdate(c, nullptr, &n, aad.data(), to_int(aad.size())) != 1) {
        detail::throw_openssl_error("AES-256-GCM seal");
    }
    const std::size_t start = out.size();
    out.resize(start + plain.size() + kTagBytes);
    int len = 0;
    if (!plain.empty() &&
        EVP_EncryptUpdate(c, out.data() + start, &len, plain.data(), to_int(plain.size())) != 1) {
        detail::throw_openssl_error("AES-256-GCM seal");
    }
    int fin = 0;
    if (EVP_EncryptFinal_ex(c, out.data() + start + static_cast<std::size_t>(len), &fin) != 1 ||
        EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTagBytes),
                            out.data() + start + plain.size()) != 1) {
        detail::throw_openssl_error("AES-256-GCM seal");
    }
}

Status RecordKey::open(std::uint64_t chunk, bool final, std::span<const std::uint8_t> sealed,
                       std::vector<std::uint8_t>& out) const {
    if (sealed.size() < kTagBytes) {
        return make_error(ErrorCode::internal, "a content chunk is truncated");
    }
    EVP_CIPHER_CTX* c = ctx_->dec.get();
    if (!ctx_->dec_ready) {
        if (EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), nullptr, key_.data(), nullptr) != 1) {
            detail::throw_openssl_error("AES-256-GCM init");
        }
        ctx_->dec_ready = true;
    }
    const auto nonce = nonce_for(chunk);
    const auto aad = aad_for(chunk, final);
    const std::size_t body = sealed.size() - kTagBytes;
    int n = 0;
    if (EVP_DecryptInit_ex(c, nullptr, nullptr, nullptr, nonce.data()) != 1 ||
        EVP_DecryptUpdate(c, nullptr, &n, aad.data(), to_int(aad.size())) != 1) {
        detail::throw_openssl_error("AES-256-GCM open");
    }
    out.resize(body);
    int len = 0;
    if (body > 0 && EVP_DecryptUpdate(c, out.data(), &len, sealed.data(), to_int(body)) != 1) {
        detail::throw_openssl_error("AES-256-GCM open");
    }
    std::array<std::uint8_t, kTagBytes> tag{};
    std::memcpy(tag.data(), sealed.data() + body, kTagBytes);
    if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTagBytes), tag.data()) !=
        1) {
        detail::throw_openssl_error("AES-256-GCM open");
    }
    int fin = 0;
    if (EVP_DecryptFinal_ex(c, out.data() + static_cast<std::size_t>(len), &fin) != 1) {
        out.clear();
        return make_error(ErrorCode::internal,
                          "a content chunk failed authentication: the stored content was "
                          "altered or its key is not the one it was sealed with");
    }
    return {};
}

std::uint64_t random_u64() {
    std::uint64_t v = 0;
    if (RAND_bytes(reinterpret_cast<unsigned char*>(&v), sizeof v) != 1) {
        throw std::runtime_error("the random number generator failed");
    }
    return v;
}

}  // namespace strongroom::crypto
