// Integration harness: starts the real strongroomd in --dev mode in a
// temporary directory and runs the real tools, as root or as other Unix
// users through setpriv, capturing their output and exit status.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

#include <boost/json/value.hpp>

// Tests that play an adversary with the database file itself (editing rows,
// dropping triggers) need the store's internal connection, which the
// daemon's other modules may not include.
#include "daemon/store/sqlite.hpp"  // IWYU pragma: export

namespace strongroom::test {

// Paths of the binaries under test, compiled in by CMake.
std::string daemon_path();
std::string tool_path();   // strongroom
std::string admin_path();  // strongroom-admin

struct RunResult {
    int status = -1;  // exit status, or 128 + signal
    std::string out;
    std::string err;

    // stdout parsed as one JSON document (fails the test if it is not).
    boost::json::value json() const;
};

struct RunOptions {
    std::optional<uid_t> uid;  // run as this uid and gid, no supplementary groups
    std::map<std::string, std::string> env;
    std::chrono::seconds timeout{60};
    std::string input;  // written to stdin
};

// Runs argv[0] with the arguments; the environment is minimal (PATH, plus
// options.env).
RunResult run(const std::vector<std::string>& argv, const RunOptions& options = {});

// A temporary directory other users can traverse (mode 0711), removed at the end.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const noexcept { return path_; }

private:
    std::filesystem::path path_;
};

// A strongroomd child process.
class Daemon {
public:
    // Starts `strongroomd --dev DIR [extra...]` and waits until it answers.
    explicit Daemon(std::filesystem::path dir, std::vector<std::string> extra = {},
                    std::map<std::string, std::string> env = {});
    ~Daemon();
    Daemon(const Daemon&) = delete;
    Daemon& operator=(const Daemon&) = delete;

    // Sends SIGTERM and waits; returns the exit status.
    int stop(std::chrono::seconds timeout = std::chrono::seconds(30));
    // Sends SIGKILL (a crash) and waits; returns the exit status (128 + 9).
    int kill_now();
    pid_t pid() const noexcept { return pid_; }
    std::string socket() const { return (dir_ / "strongroom.sock").string(); }
    const std::filesystem::path& dir() const noexcept { return dir_; }
    // What the daemon wrote to stderr so far.
    std::string log() const;

    // Runs a tool against this daemon: {"strongroom-admin", "init", ...}
    // with the binary path filled in and --socket added.
    RunResult admin(std::vector<std::string> args, std::optional<uid_t> uid = std::nullopt) const;
    RunResult tool(std::vector<std::string> args, std::optional<uid_t> uid = std::nullopt) const;

private:
    std::filesystem::path dir_;
    std::filesystem::path log_path_;
    pid_t pid_ = -1;
};

// Starts a process without waiting for it (for daemons started another way).
pid_t spawn(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
            const std::filesystem::path& stderr_path);
// Waits for a child; returns its exit status or 128 + signal, or -1 on timeout.
int wait_exit(pid_t pid, std::chrono::milliseconds timeout);

// True once a connection to the socket succeeds, within the timeout.
bool wait_for_socket(const std::string& path, std::chrono::milliseconds timeout);

// Reads a whole file as bytes.
std::string read_file(const std::filesystem::path& path);

// Uids for test users; they need no passwd entry.
inline constexpr uid_t kAlice = 61001;
inline constexpr uid_t kBob = 61002;
inline constexpr uid_t kCarol = 61003;
inline constexpr uid_t kStranger = 61099;

}  // namespace strongroom::test
