// People for the harnesses that drive the daemon from many processes at once
// (crash_test, soak_test): each person is a forked child with its own uid
// talking the protocol through the client library, reporting what it was
// told as lines on a pipe.
#pragma once

#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>

#include "admin-tools/client/client.hpp"

namespace strongroom::test {

// Writes one line to fd (a pipe to the parent); a child's report.
inline void say(int fd, const std::string& line) {
    const std::string text = line + "\n";
    std::size_t done = 0;
    while (done < text.size()) {
        const auto n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return;
        }
        done += static_cast<std::size_t>(n);
    }
}

// A forked child acting as one person (uid and gid, no groups). What it
// says comes back as lines.
class Actor {
public:
    using Body = std::function<void(int out)>;

    Actor(uid_t uid, const Body& body) {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) != 0) {
            throw std::runtime_error("pipe2 failed");
        }
        pid_ = ::fork();
        if (pid_ == 0) {
            ::close(fds[0]);
            if (::setgroups(0, nullptr) != 0 || ::setresgid(uid, uid, uid) != 0 ||
                ::setresuid(uid, uid, uid) != 0) {
                say(fds[1], "FAIL cannot change uid");
                ::_exit(1);
            }
            body(fds[1]);
            ::_exit(0);
        }
        ::close(fds[1]);
        fd_ = fds[0];
        ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) | O_NONBLOCK);
    }
    ~Actor() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
        if (fd_ >= 0) {
            ::close(fd_);
        }
    }
    Actor(const Actor&) = delete;
    Actor& operator=(const Actor&) = delete;

    // Reads what has arrived so far (the pipe must not fill up).
    void drain() {
        char buf[4096];
        for (;;) {
            const auto n = ::read(fd_, buf, sizeof buf);
            if (n <= 0) {
                return;
            }
            text_.append(buf, static_cast<std::size_t>(n));
        }
    }
    void kill() { ::kill(pid_, SIGKILL); }
    // Waits for the child to end (killed or done) and returns all it said.
    std::vector<std::string> finish() {
        ::waitpid(pid_, nullptr, 0);
        pid_ = -1;
        ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) & ~O_NONBLOCK);
        char buf[4096];
        for (;;) {
            const auto n = ::read(fd_, buf, sizeof buf);
            if (n <= 0) {
                break;
            }
            text_.append(buf, static_cast<std::size_t>(n));
        }
        std::vector<std::string> lines;
        std::istringstream in(text_);
        for (std::string line; std::getline(in, line);) {
            lines.push_back(line);
        }
        return lines;
    }

private:
    pid_t pid_ = -1;
    int fd_ = -1;
    std::string text_;
};

// The lines of a child that runs to its end.
inline std::vector<std::string> as(uid_t uid, const Actor::Body& body) {
    Actor a(uid, body);
    return a.finish();
}

// A connection in a child, opened again after the daemon went away.
class Link {
public:
    explicit Link(std::string socket) : socket_(std::move(socket)) {}
    client::Connection* get() {
        if (!conn_) {
            auto c = client::Connection::open(
                socket_, client::Options{std::chrono::milliseconds(5000), {16 << 20, 64}});
            if (!c) {
                std::this_thread::sleep_for(std::chrono::milliseconds(5));
                return nullptr;
            }
            conn_.emplace(std::move(*c));
        }
        return &*conn_;
    }
    // A call; nothing when the connection failed (it is dropped).
    std::optional<protocol::Response> call(std::string_view op, boost::json::object args) {
        auto* c = get();
        if (c == nullptr) {
            return std::nullopt;
        }
        auto r = c->call(op, std::move(args));
        if (!r) {
            conn_.reset();
            return std::nullopt;
        }
        return std::move(*r);
    }
    std::optional<protocol::Response> upload(std::string_view op, boost::json::object args,
                                             const std::string& content) {
        auto* c = get();
        if (c == nullptr) {
            return std::nullopt;
        }
        std::size_t at = 0;
        auto r = c->call_upload(op, std::move(args), [&](std::span<std::uint8_t> buf) {
            const auto n = std::min(buf.size(), content.size() - at);
            std::memcpy(buf.data(), content.data() + at, n);
            at += n;
            return Result<std::size_t>(n);
        });
        if (!r) {
            conn_.reset();
            return std::nullopt;
        }
        return std::move(*r);
    }
    // A download into `sink`; nothing when it was cut short.
    std::optional<protocol::Response> download(std::string_view op, boost::json::object args,
                                               std::string& sink) {
        auto* c = get();
        if (c == nullptr) {
            return std::nullopt;
        }
        sink.clear();
        auto r = c->call_download(op, std::move(args), [&](std::span<const std::uint8_t> d) {
            sink.append(reinterpret_cast<const char*>(d.data()), d.size());
            return Status{};
        });
        if (!r) {
            conn_.reset();
            return std::nullopt;
        }
        return std::move(*r);
    }

private:
    std::string socket_;
    std::optional<client::Connection> conn_;
};

}  // namespace strongroom::test
