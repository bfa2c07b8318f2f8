#include "admin-tools/client/client.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>

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

Status Connection::write_all(const void* data, std::size_t size) {
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

Status Connection::read_exact(void* data, std::size_t size) {
    auto* p = static_cast<char*>(data);
    while (size > 0) {
        if (!wait_ready(fd_, POLLIN, options_.timeout)) {
            return make_error(ErrorCode::unavailable,
                              fmt::format("strongroomd at {} did not answer in time", path_));
        }
        const ssize_t n = ::recv(fd_, p, size, 0);
        if (n == 0) {
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
    protocol::HeaderBytes header{};
    if (auto st = read_exact(header.data(), header.size()); !st) {
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
    if (auto st = read_exact(payload.data(), payload.size()); !st) {
        return std::move(st).error();
    }
    return payload;
}

Result<protocol::Response> Connection::call(std::string_view op, boost::json::object args) {
    protocol::Request req;
    req.id = next_id_++;
    req.op = std::string(op);
    req.args = std::move(args);
    if (auto st = send_frame(protocol::FrameType::message, protocol::encode_request(req)); !st) {
        return std::move(st).error();
    }
    auto payload = read_message();
    if (!payload) {
        return std::move(payload).error();
    }
    auto resp = protocol::decode_response(*payload, options_.limits);
    if (!resp) {
        return make_error(ErrorCode::internal, fmt::format("unexpected answer from strongroomd: {}",
                                                           resp.error().message));
    }
    if (resp->id != req.id && resp->id != 0) {
        return make_error(ErrorCode::internal, "strongroomd answered a different request");
    }
    return std::move(resp).value();
}

}  // namespace strongroom::client
