#include "daemon/server/server.hpp"

#include <array>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <fmt/format.h>

namespace strongroom::server {
namespace asio = boost::asio;
using stream = asio::local::stream_protocol;
using boost::system::error_code;

class Session;

struct Server::Impl : std::enable_shared_from_this<Server::Impl> {
    Impl(asio::io_context& io_, Options options_, Hooks hooks_)
        : io(io_), options(std::move(options_)), hooks(std::move(hooks_)), acceptor(io_) {}

    void accept();
    // Counts a new connection; false (with the reason) when over a limit.
    bool admit(const Peer& peer, std::string& reason);
    void release(const Peer& peer, Session* session);

    asio::io_context& io;
    Options options;
    Hooks hooks;
    stream::acceptor acceptor;
    std::string owned_path;  // a socket this server created, removed at shutdown
    bool stopping = false;   // guarded by mutex

    mutable std::mutex mutex;
    std::size_t total = 0;
    std::unordered_map<std::uint32_t, unsigned> per_uid;
    std::unordered_map<Session*, std::weak_ptr<Session>> sessions;
};

namespace {

Peer peer_of(int fd) {
    ucred cred{};
    socklen_t len = sizeof cred;
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
        // Without credentials the caller cannot be identified; an
        // impossible uid makes every decision a refusal.
        return Peer{0xffffffffU, 0xffffffffU, 0};
    }
    Peer peer;
    peer.uid = cred.uid;
    peer.gid = cred.gid;
    peer.pid = cred.pid;
    return peer;
}

}  // namespace

class Session : public std::enable_shared_from_this<Session> {
public:
    Session(std::shared_ptr<Server::Impl> owner, stream::socket socket, Peer peer, bool counted)
        : owner_(std::move(owner)),
          socket_(std::move(socket)),
          timer_(socket_.get_executor()),
          peer_(peer),
          counted_(counted) {}

    ~Session() {
        if (counted_) {
            owner_->release(peer_, this);
        }
    }

    void start() { read_first_byte(); }

    // Answers with an error and closes: used for connections over a limit.
    void refuse(Error error) {
        closing_ = true;
        write_response(protocol::Response::failure(0, std::move(error)));
    }

    // Called on shutdown, through the strand. A request being processed is
    // answered first; a connection between requests, or in the middle of
    // sending one (nothing acknowledged yet), is closed now.
    void drain() {
        closing_ = true;
        if (state_ == State::idle || state_ == State::reading) {
            close();
        }
    }

    asio::any_io_executor executor() { return socket_.get_executor(); }

private:
    enum class State { idle, reading, processing, writing };

    void arm_timer(std::chrono::milliseconds after) {
        timer_.expires_after(after);
        timer_.async_wait([self = shared_from_this()](const error_code& ec) {
            if (!ec) {
                self->close();  // cancels the pending read or write
            }
        });
    }

    void close() {
        error_code ignored;
        timer_.cancel();
        socket_.shutdown(stream::socket::shutdown_both, ignored);
        socket_.close(ignored);
    }

    void read_first_byte() {
        state_ = State::idle;
        if (closing_) {
            close();
            return;
        }
        arm_timer(owner_->options.idle_timeout);
        asio::async_read(socket_, asio::buffer(header_.data(), 1),
                         [self = shared_from_this()](const error_code& ec, std::size_t) {
                             if (ec) {
                                 self->close();
                                 return;
                             }
                             self->read_rest_of_header();
                         });
    }

    void read_rest_of_header() {
        state_ = State::reading;
        arm_timer(owner_->options.read_timeout);
        asio::async_read(socket_, asio::buffer(header_.data() + 1, header_.size() - 1),
                         [self = shared_from_this()](const error_code& ec, std::size_t) {
                             if (ec) {
                                 self->close();
                                 return;
                             }
                             self->read_payload();
                         });
    }

    void read_payload() {
        auto header = protocol::decode_header(header_, owner_->options.limits);
        if (!header) {
            malformed(std::move(header).error());
            return;
        }
        if (header->type != protocol::FrameType::message) {
            malformed(make_error(ErrorCode::bad_request,
                                 "content frame without a request that takes content"));
            return;
        }
        // The length has been checked against the limit: now allocate.
        payload_.resize(header->length);
        asio::async_read(socket_, asio::buffer(payload_),
                         [self = shared_from_this()](const error_code& ec, std::size_t) {
                             if (ec) {
                                 self->close();
                                 return;
                             }
                             self->process();
                         });
    }

