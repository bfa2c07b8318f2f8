// An owned file descriptor, and the loops around read(2) and friends that
// every caller would otherwise write again: retrying a call interrupted by a
// signal (EINTR) and reading to the end of a file.
#pragma once

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>

#include <sys/types.h>

namespace strongroom {

// Closes its descriptor when it goes out of scope (or when reset, or moved
// over). -1 is "none".
class Fd {
public:
    Fd() noexcept = default;
    explicit Fd(int fd) noexcept : fd_(fd) {}
    ~Fd() { reset(); }
    Fd(Fd&& other) noexcept : fd_(other.release()) {}
    Fd& operator=(Fd&& other) noexcept {
        if (this != &other) {
            reset(other.release());
        }
        return *this;
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;

    int get() const noexcept { return fd_; }
    explicit operator bool() const noexcept { return fd_ >= 0; }
    // Gives the descriptor up without closing it.
    int release() noexcept { return std::exchange(fd_, -1); }
    // Closes the descriptor held (if any) and holds fd instead.
    void reset(int fd = -1) noexcept;
    // Closes now and reports close(2)'s result (it can report a failed
    // write-back); 0 when nothing was held.
    int close() noexcept;

private:
    int fd_ = -1;
};

// Calls call() again for as long as it fails with EINTR; returns what it
// returned last (errno set as the call left it).
template <typename Call>
auto retry_on_eintr(Call&& call) -> decltype(call()) {
    for (;;) {
        const auto r = call();
        if (!(r == -1 && errno == EINTR)) {
            return r;
        }
    }
}

namespace io {

// Reads into out until it is full or the end of the input (a pipe too);
// returns the number of bytes read, or -1 with errno.
ssize_t read_full(int fd, std::span<std::uint8_t> out) noexcept;

// Appends the whole file open at fd, read from its start (pread: the
// descriptor's position is not used), to out; stops once out has grown by
// more than limit bytes, so that the caller can refuse a file that is too
// large without reading all of it. Returns 0, or the errno of the failure.
int read_file(int fd, std::string& out, std::size_t limit = SIZE_MAX);

}  // namespace io
}  // namespace strongroom
