#include "daemon/server/server.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <pthread.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <fmt/format.h>

#include "daemon/common/fd.hpp"

namespace strongroom::server {
namespace asio = boost::asio;
using stream = asio::local::stream_protocol;
using boost::system::error_code;
using SteadyClock = std::chrono::steady_clock;

class Session;

namespace {

constexpr std::size_t kInitialBuffer = 4096;
constexpr std::size_t kKeepBuffer = 64 * 1024;   // larger buffers are released after use
constexpr std::size_t kChunkBytes = 256 * 1024;  // content bytes in one data frame sent

Peer peer_of(int fd) {
    ucred cred{};
    socklen_t len = sizeof cred;
    Peer peer;
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
        // Without credentials the caller cannot be identified; an
        // impossible uid makes every decision a refusal.
        peer.uid = 0xffffffffU;
        peer.gid = 0xffffffffU;
        return peer;
    }
    peer.uid = cred.uid;
    peer.gid = cred.gid;
    peer.pid = cred.pid;
    return peer;
}

}  // namespace

// A uid's request allowance: a token bucket holding at most `burst` tokens,
// refilled at `rate` a second; each request takes one. Shared by the uid's
// sessions on every worker, so it has its own lock (held for a few
// arithmetic operations).
class RateBucket {
public:
    RateBucket(double burst, SteadyClock::time_point now) : tokens_(burst), last_(now) {}

    // Takes a token; false when there is none left.
    bool take(SteadyClock::time_point now, double rate, double burst) {
        std::lock_guard lock(mutex_);
        refill(now, rate, burst);
        if (tokens_ < 1.0) {
            return false;
        }
        tokens_ -= 1.0;
        return true;
    }

    // True once it has filled up again: forgetting it then changes nothing.
    bool full(SteadyClock::time_point now, double rate, double burst) {
        std::lock_guard lock(mutex_);
        refill(now, rate, burst);
        return tokens_ >= burst;
    }

private:
    void refill(SteadyClock::time_point now, double rate, double burst) {
        if (now > last_) {
            const double elapsed = std::chrono::duration<double>(now - last_).count();
            tokens_ = std::min(burst, tokens_ + elapsed * rate);
            last_ = now;
        }
    }

    std::mutex mutex_;
    double tokens_;
    SteadyClock::time_point last_;
};

// One worker thread with its own io_context and the sessions it serves.
// sessions and the sweep are touched only on the worker's thread.
struct Worker {
    explicit Worker(std::chrono::milliseconds sweep_every)
        : ctx(1), guard(asio::make_work_guard(ctx)), sweep(ctx), sweep_interval(sweep_every) {}

    void arm_sweep(Server::Impl& owner);

    asio::io_context ctx;  // concurrency hint 1: one thread runs it
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard;
    asio::steady_timer sweep;
    std::chrono::milliseconds sweep_interval;
    std::unordered_map<Session*, std::weak_ptr<Session>> sessions;
    bool draining = false;
    std::thread thread;
};

struct Server::Impl : std::enable_shared_from_this<Server::Impl> {
    Impl(asio::io_context& io_, Options options_, Hooks hooks_)
        : io(io_), options(std::move(options_)), hooks(std::move(hooks_)), acceptor(io_) {
        // Deadlines are checked a few times per shortest timeout.
        auto every =
            std::min({options.read_timeout, options.idle_timeout, options.unknown_idle_timeout}) /
            4;
        every = std::clamp(every, std::chrono::milliseconds(20), std::chrono::milliseconds(1000));
        const unsigned n = options.threads == 0 ? 1 : options.threads;
        for (unsigned i = 0; i < n; ++i) {
            workers.push_back(std::make_unique<Worker>(every));
        }
        rate = std::max(1U, options.requests_per_second);
        burst = std::max(1U, options.request_burst);
    }

