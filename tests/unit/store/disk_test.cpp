// Tests of DiskSpace (daemon/store/disk.hpp) on a small tmpfs: the levels at
// the thresholds, the reserve released when the file system fills and taken
// back when space returns. Skipped where a tmpfs cannot be mounted.
#include "daemon/store/disk.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "tests/support/temp_store.hpp"

namespace strongroom::store {
namespace {

constexpr std::uint64_t kMiB = 1ULL << 20;

// A 32 MiB tmpfs on a scratch directory.
class Tmpfs {
public:
    Tmpfs() : path_(dir_.path() / "fs") {
        std::filesystem::create_directory(path_);
        mounted_ = ::mount("tmpfs", path_.c_str(), "tmpfs", 0, "size=32m") == 0;
    }
    ~Tmpfs() {
        if (mounted_) {
            ::umount2(path_.c_str(), MNT_DETACH);
        }
    }
    Tmpfs(const Tmpfs&) = delete;
    Tmpfs& operator=(const Tmpfs&) = delete;
    bool mounted() const { return mounted_; }
    const std::filesystem::path& path() const { return path_; }

    // A file of `bytes` (allocated), or as much as fits.
    void fill(const std::string& name, std::uint64_t bytes) const {
        const auto p = path_ / name;
        const int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        ASSERT_GE(fd, 0);
        const std::string block(64 * 1024, 'z');
        for (std::uint64_t done = 0; done < bytes;) {
            const auto n = ::write(fd, block.data(), block.size());
            if (n <= 0) {
                break;
            }
            done += static_cast<std::uint64_t>(n);
        }
        ::close(fd);
    }

private:
    test::ScratchDir dir_;
    std::filesystem::path path_;
    bool mounted_ = false;
};

DiskOptions options(const std::filesystem::path& dir) {
    DiskOptions o;
    o.dir = dir;
    o.reserve_bytes = 4 * kMiB;
    o.space_left_bytes = 16 * kMiB;
    o.admin_space_left_bytes = 8 * kMiB;
    return o;
}

TEST(DiskSpace, LevelsFollowTheThresholdsAndAreReported) {
    // Free space below space_left is low, below admin_space_left critical (changes refused);
    // each change of level is reported once, and the reserve counts as used.
    Tmpfs fs;
    if (!fs.mounted()) {
        GTEST_SKIP() << "cannot mount a tmpfs here";
    }
    DiskSpace disk(options(fs.path()));
    std::vector<std::pair<DiskLevel, DiskLevel>> changes;
    disk.on_change(
        [&](DiskLevel from, DiskLevel to, const DiskReading&) { changes.emplace_back(from, to); });
    auto r = disk.check();
    EXPECT_EQ(r.level, DiskLevel::ok);
    EXPECT_EQ(r.reserve_bytes, 4 * kMiB);
    EXPECT_NEAR(static_cast<double>(r.free_bytes), 28.0 * kMiB, 0.5 * kMiB);
    EXPECT_TRUE(disk.accepting_changes());

    fs.fill("a", 14 * kMiB);  // 14 MiB free
    EXPECT_EQ(disk.check().level, DiskLevel::low);
    EXPECT_TRUE(disk.accepting_changes());
    fs.fill("b", 8 * kMiB);  // 6 MiB free
    EXPECT_EQ(disk.check().level, DiskLevel::critical);
    EXPECT_FALSE(disk.accepting_changes());
    EXPECT_NE(disk.changes_refused().find("nearly full"), std::string::npos);
    EXPECT_NE(disk.changes_refused().find(fs.path().string()), std::string::npos);
    // Back above admin_space_left by less than the margin: still critical.
    std::filesystem::resize_file(fs.path() / "b", 5 * kMiB + kMiB / 2);
    EXPECT_EQ(disk.check().level, DiskLevel::critical);
    std::filesystem::remove(fs.path() / "b");
    std::filesystem::remove(fs.path() / "a");
    EXPECT_EQ(disk.check().level, DiskLevel::ok);
    const std::vector<std::pair<DiskLevel, DiskLevel>> expected{
        {DiskLevel::ok, DiskLevel::low},
        {DiskLevel::low, DiskLevel::critical},
        {DiskLevel::critical, DiskLevel::ok}};
    EXPECT_EQ(changes, expected);
}

TEST(DiskSpace, TheReserveIsReleasedWhenFullAndTakenBackWhenSpaceReturns) {
    // out_of_space() frees the reserve's blocks at once and keeps the level critical; once
    // there is room again the reserve is allocated again and changes are accepted.
    Tmpfs fs;
    if (!fs.mounted()) {
        GTEST_SKIP() << "cannot mount a tmpfs here";
    }
    auto o = options(fs.path());
    o.space_left_bytes = 0;
    o.admin_space_left_bytes = 0;
    DiskSpace disk(o);
    EXPECT_EQ(std::filesystem::file_size(fs.path() / "audit-reserve"), 4 * kMiB);
    fs.fill("filler", 64 * kMiB);  // everything
    EXPECT_TRUE(disk.out_of_space());
    EXPECT_FALSE(disk.accepting_changes());
    EXPECT_EQ(std::filesystem::file_size(fs.path() / "audit-reserve"), 0U);
    // The released reserve is room for the audit trail, not free space.
    fs.fill("audit", kMiB);
    auto r = disk.check();
    EXPECT_EQ(r.level, DiskLevel::critical);
    EXPECT_TRUE(r.reserve_released);
    EXPECT_EQ(r.free_bytes, 0U);
    EXPECT_FALSE(disk.out_of_space());  // nothing more to release
    std::filesystem::remove(fs.path() / "filler");
    r = disk.check();
    EXPECT_EQ(r.level, DiskLevel::ok);
    EXPECT_FALSE(r.reserve_released);
    EXPECT_EQ(std::filesystem::file_size(fs.path() / "audit-reserve"), 4 * kMiB);
    EXPECT_EQ(r.full_events, 2U);
}

}  // namespace
}  // namespace strongroom::store
