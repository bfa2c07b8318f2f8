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
// arrived, an idle deadline between requests, a write deadline, a cap on
// connections in total and per uid. Deadlines are checked by a sweep a few
// times per timeout period, not by a timer per operation. A malformed frame
// is answered with an error and the connection is closed; every other
// connection carries on.
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
    // A connection refused at accept (a connection limit).
    std::function<void(const Peer&, std::string_view reason)> refused;
};

struct Options {
    protocol::Limits limits;
    std::chrono::milliseconds read_timeout{10000};   // a frame, once begun; a write
    std::chrono::milliseconds idle_timeout{300000};  // waiting for the next request
    unsigned max_connections = 256;
    unsigned max_connections_per_uid = 16;
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

    std::size_t connections() const;

    struct Impl;  // internal to server.cpp

private:
    std::shared_ptr<Impl> impl_;
};

}  // namespace strongroom::server
