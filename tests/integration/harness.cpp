#include "tests/integration/harness.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>

namespace strongroom::test {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string daemon_path() {
    return STRONGROOMD_PATH;
}
std::string tool_path() {
    return STRONGROOM_PATH;
}
std::string admin_path() {
    return STRONGROOM_ADMIN_PATH;
}

boost::json::value RunResult::json() const {
    boost::system::error_code ec;
    auto v = boost::json::parse(out, ec);
    EXPECT_FALSE(ec) << "stdout is not one JSON document: " << out << "\nstderr: " << err;
    return v;
}

namespace {

std::vector<char*> c_argv(std::vector<std::string>& args) {
    std::vector<char*> out;
    for (auto& a : args) {
        out.push_back(a.data());
    }
    out.push_back(nullptr);
    return out;
}

std::vector<std::string> make_env(const std::map<std::string, std::string>& extra) {
    std::map<std::string, std::string> env{
        {"PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}};
    // Sanitizer settings reach the children, so that a report fails the test.
    for (const char* name : {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "TSAN_OPTIONS"}) {
        if (const char* v = std::getenv(name)) {
            env[name] = v;
        }
    }
    for (const auto& [k, v] : extra) {
        env[k] = v;
    }
    std::vector<std::string> out;
    for (const auto& [k, v] : env) {
        out.push_back(k + "=" + v);
    }
    return out;
}

std::vector<std::string> with_uid(const std::vector<std::string>& argv, std::optional<uid_t> uid) {
    if (!uid) {
        return argv;
    }
    std::vector<std::string> out{"/usr/bin/setpriv", "--reuid=" + std::to_string(*uid),
                                 "--regid=" + std::to_string(*uid), "--clear-groups"};
    out.insert(out.end(), argv.begin(), argv.end());
    return out;
}

int decode_status(int status) {
    if (WIFEXITED(status)) {
        return WEXITSTATUS(status);
    }
    if (WIFSIGNALED(status)) {
        return 128 + WTERMSIG(status);
    }
    return -1;
}

}  // namespace

RunResult run(const std::vector<std::string>& argv_in, const RunOptions& options) {
    auto args = with_uid(argv_in, options.uid);
    auto env = make_env(options.env);
    int out_pipe[2];
    int err_pipe[2];
    int in_pipe[2];
    if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0 ||
        ::pipe2(in_pipe, O_CLOEXEC) != 0) {
        throw std::runtime_error("pipe failed");
    }
    auto cargv = c_argv(args);
    auto cenv = c_argv(env);
    const pid_t pid = ::fork();
    if (pid < 0) {
        throw std::runtime_error("fork failed");
    }
    if (pid == 0) {
        ::dup2(in_pipe[0], 0);
        ::dup2(out_pipe[1], 1);
        ::dup2(err_pipe[1], 2);
        ::execve(cargv[0], cargv.data(), cenv.data());
        ::_exit(127);
    }
    ::close(in_pipe[0]);
    ::close(out_pipe[1]);
    ::close(err_pipe[1]);
    if (!options.input.empty()) {
        [[maybe_unused]] auto n = ::write(in_pipe[1], options.input.data(), options.input.size());
    }
    ::close(in_pipe[1]);

    RunResult result;
    const auto deadline = std::chrono::steady_clock::now() + options.timeout;
    pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
    int open_fds = 2;
    char buf[65536];
    while (open_fds > 0) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            ::kill(pid, SIGKILL);
            break;
        }
        if (::poll(fds, 2, static_cast<int>(left.count())) < 0 && errno != EINTR) {
            break;
        }
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd >= 0 && (fds[i].revents & (POLLIN | POLLHUP)) != 0) {
                const ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
                if (n <= 0) {
                    ::close(fds[i].fd);
                    fds[i].fd = -1;
                    --open_fds;
                } else {
                    (i == 0 ? result.out : result.err).append(buf, static_cast<std::size_t>(n));
                }
            }
        }
    }
    for (auto& f : fds) {
        if (f.fd >= 0) {
            ::close(f.fd);
        }
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    result.status = decode_status(status);
    return result;
}

TempDir::TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "strongroom-test-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) {
        throw std::runtime_error("mkdtemp failed");
    }
    path_ = tmpl;
    ::chmod(path_.c_str(), 0711);
}

TempDir::~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
}

