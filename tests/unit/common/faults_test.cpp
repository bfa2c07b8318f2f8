// Tests of fault injection (daemon/common/faults.hpp) and the file wrappers
// that consult it (daemon/common/files.hpp).
#include "daemon/common/faults.hpp"

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "daemon/common/files.hpp"

namespace strongroom::faults {
namespace {

TEST(Faults, NothingFailsUntilEnabledAndArmingIsIgnoredBefore) {
    // Before enable() (the test hook), arm() does nothing and every call goes ahead.
    ASSERT_FALSE(enabled());
    arm(Spec{kAllCalls, 1, ENOSPC, true});
    for (int i = 0; i < 5; ++i) {
        EXPECT_EQ(fail_with(Call::write), 0);
    }
    EXPECT_EQ(injected(), 0U);
}

TEST(Faults, SpecsSurviveTheSignalValueEncoding) {
    // encode() gives a positive value that decode() turns back into the same spec; 0 is disarm.
    for (const Spec s :
         {Spec{bit(Call::write), 1, EIO, false}, Spec{bit(Call::sync), 7, ENOSPC, true},
          Spec{kAllCalls, 65535, ENOSPC, false},
          Spec{bit(Call::open) | bit(Call::rename), 3, EIO, true}}) {
        const auto v = encode(s);
        EXPECT_GT(v, 0);
        const auto back = decode(v);
        ASSERT_TRUE(back.has_value()) << describe(s);
        EXPECT_EQ(*back, s) << describe(s);
    }
    EXPECT_FALSE(decode(0).has_value());
    EXPECT_FALSE(decode(-5).has_value());
    EXPECT_EQ(describe(Spec{bit(Call::write) | bit(Call::sync), 2, EIO, true}),
              "write|sync#2+:EIO");
}

TEST(Faults, TheNthCountedCallFailsOnceOrFromThenOn) {
    // Once enabled, only the Nth call of the armed kinds fails (every one from the Nth when
    // persistent), with the armed errno; disarm() stops it; the wrappers fail without the call.
    enable();
    const auto before = injected();
    arm(Spec{bit(Call::write), 3, ENOSPC, false});
    EXPECT_EQ(fail_with(Call::sync), 0);  // not counted
    EXPECT_EQ(fail_with(Call::write), 0);
    EXPECT_EQ(fail_with(Call::write), 0);
    EXPECT_EQ(fail_with(Call::write), ENOSPC);
    EXPECT_EQ(fail_with(Call::write), 0);
    arm(Spec{bit(Call::sync), 2, EIO, true});
    EXPECT_EQ(fail_with(Call::sync), 0);
    EXPECT_EQ(fail_with(Call::sync), EIO);
    EXPECT_EQ(fail_with(Call::sync), EIO);
    disarm();
    EXPECT_EQ(fail_with(Call::sync), 0);
    EXPECT_EQ(injected() - before, 3U);

    const auto dir = std::filesystem::temp_directory_path();
    const auto path = dir / ("sr-faults-" + std::to_string(::getpid()));
    const int fd = io::open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    ASSERT_GE(fd, 0);
    arm(Spec{bit(Call::write), 1, ENOSPC, false});
    const auto st = io::write_all(fd, "abc", path);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code, ErrorCode::unavailable);
    EXPECT_NE(st.error().message.find(path.string()), std::string::npos);
    EXPECT_TRUE(io::write_all(fd, "abc", path).ok());
    arm(Spec{bit(Call::sync), 1, EIO, false});
    EXPECT_EQ(io::fsync(fd), -1);
    EXPECT_EQ(errno, EIO);
    EXPECT_EQ(io::fsync(fd), 0);
    arm(Spec{bit(Call::rename), 1, EIO, false});
    EXPECT_EQ(io::rename(path, path.string() + ".2"), -1);
    EXPECT_TRUE(std::filesystem::exists(path));
    disarm();
    ::close(fd);
    std::filesystem::remove(path);
}

}  // namespace
}  // namespace strongroom::faults
