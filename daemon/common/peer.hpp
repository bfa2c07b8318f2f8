// The credentials of the process at the other end of a connection, as the
// kernel reports them (SO_PEERCRED). The uid is the caller's identity.
#pragma once

#include <cstdint>

namespace strongroom {

struct Peer {
    std::uint32_t uid = 0;
    std::uint32_t gid = 0;
    std::int32_t pid = 0;
};

}  // namespace strongroom
