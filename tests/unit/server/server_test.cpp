// Unit tests of strongroom::server: a real Server (its acceptor on an
// io_context run by two threads), listening on a socket in a temporary
// directory, with test hooks;
// raw client sockets check framing, limits, timeouts, connection caps, the
// listening socket and shutdown.
#include "daemon/server/server.hpp"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <grp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/json/object.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "daemon/protocol/frame.hpp"
#include "daemon/protocol/message.hpp"

namespace strongroom::server {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;
using ::testing::HasSubstr;
using Ms = std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

// Size of the result of the "big" operation: far more than a socket buffer.
constexpr std::size_t kBigResultBytes = 8 * 1024 * 1024;

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

sockaddr_un address_of(const fs::path& path) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    const std::string p = path.string();
    if (p.size() >= sizeof addr.sun_path) {
        throw std::runtime_error("socket path too long");
    }
    std::memcpy(addr.sun_path, p.c_str(), p.size() + 1);
    return addr;
}

std::string request_frame(std::uint64_t id, const std::string& op) {
    protocol::Request r;
    r.id = id;
    r.op = op;
    return protocol::encode_frame(protocol::FrameType::message, protocol::encode_request(r));
}

std::string header(std::uint32_t length, std::uint8_t type) {
    const auto h = protocol::encode_header(protocol::FrameType::message, length);
    std::string out(reinterpret_cast<const char*>(h.data()), h.size());
    out[4] = static_cast<char>(type);
    return out;
}

// Everything the hooks saw, for the tests to inspect.
struct Events {
    std::mutex mutex;
    std::condition_variable changed;
    std::vector<Peer> request_peers;
    std::vector<Error> malformed;
    std::vector<std::string> refused;
    int slow_started = 0;

    template <class Pred>
    bool wait_for(Ms timeout, Pred pred) {
        std::unique_lock lock(mutex);
        return changed.wait_for(lock, timeout, pred);
    }
    std::size_t malformed_count() {
        std::lock_guard lock(mutex);
        return malformed.size();
    }
};

Options test_options() {
    Options o;
    o.read_timeout = 5s;
    o.idle_timeout = 30s;
    return o;
}

// A Server whose acceptor runs on an io_context of two threads (as in
// strongroomd; the Server serves connections on its own worker threads), and
// hooks that answer every request by echoing its op and the peer's
// credentials:
//   "slow"  answers from another thread after 200 ms
//   "big"   answers with a result of kBigResultBytes
class TestServer {
public:
    explicit TestServer(fs::path path, Options options = test_options())
        : path_(std::move(path)), server_(io_, options, hooks()) {}

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
            reply(protocol::Response::success(req.id, std::move(result)));
        };
        h.malformed = [this](const Peer&, const Error& error) {
            {
                std::lock_guard lock(events_.mutex);
                events_.malformed.push_back(error);
            }
            events_.changed.notify_all();
        };
        h.refused = [this](const Peer&, std::string_view reason) {
            {
                std::lock_guard lock(events_.mutex);
                events_.refused.emplace_back(reason);
            }
            events_.changed.notify_all();
        };
        return h;
    }

    fs::path path_;
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

// Waits until the server counts exactly n connections.
bool wait_for_connections(Server& server, std::size_t n, Ms timeout = 5s) {
    const auto deadline = SteadyClock::now() + timeout;
    while (SteadyClock::now() < deadline) {
        if (server.connections() == n) {
            return true;
        }
        std::this_thread::sleep_for(10ms);
    }
    return server.connections() == n;
}

// ---------------------------------------------------------------------------
// Requests

TEST(ServerRequest, IsAnsweredWithItsIdAndThePeerCredentials) {
    // Verifies that a request reaches the hook with the kernel's credentials of the test process
    // and the answer carries its id.
    TempDir dir;
    TestServer s(dir.socket());
    s.start();
    Client c(s.path());
    ASSERT_TRUE(c.connected());
    ASSERT_TRUE(c.send(request_frame(77, "echo.me")));
    const auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->id, 77U);
    ASSERT_FALSE(r->error) << r->error->message;
    EXPECT_EQ(r->result.at("op").as_string(), "echo.me");
    EXPECT_EQ(r->result.at("uid").to_number<std::uint32_t>(), ::getuid());
    EXPECT_EQ(r->result.at("gid").to_number<std::uint32_t>(), ::getgid());
    EXPECT_EQ(r->result.at("pid").to_number<std::int32_t>(), ::getpid());

    // The connection stays open for the next request, and any id is echoed.
    ASSERT_TRUE(c.send(request_frame(18446744073709551615ULL, "again")));
    const auto r2 = c.read_response();
    ASSERT_TRUE(r2);
    EXPECT_EQ(r2->id, 18446744073709551615ULL);
    EXPECT_EQ(s.events().malformed_count(), 0U);
}