    void accept();
    // Whether uid counts as a caller with an account.
    bool is_known(std::uint32_t uid) const { return !hooks.known || hooks.known(uid); }
    // Counts a new connection in its budget and hands out its uid's rate
    // bucket; false (with the reason) when over a limit.
    bool admit(const Peer& peer, bool known, std::string& reason,
               std::shared_ptr<RateBucket>& bucket);
    void release(const Peer& peer, bool known);
    // Moves an open connection between the budgets (its account was added or
    // suspended). Never refuses.
    void move(const Peer& peer, bool known);
    // Takes a token from bucket; false over the rate.
    bool take_token(RateBucket& bucket) const {
        return bucket.take(SteadyClock::now(), rate, burst);
    }
    std::string rate_limit_message(std::uint32_t uid) const {
        return fmt::format(
            "too many requests from uid {} (limit {}/s, burst {}); slow down and retry", uid,
            options.requests_per_second, options.request_burst);
    }
    // A connection or request refused: reported now, or gathered into the
    // next summary of this uid and kind (see server.hpp).
    void refusal(Refusal::Kind kind, const Peer& peer, const std::string& reason);
    // From the sweeps, at most a few times a second: reports the summaries
    // that are due, forgets the rate buckets that have filled up and no
    // session holds. force: every summary gathered, now (at the end).
    void maintain(SteadyClock::time_point now, bool force = false);

    asio::io_context& io;
    Options options;
    Hooks hooks;
    double rate = 1;
    double burst = 1;
    stream::acceptor acceptor;
    std::string owned_path;  // a socket this server created, removed at shutdown
    std::vector<std::unique_ptr<Worker>> workers;
    std::size_t next_worker = 0;  // acceptor thread only

    // Connections open in each budget, in all and by uid.
    struct Count {
        unsigned known = 0;
        unsigned unknown = 0;
    };
    // Refusals of one uid and kind since their last report.
    struct Pending {
        SteadyClock::time_point reported_at;
        std::uint64_t count = 0;
        Peer peer;
        std::string reason;
    };

    mutable std::mutex mutex;  // guards everything below
    bool stopping = false;
    std::size_t total = 0;
    std::size_t unknown_total = 0;
    std::unordered_map<std::uint32_t, Count> per_uid;
    // Rate buckets by uid, kept after their sessions close until full again.
    // Their number is bounded by the uids that connected lately: only root
    // can connect as a uid it chooses.
    std::unordered_map<std::uint32_t, std::shared_ptr<RateBucket>> buckets;
    std::map<std::pair<Refusal::Kind, std::uint32_t>, Pending> pending;
    SteadyClock::time_point next_maintenance;
};

class Session : public std::enable_shared_from_this<Session> {
public:
    // counted: admitted (and counted in the budget of known); bucket: its
    // uid's rate bucket (admitted only).
    Session(std::shared_ptr<Server::Impl> owner, Worker& worker, stream::socket socket, Peer peer,
            bool counted, bool known, std::shared_ptr<RateBucket> bucket)
        : owner_(std::move(owner)),
          worker_(worker),
          socket_(std::move(socket)),
          peer_(peer),
          counted_(counted),
          known_(known),
          bucket_(std::move(bucket)) {}

    ~Session() {
        // Unreachable while an upload is open (its sink holds the reply,
        // which holds the session), unless a hook dropped that reply.
        if (sink_ && state_ == State::receiving) {
            sink_->abandon();
        }
        if (counted_) {
            owner_->release(peer_, known_);
        }
    }

    // The following run on the worker's thread.

    void start() {
        worker_.sessions[this] = weak_from_this();
        if (worker_.draining) {
            close();
            return;
        }
        in_.resize(kInitialBuffer);
        error_code ignored;
        socket_.non_blocking(true, ignored);  // reads after readiness never block
        wait_for_request();
    }

    // Answers with an error and closes: used for connections over a limit.
    void refuse(Error error) {
        worker_.sessions[this] = weak_from_this();
        closing_ = true;
        write_response(protocol::Response::failure(0, std::move(error)));
    }

    // On shutdown. A request being processed is answered first, and an
    // answer being sent (content included) is finished; a connection
    // between requests, or in the middle of sending one or its content
    // (nothing acknowledged yet), is closed now.
    void drain() {
        closing_ = true;
        if (state_ == State::idle || state_ == State::reading || state_ == State::receiving) {
            close();
        }
    }

