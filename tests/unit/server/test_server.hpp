// The harness of the server tests: a real Server (its acceptor on an
// io_context run by two threads) listening on a socket in a temporary
// directory, with test hooks that record what they see in Events; and a raw
// client socket that sends exact bytes and reads frames back.
#pragma once

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <grp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/json/object.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "daemon/common/stream.hpp"
#include "daemon/protocol/frame.hpp"
#include "daemon/protocol/message.hpp"
#include "daemon/server/server.hpp"

namespace strongroom::server::test {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;
using ::testing::HasSubstr;
using Ms = std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

// Size of the result of the "big" operation: far more than a socket buffer.
inline constexpr std::size_t kBigResultBytes = 8 * 1024 * 1024;

// A fresh directory with a short path (socket paths are limited to 107 bytes).
class TempDir {
public:
    TempDir() {
        std::string tmpl = "/tmp/sr-server-XXXXXX";
        if (::mkdtemp(tmpl.data()) == nullptr) {
            throw std::runtime_error("mkdtemp failed");
        }
        path_ = tmpl;
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const fs::path& path() const { return path_; }
    fs::path socket() const { return path_ / "s.sock"; }

private:
    fs::path path_;
};

inline sockaddr_un address_of(const fs::path& path) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    const std::string p = path.string();
    if (p.size() >= sizeof addr.sun_path) {
        throw std::runtime_error("socket path too long");
    }
    std::memcpy(addr.sun_path, p.c_str(), p.size() + 1);
    return addr;
}

inline std::string request_frame(std::uint64_t id, const std::string& op) {
    protocol::Request r;
    r.id = id;
    r.op = op;
    return protocol::encode_frame(protocol::FrameType::message, protocol::encode_request(r));
}

inline std::string header(std::uint32_t length, std::uint8_t type) {
    const auto h = protocol::encode_header(protocol::FrameType::message, length);
    std::string out(reinterpret_cast<const char*>(h.data()), h.size());
    out[4] = static_cast<char>(type);
    return out;
}

// A request whose content follows ("stream": true).
inline std::string upload_frame(std::uint64_t id, const std::string& op, json::object args = {}) {
    protocol::Request r;
    r.id = id;
    r.op = op;
    r.args = std::move(args);
    r.stream = true;
    return protocol::encode_frame(protocol::FrameType::message, protocol::encode_request(r));
}

inline std::string data_frame(std::string_view bytes) {
    return protocol::encode_frame(protocol::FrameType::data, bytes);
}

inline std::string data_end_frame() {
    return protocol::encode_frame(protocol::FrameType::data_end, {});
}

// Content whose every byte depends on its offset, so that a lost, repeated or
// reordered chunk shows.
inline std::uint8_t content_byte(std::size_t offset) {
    return static_cast<std::uint8_t>((offset * 7 + offset / 251) & 0xffU);
}

inline std::string content_of(std::size_t size) {
    std::string out(size, '\0');
    for (std::size_t i = 0; i < size; ++i) {
        out[i] = static_cast<char>(content_byte(i));
    }
    return out;
}

// Everything the hooks saw, for the tests to inspect.
struct Events {
    std::mutex mutex;
    std::condition_variable changed;
    std::vector<Peer> request_peers;
    std::vector<Error> malformed;
    std::vector<std::string> refused;  // the reason of each report
    std::vector<Refusal> refusals;     // each report in full
    int slow_started = 0;
    // Uploads: the ops the upload hook saw, the bytes each sink accepted (one
    // entry a write), and how the sinks ended.
    std::vector<std::string> upload_ops;
    std::vector<std::string> written;
    int finished = 0;
    int abandoned = 0;
    int sinks_alive = 0;

    template <class Pred>
    bool wait_for(Ms timeout, Pred pred) {
        std::unique_lock lock(mutex);
        return changed.wait_for(lock, timeout, pred);
    }
    std::size_t malformed_count() {
        std::lock_guard lock(mutex);
        return malformed.size();
    }
    // Runs f under the lock and wakes the waiters.
    template <class F>
    void update(F f) {
        {
            std::lock_guard lock(mutex);
            f();
        }
        changed.notify_all();
    }
    template <class F>
    auto read(F f) {
        std::lock_guard lock(mutex);
        return f();
    }
};

// The sink of the test upload hook: records what it is given in Events.
// finish() answers {"bytes": N, "frames": N}, at once or (later) from another
// thread; refuse_write, when not 0, is the write it refuses.
class TestSink : public ContentSink {
public:
    TestSink(Events& events, Reply reply, std::uint64_t id, int refuse_write,
             std::function<void(std::function<void()>)> later)
        : events_(events),
          reply_(std::move(reply)),
          id_(id),
          refuse_write_(refuse_write),
          later_(std::move(later)) {
        events_.update([&] { ++events_.sinks_alive; });
    }
    ~TestSink() override {
        events_.update([&] { --events_.sinks_alive; });
    }
    TestSink(const TestSink&) = delete;
    TestSink& operator=(const TestSink&) = delete;