TEST(ServerRequest, PipelinedRequestsAreAnsweredInOrder) {
    // Verifies that requests sent back to back in one write are each answered, in order.
    TempDir dir;
    TestServer s(dir.socket());
    s.start();
    Client c(s.path());
    ASSERT_TRUE(c.send(request_frame(1, "one") + request_frame(2, "two") + request_frame(3, "x")));
    for (std::uint64_t id : {1U, 2U, 3U}) {
        const auto r = c.read_response();
        ASSERT_TRUE(r);
        EXPECT_EQ(r->id, id);
    }
}

TEST(ServerRequest, AnotherUidIsReportedAsThatUid) {
    // Verifies that the peer uid and gid come from the kernel: a client running as uid 61001 is
    // seen as 61001, not as the server's uid.
    if (::geteuid() != 0) {
        GTEST_SKIP() << "needs root to connect as another uid";
    }
    TempDir dir;
    fs::permissions(dir.path(), fs::perms(0755));
    TestServer s(dir.socket());
    s.start(0666);
    // Everything the child needs is prepared before fork().
    const std::string frame = request_frame(5, "who");
    const sockaddr_un addr = address_of(s.path());
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        if (::setgroups(0, nullptr) != 0 || ::setgid(61002) != 0 || ::setuid(61001) != 0) {
            ::_exit(10);
        }
        const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
        if (fd < 0 || ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
            ::_exit(11);
        }
        if (::write(fd, frame.data(), frame.size()) != static_cast<ssize_t>(frame.size())) {
            ::_exit(12);
        }
        char buf[5];
        ::_exit(::read(fd, buf, sizeof buf) == 5 ? 0 : 13);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status));
    ASSERT_EQ(WEXITSTATUS(status), 0);
    std::lock_guard lock(s.events().mutex);
    ASSERT_EQ(s.events().request_peers.size(), 1U);
    const Peer& peer = s.events().request_peers.front();
    EXPECT_EQ(peer.uid, 61001U);
    EXPECT_EQ(peer.gid, 61002U);
    EXPECT_EQ(peer.pid, child);
}

// ---------------------------------------------------------------------------
// Malformed frames

TEST(ServerMalformed, OversizedHeaderIsRefusedBeforeAnyPayload) {
    // Verifies that a header announcing 0xFFFFFFF0 bytes is answered with bad_request and closed
    // without the server waiting for (or allocating) the payload.
    TempDir dir;
    TestServer s(dir.socket());
    s.start();
    Client c(s.path());
    ASSERT_TRUE(c.send(header(0xFFFFFFF0U, 1)));
    const std::string msg = c.read_error(ErrorCode::bad_request);
    EXPECT_THAT(msg, HasSubstr("4294967280"));
    EXPECT_THAT(msg, HasSubstr("limit of 1048576"));
    EXPECT_TRUE(c.closed_within(2s));
    EXPECT_EQ(s.events().malformed_count(), 1U);
}

TEST(ServerMalformed, FrameLimitComesFromTheOptions) {
    // Verifies that the configured frame limit applies: one byte over it is refused, a frame at it
    // is served.
    TempDir dir;
    Options o = test_options();
    o.limits.max_frame_bytes = 64;
    TestServer s(dir.socket(), o);
    s.start();
    {
        Client c(s.path());
        protocol::Request r;
        r.id = 1;
        r.op = "a";
        std::string body = protocol::encode_request(r);
        body.append(64 - body.size(), ' ');  // trailing whitespace pads to exactly 64 bytes
        ASSERT_TRUE(c.send(protocol::encode_frame(protocol::FrameType::message, body)));
        const auto resp = c.read_response();
        ASSERT_TRUE(resp);
        EXPECT_EQ(resp->id, 1U);
        EXPECT_FALSE(resp->error);
    }
    {
        Client c(s.path());
        EXPECT_THAT(c.send_refused(header(65, 1)), HasSubstr("limit of 64"));
    }
}

