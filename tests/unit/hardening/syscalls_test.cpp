// Tests of the seccomp allow-list table itself: its shape (grouped, sorted,
// no duplicates), a reason for every entry, and names libseccomp knows.

#include "hardening/syscalls.hpp"

#include <algorithm>
#include <set>
#include <string>

#include <seccomp.h>

#include <gtest/gtest.h>

namespace strongroom::hardening {
namespace {

TEST(AllowList, GroupsAppearInOrderAndNamesAreSortedWithinEach) {
    // The table lists its groups in the declared order, each group's names sorted.
    const auto groups = allow_list_groups();
    std::size_t group = 0;
    std::string_view previous_name;
    for (const auto& e : allow_list()) {
        if (e.group != groups[group]) {
            const auto it = std::find(groups.begin() + static_cast<std::ptrdiff_t>(group) + 1,
                                      groups.end(), e.group);
            ASSERT_NE(it, groups.end())
                << e.name << " is in an unknown or out-of-order group " << e.group;
            group = static_cast<std::size_t>(it - groups.begin());
            previous_name = {};
        }
        EXPECT_LT(previous_name, e.name) << e.name << " is out of order in " << e.group;
        previous_name = e.name;
    }
}

TEST(AllowList, NoSystemCallIsListedTwice) {
    // Every name appears once in the whole table.
    std::set<std::string_view> seen;
    for (const auto& e : allow_list()) {
        EXPECT_TRUE(seen.insert(e.name).second) << e.name << " is listed twice";
    }
}

TEST(AllowList, EveryEntryHasAReason) {
    // Each entry says why the daemon needs the call, in words.
    for (const auto& e : allow_list()) {
        EXPECT_GE(e.reason.size(), 10U) << e.name;
    }
}

TEST(AllowList, EveryNameIsASystemCallLibseccompKnows) {
    // Each name resolves (on this architecture, or as one libseccomp knows for others).
    for (const auto& e : allow_list()) {
        const int nr = seccomp_syscall_resolve_name(std::string(e.name).c_str());
        EXPECT_NE(nr, __NR_SCMP_ERROR) << e.name;
    }
}

TEST(AllowList, DangerousCallsAreAbsent) {
    // Calls that would let a compromised daemon escape its confinement are not in the table.
    std::set<std::string_view> names;
    for (const auto& e : allow_list()) {
        names.insert(e.name);
    }
    for (const char* forbidden : {"execve",
                                  "execveat",
                                  "fork",
                                  "vfork",
                                  "ptrace",
                                  "process_vm_readv",
                                  "process_vm_writev",
                                  "setuid",
                                  "setgid",
                                  "setresuid",
                                  "setresgid",
                                  "setgroups",
                                  "capset",
                                  "mount",
                                  "umount2",
                                  "pivot_root",
                                  "chroot",
                                  "unshare",
                                  "setns",
                                  "bpf",
                                  "perf_event_open",
                                  "kexec_load",
                                  "init_module",
                                  "finit_module",
                                  "delete_module",
                                  "reboot",
                                  "swapon",
                                  "keyctl",
                                  "add_key",
                                  "request_key",
                                  "seccomp",
                                  "landlock_create_ruleset",
                                  "socketcall",
                                  "bind",
                                  "listen",
                                  "chmod",
                                  "fchmod",
                                  "chown",
                                  "fchown",
                                  "link",
                                  "symlink",
                                  "mknod",
                                  "kill",
                                  "userfaultfd",
                                  "io_uring_setup",
                                  "memfd_create",
                                  "personality",
                                  "iopl",
                                  "ioperm"}) {
        EXPECT_EQ(names.count(forbidden), 0U) << forbidden << " must not be allowed";
    }
}

}  // namespace
}  // namespace strongroom::hardening
