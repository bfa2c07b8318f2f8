// Unit tests of strongroom::server, with the harness of test_server.hpp: raw
// client sockets check framing, limits, timeouts, connection caps, the
// listening socket, shutdown, and streamed content (uploads and downloads).
#include "daemon/server/server.hpp"

#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/json/object.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "daemon/protocol/frame.hpp"
#include "daemon/protocol/message.hpp"
#include "tests/unit/server/test_server.hpp"

namespace strongroom::server {
namespace {

using namespace test;  // NOLINT(google-build-using-namespace): the harness

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
// Callers without an account

// Options for the tests of the unknown budget: long idle deadlines unless a
// test shortens them.
Options budget_options() {
    Options o = test_options();
    o.unknown_idle_timeout = 30s;
    return o;
}

// The socket directory and socket opened to the test uids.
void open_to_everyone(const TempDir& dir) {
    fs::permissions(dir.path(), fs::perms(0755));
}

TEST(ServerUnknown, CallersWithoutAnAccountCannotLockOutAnAccount) {
    // Verifies issue 13's attack fails: 17 uids without an account, each opening 16 idle
    // connections (272, more than max_connections 256), leave a caller with an account served.
    if (::geteuid() != 0) {
        GTEST_SKIP() << "needs root to connect as other uids";
    }
    TempDir dir;
    open_to_everyone(dir);
    TestServer s(dir.socket(), budget_options(), true, std::set<std::uint32_t>{::getuid()});
    s.start(0666);
    std::vector<std::unique_ptr<Client>> held;
    for (std::uint32_t uid = 61101; uid < 61101 + 17; ++uid) {
        auto more = connect_as(s.path(), uid, 16);
        ASSERT_EQ(more.size(), 16U);
        for (auto& c : more) {
            held.push_back(std::move(c));
        }
    }
    // Accepted after all of them (the backlog is served in order).
    Client mine(s.path());
    ASSERT_TRUE(mine.connected());
    EXPECT_TRUE(mine.round_trip(1)) << "the caller with an account was not served";
    // The refused ones are answered and closed; at most the unknown budget stays open.
    EXPECT_TRUE(wait_for_connections(s.server(), 17));
    EXPECT_EQ(s.server().unknown_connections(), 16U);
    // Every refused uid was reported at once, with the reason it was given.
    std::lock_guard lock(s.events().mutex);
    ASSERT_FALSE(s.events().refusals.empty());
    for (const auto& r : s.events().refusals) {
        EXPECT_EQ(r.kind, Refusal::Kind::connection);
        EXPECT_GE(r.peer.uid, 61101U);
        EXPECT_THAT(r.reason, HasSubstr("Strongroom account"));
    }
}

TEST(ServerUnknown, BudgetIsCappedPerUidAndInTotal) {
    // Verifies max_unknown_connections_per_uid and max_unknown_connections, with their messages,
    // while a known caller's connections are counted apart.
    if (::geteuid() != 0) {
        GTEST_SKIP() << "needs root to connect as other uids";
    }
    TempDir dir;
    open_to_everyone(dir);
    Options o = budget_options();
    o.max_unknown_connections = 3;
    o.max_unknown_connections_per_uid = 2;
    o.max_connections = 2;
    o.max_connections_per_uid = 2;
    TestServer s(dir.socket(), o, true, std::set<std::uint32_t>{::getuid()});
    s.start(0666);
    auto first = connect_as(s.path(), 61001, 3);
    ASSERT_EQ(first.size(), 3U);
    EXPECT_TRUE(first[0]->round_trip(1));
    EXPECT_TRUE(first[1]->round_trip(2));
    EXPECT_THAT(first[2]->read_error(ErrorCode::unavailable),
                HasSubstr("too many connections from uid 61001, which has no Strongroom account "
                          "(limit 2)"));
    auto second = connect_as(s.path(), 61002, 2);
    ASSERT_EQ(second.size(), 2U);
    EXPECT_TRUE(second[0]->round_trip(3));
    EXPECT_THAT(second[1]->read_error(ErrorCode::unavailable),
                HasSubstr("too many connections from callers without a Strongroom account "
                          "(limit 3); uid 61002 has none"));
    EXPECT_TRUE(wait_for_connections(s.server(), 3));
    EXPECT_EQ(s.server().unknown_connections(), 3U);

    // Known callers have the whole of max_connections to themselves.
    Client a(s.path());
    Client b(s.path());
    EXPECT_TRUE(a.round_trip(4));
    EXPECT_TRUE(b.round_trip(5));
    Client c(s.path());
    EXPECT_THAT(c.read_error(ErrorCode::unavailable), HasSubstr("limit 2"));
    EXPECT_EQ(s.server().connections(), 5U);
}

TEST(ServerUnknown, IdleConnectionsOfUnknownCallersCloseQuickly) {
    // Verifies that a connection of a caller without an account is closed after
    // unknown_idle_timeout, before and after a request, while a known caller's stays open.
    TempDir dir;
    Options o = budget_options();
    o.unknown_idle_timeout = 300ms;
    o.idle_timeout = 30s;
    TestServer s(dir.socket(), o, true, std::set<std::uint32_t>{});
    s.start();
    Client silent(s.path());
    Client served(s.path());
    ASSERT_TRUE(served.round_trip(1));
    const auto start = SteadyClock::now();
    EXPECT_TRUE(silent.drain_until_closed(3s).has_value());
    EXPECT_TRUE(served.drain_until_closed(3s).has_value());
    EXPECT_GE(SteadyClock::now() - start, 200ms);
    EXPECT_LT(SteadyClock::now() - start, 2s);

    s.set_known(::getuid(), true);
    Client known(s.path());
    ASSERT_TRUE(known.round_trip(2));
    EXPECT_TRUE(known.quiet_for(1s)) << "a known caller's connection was closed";
    EXPECT_TRUE(known.round_trip(3));
}

TEST(ServerUnknown, AnAccountAddedWhileConnectedMovesToTheKnownBudget) {
    // Verifies that a connection opened before its caller had an account is counted as known
    // after its next request, and keeps the long idle deadline from then on.
    TempDir dir;
    Options o = budget_options();
    o.unknown_idle_timeout = 1s;
    TestServer s(dir.socket(), o, true, std::set<std::uint32_t>{});
    s.start();
    Client c(s.path());
    ASSERT_TRUE(c.round_trip(1));
    EXPECT_EQ(s.server().unknown_connections(), 1U);
    s.set_known(::getuid(), true);  // an officer adds the account
    ASSERT_TRUE(c.round_trip(2));
    EXPECT_EQ(s.server().unknown_connections(), 0U);
    EXPECT_EQ(s.server().connections(), 1U);
    EXPECT_TRUE(c.quiet_for(1500ms)) << "closed with the unknown idle deadline";
    EXPECT_TRUE(c.round_trip(3));
}

TEST(ServerUnknown, ASuspendedAccountsIdleConnectionMovesToTheUnknownBudget) {
    // Verifies that an idle connection whose account is suspended is moved to the unknown budget
    // by the sweep, without sending anything, and then closed after the short idle deadline.
    TempDir dir;
    Options o = budget_options();
    o.unknown_idle_timeout = 300ms;
    TestServer s(dir.socket(), o, true, std::set<std::uint32_t>{::getuid()});
    s.start();
    Client c(s.path());
    ASSERT_TRUE(c.round_trip(1));
    EXPECT_TRUE(c.quiet_for(600ms));
    EXPECT_EQ(s.server().unknown_connections(), 0U);
    s.set_known(::getuid(), false);  // an officer suspends the account
    const auto start = SteadyClock::now();
    EXPECT_TRUE(c.drain_until_closed(3s).has_value()) << "still open with the long idle deadline";
    EXPECT_LT(SteadyClock::now() - start, 2s);
    EXPECT_TRUE(wait_for_connections(s.server(), 0));
    EXPECT_EQ(s.server().unknown_connections(), 0U);
}

// ---------------------------------------------------------------------------
// Reports of refusals

TEST(ServerReports, RefusalsOfAUidAreReportedOnceThenSummed) {
    // Verifies that of a burst of refused connections the first is reported at once and the rest
    // once, after report_interval, with their count; the reports then stop.
    TempDir dir;
    Options o = test_options();
    o.max_connections_per_uid = 1;
    o.report_interval = 400ms;
    TestServer s(dir.socket(), o);
    s.start();
    Client held(s.path());
    ASSERT_TRUE(held.round_trip(1));
    for (int i = 0; i < 5; ++i) {
        Client extra(s.path());
        EXPECT_THAT(extra.read_error(ErrorCode::unavailable), HasSubstr("limit 1"));
    }
    ASSERT_TRUE(s.events().wait_for(5s, [&] { return s.events().refusals.size() >= 2; }));
    EXPECT_FALSE(s.events().wait_for(1s, [&] { return s.events().refusals.size() > 2; }));
    std::lock_guard lock(s.events().mutex);
    const auto& r = s.events().refusals;
    ASSERT_EQ(r.size(), 2U);
    EXPECT_EQ(r[0].count, 1U);
    EXPECT_EQ(r[0].period, 0ms);
    EXPECT_EQ(r[1].count, 4U);
    EXPECT_GE(r[1].period, 300ms);
    EXPECT_EQ(r[1].peer.uid, ::getuid());
    EXPECT_EQ(r[1].kind, Refusal::Kind::connection);
}

TEST(ServerReports, GatheredRefusalsAreReportedAtShutdown) {
    // Verifies that refusals still being gathered when the server stops are reported, not lost.
    TempDir dir;
    Options o = test_options();
    o.max_connections_per_uid = 1;
    o.report_interval = 60s;
    TestServer s(dir.socket(), o);
    s.start();
    {
        Client held(s.path());
        ASSERT_TRUE(held.round_trip(1));
        for (int i = 0; i < 3; ++i) {
            Client extra(s.path());
            EXPECT_EQ(extra.read_error(ErrorCode::unavailable).empty(), false);
        }
    }
    EXPECT_EQ(s.events().read([&] { return s.events().refusals.size(); }), 1U);
    ASSERT_TRUE(s.stop());
    std::lock_guard lock(s.events().mutex);
    ASSERT_EQ(s.events().refusals.size(), 2U);
    EXPECT_EQ(s.events().refusals[1].count, 2U);
}

// ---------------------------------------------------------------------------
// Request rate

TEST(ServerRate, RequestsOverTheRateAreRefusedAndTheConnectionCarriesOn) {
    // Verifies that beyond request_burst the requests of a uid are answered with unavailable
    // (their ids, the limit named) without reaching the hook, and that the connection is served
    // again once tokens have come back.
    TempDir dir;
    Options o = test_options();
    o.requests_per_second = 5;
    o.request_burst = 3;
    o.report_interval = 300ms;
    TestServer s(dir.socket(), o);
    s.start();
    Client c(s.path());
    std::string burst;
    for (std::uint64_t id = 1; id <= 5; ++id) {
        burst += request_frame(id, "echo");
    }
    ASSERT_TRUE(c.send(burst));
    for (std::uint64_t id = 1; id <= 5; ++id) {
        const auto r = c.read_response();
        ASSERT_TRUE(r);
        EXPECT_EQ(r->id, id);
        if (id <= 3) {
            EXPECT_FALSE(r->error) << id;
            continue;
        }
        ASSERT_TRUE(r->error) << id;
        EXPECT_EQ(r->error->code, ErrorCode::unavailable);
        EXPECT_EQ(r->error->message, "too many requests from uid " + std::to_string(::getuid()) +
                                         " (limit 5/s, burst 3); slow down and retry");
    }
    EXPECT_EQ(s.events().read([&] { return s.events().request_peers.size(); }), 3U);
    std::this_thread::sleep_for(450ms);  // two tokens back
    EXPECT_TRUE(c.round_trip(6));
    EXPECT_TRUE(c.round_trip(7));
    // Reported: the first refusal at once, the second in a summary.
    ASSERT_TRUE(s.events().wait_for(5s, [&] { return s.events().refusals.size() >= 2; }));
    std::lock_guard lock(s.events().mutex);
    EXPECT_EQ(s.events().refusals[0].kind, Refusal::Kind::request);
    EXPECT_EQ(s.events().refusals[0].count, 1U);
    EXPECT_EQ(s.events().refusals[1].count, 1U);
    EXPECT_GT(s.events().refusals[1].period, 0ms);
    EXPECT_EQ(s.events().malformed.size(), 0U);
}

TEST(ServerRate, TheRateIsPerUidAndOutlivesItsConnections) {
    // Verifies that one bucket serves all the connections of a uid, that reconnecting does not
    // refill it, and that another uid has its own.
    TempDir dir;
    open_to_everyone(dir);
    Options o = test_options();
    o.requests_per_second = 1;
    o.request_burst = 2;
    TestServer s(dir.socket(), o);
    s.start(0666);
    {
        Client a(s.path());
        Client b(s.path());
        EXPECT_TRUE(a.round_trip(1));
        EXPECT_TRUE(b.round_trip(2));
        ASSERT_TRUE(a.send(request_frame(3, "echo")));
        const auto r = a.read_response();
        ASSERT_TRUE(r && r->error);
        EXPECT_EQ(r->error->code, ErrorCode::unavailable);
    }
    ASSERT_TRUE(wait_for_connections(s.server(), 0));
    Client again(s.path());
    ASSERT_TRUE(again.send(request_frame(4, "echo")));
    const auto r = again.read_response();
    ASSERT_TRUE(r && r->error) << "a new connection refilled the bucket";
    EXPECT_EQ(r->id, 4U);
    if (::geteuid() == 0) {
        auto other = connect_as(s.path(), 61001, 1);
        ASSERT_EQ(other.size(), 1U);
        EXPECT_TRUE(other[0]->round_trip(5)) << "another uid was limited too";
    }
}

TEST(ServerRate, AnUploadOverTheRateIsRefusedAfterItsContent) {
    // Verifies that an upload over the rate never reaches the upload hook: its content is read and
    // dropped, the refusal follows data_end, and the connection serves the next request.
    TempDir dir;
    Options o = test_options();
    o.requests_per_second = 2;
    o.request_burst = 1;
    TestServer s(dir.socket(), o);
    s.start();
    Client c(s.path());
    ASSERT_TRUE(c.round_trip(1));
    ASSERT_TRUE(c.send(upload_frame(2, "upload") + data_frame("some") + data_frame("content")));
    EXPECT_TRUE(c.quiet_for(100ms)) << "answered before data_end";
    ASSERT_TRUE(c.send(data_end_frame()));
    const auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->id, 2U);
    ASSERT_TRUE(r->error);
    EXPECT_EQ(r->error->code, ErrorCode::unavailable);
    EXPECT_THAT(r->error->message, HasSubstr("too many requests"));
    EXPECT_TRUE(s.events().read([&] { return s.events().upload_ops.empty(); }));
    std::this_thread::sleep_for(600ms);
    EXPECT_TRUE(c.round_trip(3));
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

// ---------------------------------------------------------------------------
// Uploads

// The bytes every sink accepted, in order.
std::string written_bytes(Events& events) {
    return events.read([&] {
        std::string all;
        for (const auto& w : events.written) {
            all += w;
        }
        return all;
    });
}

TEST(ServerUpload, ContentReachesTheSinkInOrderAndTheAnswerFollowsDataEnd) {
    // Verifies that each data frame reaches the sink's write() in order, that nothing is answered
    // before data_end, and that finish() then answers (at once or from another thread) with the
    // request's id on a connection that carries on.
    TempDir dir;
    TestServer s(dir.socket());
    s.start();
    Client c(s.path());
    const std::vector<std::string> chunks = {"alpha", "beta", content_of(300000)};
    std::uint64_t id = 10;
    for (const char* op : {"upload", "upload.later"}) {
        SCOPED_TRACE(op);
        s.events().update([&] { s.events().written.clear(); });
        ++id;
        ASSERT_TRUE(c.send(upload_frame(id, op) + data_frame(chunks[0]) + data_frame(chunks[1]) +
                           data_frame(chunks[2])));
        ASSERT_TRUE(s.events().wait_for(5s, [&] { return s.events().written.size() == 3; }));
        EXPECT_TRUE(c.quiet_for(50ms)) << "answered before data_end";
        EXPECT_EQ(s.events().read([&] { return s.events().finished; }), id == 11 ? 0 : 1);

        ASSERT_TRUE(c.send(data_end_frame()));
        const auto r = c.read_response();
        ASSERT_TRUE(r);
        EXPECT_EQ(r->id, id);
        ASSERT_FALSE(r->error) << r->error->message;
        EXPECT_EQ(r->result.at("frames").to_number<int>(), 3);
        EXPECT_EQ(r->result.at("bytes").to_number<std::size_t>(),
                  chunks[0].size() + chunks[1].size() + chunks[2].size());
        EXPECT_EQ(s.events().read([&] { return s.events().written; }), chunks);
        EXPECT_TRUE(c.round_trip(id + 100));
    }
    EXPECT_TRUE(s.events().wait_for(5s, [&] { return s.events().sinks_alive == 0; }));
    EXPECT_EQ(s.events().read([&] { return s.events().finished; }), 2);
    EXPECT_EQ(s.events().read([&] { return s.events().abandoned; }), 0);
    EXPECT_EQ(s.events().malformed_count(), 0U);
}

TEST(ServerUpload, LargeContentInFullFramesAndAPipelinedRequest) {
    // Verifies that 4 MiB in frames of 256 KiB, sent in one write with data_end and a next
    // request behind them, arrive intact one frame per write, and both requests are answered.
    TempDir dir;
    TestServer s(dir.socket());
    s.start();
    Client c(s.path());
    constexpr std::size_t kFrame = 256 * 1024;
    const std::string content = content_of(16 * kFrame);
    std::string bytes = upload_frame(1, "upload");
    for (std::size_t off = 0; off < content.size(); off += kFrame) {
        bytes += data_frame(std::string_view(content).substr(off, kFrame));
    }
    bytes += data_end_frame() + request_frame(2, "echo");
    ASSERT_TRUE(c.send(bytes));
    const auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->id, 1U);
    ASSERT_FALSE(r->error) << r->error->message;
    EXPECT_EQ(r->result.at("frames").to_number<int>(), 16);
    const auto r2 = c.read_response();
    ASSERT_TRUE(r2);
    EXPECT_EQ(r2->id, 2U);
    EXPECT_FALSE(r2->error);
    EXPECT_TRUE(written_bytes(s.events()) == content) << "content differs";
    for (const auto& w : s.events().read([&] { return s.events().written; })) {
        EXPECT_EQ(w.size(), kFrame);
    }
}

TEST(ServerUpload, RefusalIsAnsweredAfterTheContentAndTheConnectionCarriesOn) {
    // Verifies that when the upload hook refuses, the content is read and discarded, the refusal
    // is sent (with the request's id) only after data_end, and the connection serves the next
    // request.
    TempDir dir;
    TestServer s(dir.socket());
    s.start();
    Client c(s.path());
    ASSERT_TRUE(c.send(upload_frame(4, "upload.refused") + data_frame("one") + data_frame("two")));
    ASSERT_TRUE(s.events().wait_for(5s, [&] { return s.events().upload_ops.size() == 1; }));
    EXPECT_TRUE(c.quiet_for(50ms)) << "answered before data_end";
    ASSERT_TRUE(c.send(data_frame(content_of(500000)) + data_end_frame()));
    const auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->id, 4U);
    ASSERT_TRUE(r->error);
    EXPECT_EQ(r->error->code, ErrorCode::denied);
    EXPECT_EQ(r->error->message, "uploads are refused here");
    EXPECT_TRUE(c.round_trip(5));
    EXPECT_TRUE(s.events().read([&] { return s.events().written.empty(); }));
    EXPECT_EQ(s.events().malformed_count(), 0U);
}