    // Called by the sweep: closes the connection if its deadline has passed.
    // An idle connection is classed again first, so that one whose account
    // was suspended gets the short idle deadline without sending anything.
    void check_deadline(SteadyClock::time_point now) {
        if (state_ == State::idle) {
            reclassify();
        }
        if (state_ != State::processing && state_ != State::closed && now >= deadline_) {
            close();
        }
    }

private:
    // idle       waiting for a request (idle deadline)
    // reading    a request frame has begun (read deadline)
    // receiving  the content of an upload: data frames until data_end (a
    //            read deadline for each frame)
    // processing the request is with the hooks (or the sink); no deadline
    // writing    sending the answer and its content (write deadline for each write)
    enum class State { idle, reading, receiving, processing, writing, closed };

    void close() {
        if (state_ == State::closed) {
            return;
        }
        if (state_ == State::receiving) {
            abandon_upload();
        }
        state_ = State::closed;
        content_.reset();
        error_code ignored;
        socket_.shutdown(stream::socket::shutdown_both, ignored);
        socket_.close(ignored);
        worker_.sessions.erase(this);
        if (worker_.draining && worker_.sessions.empty()) {
            worker_.sweep.cancel();  // the last connection: let the worker run out of work
        }
    }

    // The idle deadline of this connection's class.
    std::chrono::milliseconds idle_timeout() const {
        return known_ ? owner_->options.idle_timeout : owner_->options.unknown_idle_timeout;
    }

    // Asks again whether the caller has an account, and moves the
    // connection to the other budget if that changed; an idle connection's
    // deadline follows its class.
    void reclassify() {
        if (!counted_ || !owner_->hooks.known) {
            return;
        }
        const bool known = owner_->is_known(peer_.uid);
        if (known == known_) {
            return;
        }
        owner_->move(peer_, known);
        known_ = known;
        if (state_ == State::idle) {
            deadline_ = idle_since_ + idle_timeout();
        }
    }

    // Between requests: wait (at most the idle timeout) for the next one.
    void wait_for_request() {
        if (closing_) {
            close();
            return;
        }
        state_ = State::idle;
        idle_since_ = SteadyClock::now();
        reclassify();
        deadline_ = idle_since_ + idle_timeout();
        if (have_ > 0) {
            parse();  // bytes of the next request already arrived
            return;
        }
        read_more();
    }

    // Waits until the socket is readable, then reads what is there. Waiting
    // first (rather than an asynchronous read, which tries a read at once)
    // saves a system call that would fail with EAGAIN between requests.
    void read_more() {
        socket_.async_wait(stream::socket::wait_read,
                           [self = shared_from_this()](const error_code& ec) {
                               if (ec || self->state_ == State::closed) {
                                   self->close();
                                   return;
                               }
                               self->read_available();
                           });
    }

    void read_available() {
        error_code ec;
        const std::size_t n =
            socket_.read_some(asio::buffer(in_.data() + have_, in_.size() - have_), ec);
        if (ec == asio::error::would_block || ec == asio::error::try_again) {
            read_more();  // a spurious wake-up
            return;
        }
        if (ec || n == 0) {
            close();
            return;
        }
        if (state_ == State::idle) {
            // A frame has begun: it must arrive whole in time.
            state_ = State::reading;
            deadline_ = SteadyClock::now() + owner_->options.read_timeout;
        }
        have_ += n;
        parse();
    }