pid_t spawn(const std::vector<std::string>& argv_in,
            const std::map<std::string, std::string>& env_in, const fs::path& stderr_path) {
    auto args = argv_in;
    // Daemons run sandboxed: LeakSanitizer's exit-time check needs ptrace,
    // which the seccomp filter (rightly) kills. The daemon's code is leak-
    // checked by the unit tests, which run it in-process.
    auto env_map = env_in;
    if (const char* asan = std::getenv("ASAN_OPTIONS");
        asan != nullptr && env_map.count("ASAN_OPTIONS") == 0) {
        env_map["ASAN_OPTIONS"] = asan;
    }
    env_map["ASAN_OPTIONS"] +=
        env_map["ASAN_OPTIONS"].empty() ? "detect_leaks=0" : ":detect_leaks=0";
    auto env = make_env(env_map);
    auto cargv = c_argv(args);
    auto cenv = c_argv(env);
    const pid_t pid = ::fork();
    if (pid < 0) {
        throw std::runtime_error("fork failed");
    }
    if (pid == 0) {
        const int fd = ::open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
        const int null = ::open("/dev/null", O_RDWR);
        ::dup2(null, 0);
        ::dup2(null, 1);
        ::dup2(fd, 2);
        ::execve(cargv[0], cargv.data(), cenv.data());
        ::_exit(127);
    }
    return pid;
}

int wait_exit(pid_t pid, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        int status = 0;
        const pid_t r = ::waitpid(pid, &status, WNOHANG);
        if (r == pid) {
            return decode_status(status);
        }
        if (r < 0 || std::chrono::steady_clock::now() > deadline) {
            return -1;
        }
        std::this_thread::sleep_for(10ms);
    }
}

bool wait_for_socket(const std::string& path, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    while (std::chrono::steady_clock::now() < deadline) {
        const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        const int rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
        ::close(fd);
        if (rc == 0) {
            return true;
        }
        std::this_thread::sleep_for(20ms);
    }
    return false;
}

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

Daemon::Daemon(fs::path dir, std::vector<std::string> extra, std::map<std::string, std::string> env)
    : dir_(std::move(dir)), log_path_(dir_.parent_path() / (dir_.filename().string() + ".log")) {
    std::vector<std::string> argv{daemon_path(), "--dev", dir_.string()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    pid_ = spawn(argv, env, log_path_);
    // Until it answers, or exits (then at once, with what it said).
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (!wait_for_socket(socket(), 50ms)) {
        const int status = wait_exit(pid_, 0ms);
        if (status >= 0 || std::chrono::steady_clock::now() > deadline) {
            if (status < 0) {
                ::kill(pid_, SIGKILL);
                wait_exit(pid_, 5s);
            }
            pid_ = -1;
            throw std::runtime_error(
                fmt::format("strongroomd did not start (exit {}): {}", status, log()));
        }
    }
}

Daemon::~Daemon() {
    if (pid_ > 0) {
        stop();
    }
}

int Daemon::kill_now() {
    if (pid_ <= 0) {
        return -1;
    }
    ::kill(pid_, SIGKILL);
    const int status = wait_exit(pid_, 10s);
    pid_ = -1;
    return status;
}

int Daemon::stop(std::chrono::seconds timeout) {
    if (pid_ <= 0) {
        return -1;
    }
    ::kill(pid_, SIGTERM);
    int status = wait_exit(pid_, timeout);
    if (status < 0) {
        ::kill(pid_, SIGKILL);
        status = wait_exit(pid_, 5s);
        ADD_FAILURE() << "strongroomd did not stop on SIGTERM within the timeout";
    }
    pid_ = -1;
    // A build with STRONGROOM_SECCOMP_TRAP logs, instead of dying on, any
    // system call the allow-list lacks: each one is a failure to fix there.
    std::istringstream lines(log());
    for (std::string line; std::getline(lines, line);) {
        if (line.find("seccomp: blocked") != std::string::npos) {
            ADD_FAILURE() << "the sandbox refused a system call the daemon needed: " << line;
        }
        // A sanitizer's report in the daemon (a data race in the
        // ThreadSanitizer build, memory or undefined behaviour in the
        // ASan/UBSan one) fails the test that saw it.
        for (const char* report :
             {"WARNING: ThreadSanitizer", "ERROR: AddressSanitizer", "runtime error:"}) {
            if (line.find(report) != std::string::npos) {
                ADD_FAILURE() << "strongroomd: " << line << " (its log: " << log_path_.string()
                              << ")";
            }
        }
    }
    if (status == 128 + SIGSYS) {
        ADD_FAILURE() << "strongroomd was killed by its seccomp filter (SIGSYS); run the trap "
                         "build (scripts/build trap) to see which system call";
    }
    return status;
}

std::string Daemon::log() const {
    return read_file(log_path_);
}

RunResult Daemon::admin(std::vector<std::string> args, std::optional<uid_t> uid) const {
    std::vector<std::string> argv{admin_path(), "--socket", socket()};
    argv.insert(argv.end(), args.begin(), args.end());
    RunOptions o;
    o.uid = uid;
    return run(argv, o);
}

RunResult Daemon::tool(std::vector<std::string> args, std::optional<uid_t> uid) const {
    std::vector<std::string> argv{tool_path(), "--socket", socket()};
    argv.insert(argv.end(), args.begin(), args.end());
    RunOptions o;
    o.uid = uid;
    return run(argv, o);
}

}  // namespace strongroom::test
