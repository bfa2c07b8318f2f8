// End-to-end tests of strongroomd --provision-key and --recover-key: the real
// daemon binary makes the master key, seals it with the real systemd-creds
// (host key: this machine has no TPM2) and writes an escrow copy that stock
// openssl decrypts; the daemon then starts outside --dev with that key. Every
// refusal leaves nothing behind. Run as root, like the commands themselves.
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include "tests/integration/harness.hpp"

namespace strongroom::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kPassphrase = "correct horse battery staple";
const std::string kTwice = std::string(kPassphrase) + "\n" + kPassphrase + "\n";

std::string find_program(const char* name) {
    for (const char* dir : {"/usr/bin", "/bin", "/usr/sbin", "/sbin"}) {
        const auto path = fs::path(dir) / name;
        if (::access(path.c_str(), X_OK) == 0) {
            return path.string();
        }
    }
    return {};
}

bool is_hex(std::string_view text) {
    return !text.empty() && text.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

// 64 lower-case hex digits and a newline: the key-file text.
bool is_key_text(const std::string& text) {
    return text.size() == 65 && text.back() == '\n' && is_hex(std::string_view(text).substr(0, 64));
}

// The fingerprint as defined for --provision-key, computed here independently.
std::string fingerprint_of(const std::string& key_text) {
    std::string input("strongroom key fingerprint", 26);
    input.push_back('\0');
    for (std::size_t i = 0; i + 1 < key_text.size(); i += 2) {
        input.push_back(static_cast<char>(std::stoi(key_text.substr(i, 2), nullptr, 16)));
    }
    std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
    unsigned int n = 0;
    EXPECT_EQ(EVP_Digest(input.data(), input.size(), md.data(), &n, EVP_sha256(), nullptr), 1);
    std::string out;
    for (std::size_t i = 0; i < 16; i += 2) {
        out += fmt::format("{}{:02x}{:02x}", i == 0 ? "" : "-", md[i], md[i + 1]);
    }
    return out;
}

// Every fingerprint printed ("fingerprint: " or "fingerprint " and 8 groups
// of 4 hex digits), in order.
std::vector<std::string> fingerprints_in(const std::string& out) {
    std::vector<std::string> found;
    for (auto at = out.find("fingerprint"); at != std::string::npos;
         at = out.find("fingerprint", at + 1)) {
        auto start = at + std::string_view("fingerprint").size();
        start += start < out.size() && out[start] == ':' ? 1 : 0;
        if (start >= out.size() || out[start] != ' ') {
            continue;
        }
        const auto print = out.substr(start + 1, 39);
        bool ok = print.size() == 39;
        for (std::size_t i = 0; ok && i < 8; ++i) {
            ok = is_hex(std::string_view(print).substr(5 * i, 4)) &&
                 (i == 7 || print[5 * i + 4] == '-');
        }
        if (ok) {
            found.push_back(print);
        }
    }
    return found;
}

std::set<std::string> entries(const fs::path& dir) {
    std::set<std::string> names;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
        names.insert(e.path().filename().string());
    }
    return names;
}

// A scratch area with a configuration of its own, so that nothing on this
// machine (/etc/credstore.encrypted, /etc/strongroom) is looked at or written.
struct Scratch {
    TempDir tmp;
    fs::path conf = tmp.path() / "empty.conf";
    fs::path key_file = tmp.path() / "strongroom.key";  // [key] file for these runs
    fs::path state = tmp.path() / "state";
    fs::path credstore = tmp.path() / "credstore";
    fs::path credential = credstore / "strongroom.key";
    std::string creds = find_program("systemd-creds");

    Scratch() { std::ofstream(conf) << ""; }