    // Takes complete frames from the buffer: a request, or the content of
    // an upload; reads more when a frame is incomplete.
    void parse() {
        for (;;) {
            if (have_ > 0 && state_ == State::idle) {
                state_ = State::reading;
                deadline_ = SteadyClock::now() + owner_->options.read_timeout;
            }
            if (have_ < protocol::kHeaderSize) {
                read_more();
                return;
            }
            std::array<std::uint8_t, protocol::kHeaderSize> bytes{};
            std::memcpy(bytes.data(), in_.data(), bytes.size());
            auto header = protocol::decode_header(bytes, owner_->options.limits);
            if (!header) {
                malformed(std::move(header).error());
                return;
            }
            const bool content_frame = header->type != protocol::FrameType::message;
            if (state_ == State::receiving && !content_frame) {
                malformed(make_error(ErrorCode::bad_request,
                                     "a request arrived before the end of the content (data_end)"));
                return;
            }
            if (state_ != State::receiving && content_frame) {
                malformed(make_error(ErrorCode::bad_request,
                                     "content frame without a request that takes content"));
                return;
            }
            const std::size_t need = protocol::kHeaderSize + header->length;
            if (have_ < need) {
                // The length has been checked against the limit: now allocate.
                if (in_.size() < need) {
                    in_.resize(need);
                }
                read_more();
                return;
            }
            if (state_ == State::receiving) {
                if (!receive_content(*header)) {
                    return;  // the content is complete: the request is answered
                }
                continue;
            }
            auto request = protocol::decode_request(
                std::string_view(in_.data() + protocol::kHeaderSize, header->length),
                owner_->options.limits);
            consume(need);
            if (!request) {
                malformed(std::move(request).error());
                return;
            }
            // Over the uid's request rate: answered here, the hooks never
            // see it (an upload's content is read and dropped first).
            if (bucket_ && !owner_->take_token(*bucket_)) {
                Error refusal =
                    make_error(ErrorCode::unavailable, owner_->rate_limit_message(peer_.uid));
                owner_->refusal(Refusal::Kind::request, peer_, refusal.message);
                if (request->stream) {
                    begin_upload(std::move(*request), std::move(refusal));
                    continue;
                }
                write_response(protocol::Response::failure(request->id, std::move(refusal)));
                return;
            }
            if (request->stream) {
                begin_upload(std::move(*request));
                continue;
            }
            dispatch_request(std::move(*request));
            return;
        }
    }

    // Drops a processed frame from the front of the buffer.
    void consume(std::size_t n) {
        std::memmove(in_.data(), in_.data() + n, have_ - n);
        have_ -= n;
        shrink_buffer();
    }

    // Releases a buffer grown for a large frame, except during an upload,
    // where each data frame would grow it again.
    void shrink_buffer() {
        if (state_ != State::receiving && in_.size() > kKeepBuffer && have_ <= kInitialBuffer) {
            in_.resize(kInitialBuffer);
            in_.shrink_to_fit();
        }
    }

    // The answer to the current request, from any thread, once.
    Reply make_reply() {
        // The work guard keeps the worker running while the request is on
        // another thread (the writer): a shutdown still answers it.
        auto reply = [self = shared_from_this(), work = asio::make_work_guard(worker_.ctx)](
                         protocol::Response response,
                         std::unique_ptr<ContentSource> content) mutable {
            asio::dispatch(self->worker_.ctx,
                           [self, r = std::move(response), c = std::move(content)]() mutable {
                               self->answer(std::move(r), std::move(c));
                           });
            work.reset();
        };
        return Reply(std::move(reply));
    }

    void dispatch_request(protocol::Request request) {
        reclassify();  // the caller's budget is decided before they are answered
        state_ = State::processing;
        owner_->hooks.request(peer_, std::move(request), make_reply());
    }

    void answer(protocol::Response response, std::unique_ptr<ContentSource> content) {
        if (state_ != State::processing) {
            return;  // closed meanwhile, or a reply out of turn: nothing to answer
        }
        if (sink_) {
            // The upload is answered: its sink goes, but not from inside its
            // own finish(), which may be what called the reply.
            asio::post(worker_.ctx, [sink = std::move(sink_)] {});
        }
        write_response(std::move(response), std::move(content));
    }

    // A request with content: ask for a sink, then read the data frames.
    // With a refusal, no sink is asked for: the content is dropped and the
    // refusal is the answer.
    void begin_upload(protocol::Request request, std::optional<Error> refusal = std::nullopt) {
        reclassify();
        state_ = State::receiving;
        upload_id_ = request.id;
        upload_error_ = std::move(refusal);
        if (!upload_error_ && !owner_->hooks.upload) {
            upload_error_ = make_error(ErrorCode::bad_request,
                                       "streamed content is not accepted by this operation");
        }
        if (!upload_error_) {
            auto sink = owner_->hooks.upload(peer_, std::move(request), make_reply());
            if (!sink) {
                upload_error_ = std::move(sink).error();
            } else if (!*sink) {
                upload_error_ = make_error(ErrorCode::internal, "no destination for the content");
            } else {
                sink_ = std::move(*sink);
            }
        }
        deadline_ = SteadyClock::now() + owner_->options.read_timeout;
    }