TEST(ServerUpload, WithoutAnUploadHookContentIsRefusedAfterDataEnd) {
    // Verifies that a server without an upload hook answers a streamed request with bad_request
    // after its content, and keeps the connection.
    TempDir dir;
    TestServer s(dir.socket(), test_options(), false);
    s.start();
    Client c(s.path());
    ASSERT_TRUE(c.send(upload_frame(6, "upload") + data_frame("x") + data_end_frame()));
    const auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->id, 6U);
    ASSERT_TRUE(r->error);
    EXPECT_EQ(r->error->code, ErrorCode::bad_request);
    EXPECT_THAT(r->error->message, HasSubstr("not accepted"));
    EXPECT_TRUE(c.round_trip(7));
    EXPECT_EQ(s.events().malformed_count(), 0U);
}

TEST(ServerUpload, SinkWriteErrorAbandonsAndIsAnsweredAfterTheContent) {
    // Verifies that a write refused by the sink abandons it (never finished), the rest of the
    // content is discarded, the refusal is the answer after data_end, and the connection carries
    // on.
    TempDir dir;
    TestServer s(dir.socket());
    s.start();
    Client c(s.path());
    ASSERT_TRUE(c.send(upload_frame(8, "upload.picky") + data_frame("one") + data_frame("two") +
                       data_frame("three") + data_frame("four") + data_end_frame()));
    const auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->id, 8U);
    ASSERT_TRUE(r->error);
    EXPECT_EQ(r->error->code, ErrorCode::conflict);
    EXPECT_EQ(r->error->message, TestSink::fmt_refusal(2));
    EXPECT_TRUE(c.round_trip(9));
    EXPECT_EQ(s.events().read([&] { return s.events().written; }), std::vector<std::string>{"one"});
    EXPECT_EQ(s.events().read([&] { return s.events().abandoned; }), 1);
    EXPECT_EQ(s.events().read([&] { return s.events().finished; }), 0);
    EXPECT_TRUE(s.events().wait_for(5s, [&] { return s.events().sinks_alive == 0; }));
}

