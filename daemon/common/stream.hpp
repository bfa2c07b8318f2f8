// Streamed content between the server and the service, without either
// knowing the other: the server moves bytes, the service gives them meaning.
//
//   upload    a request with "stream": true is followed by data frames and
//             one data_end. The service hands the server a ContentSink for
//             them; the answer goes out only after data_end.
//   download  an answer may carry a ContentSource: the server sends the
//             response message (with "stream": true), then the source's
//             chunks as data frames, then data_end.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <utility>

#include "daemon/common/error.hpp"

namespace strongroom {

// Where the content of an upload goes. All calls come from the thread of the
// connection, in order; exactly one of finish() or abandon() ends it.
class ContentSink {
public:
    virtual ~ContentSink() = default;
    // One data frame. An error refuses the rest of the content: the server
    // reads and discards the remaining data frames, then answers with it.
    virtual Status write(std::span<const std::uint8_t> bytes) = 0;
    // data_end arrived after every write succeeded: the sink now answers,
    // through the reply it was created with, exactly once.
    virtual void finish() = 0;
    // The connection ended (closed, timed out, shut down) before data_end,
    // or a write was refused: nothing may be kept. The reply is not called.
    virtual void abandon() noexcept = 0;
};

// Content that follows an answer. Called on the thread of the connection,
// one chunk at a time, each after the previous chunk has been sent.
class ContentSource {
public:
    virtual ~ContentSource() = default;
    // Fills at most buffer.size() bytes; 0 means the content is complete. An
    // error ends the transfer: the server closes the connection without
    // data_end, so the client knows the content is incomplete.
    virtual Result<std::size_t> read(std::span<std::uint8_t> buffer) = 0;
    // Called once on the thread of the connection before the answer is
    // sent: content made at that moment (a backup) is made here, so that a
    // failure is answered as an error instead of a transfer cut short.
    virtual Status prepare() { return {}; }
};

template <typename Response>
class BasicReply {
public:
    using Fn = std::function<void(Response, std::unique_ptr<ContentSource>)>;

    BasicReply() = default;
    explicit BasicReply(Fn fn) : fn_(std::move(fn)) {}

    // Answers; callable from any thread, exactly once per request.
    void operator()(Response response) const { fn_(std::move(response), nullptr); }
    // Answers with content to follow.
    void operator()(Response response, std::unique_ptr<ContentSource> content) const {
        fn_(std::move(response), std::move(content));
    }
    explicit operator bool() const noexcept { return static_cast<bool>(fn_); }

private:
    Fn fn_;
};

}  // namespace strongroom