    Status write(std::span<const std::uint8_t> bytes) override {
        EXPECT_FALSE(ended_) << "write after the end";
        if (++writes_ == refuse_write_) {
            return make_error(ErrorCode::conflict, fmt_refusal(writes_));
        }
        bytes_ += bytes.size();
        events_.update([&] {
            events_.written.emplace_back(reinterpret_cast<const char*>(bytes.data()), bytes.size());
        });
        return {};
    }

    void finish() override {
        EXPECT_FALSE(ended_) << "finish after the end";
        ended_ = true;
        events_.update([&] { ++events_.finished; });
        json::object result;
        result["bytes"] = bytes_;
        result["frames"] = writes_;
        auto answer = [reply = reply_, id = id_, result = std::move(result)]() mutable {
            reply(protocol::Response::success(id, std::move(result)));
        };
        if (later_) {
            later_(std::move(answer));
        } else {
            answer();
        }
    }

    void abandon() noexcept override {
        EXPECT_FALSE(ended_) << "abandon after the end";
        ended_ = true;
        events_.update([&] { ++events_.abandoned; });
    }

    static std::string fmt_refusal(int n) { return "the sink refuses write " + std::to_string(n); }

private:
    Events& events_;
    Reply reply_;
    std::uint64_t id_;
    int refuse_write_;
    std::function<void(std::function<void()>)> later_;
    int writes_ = 0;
    std::uint64_t bytes_ = 0;
    bool ended_ = false;
};

// Content for a download: `size` bytes of content_of(), at most `chunk` at a
// time (0: as much as the buffer takes); fails once `fail_at` bytes have
// been read, when fail_at is not 0.
class TestSource : public ContentSource {
public:
    TestSource(std::size_t size, std::size_t chunk, std::size_t fail_at)
        : size_(size), chunk_(chunk), fail_at_(fail_at) {}

    Result<std::size_t> read(std::span<std::uint8_t> buffer) override {
        if (fail_at_ != 0 && offset_ >= fail_at_) {
            return make_error(ErrorCode::internal, "the test source fails");
        }
        std::size_t n = std::min(buffer.size(), size_ - offset_);
        if (chunk_ != 0) {
            n = std::min(n, chunk_);
        }
        if (fail_at_ != 0) {
            n = std::min(n, fail_at_ - offset_);
        }
        for (std::size_t i = 0; i < n; ++i) {
            buffer[i] = content_byte(offset_ + i);
        }
        offset_ += n;
        return n;
    }

private:
    std::size_t size_;
    std::size_t chunk_;
    std::size_t fail_at_;
    std::size_t offset_ = 0;
};

inline Options test_options() {
    Options o;
    o.read_timeout = 5s;
    o.idle_timeout = 30s;
    return o;
}

// A Server whose acceptor runs on an io_context of two threads (as in
// strongroomd; the Server serves connections on its own worker threads), and
// hooks that answer every request by echoing its op and the peer's
// credentials:
//   "slow"             answers from another thread after 200 ms
//   "big"              answers with a result of kBigResultBytes
//   "download"         answers with content: args "bytes" of content_of(),
//                      "chunk" (optional) bytes at most a read, "fail_at"
//                      (optional) where the source fails
// and, unless uploads is false, an upload hook (a TestSink):
//   "upload"           the sink answers from finish()
//   "upload.later"     the sink answers from another thread
//   "upload.picky"     the sink refuses its second write
//   "upload.refused"   the hook refuses, with denied
//
// With known_uids, the known hook says a uid has an account when it is in
// that set (which set_known changes while the server runs, as an officer
// adding or suspending an account would); without, every caller is known.
class TestServer {
public:
    explicit TestServer(fs::path path, Options options = test_options(), bool uploads = true,
                        std::optional<std::set<std::uint32_t>> known_uids = std::nullopt)
        : path_(std::move(path)),
          uploads_(uploads),
          known_(known_uids.has_value()),
          known_uids_(known_uids.value_or(std::set<std::uint32_t>{})),
          server_(io_, options, hooks()) {}

