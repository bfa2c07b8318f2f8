// Test support: a temporary state directory and a key vault from fixed bytes.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "daemon/crypto/key_vault.hpp"
#include "daemon/crypto/secure_buffer.hpp"
#include "daemon/store/store.hpp"

namespace strongroom::test {

// A vault whose master key is 32 bytes of `fill`.
inline crypto::KeyVault make_vault(std::uint8_t fill = 0x42) {
    crypto::SecureBuffer master(crypto::KeyVault::kMasterKeyBytes);
    for (auto& b : master.span()) {
        b = fill;
    }
    return crypto::KeyVault(std::move(master));
}

// Store options for a test: small caches, a given number of readers.
inline store::StoreOptions store_options(const std::filesystem::path& dir, unsigned readers = 2) {
    store::StoreOptions o;
    o.state_dir = dir;
    o.readers = readers;
    o.cache_mib = 4;
    return o;
}

// A directory removed with everything in it at the end of the scope.
class ScratchDir {
public:
    ScratchDir() {
        std::string tmpl = (std::filesystem::temp_directory_path() / "sr-unit-XXXXXX").string();
        path_ = ::mkdtemp(tmpl.data());
    }
    ~ScratchDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    ScratchDir(const ScratchDir&) = delete;
    ScratchDir& operator=(const ScratchDir&) = delete;
    const std::filesystem::path& path() const noexcept { return path_; }

private:
    std::filesystem::path path_;
};

}  // namespace strongroom::test
