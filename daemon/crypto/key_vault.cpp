#include "daemon/crypto/key_vault.hpp"

#include <stdexcept>
#include <utility>

#include <fmt/format.h>
#include <sqlite3.h>

#include "daemon/crypto/hex.hpp"
#include "daemon/crypto/hkdf.hpp"

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

}  // namespace

KeyVault::KeyVault(SecureBuffer master)
    : database_key_(derive(checked(master), derivation::kDatabaseKey)),
      audit_key_(derive(master, derivation::kAuditMacKey)),
      certificate_seed_(derive(master, derivation::kCertificateSeed)),
      check_key_(derive(master, derivation::kKeyCheckKey)) {
    // The master is not kept: wipe and unmap it now, not whenever the
    // caller's full-expression ends and the parameter is destroyed.
    const SecureBuffer consumed(std::move(master));
}

void KeyVault::require_keys() const {
    if (database_key_.empty()) {
        throw std::logic_error("KeyVault used after move");
    }
}

Status KeyVault::apply_database_key(sqlite3* db) const {
    require_keys();
    if (db == nullptr) {
        return make_error(ErrorCode::internal, "cannot key the database: no connection");
    }
    SecureBuffer text(kKeyTextBytes);
    const auto out = text.span();
    out[0] = 'x';
    out[1] = '\'';
    detail::hex_encode(database_key_.span(), out.subspan(2, 2 * kSubKeyBytes));
    out[kKeyTextBytes - 1] = '\'';
    // SQLCipher keeps its own copy (which it wipes when it frees it); ours
    // is wiped when text goes out of scope.
    const int rc = sqlite3_key(db, text.data(), static_cast<int>(text.size()));
    if (rc != SQLITE_OK) {
        return make_error(ErrorCode::internal,
                          fmt::format("cannot key the database: {}", sqlite3_errmsg(db)));
    }
    return {};
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

bool KeyVault::locked() const noexcept {
    return database_key_.locked() && audit_key_.locked() && certificate_seed_.locked() &&
           check_key_.locked();
}

}  // namespace strongroom::crypto