    RunResult strongroomd(std::vector<std::string> args, const std::string& input = "",
                          std::map<std::string, std::string> env = {}) const {
        std::vector<std::string> argv{daemon_path(),     "--config",    conf.string(), "--key-file",
                                      key_file.string(), "--state-dir", state.string()};
        argv.insert(argv.end(), args.begin(), args.end());
        RunOptions o;
        o.input = input;
        o.env = std::move(env);
        o.timeout = 120s;
        return run(argv, o);
    }
    RunResult provision(std::vector<std::string> args, const std::string& input = "") const {
        args.insert(args.begin(), "--provision-key");
        return strongroomd(std::move(args), input);
    }
    // The credential's contents, unsealed by systemd-creds as systemd would.
    RunResult decrypt(const fs::path& credential_file) const {
        return run({creds, "decrypt", "--name=strongroom.key", credential_file.string(), "-"});
    }
    // Stock openssl's reading of an escrow copy.
    RunResult openssl_decrypt(const fs::path& escrow, const std::string& passphrase) const {
        const auto pass = tmp.path() / "passphrase";
        std::ofstream(pass) << passphrase << "\n";
        auto r =
            run({find_program("openssl"), "enc", "-d", "-aes-256-cbc", "-pbkdf2", "-iter", "600000",
                 "-md", "sha256", "-a", "-in", escrow.string(), "-pass", "file:" + pass.string()});
        fs::remove(pass);
        return r;
    }
    // Starts strongroomd outside --dev, as root becoming "nobody", with the key
    // from CREDENTIALS_DIRECTORY (env) or the key file named in key_args. True
    // if it served (answered a request, then stopped cleanly); log gets what
    // it said.
    bool serves(std::vector<std::string> key_args, std::map<std::string, std::string> env,
                std::string& log) const {
        const auto mission = tmp.path() / "mission.conf";
        std::ofstream(mission) << "[daemon]\nuser = \"nobody\"\n[mission]\ncode = \"UNMISS\"\n";
        const auto socket = tmp.path() / "s.sock";
        const auto log_path = tmp.path() / "daemon.log";
        fs::remove(log_path);
        std::vector<std::string> argv{daemon_path(),  "--config", mission.string(), "--state-dir",
                                      state.string(), "--socket", socket.string()};
        argv.insert(argv.end(), key_args.begin(), key_args.end());
        const pid_t pid = spawn(argv, env, log_path);
        bool up = false;
        int status = -1;
        for (auto deadline = std::chrono::steady_clock::now() + 60s;
             std::chrono::steady_clock::now() < deadline;) {
            if (wait_for_socket(socket.string(), 100ms)) {
                up = true;
                break;
            }
            if ((status = wait_exit(pid, 0ms)) >= 0) {
                break;
            }
        }
        if (up) {
            // Serving: a stranger is told it has no account (exit 3).
            up = run({tool_path(), "--socket", socket.string(), "whoami"}).status == 3;
            ::kill(pid, SIGTERM);
            status = wait_exit(pid, 30s);
            up = up && status == 0;
        } else if (status < 0) {
            ::kill(pid, SIGKILL);
            wait_exit(pid, 5s);
        }
        log = read_file(log_path);
        return up;
    }
};

#define REQUIRE_ROOT_AND_SYSTEMD_CREDS(s)                     \
    do {                                                      \
        if (::geteuid() != 0) {                               \
            GTEST_SKIP() << "provisioning is root's";         \
        }                                                     \
        if ((s).creds.empty()) {                              \
            GTEST_SKIP() << "systemd-creds is not installed"; \
        }                                                     \
    } while (false)

