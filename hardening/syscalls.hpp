// The seccomp allow-list of strongroomd: every system call the daemon may
// make once it serves requests, as one table grouped by purpose, each entry
// with the reason it is needed. Anything else kills the process (or, in a
// build with STRONGROOM_SECCOMP_TRAP, is logged and refused: for finding a
// missing entry, never for production).
//
// Some entries are allowed only with particular arguments (side tables in
// syscalls.cpp): socket() for AF_UNIX only, fcntl() for the commands SQLite
// and Boost.Asio use, ioctl() for FIONBIO only, clone() for threads only,
// prctl() for thread names and the dumpable flag, setpriority() to lower a
// priority only, prlimit64() to read limits only.
#pragma once

#include <span>
#include <string_view>

namespace strongroom::hardening {

enum class ArgRule {
    none,               // any arguments
    socket_unix,        // domain == AF_UNIX
    fcntl_commands,     // cmd in the side table
    ioctl_fionbio,      // request == FIONBIO
    clone_thread,       // flags include CLONE_THREAD: a thread, never a process
    prctl_allowed,      // option in the side table
    setpriority_lower,  // a niceness of 0 or more (a lower priority)
    prlimit_read,       // new limit pointer is NULL
    enosys,             // refused with ENOSYS, so that the caller falls back
};

struct SyscallEntry {
    std::string_view group;   // purpose, for people reading the table
    std::string_view name;    // as libseccomp names it
    std::string_view reason;  // why strongroomd needs it
    ArgRule rule = ArgRule::none;
};

// The table, grouped; names sorted within each group.
std::span<const SyscallEntry> allow_list() noexcept;

// The groups in the order the table lists them.
std::span<const std::string_view> allow_list_groups() noexcept;

}  // namespace strongroom::hardening