TEST(ServerMalformed, UnknownFrameTypeIsRefused) {
    // Verifies that a frame of unknown type is answered with bad_request naming the type, then
    // closed.
    TempDir dir;
    TestServer s(dir.socket());
    s.start();
    Client c(s.path());
    EXPECT_THAT(c.send_refused(header(2, 9) + "{}"), HasSubstr("unknown frame type 9"));
}

TEST(ServerMalformed, DataFrameWithoutRequestIsRefused) {
    // Verifies that content frames (data, data_end) outside a streaming request are refused and the
    // connection closed.
    TempDir dir;
    TestServer s(dir.socket());
    s.start();
    {
        Client c(s.path());
        EXPECT_THAT(c.send_refused(header(3, 2) + "abc"), HasSubstr("content frame"));
    }
    {
        Client c(s.path());
        EXPECT_THAT(c.send_refused(header(0, 3)), HasSubstr("content frame"));
    }
    EXPECT_EQ(s.events().malformed_count(), 2U);
}

TEST(ServerMalformed, HookIsCalledOnceForEachMalformedFrame) {
    // Verifies that each kind of malformed frame calls the malformed hook exactly once, with the
    // error the client receives.
    TempDir dir;
    Options o = test_options();
    o.limits.max_json_depth = 4;
    TestServer s(dir.socket(), o);
    s.start();
    auto message = [](std::string_view payload) {
        return protocol::encode_frame(protocol::FrameType::message, payload);
    };
    const std::vector<std::string> frames = {
        header(0xFFFFFFF0U, 1),                                 // over the frame limit
        header(1, 0) + "x",                                     // unknown type
        header(4, 2) + "data",                                  // data without a request
        header(0, 3),                                           // data_end without a request
        header(0, 1),                                           // empty message
        header(4, 3) + "abcd",                                  // data_end with a payload
        message("{not json"),                                   // syntax error
        message(R"({"v": 1, "id": 1, "op": "a"} {})"),          // trailing document
        message(R"({"v": 1, "id": 1, "op": "a", "op": "b"})"),  // repeated key
        message(R"({"v": 1, "id": 1, "op": "a", "args": {"x": [[[1]]]}})"),  // too deep
        message("{\"v\": 1, \"id\": 1, \"op\": \"\xff\"}"),                  // invalid UTF-8
        message(R"({"v": 2, "id": 1, "op": "a"})"),                          // wrong version
        message(R"({"v": 1, "id": -1, "op": "a"})"),                         // negative id
        message(R"({"v": 1, "id": 1, "op": "a", "admin": true})"),           // unknown field
        message(R"({"v": 1, "id": 1, "op": "a", "stream": true})"),          // content not accepted
    };
    std::size_t expected = 0;
    for (const auto& frame : frames) {
        SCOPED_TRACE(testing::Message() << "frame #" << expected);
        Client c(s.path());
        ASSERT_TRUE(c.connected());
        ASSERT_TRUE(c.send(frame));
        const std::string msg = c.read_error(ErrorCode::bad_request);
        EXPECT_TRUE(c.closed_within(2s));
        ++expected;
        std::lock_guard lock(s.events().mutex);
        ASSERT_EQ(s.events().malformed.size(), expected);
        EXPECT_EQ(s.events().malformed.back().code, ErrorCode::bad_request);
        EXPECT_EQ(s.events().malformed.back().message, msg);
    }
    // Well-formed requests never call it.
    Client ok(s.path());
    EXPECT_TRUE(ok.round_trip(9));
    EXPECT_EQ(s.events().malformed_count(), frames.size());
    std::lock_guard lock(s.events().mutex);
    EXPECT_EQ(s.events().request_peers.size(), 1U);
}

TEST(ServerMalformed, OtherConnectionsCarryOn) {
    // Verifies that a malformed frame closes only its own connection.
    TempDir dir;
    TestServer s(dir.socket());
    s.start();
    Client good(s.path());
    ASSERT_TRUE(good.round_trip(1));
    Client bad(s.path());
    ASSERT_TRUE(bad.send(header(1, 7) + "x"));
    bad.read_error(ErrorCode::bad_request);
    EXPECT_TRUE(bad.closed_within(2s));
    EXPECT_TRUE(good.round_trip(2));
}

