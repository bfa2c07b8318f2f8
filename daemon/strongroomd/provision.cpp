#include "daemon/strongroomd/provision.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <iostream>
#include <span>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "daemon/common/fd.hpp"
#include "daemon/common/files.hpp"
#include "daemon/common/text.hpp"
#include "daemon/crypto/digest.hpp"
#include "daemon/crypto/hex.hpp"
#include "daemon/crypto/key_source.hpp"
#include "daemon/crypto/secure_buffer.hpp"
#include "daemon/maintenance/backups.hpp"

// Key bytes are handled here, outside strongroom::crypto (STYLE.md 5), because
// this is a one-shot command that runs before the daemon exists: the key only
// ever lives in SecureBuffers (locked, not dumpable, wiped), and OpenSSL is
// used for what stock openssl must be able to undo (the escrow format).

namespace strongroom::provision {
namespace {

namespace fs = std::filesystem;
using crypto::SecureBuffer;

constexpr std::size_t kKeyBytes = 32;
constexpr std::size_t kKeyTextBytes = 2 * kKeyBytes + 1;  // 64 hex digits and a newline
constexpr std::size_t kMaxPassphraseBytes = 1024;
constexpr std::size_t kMinPassphraseChars = 12;
// The escrow format: `openssl enc -aes-256-cbc -pbkdf2 -iter 600000 -md
// sha256 -salt -a`. PBKDF2-HMAC-SHA256 derives the AES key and the IV.
constexpr int kIterations = 600000;
constexpr std::size_t kSaltBytes = 8;
constexpr std::size_t kAesKeyBytes = 32;
constexpr std::size_t kIvBytes = 16;
constexpr std::size_t kBlockBytes = 16;
constexpr std::string_view kMagic = "Salted__";
constexpr std::size_t kHeaderBytes = 8 + kSaltBytes;
constexpr std::size_t kMaxEscrowFileBytes = 64 * 1024;
constexpr const char* kOpensslDecrypt =
    "openssl enc -d -aes-256-cbc -pbkdf2 -iter 600000 -md sha256 -a -in";

constexpr const char* kHostKey = "/var/lib/systemd/credential.secret";
// systemd-creds output: a host-key credential is a few hundred bytes of
// base64, a TPM2 one a few KiB.
constexpr std::size_t kMaxCredentialBytes = 64 * 1024;
constexpr std::size_t kMaxChildErrorBytes = 4096;
constexpr auto kChildTimeout = std::chrono::seconds(120);

// A refusal or a failure: one line for the operator, exit status 1.
struct Failure : std::runtime_error {
    using std::runtime_error::runtime_error;
};

std::string errno_text(int err) {
    return std::generic_category().message(err);
}

// A path in a message.
std::string show(const fs::path& path) {
    return escape_controls(path.string());
}

// A path in a command the operator may copy: quoted for the shell unless it
// is made of characters that need none.
std::string quoted(const fs::path& path) {
    const std::string s = path.string();
    constexpr std::string_view plain =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/._-+,:=@%";
    if (!s.empty() && s.find_first_not_of(plain) == std::string::npos) {
        return s;
    }
    std::string out = "'";
    for (const char c : s) {
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    }
    return escape_controls(out + "'");
}

// Bytes in locked memory, and how many of them are in use.
struct Secret {
    explicit Secret(std::size_t capacity) : buffer(capacity) {}
    SecureBuffer buffer;
    std::size_t size = 0;
    std::span<const std::uint8_t> bytes() const { return buffer.span().first(size); }
};

bool same(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// Whether anything (a file, a directory, a link, even a dangling one) is at path.
bool occupied(const fs::path& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0) {
        return true;
    }
    if (errno != ENOENT && errno != ENOTDIR) {
        throw Failure(fmt::format("cannot look at {}: {}", show(path), errno_text(errno)));
    }
    return false;
}

// ---------------------------------------------------------------------------
// The key, its text and its fingerprint

// The key-file text the daemon reads (key_source.hpp): 64 lower-case hex
// digits and a newline.
Secret key_text(const SecureBuffer& key) {
    Secret text(kKeyTextBytes);
    crypto::detail::hex_encode(key.span(), text.buffer.span().first(2 * kKeyBytes));
    text.buffer.data()[2 * kKeyBytes] = '\n';
    text.size = kKeyTextBytes;
    return text;
}

// The key in text when it is exactly 64 hex digits and a newline.
std::optional<SecureBuffer> parse_key_text(std::span<const std::uint8_t> text) {
    if (text.size() != kKeyTextBytes || text.back() != '\n') {
        return std::nullopt;
    }
    SecureBuffer key(kKeyBytes);
    if (!crypto::detail::hex_decode(text.first(2 * kKeyBytes), key.span())) {
        return std::nullopt;  // key is wiped on return
    }
    return key;
}

// The first 16 bytes of SHA-256("strongroom key fingerprint\0" || key), as
// 8 groups of 4 hex digits: names a key without revealing it.
std::string fingerprint(const SecureBuffer& key) {
    static constexpr char kLabel[] = "strongroom key fingerprint";  // hashed with its '\0'
    crypto::Sha256Digest md{};
    try {
        crypto::Sha256Stream sha;
        sha.update(std::string_view(kLabel, sizeof kLabel));
        sha.update(key.span());
        md = sha.finish();
    } catch (const std::exception&) {
        throw Failure("cannot compute the key's fingerprint: OpenSSL's SHA-256 failed");
    }
    std::string out;
    for (std::size_t i = 0; i < 16; i += 2) {
        out += fmt::format("{}{:02x}{:02x}", i == 0 ? "" : "-", md[i], md[i + 1]);
    }
    OPENSSL_cleanse(md.data(), md.size());
    return out;
}

// ---------------------------------------------------------------------------
// Passphrases

// Characters of UTF-8 text (bytes that do not continue a character).
std::size_t characters(std::span<const std::uint8_t> text) {
    return static_cast<std::size_t>(std::count_if(
        text.begin(), text.end(), [](std::uint8_t c) { return (c & 0xc0U) != 0x80U; }));
}

// Reads one line (its newline dropped, like `openssl -pass file:`) into
// line; false at end of file before any byte.
bool read_line(int fd, Secret& line, const char* from) {
    line.size = 0;
    bool any = false;
    bool too_long = false;
    for (;;) {
        std::uint8_t c = 0;
        const ssize_t n = retry_on_eintr([&] { return ::read(fd, &c, 1); });
        if (n < 0) {
            throw Failure(
                fmt::format("cannot read the passphrase from {}: {}", from, errno_text(errno)));
        }
        if (n == 0) {
            break;
        }
        any = true;
        if (c == '\n') {
            break;
        }
        if (line.size == line.buffer.size()) {
            too_long = true;
        } else {
            line.buffer.data()[line.size++] = c;
        }
        c = 0;
    }
    if (too_long) {
        throw Failure(fmt::format("the passphrase is longer than {} bytes: nothing was written",
                                  kMaxPassphraseBytes));
    }
    return any;
}

// The terminal's settings while echo is off: a signal that ends the process
// meanwhile puts them back first.
volatile std::sig_atomic_t g_tty_fd = -1;
termios g_tty_saved{};

extern "C" void restore_terminal(int sig) {
    if (g_tty_fd >= 0) {
        ::tcsetattr(g_tty_fd, TCSAFLUSH, &g_tty_saved);
    }
    // The default action (ending the process), once this handler returns.
    std::signal(sig, SIG_DFL);
    ::raise(sig);
}

// Echo off on the terminal for the life of the object.
class EchoOff {
public:
    explicit EchoOff(int fd) : fd_(fd) {
        if (::tcgetattr(fd, &saved_) != 0) {
            throw Failure(
                fmt::format("cannot read the terminal's settings: {}", errno_text(errno)));
        }
        g_tty_saved = saved_;
        g_tty_fd = fd;
        struct sigaction sa {};
        sa.sa_handler = restore_terminal;
        sigemptyset(&sa.sa_mask);
        for (std::size_t i = 0; i < kSignals.size(); ++i) {
            ::sigaction(kSignals[i], &sa, &old_[i]);
        }
        termios quiet = saved_;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        quiet.c_lflag |= ECHONL;  // the newline typed still shows
        if (::tcsetattr(fd, TCSAFLUSH, &quiet) != 0) {
            const int err = errno;
            restore();
            throw Failure(fmt::format("cannot turn the terminal's echo off: {}", errno_text(err)));
        }
    }
    ~EchoOff() { restore(); }
    EchoOff(const EchoOff&) = delete;
    EchoOff& operator=(const EchoOff&) = delete;

private:
    static constexpr std::array<int, 4> kSignals{SIGINT, SIGTERM, SIGHUP, SIGQUIT};

