#include "hardening/process.hpp"

#include <cerrno>
#include <cstring>
#include <string>

#include <sys/prctl.h>
#include <sys/resource.h>

namespace strongroom::hardening {

Status protect_process() noexcept {
    const rlimit none{0, 0};
    if (::setrlimit(RLIMIT_CORE, &none) != 0) {
        return make_error(ErrorCode::internal,
                          std::string("cannot disable core dumps: ") + std::strerror(errno));
    }
    if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
        return make_error(
            ErrorCode::internal,
            std::string("cannot make the process non-dumpable: ") + std::strerror(errno));
    }
    return {};
}

Status set_no_new_privs() noexcept {
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
        return make_error(ErrorCode::internal,
                          std::string("cannot set no_new_privs: ") + std::strerror(errno));
    }
    return {};
}

}  // namespace strongroom::hardening
