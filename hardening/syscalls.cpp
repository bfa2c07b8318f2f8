#include "hardening/syscalls.hpp"

#include <array>

namespace strongroom::hardening {
namespace {

using R = ArgRule;

constexpr std::array<std::string_view, 10> kGroups{
    "memory",        "threads",    "files in the state directory",
    "unix sockets",  "event loop", "time",
    "signals",       "process",    "randomness",
    "compatibility",
};

// One row per system call. Within a group, names are in alphabetical order
// (a unit test checks it, and that no name appears twice).
constexpr std::array kAllowList{
    // memory
    SyscallEntry{"memory", "brk", "malloc grows the heap"},
    SyscallEntry{"memory", "madvise", "malloc returns memory; key pages are excluded from dumps"},
    SyscallEntry{"memory", "mlock", "key pages are locked in RAM"},
    SyscallEntry{"memory", "mmap", "malloc, thread stacks, SQLite's shared-memory WAL index"},
    SyscallEntry{"memory", "mprotect", "guard pages of key buffers and thread stacks"},
    SyscallEntry{"memory", "mremap", "malloc resizes large blocks"},
    SyscallEntry{"memory", "munlock", "key pages are unlocked before they are unmapped"},
    SyscallEntry{"memory", "munmap", "malloc, key buffers and thread stacks are released"},

    // threads
    SyscallEntry{"threads", "clone", "worker and writer threads start (threads only)",
                 R::clone_thread},
    SyscallEntry{"threads", "clone3",
                 "refused with ENOSYS: its flags cannot be inspected, so glibc falls back to "
                 "clone",
                 R::enosys},
    SyscallEntry{"threads", "futex", "mutexes, condition variables, thread joins"},
    SyscallEntry{"threads", "get_robust_list", "glibc's robust mutexes"},
    SyscallEntry{"threads", "gettid", "thread ids (the writer lowers its own priority)"},
    SyscallEntry{"threads", "membarrier", "glibc and libstdc++ memory barriers"},
    SyscallEntry{"threads", "rseq", "glibc registers restartable sequences for new threads"},
    SyscallEntry{"threads", "sched_getaffinity", "glibc sizes thread pools by usable CPUs"},
    SyscallEntry{"threads", "sched_yield", "spin locks back off"},
    SyscallEntry{"threads", "set_robust_list", "glibc's robust mutexes, set for each thread"},
    SyscallEntry{"threads", "setpriority", "the writer thread lowers its own priority",
                 R::setpriority_lower},

    // files in the state directory (Landlock limits which files these reach)
    SyscallEntry{"files in the state directory", "close", "every descriptor is closed"},
    SyscallEntry{"files in the state directory", "faccessat",
                 "SQLite checks whether a journal or WAL file exists"},
    SyscallEntry{"files in the state directory", "faccessat2",
                 "SQLite checks whether a journal or WAL file exists (newer glibc)"},
    SyscallEntry{"files in the state directory", "fallocate", "SQLite extends files"},
    SyscallEntry{"files in the state directory", "fcntl", "SQLite's POSIX locks, descriptor flags",
                 R::fcntl_commands},
    SyscallEntry{"files in the state directory", "fdatasync", "durable commits"},
    SyscallEntry{"files in the state directory", "fstat", "SQLite sizes files"},
    SyscallEntry{"files in the state directory", "fstatfs",
                 "free space on the state directory's file system (fstatvfs): the [disk] "
                 "thresholds and the audit reserve"},
    SyscallEntry{"files in the state directory", "fsync", "durable files and directories"},
    SyscallEntry{"files in the state directory", "ftruncate", "SQLite truncates the WAL"},
    SyscallEntry{"files in the state directory", "getdents64", "reading the state directory"},
    SyscallEntry{"files in the state directory", "lseek", "file positions"},
    SyscallEntry{"files in the state directory", "newfstatat", "SQLite and glibc stat files"},
    SyscallEntry{"files in the state directory", "openat",
                 "SQLite opens its WAL and shared-memory files"},
    SyscallEntry{"files in the state directory", "pread64", "SQLite reads pages"},
    SyscallEntry{"files in the state directory", "pwrite64", "SQLite writes pages"},
    SyscallEntry{"files in the state directory", "read", "reading files and pipes"},
    SyscallEntry{"files in the state directory", "readlink", "SQLite resolves the database path"},
    SyscallEntry{"files in the state directory", "rename", "files are replaced atomically"},
    SyscallEntry{"files in the state directory", "renameat", "files are replaced atomically"},
    SyscallEntry{"files in the state directory", "statx", "glibc stat on newer kernels"},
    SyscallEntry{"files in the state directory", "unlink",
                 "SQLite removes its WAL; the socket is removed at stop"},
    SyscallEntry{"files in the state directory", "unlinkat", "files are removed"},
    SyscallEntry{"files in the state directory", "write", "writing files, logs on stderr"},
    SyscallEntry{"files in the state directory", "writev", "logs and responses"},

    // unix sockets
    SyscallEntry{"unix sockets", "accept", "new connections from the tools"},
    SyscallEntry{"unix sockets", "accept4", "new connections from the tools"},
    SyscallEntry{"unix sockets", "connect", "the journal's and systemd's notification sockets"},
    SyscallEntry{"unix sockets", "getpeername", "Boost.Asio endpoint queries"},
    SyscallEntry{"unix sockets", "getsockname", "sd_is_socket_unix checks the passed socket"},
    SyscallEntry{"unix sockets", "getsockopt", "SO_PEERCRED: the caller's uid; socket type checks"},
    SyscallEntry{"unix sockets", "recvfrom", "reading requests"},
    SyscallEntry{"unix sockets", "recvmsg", "reading requests"},
    SyscallEntry{"unix sockets", "sendmsg", "answers, journal entries, sd_notify"},
    SyscallEntry{"unix sockets", "sendto", "answers, sd_notify"},
    SyscallEntry{"unix sockets", "setsockopt", "socket buffer sizes for the journal"},
    SyscallEntry{"unix sockets", "shutdown", "connections are closed"},
    SyscallEntry{"unix sockets", "socket", "the journal's and systemd's sockets (AF_UNIX only)",
                 R::socket_unix},

    // event loop
    SyscallEntry{"event loop", "epoll_create1", "Boost.Asio's reactor, one per worker"},
    SyscallEntry{"event loop", "epoll_ctl", "registering sockets and timers"},
    SyscallEntry{"event loop", "epoll_pwait", "waiting for sockets and timers"},
    SyscallEntry{"event loop", "epoll_wait", "waiting for sockets and timers"},
    SyscallEntry{"event loop", "eventfd2", "waking a worker that another thread posted to"},
    SyscallEntry{"event loop", "ioctl", "Boost.Asio makes sockets non-blocking (FIONBIO only)",
                 R::ioctl_fionbio},
    SyscallEntry{"event loop", "pipe2", "Boost.Asio's signal handling"},
    SyscallEntry{"event loop", "poll", "blocking waits in libsystemd"},
    SyscallEntry{"event loop", "ppoll", "blocking waits in libsystemd"},
    SyscallEntry{"event loop", "timerfd_create", "Boost.Asio timers"},
    SyscallEntry{"event loop", "timerfd_settime", "Boost.Asio timers"},

    // time
    SyscallEntry{"time", "clock_gettime", "timestamps, when the vDSO does not answer"},
    SyscallEntry{"time", "clock_nanosleep", "timed waits"},
    SyscallEntry{"time", "gettimeofday", "timestamps, when the vDSO does not answer"},
    SyscallEntry{"time", "nanosleep", "timed waits"},

    // signals
    SyscallEntry{"signals", "rt_sigaction", "SIGTERM and SIGINT handling"},
    SyscallEntry{"signals", "rt_sigprocmask", "threads block signals"},
    SyscallEntry{"signals", "rt_sigreturn", "returning from a signal handler"},
    SyscallEntry{"signals", "sigaltstack", "glibc and the sanitizers set signal stacks"},
    SyscallEntry{"signals", "tgkill", "abort() on a failed assertion"},

    // process
    SyscallEntry{"process", "exit", "a thread ends"},
    SyscallEntry{"process", "exit_group", "the daemon exits"},
    SyscallEntry{"process", "getegid", "libsystemd checks credentials"},
    SyscallEntry{"process", "geteuid", "libsystemd checks credentials"},
    SyscallEntry{"process", "getgid", "libsystemd checks credentials"},
    SyscallEntry{"process", "getpid", "sd_notify, logs"},
    SyscallEntry{"process", "getppid", "libsystemd"},
    SyscallEntry{"process", "getuid", "libsystemd checks credentials"},
    SyscallEntry{"process", "prctl", "thread names; the dumpable flag stays off", R::prctl_allowed},
    SyscallEntry{"process", "prlimit64", "reading resource limits (never setting them)",
                 R::prlimit_read},
    SyscallEntry{"process", "restart_syscall", "a system call interrupted by a signal resumes"},
    SyscallEntry{"process", "sysinfo",
                 "glibc's qsort asks for the physical memory size (sysconf) before sorting a "
                 "large array; SQLite's full-text index sorts the terms of a document with it"},
    SyscallEntry{"process", "uname", "glibc and OpenSSL read the kernel version"},

    // randomness
    SyscallEntry{"randomness", "getrandom", "OpenSSL's and SQLite's random numbers"},

    // compatibility: older names some libraries still call on x86-64
    SyscallEntry{"compatibility", "access", "SQLite checks for files"},
    SyscallEntry{"compatibility", "open", "SQLite opens files"},
    SyscallEntry{"compatibility", "stat", "SQLite and glibc stat files"},
};

}  // namespace

std::span<const SyscallEntry> allow_list() noexcept {
    return kAllowList;
}

std::span<const std::string_view> allow_list_groups() noexcept {
    return kGroups;
}

}  // namespace strongroom::hardening
