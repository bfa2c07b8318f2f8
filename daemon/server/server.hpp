// The socket boundary: a Boost.Asio acceptor on a Unix stream socket and one
// session per connection. This is the only code that touches bytes from
// untrusted peers. It frames, limits and decodes; it never decides access
// (it has no access to the store): every decoded request goes to the
// request hook, and the answer comes back through the reply callback.
//
// Threads: the acceptor runs on the caller's io_context; connections are
// spread over `threads` worker threads, each running its own io_context, so
// a session never changes thread and needs no strand or lock.
//
// Limits enforced here: the frame size (checked before allocating), JSON
// depth (in the decoder), a deadline for each frame once its first byte has
// arrived, an idle deadline between requests, a write deadline, caps on
// connections, and a request rate per uid. Deadlines are checked by a sweep a
// few times per timeout period, not by a timer per operation. A malformed
// frame is answered with an error and the connection is closed; every other
// connection carries on.
//
// Connections: the peer's uid is known from SO_PEERCRED before any byte is
// read, and the known hook says whether it is a caller with an account (the
// server does not know accounts; the daemon's main wires the hook to the
// service). Known callers share max_connections, at most
// max_connections_per_uid each; every other caller counts against a small
// budget of its own (max_unknown_connections, at most
// max_unknown_connections_per_uid each) and is closed after
// unknown_idle_timeout between requests. So callers without an account can
// never take a connection from one with an account. A connection's class is
// decided at accept and again whenever it is idle (after each answer, and by
// the sweep): a connection whose account was added moves to the known budget
// with the long idle timeout, one whose account was suspended moves to the
// unknown budget and its short idle timeout. A move never closes or refuses
// the connection moved; the caps apply to new connections.
//
// Request rate: each uid has a token bucket (requests_per_second, up to
// request_burst at once), shared by all its connections and kept after they
// close until it has filled up again, so reconnecting gains nothing. A
// request over the rate is decoded (for its id) and answered with
// unavailable, naming the limit; it never reaches a hook, its content (an
// upload) is read and dropped, and the connection carries on.
//
// Refusals (a connection over a cap, a request over the rate) are reported
// through the refused hook at most once per report_interval for each uid and
// kind: the first at once, the ones after it as one summary with their count.
// A flood therefore costs the log and the audit trail a few entries, not one
// per attempt.
//
// Streamed content (see daemon/common/stream.hpp):
//   upload    a request with "stream": true goes to the upload hook; each
//             data frame then goes to its sink's write() as it arrives (one
//             frame buffered at a time, never the whole content), and
//             data_end to finish(), after which the sink answers like any
//             request. Each frame must arrive within read_timeout of the
//             previous one, so a long upload lives as long as it keeps
//             coming. A refusal (by the hook, or by a write) is answered
//             only after the rest of the content has been read and
//             discarded, and the connection then serves the next request.
//             A connection closed, timed out or drained before data_end, or
//             a malformed frame (a message among the data frames, one over
//             the frame limit), abandons the sink, once; it is never
//             finished.
//   download  an answer with a ContentSource is sent as the response (with
//             "stream": true), then data frames of at most 256 KiB read from
//             the source on the worker thread, one at a time, then
//             data_end; each write has the write deadline. A source error
//             closes the connection without data_end.
// On shutdown a download in progress is finished (as is any answer being
// sent), within the write deadline of each frame; an upload in progress is
// closed and abandoned like a half-received request.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>

#include "daemon/common/error.hpp"
#include "daemon/common/peer.hpp"
#include "daemon/common/stream.hpp"
#include "daemon/protocol/frame.hpp"
#include "daemon/protocol/message.hpp"

namespace strongroom::server {

// Sends the response to a request, with or without content to follow.
// Callable from any thread, exactly once.
using Reply = BasicReply<protocol::Response>;

// Connections or requests of one uid refused by a limit.
struct Refusal {
    enum class Kind { connection, request };
    Kind kind = Kind::connection;
    Peer peer;           // the last one refused
    std::string reason;  // why the last one was refused, as its caller was told
    std::uint64_t count = 1;
    // 0 for a refusal reported as it happens; else the time over which count
    // refusals were gathered since the previous report.
    std::chrono::milliseconds period{0};
};

struct Hooks {
    // A well-formed request. The hook must call reply exactly once; it runs
    // on a worker thread and may answer there (a read) or from another
    // thread later (a change, once durable).
    std::function<void(const Peer&, protocol::Request, Reply)> request;
    // A well-formed request with "stream": true. Returns the sink for its
    // content, which answers through reply after data_end; or an error,
    // which the server sends once it has read and discarded the content.
    // Unset: every streamed request is refused that way.
    std::function<Result<std::unique_ptr<ContentSink>>(const Peer&, protocol::Request, Reply)>
        upload;
    // A frame that could not be decoded; the connection is being closed.
    std::function<void(const Peer&, const Error&)> malformed;
    // Whether uid is a caller with an active account: which connection budget
    // it counts against. Called on the acceptor's thread for each new
    // connection and on the worker threads for idle ones, so it must be cheap
    // and must not throw. Unset: every caller is known.
    std::function<bool(std::uint32_t uid)> known;
    // Refusals, reported at most once per report_interval for each uid and
    // kind (see Refusal). Called on the acceptor's or a worker's thread.
    std::function<void(const Refusal&)> refused;
};

struct Options {
    protocol::Limits limits;
    std::chrono::milliseconds read_timeout{10000};   // a frame, once begun; a write
    std::chrono::milliseconds idle_timeout{300000};  // waiting for the next request
    // Callers with an account (the known hook).
    unsigned max_connections = 256;
    unsigned max_connections_per_uid = 16;
    // Callers without one: a budget of their own, and a short idle deadline.
    unsigned max_unknown_connections = 16;
    unsigned max_unknown_connections_per_uid = 2;
    std::chrono::milliseconds unknown_idle_timeout{2000};
    // Requests of one uid, all its connections together: a token bucket.
    unsigned requests_per_second = 1000;
    unsigned request_burst = 2000;
    // Refusals of one uid are reported at most this often (Hooks::refused).
    std::chrono::milliseconds report_interval{10000};
    unsigned threads = 2;  // worker threads serving connections
};

class Server {
public:
    // io runs the acceptor; the caller runs it (and may use it for other work).
    Server(boost::asio::io_context& io, Options options, Hooks hooks);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // Creates the listening socket at path with the given mode, under a
    // umask that leaves no window with a looser mode. Refuses, with a
    // message for the operator, when another daemon answers there or the
    // path is something other than a stale socket. Throws std::runtime_error.
    void listen_path(const std::filesystem::path& path, unsigned mode);
    // Uses a listening socket handed over by systemd (socket activation).
    void adopt(int fd);

    // Starts the worker threads and accepting.
    void start();
    // Stops accepting; idle connections, half-received requests and uploads
    // are closed at once, a request in progress is answered first (with its
    // content, if any). Call on the acceptor's io_context thread (or before
    // it runs).
    void shutdown();
    // Waits until every worker thread has finished, that is until every
    // connection is closed. Call after shutdown().
    void join();

    // Connections open, and those of them counted as unknown callers.
    std::size_t connections() const;
    std::size_t unknown_connections() const;

    struct Impl;  // internal to server.cpp

private:
    std::shared_ptr<Impl> impl_;
};

}  // namespace strongroom::server