TEST(ServerUpload, ConnectionClosedMidUploadAbandonsOnce) {
    // Verifies that a client leaving before data_end gets its sink abandoned exactly once and
    // never finished, its connection released, and other clients served.
    TempDir dir;
    TestServer s(dir.socket());
    s.start();
    {
        Client c(s.path());
        ASSERT_TRUE(c.send(upload_frame(1, "upload") + data_frame("partial")));
        ASSERT_TRUE(s.events().wait_for(5s, [&] { return s.events().written.size() == 1; }));
    }
    ASSERT_TRUE(s.events().wait_for(5s, [&] { return s.events().abandoned == 1; }));
    EXPECT_TRUE(s.events().wait_for(5s, [&] { return s.events().sinks_alive == 0; }));
    EXPECT_TRUE(wait_for_connections(s.server(), 0));
    Client other(s.path());
    EXPECT_TRUE(other.round_trip(2));
    EXPECT_EQ(s.events().read([&] { return s.events().abandoned; }), 1);
    EXPECT_EQ(s.events().read([&] { return s.events().finished; }), 0);
}

TEST(ServerUpload, OversizedDataFrameIsMalformed) {
    // Verifies that a data frame over the frame limit is refused as malformed before its payload,
    // the connection closed and the sink abandoned.
    TempDir dir;
    Options o = test_options();
    o.limits.max_frame_bytes = 1024;
    TestServer s(dir.socket(), o);
    s.start();
    Client c(s.path());
    ASSERT_TRUE(c.send(upload_frame(1, "upload") + data_frame("fine") + header(1025, 2)));
    EXPECT_THAT(c.read_error(ErrorCode::bad_request), HasSubstr("limit of 1024"));
    EXPECT_TRUE(c.closed_within(2s));
    EXPECT_EQ(s.events().malformed_count(), 1U);
    EXPECT_EQ(s.events().read([&] { return s.events().abandoned; }), 1);
    EXPECT_EQ(s.events().read([&] { return s.events().finished; }), 0);
}