TEST(ProvisionKey, CredentialAndEscrowHoldTheSameKey) {
    // A new key is sealed as the credential strongroom.key (host key, no TPM2
    // here) and escrowed; systemd-creds and stock openssl each give back the
    // same key, whose fingerprint is the one printed twice.
    Scratch s;
    REQUIRE_ROOT_AND_SYSTEMD_CREDS(s);
    const auto escrow = s.tmp.path() / "escrow";
    auto r =
        s.provision({"--credstore", s.credstore.string(), "--escrow", escrow.string()}, kTwice);
    ASSERT_EQ(r.status, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("where:       " + s.credential.string()), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("encrypted with this machine's host key "
                         "/var/lib/systemd/credential.secret (no TPM2 found)"),
              std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find("openssl enc -d -aes-256-cbc -pbkdf2 -iter 600000 -md sha256 -a -in " +
                         escrow.string()),
              std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find("systemctl start strongroomd.socket"), std::string::npos) << r.out;

    const auto unsealed = s.decrypt(s.credential);
    ASSERT_EQ(unsealed.status, 0) << unsealed.err;
    EXPECT_TRUE(is_key_text(unsealed.out)) << "64 hex digits and a newline";
    const auto prints = fingerprints_in(r.out);
    ASSERT_EQ(prints.size(), 2U) << r.out;
    EXPECT_EQ(prints[0], prints[1]) << "the key's and the envelope's fingerprint";
    EXPECT_EQ(prints[0], fingerprint_of(unsealed.out));

    const auto stock = s.openssl_decrypt(escrow, kPassphrase);
    ASSERT_EQ(stock.status, 0) << stock.err;
    EXPECT_EQ(stock.out, unsealed.out) << "stock openssl recovers the key";
    EXPECT_NE(s.openssl_decrypt(escrow, "another passphrase").out, unsealed.out);

    struct stat st {};
    ASSERT_EQ(::stat(s.credstore.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0700U) << "the credential store is created root-only";
    ASSERT_EQ(::stat(s.credential.c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, 0U);
    EXPECT_EQ(st.st_mode & 077, 0U);
    ASSERT_EQ(::stat(escrow.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0600U);
    EXPECT_EQ(entries(s.credstore), std::set<std::string>{"strongroom.key"})
        << "no staging copy is left behind";
    EXPECT_FALSE(fs::exists(s.key_file)) << "no plain key file besides the credential";
    // The escrow copy is base64 in 64-character lines, like openssl's.
    std::ifstream in(escrow);
    std::string line;
    ASSERT_TRUE(std::getline(in, line));
    EXPECT_EQ(line.size(), 64U);
    EXPECT_EQ(line.rfind("U2FsdGVkX1", 0), 0U) << "base64 of \"Salted__\"";
}

TEST(ProvisionKey, TheDaemonStartsWithTheProvisionedKey) {
    // The credential, unsealed into a CREDENTIALS_DIRECTORY as systemd does,
    // starts strongroomd outside --dev; the escrowed key opens the database
    // it made, and another key does not.
    Scratch s;
    REQUIRE_ROOT_AND_SYSTEMD_CREDS(s);
    const auto escrow = s.tmp.path() / "escrow";
    auto r =
        s.provision({"--credstore", s.credstore.string(), "--escrow", escrow.string()}, kTwice);
    ASSERT_EQ(r.status, 0) << r.err;

    const auto credentials = s.tmp.path() / "credentials";
    fs::create_directory(credentials);
    ::chmod(credentials.c_str(), 0500);
    const auto unsealed = s.decrypt(s.credential);
    ASSERT_EQ(unsealed.status, 0) << unsealed.err;
    std::ofstream(credentials / "strongroom.key") << unsealed.out;
    ::chmod((credentials / "strongroom.key").c_str(), 0400);
    std::string log;
    EXPECT_TRUE(s.serves({}, {{"CREDENTIALS_DIRECTORY", credentials.string()}}, log)) << log;
    EXPECT_TRUE(fs::exists(s.state / "strongroom.db"));

    // The same key from the escrow copy, as a key file: it opens that database.
    const auto recovered = s.tmp.path() / "recovered.key";
    std::ofstream(recovered) << s.openssl_decrypt(escrow, kPassphrase).out;
    ::chmod(recovered.c_str(), 0400);
    EXPECT_TRUE(s.serves({"--key-file", recovered.string()}, {}, log)) << log;

    const auto other = s.tmp.path() / "other.key";
    std::ofstream(other) << std::string(64, 'a') << "\n";
    ::chmod(other.c_str(), 0400);
    EXPECT_FALSE(s.serves({"--key-file", other.string()}, {}, log)) << "any key would do";

    // Now that a database exists, a new key for it is refused.
    const auto fresh = s.tmp.path() / "fresh";
    r = s.provision({"--credstore", fresh.string()});
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("the database " + (s.state / "strongroom.db").string() + " exists"),
              std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("--recover-key"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(fresh));
}

TEST(ProvisionKey, AKeyAlreadyThereIsNeverReplaced) {
    // A second provision is refused with one line naming the file and how to
    // proceed; the credential is unchanged. A key file in place of the
    // credential, or a credential when a key file is asked for, is refused too.
    Scratch s;
    REQUIRE_ROOT_AND_SYSTEMD_CREDS(s);
    ASSERT_EQ(s.provision({"--credstore", s.credstore.string()}).status, 0);
    const auto before = read_file(s.credential);

    auto r = s.provision({"--credstore", s.credstore.string()});
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.err, fmt::format("strongroomd: refusing to overwrite the master key credential "
                                 "{} (strongroomd would no longer open its database with a new "
                                 "key); to provision another key deliberately, move it away "
                                 "first\n",
                                 s.credential.string()));
    EXPECT_TRUE(r.out.empty()) << r.out;
    EXPECT_EQ(read_file(s.credential), before) << "the credential is unchanged";
    EXPECT_EQ(entries(s.credstore), std::set<std::string>{"strongroom.key"});

    r = s.provision({"--credstore", s.credstore.string(), "--seal", "file"});
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("strongroomd prefers it"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(s.key_file));

    // A key file already there: a credential would silently take its place.
    const auto other = s.tmp.path() / "other-store";
    std::ofstream(s.key_file) << std::string(64, 'b') << "\n";
    r = s.provision({"--credstore", other.string()});
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("the master key file " + s.key_file.string() + " exists"),
              std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("move it away first"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(other));
}

TEST(ProvisionKey, EscrowPassphraseAndFileAreChecked) {
    // Passphrases that differ, one that is too short, none at all, and an
    // escrow file already there are refused before anything is written.
    Scratch s;
    REQUIRE_ROOT_AND_SYSTEMD_CREDS(s);
    const auto escrow = s.tmp.path() / "escrow";
    const std::vector<std::string> args{"--credstore", s.credstore.string(), "--escrow",
                                        escrow.string()};
    auto nothing_written = [&] {
        EXPECT_FALSE(fs::exists(s.credstore));
        EXPECT_FALSE(fs::exists(escrow));
        EXPECT_FALSE(fs::exists(s.key_file));
    };

    auto r = s.provision(args, "correct horse battery\ncorrect horse batterx\n");
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.err, "strongroomd: the two passphrases differ: nothing was written\n");
    nothing_written();

    r = s.provision(args, "elevenchars\nelevenchars\n");
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("is 11 characters long; an escrow passphrase needs at least 12"),
              std::string::npos)
        << r.err;
    nothing_written();

    r = s.provision(args, "");
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("no passphrase on standard input"), std::string::npos) << r.err;
    nothing_written();

    std::ofstream(escrow) << "the previous escrow copy\n";
    r = s.provision(args, kTwice);
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("refusing to overwrite the escrow file " + escrow.string()),
              std::string::npos)
        << r.err;
    EXPECT_EQ(read_file(escrow), "the previous escrow copy\n");
    EXPECT_FALSE(fs::exists(s.credstore));
}

