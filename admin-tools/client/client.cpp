#include "admin-tools/client/client.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <fmt/format.h>

namespace strongroom::client {

std::string default_socket_path() {
    const char* env = std::getenv(kSocketEnv);
    if (env != nullptr && *env != '\0') {
        return env;
    }
    return kDefaultSocket;
}

namespace {

Error unreachable(const std::string& path, int err) {
    std::string hint;
    if (err == ENOENT || err == ECONNREFUSED) {
        hint =
            " Is strongroomd running? Check 'systemctl status strongroomd.socket "
            "strongroomd.service', or point --socket (or STRONGROOM_SOCKET) at the right path.";
    } else if (err == EACCES) {
        hint =
            " Your account may not be in the group allowed to use the socket; ask a technical "
            "officer.";
    }
    return make_error(ErrorCode::unavailable, fmt::format("cannot reach strongroomd at {}: {}.{}",
                                                          path, std::strerror(err), hint));
}

}  // namespace

Result<Connection> Connection::open(const std::string& socket_path, Options options) {
    sockaddr_un addr{};
    if (socket_path.size() >= sizeof addr.sun_path) {
        return make_error(ErrorCode::bad_request,
                          fmt::format("socket path {} is too long", socket_path));
    }
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return unreachable(socket_path, errno);
    }
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
        const int err = errno;
        ::close(fd);
        return unreachable(socket_path, err);
    }
    return Connection(fd, socket_path, options);
}

Connection::Connection(Connection&& other) noexcept
    : fd_(other.fd_),
      path_(std::move(other.path_)),
      options_(other.options_),
      next_id_(other.next_id_) {
    other.fd_ = -1;
}

Connection& Connection::operator=(Connection&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) {
            ::close(fd_);
        }
        fd_ = other.fd_;
        path_ = std::move(other.path_);
        options_ = other.options_;
        next_id_ = other.next_id_;
        other.fd_ = -1;
    }
    return *this;
}

Connection::~Connection() {
    if (fd_ >= 0) {
        ::close(fd_);
    }
}

namespace {

// Waits until fd is ready for the given events, within the timeout.
bool wait_ready(int fd, short events, std::chrono::milliseconds timeout) {
    pollfd p{fd, events, 0};
    for (;;) {
        const int rc = ::poll(&p, 1, static_cast<int>(timeout.count()));
        if (rc > 0) {
            return true;
        }
        if (rc == 0) {
            return false;
        }
        if (errno != EINTR) {
            return false;
        }
    }
}

}  // namespace

namespace {

constexpr std::size_t kChunkBytes = 256 * 1024;  // content bytes in one data frame

// After a failed send, how long to wait for an answer the daemon may have
// sent before it closed the connection (it is already there if it was sent).
constexpr std::chrono::milliseconds kLastWordWait{1000};

Error connection_closed() {
    return make_error(ErrorCode::unavailable, "the connection to strongroomd is closed");
}

Error cut_short() {
    return make_error(ErrorCode::unavailable,
                      "the content transfer was cut short; the output is incomplete");
}

}  // namespace

void Connection::close() noexcept {
    if (fd_ >= 0) {
        ::close(fd_);
        fd_ = -1;
    }
}

Status Connection::write_all(const void* data, std::size_t size) {
    if (fd_ < 0) {
        return connection_closed();
    }
    const auto* p = static_cast<const char*>(data);
    while (size > 0) {
        if (!wait_ready(fd_, POLLOUT, options_.timeout)) {
            return make_error(ErrorCode::unavailable,
                              fmt::format("strongroomd at {} is not reading (timed out)", path_));
        }
        const ssize_t n = ::send(fd_, p, size, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN) {
                continue;
            }
            return make_error(
                ErrorCode::unavailable,
                fmt::format("lost the connection to strongroomd: {}", std::strerror(errno)));
        }
        p += n;
        size -= static_cast<std::size_t>(n);
    }
    return {};
}

Status Connection::read_exact(void* data, std::size_t size, std::chrono::milliseconds timeout,
                              bool* closed) {
    if (fd_ < 0) {
        return connection_closed();
    }
    auto* p = static_cast<char*>(data);
    while (size > 0) {
        if (!wait_ready(fd_, POLLIN, timeout)) {
            return make_error(ErrorCode::unavailable,
                              fmt::format("strongroomd at {} did not answer in time", path_));
        }
        const ssize_t n = ::recv(fd_, p, size, 0);
        if (n == 0 || (n < 0 && errno == ECONNRESET)) {
            if (closed != nullptr) {
                *closed = true;
            }
            return make_error(ErrorCode::unavailable,
                              "strongroomd closed the connection before answering");
        }
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN) {
                continue;
            }
            return make_error(
                ErrorCode::unavailable,
                fmt::format("lost the connection to strongroomd: {}", std::strerror(errno)));
        }
        p += n;
        size -= static_cast<std::size_t>(n);
    }
    return {};
}

Status Connection::send_frame(protocol::FrameType type, std::string_view payload) {
    const auto header = protocol::encode_header(type, static_cast<std::uint32_t>(payload.size()));
    if (auto st = write_all(header.data(), header.size()); !st) {
        return st;
    }
    return write_all(payload.data(), payload.size());
}

Result<std::string> Connection::read_message() {
    return read_message(options_.timeout);
}