    void restore() noexcept {
        ::tcsetattr(fd_, TCSAFLUSH, &saved_);
        g_tty_fd = -1;
        for (std::size_t i = 0; i < kSignals.size(); ++i) {
            ::sigaction(kSignals[i], &old_[i], nullptr);
        }
    }

    int fd_;
    termios saved_{};
    std::array<struct sigaction, kSignals.size()> old_{};
};

// One passphrase: typed on the terminal with echo off when standard input is
// a terminal, otherwise one line of standard input (for scripts).
Secret read_passphrase(const std::string& prompt) {
    Secret pass(kMaxPassphraseBytes);
    if (::isatty(STDIN_FILENO) != 1) {
        if (!read_line(STDIN_FILENO, pass, "standard input")) {
            throw Failure(
                "no passphrase on standard input (one line each time it is asked for): nothing "
                "was written");
        }
        return pass;
    }
    const Fd tty(::open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (tty.get() < 0) {
        throw Failure(fmt::format("cannot open the terminal /dev/tty to read the passphrase: {}",
                                  errno_text(errno)));
    }
    const EchoOff quiet(tty.get());
    [[maybe_unused]] const auto n = ::write(tty.get(), prompt.data(), prompt.size());
    if (!read_line(tty.get(), pass, "the terminal")) {
        throw Failure("no passphrase typed: nothing was written");
    }
    return pass;
}

void check_length(const Secret& pass) {
    const std::size_t n = characters(pass.bytes());
    if (n < kMinPassphraseChars) {
        throw Failure(
            fmt::format("the passphrase is {} character{} long; an escrow passphrase needs at "
                        "least {}: nothing was written",
                        n, n == 1 ? "" : "s", kMinPassphraseChars));
    }
}

// A new escrow passphrase: asked for twice, the same both times.
Secret new_passphrase(const fs::path& escrow) {
    Secret first = read_passphrase(
        fmt::format("Passphrase for the escrow copy {} (at least {} characters): ", show(escrow),
                    kMinPassphraseChars));
    check_length(first);
    const Secret second = read_passphrase("The same passphrase again: ");
    if (!same(first.bytes(), second.bytes())) {
        throw Failure("the two passphrases differ: nothing was written");
    }
    return first;
}

// ---------------------------------------------------------------------------
// The escrow copy: the format of `openssl enc -aes-256-cbc -pbkdf2 -iter
// 600000 -md sha256 -salt -a`: base64 (64-character lines) of "Salted__",
// an 8-byte salt and the AES-256-CBC ciphertext (PKCS#7 padding), under the
// key and IV that PBKDF2-HMAC-SHA256 derives from the passphrase and salt.

struct CipherCtxFree {
    void operator()(EVP_CIPHER_CTX* p) const noexcept { EVP_CIPHER_CTX_free(p); }
};
struct EncodeCtxFree {
    void operator()(EVP_ENCODE_CTX* p) const noexcept { EVP_ENCODE_CTX_free(p); }
};

// AES key then IV, in locked memory.
SecureBuffer derive(const Secret& pass, std::span<const std::uint8_t> salt) {
    SecureBuffer out(kAesKeyBytes + kIvBytes);
    if (PKCS5_PBKDF2_HMAC(reinterpret_cast<const char*>(pass.buffer.data()),
                          static_cast<int>(pass.size), salt.data(), static_cast<int>(salt.size()),
                          kIterations, EVP_sha256(), static_cast<int>(out.size()),
                          out.data()) != 1) {
        throw Failure("cannot derive the escrow key from the passphrase: OpenSSL's PBKDF2 failed");
    }
    return out;
}

std::string base64_lines(std::span<const std::uint8_t> data) {
    const std::unique_ptr<EVP_ENCODE_CTX, EncodeCtxFree> ctx(EVP_ENCODE_CTX_new());
    std::string out((data.size() / 48 + 2) * 66, '\0');
    int n = 0;
    int last = 0;
    if (!ctx) {
        throw Failure("cannot encode the escrow copy: out of memory");
    }
    EVP_EncodeInit(ctx.get());
    if (EVP_EncodeUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &n, data.data(),
                         static_cast<int>(data.size())) != 1) {
        throw Failure("cannot encode the escrow copy in base64");
    }
    EVP_EncodeFinal(ctx.get(), reinterpret_cast<unsigned char*>(out.data()) + n, &last);
    out.resize(static_cast<std::size_t>(n + last));
    return out;
}

std::string seal_escrow(const Secret& text, const Secret& pass) {
    std::vector<std::uint8_t> blob(kMagic.begin(), kMagic.end());
    blob.resize(kHeaderBytes + text.size + kBlockBytes);
    if (RAND_bytes(blob.data() + kMagic.size(), static_cast<int>(kSaltBytes)) != 1) {
        throw Failure("cannot make the escrow copy: no randomness for its salt");
    }
    const auto derived = derive(pass, std::span(blob).subspan(kMagic.size(), kSaltBytes));
    const std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree> ctx(EVP_CIPHER_CTX_new());
    int n = 0;
    int last = 0;
    const bool ok = ctx &&
                    EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_cbc(), nullptr, derived.data(),
                                       derived.data() + kAesKeyBytes) == 1 &&
                    EVP_EncryptUpdate(ctx.get(), blob.data() + kHeaderBytes, &n, text.buffer.data(),
                                      static_cast<int>(text.size)) == 1 &&
                    EVP_EncryptFinal_ex(ctx.get(), blob.data() + kHeaderBytes + n, &last) == 1;
    if (!ok) {
        throw Failure("cannot encrypt the escrow copy: OpenSSL's AES-256-CBC failed");
    }
    blob.resize(kHeaderBytes + static_cast<std::size_t>(n + last));
    return base64_lines(blob);
}

// The key in an escrow copy; one clear line when the passphrase is wrong or
// the file damaged.
SecureBuffer open_escrow(const std::string& armored, const Secret& pass, const fs::path& file) {
    const std::string damaged = fmt::format(
        "{} is not an escrow copy, or it is damaged (not base64 of OpenSSL's \"Salted__\" "
        "format): nothing was written",
        show(file));
    const std::unique_ptr<EVP_ENCODE_CTX, EncodeCtxFree> dctx(EVP_ENCODE_CTX_new());
    std::vector<std::uint8_t> blob(armored.size() / 4 * 3 + 80);
    int n = 0;
    int last = 0;
    if (!dctx) {
        throw Failure("cannot decode the escrow copy: out of memory");
    }
    EVP_DecodeInit(dctx.get());
    if (EVP_DecodeUpdate(dctx.get(), blob.data(), &n,
                         reinterpret_cast<const unsigned char*>(armored.data()),
                         static_cast<int>(armored.size())) < 0 ||
        EVP_DecodeFinal(dctx.get(), blob.data() + n, &last) < 0) {
        throw Failure(damaged);
    }
    blob.resize(static_cast<std::size_t>(n + last));
    if (blob.size() < kHeaderBytes + kBlockBytes || (blob.size() - kHeaderBytes) % kBlockBytes ||
        !std::equal(kMagic.begin(), kMagic.end(), blob.begin())) {
        throw Failure(damaged);
    }
    const auto derived = derive(pass, std::span(blob).subspan(kMagic.size(), kSaltBytes));
    Secret text(blob.size());
    const std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree> ctx(EVP_CIPHER_CTX_new());
    n = 0;
    last = 0;
    const bool ok = ctx &&
                    EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_cbc(), nullptr, derived.data(),
                                       derived.data() + kAesKeyBytes) == 1 &&
                    EVP_DecryptUpdate(ctx.get(), text.buffer.data(), &n, blob.data() + kHeaderBytes,
                                      static_cast<int>(blob.size() - kHeaderBytes)) == 1 &&
                    EVP_DecryptFinal_ex(ctx.get(), text.buffer.data() + n, &last) == 1;
    text.size = ok ? static_cast<std::size_t>(n + last) : 0;
    // A wrong passphrase fails the padding check, or (one time in 256)
    // passes it with garbage: only the key-file text is accepted.
    auto key = ok ? parse_key_text(text.bytes()) : std::nullopt;
    if (!key) {
        throw Failure(fmt::format(
            "cannot decrypt the escrow copy {}: wrong passphrase, or the file is damaged; "
            "nothing was written",
            show(file)));
    }
    return std::move(*key);
}

