// The tools' side of the socket: connect, send one request, read the answer.
// Blocking, with timeouts; links only the protocol library (no SQLCipher,
// seccomp or systemd), so the tools stay thin.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "daemon/common/error.hpp"
#include "daemon/protocol/frame.hpp"
#include "daemon/protocol/message.hpp"

namespace strongroom::client {

inline constexpr const char* kDefaultSocket = "/run/strongroom/strongroom.sock";
inline constexpr const char* kSocketEnv = "STRONGROOM_SOCKET";

// $STRONGROOM_SOCKET if set and not empty, else the default path.
std::string default_socket_path();

struct Options {
    std::chrono::milliseconds timeout{60000};  // for each read and write
    protocol::Limits limits{16 * 1024 * 1024, 64};
};

class Connection {
public:
    // Connects to the daemon. Failure is `unavailable`, with a message that
    // says what to check.
    static Result<Connection> open(const std::string& socket_path, Options options = {});

    Connection(Connection&& other) noexcept;
    Connection& operator=(Connection&& other) noexcept;
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;
    ~Connection();

    // Sends one request and waits for its response. A refusal by the daemon
    // is a successful call whose Response carries the error.
    Result<protocol::Response> call(std::string_view op, boost::json::object args);

    // Lower level, for tests and benchmarks: one frame out, one frame in.
    Status send_frame(protocol::FrameType type, std::string_view payload);
    Result<std::string> read_message();

    int fd() const noexcept { return fd_; }

private:
    Connection(int fd, std::string path, Options options)
        : fd_(fd), path_(std::move(path)), options_(options) {}

    Status write_all(const void* data, std::size_t size);
    Status read_exact(void* data, std::size_t size);

    int fd_ = -1;
    std::string path_;
    Options options_;
    std::uint64_t next_id_ = 1;
};

}  // namespace strongroom::client
