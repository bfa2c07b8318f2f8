// Builds and loads the seccomp filter from the allow-list table.

#include <array>
#include <cerrno>
#include <cstring>
#include <initializer_list>
#include <string>

#include <fcntl.h>
#include <linux/sched.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <ucontext.h>
#include <unistd.h>

#include <fmt/format.h>

#include "hardening/sandbox.hpp"
#include "hardening/syscalls.hpp"

namespace strongroom::hardening {
namespace {

// fcntl commands: POSIX record locks (SQLite), descriptor and status flags.
constexpr std::array<int, 9> kFcntlCommands{F_GETFD, F_SETFD,  F_GETFL,         F_SETFL,    F_GETLK,
                                            F_SETLK, F_SETLKW, F_DUPFD_CLOEXEC, F_OFD_SETLK};

// prctl options: thread names (pthread_setname_np), and reading or keeping
// off the dumpable flag.
constexpr std::array<int, 3> kPrctlOptions{PR_SET_NAME, PR_GET_NAME, PR_GET_DUMPABLE};

// One argument comparison (the SCMP_A* macros are C compound literals).
scmp_arg_cmp arg(unsigned int index, scmp_compare op, scmp_datum_t a, scmp_datum_t b = 0) {
    scmp_arg_cmp c{};
    c.arg = index;
    c.op = op;
    c.datum_a = a;
    c.datum_b = b;
    return c;
}

int allow(scmp_filter_ctx ctx, int nr, std::initializer_list<scmp_arg_cmp> args) {
    return seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, static_cast<unsigned int>(args.size()),
                                  args.begin());
}

struct Filter {
    scmp_filter_ctx ctx = nullptr;
    ~Filter() {
        if (ctx != nullptr) {
            seccomp_release(ctx);
        }
    }
};

Error failure(std::string_view what, int rc) {
    return make_error(ErrorCode::internal,
                      fmt::format("seccomp: {}: {}", what, std::strerror(rc < 0 ? -rc : rc)));
}

// Adds the rules of one table entry. Returns the number of rules added, or a
// negative errno.
int add_entry(scmp_filter_ctx ctx, int nr, ArgRule rule) {
    auto one = [](int rc) { return rc == 0 ? 1 : -EINVAL; };
    switch (rule) {
        case ArgRule::none:
            return one(allow(ctx, nr, {}));
        case ArgRule::socket_unix:
            return one(allow(ctx, nr, {arg(0, SCMP_CMP_EQ, AF_UNIX)}));
        case ArgRule::ioctl_fionbio:
            return one(allow(ctx, nr, {arg(1, SCMP_CMP_EQ, FIONBIO)}));
        case ArgRule::clone_thread:
            return one(allow(ctx, nr, {arg(0, SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD)}));
        case ArgRule::setpriority_lower:
            // which == PRIO_PROCESS, niceness 0..19 (a lower priority only).
            return one(
                allow(ctx, nr, {arg(0, SCMP_CMP_EQ, PRIO_PROCESS), arg(2, SCMP_CMP_LE, 19)}));
        case ArgRule::prlimit_read:
            return one(allow(ctx, nr, {arg(2, SCMP_CMP_EQ, 0)}));
        case ArgRule::enosys:
            return one(seccomp_rule_add_array(ctx, SCMP_ACT_ERRNO(ENOSYS), nr, 0, nullptr));
        case ArgRule::fcntl_commands: {
            int n = 0;
            for (int cmd : kFcntlCommands) {
                if (allow(ctx, nr, {arg(1, SCMP_CMP_EQ, static_cast<scmp_datum_t>(cmd))}) != 0) {
                    return -EINVAL;
                }
                ++n;
            }
            return n;
        }
        case ArgRule::prctl_allowed: {
            int n = 0;
            for (int option : kPrctlOptions) {
                if (allow(ctx, nr, {arg(0, SCMP_CMP_EQ, static_cast<scmp_datum_t>(option))}) != 0) {
                    return -EINVAL;
                }
                ++n;
            }
            // PR_SET_DUMPABLE only to keep it off.
            if (allow(ctx, nr, {arg(0, SCMP_CMP_EQ, PR_SET_DUMPABLE), arg(1, SCMP_CMP_EQ, 0)}) !=
                0) {
                return -EINVAL;
            }
            return n + 1;
        }
    }
    return -EINVAL;
}

// Debugging builds: a refused call is reported on stderr and fails with
// ENOSYS instead of killing the process.
void on_sigsys(int, siginfo_t* info, void* context) {
    char line[160];
    const int nr = info->si_syscall;
    char* name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
    const int n =
        std::snprintf(line, sizeof line, "strongroomd: seccomp: blocked system call %s (%d)\n",
                      name != nullptr ? name : "?", nr);
    std::free(name);
    if (n > 0) {
        [[maybe_unused]] const auto w = ::write(STDERR_FILENO, line, static_cast<std::size_t>(n));
    }
#if defined(__x86_64__)
    auto* uc = static_cast<ucontext_t*>(context);
    uc->uc_mcontext.gregs[REG_RAX] = -ENOSYS;
#else
    (void)context;
#endif
}

}  // namespace

SeccompAction default_seccomp_action() noexcept {
#if defined(STRONGROOM_SECCOMP_TRAP)
    return SeccompAction::trap;
#else
    return SeccompAction::kill;
#endif
}

Result<std::size_t> apply_seccomp(SeccompAction action) {
    Filter f;
    f.ctx = seccomp_init(action == SeccompAction::kill ? SCMP_ACT_KILL_PROCESS : SCMP_ACT_TRAP);
    if (f.ctx == nullptr) {
        return make_error(ErrorCode::internal, "seccomp: cannot create a filter");
    }
    // Every thread gets the filter, should any exist already.
    if (int rc = seccomp_attr_set(f.ctx, SCMP_FLTATR_CTL_TSYNC, 1); rc != 0) {
        return failure("thread synchronisation", rc);
    }
    std::size_t rules = 0;
    for (const auto& e : allow_list()) {
        const std::string name(e.name);
        const int nr = seccomp_syscall_resolve_name(name.c_str());
        if (nr == __NR_SCMP_ERROR) {
            return make_error(ErrorCode::internal,
                              fmt::format("seccomp: unknown system call {}", name));
        }
        if (nr < 0) {
            continue;  // does not exist on this architecture
        }
        const int added = add_entry(f.ctx, nr, e.rule);
        if (added < 0) {
            return failure(fmt::format("rule for {}", name), added);
        }
        rules += static_cast<std::size_t>(added);
    }
    if (action == SeccompAction::trap) {
        struct sigaction sa {};
        sa.sa_sigaction = on_sigsys;
        sa.sa_flags = SA_SIGINFO;
        if (::sigaction(SIGSYS, &sa, nullptr) != 0) {
            return failure("SIGSYS handler", errno);
        }
    }
    if (int rc = seccomp_load(f.ctx); rc != 0) {
        return failure("loading the filter", rc);
    }
    return rules;
}

}  // namespace strongroom::hardening
