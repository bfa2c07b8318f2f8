// Every page of the daemon's database file and write-ahead log, decrypted
// the way SQLCipher 3 encrypts them (AES-256-CBC under the raw database key,
// the IV at the start of each page's reserved bytes): what someone holding
// the key and the files could read, deleted or not.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>

#include <openssl/evp.h>

#include "daemon/crypto/hkdf.hpp"
#include "daemon/crypto/key_vault.hpp"
#include "tests/integration/harness.hpp"

namespace strongroom::test {

inline constexpr std::size_t kPageBytes = 4096;
inline constexpr std::size_t kReserveBytes = 48;  // IV (16) + HMAC-SHA1 (20), in AES blocks

inline std::array<std::uint8_t, 32> database_key(const std::filesystem::path& state) {
    const auto master = read_file(state / "dev.key");
    std::array<std::uint8_t, 32> key{};
    const auto salt = crypto::derivation::kSalt;
    crypto::hkdf_sha256({reinterpret_cast<const std::uint8_t*>(master.data()), master.size()},
                        {reinterpret_cast<const std::uint8_t*>(salt.data()), salt.size()},
                        crypto::derivation::kDatabaseKey, key);
    return key;
}

// The plain bytes of one encrypted page (page number from 1).
inline std::string decrypt_page(const std::array<std::uint8_t, 32>& key, std::uint32_t number,
                                const unsigned char* page) {
    const std::size_t skip = number == 1 ? 16 : 0;  // page 1 starts with the salt
    const auto* iv = page + kPageBytes - kReserveBytes;
    std::string out(kPageBytes - kReserveBytes - skip, '\0');
    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    int len = 0;
    EVP_DecryptInit_ex(ctx, EVP_aes_256_cbc(), nullptr, key.data(), iv);
    EVP_CIPHER_CTX_set_padding(ctx, 0);
    EVP_DecryptUpdate(ctx, reinterpret_cast<unsigned char*>(out.data()), &len, page + skip,
                      static_cast<int>(out.size()));
    EVP_CIPHER_CTX_free(ctx);
    return out;
}

// The pages of a database file (a backup, say) under the state's key.
inline std::string decrypted_file(const std::filesystem::path& state,
                                  const std::filesystem::path& file) {
    const auto key = database_key(state);
    std::string plain;
    const auto db = read_file(file);
    for (std::size_t at = 0; at + kPageBytes <= db.size(); at += kPageBytes) {
        plain += decrypt_page(key, static_cast<std::uint32_t>(at / kPageBytes + 1),
                              reinterpret_cast<const unsigned char*>(db.data() + at));
    }
    return plain;
}

inline std::string decrypted_pages(const std::filesystem::path& state) {
    const auto key = database_key(state);
    std::string plain;
    const auto db = read_file(state / "strongroom.db");
    for (std::size_t at = 0; at + kPageBytes <= db.size(); at += kPageBytes) {
        plain += decrypt_page(key, static_cast<std::uint32_t>(at / kPageBytes + 1),
                              reinterpret_cast<const unsigned char*>(db.data() + at));
    }
    std::error_code ec;
    if (std::filesystem::exists(state / "strongroom.db-wal", ec)) {
        const auto wal = read_file(state / "strongroom.db-wal");
        // A 32-byte header, then frames of a 24-byte header and a page.
        for (std::size_t at = 32; at + 24 + kPageBytes <= wal.size(); at += 24 + kPageBytes) {
            const auto* f = reinterpret_cast<const unsigned char*>(wal.data() + at);
            const std::uint32_t number = (std::uint32_t{f[0]} << 24) | (std::uint32_t{f[1]} << 16) |
                                         (std::uint32_t{f[2]} << 8) | std::uint32_t{f[3]};
            plain += decrypt_page(key, number, f + 24);
        }
    }
    return plain;
}

}  // namespace strongroom::test
