#include "daemon/crypto/secure_buffer.hpp"

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <new>
#include <system_error>
#include <utility>

#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <openssl/crypto.h>

namespace strongroom::crypto {
namespace {

std::atomic<test_hooks::WipeObserver> g_wipe_observer{nullptr};

std::size_t page_size() noexcept {
    static const auto size = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    return size;
}

// Bytes of whole pages holding the usable part of a buffer of n bytes.
std::size_t usable_pages_bytes(std::size_t n) noexcept {
    const std::size_t page = page_size();
    return (n + page - 1) / page * page;
}

}  // namespace

SecureBuffer::SecureBuffer(std::size_t n) : size_(n) {
    if (n == 0) {
        return;
    }
    const std::size_t page = page_size();
    if (n > SIZE_MAX - 3 * page) {
        throw std::bad_alloc();
    }
    const std::size_t usable = usable_pages_bytes(n);
    const std::size_t total = usable + 2 * page;

    // Map everything inaccessible, then open up the middle: the first and
    // last pages stay PROT_NONE as guards.
    void* p = ::mmap(nullptr, total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        if (errno == ENOMEM) {
            throw std::bad_alloc();
        }
        throw std::system_error(errno, std::generic_category(), "mmap of a key buffer");
    }
    auto* base = static_cast<std::uint8_t*>(p);
    if (::mprotect(base + page, usable, PROT_READ | PROT_WRITE) != 0) {
        const int err = errno;
        ::munmap(p, total);
        throw std::system_error(err, std::generic_category(), "mprotect of a key buffer");
    }
    mapping_ = base;
    mapping_bytes_ = total;
    data_ = base + page;

    // Both are best effort: the buffer works without them, and locked()
    // tells the owner (normally only mlock fails, on RLIMIT_MEMLOCK). mlock
    // is made as a raw system call because the sanitizer runtimes replace
    // mlock() with a no-op that reports success, which would make locked()
    // lie in the sanitizer build; the system call is the same either way.
    const bool not_dumped = ::madvise(data_, usable, MADV_DONTDUMP) == 0;
    const bool in_ram = ::syscall(SYS_mlock, data_, usable) == 0;
    locked_ = not_dumped && in_ram;
}

SecureBuffer::~SecureBuffer() {
    release();
}

SecureBuffer::SecureBuffer(SecureBuffer&& other) noexcept
    : mapping_(std::exchange(other.mapping_, nullptr)),
      mapping_bytes_(std::exchange(other.mapping_bytes_, 0)),
      data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      locked_(std::exchange(other.locked_, false)) {}

SecureBuffer& SecureBuffer::operator=(SecureBuffer&& other) noexcept {
    if (this != &other) {
        release();
        mapping_ = std::exchange(other.mapping_, nullptr);
        mapping_bytes_ = std::exchange(other.mapping_bytes_, 0);
        data_ = std::exchange(other.data_, nullptr);
        size_ = std::exchange(other.size_, 0);
        locked_ = std::exchange(other.locked_, false);
    }
    return *this;
}

void SecureBuffer::wipe() noexcept {
    if (data_ != nullptr) {
        OPENSSL_cleanse(data_, usable_pages_bytes(size_));
    }
}

void SecureBuffer::release() noexcept {
    if (mapping_ == nullptr) {
        return;
    }
    wipe();
    if (auto observer = g_wipe_observer.load(std::memory_order_acquire); observer != nullptr) {
        observer(std::span<const std::uint8_t>(data_, usable_pages_bytes(size_)));
    }
    // munmap also drops the lock; nothing useful can be done if it fails.
    ::munmap(mapping_, mapping_bytes_);
    mapping_ = nullptr;
    mapping_bytes_ = 0;
    data_ = nullptr;
    size_ = 0;
    locked_ = false;
}

namespace test_hooks {

void set_wipe_observer(WipeObserver observer) noexcept {
    g_wipe_observer.store(observer, std::memory_order_release);
}

}  // namespace test_hooks
}  // namespace strongroom::crypto
