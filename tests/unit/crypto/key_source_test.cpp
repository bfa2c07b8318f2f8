#include "daemon/crypto/key_source.hpp"

#include <cstdint>
#include <string>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "tests/unit/crypto/test_util.hpp"

namespace strongroom::crypto {
namespace {

using test::read_file;
using test::TempDir;
using test::to_hex;
using test::write_file;

constexpr uid_t kNobody = 65534;  // an allowed owner that is not the test's uid

// 32 distinct key bytes, as raw file contents.
std::string raw_key() {
    std::string key;
    for (int i = 0; i < 32; ++i) {
        key.push_back(static_cast<char>(0xe0 + i));
    }
    return key;
}

// Writes a key file with the given mode (set explicitly, whatever the umask).
std::filesystem::path key_file(const TempDir& dir, std::string_view contents, mode_t mode = 0400) {
    const auto path = dir / "strongroom.key";
    std::filesystem::remove(path);  // a 0400 leftover could not be rewritten without root
    write_file(path, contents);
    EXPECT_EQ(::chmod(path.c_str(), mode), 0);
    return path;
}

Result<SecureBuffer> load(const std::filesystem::path& path) {
    return load_master_key(KeySource{path, false}, kNobody);
}

std::string hex_of(const SecureBuffer& key) {
    return to_hex(key.span());
}

// Verifies the credential is chosen when CREDENTIALS_DIRECTORY is given and holds strongroom.key,
// the key file otherwise.
TEST(KeySource, ChoosesCredentialWhenPresent) {
    const TempDir creds;
    const std::filesystem::path configured = "/etc/strongroom/master.key";

    auto source = choose_key_source(nullptr, configured);
    EXPECT_EQ(source.path, configured);
    EXPECT_FALSE(source.from_credential);

    source = choose_key_source(creds.path().c_str(), configured);
    EXPECT_EQ(source.path, configured) << "directory set but no strongroom.key in it";
    EXPECT_FALSE(source.from_credential);

    source = choose_key_source("", configured);
    EXPECT_FALSE(source.from_credential);

    write_file(creds / "strongroom.key", raw_key());
    source = choose_key_source(creds.path().c_str(), configured);
    EXPECT_EQ(source.path, creds / "strongroom.key");
    EXPECT_TRUE(source.from_credential);
}

// Verifies a file of exactly 32 raw bytes is accepted and read as is.
TEST(KeySource, RawKeyAccepted) {
    const TempDir dir;
    auto key = load(key_file(dir, raw_key()));
    ASSERT_TRUE(key.ok()) << key.error().message;
    EXPECT_EQ(hex_of(*key), to_hex(raw_key()));
}

// Verifies 64 hex digits are accepted with or without one final newline, in either case.
TEST(KeySource, HexKeyAccepted) {
    const TempDir dir;
    const std::string hex = to_hex(raw_key());
    std::string upper = hex;
    for (auto& c : upper) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    for (const std::string& contents : {hex, hex + "\n", upper, upper + "\n"}) {
        auto key = load(key_file(dir, contents));
        ASSERT_TRUE(key.ok()) << key.error().message;
        EXPECT_EQ(hex_of(*key), hex);
    }
}

// Verifies any other length or content is refused with a message giving the expected format.
TEST(KeySource, WrongFormatRefused) {
    const TempDir dir;
    const std::string hex = to_hex(raw_key());
    std::string bad_digit = hex;
    bad_digit[17] = 'g';
    const std::vector<std::string> bad{
        "",
        raw_key().substr(1),
        raw_key() + "\n",  // 33 bytes: raw keys have no newline
        hex.substr(1),
        hex + "\n\n",
        hex + " ",
        hex + std::string(100, 'a'),
        bad_digit,
        bad_digit + "\n",
    };
    for (const auto& contents : bad) {
        auto key = load(key_file(dir, contents));
        ASSERT_FALSE(key.ok()) << contents.size() << " bytes accepted";
        EXPECT_EQ(key.error().code, ErrorCode::bad_request);
        EXPECT_NE(key.error().message.find("expected exactly 32 raw bytes, or 64 hex digits"),
                  std::string::npos)
            << key.error().message;
    }
}

// Verifies a key file readable by group or others is refused with the chmod advice, and 0600 is
// accepted.
TEST(KeySource, LooseModeRefusedWithAdvice) {
    const TempDir dir;
    const auto path = key_file(dir, raw_key(), 0644);
    auto key = load(path);
    ASSERT_FALSE(key.ok());
    EXPECT_EQ(key.error().message, "key file " + path.string() +
                                       " is readable by group or others (mode 0644); run: "
                                       "chmod 0400 " +
                                       path.string());

    key = load(key_file(dir, raw_key(), 0620));
    ASSERT_FALSE(key.ok());
    EXPECT_NE(key.error().message.find("is accessible to group or others (mode 0620)"),
              std::string::npos)
        << key.error().message;

    key = load(key_file(dir, raw_key(), 0600));
    EXPECT_TRUE(key.ok());
}

// Verifies a key file owned by someone other than root, the service user or us is refused; the
// service user's own is accepted.
TEST(KeySource, ForeignOwnerRefused) {
    if (::geteuid() != 0) {
        GTEST_SKIP() << "needs root to chown";
    }
    const TempDir dir;
    const auto path = key_file(dir, raw_key());
    ASSERT_EQ(::chown(path.c_str(), 12345, 12345), 0);

    auto key = load_master_key(KeySource{path, false}, kNobody);
    ASSERT_FALSE(key.ok());
    EXPECT_EQ(key.error().message, "key file " + path.string() +
                                       " is owned by uid 12345; it must be owned by root or the "
                                       "service user");

    key = load_master_key(KeySource{path, false}, 12345);
    EXPECT_TRUE(key.ok());
}

// Verifies a symbolic link is refused even when it points at a good key file.
TEST(KeySource, SymlinkRefused) {
    const TempDir dir;
    const auto target = key_file(dir, raw_key());
    const auto link = dir / "link.key";
    std::filesystem::create_symlink(target, link);
    ASSERT_TRUE(load(target).ok());

    auto key = load(link);
    ASSERT_FALSE(key.ok());
    EXPECT_EQ(key.error().message,
              "key file " + link.string() + " is a symbolic link; name the file itself");
    // Credentials get the same treatment.
    EXPECT_FALSE(load_master_key(KeySource{link, true}, kNobody).ok());
}

// Verifies a missing file, a directory and a FIFO are refused with messages naming the file.
TEST(KeySource, MissingOrNotRegularRefused) {
    const TempDir dir;
    auto key = load(dir / "absent.key");
    ASSERT_FALSE(key.ok());
    EXPECT_EQ(key.error().message, "cannot open key file " + (dir / "absent.key").string() +
                                       ": No such file or directory");

    key = load(dir.path());
    ASSERT_FALSE(key.ok());
    EXPECT_EQ(key.error().message, "key file " + dir.path().string() + " is not a regular file");

    const auto fifo = dir / "fifo.key";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    key = load(fifo);  // must not hang waiting for a writer
    ASSERT_FALSE(key.ok());
    EXPECT_NE(key.error().message.find("is not a regular file"), std::string::npos);

    key = load_master_key(KeySource{"", false}, kNobody);
    ASSERT_FALSE(key.ok());
    EXPECT_NE(key.error().message.find("no master key"), std::string::npos);
}

// Verifies a credential skips the owner and mode checks (systemd controls its access) but not the
// format check.
TEST(KeySource, CredentialSkipsOwnerAndModeChecks) {
    const TempDir dir;
    const auto path = key_file(dir, raw_key(), 0644);
    auto key = load_master_key(KeySource{path, true}, kNobody);
    ASSERT_TRUE(key.ok()) << key.error().message;
    EXPECT_EQ(hex_of(*key), to_hex(raw_key()));

    write_file(path, "short");
    key = load_master_key(KeySource{path, true}, kNobody);
    ASSERT_FALSE(key.ok());
    EXPECT_NE(key.error().message.find("systemd credential " + path.string()), std::string::npos)
        << key.error().message;
}

// Verifies --dev creates a 0600 file of 32 random bytes on first use and reuses it afterwards.
TEST(KeySource, DevKeyCreatedOnceThenReused) {
    const TempDir dir;
    const auto path = dir / "dev.key";
    auto first = load_or_create_dev_key(path);
    ASSERT_TRUE(first.ok()) << first.error().message;

    struct stat st {};
    ASSERT_EQ(::lstat(path.c_str(), &st), 0);
    EXPECT_TRUE(S_ISREG(st.st_mode));
    EXPECT_EQ(st.st_mode & 07777U, 0600U);
    EXPECT_EQ(st.st_uid, ::geteuid());
    EXPECT_EQ(st.st_size, 32);
    EXPECT_EQ(to_hex(read_file(path)), hex_of(*first));
    EXPECT_NE(hex_of(*first), std::string(64, '0'));

    auto second = load_or_create_dev_key(path);
    ASSERT_TRUE(second.ok()) << second.error().message;
    EXPECT_EQ(hex_of(*second), hex_of(*first));

    // Another path gets another key.
    auto other = load_or_create_dev_key(dir / "other.key");
    ASSERT_TRUE(other.ok());
    EXPECT_NE(hex_of(*other), hex_of(*first));
}

// Verifies a dev key that cannot be created (missing directory) gives an error naming the file.
TEST(KeySource, DevKeyCreationFailureReported) {
    const TempDir dir;
    const auto path = dir / "missing" / "dev.key";
    auto key = load_or_create_dev_key(path);
    ASSERT_FALSE(key.ok());
    EXPECT_EQ(key.error().message, "cannot create development key file " + path.string() +
                                       ": No such file or directory");
}

}  // namespace
}  // namespace strongroom::crypto
