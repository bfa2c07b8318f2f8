#include "daemon/crypto/key_vault.hpp"

#include <array>
#include <cstring>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "daemon/crypto/hex.hpp"
#include "daemon/crypto/hkdf.hpp"
#include "daemon/crypto/openssl_util.hpp"

namespace strongroom::crypto {
namespace {

std::span<const std::uint8_t> as_bytes(std::string_view text) noexcept {
    return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

// Derives one sub-key straight into its own locked buffer.
SecureBuffer derive(const SecureBuffer& master, std::string_view label) {
    SecureBuffer key(KeyVault::kSubKeyBytes);
    hkdf_sha256(master.span(), as_bytes(derivation::kSalt), label, key.span());
    return key;
}

const SecureBuffer& checked(const SecureBuffer& master) {
    if (master.size() != KeyVault::kMasterKeyBytes) {
        throw std::invalid_argument(fmt::format("master key must be {} bytes, not {}",
                                                KeyVault::kMasterKeyBytes, master.size()));
    }
    return master;
}

// Length of the key text x'<64 hex digits>'.
constexpr std::size_t kKeyTextBytes = 2 + 2 * KeyVault::kSubKeyBytes + 1;

// The raw database key as SQLCipher takes it, x'<hex>' (no passphrase
// KDF), in locked memory wiped when it goes out of scope.
SecureBuffer key_text(const SecureBuffer& key) {
    SecureBuffer text(kKeyTextBytes);
    const auto out = text.span();
    out[0] = 'x';
    out[1] = '\'';
    detail::hex_encode(key.span(), out.subspan(2, 2 * KeyVault::kSubKeyBytes));
    out[kKeyTextBytes - 1] = '\'';
    return text;
}

}  // namespace

KeyVault::KeyVault(SecureBuffer master)
    : database_key_(derive(checked(master), derivation::kDatabaseKey)),
      audit_key_(derive(master, derivation::kAuditMacKey)),
      certificate_seed_(derive(master, derivation::kCertificateSeed)),
      check_key_(derive(master, derivation::kKeyCheckKey)),
      wrap_key_(derive(master, derivation::kRecordKeyWrap)),
      key_backup_key_(derive(master, derivation::kKeyBackupMac)) {
    // The master is not kept: wipe and unmap it now, not whenever the
    // caller's full-expression ends and the parameter is destroyed.
    const SecureBuffer consumed(std::move(master));
}

void KeyVault::require_keys() const {
    if (database_key_.empty()) {
        throw std::logic_error("KeyVault used after move");
    }
}

SecureBuffer KeyVault::database_key_text() const {
    require_keys();
    return key_text(database_key_);
}

HmacSha256 KeyVault::audit_mac() const {
    require_keys();
    return HmacSha256(audit_key_.span());
}

std::array<std::uint8_t, 32> KeyVault::key_check() const {
    require_keys();
    return HmacSha256(check_key_.span()).mac(derivation::kKeyCheckMessage);
}

Ed25519Key KeyVault::signing_key() const {
    require_keys();
    return Ed25519Key(certificate_seed_.span());
}

namespace {

constexpr std::size_t kWrapNonce = 12;
constexpr std::size_t kWrapTag = 16;
constexpr std::size_t kWrappedBytes = kWrapNonce + RecordKey::kKeyBytes + kWrapTag;
constexpr std::string_view kWrapAad = "strongroom record key v1";
constexpr std::string_view kRetiredAad = "strongroom retired audit key v1";
static_assert(KeyVault::kSubKeyBytes == RecordKey::kKeyBytes);

struct CipherFree {
    void operator()(EVP_CIPHER_CTX* p) const noexcept { EVP_CIPHER_CTX_free(p); }
};

// What a sealed key is bound to: a label and a number (record id, epoch).
// (Byte by byte: GCC 12 at -O2 warns, wrongly, of a copy out of bounds when
// a vector is built from a constant string's iterators.)
std::vector<std::uint8_t> label_bytes(std::string_view label, std::size_t extra) {
    std::vector<std::uint8_t> a;
    a.reserve(label.size() + extra);
    for (const char c : label) {
        a.push_back(static_cast<std::uint8_t>(c));
    }
    return a;
}

std::vector<std::uint8_t> bound_to(std::string_view label, std::int64_t number) {
    auto a = label_bytes(label, 8);
    const auto n = static_cast<std::uint64_t>(number);
    for (std::size_t i = 0; i < 8; ++i) {
        a.push_back(static_cast<std::uint8_t>(n >> (56 - 8 * i)));
    }
    return a;
}

// What a retired audit key is bound to: everything its record says.
std::vector<std::uint8_t> retired_aad(std::span<const std::uint8_t> binding) {
    auto a = label_bytes(kRetiredAad, binding.size());
    a.insert(a.end(), binding.begin(), binding.end());
    return a;
}

// AES-256-GCM of a 32-byte key under wrap_key with a random nonce:
// nonce | ciphertext | tag.
std::vector<std::uint8_t> seal_key(const SecureBuffer& wrap_key, std::span<const std::uint8_t> aad,
                                   std::span<const std::uint8_t> key) {
    std::vector<std::uint8_t> out(kWrappedBytes);
    if (RAND_bytes(out.data(), static_cast<int>(kWrapNonce)) != 1) {
        detail::throw_openssl_error("random nonce");
    }
    std::unique_ptr<EVP_CIPHER_CTX, CipherFree> c(EVP_CIPHER_CTX_new());
    int n = 0;
    int len = 0;
    int fin = 0;
    if (!c ||
        EVP_EncryptInit_ex(c.get(), EVP_aes_256_gcm(), nullptr, wrap_key.data(), out.data()) != 1 ||
        EVP_EncryptUpdate(c.get(), nullptr, &n, aad.data(), static_cast<int>(aad.size())) != 1 ||
        EVP_EncryptUpdate(c.get(), out.data() + kWrapNonce, &len, key.data(),
                          static_cast<int>(RecordKey::kKeyBytes)) != 1 ||
        EVP_EncryptFinal_ex(c.get(), out.data() + kWrapNonce + RecordKey::kKeyBytes, &fin) != 1 ||
        EVP_CIPHER_CTX_ctrl(c.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kWrapTag),
                            out.data() + kWrapNonce + RecordKey::kKeyBytes) != 1) {
        detail::throw_openssl_error("sealing a key");
    }
    return out;
}

// The reverse, into locked memory; nullopt when the sealed key was altered
// or is bound to something else.
std::optional<SecureBuffer> open_key(const SecureBuffer& wrap_key,
                                     std::span<const std::uint8_t> aad,
                                     std::span<const std::uint8_t> sealed) {
    if (sealed.size() != kWrappedBytes) {
        return std::nullopt;
    }
    SecureBuffer key(RecordKey::kKeyBytes);
    std::unique_ptr<EVP_CIPHER_CTX, CipherFree> c(EVP_CIPHER_CTX_new());
    std::array<std::uint8_t, kWrapTag> tag{};
    std::memcpy(tag.data(), sealed.data() + kWrapNonce + RecordKey::kKeyBytes, kWrapTag);
    int n = 0;
    int len = 0;
    if (!c ||
        EVP_DecryptInit_ex(c.get(), EVP_aes_256_gcm(), nullptr, wrap_key.data(), sealed.data()) !=
            1 ||
        EVP_DecryptUpdate(c.get(), nullptr, &n, aad.data(), static_cast<int>(aad.size())) != 1 ||
        EVP_DecryptUpdate(c.get(), key.data(), &len, sealed.data() + kWrapNonce,
                          static_cast<int>(RecordKey::kKeyBytes)) != 1 ||
        EVP_CIPHER_CTX_ctrl(c.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kWrapTag),
                            tag.data()) != 1) {
        detail::throw_openssl_error("opening a sealed key");
    }
    int fin = 0;
    if (EVP_DecryptFinal_ex(c.get(), key.data() + len, &fin) != 1) {
        return std::nullopt;
    }
    return key;
}

}  // namespace