TEST(ServerUpload, MessageFrameBeforeDataEndIsMalformed) {
    // Verifies that a request arriving where data frames are expected is malformed: answered with
    // bad_request, the connection closed, the sink abandoned and never finished.
    TempDir dir;
    TestServer s(dir.socket());
    s.start();
    Client c(s.path());
    ASSERT_TRUE(c.send(upload_frame(1, "upload") + data_frame("a") + request_frame(2, "echo")));
    EXPECT_THAT(c.read_error(ErrorCode::bad_request), HasSubstr("before the end of the content"));
    EXPECT_TRUE(c.closed_within(2s));
    EXPECT_EQ(s.events().malformed_count(), 1U);
    EXPECT_EQ(s.events().read([&] { return s.events().abandoned; }), 1);
    EXPECT_EQ(s.events().read([&] { return s.events().finished; }), 0);
    // A streamed request inside an upload is no different.
    Client d(s.path());
    ASSERT_TRUE(d.send(upload_frame(1, "upload") + upload_frame(2, "upload")));
    d.read_error(ErrorCode::bad_request);
    EXPECT_TRUE(d.closed_within(2s));
    EXPECT_EQ(s.events().read([&] { return s.events().abandoned; }), 2);
}

TEST(ServerUpload, ReadDeadlineIsForEachFrame) {
    // Verifies that an upload may last longer than read_timeout as long as each frame comes in
    // time (eight frames 250 ms apart against a 1 s deadline).
    TempDir dir;
    Options o = test_options();
    o.read_timeout = 1s;
    TestServer s(dir.socket(), o);
    s.start();
    Client c(s.path());
    ASSERT_TRUE(c.send(upload_frame(1, "upload")));
    for (int i = 0; i < 8; ++i) {
        std::this_thread::sleep_for(250ms);  // pacing, not synchronisation
        ASSERT_TRUE(c.send(data_frame("tick"))) << "frame " << i;
    }
    ASSERT_TRUE(c.send(data_end_frame()));
    const auto r = c.read_response();
    ASSERT_TRUE(r);
    ASSERT_FALSE(r->error) << r->error->message;
    EXPECT_EQ(r->result.at("frames").to_number<int>(), 8);
}

