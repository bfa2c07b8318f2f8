// Small file-system helpers shared by the daemon and the tools, and the thin
// wrappers through which the daemon's own file writers make the calls that
// fail in the field (open, write, fsync, rename, truncate), so that tests can
// make them fail (faults.hpp; STYLE.md 14). Each wrapper behaves exactly as
// the system call it wraps (-1 and errno on failure), except that an armed
// fault makes it fail without making the call.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string_view>

#include <sys/types.h>

#include "daemon/common/error.hpp"

namespace strongroom {

// Makes the entries of dir (a file created, renamed or removed there)
// durable: fsync of the directory. Best effort: a directory that cannot be
// opened is left as it is.
void sync_directory(const std::filesystem::path& dir) noexcept;

// True for the errno values that mean the file system has no room:
// ENOSPC, and EDQUOT (a quota counts as the disk filling up).
bool is_out_of_space(int error) noexcept;

namespace io {

int open(const std::filesystem::path& path, int flags, mode_t mode = 0) noexcept;
ssize_t write(int fd, const void* data, std::size_t size) noexcept;
int fsync(int fd) noexcept;
int fdatasync(int fd) noexcept;
int rename(const std::filesystem::path& from, const std::filesystem::path& to) noexcept;
int ftruncate(int fd, off_t size) noexcept;
// posix_fallocate's effect (the blocks are allocated), -1 and errno on failure.
int allocate(int fd, off_t size) noexcept;

// Writes all of data through io::write, retrying short writes and EINTR:
// 0, or the errno of the failure (EIO for a write that wrote nothing).
int write_fully(int fd, std::string_view data) noexcept;
int write_fully(int fd, std::span<const std::uint8_t> data) noexcept;

// Writes all of data (retrying short writes and EINTR); the error names path
// and the reason, and is `unavailable` with "no space left" when the file
// system is full.
Status write_all(int fd, std::string_view data, const std::filesystem::path& path);

}  // namespace io
}  // namespace strongroom
