// Where the master key comes from, and reading it.
//
// In order of preference:
//   1. the systemd credential strongroom.key, in $CREDENTIALS_DIRECTORY
//      (LoadCredentialEncrypted=, sealed to the TPM where there is one);
//      systemd has already made it private to the service;
//   2. the key file named in the configuration, which must be a regular
//      file owned by root or the service user with no access for group or
//      others; anything else is refused with a message saying how to fix it;
//   3. in --dev mode only, a key file generated on first start.
//
// A key file holds exactly 32 raw bytes, or 64 hex digits optionally
// followed by one newline. Either way the key is read straight into a
// SecureBuffer, never through a std::string.
#pragma once

#include <filesystem>

#include <sys/types.h>

#include "daemon/common/error.hpp"
#include "daemon/crypto/secure_buffer.hpp"

namespace strongroom::crypto {

inline constexpr const char* kCredentialName = "strongroom.key";

struct KeySource {
    std::filesystem::path path;
    bool from_credential = false;  // systemd checked it; skip owner and mode checks
};

// The credential when credentials_directory (the value of
// $CREDENTIALS_DIRECTORY, or null when unset; the caller reads the
// environment) is set and holds strongroom.key; otherwise key_file.
KeySource choose_key_source(const char* credentials_directory,
                            const std::filesystem::path& key_file);

// Reads the master key from source. The file is opened without following a
// symbolic link and must be a regular file; a key file (not a credential)
// must also be owned by uid 0, allowed_owner (the service user) or the
// effective uid, and grant nothing to group or others. Errors name the file
// and say what to do: internal when the file cannot be opened or read,
// bad_request when its ownership, mode or contents are wrong.
Result<SecureBuffer> load_master_key(const KeySource& source, uid_t allowed_owner);

// --dev mode: when path does not exist, creates it (mode 0600, 32 random
// bytes, fsync'd with its directory); then loads it as a key file owned by
// the effective uid.
Result<SecureBuffer> load_or_create_dev_key(const std::filesystem::path& path);

}  // namespace strongroom::crypto