// ---------------------------------------------------------------------------
// Timeouts

TEST(ServerTimeout, ReadTimeoutClosesAHalfSentHeader) {
    // Verifies that a connection stalling in the middle of a frame header is closed after
    // read_timeout.
    TempDir dir;
    Options o = test_options();
    o.read_timeout = 200ms;
    TestServer s(dir.socket(), o);
    s.start();
    Client c(s.path());
    ASSERT_TRUE(c.send(header(20, 1).substr(0, 3)));
    const auto start = SteadyClock::now();
    EXPECT_TRUE(c.drain_until_closed(3s).has_value());
    EXPECT_GE(SteadyClock::now() - start, 150ms);
}

TEST(ServerTimeout, ReadTimeoutClosesAHalfSentPayload) {
    // Verifies that a connection stalling in the middle of a frame's payload is closed after
    // read_timeout.
    TempDir dir;
    Options o = test_options();
    o.read_timeout = 200ms;
    TestServer s(dir.socket(), o);
    s.start();
    Client c(s.path());
    const std::string frame = request_frame(1, "a");
    ASSERT_TRUE(c.send(frame.substr(0, frame.size() - 3)));
    const auto start = SteadyClock::now();
    EXPECT_TRUE(c.drain_until_closed(3s).has_value());
    EXPECT_GE(SteadyClock::now() - start, 150ms);
}

TEST(ServerTimeout, ReadTimeoutBoundsTheWholeFrameNotEachRead) {
    // Verifies that a client trickling a frame one byte at a time cannot keep it open beyond
    // read_timeout.
    TempDir dir;
    Options o = test_options();
    o.read_timeout = 300ms;
    TestServer s(dir.socket(), o);
    s.start();
    Client c(s.path());
    const std::string frame =
        request_frame(1, "trickle." + std::string(40, 't'));  // 4.5 s at 50 ms a byte
    const auto start = SteadyClock::now();
    bool cut = false;
    for (char byte : frame) {
        if (!c.send(std::string_view(&byte, 1))) {
            cut = true;
            break;
        }
        if (c.drain_until_closed(50ms).has_value()) {
            cut = true;
            break;
        }
    }
    EXPECT_TRUE(cut) << "the whole frame was accepted";
    EXPECT_LT(SteadyClock::now() - start, 3s);
}

TEST(ServerTimeout, IdleTimeoutClosesAnIdleConnection) {
    // Verifies that a connection with nothing to say is closed after idle_timeout, both before and
    // after a request.
    TempDir dir;
    Options o = test_options();
    o.idle_timeout = 300ms;
    TestServer s(dir.socket(), o);
    s.start();
    Client silent(s.path());
    Client served(s.path());
    ASSERT_TRUE(served.round_trip(1));
    const auto start = SteadyClock::now();
    EXPECT_TRUE(silent.drain_until_closed(3s).has_value());
    EXPECT_TRUE(served.drain_until_closed(3s).has_value());
    EXPECT_GE(SteadyClock::now() - start, 200ms);
    EXPECT_TRUE(wait_for_connections(s.server(), 0));
}

TEST(ServerTimeout, ActivityKeepsAConnectionOpen) {
    // Verifies that the idle timeout counts from the last request, so a client that keeps talking
    // is not cut off.
    TempDir dir;
    Options o = test_options();
    o.idle_timeout = 1s;
    TestServer s(dir.socket(), o);
    s.start();
    Client c(s.path());
    for (std::uint64_t id = 1; id <= 5; ++id) {
        std::this_thread::sleep_for(300ms);  // 1.5 s in all: longer than idle_timeout
        ASSERT_TRUE(c.round_trip(id)) << "request " << id;
    }
}

