// Landlock: the file system shrinks to the directories the daemon works in.
//
// Debian 12's kernel headers describe Landlock ABI 2; the kernel may offer
// more. The constants and the ruleset layout of later ABIs are spelled out
// here, and each is used only when the running kernel reports that ABI.

#include <cerrno>
#include <cstdint>
#include <cstring>

#include <fcntl.h>
#include <linux/landlock.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fmt/format.h>

#include "hardening/sandbox.hpp"

namespace strongroom::hardening {
namespace {

// Filesystem rights by ABI (linux/landlock.h).
constexpr std::uint64_t kFsV1 = (1ULL << 13) - 1;  // EXECUTE .. MAKE_SYM
constexpr std::uint64_t kFsRefer = 1ULL << 13;     // ABI 2
constexpr std::uint64_t kFsTruncate = 1ULL << 14;  // ABI 3
constexpr std::uint64_t kFsIoctlDev = 1ULL << 15;  // ABI 5
// Network rights (ABI 4) and scopes (ABI 6).
constexpr std::uint64_t kNetBindTcp = 1ULL << 0;
constexpr std::uint64_t kNetConnectTcp = 1ULL << 1;
constexpr std::uint64_t kScopeAbstractUnix = 1ULL << 0;
constexpr std::uint64_t kScopeSignal = 1ULL << 1;

constexpr std::uint64_t kExecute = 1ULL << 0;
constexpr std::uint64_t kWriteFile = 1ULL << 1;
constexpr std::uint64_t kReadFile = 1ULL << 2;
constexpr std::uint64_t kReadDir = 1ULL << 3;
constexpr std::uint64_t kRemoveDir = 1ULL << 4;
constexpr std::uint64_t kRemoveFile = 1ULL << 5;
constexpr std::uint64_t kMakeDir = 1ULL << 7;
constexpr std::uint64_t kMakeReg = 1ULL << 8;

// The ruleset attribute as of ABI 6; shorter prefixes for older ABIs.
struct RulesetAttr {
    std::uint64_t handled_access_fs;
    std::uint64_t handled_access_net;
    std::uint64_t scoped;
};

struct PathBeneathAttr {
    std::uint64_t allowed_access;
    std::int32_t parent_fd;
} __attribute__((packed));

long create_ruleset(const RulesetAttr* attr, std::size_t size, std::uint32_t flags) {
    return ::syscall(SYS_landlock_create_ruleset, attr, size, flags);
}

Status add_path(int ruleset, const std::filesystem::path& dir, std::uint64_t rights) {
    const int fd = ::open(dir.c_str(), O_PATH | O_CLOEXEC | O_DIRECTORY);
    if (fd < 0) {
        return make_error(ErrorCode::internal,
                          fmt::format("Landlock: cannot open {}: {} (the service account must be "
                                      "able to reach it: check the directories above it)",
                                      dir.string(), std::strerror(errno)));
    }
    PathBeneathAttr rule{rights, fd};
    const long rc = ::syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &rule, 0);
    const int err = errno;
    ::close(fd);
    if (rc != 0) {
        return make_error(ErrorCode::internal, fmt::format("Landlock: rule for {}: {}",
                                                           dir.string(), std::strerror(err)));
    }
    return {};
}

}  // namespace

Result<int> apply_landlock(const SandboxOptions& options) {
    const long abi = create_ruleset(nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
    if (abi < 0) {
        return make_error(ErrorCode::internal,
                          fmt::format("Landlock is not available ({}); strongroomd needs a kernel "
                                      "with Landlock enabled (lsm=landlock)",
                                      std::strerror(errno)));
    }

    std::uint64_t fs = kFsV1;
    if (abi >= 2) {
        fs |= kFsRefer;
    }
    if (abi >= 3) {
        fs |= kFsTruncate;
    }
    if (abi >= 5) {
        fs |= kFsIoctlDev;
    }
    RulesetAttr attr{fs, 0, 0};
    std::size_t size = sizeof(std::uint64_t);
    if (abi >= 4) {
        // No rule allows any TCP port: binding and connecting are refused.
        attr.handled_access_net = kNetBindTcp | kNetConnectTcp;
        size = 2 * sizeof(std::uint64_t);
    }
    if (abi >= 6) {
        // Signals only within the process; abstract Unix sockets only within
        // it too, unless systemd's notification socket is an abstract one.
        attr.scoped = kScopeSignal | (options.allow_abstract_unix ? 0 : kScopeAbstractUnix);
        size = sizeof attr;
    }

    const long ruleset = create_ruleset(&attr, size, 0);
    if (ruleset < 0) {
        return make_error(ErrorCode::internal, fmt::format("Landlock: cannot create a ruleset: {}",
                                                           std::strerror(errno)));
    }
    const int rs = static_cast<int>(ruleset);
    // The state directory: files and directories read, written, created,
    // renamed and removed; nothing executed, no devices, fifos or links.
    std::uint64_t rw =
        kWriteFile | kReadFile | kReadDir | kRemoveDir | kRemoveFile | kMakeDir | kMakeReg;
    if (abi >= 2) {
        rw |= kFsRefer;
    }
    if (abi >= 3) {
        rw |= kFsTruncate;
    }
    static_assert((kExecute & ~kFsV1) == 0);
    Status st;
    for (const auto& dir : options.read_write) {
        if (st = add_path(rs, dir, rw); !st) {
            break;
        }
    }
    for (const auto& dir : options.remove_only) {
        if (!st) {
            break;
        }
        st = add_path(rs, dir, kRemoveFile);
    }
    if (st && ::syscall(SYS_landlock_restrict_self, rs, 0) != 0) {
        st = make_error(
            ErrorCode::internal,
            fmt::format("Landlock: cannot restrict the process: {}", std::strerror(errno)));
    }
    ::close(rs);
    if (!st) {
        return std::move(st).error();
    }
    return static_cast<int>(abi);
}

}  // namespace strongroom::hardening
