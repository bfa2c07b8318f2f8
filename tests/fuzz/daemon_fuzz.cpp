// libFuzzer target that drives a live strongroomd through its socket.
//
// Once per process the target starts the real daemon as a child
// (strongroomd --dev STATE_DIR, STATE_DIR in a scratch directory under /tmp;
// the path of the binary is STRONGROOM_DAEMON_PATH, set by CMake) and
// initialises it with this process's uid as the first officer, so that the
// requests reach the handlers. For each input, the first byte chooses:
//   even  the rest is written to a fresh connection as it is (frames);
//   odd   the rest is a request document, sent in one message frame;
// the answer is read with a short timeout. Then, on another connection, a
// whoami must be answered with a response that decodes and carries its id.
// If the daemon has exited or does not answer, the target prints the end of
// its log and aborts, so that libFuzzer keeps the input.
#include <array>
#include <chrono>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon/protocol/frame.hpp"
#include "daemon/protocol/message.hpp"
#include "tests/fuzz/fuzz_util.hpp"

#ifndef STRONGROOM_DAEMON_PATH
#error "STRONGROOM_DAEMON_PATH names the strongroomd to fuzz"
#endif

namespace {

namespace protocol = strongroom::protocol;
using namespace std::chrono_literals;

class Daemon {
public:
    Daemon() : scratch_("daemon") {
        // The daemon drops to another account when started as root: let it
        // reach its state directory.
        ::chmod(scratch_.path().c_str(), 0755);
        state_ = scratch_.path() / "state";
        socket_ = (state_ / "strongroom.sock").string();
        log_ = scratch_.path() / "strongroomd.log";
        start();
    }
    ~Daemon() {
        if (pid_ > 0) {
            ::kill(pid_, SIGTERM);
            for (int i = 0; i < 100 && ::waitpid(pid_, nullptr, WNOHANG) == 0; ++i) {
                std::this_thread::sleep_for(50ms);
            }
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
    }
    Daemon(const Daemon&) = delete;
    Daemon& operator=(const Daemon&) = delete;

    const std::string& socket() const { return socket_; }

    // Aborts, with the end of the daemon's log, if it is gone.
    void check_alive(const char* when) {
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            dead(when, status);
        }
    }

    [[noreturn]] void dead(const char* what, int status = -1) const {
        std::ifstream in(log_);
        std::stringstream ss;
        ss << in.rdbuf();
        auto log = ss.str();
        if (log.size() > 4000) {
            log = log.substr(log.size() - 4000);
        }
        std::fprintf(stderr, "fuzz_daemon: %s (status %d); its log ends:\n%s\n", what, status,
                     log.c_str());
        std::abort();
    }

private:
    void start() {
        const std::string daemon = STRONGROOM_DAEMON_PATH;
        const std::string asan = "ASAN_OPTIONS=detect_leaks=0:abort_on_error=1";
        const std::string ubsan = "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1";
        const std::string path = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
        std::string state = state_.string();
        pid_ = ::fork();
        if (pid_ < 0) {
            std::perror("fork");
            std::abort();
        }
        if (pid_ == 0) {
            const int fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
            const int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
            ::dup2(null, 0);
            ::dup2(null, 1);
            ::dup2(fd, 2);
            std::array<const char*, 4> argv{daemon.c_str(), "--dev", state.c_str(), nullptr};
            std::array<const char*, 4> env{asan.c_str(), ubsan.c_str(), path.c_str(), nullptr};
            ::execve(argv[0], const_cast<char* const*>(argv.data()),
                     const_cast<char* const*>(env.data()));
            ::_exit(127);
        }
        const auto deadline = std::chrono::steady_clock::now() + 60s;
        for (;;) {
            check_alive("strongroomd exited at start-up");
            if (const int fd = connect_to(); fd >= 0) {
                ::close(fd);
                break;
            }
            if (std::chrono::steady_clock::now() > deadline) {
                dead("strongroomd did not open its socket within 60 s");
            }
            std::this_thread::sleep_for(50ms);
        }
    }

public:
    int connect_to() const {
        const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::strncpy(addr.sun_path, socket_.c_str(), sizeof addr.sun_path - 1);
        if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
            ::close(fd);
            return -1;
        }
        return fd;
    }

private:
    strongroom::fuzz::ScratchDir scratch_;
    std::filesystem::path state_;
    std::string socket_;
    std::filesystem::path log_;
    pid_t pid_ = -1;
};