TEST(ProvisionKey, ACredentialThatDoesNotUnsealIsNotLeftBehind) {
    // When systemd-creds decrypt does not give the key back, nothing is
    // installed: no credential, no escrow copy, and the store created for it
    // is removed again.
    Scratch s;
    REQUIRE_ROOT_AND_SYSTEMD_CREDS(s);
    const auto bin = s.tmp.path() / "bin";
    fs::create_directory(bin);
    {
        std::ofstream fake(bin / "systemd-creds");
        fake << "#!/bin/sh\n"
             << "if [ \"$1\" = decrypt ]; then printf '%064d\\n' 0; exit 0; fi\n"
             << "exec " << s.creds << " \"$@\"\n";
    }
    ::chmod((bin / "systemd-creds").c_str(), 0755);
    const auto escrow = s.tmp.path() / "escrow";
    auto r = s.strongroomd(
        {"--provision-key", "--credstore", s.credstore.string(), "--escrow", escrow.string()},
        kTwice, {{"PATH", bin.string() + ":/usr/bin:/bin"}});
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("cannot be unsealed again (it decrypts to something else): nothing was "
                         "installed"),
              std::string::npos)
        << r.err;
    EXPECT_FALSE(fs::exists(s.credstore)) << "created for this run, removed again";
    EXPECT_FALSE(fs::exists(escrow));

    // Into an existing store: the store stays, empty.
    fs::create_directory(s.credstore);
    r = s.strongroomd({"--provision-key", "--credstore", s.credstore.string()}, "",
                      {{"PATH", bin.string() + ":/usr/bin:/bin"}});
    EXPECT_EQ(r.status, 1) << r.out;
    EXPECT_TRUE(entries(s.credstore).empty());
}