std::string read_escrow_file(const fs::path& file) {
    const Fd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
    if (fd.get() < 0) {
        throw Failure(
            fmt::format("cannot open the escrow copy {}: {}", show(file), errno_text(errno)));
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
        throw Failure(fmt::format("the escrow copy {} is not a regular file", show(file)));
    }
    std::string out(kMaxEscrowFileBytes + 1, '\0');
    const ssize_t n =
        io::read_full(fd.get(), std::span(reinterpret_cast<std::uint8_t*>(out.data()), out.size()));
    if (n < 0) {
        throw Failure(
            fmt::format("cannot read the escrow copy {}: {}", show(file), errno_text(errno)));
    }
    const auto done = static_cast<std::size_t>(n);
    if (done > kMaxEscrowFileBytes) {
        throw Failure(fmt::format("{} is larger than any escrow copy ({} KiB): nothing was written",
                                  show(file), kMaxEscrowFileBytes / 1024));
    }
    out.resize(done);
    return out;
}

// ---------------------------------------------------------------------------
// systemd-creds

struct ChildResult {
    int status = -1;  // exit status, or 128 + signal
    std::size_t out_bytes = 0;
    bool out_overflow = false;
    std::string err;  // its standard error (at most 4 KiB)

    // Its standard error's lines, control characters escaped.
    std::vector<std::string> error_lines() const {
        std::vector<std::string> lines;
        std::size_t start = 0;
        while (start < err.size()) {
            const std::size_t end = std::min(err.find('\n', start), err.size());
            if (end > start) {
                lines.push_back(escape_controls(std::string_view(err).substr(start, end - start)));
            }
            start = end + 1;
        }
        return lines;
    }
    // For a message: what it said last, or its exit status.
    std::string reason() const {
        const auto lines = error_lines();
        return lines.empty() ? fmt::format("exit status {}", status)
                             : fmt::format("{} (exit status {})", lines.back(), status);
    }
};