    void set_known(std::uint32_t uid, bool known) {
        std::lock_guard lock(known_mutex_);
        if (known) {
            known_uids_.insert(uid);
        } else {
            known_uids_.erase(uid);
        }
    }

    ~TestServer() {
        if (!threads_.empty()) {
            begin_shutdown();
            wait_stopped(10s);
        }
        join_slow_threads();
    }
    TestServer(const TestServer&) = delete;
    TestServer& operator=(const TestServer&) = delete;

    void listen(unsigned mode = 0660) { server_.listen_path(path_, mode); }

    void run() {
        server_.start();
        for (int i = 0; i < 2; ++i) {
            threads_.emplace_back([this] {
                io_.run();
                std::lock_guard lock(done_mutex_);
                ++finished_;
                done_.notify_all();
            });
        }
    }

    void start(unsigned mode = 0660) {
        listen(mode);
        run();
    }

    // Calls shutdown() on the acceptor's io_context, as strongroomd does.
    void begin_shutdown() {
        boost::asio::post(io_, [this] { server_.shutdown(); });
    }

    // Waits, at most timeout, for the server to finish after shutdown: every
    // worker joined and the io_context out of work. False when it does not;
    // if the workers never finish the test cannot go on, and aborts.
    bool wait_stopped(Ms timeout) {
        const auto deadline = SteadyClock::now() + timeout;
        auto joined = std::async(std::launch::async, [this] { server_.join(); });
        if (joined.wait_until(deadline) != std::future_status::ready) {
            std::fprintf(stderr, "server_test: Server::join() did not return after shutdown\n");
            std::abort();
        }
        bool ok = false;
        {
            std::unique_lock lock(done_mutex_);
            ok = done_.wait_until(lock, deadline, [this] { return finished_ == 2; });
        }
        if (!ok) {
            io_.stop();
        }
        for (auto& t : threads_) {
            t.join();
        }
        threads_.clear();
        return ok;
    }

    bool stop() {
        begin_shutdown();
        return wait_stopped(10s);
    }

    // Waits for the threads of "slow" requests, which hold their Reply (and
    // so their connection) until they end.
    void join_slow_threads() {
        std::lock_guard lock(slow_mutex_);
        for (auto& t : slow_threads_) {
            t.join();
        }
        slow_threads_.clear();
    }

    Server& server() { return server_; }
    Events& events() { return events_; }
    const fs::path& path() const { return path_; }

private:
    Hooks hooks() {
        Hooks h;
        h.request = [this](const Peer& peer, protocol::Request req, Reply reply) {
            json::object result;
            result["op"] = req.op;
            result["uid"] = peer.uid;
            result["gid"] = peer.gid;
            result["pid"] = peer.pid;
            {
                std::lock_guard lock(events_.mutex);
                events_.request_peers.push_back(peer);
            }
            events_.changed.notify_all();
            if (req.op == "slow") {
                std::lock_guard lock(slow_mutex_);
                slow_threads_.emplace_back(
                    [reply = std::move(reply), id = req.id, result = std::move(result)]() mutable {
                        std::this_thread::sleep_for(200ms);
                        reply(protocol::Response::success(id, std::move(result)));
                    });
                {
                    std::lock_guard elock(events_.mutex);
                    ++events_.slow_started;
                }
                events_.changed.notify_all();
                return;
            }
            if (req.op == "big") {
                result["blob"] = std::string(kBigResultBytes, 'x');
            }
            if (req.op == "download") {
                auto arg = [&](const char* name) -> std::size_t {
                    const auto* v = req.args.if_contains(name);
                    return v == nullptr ? 0 : v->to_number<std::size_t>();
                };
                reply(protocol::Response::success(req.id, std::move(result)),
                      std::make_unique<TestSource>(arg("bytes"), arg("chunk"), arg("fail_at")));
                return;
            }
            reply(protocol::Response::success(req.id, std::move(result)));
        };
        if (uploads_) {
            h.upload = [this](const Peer&, protocol::Request req,
                              Reply reply) -> Result<std::unique_ptr<ContentSink>> {
                events_.update([&] { events_.upload_ops.push_back(req.op); });
                if (req.op == "upload.refused") {
                    return make_error(ErrorCode::denied, "uploads are refused here");
                }
                std::function<void(std::function<void()>)> later;
                if (req.op == "upload.later") {
                    later = [this](std::function<void()> answer) {
                        std::lock_guard lock(slow_mutex_);
                        slow_threads_.emplace_back(std::move(answer));
                    };
                }
                return std::unique_ptr<ContentSink>(
                    std::make_unique<TestSink>(events_, std::move(reply), req.id,
                                               req.op == "upload.picky" ? 2 : 0, std::move(later)));
            };
        }
        h.malformed = [this](const Peer&, const Error& error) {
            {
                std::lock_guard lock(events_.mutex);
                events_.malformed.push_back(error);
            }
            events_.changed.notify_all();
        };
        h.refused = [this](const Refusal& r) {
            {
                std::lock_guard lock(events_.mutex);
                events_.refused.emplace_back(r.reason);
                events_.refusals.push_back(r);
            }
            events_.changed.notify_all();
        };
        if (known_) {
            h.known = [this](std::uint32_t uid) {
                std::lock_guard lock(known_mutex_);
                return known_uids_.count(uid) > 0;
            };
        }
        return h;
    }

