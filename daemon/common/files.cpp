#include "daemon/common/files.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include "daemon/common/faults.hpp"
#include "daemon/common/fd.hpp"

namespace strongroom {
namespace {

// The injected error, if a fault is armed for this call: errno set, true.
bool injected(faults::Call call) noexcept {
    if (const int e = faults::fail_with(call); e != 0) {
        errno = e;
        return true;
    }
    return false;
}

}  // namespace

void sync_directory(const std::filesystem::path& dir) noexcept {
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        io::fsync(fd);
        ::close(fd);
    }
}

bool is_out_of_space(int error) noexcept {
    return error == ENOSPC || error == EDQUOT;
}

namespace io {

int open(const std::filesystem::path& path, int flags, mode_t mode) noexcept {
    // Only opens that can create or write a file can fail for want of space.
    if ((flags & (O_WRONLY | O_RDWR | O_CREAT)) != 0 && injected(faults::Call::open)) {
        return -1;
    }
    return ::open(path.c_str(), flags, mode);
}

ssize_t write(int fd, const void* data, std::size_t size) noexcept {
    if (injected(faults::Call::write)) {
        return -1;
    }
    return ::write(fd, data, size);
}

int fsync(int fd) noexcept {
    if (injected(faults::Call::sync)) {
        return -1;
    }
    return ::fsync(fd);
}

int fdatasync(int fd) noexcept {
    if (injected(faults::Call::sync)) {
        return -1;
    }
    return ::fdatasync(fd);
}

int rename(const std::filesystem::path& from, const std::filesystem::path& to) noexcept {
    if (injected(faults::Call::rename)) {
        return -1;
    }
    return ::rename(from.c_str(), to.c_str());
}

int ftruncate(int fd, off_t size) noexcept {
    if (injected(faults::Call::truncate)) {
        return -1;
    }
    return ::ftruncate(fd, size);
}

int allocate(int fd, off_t size) noexcept {
    if (injected(faults::Call::write)) {
        return -1;
    }
    const int rc = ::posix_fallocate(fd, 0, size);
    if (rc != 0) {
        errno = rc;
        return -1;
    }
    return 0;
}

int write_fully(int fd, std::string_view data) noexcept {
    while (!data.empty()) {
        const ssize_t n = retry_on_eintr([&] { return io::write(fd, data.data(), data.size()); });
        if (n <= 0) {
            return n < 0 ? errno : EIO;
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return 0;
}

int write_fully(int fd, std::span<const std::uint8_t> data) noexcept {
    return write_fully(fd,
                       std::string_view(reinterpret_cast<const char*>(data.data()), data.size()));
}

Status write_all(int fd, std::string_view data, const std::filesystem::path& path) {
    if (const int err = write_fully(fd, data); err != 0) {
        return make_error(is_out_of_space(err) ? ErrorCode::unavailable : ErrorCode::internal,
                          fmt::format("cannot write {}: {}", path.string(), std::strerror(err)));
    }
    return {};
}

}  // namespace io
}  // namespace strongroom