// Runs `systemd-creds ARGS...` (found on PATH, as when typed) with input on
// its standard input; its standard output goes into output.
ChildResult run_systemd_creds(const std::vector<std::string>& args,
                              std::span<const std::uint8_t> input, std::span<std::uint8_t> output) {
    std::array<int, 2> in{-1, -1};
    std::array<int, 2> out{-1, -1};
    std::array<int, 2> err{-1, -1};
    if (::pipe2(in.data(), O_CLOEXEC) != 0 || ::pipe2(out.data(), O_CLOEXEC) != 0 ||
        ::pipe2(err.data(), O_CLOEXEC) != 0) {
        const int e = errno;
        for (const int fd : {in[0], in[1], out[0], out[1], err[0], err[1]}) {
            if (fd >= 0) {
                ::close(fd);
            }
        }
        throw Failure(fmt::format("cannot run systemd-creds: {}", errno_text(e)));
    }
    Fd to_child(in[1]);
    Fd from_child(out[0]);
    Fd errors_of_child(err[0]);
    Fd child_in(in[0]);
    Fd child_out(out[1]);
    Fd child_err(err[1]);

    std::vector<std::string> words{"systemd-creds"};
    words.insert(words.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& w : words) {
        argv.push_back(w.data());
    }
    argv.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_adddup2(&actions, child_in.get(), STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions, child_out.get(), STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, child_err.get(), STDERR_FILENO);
    // strongroomd ignores SIGPIPE; systemd-creds gets the default back, and
    // no blocked signals.
    sigset_t defaults;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    pid_t pid = -1;
    const int rc = ::posix_spawnp(&pid, "systemd-creds", &actions, &attr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    child_in.reset();
    child_out.reset();
    child_err.reset();
    if (rc != 0) {
        throw Failure(fmt::format(
            "cannot run systemd-creds: {}{}", errno_text(rc),
            rc == ENOENT ? " (it comes with systemd 250 and later; without it, use --seal file)"
                         : ""));
    }

    // The input is a few bytes: the pipe holds it all at once.
    // A failure means it exited without reading: its status says why.
    (void)io::write_fully(to_child.get(), input);
    to_child.reset();

    ChildResult result;
    std::array<std::uint8_t, 512> scratch{};
    std::array<pollfd, 2> fds{pollfd{from_child.get(), POLLIN, 0},
                              pollfd{errors_of_child.get(), POLLIN, 0}};
    const auto deadline = std::chrono::steady_clock::now() + kChildTimeout;
    bool timed_out = false;
    while (fds[0].fd >= 0 || fds[1].fd >= 0) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            timed_out = true;
            ::kill(pid, SIGKILL);
            break;
        }
        if (::poll(fds.data(), fds.size(), static_cast<int>(left.count())) < 0) {
            if (errno == EINTR) {
                continue;
            }
            break;
        }
        for (std::size_t i = 0; i < fds.size(); ++i) {
            if (fds[i].fd < 0 || (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) {
                continue;
            }
            std::span<std::uint8_t> into(scratch);
            if (i == 0 && result.out_bytes < output.size()) {
                into = output.subspan(result.out_bytes);
            }
            const ssize_t n =
                retry_on_eintr([&] { return ::read(fds[i].fd, into.data(), into.size()); });
            if (n <= 0) {
                fds[i].fd = -1;
                continue;
            }
            const auto got = static_cast<std::size_t>(n);
            if (i == 0) {
                if (into.data() == scratch.data()) {
                    result.out_overflow = true;
                } else {
                    result.out_bytes += got;
                }
            } else if (result.err.size() < kMaxChildErrorBytes) {
                result.err.append(reinterpret_cast<const char*>(into.data()), got);
            }
        }
    }
    OPENSSL_cleanse(scratch.data(), scratch.size());
    int status = 0;
    retry_on_eintr([&] { return ::waitpid(pid, &status, 0); });
    if (timed_out) {
        throw Failure(
            fmt::format("systemd-creds {} did not finish within {} s: nothing was written",
                        args.empty() ? "" : args.front(), kChildTimeout.count()));
    }
    result.status = WIFEXITED(status)     ? WEXITSTATUS(status)
                    : WIFSIGNALED(status) ? 128 + WTERMSIG(status)
                                          : -1;
    return result;
}