TEST(RecoverKey, TheEscrowCopyGivesTheSameKeyOnlyWithItsPassphrase) {
    // --recover-key with the right passphrase makes a credential in a new store
    // holding the escrowed key; a wrong passphrase or a damaged copy is one
    // clear line and nothing written; an existing key is not replaced.
    Scratch s;
    REQUIRE_ROOT_AND_SYSTEMD_CREDS(s);
    const auto escrow = s.tmp.path() / "escrow";
    ASSERT_EQ(
        s.provision({"--credstore", s.credstore.string(), "--escrow", escrow.string()}, kTwice)
            .status,
        0);
    const auto original = s.decrypt(s.credential).out;
    ASSERT_TRUE(is_key_text(original));

    const auto wrong_store = s.tmp.path() / "wrong";
    auto r = s.strongroomd({"--recover-key", escrow.string(), "--credstore", wrong_store.string()},
                           "not the passphrase\n");
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.err, fmt::format("strongroomd: cannot decrypt the escrow copy {}: wrong "
                                 "passphrase, or the file is damaged; nothing was written\n",
                                 escrow.string()));
    EXPECT_TRUE(r.out.empty()) << r.out;
    EXPECT_FALSE(fs::exists(wrong_store));

    const auto damaged = s.tmp.path() / "damaged";
    {
        auto text = read_file(escrow);
        text[20] = text[20] == 'A' ? 'B' : 'A';
        std::ofstream(damaged) << text;
    }
    r = s.strongroomd({"--recover-key", damaged.string(), "--credstore", wrong_store.string()},
                      std::string(kPassphrase) + "\n");
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("wrong passphrase, or the file is damaged"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "one line: " << r.err;
    EXPECT_FALSE(fs::exists(wrong_store));

    r = s.strongroomd({"--recover-key", s.conf.string(), "--credstore", wrong_store.string()},
                      std::string(kPassphrase) + "\n");
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("is not an escrow copy"), std::string::npos) << r.err;

    const auto second = s.tmp.path() / "second";
    r = s.strongroomd({"--recover-key", escrow.string(), "--credstore", second.string()},
                      std::string(kPassphrase) + "\n");
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(s.decrypt(second / "strongroom.key").out, original);
    const auto prints = fingerprints_in(r.out);
    ASSERT_EQ(prints.size(), 2U) << r.out;
    EXPECT_EQ(prints[0], fingerprint_of(original));
    EXPECT_EQ(prints[1], prints[0]);
    EXPECT_NE(r.out.find("compare it with the one on the envelope"), std::string::npos);

    // The same refusal to overwrite as --provision-key.
    const auto before = read_file(s.credential);
    r = s.strongroomd({"--recover-key", escrow.string(), "--credstore", s.credstore.string()},
                      std::string(kPassphrase) + "\n");
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("refusing to overwrite the master key credential"), std::string::npos)
        << r.err;
    EXPECT_EQ(read_file(s.credential), before);
}