TEST(ServerUpload, StalledUploadIsClosedAndAbandoned) {
    // Verifies that an upload whose next frame does not come within read_timeout is closed and its
    // sink abandoned.
    TempDir dir;
    Options o = test_options();
    o.read_timeout = 200ms;
    TestServer s(dir.socket(), o);
    s.start();
    Client c(s.path());
    ASSERT_TRUE(c.send(upload_frame(1, "upload") + data_frame("then nothing")));
    EXPECT_TRUE(c.drain_until_closed(3s).has_value());
    EXPECT_TRUE(s.events().wait_for(2s, [&] { return s.events().abandoned == 1; }));
    EXPECT_EQ(s.events().read([&] { return s.events().finished; }), 0);
}

TEST(ServerUpload, ShutdownAbandonsAnUploadInProgress) {
    // Verifies that shutdown closes a connection in the middle of an upload, abandoning its sink,
    // and the server then stops.
    TempDir dir;
    TestServer s(dir.socket());
    s.start();
    Client c(s.path());
    ASSERT_TRUE(c.send(upload_frame(1, "upload") + data_frame("partial")));
    ASSERT_TRUE(s.events().wait_for(5s, [&] { return s.events().written.size() == 1; }));
    s.begin_shutdown();
    EXPECT_TRUE(c.drain_until_closed(2s).has_value());
    EXPECT_TRUE(s.wait_stopped(5s));
    EXPECT_EQ(s.events().read([&] { return s.events().abandoned; }), 1);
    EXPECT_EQ(s.events().read([&] { return s.events().finished; }), 0);
    EXPECT_EQ(s.events().read([&] { return s.events().sinks_alive; }), 0);
}

