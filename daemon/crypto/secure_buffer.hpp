// Memory for key bytes.
//
// A SecureBuffer is a fixed-size byte buffer in its own anonymous mapping,
// never on the heap: its pages are locked in RAM (mlock, so they are not
// written to swap), excluded from core dumps (MADV_DONTDUMP), and fenced by
// an inaccessible guard page on each side, so that running off either end
// faults instead of reading or overwriting a neighbour. On destruction the
// bytes are wiped with OPENSSL_cleanse and the pages unmapped.
//
// Locking can fail (RLIMIT_MEMLOCK without CAP_IPC_LOCK); the buffer is then
// still usable, locked() says false and the owner decides whether to warn.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace strongroom::crypto {

class SecureBuffer {
public:
    // Maps n bytes (rounded up to whole pages), zero-filled. n == 0 gives an
    // empty buffer with no mapping. Throws std::bad_alloc when the memory is
    // not available and std::system_error for any other mapping failure.
    explicit SecureBuffer(std::size_t n);
    ~SecureBuffer();

    // Move-only: a copy would be a second place the key lives. A moved-from
    // buffer is empty (size() == 0, data() == nullptr, locked() == false).
    SecureBuffer(SecureBuffer&& other) noexcept;
    SecureBuffer& operator=(SecureBuffer&& other) noexcept;
    SecureBuffer(const SecureBuffer&) = delete;
    SecureBuffer& operator=(const SecureBuffer&) = delete;

    std::uint8_t* data() noexcept { return data_; }
    const std::uint8_t* data() const noexcept { return data_; }
    std::size_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }
    std::span<std::uint8_t> span() noexcept { return {data_, size_}; }
    std::span<const std::uint8_t> span() const noexcept { return {data_, size_}; }

    // True when the pages are locked in RAM and excluded from core dumps.
    bool locked() const noexcept { return locked_; }

    // Wipes the contents now (the buffer stays mapped and zero-filled).
    void wipe() noexcept;

private:
    void release() noexcept;

    std::uint8_t* mapping_ = nullptr;  // start of the mapping, a guard page
    std::size_t mapping_bytes_ = 0;    // whole mapping, guard pages included
    std::uint8_t* data_ = nullptr;     // first usable byte, page-aligned
    std::size_t size_ = 0;
    bool locked_ = false;
};

namespace test_hooks {

// Test-only: when set, ~SecureBuffer calls the observer after it has wiped
// the usable pages and before it unmaps them, passing those pages, so that a
// test can check the wipe without reading freed memory. Null by default;
// production code never sets it.
using WipeObserver = void (*)(std::span<const std::uint8_t> wiped_pages);
void set_wipe_observer(WipeObserver observer) noexcept;

}  // namespace test_hooks
}  // namespace strongroom::crypto