TEST(ServerTimeout, WriteTimeoutClosesAClientThatDoesNotRead) {
    // Verifies that a client that stops reading a large response is disconnected after read_timeout
    // rather than holding the session forever.
    TempDir dir;
    Options o = test_options();
    o.read_timeout = 200ms;
    TestServer s(dir.socket(), o);
    s.start();
    Client c(s.path());
    ASSERT_TRUE(c.send(request_frame(1, "big")));
    std::this_thread::sleep_for(1s);  // read nothing while the server writes
    const auto received = c.drain_until_closed(5s);
    ASSERT_TRUE(received.has_value()) << "connection still open";
    EXPECT_LT(*received, kBigResultBytes);
    EXPECT_TRUE(wait_for_connections(s.server(), 0));
}

// ---------------------------------------------------------------------------
// Connection limits

TEST(ServerLimits, ConnectionsPerUidAreCapped) {
    // Verifies that the connection over max_connections_per_uid is refused with unavailable, and a
    // freed slot can be used again.
    TempDir dir;
    Options o = test_options();
    o.max_connections_per_uid = 2;
    TestServer s(dir.socket(), o);
    s.start();
    auto a = std::make_unique<Client>(s.path());
    Client b(s.path());
    ASSERT_TRUE(a->round_trip(1));
    ASSERT_TRUE(b.round_trip(2));

    Client extra(s.path());
    ASSERT_TRUE(extra.connected());
    const std::string msg = extra.read_error(ErrorCode::unavailable);
    EXPECT_THAT(msg, HasSubstr("uid " + std::to_string(::getuid())));
    EXPECT_THAT(msg, HasSubstr("limit 2"));
    EXPECT_TRUE(extra.closed_within(2s));
    {
        std::lock_guard lock(s.events().mutex);
        ASSERT_EQ(s.events().refused.size(), 1U);
        EXPECT_EQ(s.events().refused.front(), msg);
    }
    EXPECT_TRUE(b.round_trip(3));  // the admitted ones carry on

    a.reset();
    ASSERT_TRUE(wait_for_connections(s.server(), 1));
    Client again(s.path());
    EXPECT_TRUE(again.round_trip(4));
}

TEST(ServerLimits, TotalConnectionsAreCapped) {
    // Verifies that the connection over max_connections is refused with unavailable.
    TempDir dir;
    Options o = test_options();
    o.max_connections = 1;
    TestServer s(dir.socket(), o);
    s.start();
    Client a(s.path());
    ASSERT_TRUE(a.round_trip(1));
    Client extra(s.path());
    EXPECT_THAT(extra.read_error(ErrorCode::unavailable), HasSubstr("too many connections"));
    EXPECT_TRUE(extra.closed_within(2s));
    EXPECT_EQ(s.server().connections(), 1U);
}

// ---------------------------------------------------------------------------
// The listening socket

mode_t mode_of(const fs::path& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
        ADD_FAILURE() << "cannot stat " << path;
        return 0;
    }
    EXPECT_TRUE(S_ISSOCK(st.st_mode)) << path;
    return st.st_mode & 07777;
}

TEST(ServerListen, SocketHasExactlyTheRequestedMode) {
    // Verifies that the socket file gets exactly the configured mode (0660, 0600) whatever the
    // process umask.
    const mode_t saved = ::umask(0);
    for (mode_t umask : {mode_t{0}, mode_t{022}, mode_t{077}}) {
        for (unsigned mode : {0660U, 0600U}) {
            SCOPED_TRACE(testing::Message() << std::oct << "umask " << umask << " mode " << mode);
            ::umask(umask);
            TempDir dir;
            TestServer s(dir.socket());
            s.listen(mode);
            EXPECT_EQ(mode_of(dir.socket()), mode);
        }
    }
    ::umask(saved);
}

TEST(ServerListen, RefusesWhenAnotherServerAnswers) {
    // Verifies that a second server refuses a path where a live server answers, and leaves the
    // first one serving.
    TempDir dir;
    TestServer first(dir.socket());
    first.start();

    boost::asio::io_context io;
    Server second(io, test_options(), Hooks{});
    try {
        second.listen_path(dir.socket(), 0660);
        ADD_FAILURE() << "listen_path did not refuse";
    } catch (const std::runtime_error& e) {
        EXPECT_THAT(e.what(), HasSubstr("already answering"));
    }
    Client c(dir.socket());
    ASSERT_TRUE(c.connected()) << std::strerror(c.connect_error());
    EXPECT_TRUE(c.round_trip(1));
}

