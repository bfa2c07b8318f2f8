// Space on the state directory's file system, after auditd's model
// (space_left, admin_space_left, disk_full_action): the audit trail must be
// writable when the disk fills, and nothing is answered that cannot be
// audited.
//
//   level ok        more than [disk] space_left_mib free
//   level low       below space_left_mib: a warning in the journal and in
//                   `status` (every answer waits for its durable audit
//                   entry at every level)
//   level critical  below admin_space_left_mib, or the writer found the file
//                   system full: changes are refused with a message naming
//                   disk space; reads, refusals and `status` go on, audited
//
// A reserve (STATE_DIR/audit-reserve, [disk] reserve_mib, allocated at
// start-up) is released when a commit finds the file system full, so that
// the audit entries of the requests already answered, and of refusals and
// `status` after, can still be written; it is allocated again once space has
// returned. Free space counts the reserve as used, whether it is held or
// released, so a released reserve never looks like space that came back.
//
// Levels move back up only with a margin (1 MiB) above their threshold, so a
// file system at a threshold does not flap. Thread-safe: the writer calls
// out_of_space() and check(), a timer calls check(), request threads read
// level().
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>

namespace strongroom::store {

enum class DiskLevel { ok = 0, low = 1, critical = 2 };
std::string_view to_string(DiskLevel level) noexcept;

struct DiskOptions {
    std::filesystem::path dir;  // the state directory
    std::uint64_t reserve_bytes = 16ULL << 20;
    std::uint64_t space_left_bytes = 512ULL << 20;
    std::uint64_t admin_space_left_bytes = 128ULL << 20;
};

struct DiskReading {
    std::uint64_t free_bytes = 0;     // available to the daemon, less the reserve (held or not)
    std::uint64_t total_bytes = 0;    // size of the file system
    std::uint64_t reserve_bytes = 0;  // the reserve held now (0 when released or none)
    bool reserve_released = false;    // released for audit entries, not yet taken back
    bool full = false;                // a commit found the file system full (until space returns)
    std::uint64_t full_events = 0;    // times a commit found it full since start
    DiskLevel level = DiskLevel::ok;
};

class DiskSpace {
public:
    // The level changed (from, to, the reading that shows it); called on the
    // thread that noticed, for the daemon to log.
    using OnChange = std::function<void(DiskLevel from, DiskLevel to, const DiskReading&)>;

    // Opens the directory and the reserve file and allocates the reserve if
    // there is room (a full file system at start-up leaves it released).
    // Throws std::runtime_error if the directory cannot be opened.
    explicit DiskSpace(DiskOptions options);
    ~DiskSpace();
    DiskSpace(const DiskSpace&) = delete;
    DiskSpace& operator=(const DiskSpace&) = delete;

    void on_change(OnChange fn);

    // Looks at the file system now (fstatvfs); takes the reserve back once
    // there is room for it above admin_space_left; updates the level.
    DiskReading check();
    // A commit found the file system full: releases the reserve (true if
    // one was held) and makes the level critical until check() finds room.
    bool out_of_space();

    DiskLevel level() const noexcept { return level_.load(std::memory_order_acquire); }
    bool accepting_changes() const noexcept { return level() != DiskLevel::critical; }
    DiskReading reading() const;
    const DiskOptions& options() const noexcept { return options_; }

    // What a refused change is told: the same text every time.
    std::string changes_refused() const;
    // What everyone is told while no audit entry can be written.
    std::string cannot_audit() const;

private:
    DiskReading measure_locked();
    void allocate_reserve_locked();
    DiskLevel level_for_locked(const DiskReading& r, DiskLevel current) const;
    void set_level_locked(DiskLevel to);

    DiskOptions options_;
    int dir_fd_ = -1;
    int reserve_fd_ = -1;
    mutable std::mutex mutex_;
    bool held_ = false;
    bool full_ = false;
    std::uint64_t full_events_ = 0;
    DiskReading last_;
    std::atomic<DiskLevel> level_{DiskLevel::ok};
    OnChange on_change_;
};

// The message for a change refused, or not stored, for want of space in dir.
std::string disk_full_message(const std::filesystem::path& dir);

}  // namespace strongroom::store