    fs::path path_;
    bool uploads_;
    bool known_;
    std::mutex known_mutex_;
    std::set<std::uint32_t> known_uids_;
    Events events_;
    boost::asio::io_context io_;
    Server server_;
    std::vector<std::thread> threads_;
    std::mutex done_mutex_;
    std::condition_variable done_;
    int finished_ = 0;
    std::mutex slow_mutex_;
    std::vector<std::thread> slow_threads_;
};

enum class Got { data, closed, timeout };

// A raw client socket.
class Client {
public:
    explicit Client(const fs::path& path) {
        fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd_ < 0) {
            throw std::runtime_error("socket failed");
        }
        const sockaddr_un addr = address_of(path);
        if (::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
            error_ = errno;
            ::close(fd_);
            fd_ = -1;
        }
    }
    // Takes over a connected socket (from connect_as).
    struct Adopt {};
    Client(Adopt, int fd) : fd_(fd) {}
    ~Client() { close(); }
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    bool connected() const { return fd_ >= 0; }
    int connect_error() const { return error_; }

    void close() {
        if (fd_ >= 0) {
            ::close(fd_);
            fd_ = -1;
        }
    }

    // Writes all of bytes; false when the server has closed the connection.
    bool send(std::string_view bytes) {
        while (!bytes.empty()) {
            const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
            if (n < 0) {
                if (errno == EINTR) {
                    continue;
                }
                return false;
            }
            bytes.remove_prefix(static_cast<std::size_t>(n));
        }
        return true;
    }

    // Reads exactly n bytes into out before the deadline.
    Got read_exact(std::string& out, std::size_t n, SteadyClock::time_point deadline) {
        out.clear();
        while (out.size() < n) {
            const Got g = wait_readable(deadline);
            if (g != Got::data) {
                return g;
            }
            char buf[65536];
            const std::size_t want = std::min(sizeof buf, n - out.size());
            const ssize_t got = ::read(fd_, buf, want);
            if (got == 0 || (got < 0 && errno == ECONNRESET)) {
                return Got::closed;
            }
            if (got < 0) {
                if (errno == EINTR || errno == EAGAIN) {
                    continue;
                }
                return Got::closed;
            }
            out.append(buf, static_cast<std::size_t>(got));
        }
        return Got::data;
    }

    // Reads one response frame within timeout.
    std::optional<protocol::Response> read_response(Ms timeout = 5s) {
        const auto deadline = SteadyClock::now() + timeout;
        std::string head;
        const Got g = read_exact(head, protocol::kHeaderSize, deadline);
        if (g != Got::data) {
            ADD_FAILURE() << "no response: "
                          << (g == Got::closed ? "connection closed" : "timed out");
            return std::nullopt;
        }
        protocol::HeaderBytes hb{};
        std::memcpy(hb.data(), head.data(), hb.size());
        protocol::Limits limits;
        limits.max_frame_bytes = 64 * 1024 * 1024;
        const auto h = protocol::decode_header(hb, limits);
        if (!h.ok() || h->type != protocol::FrameType::message) {
            ADD_FAILURE() << "bad response header";
            return std::nullopt;
        }
        std::string payload;
        if (read_exact(payload, h->length, deadline) != Got::data) {
            ADD_FAILURE() << "response payload cut short";
            return std::nullopt;
        }
        auto resp = protocol::decode_response(payload, limits);
        if (!resp.ok()) {
            ADD_FAILURE() << "undecodable response: " << resp.error().message;
            return std::nullopt;
        }
        return std::move(resp).value();
    }