    // One complete content frame at the front of the buffer. False once
    // data_end has ended the upload.
    bool receive_content(const protocol::FrameHeader& header) {
        const std::size_t size = protocol::kHeaderSize + header.length;
        if (header.type == protocol::FrameType::data) {
            if (sink_ && header.length > 0) {
                const auto* bytes =
                    reinterpret_cast<const std::uint8_t*>(in_.data() + protocol::kHeaderSize);
                auto written = sink_->write(std::span<const std::uint8_t>(bytes, header.length));
                if (!written) {
                    upload_error_ = std::move(written).error();
                    abandon_upload();
                }
            }
            consume(size);
            // Each frame in its own time: the next one has read_timeout
            // from now, however long the content.
            deadline_ = SteadyClock::now() + owner_->options.read_timeout;
            return true;
        }
        // data_end
        state_ = State::processing;
        consume(size);
        if (upload_error_) {
            Error error = std::move(*upload_error_);
            upload_error_.reset();
            write_response(protocol::Response::failure(upload_id_, std::move(error)));
            return false;
        }
        if (!sink_) {
            write_response(protocol::Response::failure(
                upload_id_, make_error(ErrorCode::internal, "the content has no destination")));
            return false;
        }
        sink_->finish();  // answers through the reply, now or later
        return false;
    }

    // The upload ends without data_end: the sink keeps nothing.
    void abandon_upload() noexcept {
        if (auto sink = std::move(sink_)) {
            sink->abandon();
        }
    }

    void malformed(Error error) {
        if (state_ == State::receiving) {
            abandon_upload();
        }
        if (owner_->hooks.malformed) {
            owner_->hooks.malformed(peer_, error);
        }
        closing_ = true;
        have_ = 0;
        write_response(protocol::Response::failure(0, std::move(error)));
    }

    void write_response(protocol::Response response,
                        std::unique_ptr<ContentSource> content = nullptr) {
        if (state_ == State::closed) {
            return;
        }
        state_ = State::writing;
        if (content) {
            if (auto prepared = content->prepare(); !prepared) {
                content.reset();
                response = protocol::Response::failure(response.id, std::move(prepared).error());
            }
        }
        deadline_ = SteadyClock::now() + owner_->options.read_timeout;
        response.stream = content != nullptr;
        out_body_ = protocol::encode_response(response);
        if (out_body_.size() > 0xffffffffU) {
            content.reset();
            out_body_ = protocol::encode_response(protocol::Response::failure(
                response.id, make_error(ErrorCode::internal, "response too large")));
        }
        content_ = std::move(content);
        out_header_ = protocol::encode_header(protocol::FrameType::message,
                                              static_cast<std::uint32_t>(out_body_.size()));
        const std::array<asio::const_buffer, 2> buffers{asio::buffer(out_header_),
                                                        asio::buffer(out_body_)};
        asio::async_write(socket_, buffers,
                          [self = shared_from_this()](const error_code& ec, std::size_t) {
                              self->out_body_.clear();
                              if (ec) {
                                  self->close();
                                  return;
                              }
                              if (self->content_) {
                                  self->send_content();
                                  return;
                              }
                              self->wait_for_request();
                          });
    }

