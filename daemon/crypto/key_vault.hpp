// The key vault: the one object in the daemon that holds key bytes.
//
// It takes the 32-byte master key, derives the sub-keys with HKDF-SHA256
// into locked memory and wipes the master. Nothing outside this class ever
// sees a key: it offers operations instead, "key this SQLCipher
// connection", "give me an audit MAC context", "identify the master key".
// (STYLE.md item 5; compare OpenSMTPD's ca.c.)
//
// Derivation (fixed: changing a label or the salt makes existing databases,
// audit chains and certificates unreadable):
//
//   sub-key = HKDF-SHA256(ikm = master, salt = "strongroom/v1", info = label, 32 bytes)
//
//   database key        "strongroom database key v1"      raw SQLCipher key
//   audit MAC key       "strongroom audit mac key v1"     HMAC-SHA256 of audit rows
//   certificate seed    "strongroom certificate seed v1"  Ed25519 signing-key seed
//   key check key       "strongroom key check v1"         key_check() below
//   record key wrap     "strongroom record key wrap v1"   wraps per-record content keys
//   key-store backup    "strongroom key-store backup mac v1" authenticates key-store backups
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/common/error.hpp"
#include "daemon/crypto/ed25519.hpp"
#include "daemon/crypto/mac.hpp"
#include "daemon/crypto/record_key.hpp"
#include "daemon/crypto/secure_buffer.hpp"

namespace strongroom::crypto {

namespace derivation {
inline constexpr std::string_view kSalt = "strongroom/v1";
inline constexpr std::string_view kDatabaseKey = "strongroom database key v1";
inline constexpr std::string_view kAuditMacKey = "strongroom audit mac key v1";
inline constexpr std::string_view kCertificateSeed = "strongroom certificate seed v1";
inline constexpr std::string_view kKeyCheckKey = "strongroom key check v1";
inline constexpr std::string_view kRecordKeyWrap = "strongroom record key wrap v1";
inline constexpr std::string_view kKeyBackupMac = "strongroom key-store backup mac v1";
// The message whose HMAC under the key check key is key_check().
inline constexpr std::string_view kKeyCheckMessage = "strongroom key check";
}  // namespace derivation

class KeyVault {
public:
    static constexpr std::size_t kMasterKeyBytes = 32;
    static constexpr std::size_t kSubKeyBytes = 32;

    // Takes ownership of the master key, derives the sub-keys and wipes and
    // unmaps the master before returning (it is not kept). Throws
    // std::invalid_argument when master is not kMasterKeyBytes long,
    // std::runtime_error when derivation fails, and what SecureBuffer throws.
    explicit KeyVault(SecureBuffer master);

    // Move-only (the sub-keys are SecureBuffers). A moved-from vault throws
    // std::logic_error when used.
    KeyVault(KeyVault&&) noexcept = default;
    KeyVault& operator=(KeyVault&&) noexcept = default;
    KeyVault(const KeyVault&) = delete;
    KeyVault& operator=(const KeyVault&) = delete;
    ~KeyVault() = default;

    // The raw database key as SQLCipher takes it (the x'<hex>' form:
    // SQLCipher skips its passphrase KDF), in locked memory wiped when it
    // goes out of scope. Only the store uses it, to key a connection before
    // its first statement or to attach a file under this key. SQLCipher
    // checks a key only when it first reads the file: a wrong master key
    // shows up as SQLITE_NOTADB on the first statement, which key_check()
    // then tells apart from a damaged file.
    SecureBuffer database_key_text() const;

    // A fresh HMAC-SHA256 context keyed with the audit MAC key, for one
    // owner (see mac.hpp: contexts are not thread-safe).
    HmacSha256 audit_mac() const;

    // 32 bytes that identify the master key without revealing it:
    // HMAC-SHA256(key check key, "strongroom key check"). Stored beside the
    // database, so that at start-up a wrong key is told apart from a
    // damaged file.
    std::array<std::uint8_t, 32> key_check() const;

    // The certificate-signing key, made from the derived seed.
    Ed25519Key signing_key() const;

    // A fresh HMAC-SHA256 context keyed for key-store backups: a backup
    // whose MAC fails was altered or is another strongroom's.
    HmacSha256 key_backup_mac() const;

    // A record's content key, sealed for storage: AES-256-GCM under the
    // record key wrap key with a random nonce, bound to the record id
    // (nonce | ciphertext | tag, 60 bytes).
    std::vector<std::uint8_t> wrap_record_key(std::int64_t record_id, const RecordKey& key) const;
    // The reverse; an internal error when the wrapped key was altered or
    // belongs to another record.
    Result<RecordKey> unwrap_record_key(std::int64_t record_id,
                                        std::span<const std::uint8_t> wrapped) const;

    // Rekey (strongroomd --rekey): this vault is the master key being
    // retired, successor the new one. The audit MAC key of this vault,
    // sealed (AES-256-GCM) under the successor's record key wrap key and
    // bound to `binding` (every other field of its retired_keys row, so that
    // a row altered in the database fails to open), for the retired_keys
    // table; entries chained under it still verify after the rekey.
    std::vector<std::uint8_t> retire_audit_key(const KeyVault& successor,
                                               std::span<const std::uint8_t> binding) const;
    // An audit key retired by an earlier rekey and sealed under this vault,
    // sealed again under the successor's. An internal error when it fails
    // authentication.
    Result<std::vector<std::uint8_t>> reseal_retired_audit_key(
        const KeyVault& successor, std::span<const std::uint8_t> binding,
        std::span<const std::uint8_t> sealed) const;
    // An HMAC context keyed with a retired audit key sealed under this vault
    // (an error when the key or its binding was altered).
    Result<HmacSha256> retired_audit_mac(std::span<const std::uint8_t> binding,
                                         std::span<const std::uint8_t> sealed) const;

    // True when every sub-key is in locked, non-dumpable pages.
    bool locked() const noexcept;

private:
    void require_keys() const;

    SecureBuffer database_key_;
    SecureBuffer audit_key_;
    SecureBuffer certificate_seed_;
    SecureBuffer check_key_;
    SecureBuffer wrap_key_;
    SecureBuffer key_backup_key_;
};

}  // namespace strongroom::crypto
