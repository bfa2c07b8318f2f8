#include "bench/pingpong.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <latch>
#include <stdexcept>
#include <utility>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <fmt/format.h>

#include "daemon/protocol/frame.hpp"

namespace strongroom::bench {
namespace {

using Clock = std::chrono::steady_clock;

bool write_all(int fd, const std::string& bytes) {
    const char* p = bytes.data();
    std::size_t left = bytes.size();
    while (left > 0) {
        const ssize_t n = ::send(fd, p, left, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return false;
        }
        p += n;
        left -= static_cast<std::size_t>(n);
    }
    return true;
}

enum class ReadStatus { ok, closed, failed, bad_frame };

// Reads one frame into buf (header and payload); the payload length is put
// in length. One recv usually brings the whole frame. In a ping-pong the
// peer never sends beyond the frame it answers with, so nothing is kept over.
ReadStatus read_frame(int fd, std::string& buf, std::size_t& length) {
    static constexpr protocol::Limits kLimits{16 * 1024 * 1024, 64};
    std::size_t have = 0;
    std::size_t want = protocol::kHeaderSize;
    bool header_done = false;
    for (;;) {
        while (have < want) {
            const ssize_t n = ::recv(fd, buf.data() + have, buf.size() - have, 0);
            if (n == 0) {
                return have == 0 ? ReadStatus::closed : ReadStatus::failed;
            }
            if (n < 0) {
                if (errno == EINTR) {
                    continue;
                }
                return ReadStatus::failed;
            }
            have += static_cast<std::size_t>(n);
        }
        if (header_done) {
            break;
        }
        protocol::HeaderBytes header{};
        std::memcpy(header.data(), buf.data(), header.size());
        auto h = protocol::decode_header(header, kLimits);
        if (!h || h->type != protocol::FrameType::message) {
            return ReadStatus::bad_frame;
        }
        length = h->length;
        want = protocol::kHeaderSize + length;
        if (buf.size() < want) {
            buf.resize(want);
        }
        header_done = true;
    }
    return have == want ? ReadStatus::ok : ReadStatus::bad_frame;
}

void put_digits(char* digits, std::uint64_t value, std::size_t width) {
    for (std::size_t i = width; i-- > 0;) {
        digits[i] = static_cast<char>('0' + value % 10);
        value /= 10;
    }
}

void put_id(char* digits, std::uint64_t id) {
    put_digits(digits, id, kIdDigits);
}

struct ClientOutput {
    std::vector<std::int64_t> latencies_ns;
    std::uint64_t bad = 0;
    std::string failure;
};

void client_loop(int fd, const Exchange& ex, std::size_t client, std::size_t clients,
                 Clock::time_point measure_from, Clock::time_point until, ClientOutput& out) {
    std::string frame = ex.request_frame;
    std::string expected = ex.reply_payload.substr(0, ex.reply_check_bytes);
    std::string buf(64 * 1024, '\0');
    std::uint64_t id = kFirstId;
    const std::size_t n_args = ex.arg_values.size();
    std::size_t arg = n_args > 0 ? client * n_args / clients : 0;
    for (;;) {
        put_id(frame.data() + ex.request_id_offset, id);
        if (n_args > 0) {
            put_digits(frame.data() + ex.arg_offset, ex.arg_values[arg], ex.arg_digits);
            arg = arg + 1 == n_args ? 0 : arg + 1;
        }
        put_id(expected.data() + ex.reply_id_offset, id);
        const auto t0 = Clock::now();
        if (t0 >= until) {
            return;
        }
        if (!write_all(fd, frame)) {
            out.failure = fmt::format("cannot send a request: {}", std::strerror(errno));
            return;
        }
        std::size_t length = 0;
        const ReadStatus st = read_frame(fd, buf, length);
        const auto t1 = Clock::now();
        if (st == ReadStatus::closed || st == ReadStatus::failed) {
            out.failure = st == ReadStatus::closed
                              ? std::string("the server closed the connection")
                              : fmt::format("cannot read a reply: {}", std::strerror(errno));
            return;
        }
        const bool good =
            st == ReadStatus::ok &&
            (ex.fixed_reply_size ? length == ex.reply_payload.size() : length >= expected.size()) &&
            std::memcmp(buf.data() + protocol::kHeaderSize, expected.data(), expected.size()) == 0;
        if (t0 >= measure_from) {
            out.latencies_ns.push_back(
                std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count());
            if (!good) {
                ++out.bad;
            }
        }
        if (st == ReadStatus::bad_frame) {
            out.failure = "received a malformed frame";
            return;
        }
        id = id == kLastId ? kFirstId : id + 1;
    }
}

// Nearest-rank percentile of sorted values, in microseconds.
double percentile_us(const std::vector<std::int64_t>& sorted, double q) {
    if (sorted.empty()) {
        return 0;
    }
    const auto n = static_cast<double>(sorted.size());
    auto rank = static_cast<std::size_t>(std::ceil(q * n));
    rank = std::clamp<std::size_t>(rank, 1, sorted.size());
    return static_cast<double>(sorted[rank - 1]) / 1000.0;
}

}  // namespace

RunResult run_clients(std::span<const int> fds, const Exchange& exchange, const Timing& timing) {
    const std::size_t n = fds.size();
    std::vector<ClientOutput> outputs(n);
    std::latch ready(static_cast<std::ptrdiff_t>(n));
    std::latch go(1);
    Clock::time_point measure_from;
    Clock::time_point until;
    const auto warmup = std::chrono::duration_cast<Clock::duration>(timing.warmup);
    const auto duration = std::chrono::duration_cast<Clock::duration>(timing.duration);

    std::vector<std::thread> threads;
    threads.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        threads.emplace_back([&, i] {
            auto& out = outputs[i];
            out.latencies_ns.reserve(1U << 20);
            ready.count_down();
            go.wait();
            client_loop(fds[i], exchange, i, n, measure_from, until, out);
        });
    }
    ready.wait();
    measure_from = Clock::now() + warmup;
    until = measure_from + duration;
    go.count_down();
    for (auto& t : threads) {
        t.join();
    }