    // The next chunk of a download as one data frame; data_end after the
    // last. A source that fails closes the connection without data_end.
    void send_content() {
        if (state_ == State::closed) {
            return;
        }
        out_chunk_.resize(protocol::kHeaderSize + kChunkBytes);
        auto got = content_->read(
            std::span<std::uint8_t>(out_chunk_.data() + protocol::kHeaderSize, kChunkBytes));
        if (!got || *got > kChunkBytes) {
            close();
            return;
        }
        const std::size_t n = *got;
        const bool last = n == 0;
        if (last) {
            content_.reset();
        }
        const auto head = protocol::encode_header(
            last ? protocol::FrameType::data_end : protocol::FrameType::data,
            static_cast<std::uint32_t>(n));
        std::memcpy(out_chunk_.data(), head.data(), head.size());
        deadline_ = SteadyClock::now() + owner_->options.read_timeout;
        asio::async_write(socket_, asio::buffer(out_chunk_.data(), protocol::kHeaderSize + n),
                          [self = shared_from_this(), last](const error_code& ec, std::size_t) {
                              if (ec) {
                                  self->close();
                                  return;
                              }
                              if (!last) {
                                  self->send_content();
                                  return;
                              }
                              self->out_chunk_ = {};
                              self->wait_for_request();
                          });
    }

    std::shared_ptr<Server::Impl> owner_;
    Worker& worker_;
    stream::socket socket_;
    Peer peer_;
    bool counted_;
    bool known_;  // counted in the budget of callers with an account
    std::shared_ptr<RateBucket> bucket_;
    bool closing_ = false;
    State state_ = State::idle;
    SteadyClock::time_point deadline_ = SteadyClock::time_point::max();
    SteadyClock::time_point idle_since_ = SteadyClock::now();
    std::vector<char> in_;
    std::size_t have_ = 0;
    protocol::HeaderBytes out_header_{};
    std::string out_body_;
    // An upload: its request id, its sink (until finished or abandoned, then
    // until answered) and the error to answer with after data_end.
    std::uint64_t upload_id_ = 0;
    std::unique_ptr<ContentSink> sink_;
    std::optional<Error> upload_error_;
    // A download: its source and one frame of it being written.
    std::unique_ptr<ContentSource> content_;
    std::vector<std::uint8_t> out_chunk_;
};

void Worker::arm_sweep(Server::Impl& owner) {
    sweep.expires_after(sweep_interval);
    sweep.async_wait([this, &owner](const error_code& ec) {
        // Draining, the sweep goes on while connections remain: an answer
        // still being sent keeps its write deadline.
        if (ec || (draining && sessions.empty())) {
            return;
        }
        const auto now = SteadyClock::now();
        std::vector<std::shared_ptr<Session>> live;
        live.reserve(sessions.size());
        for (auto& [ptr, weak] : sessions) {
            if (auto s = weak.lock()) {
                live.push_back(std::move(s));
            }
        }
        for (auto& s : live) {
            s->check_deadline(now);
        }
        owner.maintain(now);
        if (!draining || !sessions.empty()) {
            arm_sweep(owner);
        }
    });
}

bool Server::Impl::admit(const Peer& peer, bool known, std::string& reason,
                         std::shared_ptr<RateBucket>& bucket) {
    std::lock_guard lock(mutex);
    if (stopping) {
        reason = "strongroomd is stopping";
        return false;
    }
    const auto it = per_uid.find(peer.uid);
    const Count mine = it == per_uid.end() ? Count{} : it->second;
    if (known) {
        if (total >= options.max_connections) {
            reason = fmt::format("too many connections (limit {})", options.max_connections);
            return false;
        }
        if (mine.known >= options.max_connections_per_uid) {
            reason = fmt::format("too many connections from uid {} (limit {})", peer.uid,
                                 options.max_connections_per_uid);
            return false;
        }
    } else {
        if (unknown_total >= options.max_unknown_connections) {
            reason = fmt::format(
                "too many connections from callers without a Strongroom account (limit {}); "
                "uid {} has none: ask a technical officer to add one",
                options.max_unknown_connections, peer.uid);
            return false;
        }
        if (mine.unknown >= options.max_unknown_connections_per_uid) {
            reason = fmt::format(
                "too many connections from uid {}, which has no Strongroom account (limit {})",
                peer.uid, options.max_unknown_connections_per_uid);
            return false;
        }
    }
    auto& n = per_uid[peer.uid];
    if (known) {
        ++n.known;
        ++total;
    } else {
        ++n.unknown;
        ++unknown_total;
    }
    auto& b = buckets[peer.uid];
    if (!b) {
        b = std::make_shared<RateBucket>(burst, SteadyClock::now());
    }
    bucket = b;
    return true;
}

