#include "daemon/lower/lower.hpp"

#include "daemon/lower/raw.hpp"  // allowed: its own module

namespace fixture {
int lower() {
    return raw();
}
}  // namespace fixture