    // Reads one frame of any type within timeout; nullopt (with a failure
    // unless allow_close) when none arrives.
    struct Frame {
        protocol::FrameType type = protocol::FrameType::message;
        std::string payload;
    };
    std::optional<Frame> read_frame(Ms timeout = 5s, bool allow_close = false) {
        const auto deadline = SteadyClock::now() + timeout;
        std::string head;
        const Got g = read_exact(head, protocol::kHeaderSize, deadline);
        if (g != Got::data) {
            if (g != Got::closed || !allow_close) {
                ADD_FAILURE() << "no frame: "
                              << (g == Got::closed ? "connection closed" : "timed out");
            }
            return std::nullopt;
        }
        protocol::HeaderBytes hb{};
        std::memcpy(hb.data(), head.data(), hb.size());
        protocol::Limits limits;
        limits.max_frame_bytes = 64 * 1024 * 1024;
        const auto h = protocol::decode_header(hb, limits);
        if (!h.ok()) {
            ADD_FAILURE() << "bad frame header: " << h.error().message;
            return std::nullopt;
        }
        Frame f;
        f.type = h->type;
        if (read_exact(f.payload, h->length, deadline) != Got::data) {
            ADD_FAILURE() << "frame payload cut short";
            return std::nullopt;
        }
        return f;
    }

    // The content after a response with "stream": true: data frames until
    // data_end (ended) or the close of the connection.
    struct Content {
        std::string bytes;
        std::size_t frames = 0;
        std::size_t largest = 0;
        bool ended = false;
    };
    Content read_content(Ms timeout = 10s) {
        Content c;
        for (;;) {
            auto f = read_frame(timeout, true);
            if (!f) {
                return c;
            }
            if (f->type == protocol::FrameType::data_end) {
                c.ended = true;
                return c;
            }
            if (f->type != protocol::FrameType::data) {
                ADD_FAILURE() << "a message frame in the content";
                return c;
            }
            ++c.frames;
            c.largest = std::max(c.largest, f->payload.size());
            c.bytes += f->payload;
        }
    }

    // True when nothing arrives (and the connection stays open) for a while:
    // for checking that an answer has not been sent early.
    bool quiet_for(Ms duration) {
        return wait_readable(SteadyClock::now() + duration) == Got::timeout;
    }

    // Expects an error response with id 0 and the given code; returns its message.
    // Sends bytes the server must refuse: the error message, after checking the
    // answer is bad_request and the connection is then closed.
    std::string send_refused(const std::string& bytes) {
        if (!send(bytes)) {
            ADD_FAILURE() << "could not send";
            return {};
        }
        auto message = read_error(ErrorCode::bad_request);
        EXPECT_TRUE(closed_within(std::chrono::seconds(2)));
        return message;
    }

    std::string read_error(ErrorCode code) {
        const auto resp = read_response();
        if (!resp) {
            return {};
        }
        EXPECT_EQ(resp->id, 0U);
        if (!resp->error) {
            ADD_FAILURE() << "expected an error response";
            return {};
        }
        EXPECT_EQ(resp->error->code, code) << resp->error->message;
        return resp->error->message;
    }

    // Reads until the server closes; returns how many bytes arrived, or
    // nullopt when the connection is still open at the timeout.
    std::optional<std::size_t> drain_until_closed(Ms timeout) {
        const auto deadline = SteadyClock::now() + timeout;
        std::size_t total = 0;
        for (;;) {
            const Got g = wait_readable(deadline);
            if (g == Got::timeout) {
                return std::nullopt;
            }
            if (g == Got::closed) {
                return total;
            }
            char buf[65536];
            const ssize_t got = ::read(fd_, buf, sizeof buf);
            if (got == 0 || (got < 0 && errno == ECONNRESET)) {
                return total;
            }
            if (got > 0) {
                total += static_cast<std::size_t>(got);
            }
        }
    }

