// Forked tests of the real sandbox: a child process demotes itself exactly as
// strongroomd does, then tries a call; the parent checks that allowed calls
// work and forbidden ones are stopped (killed by SIGSYS, or refused by
// Landlock). The tests run as root, so the drop to an unprivileged account
// is exercised too.

#include "hardening/sandbox.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace strongroom::hardening {
namespace {

namespace fs = std::filesystem;

constexpr uid_t kNobody = 65534;

struct Outcome {
    bool exited = false;
    int code = -1;    // exit code when exited
    int signal = 0;   // terminating signal otherwise
    std::string err;  // what the child wrote on stderr
};

// A directory for the child's state, removed afterwards.
class StateDir {
public:
    StateDir() {
        std::string tmpl = (fs::temp_directory_path() / "sr-sandbox-XXXXXX").string();
        path_ = ::mkdtemp(tmpl.data());
        EXPECT_EQ(::chown(path_.c_str(), kNobody, kNobody), 0);
    }
    ~StateDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    const fs::path& path() const { return path_; }

private:
    fs::path path_;
};

SandboxOptions options_for(const StateDir& dir, SeccompAction action = SeccompAction::kill) {
    SandboxOptions o;
    if (::geteuid() == 0) {
        o.uid = kNobody;
        o.gid = kNobody;
    }
    o.read_write.push_back(dir.path());
    o.seccomp = action;
    return o;
}

// Runs body in a child that first demotes itself. The child exits with the
// body's return value; 100 means the demotion itself failed.
Outcome in_sandbox(const SandboxOptions& options, const std::function<int()>& body) {
    int err_pipe[2];
    if (::pipe(err_pipe) != 0) {
        return {};
    }
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::dup2(err_pipe[1], STDERR_FILENO);
        ::close(err_pipe[0]);
        auto report = demote(options);
        if (!report) {
            const auto& m = report.error().message;
            [[maybe_unused]] auto n = ::write(STDERR_FILENO, m.data(), m.size());
            ::_exit(100);
        }
        ::_exit(body());
    }
    ::close(err_pipe[1]);
    Outcome out;
    char buf[1024];
    for (ssize_t n; (n = ::read(err_pipe[0], buf, sizeof buf)) > 0;) {
        out.err.append(buf, static_cast<std::size_t>(n));
    }
    ::close(err_pipe[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (WIFEXITED(status)) {
        out.exited = true;
        out.code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        out.signal = WTERMSIG(status);
    }
    return out;
}

bool killed_by_seccomp(const Outcome& o) {
    return !o.exited && o.signal == SIGSYS;
}

TEST(Sandbox, AllowedWorkStillWorks) {
    // After demotion the daemon's own work goes on: files in the state directory, AF_UNIX
    // sockets, threads, random numbers, time.
    StateDir dir;
    const auto o = in_sandbox(options_for(dir), [&] {
        const auto file = dir.path() / "db";
        const int fd = ::open(file.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
        if (fd < 0 || ::write(fd, "x", 1) != 1 || ::fdatasync(fd) != 0) {
            return 1;
        }
        ::close(fd);
        const int s = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (s < 0) {
            return 2;
        }
        ::close(s);
        int value = 0;
        std::thread t([&] { value = 42; });
        t.join();
        if (value != 42) {
            return 3;
        }
        unsigned char r[16];
        if (::getrandom(r, sizeof r, 0) != sizeof r) {
            return 4;
        }
        timespec ts{};
        if (::clock_gettime(CLOCK_MONOTONIC, &ts) != 0) {
            return 5;
        }
        return 0;
    });
    EXPECT_TRUE(o.exited) << "signal " << o.signal << ": " << o.err;
    EXPECT_EQ(o.code, 0) << o.err;
}

// The value of a field of /proc/PID/status.
std::string status_field(pid_t pid, const std::string& field) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(in, line);) {
        if (line.rfind(field + ":", 0) == 0) {
            auto value = line.substr(field.size() + 1);
            value.erase(0, value.find_first_not_of(" \t"));
            return value;
        }
    }
    return "";
}

TEST(Sandbox, PrivilegesAndCapabilitiesAreGone) {
    // Started as root, a demoted process is the service account in every uid and gid, with no
    // supplementary groups, no capability in any set, no_new_privs and seccomp filtering: as
    // the kernel reports it in /proc/PID/status.
    if (::geteuid() != 0) {
        GTEST_SKIP() << "needs root to test the drop";
    }
    StateDir dir;
    int ready[2];
    int done[2];
    ASSERT_EQ(::pipe(ready), 0);
    ASSERT_EQ(::pipe(done), 0);
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::close(ready[0]);
        ::close(done[1]);
        const bool ok = demote(options_for(dir)).ok();
        [[maybe_unused]] auto w = ::write(ready[1], ok ? "y" : "n", 1);
        char c;
        [[maybe_unused]] auto r = ::read(done[0], &c, 1);  // until the parent has looked
        ::_exit(0);
    }
    ::close(ready[1]);
    ::close(done[0]);
    char c = 0;
    ASSERT_EQ(::read(ready[0], &c, 1), 1);
    EXPECT_EQ(c, 'y');
    EXPECT_EQ(status_field(pid, "Uid"), "65534\t65534\t65534\t65534");
    EXPECT_EQ(status_field(pid, "Gid"), "65534\t65534\t65534\t65534");
    EXPECT_EQ(status_field(pid, "Groups"), "");
    for (const char* set : {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"}) {
        EXPECT_EQ(status_field(pid, set), "0000000000000000") << set;
    }
    EXPECT_EQ(status_field(pid, "NoNewPrivs"), "1");
    EXPECT_EQ(status_field(pid, "Seccomp"), "2");
    ::close(done[1]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    ::close(ready[0]);
}

TEST(Sandbox, NetworkSocketsKillTheProcess) {
    // socket(AF_INET) and socket(AF_INET6) are outside the allow-list: the process is killed.
    StateDir dir;
    for (int domain : {AF_INET, AF_INET6, AF_NETLINK, AF_PACKET}) {
        const auto o = in_sandbox(options_for(dir), [domain] {
            ::socket(domain, SOCK_STREAM, 0);
            return 0;
        });
        EXPECT_TRUE(killed_by_seccomp(o)) << "domain " << domain << " exited " << o.code;
    }
}

TEST(Sandbox, ExecutingAProgramKillsTheProcess) {
    // execve is not allowed: the daemon runs no program.
    StateDir dir;
    const auto o = in_sandbox(options_for(dir), [] {
        char* const argv[] = {const_cast<char*>("/bin/true"), nullptr};
        ::execve("/bin/true", argv, nullptr);
        return 0;
    });
    EXPECT_TRUE(killed_by_seccomp(o)) << "exited " << o.code;
}

TEST(Sandbox, PtraceKillsTheProcess) {
    // ptrace is not allowed.
    StateDir dir;
    const auto o = in_sandbox(options_for(dir), [] {
        ::ptrace(PTRACE_TRACEME, 0, nullptr, nullptr);
        return 0;
    });
    EXPECT_TRUE(killed_by_seccomp(o)) << "exited " << o.code;
}

TEST(Sandbox, ANewProcessKillsTheProcess) {
    // clone without CLONE_THREAD (fork) is not allowed: threads only.
    StateDir dir;
    const auto o = in_sandbox(options_for(dir), [] {
        ::syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
        return 0;
    });
    EXPECT_TRUE(killed_by_seccomp(o)) << "exited " << o.code;
}

TEST(Sandbox, ArgumentRulesHold) {
    // ioctl other than FIONBIO, prctl other than thread names, and raising a priority are killed.
    StateDir dir;
    const auto ioctl_other = in_sandbox(options_for(dir), [] {
        winsize ws{};
        ::ioctl(STDIN_FILENO, TIOCGWINSZ, &ws);
        return 0;
    });
    EXPECT_TRUE(killed_by_seccomp(ioctl_other));
    const auto prctl_other = in_sandbox(options_for(dir), [] {
        ::prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
        return 0;
    });
    EXPECT_TRUE(killed_by_seccomp(prctl_other));
    const auto raise = in_sandbox(options_for(dir), [] {
        ::setpriority(PRIO_PROCESS, 0, -5);
        return 0;
    });
    EXPECT_TRUE(killed_by_seccomp(raise));
    const auto lower =
        in_sandbox(options_for(dir), [] { return ::setpriority(PRIO_PROCESS, 0, 5) == 0 ? 0 : 1; });
    EXPECT_TRUE(lower.exited && lower.code == 0) << lower.err;
    const auto fionbio = in_sandbox(options_for(dir), [] {
        const int s = ::socket(AF_UNIX, SOCK_STREAM, 0);
        int on = 1;
        return ::ioctl(s, FIONBIO, &on) == 0 ? 0 : 1;
    });
    EXPECT_TRUE(fionbio.exited && fionbio.code == 0) << fionbio.err;
}

TEST(Sandbox, FilesOutsideTheStateDirectoryAreRefused) {
    // Landlock refuses opening a file outside the state directory, for reading or writing.
    StateDir dir;
    StateDir other;  // also writable by the service account, but not in the ruleset
    {
        std::ofstream f(other.path() / "secret");
        f << "secret";
    }
    ASSERT_EQ(::chown((other.path() / "secret").c_str(), kNobody, kNobody), 0);
    const auto o = in_sandbox(options_for(dir), [&] {
        const int a = ::open("/etc/hostname", O_RDONLY | O_CLOEXEC);
        const int err_a = errno;
        const int b = ::open((other.path() / "secret").c_str(), O_RDONLY | O_CLOEXEC);
        const int err_b = errno;
        const int c = ::open((other.path() / "new").c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
        const int err_c = errno;
        if (a >= 0 || b >= 0 || c >= 0) {
            return 1;
        }
        return err_a == EACCES && err_b == EACCES && err_c == EACCES ? 0 : 2;
    });
    EXPECT_TRUE(o.exited) << "signal " << o.signal << ": " << o.err;
    EXPECT_EQ(o.code, 0) << o.err;
}

TEST(Sandbox, TrapBuildReportsTheRefusedCallByName) {
    // In trap mode (debugging builds) a forbidden call fails with ENOSYS and is named on stderr.
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
    GTEST_SKIP() << "ThreadSanitizer defers signals to its own handler, and the SIGSYS of "
                    "trap mode then kills the process: trap mode is for GCC debugging builds";
#endif
#endif
    StateDir dir;
    const auto o = in_sandbox(options_for(dir, SeccompAction::trap), [] {
        const int s = ::socket(AF_INET, SOCK_STREAM, 0);
        return s < 0 && errno == ENOSYS ? 0 : 1;
    });
    EXPECT_TRUE(o.exited) << "signal " << o.signal;
    EXPECT_EQ(o.code, 0);
    EXPECT_NE(o.err.find("seccomp: blocked system call socket"), std::string::npos) << o.err;
}

TEST(Sandbox, TheReportSaysWhatWasApplied) {
    // The one-line summary names the account, Landlock ABI and the number of rules.
    StateDir dir;
    SandboxReport r;
    r.uid = 65534;
    r.gid = 65534;
    r.dropped_privileges = true;
    r.landlock_abi = 7;
    r.syscalls_allowed = 103;
    const auto s = r.summary();
    EXPECT_NE(s.find("uid 65534"), std::string::npos) << s;
    EXPECT_NE(s.find("dropped from root"), std::string::npos) << s;
    EXPECT_NE(s.find("Landlock ABI 7"), std::string::npos) << s;
    EXPECT_NE(s.find("103 rules"), std::string::npos) << s;
}

}  // namespace
}  // namespace strongroom::hardening
