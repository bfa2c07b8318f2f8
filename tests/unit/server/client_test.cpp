// Unit tests of strongroom::client against the test server of
// test_server.hpp: uploads sent in frames, downloads written out in order,
// and what the caller sees when either side stops half-way.
#include "admin-tools/client/client.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include <boost/json/object.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "daemon/common/error.hpp"
#include "tests/unit/server/test_server.hpp"

namespace strongroom::client {
namespace {

using namespace server::test;  // NOLINT(google-build-using-namespace): the harness
using server::Options;

constexpr std::size_t kFrame = 256 * 1024;

Connection connect(const TestServer& s) {
    auto conn = Connection::open(s.path().string());
    if (!conn) {
        throw std::runtime_error(conn.error().message);
    }
    return std::move(conn).value();
}

// Reads `content` into the chunks the client asks for.
class Reader {
public:
    explicit Reader(std::string content) : content_(std::move(content)) {}
    Result<std::size_t> operator()(std::span<std::uint8_t> buffer) {
        ++calls_;
        const std::size_t n = std::min(buffer.size(), content_.size() - offset_);
        std::memcpy(buffer.data(), content_.data() + offset_, n);
        offset_ += n;
        return n;
    }
    int calls() const { return calls_; }

private:
    std::string content_;
    std::size_t offset_ = 0;
    int calls_ = 0;
};

json::object download_args(std::size_t bytes, std::size_t fail_at = 0) {
    json::object args;
    args["bytes"] = bytes;
    if (fail_at != 0) {
        args["fail_at"] = fail_at;
    }
    return args;
}

// ---------------------------------------------------------------------------
// Uploads

TEST(ClientUpload, SendsTheContentInFramesAndReturnsTheAnswer) {
    // Verifies that call_upload sends the content in frames of 256 KiB (the last shorter), reports
    // progress after each, returns the daemon's answer, and leaves the connection usable.
    TempDir dir;
    TestServer s(dir.socket());
    s.start();
    Connection conn = connect(s);
    const std::string content = content_of(4 * kFrame + 777);
    Reader reader(content);
    std::vector<std::uint64_t> progress;
    const auto r = conn.call_upload(
        "upload", {}, [&](std::span<std::uint8_t> b) { return reader(b); },
        [&](std::uint64_t n) { progress.push_back(n); });
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_FALSE(r->error) << r->error->message;
    EXPECT_EQ(r->result.at("frames").to_number<int>(), 5);
    EXPECT_EQ(r->result.at("bytes").to_number<std::size_t>(), content.size());
    EXPECT_EQ(progress, (std::vector<std::uint64_t>{kFrame, 2 * kFrame, 3 * kFrame, 4 * kFrame,
                                                    content.size()}));
    const auto written = s.events().read([&] { return s.events().written; });
    std::string all;
    for (const auto& w : written) {
        EXPECT_LE(w.size(), kFrame);
        all += w;
    }
    EXPECT_TRUE(all == content) << "content differs";

    const auto again = conn.call("echo", {});
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_FALSE(again->error);
}

TEST(ClientUpload, EmptyContentIsJustDataEnd) {
    // Verifies that content of nothing is a request and data_end, answered as usual.
    TempDir dir;
    TestServer s(dir.socket());
    s.start();
    Connection conn = connect(s);
    const auto r = conn.call_upload(
        "upload", {}, [](std::span<std::uint8_t>) { return Result<std::size_t>(std::size_t{0}); });
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_FALSE(r->error);
    EXPECT_EQ(r->result.at("frames").to_number<int>(), 0);
}

TEST(ClientUpload, RefusalIsTheResponse) {
    // Verifies that a refused upload is a successful call whose response carries the refusal, and
    // the connection stays usable.
    TempDir dir;
    TestServer s(dir.socket());
    s.start();
    Connection conn = connect(s);
    Reader reader(content_of(kFrame * 2));
    const auto r = conn.call_upload("upload.refused", {},
                                    [&](std::span<std::uint8_t> b) { return reader(b); });
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_TRUE(r->error);
    EXPECT_EQ(r->error->code, ErrorCode::denied);
    const auto again = conn.call("echo", {});
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_FALSE(again->error);
}

TEST(ClientUpload, ReadChunkErrorAbortsAndClosesTheConnection) {
    // Verifies that an error from read_chunk is returned, the connection is closed without
    // data_end (so the daemon abandons what it received) and later calls say it is closed.
    TempDir dir;
    TestServer s(dir.socket());
    s.start();
    Connection conn = connect(s);
    int calls = 0;
    const auto r =
        conn.call_upload("upload", {}, [&](std::span<std::uint8_t> b) -> Result<std::size_t> {
            if (++calls == 1) {
                std::fill(b.begin(), b.end(), std::uint8_t{1});
                return b.size();
            }
            return make_error(ErrorCode::bad_request, "cannot read");
        });
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, "cannot read");
    EXPECT_TRUE(s.events().wait_for(5s, [&] { return s.events().abandoned == 1; }));
    EXPECT_EQ(s.events().read([&] { return s.events().finished; }), 0);
    const auto again = conn.call("echo", {});
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, ErrorCode::unavailable);
}

TEST(ClientUpload, DaemonClosingMidUploadIsUnavailable) {
    // Verifies that when the daemon closes the connection in the middle of an upload (it is
    // shutting down), the failed send is reported as unavailable.
    TempDir dir;
    TestServer s(dir.socket());
    s.start();
    Connection conn = connect(s);
    int calls = 0;
    const auto r =
        conn.call_upload("upload", {}, [&](std::span<std::uint8_t> b) -> Result<std::size_t> {
            if (++calls == 2) {
                s.begin_shutdown();
                EXPECT_TRUE(s.events().wait_for(5s, [&] { return s.events().abandoned == 1; }));
            }
            if (calls > 4) {
                return std::size_t{0};
            }
            return b.size();
        });
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::unavailable);
    EXPECT_LE(calls, 3) << "went on sending after the connection was lost";
}