TEST(RecoverKey, AnEscrowCopyMadeByStockOpensslIsRecovered) {
    // The format works both ways: a key file encrypted by `openssl enc
    // -aes-256-cbc -pbkdf2 -iter 600000 -md sha256 -salt -a` is recovered.
    Scratch s;
    REQUIRE_ROOT_AND_SYSTEMD_CREDS(s);
    const std::string key = std::string(32, '0') + std::string(32, 'f') + "\n";
    const auto plain = s.tmp.path() / "plain";
    const auto pass = s.tmp.path() / "pass";
    const auto escrow = s.tmp.path() / "by-openssl";
    std::ofstream(plain) << key;
    std::ofstream(pass) << kPassphrase << "\n";
    auto r = run({find_program("openssl"), "enc", "-aes-256-cbc", "-pbkdf2", "-iter", "600000",
                  "-md", "sha256", "-salt", "-a", "-in", plain.string(), "-out", escrow.string(),
                  "-pass", "file:" + pass.string()});
    ASSERT_EQ(r.status, 0) << r.err;
    r = s.strongroomd({"--recover-key", escrow.string(), "--credstore", s.credstore.string()},
                      std::string(kPassphrase) + "\n");
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(s.decrypt(s.credential).out, key);
}

TEST(ProvisionKey, SealTpm2IsRefusedWhereNoTpm2IsUsable) {
    Scratch s;
    REQUIRE_ROOT_AND_SYSTEMD_CREDS(s);
    if (run({s.creds, "has-tpm2"}).status == 0) {
        GTEST_SKIP() << "this machine has a usable TPM2";
    }
    auto r = s.provision({"--credstore", s.credstore.string(), "--seal", "tpm2"});
    EXPECT_EQ(r.status, 1) << r.out << r.err;
    EXPECT_NE(r.err.find("no usable TPM2 on this machine (systemd-creds has-tpm2: "),
              std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("use --seal host"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("nothing was written"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(s.credential));
    EXPECT_FALSE(fs::exists(s.key_file));
}

TEST(ProvisionKey, WhereATpm2IsUsableTheKeyIsSealedToItAndSaysSo) {
    // This machine has no TPM2: systemd-creds is stood in for by a script
    // that says one is there, records how it is called, and encrypts with the
    // host key instead. What is tested is strongroomd's side: it asks, seals
    // with --with-key=tpm2, checks the credential unseals, and says where the
    // key now depends on.
    Scratch s;
    REQUIRE_ROOT_AND_SYSTEMD_CREDS(s);
    const auto bin = s.tmp.path() / "bin";
    const auto calls = s.tmp.path() / "calls";
    fs::create_directories(bin);
    std::ofstream(bin / "systemd-creds")
        << "#!/bin/sh\n"
        << "echo \"$*\" >>'" << calls.string() << "'\n"
        << "if [ \"$1\" = has-tpm2 ]; then echo yes; echo +firmware; exit 0; fi\n"
        << "for a; do shift; case $a in --with-key=tpm2) set -- \"$@\" --with-key=host ;; "
           "*) set -- \"$@\" \"$a\" ;; esac; done\n"
        << "exec '" << s.creds << "' \"$@\"\n";
    fs::permissions(bin / "systemd-creds", fs::perms::owner_all);
    const std::map<std::string, std::string> path{
        {"PATH", bin.string() + ":/usr/sbin:/usr/bin:/sbin:/bin"}};
    // --seal tpm2 asked for: sealed to it (into a store of its own).
    const auto asked = s.tmp.path() / "asked";
    auto r = s.strongroomd({"--provision-key", "--credstore", asked.string(), "--seal", "tpm2"}, "",
                           path);
    ASSERT_EQ(r.status, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("sealed to this machine's TPM2"), std::string::npos) << r.out;
    EXPECT_TRUE(is_key_text(s.decrypt(asked / "strongroom.key").out));
    fs::remove(calls);
    // --seal auto (the default): the TPM2 is found and used.
    r = s.strongroomd({"--provision-key", "--credstore", s.credstore.string()}, "", path);
    ASSERT_EQ(r.status, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("systemd credential strongroom.key, sealed to this machine's TPM2"),
              std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find("losing this machine's TPM2 (or a change of its Secure Boot state)"),
              std::string::npos)
        << r.out;
    const auto said = read_file(calls);
    EXPECT_NE(said.find("has-tpm2\n"), std::string::npos) << said;
    EXPECT_NE(said.find("encrypt --name=strongroom.key --with-key=tpm2 - -\n"), std::string::npos)
        << said;
    EXPECT_NE(said.find("decrypt"), std::string::npos) << "the credential is checked: " << said;
    const auto unsealed = s.decrypt(s.credential);
    ASSERT_EQ(unsealed.status, 0) << unsealed.err;
    EXPECT_TRUE(is_key_text(unsealed.out));
    const auto prints = fingerprints_in(r.out);
    ASSERT_FALSE(prints.empty()) << r.out;
    EXPECT_EQ(prints[0], fingerprint_of(unsealed.out));
}

TEST(ProvisionKey, SealFileWritesARootOnlyKeyFileTheDaemonAccepts) {
    // --seal file writes the key file (root, 0400, 64 hex digits and a
    // newline) that strongroomd starts with, and refuses to overwrite it.
    Scratch s;
    REQUIRE_ROOT_AND_SYSTEMD_CREDS(s);
    auto r = s.provision({"--credstore", s.credstore.string(), "--seal", "file"});
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.out.find("plain key file, root-only"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("key-file.conf"), std::string::npos) << "says how the unit reads it";
    struct stat st {};
    ASSERT_EQ(::lstat(s.key_file.c_str(), &st), 0);
    EXPECT_TRUE(S_ISREG(st.st_mode));
    EXPECT_EQ(st.st_uid, 0U);
    EXPECT_EQ(st.st_gid, 0U);
    EXPECT_EQ(st.st_mode & 07777, 0400U);
    const auto key = read_file(s.key_file);
    EXPECT_TRUE(is_key_text(key));
    const auto prints = fingerprints_in(r.out);
    ASSERT_EQ(prints.size(), 1U) << r.out;
    EXPECT_EQ(prints[0], fingerprint_of(key));
    EXPECT_FALSE(fs::exists(s.credstore)) << "no credential store is made for a key file";
    EXPECT_EQ(entries(s.tmp.path()).count("strongroom.key.provisioning"), 0U);

    std::string log;
    EXPECT_TRUE(s.serves({"--key-file", s.key_file.string()}, {}, log)) << log;

    r = s.provision({"--credstore", s.credstore.string(), "--seal", "file"});
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.err, fmt::format("strongroomd: refusing to overwrite the master key file {}; to "
                                 "provision another key deliberately, move it away first\n",
                                 s.key_file.string()));
    EXPECT_EQ(read_file(s.key_file), key);
}

TEST(ProvisionKey, OnlyRootAndOnlyWithItsOwnOptions) {
    // Not root: refused, saying why. --escrow without --provision-key, or
    // --provision-key with --dev, is a usage error (exit 2).
    Scratch s;
    REQUIRE_ROOT_AND_SYSTEMD_CREDS(s);
    RunOptions as_alice;
    as_alice.uid = kAlice;
    auto r = run({daemon_path(), "--config", s.conf.string(), "--provision-key", "--credstore",
                  s.credstore.string()},
                 as_alice);
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.err, "strongroomd: run as root: the credential store and host key are root's\n");
    EXPECT_FALSE(fs::exists(s.credstore));

    EXPECT_EQ(s.strongroomd({"--escrow", (s.tmp.path() / "e").string()}).status, 2);
    EXPECT_EQ(s.strongroomd({"--seal", "host"}).status, 2);
    EXPECT_EQ(s.provision({"--seal", "usb"}).status, 2);
    EXPECT_EQ(s.provision({"--dev", (s.tmp.path() / "dev").string()}).status, 2);
    r = run({daemon_path(), "--help"});
    for (const char* option :
         {"--provision-key", "--recover-key", "--credstore", "--seal", "--escrow"}) {
        EXPECT_NE(r.out.find(option), std::string::npos) << option << " in --help";
    }
}

}  // namespace
}  // namespace strongroom::test
