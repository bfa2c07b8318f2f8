#include "daemon/store/disk.hpp"

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <fmt/format.h>

#include "daemon/common/files.hpp"

namespace strongroom::store {
namespace {

constexpr std::uint64_t kMargin = 1ULL << 20;  // a level moves back up this far above its threshold
constexpr const char* kReserveName = "audit-reserve";

}  // namespace

std::string_view to_string(DiskLevel level) noexcept {
    switch (level) {
        case DiskLevel::ok:
            return "ok";
        case DiskLevel::low:
            return "low";
        case DiskLevel::critical:
            return "critical";
    }
    return "critical";
}

std::string disk_full_message(const std::filesystem::path& dir) {
    return fmt::format(
        "the file system of {} is nearly full: strongroomd refuses changes until space is freed "
        "there (strongroom-admin status shows it); nothing was stored",
        dir.string());
}

DiskSpace::DiskSpace(DiskOptions options) : options_(std::move(options)) {
    dir_fd_ = ::open(options_.dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd_ < 0) {
        throw std::runtime_error(
            fmt::format("cannot open {}: {}", options_.dir.string(), std::strerror(errno)));
    }
    const auto path = options_.dir / kReserveName;
    if (options_.reserve_bytes > 0) {
        reserve_fd_ = io::open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (reserve_fd_ < 0) {
            const int err = errno;
            ::close(dir_fd_);
            throw std::runtime_error(
                fmt::format("cannot open {}: {}", path.string(), std::strerror(err)));
        }
    } else {
        ::unlink(path.c_str());  // no reserve configured: none kept from an earlier start
    }
    struct stat st {};
    if (reserve_fd_ >= 0 && ::fstat(reserve_fd_, &st) == 0 &&
        static_cast<std::uint64_t>(st.st_size) > options_.reserve_bytes &&
        ::ftruncate(reserve_fd_, static_cast<off_t>(options_.reserve_bytes)) != 0) {
        // A larger reserve from an earlier configuration stays as it is.
    }
    std::lock_guard lock(mutex_);
    allocate_reserve_locked();
    // A reserve that cannot be allocated at start-up: the file system is
    // already full.
    full_ = reserve_fd_ >= 0 && !held_;
    last_ = measure_locked();
    const auto level = level_for_locked(last_, DiskLevel::ok);
    level_.store(level, std::memory_order_release);
    last_.level = level;
}

DiskSpace::~DiskSpace() {
    if (reserve_fd_ >= 0) {
        ::close(reserve_fd_);
    }
    if (dir_fd_ >= 0) {
        ::close(dir_fd_);
    }
}

void DiskSpace::on_change(OnChange fn) {
    std::lock_guard lock(mutex_);
    on_change_ = std::move(fn);
}

// Allocates the whole reserve (again); on failure it stays released.
void DiskSpace::allocate_reserve_locked() {
    if (reserve_fd_ < 0 || held_) {
        return;
    }
    const auto size = static_cast<off_t>(options_.reserve_bytes);
    if (io::allocate(reserve_fd_, size) == 0 && io::fsync(reserve_fd_) == 0) {
        held_ = true;
        return;
    }
    // What was allocated before the failure goes back to the file system.
    if (::ftruncate(reserve_fd_, 0) != 0) {
        // Nothing more to do: the next allocation tries again.
    }
}

DiskReading DiskSpace::measure_locked() {
    DiskReading r;
    struct statvfs st {};
    if (::fstatvfs(dir_fd_, &st) == 0) {
        const std::uint64_t unit = st.f_frsize != 0 ? st.f_frsize : st.f_bsize;
        r.total_bytes = st.f_blocks * unit;
        r.free_bytes = st.f_bavail * unit;
    }
    // The reserve counts as used, held or released.
    const std::uint64_t debt = reserve_fd_ >= 0 && !held_ ? options_.reserve_bytes : 0;
    r.free_bytes = r.free_bytes > debt ? r.free_bytes - debt : 0;
    r.reserve_bytes = held_ ? options_.reserve_bytes : 0;
    r.reserve_released = reserve_fd_ >= 0 && !held_;
    r.full = full_;
    r.full_events = full_events_;
    r.level = level_.load(std::memory_order_acquire);
    return r;
}

DiskLevel DiskSpace::level_for_locked(const DiskReading& r, DiskLevel current) const {
    const bool was_critical = current == DiskLevel::critical;
    const bool was_low = current != DiskLevel::ok;
    if (full_ || r.free_bytes < options_.admin_space_left_bytes + (was_critical ? kMargin : 0)) {
        return DiskLevel::critical;
    }
    if (r.free_bytes < options_.space_left_bytes + (was_low ? kMargin : 0)) {
        return DiskLevel::low;
    }
    return DiskLevel::ok;
}

void DiskSpace::set_level_locked(DiskLevel to) {
    const auto from = level_.exchange(to, std::memory_order_acq_rel);
    last_.level = to;
    if (from != to && on_change_) {
        on_change_(from, to, last_);
    }
}

DiskReading DiskSpace::check() {
    std::lock_guard lock(mutex_);
    auto r = measure_locked();
    const auto admin = options_.admin_space_left_bytes;
    const auto current = level_.load(std::memory_order_acquire);
    // Room again: the reserve first, then the level.
    if (r.reserve_released && r.free_bytes >= admin + kMargin) {
        allocate_reserve_locked();
        r = measure_locked();
    }
    if (full_ && r.free_bytes >= admin + kMargin && !r.reserve_released) {
        full_ = false;
        r.full = false;
    }
    const auto to = level_for_locked(r, current);
    last_ = r;
    set_level_locked(to);
    return last_;
}

bool DiskSpace::out_of_space() {
    std::lock_guard lock(mutex_);
    const bool released = held_;
    if (held_) {
        // Truncating frees the blocks at once; the descriptor stays open to
        // allocate them again.
        if (::ftruncate(reserve_fd_, 0) == 0) {
            held_ = false;
        }
    }
    full_ = true;
    ++full_events_;
    last_ = measure_locked();
    set_level_locked(DiskLevel::critical);
    return released;
}

DiskReading DiskSpace::reading() const {
    std::lock_guard lock(mutex_);
    return last_;
}

std::string DiskSpace::changes_refused() const {
    return disk_full_message(options_.dir);
}

std::string DiskSpace::cannot_audit() const {
    return fmt::format(
        "the file system of {} is full: strongroomd cannot write its audit trail, so it answers "
        "nothing until space is freed there",
        options_.dir.string());
}

}  // namespace strongroom::store