TEST(ClientUpload, AnAnswerSentBeforeTheDaemonClosedIsReturned) {
    // Verifies that when the daemon answers and closes mid-upload (here: frames over its limit),
    // the caller gets that answer rather than the broken pipe.
    TempDir dir;
    Options o = test_options();
    o.limits.max_frame_bytes = 64 * 1024;
    TestServer s(dir.socket(), o);
    s.start();
    Connection conn = connect(s);
    Reader reader(content_of(16 * kFrame));
    const auto r =
        conn.call_upload("upload", {}, [&](std::span<std::uint8_t> b) { return reader(b); });
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_TRUE(r->error);
    EXPECT_EQ(r->error->code, ErrorCode::bad_request);
    EXPECT_THAT(r->error->message, ::testing::HasSubstr("limit of 65536"));
}

// ---------------------------------------------------------------------------
// Downloads

TEST(ClientDownload, WritesTheContentInOrder) {
    // Verifies that call_download passes every data frame to write_chunk in order, reports
    // progress, returns the response (with stream set) and leaves the connection usable.
    TempDir dir;
    TestServer s(dir.socket());
    s.start();
    Connection conn = connect(s);
    constexpr std::size_t kSize = 3 * 1024 * 1024 + 1;
    std::string out;
    std::uint64_t last = 0;
    int progress_calls = 0;
    const auto r = conn.call_download(
        "download", download_args(kSize),
        [&](std::span<const std::uint8_t> chunk) {
            EXPECT_LE(chunk.size(), kFrame);
            out.append(reinterpret_cast<const char*>(chunk.data()), chunk.size());
            return Status{};
        },
        [&](std::uint64_t n) {
            EXPECT_GT(n, last);
            last = n;
            ++progress_calls;
        });
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_FALSE(r->error);
    EXPECT_TRUE(r->stream);
    EXPECT_TRUE(out == content_of(kSize)) << "content differs";
    EXPECT_EQ(last, kSize);
    EXPECT_EQ(progress_calls, 13);
    const auto again = conn.call("echo", {});
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_FALSE(again->error);
}

TEST(ClientDownload, AResponseWithoutContentIsReturnedAsItIs) {
    // Verifies that a response without "stream" is returned and write_chunk never called.
    TempDir dir;
    TestServer s(dir.socket());
    s.start();
    Connection conn = connect(s);
    const auto r = conn.call_download("echo", {}, [](std::span<const std::uint8_t>) {
        ADD_FAILURE() << "write_chunk called";
        return Status{};
    });
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_FALSE(r->stream);
    EXPECT_EQ(r->result.at("op").as_string(), "echo");
}

TEST(ClientDownload, ContentCutShortIsUnavailable) {
    // Verifies that a connection closed before data_end is unavailable, saying the output is
    // incomplete, after the content that did arrive was written.
    TempDir dir;
    TestServer s(dir.socket());
    s.start();
    Connection conn = connect(s);
    std::size_t written = 0;
    const auto r = conn.call_download("download", download_args(3 * 1024 * 1024, 1024 * 1024),
                                      [&](std::span<const std::uint8_t> chunk) {
                                          written += chunk.size();
                                          return Status{};
                                      });
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::unavailable);
    EXPECT_EQ(r.error().message, "the content transfer was cut short; the output is incomplete");
    EXPECT_EQ(written, 1024U * 1024U);
}

TEST(ClientDownload, WriteChunkErrorClosesTheConnection) {
    // Verifies that an error from write_chunk is returned and the connection closed (the rest of
    // the content is never read).
    TempDir dir;
    TestServer s(dir.socket());
    s.start();
    Connection conn = connect(s);
    const auto r = conn.call_download("download", download_args(2 * 1024 * 1024),
                                      [](std::span<const std::uint8_t>) -> Status {
                                          return make_error(ErrorCode::internal, "disk full");
                                      });
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, "disk full");
    const auto again = conn.call("echo", {});
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, ErrorCode::unavailable);
    EXPECT_TRUE(wait_for_connections(s.server(), 0));
}

// ---------------------------------------------------------------------------
// Refused connections

TEST(ClientRefused, ARefusalSentBeforeTheRequestIsWrittenIsReturned) {
    // Verifies that when the daemon refuses a connection (a connection limit) and closes it before
    // the request is written, call and call_download return the daemon's refusal, not the broken
    // pipe.
    TempDir dir;
    Options o = test_options();
    o.max_connections_per_uid = 1;
    TestServer s(dir.socket(), o);
    s.start();
    Connection held = connect(s);
    ASSERT_TRUE(held.call("echo", {}).ok());
    auto refused_connection = [&] {
        Connection c = connect(s);
        // Refused at accept: answered and closed before anything is sent.
        std::this_thread::sleep_for(300ms);
        return c;
    };
    auto expect_refusal = [](const Result<protocol::Response>& r) {
        ASSERT_TRUE(r.ok()) << r.error().message;
        ASSERT_TRUE(r->error);
        EXPECT_EQ(r->error->code, ErrorCode::unavailable);
        EXPECT_THAT(r->error->message, ::testing::HasSubstr("too many connections from uid"));
    };
    Connection a = refused_connection();
    expect_refusal(a.call("echo", {}));
    Connection b = refused_connection();
    expect_refusal(b.call_download("download", download_args(10),
                                   [](std::span<const std::uint8_t>) { return Status{}; }));
}

}  // namespace
}  // namespace strongroom::client
