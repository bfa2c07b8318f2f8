// Helpers shared by the libFuzzer targets: reporting a broken invariant and a
// per-process scratch directory under /tmp for the readers that take a path.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

#include <unistd.h>

namespace strongroom::fuzz {

// Aborts, naming the target and the invariant, so that libFuzzer keeps the input.
[[noreturn]] inline void broken(const char* target, const char* invariant) {
    std::fprintf(stderr, "%s: invariant broken: %s\n", target, invariant);
    std::abort();
}

inline std::string_view text_of(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

// A directory private to this process, made on first use and removed at exit.
class ScratchDir {
public:
    explicit ScratchDir(std::string_view name) {
        std::string pattern = "/tmp/strongroom-fuzz-" + std::string(name) + "-XXXXXX";
        if (::mkdtemp(pattern.data()) == nullptr) {
            std::perror("mkdtemp");
            std::abort();
        }
        path_ = pattern;
    }
    ~ScratchDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    ScratchDir(const ScratchDir&) = delete;
    ScratchDir& operator=(const ScratchDir&) = delete;

    const std::filesystem::path& path() const noexcept { return path_; }

private:
    std::filesystem::path path_;
};

}  // namespace strongroom::fuzz