std::vector<std::uint8_t> KeyVault::wrap_record_key(std::int64_t record_id,
                                                    const RecordKey& key) const {
    require_keys();
    return seal_key(wrap_key_, bound_to(kWrapAad, record_id), key.bytes());
}

Result<RecordKey> KeyVault::unwrap_record_key(std::int64_t record_id,
                                              std::span<const std::uint8_t> wrapped) const {
    require_keys();
    if (wrapped.size() != kWrappedBytes) {
        return make_error(ErrorCode::internal, "a stored record key has the wrong length");
    }
    auto key = open_key(wrap_key_, bound_to(kWrapAad, record_id), wrapped);
    if (!key) {
        return make_error(
            ErrorCode::internal,
            fmt::format("the stored key of record {} fails authentication", record_id));
    }
    return RecordKey(std::move(*key));
}

std::vector<std::uint8_t> KeyVault::retire_audit_key(const KeyVault& successor,
                                                     std::span<const std::uint8_t> binding) const {
    require_keys();
    successor.require_keys();
    return seal_key(successor.wrap_key_, retired_aad(binding), audit_key_.span());
}

Result<std::vector<std::uint8_t>> KeyVault::reseal_retired_audit_key(
    const KeyVault& successor, std::span<const std::uint8_t> binding,
    std::span<const std::uint8_t> sealed) const {
    require_keys();
    successor.require_keys();
    const auto aad = retired_aad(binding);
    const auto key = open_key(wrap_key_, aad, sealed);
    if (!key) {
        return make_error(ErrorCode::internal,
                          "a retired key fails authentication (its record was altered)");
    }
    return seal_key(successor.wrap_key_, aad, key->span());
}

Result<HmacSha256> KeyVault::retired_audit_mac(std::span<const std::uint8_t> binding,
                                               std::span<const std::uint8_t> sealed) const {
    require_keys();
    const auto key = open_key(wrap_key_, retired_aad(binding), sealed);
    if (!key) {
        return make_error(ErrorCode::internal,
                          "a retired key fails authentication (its record was altered)");
    }
    return HmacSha256(key->span());
}

HmacSha256 KeyVault::key_backup_mac() const {
    require_keys();
    return HmacSha256(key_backup_key_.span());
}

bool KeyVault::locked() const noexcept {
    return database_key_.locked() && audit_key_.locked() && certificate_seed_.locked() &&
           check_key_.locked() && wrap_key_.locked() && key_backup_key_.locked();
}

}  // namespace strongroom::crypto