// ---------------------------------------------------------------------------
// Downloads

json::object download_args(std::size_t bytes, std::size_t chunk = 0, std::size_t fail_at = 0) {
    json::object args;
    args["bytes"] = bytes;
    if (chunk != 0) {
        args["chunk"] = chunk;
    }
    if (fail_at != 0) {
        args["fail_at"] = fail_at;
    }
    return args;
}

std::string download_frame(std::uint64_t id, const json::object& args) {
    protocol::Request r;
    r.id = id;
    r.op = "download";
    r.args = args;
    return protocol::encode_frame(protocol::FrameType::message, protocol::encode_request(r));
}

TEST(ServerDownload, ContentArrivesIntactThenTheConnectionCarriesOn) {
    // Verifies that content from a source follows its response ("stream": true) as data frames of
    // at most 256 KiB, ends with data_end, and the connection then serves the next request; with
    // reads of the whole buffer and of odd sizes.
    TempDir dir;
    TestServer s(dir.socket());
    s.start();
    Client c(s.path());
    constexpr std::size_t kSize = 3 * 1024 * 1024 + 12345;
    std::uint64_t id = 0;
    for (std::size_t chunk : {std::size_t{0}, std::size_t{100000}}) {
        SCOPED_TRACE(chunk);
        ++id;
        ASSERT_TRUE(c.send(download_frame(id, download_args(kSize, chunk))));
        const auto r = c.read_response();
        ASSERT_TRUE(r);
        EXPECT_EQ(r->id, id);
        EXPECT_FALSE(r->error);
        EXPECT_TRUE(r->stream);
        const auto content = c.read_content();
        EXPECT_TRUE(content.ended);
        EXPECT_TRUE(content.bytes == content_of(kSize)) << "content differs";
        EXPECT_LE(content.largest, 256U * 1024U);
        if (chunk != 0) {
            EXPECT_EQ(content.largest, chunk);
        }
        EXPECT_TRUE(c.round_trip(id + 100));
    }
}