    // True when the server closes the connection within timeout without
    // sending anything more (used after an error response, which is the last).
    bool closed_within(Ms timeout) {
        const auto n = drain_until_closed(timeout);
        EXPECT_TRUE(!n || *n == 0) << *n << " unexpected bytes before the close";
        return n.has_value();
    }

    // A full request/response exchange; true when the answer carries the id.
    bool round_trip(std::uint64_t id, const std::string& op = "echo") {
        if (!send(request_frame(id, op))) {
            return false;
        }
        const auto r = read_response();
        return r && r->id == id && !r->error;
    }

private:
    Got wait_readable(SteadyClock::time_point deadline) {
        for (;;) {
            const auto left = std::chrono::duration_cast<Ms>(deadline - SteadyClock::now()).count();
            if (left <= 0) {
                return Got::timeout;
            }
            pollfd p{fd_, POLLIN, 0};
            const int rc = ::poll(&p, 1, static_cast<int>(left));
            if (rc < 0 && errno == EINTR) {
                continue;
            }
            if (rc < 0) {
                return Got::closed;
            }
            if (rc == 0) {
                return Got::timeout;
            }
            return (p.revents & (POLLIN | POLLHUP | POLLERR)) != 0 ? Got::data : Got::closed;
        }
    }

    int fd_ = -1;
    int error_ = 0;
};

// n connections to path made as uid (and gid uid), held by this process:
// a child becomes uid, connects (the kernel records the credentials of
// connect() for SO_PEERCRED), and hands the sockets back over a socketpair
// (SCM_RIGHTS). Needs root; empty on failure (with a test failure).
inline std::vector<std::unique_ptr<Client>> connect_as(const fs::path& path, std::uint32_t uid,
                                                       std::size_t n) {
    std::vector<std::unique_ptr<Client>> out;
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
        ADD_FAILURE() << "socketpair failed";
        return out;
    }
    const sockaddr_un addr = address_of(path);  // prepared before fork()
    const pid_t child = ::fork();
    if (child < 0) {
        ADD_FAILURE() << "fork failed";
        ::close(pair[0]);
        ::close(pair[1]);
        return out;
    }
    if (child == 0) {
        ::close(pair[0]);
        if (::setgroups(0, nullptr) != 0 || ::setgid(uid) != 0 || ::setuid(uid) != 0) {
            ::_exit(10);
        }
        for (std::size_t i = 0; i < n; ++i) {
            const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
            if (fd < 0 ||
                ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
                ::_exit(11);
            }
            char byte = 'c';
            iovec iov{&byte, 1};
            alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
            msghdr msg{};
            msg.msg_iov = &iov;
            msg.msg_iovlen = 1;
            msg.msg_control = control;
            msg.msg_controllen = sizeof control;
            cmsghdr* c = CMSG_FIRSTHDR(&msg);
            c->cmsg_level = SOL_SOCKET;
            c->cmsg_type = SCM_RIGHTS;
            c->cmsg_len = CMSG_LEN(sizeof(int));
            std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
            if (::sendmsg(pair[1], &msg, 0) != 1) {
                ::_exit(12);
            }
            ::close(fd);
        }
        ::_exit(0);
    }
    ::close(pair[1]);
    for (std::size_t i = 0; i < n; ++i) {
        char byte = 0;
        iovec iov{&byte, 1};
        alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
        msghdr msg{};
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
        if (::recvmsg(pair[0], &msg, MSG_CMSG_CLOEXEC) != 1) {
            break;
        }
        const cmsghdr* c = CMSG_FIRSTHDR(&msg);
        if (c == nullptr || c->cmsg_type != SCM_RIGHTS) {
            break;
        }
        int fd = -1;
        std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
        out.push_back(std::make_unique<Client>(Client::Adopt{}, fd));
    }
    ::close(pair[0]);
    int status = 0;
    ::waitpid(child, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || out.size() != n) {
        ADD_FAILURE() << "connect_as(" << uid << ") made " << out.size() << " of " << n
                      << " connections (child status " << status << ")";
    }
    return out;
}

// Waits until the server counts exactly n connections.
inline bool wait_for_connections(Server& server, std::size_t n, Ms timeout = 5s) {
    const auto deadline = SteadyClock::now() + timeout;
    while (SteadyClock::now() < deadline) {
        if (server.connections() == n) {
            return true;
        }
        std::this_thread::sleep_for(10ms);
    }
    return server.connections() == n;
}

}  // namespace strongroom::server::test