// What systemd-creds said on its standard error when it succeeded (a
// warning worth passing on, such as the host key not being on encrypted
// media), each line once.
void keep_notes(const ChildResult& r, std::vector<std::string>& notes) {
    for (auto& line : r.error_lines()) {
        if (std::find(notes.begin(), notes.end(), line) == notes.end()) {
            notes.push_back(std::move(line));
        }
    }
}

// ---------------------------------------------------------------------------
// Files

// What this run has written, removed again unless it all succeeds.
class Rollback {
public:
    Rollback() = default;
    ~Rollback() {
        if (committed_) {
            return;
        }
        for (auto it = files_.rbegin(); it != files_.rend(); ++it) {
            if (it->second) {
                maintenance::overwrite_and_remove(it->first);  // it held the key in the clear
            } else {
                ::unlink(it->first.c_str());
            }
        }
        for (const auto& dir : directories_) {
            ::rmdir(dir.c_str());
        }
    }
    Rollback(const Rollback&) = delete;
    Rollback& operator=(const Rollback&) = delete;

    void file(const fs::path& path, bool clear_key) { files_.emplace_back(path, clear_key); }
    void directory(const fs::path& path) { directories_.push_back(path); }
    void commit() noexcept { committed_ = true; }

private:
    std::vector<std::pair<fs::path, bool>> files_;
    std::vector<fs::path> directories_;
    bool committed_ = false;
};

