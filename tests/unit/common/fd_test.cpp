// The owned descriptor and the read and write loops: each closes what it
// owns exactly once, retries what a signal interrupted, and reads or writes
// everything (a pipe that delivers a byte at a time included).
#include "daemon/common/fd.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <thread>

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "daemon/common/files.hpp"

namespace strongroom {
namespace {

bool is_open(int fd) {
    return ::fcntl(fd, F_GETFD) != -1;
}

TEST(Fd, ClosesWhatItOwnsOnceAndGivesItUpOnRelease) {
    int raw = -1;
    {
        const Fd fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
        ASSERT_TRUE(fd);
        raw = fd.get();
        EXPECT_TRUE(is_open(raw));
    }
    EXPECT_FALSE(is_open(raw)) << "closed at the end of its scope";

    Fd a(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    raw = a.get();
    Fd b(std::move(a));
    EXPECT_FALSE(a);  // NOLINT: the moved-from state is the point
    EXPECT_EQ(b.get(), raw);
    Fd c;
    c = std::move(b);
    EXPECT_EQ(c.get(), raw);
    EXPECT_TRUE(is_open(raw));
    const int kept = c.release();
    EXPECT_FALSE(c);
    EXPECT_TRUE(is_open(kept)) << "release does not close";
    c.reset(kept);
    EXPECT_EQ(c.close(), 0);
    EXPECT_FALSE(is_open(kept));
    EXPECT_EQ(c.close(), 0) << "closing nothing is not an error";
    EXPECT_FALSE(Fd(-1));
}

TEST(Fd, RetryOnEintrRetriesOnlyInterruptions) {
    int calls = 0;
    const int r = retry_on_eintr([&] {
        ++calls;
        if (calls < 3) {
            errno = EINTR;
            return -1;
        }
        return 7;
    });
    EXPECT_EQ(r, 7);
    EXPECT_EQ(calls, 3);
    calls = 0;
    const int failed = retry_on_eintr([&] {
        ++calls;
        errno = EBADF;
        return -1;
    });
    EXPECT_EQ(failed, -1);
    EXPECT_EQ(errno, EBADF);
    EXPECT_EQ(calls, 1) << "another error is returned at once";
}

TEST(Fd, ReadFullAndWriteFullyMoveEverythingThroughAPipe) {
    std::array<int, 2> p{};
    ASSERT_EQ(::pipe2(p.data(), O_CLOEXEC), 0);
    Fd in(p[0]);
    Fd out(p[1]);
    std::string sent(200000, '\0');  // more than a pipe holds: short writes
    for (std::size_t i = 0; i < sent.size(); ++i) {
        sent[i] = static_cast<char>(i * 7);
    }
    std::thread writer([&] {
        EXPECT_EQ(io::write_fully(out.get(), sent), 0);
        out.reset();
    });
    std::string got(sent.size() + 10, '\0');
    const auto n =
        io::read_full(in.get(), std::span(reinterpret_cast<std::uint8_t*>(got.data()), got.size()));
    writer.join();
    ASSERT_EQ(n, static_cast<ssize_t>(sent.size())) << "stops at the end of the input";
    got.resize(static_cast<std::size_t>(n));
    EXPECT_EQ(got, sent);
    EXPECT_EQ(io::read_full(-1, std::span(reinterpret_cast<std::uint8_t*>(got.data()), 1)), -1);
    EXPECT_EQ(io::write_fully(-1, std::string_view("x")), EBADF);
}

TEST(Fd, ReadFileReadsFromTheStartAndStopsPastTheLimit) {
    char name[] = "/tmp/strongroom-fd-test-XXXXXX";
    Fd fd(::mkstemp(name));
    ASSERT_TRUE(fd);
    ::unlink(name);
    const std::string text(100000, 'a');
    ASSERT_EQ(io::write_fully(fd.get(), text), 0);
    // The position is at the end: read_file does not use it.
    std::string all = "prefix:";
    EXPECT_EQ(io::read_file(fd.get(), all), 0);
    EXPECT_EQ(all, "prefix:" + text);
    std::string limited;
    EXPECT_EQ(io::read_file(fd.get(), limited, 10), 0);
    EXPECT_GT(limited.size(), 10U) << "past the limit, so that the caller can refuse it";
    EXPECT_LE(limited.size(), text.size());
    std::string none;
    EXPECT_EQ(io::read_file(-1, none), EBADF);
}

}  // namespace
}  // namespace strongroom
