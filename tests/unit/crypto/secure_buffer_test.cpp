#include "daemon/crypto/secure_buffer.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <type_traits>

#include <linux/capability.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "tests/unit/crypto/test_util.hpp"

namespace strongroom::crypto {
namespace {

using test::has_cap_ipc_lock;

static_assert(!std::is_copy_constructible_v<SecureBuffer>);
static_assert(!std::is_copy_assignable_v<SecureBuffer>);
static_assert(std::is_nothrow_move_constructible_v<SecureBuffer>);
static_assert(std::is_nothrow_move_assignable_v<SecureBuffer>);

std::size_t page_size() {
    return static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

bool all_zero(std::span<const std::uint8_t> bytes) {
    return std::all_of(bytes.begin(), bytes.end(), [](std::uint8_t b) { return b == 0; });
}

// The VmFlags line of the mapping holding addr, from /proc/self/smaps
// ("rd wr mr mw me lo ac dd ..."), or "" when not found.
std::string vm_flags_of(const void* addr) {
    const auto target = reinterpret_cast<std::uintptr_t>(addr);
    std::ifstream smaps("/proc/self/smaps");
    std::string line;
    bool inside = false;
    while (std::getline(smaps, line)) {
        std::uintptr_t start = 0;
        std::uintptr_t end = 0;
        char dash = 0;
        std::istringstream head(line);
        if (head >> std::hex >> start >> dash >> end && dash == '-') {
            inside = target >= start && target < end;
            continue;
        }
        if (inside && line.rfind("VmFlags:", 0) == 0) {
            return line + " ";
        }
    }
    return "";
}

// Records what the last SecureBuffer destructor left in its pages.
struct WipeRecord {
    int calls = 0;
    std::size_t bytes = 0;
    bool zero = false;
};
WipeRecord g_record;

void record_wipe(std::span<const std::uint8_t> pages) {
    ++g_record.calls;
    g_record.bytes = pages.size();
    g_record.zero = all_zero(pages);
}

// Installs record_wipe for one test.
class WipeObserverScope {
public:
    WipeObserverScope() {
        g_record = {};
        test_hooks::set_wipe_observer(&record_wipe);
    }
    ~WipeObserverScope() { test_hooks::set_wipe_observer(nullptr); }
    WipeObserverScope(const WipeObserverScope&) = delete;
    WipeObserverScope& operator=(const WipeObserverScope&) = delete;
};

// Verifies a new buffer has the requested size, starts zero-filled, is page-aligned and writable.
TEST(SecureBuffer, StartsZeroedAndWritable) {
    SecureBuffer buf(100);
    ASSERT_EQ(buf.size(), 100U);
    ASSERT_NE(buf.data(), nullptr);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(buf.data()) % page_size(), 0U);
    EXPECT_TRUE(all_zero(buf.span()));
    std::fill(buf.span().begin(), buf.span().end(), std::uint8_t{0x5a});
    EXPECT_EQ(buf.data()[99], 0x5a);
    EXPECT_EQ(buf.span().size(), 100U);
}

// Verifies a zero-size buffer is valid and empty, with no mapping.
TEST(SecureBuffer, ZeroSizeIsEmpty) {
    SecureBuffer buf(0);
    EXPECT_TRUE(buf.empty());
    EXPECT_EQ(buf.data(), nullptr);
    EXPECT_TRUE(buf.span().empty());
}

// Verifies the destructor wipes every usable page before unmapping (seen through the test hook).
TEST(SecureBuffer, DestructorWipesBeforeUnmapping) {
    WipeObserverScope scope;
    {
        SecureBuffer buf(5000);  // two pages on 4 KiB systems
        std::fill(buf.span().begin(), buf.span().end(), std::uint8_t{0xa5});
        ASSERT_EQ(g_record.calls, 0);
    }
    EXPECT_EQ(g_record.calls, 1);
    EXPECT_GE(g_record.bytes, 5000U);
    EXPECT_EQ(g_record.bytes % page_size(), 0U);
    EXPECT_TRUE(g_record.zero);
}

// Verifies wipe() zeroes the contents at once and leaves the buffer usable.
TEST(SecureBuffer, WipeZeroesNow) {
    SecureBuffer buf(32);
    std::fill(buf.span().begin(), buf.span().end(), std::uint8_t{0xff});
    buf.wipe();
    EXPECT_TRUE(all_zero(buf.span()));
    buf.data()[0] = 1;
    EXPECT_EQ(buf.data()[0], 1);
}

// Verifies moving transfers the pages without copying and leaves the source empty; assignment wipes
// the old target.
TEST(SecureBuffer, MoveTransfersOwnership) {
    WipeObserverScope scope;
    SecureBuffer a(32);
    a.data()[0] = 42;
    const std::uint8_t* pages = a.data();
    const bool was_locked = a.locked();

    SecureBuffer b(std::move(a));
    EXPECT_EQ(b.data(), pages);
    EXPECT_EQ(b.size(), 32U);
    EXPECT_EQ(b.data()[0], 42);
    EXPECT_EQ(b.locked(), was_locked);
    EXPECT_TRUE(a.empty());  // NOLINT: checking the moved-from state is the point
    EXPECT_EQ(a.data(), nullptr);
    EXPECT_FALSE(a.locked());
    EXPECT_EQ(g_record.calls, 0);

    SecureBuffer c(16);
    c.data()[0] = 7;
    c = std::move(b);  // c's old pages are wiped and unmapped
    EXPECT_EQ(g_record.calls, 1);
    EXPECT_TRUE(g_record.zero);
    EXPECT_EQ(c.data(), pages);
    EXPECT_EQ(c.data()[0], 42);
}

// Verifies locked() matches the kernel's view: the pages carry the "lo" (mlocked) and "dd" (no core
// dump) flags.
TEST(SecureBuffer, LockedAndExcludedFromCoreDumps) {
    SecureBuffer buf(64);
    const std::string flags = vm_flags_of(buf.data());
    ASSERT_FALSE(flags.empty()) << "mapping not found in /proc/self/smaps";
    EXPECT_NE(flags.find(" dd "), std::string::npos) << flags;
    EXPECT_EQ(buf.locked(), flags.find(" lo ") != std::string::npos) << flags;
    if (has_cap_ipc_lock()) {
        EXPECT_TRUE(buf.locked()) << "CAP_IPC_LOCK is held, so mlock must succeed";
    }
}

// Child of UnlockableMemoryStillWorks: gives up the right to lock memory,
// then exits 0 when a SecureBuffer still works and reports !locked().
[[noreturn]] void run_without_memlock() {
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2]{};
    if (::syscall(SYS_capget, &header, data) == 0) {
        data[0].effective &= ~(1U << CAP_IPC_LOCK);
        ::syscall(SYS_capset, &header, data);
    }
    const rlimit none{0, 0};
    ::setrlimit(RLIMIT_MEMLOCK, &none);
    SecureBuffer buf(32);
    buf.data()[31] = 9;
    std::_Exit(!buf.locked() && buf.data()[31] == 9 ? 0 : 1);
}

// Verifies that when mlock is refused (no CAP_IPC_LOCK, RLIMIT_MEMLOCK 0) the buffer still works
// and locked() is false.
TEST(SecureBuffer, UnlockableMemoryStillWorks) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    EXPECT_EXIT(run_without_memlock(), ::testing::ExitedWithCode(0), "");
}

// Verifies the guard pages: touching the byte just past the usable pages, or just before them,
// faults.
TEST(SecureBuffer, GuardPagesFault) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    EXPECT_DEATH(
        {
            SecureBuffer buf(32);
            volatile std::uint8_t* past = buf.data() + page_size();
            *past = 1;
        },
        "");
    EXPECT_DEATH(
        {
            SecureBuffer buf(32);
            volatile std::uint8_t* before = buf.data() - 1;
            *before = 1;
        },
        "");
}

}  // namespace
}  // namespace strongroom::crypto