// Creates path, which must not exist, holding data, fsync'd. A key file is
// also made root's, and its mode must be set exactly; an escrow copy may go
// to a file system without owners or modes (a FAT memory stick).
void write_new_file(const fs::path& path, std::span<const std::uint8_t> data, mode_t mode,
                    bool key_file, Rollback& rollback) {
    Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY,
                 mode));
    if (fd.get() < 0) {
        throw Failure(fmt::format("cannot create {}: {}", show(path), errno_text(errno)));
    }
    rollback.file(path, key_file);
    bool ok = true;
    if (key_file) {
        ok = ::fchown(fd.get(), 0, 0) == 0 && ::fchmod(fd.get(), mode) == 0;
    } else {
        ::fchmod(fd.get(), mode);
    }
    if (ok) {
        if (const int err = io::write_fully(fd.get(), data); err != 0) {
            ok = false;
            errno = err;
        }
    }
    ok = ok && ::fsync(fd.get()) == 0 && fd.close() == 0;
    if (!ok) {
        throw Failure(fmt::format("cannot write {}: {}; nothing was left there", show(path),
                                  errno_text(errno)));
    }
}

// Renames staging to target, which must not exist (never replaced, even if
// it appeared meanwhile), and makes the new entry durable.
void install(const fs::path& staging, const fs::path& target) {
    int err = 0;
    if (::renameat2(AT_FDCWD, staging.c_str(), AT_FDCWD, target.c_str(), RENAME_NOREPLACE) != 0) {
        err = errno;
        if (err == EINVAL || err == ENOSYS) {
            // A file system that cannot rename without replacing: a hard link
            // does not replace either.
            err = ::link(staging.c_str(), target.c_str()) == 0 ? 0 : errno;
            if (err == 0) {
                ::unlink(staging.c_str());
            }
        }
    }
    if (err == EEXIST) {
        throw Failure(fmt::format(
            "refusing to overwrite {}, which appeared while the key was being provisioned: "
            "nothing was written",
            show(target)));
    }
    if (err != 0) {
        throw Failure(fmt::format("cannot put the key in place as {}: {}; nothing was written",
                                  show(target), errno_text(err)));
    }
    sync_directory(target.parent_path());
}

// ---------------------------------------------------------------------------
// Provisioning

struct Sealing {
    Seal seal = Seal::file;  // resolved: tpm2, host or file
    std::string tpm2_verdict;
};

Sealing resolve(Seal requested) {
    if (requested == Seal::file || requested == Seal::host) {
        return {requested, {}};
    }
    std::array<std::uint8_t, 4096> out{};
    const auto r = run_systemd_creds({"has-tpm2"}, {}, out);
    const std::string said(reinterpret_cast<const char*>(out.data()),
                           std::min(r.out_bytes, out.size()));
    std::string verdict = escape_controls(said.substr(0, said.find('\n')));
    if (verdict.empty()) {
        verdict = fmt::format("exit status {}", r.status);
    }
    if (r.status == 0) {
        return {Seal::tpm2, verdict};
    }
    if (requested == Seal::tpm2) {
        throw Failure(fmt::format(
            "no usable TPM2 on this machine (systemd-creds has-tpm2: {}): use --seal host to "
            "encrypt with the host key {}, or --seal auto; nothing was written",
            verdict, kHostKey));
    }
    return {Seal::host, verdict};
}

fs::path credential_path(const Options& o) {
    return o.credstore / crypto::kCredentialName;
}

// The target: where the daemon would read the new key.
fs::path target_of(const Options& o) {
    return o.seal == Seal::file ? o.key_file : credential_path(o);
}

// Refuses when a key is already where the daemon would find one (the
// credential is preferred to the key file, so a key in the other place
// would be silently ignored), or when the escrow file exists.
void refuse_existing(const Options& o, bool new_key) {
    const bool to_file = o.seal == Seal::file;
    if (to_file && o.key_file.empty()) {
        throw Failure(
            "--seal file: no key file configured: name one with --key-file or [key] file");
    }
    const auto credential = credential_path(o);
    const char* deliberately = "to provision another key deliberately, move it away first";
    if (occupied(credential)) {
        throw Failure(
            to_file
                ? fmt::format("refusing to write a key file: the master key credential {} exists "
                              "and strongroomd prefers it, so a new key file would be silently "
                              "ignored; {}",
                              show(credential), deliberately)
                : fmt::format("refusing to overwrite the master key credential {} (strongroomd "
                              "would no longer open its database with a new key); {}",
                              show(credential), deliberately));
    }
    if (!o.key_file.empty() && occupied(o.key_file)) {
        throw Failure(
            to_file ? fmt::format("refusing to overwrite the master key file {}; {}",
                                  show(o.key_file), deliberately)
                    : fmt::format("refusing to make a credential: the master key file {} exists "
                                  "and a credential would silently take its place (strongroomd "
                                  "prefers the credential); {}",
                                  show(o.key_file), deliberately));
    }
    if (new_key && !o.database.empty() && occupied(o.database)) {
        throw Failure(fmt::format(
            "refusing to make a new master key: the database {} exists and a new key cannot open "
            "it; bring its key back with strongroomd --recover-key ESCROW, or move the database "
            "away first to start afresh deliberately",
            show(o.database)));
    }
    if (o.escrow && occupied(*o.escrow)) {
        throw Failure(fmt::format(
            "refusing to overwrite the escrow file {}: name a new file, or move it away first",
            show(*o.escrow)));
    }
    const auto dir = target_of(o).parent_path();
    if (to_file && !fs::is_directory(dir)) {
        throw Failure(
            fmt::format("the key file's directory {} does not exist: create it first", show(dir)));
    }
}