void Server::Impl::release(const Peer& peer, bool known) {
    std::lock_guard lock(mutex);
    auto it = per_uid.find(peer.uid);
    if (it == per_uid.end()) {
        return;  // not counted: a bug, but never a reason to miscount others
    }
    if (known) {
        --it->second.known;
        --total;
    } else {
        --it->second.unknown;
        --unknown_total;
    }
    if (it->second.known == 0 && it->second.unknown == 0) {
        per_uid.erase(it);
    }
}

void Server::Impl::move(const Peer& peer, bool known) {
    std::lock_guard lock(mutex);
    auto it = per_uid.find(peer.uid);
    if (it == per_uid.end()) {
        return;
    }
    if (known) {
        --it->second.unknown;
        --unknown_total;
        ++it->second.known;
        ++total;
    } else {
        --it->second.known;
        --total;
        ++it->second.unknown;
        ++unknown_total;
    }
}

void Server::Impl::refusal(Refusal::Kind kind, const Peer& peer, const std::string& reason) {
    if (!hooks.refused) {
        return;
    }
    const auto now = SteadyClock::now();
    std::optional<Refusal> report;
    {
        std::lock_guard lock(mutex);
        auto [it, fresh] = pending.try_emplace({kind, peer.uid});
        Pending& p = it->second;
        if (fresh || now - p.reported_at >= options.report_interval) {
            // The first in a while: reported now, with any gathered since
            // the last report that the sweep has not reported yet.
            report = Refusal{kind, peer, reason, p.count + 1,
                             p.count == 0 ? std::chrono::milliseconds(0)
                                          : std::chrono::duration_cast<std::chrono::milliseconds>(
                                                now - p.reported_at)};
            p.reported_at = now;
            p.count = 0;
        } else {
            ++p.count;
            p.peer = peer;
            p.reason = reason;
        }
    }
    if (report) {
        hooks.refused(*report);  // outside the lock: it logs and audits
    }
}

void Server::Impl::maintain(SteadyClock::time_point now, bool force) {
    std::vector<Refusal> due;
    {
        std::lock_guard lock(mutex);
        if (!force && now < next_maintenance) {
            return;
        }
        next_maintenance = now + std::min(options.report_interval, std::chrono::milliseconds(1000));
        for (auto it = pending.begin(); it != pending.end();) {
            Pending& p = it->second;
            const bool old = now - p.reported_at >= options.report_interval;
            if (p.count > 0 && (old || force)) {
                due.push_back(Refusal{
                    it->first.first, p.peer, p.reason, p.count,
                    std::chrono::duration_cast<std::chrono::milliseconds>(now - p.reported_at)});
                p.count = 0;
                p.reported_at = now;
                ++it;
            } else if (p.count == 0 && old) {
                it = pending.erase(it);
            } else {
                ++it;
            }
        }
        for (auto it = buckets.begin(); it != buckets.end();) {
            if (it->second.use_count() == 1 && it->second->full(now, rate, burst)) {
                it = buckets.erase(it);
            } else {
                ++it;
            }
        }
    }
    if (hooks.refused) {
        for (const auto& r : due) {
            hooks.refused(r);
        }
    }
}

void Server::Impl::accept() {
    // The acceptor is not safe to use from two threads at once: starting
    // an accept and shutdown()'s close are serialised by the mutex, and no
    // accept starts once stopping is set.
    std::lock_guard held(mutex);
    if (stopping) {
        return;
    }
    Worker& worker = *workers[next_worker];
    next_worker = (next_worker + 1) % workers.size();
    acceptor.async_accept(worker.ctx, [self = shared_from_this(), &worker](const error_code& ec,
                                                                           stream::socket socket) {
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
        // The caller is known before any byte is read: its budget is
        // decided now.
        const Peer peer = peer_of(socket.native_handle());
        const bool known = self->is_known(peer.uid);
        std::string reason;
        std::shared_ptr<RateBucket> bucket;
        const bool admitted = self->admit(peer, known, reason, bucket);
        if (!admitted) {
            self->refusal(Refusal::Kind::connection, peer, reason);
        }
        auto session = std::make_shared<Session>(self, worker, std::move(socket), peer, admitted,
                                                 known, std::move(bucket));
        asio::post(worker.ctx, [session, admitted, reason] {
            if (admitted) {
                session->start();
            } else {
                session->refuse(make_error(ErrorCode::unavailable, reason));
            }
        });
        self->accept();
    });
}