Result<std::string> Connection::read_message(std::chrono::milliseconds timeout) {
    protocol::HeaderBytes header{};
    if (auto st = read_exact(header.data(), header.size(), timeout); !st) {
        return std::move(st).error();
    }
    auto h = protocol::decode_header(header, options_.limits);
    if (!h) {
        return make_error(ErrorCode::internal,
                          fmt::format("unexpected answer from strongroomd: {}", h.error().message));
    }
    if (h->type != protocol::FrameType::message) {
        return make_error(ErrorCode::internal, "unexpected content frame from strongroomd");
    }
    std::string payload(h->length, '\0');
    if (auto st = read_exact(payload.data(), payload.size(), timeout); !st) {
        return std::move(st).error();
    }
    return payload;
}

Status Connection::send_request(const protocol::Request& request) {
    return send_frame(protocol::FrameType::message, protocol::encode_request(request));
}

Result<protocol::Response> Connection::read_response(std::uint64_t id,
                                                     std::chrono::milliseconds timeout) {
    auto payload = read_message(timeout);
    if (!payload) {
        return std::move(payload).error();
    }
    auto resp = protocol::decode_response(*payload, options_.limits);
    if (!resp) {
        return make_error(ErrorCode::internal, fmt::format("unexpected answer from strongroomd: {}",
                                                           resp.error().message));
    }
    if (resp->id != id && resp->id != 0) {
        return make_error(ErrorCode::internal, "strongroomd answered a different request");
    }
    return std::move(resp).value();
}

Result<protocol::Response> Connection::call(std::string_view op, boost::json::object args) {
    protocol::Request req;
    req.id = next_id_++;
    req.op = std::string(op);
    req.args = std::move(args);
    if (auto st = send_request(req); !st) {
        return last_word(req.id, std::move(st));
    }
    return read_response(req.id, options_.timeout);
}

Result<protocol::Response> Connection::last_word(std::uint64_t id, Status failed) {
    // A daemon that refused the connection (a connection limit) answers and
    // closes at once, possibly before the request is written: that answer
    // says more than the broken pipe.
    auto answer = read_response(id, std::min(options_.timeout, kLastWordWait));
    close();
    if (answer) {
        return answer;
    }
    return std::move(failed).error();
}

Result<protocol::Response> Connection::call_upload(
    std::string_view op, boost::json::object args,
    const std::function<Result<std::size_t>(std::span<std::uint8_t>)>& read_chunk,
    const Progress& progress) {
    protocol::Request req;
    req.id = next_id_++;
    req.op = std::string(op);
    req.args = std::move(args);
    req.stream = true;
    Status sent = send_request(req);
    if (sent) {
        // One frame, header and content, written at once.
        std::vector<std::uint8_t> frame(protocol::kHeaderSize + kChunkBytes);
        const std::span<std::uint8_t> chunk(frame.data() + protocol::kHeaderSize, kChunkBytes);
        std::uint64_t total = 0;
        for (;;) {
            auto n = read_chunk(chunk);
            if (!n) {
                close();  // no data_end: the daemon abandons what it received
                return std::move(n).error();
            }
            if (*n > kChunkBytes) {
                close();
                return make_error(ErrorCode::internal, "a content chunk larger than its buffer");
            }
            const std::size_t size = *n;
            if (size == 0) {
                break;
            }
            const auto header = protocol::encode_header(protocol::FrameType::data,
                                                        static_cast<std::uint32_t>(size));
            std::memcpy(frame.data(), header.data(), header.size());
            sent = write_all(frame.data(), protocol::kHeaderSize + size);
            if (!sent) {
                break;
            }
            total += size;
            if (progress) {
                progress(total);
            }
        }
        if (sent) {
            sent = send_frame(protocol::FrameType::data_end, {});
        }
    }
    if (!sent) {
        // The daemon stopped reading (shutting down, or it refused the
        // frames).
        return last_word(req.id, std::move(sent));
    }
    return read_response(req.id, options_.timeout);
}

Result<protocol::Response> Connection::call_download(
    std::string_view op, boost::json::object args,
    const std::function<Status(std::span<const std::uint8_t>)>& write_chunk,
    const Progress& progress) {
    protocol::Request req;
    req.id = next_id_++;
    req.op = std::string(op);
    req.args = std::move(args);
    if (auto st = send_request(req); !st) {
        return last_word(req.id, std::move(st));
    }
    auto resp = read_response(req.id, options_.timeout);
    if (!resp || !resp->stream) {
        return resp;
    }
    std::vector<std::uint8_t> chunk;
    std::uint64_t total = 0;
    for (;;) {
        protocol::HeaderBytes bytes{};
        bool closed = false;
        if (auto st = read_exact(bytes.data(), bytes.size(), options_.timeout, &closed); !st) {
            close();
            if (closed) {
                return cut_short();
            }
            return make_error(ErrorCode::unavailable,
                              fmt::format("{}; the output is incomplete", st.error().message));
        }
        auto h = protocol::decode_header(bytes, options_.limits);
        if (!h || h->type == protocol::FrameType::message) {
            close();
            return make_error(
                ErrorCode::internal,
                fmt::format("unexpected frame from strongroomd in the content: {}; the output is "
                            "incomplete",
                            h ? std::string("a message") : h.error().message));
        }
        if (h->type == protocol::FrameType::data_end) {
            return resp;
        }
        chunk.resize(h->length);
        if (auto st = read_exact(chunk.data(), chunk.size(), options_.timeout, &closed); !st) {
            close();
            if (closed) {
                return cut_short();
            }
            return make_error(ErrorCode::unavailable,
                              fmt::format("{}; the output is incomplete", st.error().message));
        }
        if (chunk.empty()) {
            continue;
        }
        if (auto st = write_chunk(chunk); !st) {
            close();  // the rest of the content is not read: the connection is spent
            return std::move(st).error();
        }
        total += chunk.size();
        if (progress) {
            progress(total);
        }
    }
}

}  // namespace strongroom::client
