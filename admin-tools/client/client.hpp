// The tools' side of the socket: connect, send one request, read the answer.
// Blocking, with timeouts; links only the protocol library (no SQLCipher,
// seccomp or systemd), so the tools stay thin.
//
// Content moves in data frames of at most 256 KiB, ended by data_end (see
// daemon/common/stream.hpp): after the request of an upload, after the
// response of a download. Neither side ever holds the whole content.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
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

    // Progress of a transfer: the content bytes moved so far.
    using Progress = std::function<void(std::uint64_t)>;

    // Sends a request with "stream": true, then its content as data frames,
    // each filled by read_chunk (which returns 0 at the end), then data_end,
    // and waits for the response. An error from read_chunk aborts: the
    // connection is closed (so the daemon keeps nothing) and the error
    // returned. The daemon answers a refusal only after data_end; if it
    // closes the connection mid-upload, its answer, when it sent one, is
    // returned rather than the failed send.
    Result<protocol::Response> call_upload(
        std::string_view op, boost::json::object args,
        const std::function<Result<std::size_t>(std::span<std::uint8_t>)>& read_chunk,
        const Progress& progress = nullptr);

    // Sends a request and waits for its response; when the response says
    // "stream": true, passes each data frame that follows to write_chunk
    // until data_end. A connection that ends before data_end is
    // `unavailable` (the output is incomplete); an error from write_chunk
    // closes the connection and is returned. A response without content is
    // returned as it is.
    Result<protocol::Response> call_download(
        std::string_view op, boost::json::object args,
        const std::function<Status(std::span<const std::uint8_t>)>& write_chunk,
        const Progress& progress = nullptr);

    // Lower level, for tests and benchmarks: one frame out, one frame in.
    Status send_frame(protocol::FrameType type, std::string_view payload);
    Result<std::string> read_message();

    int fd() const noexcept { return fd_; }

private:
    Connection(int fd, std::string path, Options options)
        : fd_(fd), path_(std::move(path)), options_(options) {}

    Result<std::string> read_message(std::chrono::milliseconds timeout);
    Status write_all(const void* data, std::size_t size);
    // Waits at most timeout for each read; closed, when given, is set when
    // the daemon ended the connection.
    Status read_exact(void* data, std::size_t size, std::chrono::milliseconds timeout,
                      bool* closed = nullptr);
    Status send_request(const protocol::Request& request);
    Result<protocol::Response> read_response(std::uint64_t id, std::chrono::milliseconds timeout);
    // After a failed write: the answer the daemon sent before it closed the
    // connection (a refusal), if any, else failed; closes the connection.
    Result<protocol::Response> last_word(std::uint64_t id, Status failed);
    void close() noexcept;

    int fd_ = -1;
    std::string path_;
    Options options_;
    std::uint64_t next_id_ = 1;
};

}  // namespace strongroom::client