Server::Server(asio::io_context& io, Options options, Hooks hooks)
    : impl_(std::make_shared<Impl>(io, std::move(options), std::move(hooks))) {}

Server::~Server() {
    shutdown();
    join();
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
        Fd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
        if (!probe) {
            throw std::runtime_error(
                fmt::format("cannot create a socket: {}", std::strerror(errno)));
        }
        const int rc = ::connect(probe.get(), sa, sizeof addr);
        const int err = errno;
        probe.reset();
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

    Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) {
        throw std::runtime_error(fmt::format("cannot create a socket: {}", std::strerror(errno)));
    }
    // Bind under a umask that gives nobody access, then set the mode: there
    // is no moment when the socket is more open than configured.
    const mode_t old = ::umask(0177);
    const int bound = ::bind(fd.get(), sa, sizeof addr);
    const int bind_err = errno;
    ::umask(old);
    if (bound != 0) {
        throw std::runtime_error(
            fmt::format("cannot bind the socket {}: {}", p, std::strerror(bind_err)));
    }
    if (::chmod(p.c_str(), mode) != 0 || ::listen(fd.get(), 128) != 0) {
        const int err = errno;
        fd.reset();
        ::unlink(p.c_str());
        throw std::runtime_error(
            fmt::format("cannot listen on the socket {}: {}", p, std::strerror(err)));
    }
    impl_->acceptor.assign(stream(), fd.get());
    fd.release();  // the acceptor owns it now
    impl_->owned_path = p;
}

void Server::adopt(int fd) {
    impl_->acceptor.assign(stream(), fd);
}

void Server::start() {
    unsigned n = 0;
    for (auto& w : impl_->workers) {
        Worker* worker = w.get();
        asio::post(worker->ctx, [worker, impl = impl_.get()] { worker->arm_sweep(*impl); });
        const std::string name = fmt::format("sr-worker-{}", n++);
        worker->thread = std::thread([worker, name] {
            ::pthread_setname_np(::pthread_self(), name.c_str());
            worker->ctx.run();
        });
    }
    impl_->accept();
}

void Server::shutdown() {
    {
        std::lock_guard lock(impl_->mutex);
        if (impl_->stopping) {
            return;
        }
        impl_->stopping = true;
        error_code ignored;
        impl_->acceptor.close(ignored);  // under the mutex: see Impl::accept
    }
    // Nobody will answer here any more: leave no socket that looks alive.
    if (!impl_->owned_path.empty()) {
        ::unlink(impl_->owned_path.c_str());
        impl_->owned_path.clear();
    }
    for (auto& w : impl_->workers) {
        Worker* worker = w.get();
        asio::post(worker->ctx, [worker] {
            worker->draining = true;
            std::vector<std::shared_ptr<Session>> live;
            for (auto& [ptr, weak] : worker->sessions) {
                if (auto s = weak.lock()) {
                    live.push_back(std::move(s));
                }
            }
            for (auto& s : live) {
                s->drain();
            }
            if (worker->sessions.empty()) {
                worker->sweep.cancel();  // else the last one to close cancels it
            }
            // Runs out of work once the last connection is answered and closed.
            worker->guard.reset();
        });
    }
}

void Server::join() {
    bool joined = false;
    for (auto& w : impl_->workers) {
        if (w->thread.joinable()) {
            w->thread.join();
            joined = true;
        }
    }
    if (joined) {
        // Refusals gathered since their last report are reported now.
        impl_->maintain(SteadyClock::now(), true);
    }
}

std::size_t Server::connections() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->total + impl_->unknown_total;
}

std::size_t Server::unknown_connections() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->unknown_total;
}

}  // namespace strongroom::server