TEST(ServerDownload, EmptyContentIsJustDataEnd) {
    // Verifies that an empty source sends the response and data_end, no data frame.
    TempDir dir;
    TestServer s(dir.socket());
    s.start();
    Client c(s.path());
    ASSERT_TRUE(c.send(download_frame(1, download_args(0))));
    const auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->stream);
    const auto content = c.read_content();
    EXPECT_TRUE(content.ended);
    EXPECT_EQ(content.frames, 0U);
    EXPECT_TRUE(c.round_trip(2));
}

TEST(ServerDownload, SourceErrorClosesWithoutDataEnd) {
    // Verifies that a source failing mid-way closes the connection after the content sent so far,
    // without data_end, so the client knows it is incomplete; others carry on.
    TempDir dir;
    TestServer s(dir.socket());
    s.start();
    Client c(s.path());
    ASSERT_TRUE(c.send(download_frame(1, download_args(3 * 1024 * 1024, 0, 1024 * 1024))));
    const auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->stream);
    const auto content = c.read_content();
    EXPECT_FALSE(content.ended);
    EXPECT_TRUE(content.bytes == content_of(1024 * 1024)) << "content differs";
    EXPECT_TRUE(wait_for_connections(s.server(), 0));
    Client other(s.path());
    EXPECT_TRUE(other.round_trip(2));
    EXPECT_EQ(s.events().malformed_count(), 0U);
}