    RunResult r;
    r.clients = n;
    r.seconds = timing.duration.count();
    std::vector<std::int64_t> all;
    for (auto& out : outputs) {
        if (!out.failure.empty() && r.failure.empty()) {
            r.failure = out.failure;
        }
        r.bad_replies += out.bad;
        all.insert(all.end(), out.latencies_ns.begin(), out.latencies_ns.end());
    }
    std::sort(all.begin(), all.end());
    r.requests = all.size();
    r.requests_per_s = r.seconds > 0 ? static_cast<double>(r.requests) / r.seconds : 0;
    r.p50_us = percentile_us(all, 0.50);
    r.p99_us = percentile_us(all, 0.99);
    r.p999_us = percentile_us(all, 0.999);
    r.max_us = all.empty() ? 0 : static_cast<double>(all.back()) / 1000.0;
    return r;
}

int connect_unix(const std::string& path) {
    sockaddr_un addr{};
    if (path.size() >= sizeof addr.sun_path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -1;
    }
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
        const int err = errno;
        ::close(fd);
        errno = err;
        return -1;
    }
    return fd;
}

FloorServer::FloorServer(Exchange exchange) : exchange_(std::move(exchange)) {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern =
        fmt::format("{}/strongroom-floor.XXXXXX", tmp != nullptr && *tmp != '\0' ? tmp : "/tmp");
    if (::mkdtemp(pattern.data()) == nullptr) {
        throw std::runtime_error(fmt::format("cannot create a directory for the floor socket: {}",
                                             std::strerror(errno)));
    }
    dir_ = pattern;
    path_ = dir_ + "/floor.sock";
    sockaddr_un addr{};
    if (path_.size() >= sizeof addr.sun_path) {
        ::rmdir(dir_.c_str());
        throw std::runtime_error(fmt::format("floor socket path {} is too long", path_));
    }
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path_.c_str(), path_.size() + 1);
    listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listen_fd_ < 0 ||
        ::bind(listen_fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listen_fd_, 128) != 0) {
        const int err = errno;
        if (listen_fd_ >= 0) {
            ::close(listen_fd_);
        }
        ::unlink(path_.c_str());
        ::rmdir(dir_.c_str());
        throw std::runtime_error(
            fmt::format("cannot listen on the floor socket {}: {}", path_, std::strerror(err)));
    }
}

FloorServer::~FloorServer() {
    join();
    ::close(listen_fd_);
    ::unlink(path_.c_str());
    ::rmdir(dir_.c_str());
}

void FloorServer::accept(std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
        int fd = -1;
        do {
            fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        } while (fd < 0 && errno == EINTR);
        if (fd < 0) {
            throw std::runtime_error(
                fmt::format("floor server: accept failed: {}", std::strerror(errno)));
        }
        threads_.emplace_back([this, fd] { serve(fd); });
    }
}

void FloorServer::join() {
    for (auto& t : threads_) {
        if (t.joinable()) {
            t.join();
        }
    }
    threads_.clear();
}

void FloorServer::serve(int fd) const {
    std::string out = protocol::encode_frame(protocol::FrameType::message, exchange_.reply_payload);
    std::string buf(64 * 1024, '\0');
    const std::size_t request_length = exchange_.request_frame.size() - protocol::kHeaderSize;
    for (;;) {
        std::size_t length = 0;
        if (read_frame(fd, buf, length) != ReadStatus::ok) {
            break;
        }
        if (length == request_length) {
            std::memcpy(out.data() + protocol::kHeaderSize + exchange_.reply_id_offset,
                        buf.data() + exchange_.request_id_offset, kIdDigits);
        }
        if (!write_all(fd, out)) {
            break;
        }
    }
    ::close(fd);
}

std::optional<double> parse_seconds(const char* text) {
    char* end = nullptr;
    errno = 0;
    const double v = std::strtod(text, &end);
    if (errno != 0 || end == text || *end != '\0' || !(v >= 0) || v > 3600) {
        return std::nullopt;
    }
    return v;
}

std::optional<long> parse_count(const char* text, long max) {
    char* end = nullptr;
    errno = 0;
    const long v = std::strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < 1 || v > max) {
        return std::nullopt;
    }
    return v;
}

}  // namespace strongroom::bench
