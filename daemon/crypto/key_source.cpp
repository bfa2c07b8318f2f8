#include "daemon/crypto/key_source.hpp"

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <system_error>
#include <utility>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <openssl/rand.h>

#include "daemon/common/fd.hpp"
#include "daemon/common/files.hpp"
#include "daemon/crypto/hex.hpp"

namespace strongroom::crypto {
namespace fs = std::filesystem;

namespace {

constexpr std::size_t kKeyBytes = 32;
constexpr std::size_t kHexBytes = 2 * kKeyBytes;
// One more than the longest valid file, so that a longer one is noticed.
constexpr std::size_t kReadLimit = kHexBytes + 2;

constexpr const char* kFormat =
    "expected exactly 32 raw bytes, or 64 hex digits optionally followed by one newline";

std::string errno_text(int err) {
    return std::generic_category().message(err);
}

// "key file /x/k" or "systemd credential /run/credentials/.../strongroom.key".
std::string describe(const KeySource& source) {
    return fmt::format("{} {}", source.from_credential ? "systemd credential" : "key file",
                       source.path.string());
}

// Ownership and mode of a key file; credentials are systemd's business.
Status check_key_file_access(const KeySource& source, const struct stat& st, uid_t allowed_owner) {
    if (st.st_uid != 0 && st.st_uid != allowed_owner && st.st_uid != ::geteuid()) {
        return make_error(ErrorCode::bad_request,
                          fmt::format("{} is owned by uid {}; it must be owned by root or the "
                                      "service user",
                                      describe(source), st.st_uid));
    }
    const unsigned mode = st.st_mode & 07777U;
    if ((mode & 077U) != 0) {
        const char* what = (mode & 044U) != 0 ? "readable by" : "accessible to";
        return make_error(ErrorCode::bad_request,
                          fmt::format("{} is {} group or others (mode {:04o}); run: chmod 0400 {}",
                                      describe(source), what, mode, source.path.string()));
    }
    return {};
}

// Turns the bytes read (raw or hex) into the key.
Result<SecureBuffer> parse_key(const KeySource& source, const SecureBuffer& contents,
                               std::size_t length) {
    SecureBuffer key(kKeyBytes);
    const auto bytes = contents.span().first(length);
    if (length == kKeyBytes) {
        std::memcpy(key.data(), bytes.data(), kKeyBytes);
        return key;
    }
    const bool hex_length =
        length == kHexBytes || (length == kHexBytes + 1 && bytes.back() == '\n');
    if (!hex_length) {
        const std::string size = length >= kReadLimit ? "more than 65" : fmt::format("{}", length);
        return make_error(ErrorCode::bad_request,
                          fmt::format("{} has {} bytes; {}", describe(source), size, kFormat));
    }
    if (!detail::hex_decode(bytes.first(kHexBytes), key.span())) {
        // key is destroyed (wiped) on return.
        return make_error(ErrorCode::bad_request,
                          fmt::format("{} has 64 bytes that are not all hex digits; {}",
                                      describe(source), kFormat));
    }
    return key;
}

// Makes a new development key file on an fd just created with O_EXCL.
Status write_dev_key(Fd& fd, const fs::path& path) {
    SecureBuffer key(kKeyBytes);
    // RAND_priv_bytes: OpenSSL's generator instance kept for private keys.
    if (RAND_priv_bytes(key.data(), static_cast<int>(key.size())) != 1) {
        return make_error(ErrorCode::internal, "cannot generate a development key: no randomness");
    }
    // fchmod: the mode must not depend on the umask.
    if (::fchmod(fd.get(), 0600) != 0) {
        return make_error(ErrorCode::internal, errno_text(errno));
    }
    if (const int err = io::write_fully(fd.get(), key.span()); err != 0) {
        return make_error(ErrorCode::internal, errno_text(err));
    }
    if (::fsync(fd.get()) != 0 || fd.close() != 0) {
        return make_error(ErrorCode::internal, errno_text(errno));
    }
    // Make the new directory entry durable too.
    const fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
    const Fd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dir_fd.get() < 0 || ::fsync(dir_fd.get()) != 0) {
        return make_error(ErrorCode::internal,
                          fmt::format("directory {}: {}", dir.string(), errno_text(errno)));
    }
    return {};
}

}  // namespace

KeySource choose_key_source(const char* credentials_directory, const fs::path& key_file) {
    if (credentials_directory != nullptr && *credentials_directory != '\0') {
        fs::path credential = fs::path(credentials_directory) / kCredentialName;
        std::error_code ec;
        if (fs::exists(fs::symlink_status(credential, ec))) {
            return KeySource{std::move(credential), true};
        }
    }
    return KeySource{key_file, false};
}

Result<SecureBuffer> load_master_key(const KeySource& source, uid_t allowed_owner) {
    if (source.path.empty()) {
        return make_error(ErrorCode::bad_request,
                          fmt::format("no master key: no systemd credential {} and no key file "
                                      "configured",
                                      kCredentialName));
    }
    // O_NOFOLLOW: the file itself, not what a link points to; O_NONBLOCK: a
    // FIFO planted at the path cannot make the open hang (fstat rejects it).
    const Fd fd(
        ::open(source.path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
    if (fd.get() < 0) {
        const int err = errno;
        if (err == ELOOP) {
            return make_error(
                ErrorCode::bad_request,
                fmt::format("{} is a symbolic link; name the file itself", describe(source)));
        }
        return make_error(ErrorCode::internal,
                          fmt::format("cannot open {}: {}", describe(source), errno_text(err)));
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) {
        return make_error(ErrorCode::internal,
                          fmt::format("cannot stat {}: {}", describe(source), errno_text(errno)));
    }
    if (!S_ISREG(st.st_mode)) {
        return make_error(ErrorCode::bad_request,
                          fmt::format("{} is not a regular file", describe(source)));
    }
    if (!source.from_credential) {
        if (auto access = check_key_file_access(source, st, allowed_owner); !access) {
            return std::move(access).error();
        }
    }

    SecureBuffer contents(kReadLimit);
    const ssize_t n = io::read_full(fd.get(), contents.span());
    if (n < 0) {
        return make_error(ErrorCode::internal,
                          fmt::format("cannot read {}: {}", describe(source), errno_text(errno)));
    }
    return parse_key(source, contents, static_cast<std::size_t>(n));
}

Result<SecureBuffer> load_or_create_dev_key(const fs::path& path) {
    Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY,
                 0600));
    if (fd.get() >= 0) {
        if (auto st = write_dev_key(fd, path); !st) {
            // Leave no empty or partial key behind for the next start.
            ::unlink(path.c_str());
            return make_error(ErrorCode::internal,
                              fmt::format("cannot create development key file {}: {}",
                                          path.string(), st.error().message));
        }
    } else if (errno != EEXIST) {
        return make_error(ErrorCode::internal,
                          fmt::format("cannot create development key file {}: {}", path.string(),
                                      errno_text(errno)));
    }
    return load_master_key(KeySource{path, false}, ::geteuid());
}

}  // namespace strongroom::crypto
