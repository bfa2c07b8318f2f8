#include "daemon/common/files.hpp"

#include <fcntl.h>
#include <unistd.h>

namespace strongroom {

void sync_directory(const std::filesystem::path& dir) noexcept {
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        ::fsync(fd);
        ::close(fd);
    }
}

}  // namespace strongroom