// The credential store, created 0700 when absent (and removed again on failure).
void ensure_credstore(const fs::path& dir, Rollback& rollback) {
    struct stat st {};
    if (::stat(dir.c_str(), &st) == 0) {
        if (!S_ISDIR(st.st_mode)) {
            throw Failure(fmt::format("the credential store {} is not a directory", show(dir)));
        }
        return;
    }
    if (::mkdir(dir.c_str(), 0700) != 0) {
        throw Failure(
            fmt::format("cannot create the credential store {}: {}", show(dir), errno_text(errno)));
    }
    rollback.directory(dir);
}

// Writes and checks the credential at staging: systemd-creds encrypt, then
// systemd-creds decrypt of the file written must give the text back.
void stage_credential(const Secret& text, const Sealing& how, const fs::path& staging,
                      Rollback& rollback, std::vector<std::string>& notes) {
    const std::string name = fmt::format("--name={}", crypto::kCredentialName);
    // No --tpm2-pcrs=: systemd 252 encrypts with an empty one, but cannot
    // decrypt what it made; its default (PCR 7, Secure Boot state) applies.
    const std::string with_key = how.seal == Seal::tpm2 ? "--with-key=tpm2" : "--with-key=host";
    std::vector<std::uint8_t> sealed(kMaxCredentialBytes);
    const auto enc = run_systemd_creds({"encrypt", name, with_key, "-", "-"}, text.bytes(), sealed);
    if (enc.status != 0 || enc.out_bytes == 0 || enc.out_overflow) {
        throw Failure(fmt::format("systemd-creds encrypt failed: {}; nothing was written",
                                  enc.out_overflow ? "output too long" : enc.reason()));
    }
    keep_notes(enc, notes);
    sealed.resize(enc.out_bytes);
    write_new_file(staging, sealed, 0600, false, rollback);

    Secret back(4096);
    const auto dec =
        run_systemd_creds({"decrypt", name, staging.string(), "-"}, {}, back.buffer.span());
    back.size = std::min(dec.out_bytes, back.buffer.size());
    if (dec.status != 0 || dec.out_overflow || !same(back.bytes(), text.bytes())) {
        throw Failure(fmt::format(
            "the credential systemd-creds made cannot be unsealed again ({}): nothing was "
            "installed",
            dec.status != 0 ? "systemd-creds decrypt: " + dec.reason()
                            : std::string("it decrypts to something else")));
    }
    keep_notes(dec, notes);
}

// Writes the key file at staging, root's and 0400, and checks that the
// daemon's own loader reads the key back from it.
void stage_key_file(const SecureBuffer& key, const Secret& text, const fs::path& staging,
                    Rollback& rollback) {
    write_new_file(staging, text.bytes(), 0400, true, rollback);
    const auto back = crypto::load_master_key({staging, false}, 0);
    if (!back || !same(back->span(), key.span())) {
        throw Failure(
            fmt::format("the key file written cannot be read back ({}): nothing was "
                        "installed",
                        back ? "it holds another key" : back.error().message));
    }
}

bool default_credstore(const fs::path& dir) {
    const auto d = dir.lexically_normal();
    return d == kDefaultCredstore || d == "/run/credstore.encrypted" ||
           d == "/usr/lib/credstore.encrypted";
}

std::string describe(const Sealing& how, Seal requested) {
    switch (how.seal) {
        case Seal::tpm2:
            return "systemd credential strongroom.key, sealed to this machine's TPM2";
        case Seal::host:
            return fmt::format(
                "systemd credential strongroom.key, encrypted with this machine's host key {} "
                "({})",
                kHostKey, requested == Seal::host ? "--seal host" : "no TPM2 found");
        case Seal::file:
        case Seal::automatic:
            break;
    }
    return "plain key file, root-only (owner root, mode 0400)";
}

std::string next_step(const Options& o, const Sealing& how) {
    if (how.seal == Seal::file) {
        return fmt::format(
            "next: strongroomd.service reads an encrypted credential by default; to read this "
            "key file, install /usr/share/doc/strongroom/examples/key-file.conf as "
            "/etc/systemd/system/strongroomd.service.d/key-file.conf{}, run systemctl "
            "daemon-reload, then systemctl start strongroomd.socket",
            o.key_file == "/etc/strongroom/strongroom.key"
                ? ""
                : fmt::format(" (with LoadCredential=strongroom.key:{})", quoted(o.key_file)));
    }
    if (!default_credstore(o.credstore)) {
        return fmt::format(
            "next: strongroomd.service looks for the credential in {}: move it there, or give "
            "the unit a drop-in with LoadCredentialEncrypted=strongroom.key:{}; then systemctl "
            "start strongroomd.socket",
            kDefaultCredstore, quoted(credential_path(o)));
    }
    return "next: systemctl start strongroomd.socket";
}

