// The demotion of strongroomd: one function, run once, after the key, the
// database and the socket are open and before any other thread starts, in a
// fixed order:
//
//   1. drop to the service account (when started as root): capability
//      bounding set emptied, supplementary groups cleared, gid then uid set
//      for real, effective and saved ids, and checked;
//   2. no_new_privs: nothing the process runs or becomes gains privileges;
//   3. every capability dropped (libcap-ng), none kept, and checked;
//   4. Landlock: the file system shrinks to the state directory (read-write)
//      and the runtime directory (removing the socket); TCP bind and connect
//      are refused where the kernel can; abstract Unix sockets and signals
//      are confined to this process where the kernel can;
//   5. seccomp: the allow-list of syscalls.hpp, every other call kills the
//      process.
//
// The process is also non-dumpable with RLIMIT_CORE 0 (process.hpp, set at
// the start of main and again after the drop, which resets it). Any step
// that fails makes demote() fail: the daemon refuses to serve rather than
// serve half-confined.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

#include "daemon/common/error.hpp"

namespace strongroom::hardening {

enum class SeccompAction {
    kill,  // production: a call outside the list kills the process
    trap,  // debugging builds only: the call is refused and its name logged
};

struct SandboxOptions {
    // The account to become, when running as root.
    std::optional<uid_t> uid;
    std::optional<gid_t> gid;
    // Directories the daemon reads and writes (the state directory).
    std::vector<std::filesystem::path> read_write;
    // Directories in which it may only remove files (the socket's directory,
    // when it created the socket itself).
    std::vector<std::filesystem::path> remove_only;
    // Keep connecting to abstract Unix sockets possible (NOTIFY_SOCKET may be
    // one, "@..."); otherwise Landlock confines them where it can.
    bool allow_abstract_unix = false;
    SeccompAction seccomp = SeccompAction::kill;
};

struct SandboxReport {
    uid_t uid = 0;
    gid_t gid = 0;
    bool dropped_privileges = false;  // was root, now the service account
    int landlock_abi = 0;             // 0: the kernel has no Landlock
    std::size_t syscalls_allowed = 0;
    std::string summary() const;  // one line for the log and the audit trail
};

// Applies every step in order; see above. Must run before any thread but the
// calling one exists (Landlock confines the calling thread and its future
// children only).
Result<SandboxReport> demote(const SandboxOptions& options);

// The steps on their own, for tests.
Status drop_privileges(uid_t uid, gid_t gid);
Status drop_capabilities();
Result<int> apply_landlock(const SandboxOptions& options);  // the ABI used
Result<std::size_t> apply_seccomp(SeccompAction action);    // rules loaded

// The build's default action: trap when built with STRONGROOM_SECCOMP_TRAP.
SeccompAction default_seccomp_action() noexcept;

}  // namespace strongroom::hardening
