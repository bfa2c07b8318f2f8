#include "daemon/common/faults.hpp"

#include <atomic>
#include <cerrno>
#include <csignal>

namespace strongroom::faults {
namespace {

// Lock-free atomics only: arm() runs in a signal handler.
std::atomic<bool> g_enabled{false};
std::atomic<std::int32_t> g_armed{0};  // encode(spec), 0 when disarmed
std::atomic<std::uint32_t> g_counted{0};
std::atomic<std::uint64_t> g_injected{0};
static_assert(std::atomic<std::int32_t>::is_always_lock_free);
static_assert(std::atomic<std::uint32_t>::is_always_lock_free);

constexpr std::int32_t kEnospcBit = 1 << 8;
constexpr std::int32_t kPersistentBit = 1 << 9;
constexpr int kNthShift = 12;
constexpr std::uint32_t kMaxNth = 0xffff;

void on_signal(int, siginfo_t* info, void*) {
    const int saved = errno;
    if (const auto spec = decode(info->si_value.sival_int)) {
        arm(*spec);
    } else {
        disarm();
    }
    errno = saved;
}

}  // namespace

void enable() noexcept {
    g_enabled.store(true, std::memory_order_release);
}

bool enabled() noexcept {
    return g_enabled.load(std::memory_order_acquire);
}

void arm(const Spec& spec) noexcept {
    if (!enabled()) {
        return;
    }
    g_armed.store(0, std::memory_order_release);
    g_counted.store(0, std::memory_order_release);
    g_armed.store(encode(spec), std::memory_order_release);
}

void disarm() noexcept {
    g_armed.store(0, std::memory_order_release);
}

int fail_with(Call call) noexcept {
    if (!g_enabled.load(std::memory_order_relaxed)) {
        return 0;
    }
    const auto spec = decode(g_armed.load(std::memory_order_acquire));
    if (!spec || (spec->calls & bit(call)) == 0) {
        return 0;
    }
    const auto n = g_counted.fetch_add(1, std::memory_order_acq_rel) + 1;
    if (n == spec->nth || (spec->persistent && n > spec->nth)) {
        g_injected.fetch_add(1, std::memory_order_relaxed);
        return spec->error;
    }
    return 0;
}

std::uint64_t injected() noexcept {
    return g_injected.load(std::memory_order_relaxed);
}

std::int32_t encode(const Spec& spec) noexcept {
    const std::uint32_t nth = spec.nth == 0 ? 1 : (spec.nth > kMaxNth ? kMaxNth : spec.nth);
    std::int32_t v = static_cast<std::int32_t>(spec.calls & kAllCalls);
    if (v == 0) {
        v = static_cast<std::int32_t>(kAllCalls);
    }
    v |= spec.error == ENOSPC ? kEnospcBit : 0;
    v |= spec.persistent ? kPersistentBit : 0;
    v |= static_cast<std::int32_t>(nth << kNthShift);
    return v;
}

std::optional<Spec> decode(std::int32_t value) noexcept {
    if (value <= 0) {
        return std::nullopt;
    }
    const auto u = static_cast<std::uint32_t>(value);
    Spec s;
    s.calls = u & kAllCalls;
    s.error = (value & kEnospcBit) != 0 ? ENOSPC : EIO;
    s.persistent = (value & kPersistentBit) != 0;
    s.nth = (u >> kNthShift) & kMaxNth;
    if (s.calls == 0 || s.nth == 0 || (u & ~(kAllCalls | 0x300U | (kMaxNth << kNthShift))) != 0) {
        return std::nullopt;
    }
    return s;
}

std::string describe(const Spec& spec) {
    static constexpr std::string_view kNames[kCalls] = {"open", "write", "sync", "rename",
                                                        "truncate"};
    std::string out;
    for (unsigned i = 0; i < kCalls; ++i) {
        if ((spec.calls & (1U << i)) != 0) {
            out += out.empty() ? "" : "|";
            out += kNames[i];
        }
    }
    out += "#" + std::to_string(spec.nth) + (spec.persistent ? "+" : "");
    out += spec.error == ENOSPC ? ":ENOSPC" : ":EIO";
    return out;
}

void install_signal_arming() noexcept {
    struct sigaction sa {};
    sa.sa_sigaction = on_signal;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGUSR2, &sa, nullptr);
}

}  // namespace strongroom::faults