// Puts key in place as o says (with an escrow copy under pass, when given),
// then prints what was done.
void provision(const SecureBuffer& key, const Options& o, const Sealing& how, const Secret* pass,
               const std::string& headline) {
    const auto text = key_text(key);
    const auto target = target_of(o);
    const auto staging = fs::path(target.string() + ".provisioning");
    std::vector<std::string> notes;
    Rollback rollback;
    if (how.seal != Seal::file) {
        ensure_credstore(o.credstore, rollback);
    }
    // An interrupted run's staging copy: it may hold a key in the clear.
    if (occupied(staging)) {
        maintenance::overwrite_and_remove(staging);
    }
    if (how.seal == Seal::file) {
        stage_key_file(key, text, staging, rollback);
    } else {
        stage_credential(text, how, staging, rollback, notes);
    }
    if (o.escrow) {
        const auto armored = seal_escrow(text, *pass);
        write_new_file(
            *o.escrow,
            std::span(reinterpret_cast<const std::uint8_t*>(armored.data()), armored.size()), 0600,
            false, rollback);
        sync_directory(o.escrow->has_parent_path() ? o.escrow->parent_path() : fs::path("."));
    }
    install(staging, target);
    rollback.commit();

    for (const auto& note : notes) {
        std::cerr << "strongroomd: systemd-creds: " << note << "\n";
    }
    const auto print = fingerprint(key);
    std::cout << headline << "\n"
              << "  where:       " << show(target) << "\n"
              << "  sealed:      " << describe(how, o.seal) << "\n"
              << "  fingerprint: " << print << "\n";
    if (o.escrow) {
        std::cout << "escrow copy: " << show(*o.escrow)
                  << " (mode 0600; AES-256-CBC under the passphrase)\n"
                  << "  fingerprint: " << print << " (write it on the envelope)\n"
                  << "  decrypt without Strongroom: " << kOpensslDecrypt << " " << quoted(*o.escrow)
                  << "\n"
                  << "  or recover with: strongroomd --recover-key " << quoted(*o.escrow) << "\n";
    } else if (pass == nullptr) {
        std::cout << "note: no escrow copy (--escrow FILE): without one, losing "
                  << (how.seal == Seal::file ? "this key file"
                      : how.seal == Seal::tpm2
                          ? "this machine's TPM2 (or a change of its Secure Boot state)"
                          : "this machine's host key")
                  << " makes the database unreadable\n";
    }
    std::cout << next_step(o, how) << "\n";
}

template <class F>
int guarded(F&& f) {
    try {
        f();
        return 0;
    } catch (const Failure& e) {
        std::cerr << "strongroomd: " << e.what() << "\n";
    } catch (const std::exception& e) {
        std::cerr << "strongroomd: unexpected failure: " << e.what() << "; nothing was written\n";
    }
    return 1;
}

}  // namespace

std::optional<Seal> parse_seal(std::string_view text) noexcept {
    if (text == "auto") {
        return Seal::automatic;
    }
    if (text == "tpm2") {
        return Seal::tpm2;
    }
    if (text == "host") {
        return Seal::host;
    }
    if (text == "file") {
        return Seal::file;
    }
    return std::nullopt;
}

int require_root() {
    if (::geteuid() == 0) {
        return 0;
    }
    std::cerr << "strongroomd: run as root: the credential store and host key are root's\n";
    return 1;
}

int provision_key(const Options& options) {
    return guarded([&] {
        refuse_existing(options, true);
        const auto how = resolve(options.seal);
        std::optional<Secret> pass;
        if (options.escrow) {
            pass.emplace(new_passphrase(*options.escrow));
        }
        SecureBuffer key(kKeyBytes);
        // RAND_priv_bytes: OpenSSL's generator instance kept for private keys.
        if (RAND_priv_bytes(key.data(), static_cast<int>(key.size())) != 1) {
            throw Failure("cannot generate a master key: OpenSSL has no randomness");
        }
        provision(key, options, how, pass ? &*pass : nullptr, "new master key provisioned");
    });
}

int recover_key(const fs::path& escrow, const Options& options) {
    return guarded([&] {
        Options o = options;
        o.escrow.reset();
        refuse_existing(o, false);
        const auto armored = read_escrow_file(escrow);
        const auto how = resolve(o.seal);
        const auto pass =
            read_passphrase(fmt::format("Passphrase of the escrow copy {}: ", show(escrow)));
        const auto key = open_escrow(armored, pass, escrow);
        std::cout << "escrow copy " << show(escrow) << " decrypted: key fingerprint "
                  << fingerprint(key) << " (compare it with the one on the envelope)\n";
        provision(key, o, how, &pass, "master key recovered from the escrow copy");
    });
}

}  // namespace strongroom::provision