bool write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        const auto n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return false;  // the daemon closed the connection: allowed
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

// Reads until the daemon closes the connection, `enough` bytes have come,
// or `timeout` passes.
std::string read_some(int fd, std::chrono::milliseconds timeout, std::size_t enough) {
    std::string out;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    char buf[65536];
    while (out.size() < enough) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left <= 0ms) {
            break;
        }
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
            break;
        }
        const auto n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) {
            break;
        }
        out.append(buf, static_cast<std::size_t>(n));
    }
    return out;
}

std::string framed(std::string_view payload) {
    const auto header = protocol::encode_header(protocol::FrameType::message,
                                                static_cast<std::uint32_t>(payload.size()));
    return std::string(reinterpret_cast<const char*>(header.data()), header.size()) +
           std::string(payload);
}

// Sends one request and returns the decoded response, or nothing.
std::optional<protocol::Response> ask(Daemon& d, std::uint64_t id, std::string_view op,
                                      std::string_view args) {
    const int fd = d.connect_to();
    if (fd < 0) {
        return std::nullopt;
    }
    const std::string doc = "{\"v\":1,\"id\":" + std::to_string(id) + ",\"op\":\"" +
                            std::string(op) + "\",\"args\":" + std::string(args) + "}";
    std::optional<protocol::Response> out;
    if (write_all(fd, framed(doc))) {
        const auto answer = read_some(fd, 10s, protocol::kHeaderSize);
        protocol::Limits limits;
        const auto head =
            answer.size() >= protocol::kHeaderSize
                ? protocol::decode_header(std::span<const std::uint8_t, protocol::kHeaderSize>(
                                              reinterpret_cast<const std::uint8_t*>(answer.data()),
                                              protocol::kHeaderSize),
                                          limits)
                : strongroom::Result<protocol::FrameHeader>(
                      strongroom::make_error(strongroom::ErrorCode::bad_request, "short"));
        if (head) {
            auto body = answer.substr(protocol::kHeaderSize);
            if (body.size() < head->length) {
                body += read_some(fd, 10s, head->length - body.size());
            }
            if (body.size() >= head->length) {
                auto r = protocol::decode_response(std::string_view(body).substr(0, head->length),
                                                   limits);
                if (r) {
                    out = std::move(*r);
                }
            }
        }
    }
    ::close(fd);
    return out;
}

Daemon& daemon() {
    static Daemon* d = [] {
        auto* made = new Daemon();
        std::atexit([] { delete &daemon(); });
        const auto uid = std::to_string(::geteuid());
        const auto r = ask(*made, 1, "init",
                           "{\"name\":\"fuzzer\",\"uid\":" + uid +
                               ",\"second_name\":\"second\",\"second_uid\":61002}");
        if (!r || r->error) {
            made->dead("init was not answered with success");
        }
        return made;
    }();
    return *d;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto& d = daemon();
    if (size == 0) {
        return 0;
    }
    const auto rest = strongroom::fuzz::text_of(data + 1, size - 1);
    if (const int fd = d.connect_to(); fd >= 0) {
        const bool sent = write_all(fd, (data[0] & 1U) != 0 ? framed(rest) : std::string(rest));
        if (sent) {
            ::shutdown(fd, SHUT_WR);
        }
        (void)read_some(fd, 300ms, 1U << 20);
        ::close(fd);
    } else {
        d.check_alive("strongroomd exited");
        d.dead("strongroomd refused a connection");
    }
    // The daemon may not yet have noticed that the input's connection
    // closed, and refuse another over max_connections_per_uid (an answer
    // with id 0): ask again, for up to 20 s.
    static std::uint64_t next_id = 1000;
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    for (;;) {
        const auto id = ++next_id;
        const auto r = ask(d, id, "whoami", "{}");
        d.check_alive("strongroomd exited");
        if (r && r->id == id) {
            break;
        }
        if (std::chrono::steady_clock::now() > deadline) {
            d.dead("strongroomd did not answer whoami after the input");
        }
        std::this_thread::sleep_for(20ms);
    }
    return 0;
}
