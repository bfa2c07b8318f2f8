// strongroomd --provision-key and --recover-key: making the master key and
// putting it where the daemon reads it (DESIGN.md §4), with an escrow copy
// for the safe, and bringing a key back from that copy.
//
// --provision-key generates a new 256-bit key in locked memory and either
// seals it as the systemd credential strongroom.key (systemd-creds, to the
// TPM2 where there is one, else to the host key) or, with --seal file,
// writes the documented fallback, a root-only key file. It refuses to
// replace a key that is already there (credential or key file: the daemon
// prefers the credential, so a second key would be silently ignored) and to
// make a new key for an existing database. What it writes is checked before
// it is put in place (a credential is unsealed again and compared), and on
// any failure nothing is left at the target.
//
// --escrow FILE also writes the key, encrypted under a passphrase, in the
// format of `openssl enc -aes-256-cbc -pbkdf2 -iter 600000 -md sha256 -salt
// -a`, so that stock OpenSSL can recover it without Strongroom.
// --recover-key FILE decrypts such a copy and provisions its key exactly as
// --provision-key provisions a new one.
//
// Both run as root, before any sandboxing, never open the database, print
// what they did on standard output and one line on standard error when they
// refuse or fail; they return the exit status (0, or 1).
#pragma once

#include <filesystem>
#include <optional>
#include <string_view>

namespace strongroom::provision {

// Where systemd looks for LoadCredentialEncrypted=strongroom.key first.
inline constexpr const char* kDefaultCredstore = "/etc/credstore.encrypted";

enum class Seal {
    automatic,  // TPM2 when systemd-creds has-tpm2 says one is usable, else the host key
    tpm2,       // the TPM2, or a refusal when there is none
    host,       // the host key /var/lib/systemd/credential.secret
    file,       // a plain key file, root-owned 0400
};

// "auto", "tpm2", "host", "file"; nullopt for anything else.
std::optional<Seal> parse_seal(std::string_view text) noexcept;

struct Options {
    std::filesystem::path credstore = kDefaultCredstore;  // --credstore DIR
    Seal seal = Seal::automatic;                          // --seal
    std::filesystem::path
        key_file;  // [key] file or --key-file: checked, and written by --seal file
    std::filesystem::path database;               // the database a new key could not open
    std::optional<std::filesystem::path> escrow;  // --escrow FILE (--provision-key only)
};

// 0 when the effective uid is root; otherwise says so on stderr and
// returns 1.
int require_root();

// strongroomd --provision-key.
int provision_key(const Options& options);

// strongroomd --recover-key ESCROW.
int recover_key(const std::filesystem::path& escrow, const Options& options);

}  // namespace strongroom::provision