    void process() {
        timer_.cancel();
        auto request = protocol::decode_request(payload_, owner_->options.limits);
        payload_.clear();
        payload_.shrink_to_fit();
        if (!request) {
            malformed(std::move(request).error());
            return;
        }
        if (request->stream) {
            malformed(make_error(ErrorCode::bad_request,
                                 "streamed content is not accepted by this operation"));
            return;
        }
        state_ = State::processing;
        // The work guard keeps the io_context running while the request is
        // on another thread (the writer): a shutdown still answers it.
        auto reply = [self = shared_from_this(), work = asio::make_work_guard(executor())](
                         protocol::Response response) mutable {
            asio::dispatch(self->executor(), [self, r = std::move(response)]() mutable {
                self->write_response(std::move(r));
            });
            work.reset();
        };
        owner_->hooks.request(peer_, std::move(*request), std::move(reply));
    }

    void malformed(Error error) {
        if (owner_->hooks.malformed) {
            owner_->hooks.malformed(peer_, error);
        }
        closing_ = true;
        write_response(protocol::Response::failure(0, std::move(error)));
    }

    void write_response(protocol::Response response) {
        state_ = State::writing;
        std::string body = protocol::encode_response(response);
        if (body.size() > 0xffffffffU) {
            body = protocol::encode_response(protocol::Response::failure(
                response.id, make_error(ErrorCode::internal, "response too large")));
        }
        out_header_ = protocol::encode_header(protocol::FrameType::message,
                                              static_cast<std::uint32_t>(body.size()));
        out_body_ = std::move(body);
        arm_timer(owner_->options.read_timeout);
        const std::array<asio::const_buffer, 2> buffers{asio::buffer(out_header_),
                                                        asio::buffer(out_body_)};
        asio::async_write(socket_, buffers,
                          [self = shared_from_this()](const error_code& ec, std::size_t) {
                              self->out_body_.clear();
                              if (ec) {
                                  self->close();
                                  return;
                              }
                              if (self->closing_) {
                                  self->close();
                                  return;
                              }
                              self->read_first_byte();
                          });
    }

    std::shared_ptr<Server::Impl> owner_;
    stream::socket socket_;
    asio::steady_timer timer_;
    Peer peer_;
    bool counted_;
    bool closing_ = false;
    State state_ = State::idle;
    protocol::HeaderBytes header_{};
    std::string payload_;
    protocol::HeaderBytes out_header_{};
    std::string out_body_;
};

bool Server::Impl::admit(const Peer& peer, std::string& reason) {
    std::lock_guard lock(mutex);
    if (stopping) {
        reason = "strongroomd is stopping";
        return false;
    }
    if (total >= options.max_connections) {
        reason = fmt::format("too many connections (limit {})", options.max_connections);
        return false;
    }
    auto& n = per_uid[peer.uid];
    if (n >= options.max_connections_per_uid) {
        reason = fmt::format("too many connections from uid {} (limit {})", peer.uid,
                             options.max_connections_per_uid);
        return false;
    }
    ++n;
    ++total;
    return true;
}

void Server::Impl::release(const Peer& peer, Session* session) {
    std::lock_guard lock(mutex);
    sessions.erase(session);
    --total;
    auto it = per_uid.find(peer.uid);
    if (it != per_uid.end() && --it->second == 0) {
        per_uid.erase(it);
    }
}

void Server::Impl::accept() {
    acceptor.async_accept(asio::make_strand(io), [self = shared_from_this()](
                                                     const error_code& ec, stream::socket socket) {
        {
            std::lock_guard lock(self->mutex);
            if (self->stopping) {
                return;
            }
        }
        if (ec) {
            if (ec == asio::error::operation_aborted) {
                return;
            }
            // Out of descriptors or a transient failure: try again
            // shortly rather than spin.
            auto timer = std::make_shared<asio::steady_timer>(self->io);
            timer->expires_after(std::chrono::milliseconds(50));
            timer->async_wait([self, timer](const error_code&) { self->accept(); });
            return;
        }
        const Peer peer = peer_of(socket.native_handle());
        std::string reason;
        if (!self->admit(peer, reason)) {
            if (self->hooks.refused) {
                self->hooks.refused(peer, reason);
            }
            auto session = std::make_shared<Session>(self, std::move(socket), peer, false);
            auto ex = session->executor();
            asio::dispatch(ex, [session, reason] {
                session->refuse(make_error(ErrorCode::unavailable, reason));
            });
        } else {
            auto session = std::make_shared<Session>(self, std::move(socket), peer, true);
            {
                std::lock_guard lock(self->mutex);
                self->sessions.emplace(session.get(), session);
            }
            auto ex = session->executor();
            asio::dispatch(ex, [session] { session->start(); });
        }
        self->accept();
    });
}

