#include "daemon/common/fd.hpp"

#include <array>

#include <unistd.h>

namespace strongroom {

void Fd::reset(int fd) noexcept {
    if (fd_ >= 0 && fd_ != fd) {
        ::close(fd_);
    }
    fd_ = fd;
}

int Fd::close() noexcept {
    return fd_ >= 0 ? ::close(release()) : 0;
}

namespace io {

ssize_t read_full(int fd, std::span<std::uint8_t> out) noexcept {
    std::size_t done = 0;
    while (done < out.size()) {
        const ssize_t n =
            retry_on_eintr([&] { return ::read(fd, out.data() + done, out.size() - done); });
        if (n < 0) {
            return -1;
        }
        if (n == 0) {
            break;
        }
        done += static_cast<std::size_t>(n);
    }
    return static_cast<ssize_t>(done);
}

int read_file(int fd, std::string& out, std::size_t limit) {
    std::array<char, 65536> buffer{};
    const std::size_t start = out.size();
    for (off_t offset = 0;;) {
        const ssize_t n =
            retry_on_eintr([&] { return ::pread(fd, buffer.data(), buffer.size(), offset); });
        if (n < 0) {
            return errno;
        }
        if (n == 0) {
            return 0;
        }
        out.append(buffer.data(), static_cast<std::size_t>(n));
        offset += n;
        if (out.size() - start > limit) {
            return 0;
        }
    }
}

}  // namespace io
}  // namespace strongroom
