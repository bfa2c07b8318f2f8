// Fault injection at the edges (STYLE.md 14): the calls that fail in the
// field (open, write, fsync, rename, truncate) go through wrappers that ask
// here first whether to fail, so that a test can make the Nth such call fail
// with EIO or ENOSPC and check that nothing acknowledged is lost.
//
// The daemon's own file writers use the wrappers in files.hpp; the store's
// database I/O goes through a SQLite VFS shim (daemon/store/fault_vfs.hpp)
// that asks the same questions.
//
// Guard: nothing fails unless enable() was called, and only strongroomd's
// main calls it, in --dev mode with STRONGROOM_FAULT_INJECTION=1 in its
// environment (and unit tests, in their own process). Until then fail_with()
// is one relaxed atomic load, the VFS shim is not registered and no signal
// arms anything. A running daemon is armed by its tests with SIGUSR2 and a
// sigqueue(3) value (encode() below): from then on the Nth matching call
// fails (or every one from the Nth on, when persistent), until disarmed with
// the value 0.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace strongroom::faults {

enum class Call : unsigned {
    open = 0,      // open(2) of a file to write, SQLite's xOpen
    write = 1,     // write(2), pwrite(2), fallocate(2), SQLite's xWrite
    sync = 2,      // fsync(2), fdatasync(2), SQLite's xSync
    rename = 3,    // rename(2)
    truncate = 4,  // ftruncate(2), SQLite's xTruncate
};
inline constexpr unsigned kCalls = 5;

constexpr unsigned bit(Call c) noexcept {
    return 1U << static_cast<unsigned>(c);
}
inline constexpr unsigned kAllCalls = (1U << kCalls) - 1;

struct Spec {
    unsigned calls = 0;       // a mask of bit(Call): which calls are counted
    std::uint32_t nth = 1;    // the Nth counted call fails (1..65535)
    int error = 5;            // EIO (5) or ENOSPC (28)
    bool persistent = false;  // every counted call from the Nth on fails

    friend bool operator==(const Spec&, const Spec&) = default;
};

// Turns injection on for this process (the test hook; see the guard above).
void enable() noexcept;
bool enabled() noexcept;

// Arms a spec (counting starts now), or disarms. Async-signal-safe.
void arm(const Spec& spec) noexcept;
void disarm() noexcept;

// Asked by a wrapper before it makes the call: 0 to go ahead, else the errno
// the call must fail with (the wrapper sets errno and fails without making it).
int fail_with(Call call) noexcept;

// Faults injected since the process started.
std::uint64_t injected() noexcept;

// The sigqueue(3) value of a spec (never 0), and back. decode(0) is nothing
// (disarm); a value that is not a spec is nothing too.
std::int32_t encode(const Spec& spec) noexcept;
std::optional<Spec> decode(std::int32_t value) noexcept;

// "write#3:ENOSPC", "sync#1+:EIO" (persistent), "write|sync#2:EIO".
std::string describe(const Spec& spec);

// Installs the SIGUSR2 handler that arms (the value 0 disarms). Call once,
// before other threads start, and only after enable().
void install_signal_arming() noexcept;

}  // namespace strongroom::faults