TEST(ServerListen, ReplacesAStaleSocket) {
    // Verifies that a socket file nobody listens on (left by a dead daemon) is replaced and served.
    TempDir dir;
    {
        const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
        ASSERT_GE(fd, 0);
        const sockaddr_un addr = address_of(dir.socket());
        ASSERT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr), 0);
        ::close(fd);  // the file stays behind
    }
    ASSERT_TRUE(fs::is_socket(dir.socket()));
    TestServer s(dir.socket());
    s.start(0600);
    EXPECT_EQ(mode_of(dir.socket()), 0600U);
    Client c(dir.socket());
    ASSERT_TRUE(c.connected()) << std::strerror(c.connect_error());
    EXPECT_TRUE(c.round_trip(1));
}

TEST(ServerListen, RefusesAPathThatIsNotASocket) {
    // Verifies that a regular file at the socket path is refused and left untouched.
    TempDir dir;
    { std::ofstream(dir.socket()) << "precious"; }
    boost::asio::io_context io;
    Server s(io, test_options(), Hooks{});
    try {
        s.listen_path(dir.socket(), 0660);
        ADD_FAILURE() << "listen_path did not refuse";
    } catch (const std::runtime_error& e) {
        EXPECT_THAT(e.what(), HasSubstr("not a socket"));
    }
    std::ifstream in(dir.socket());
    std::string content;
    in >> content;
    EXPECT_EQ(content, "precious");
}

TEST(ServerListen, RefusesAPathTooLongForAUnixSocket) {
    // Verifies that a path longer than sun_path allows is refused with a message rather than
    // truncated.
    TempDir dir;
    boost::asio::io_context io;
    Server s(io, test_options(), Hooks{});
    const fs::path longpath = dir.path() / std::string(120, 'p');
    try {
        s.listen_path(longpath, 0660);
        ADD_FAILURE() << "listen_path did not refuse";
    } catch (const std::runtime_error& e) {
        EXPECT_THAT(e.what(), HasSubstr("too long"));
    }
}

// ---------------------------------------------------------------------------
// Shutdown

TEST(ServerShutdown, ClosesIdleConnectionsAndAnswersTheRequestInProgress) {
    // Verifies that shutdown() closes idle and half-sent connections at once, answers a request in
    // progress, then lets the io_context run out of work.
    TempDir dir;
    auto s = std::make_unique<TestServer>(dir.socket());
    s->start();

    Client idle(s->path());
    ASSERT_TRUE(idle.round_trip(1));
    Client half(s->path());
    ASSERT_TRUE(half.send(request_frame(2, "half").substr(0, 7)));
    Client busy(s->path());
    ASSERT_TRUE(busy.send(request_frame(5, "slow")));
    ASSERT_TRUE(s->events().wait_for(5s, [&] { return s->events().slow_started == 1; }));
    ASSERT_TRUE(wait_for_connections(s->server(), 3));

    s->begin_shutdown();

    EXPECT_TRUE(idle.drain_until_closed(1s).has_value());
    EXPECT_TRUE(half.drain_until_closed(1s).has_value());
    const auto r = busy.read_response(5s);
    ASSERT_TRUE(r) << "the request in progress was not answered";
    EXPECT_EQ(r->id, 5U);
    EXPECT_FALSE(r->error);
    EXPECT_EQ(r->result.at("op").as_string(), "slow");
    EXPECT_TRUE(busy.closed_within(2s));

    EXPECT_TRUE(s->wait_stopped(5s)) << "io_context still has work after shutdown";
    s->join_slow_threads();
    EXPECT_EQ(s->server().connections(), 0U);

    // Nobody answers at the path any more.
    EXPECT_FALSE(fs::exists(dir.socket()));
    Client late(dir.socket());
    EXPECT_FALSE(late.connected());
    EXPECT_EQ(s->events().malformed_count(), 0U);
}

TEST(ServerShutdown, WithNoConnectionsTheIoContextRunsOut) {
    // Verifies that shutting down an idle server ends io_context::run() and removes the socket
    // file.
    TempDir dir;
    TestServer s(dir.socket());
    s.start();
    ASSERT_TRUE(fs::exists(dir.socket()));
    EXPECT_TRUE(s.stop());
    EXPECT_FALSE(fs::exists(dir.socket()));
}

}  // namespace
}  // namespace strongroom::server