Server::Server(asio::io_context& io, Options options, Hooks hooks)
    : impl_(std::make_shared<Impl>(io, std::move(options), std::move(hooks))) {}

Server::~Server() {
    if (!impl_->owned_path.empty()) {
        ::unlink(impl_->owned_path.c_str());
    }
}

void Server::listen_path(const std::filesystem::path& path, unsigned mode) {
    const std::string p = path.string();
    sockaddr_un addr{};
    if (p.size() >= sizeof addr.sun_path) {
        throw std::runtime_error(fmt::format("socket path {} is too long (at most {} bytes)", p,
                                             sizeof addr.sun_path - 1));
    }
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, p.c_str(), p.size() + 1);
    const auto* sa = reinterpret_cast<const sockaddr*>(&addr);

    struct stat st {};
    if (::lstat(p.c_str(), &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            throw std::runtime_error(fmt::format(
                "{} exists and is not a socket; remove it or choose another socket path", p));
        }
        const int probe = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (probe < 0) {
            throw std::runtime_error(
                fmt::format("cannot create a socket: {}", std::strerror(errno)));
        }
        const int rc = ::connect(probe, sa, sizeof addr);
        const int err = errno;
        ::close(probe);
        if (rc == 0) {
            throw std::runtime_error(
                fmt::format("another strongroomd is already answering at {}; stop it first", p));
        }
        if (err != ECONNREFUSED) {
            throw std::runtime_error(
                fmt::format("cannot check the existing socket {}: {}", p, std::strerror(err)));
        }
        // A socket nobody listens on: left behind by a daemon that died.
        ::unlink(p.c_str());
    }

    std::error_code dir_ec;
    std::filesystem::create_directories(path.parent_path(), dir_ec);

    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        throw std::runtime_error(fmt::format("cannot create a socket: {}", std::strerror(errno)));
    }
    // Bind under a umask that gives nobody access, then set the mode: there
    // is no moment when the socket is more open than configured.
    const mode_t old = ::umask(0177);
    const int bound = ::bind(fd, sa, sizeof addr);
    const int bind_err = errno;
    ::umask(old);
    if (bound != 0) {
        ::close(fd);
        throw std::runtime_error(
            fmt::format("cannot bind the socket {}: {}", p, std::strerror(bind_err)));
    }
    if (::chmod(p.c_str(), mode) != 0 || ::listen(fd, 128) != 0) {
        const int err = errno;
        ::close(fd);
        ::unlink(p.c_str());
        throw std::runtime_error(
            fmt::format("cannot listen on the socket {}: {}", p, std::strerror(err)));
    }
    impl_->acceptor.assign(stream(), fd);
    impl_->owned_path = p;
}

void Server::adopt(int fd) {
    impl_->acceptor.assign(stream(), fd);
}

void Server::start() {
    impl_->accept();
}

void Server::shutdown() {
    std::vector<std::shared_ptr<Session>> live;
    {
        std::lock_guard lock(impl_->mutex);
        impl_->stopping = true;
        for (auto& [ptr, weak] : impl_->sessions) {
            if (auto s = weak.lock()) {
                live.push_back(std::move(s));
            }
        }
    }
    asio::post(impl_->io, [impl = impl_] {
        error_code ignored;
        impl->acceptor.close(ignored);
        // Nobody will answer here any more: leave no socket that looks alive.
        if (!impl->owned_path.empty()) {
            ::unlink(impl->owned_path.c_str());
        }
    });
    for (auto& s : live) {
        auto ex = s->executor();
        asio::dispatch(ex, [s] { s->drain(); });
    }
}

std::size_t Server::connections() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->total;
}

}  // namespace strongroom::server