TEST(ServerDownload, ShutdownLetsADownloadInProgressFinish) {
    // Verifies that a download being sent when shutdown begins is sent whole, with data_end,
    // before its connection is closed; the idle connection on the same worker shows the drain
    // has happened first.
    TempDir dir;
    Options o = test_options();
    o.threads = 1;
    TestServer s(dir.socket(), o);
    s.start();
    Client idle(s.path());
    ASSERT_TRUE(idle.round_trip(1));
    Client c(s.path());
    constexpr std::size_t kSize = 8 * 1024 * 1024;  // far more than the socket buffers
    ASSERT_TRUE(c.send(download_frame(2, download_args(kSize))));
    const auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->stream);

    s.begin_shutdown();
    EXPECT_TRUE(idle.drain_until_closed(2s).has_value());
    const auto content = c.read_content();
    EXPECT_TRUE(content.ended);
    EXPECT_TRUE(content.bytes == content_of(kSize)) << "content differs";
    EXPECT_TRUE(c.closed_within(2s));
    EXPECT_TRUE(s.wait_stopped(5s));
}

TEST(ServerDownload, ClientThatStopsReadingIsClosedEvenDuringShutdown) {
    // Verifies that each write of a download has the write deadline, also once shutdown has begun:
    // a client that stops reading is cut off and the server still stops.
    TempDir dir;
    Options o = test_options();
    o.read_timeout = 200ms;
    o.threads = 1;
    TestServer s(dir.socket(), o);
    s.start();
    constexpr std::size_t kSize = 16 * 1024 * 1024;
    Client c(s.path());
    ASSERT_TRUE(c.send(download_frame(1, download_args(kSize))));
    ASSERT_TRUE(c.read_response());
    s.begin_shutdown();  // while the server waits for the client to read
    EXPECT_TRUE(s.wait_stopped(5s)) << "a stalled download held up shutdown";
    const auto received = c.drain_until_closed(5s);
    ASSERT_TRUE(received.has_value()) << "connection still open";
    EXPECT_LT(*received, kSize);
}

}  // namespace
}  // namespace strongroom::server
