// Violation 1: links lower, but includes lower's internal header.
#include "daemon/lower/lower.hpp"
#include "daemon/lower/raw.hpp"

namespace fixture {
int upper() {
    return lower() + raw();
}
}  // namespace fixture
