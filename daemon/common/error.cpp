#include "daemon/common/error.hpp"

#include <array>

namespace strongroom {
namespace {

struct CodeRow {
    ErrorCode code;
    std::string_view name;
    int exit;
};

// One row per code: the string in --json output and the tools' exit status.
constexpr std::array<CodeRow, 6> kCodes{{
    {ErrorCode::internal, "internal", 1},
    {ErrorCode::bad_request, "bad_request", 2},
    {ErrorCode::denied, "denied", 3},
    {ErrorCode::not_found, "not_found", 4},
    {ErrorCode::conflict, "conflict", 5},
    {ErrorCode::unavailable, "unavailable", 6},
}};

}  // namespace

std::string_view to_string(ErrorCode code) noexcept {
    for (const auto& row : kCodes) {
        if (row.code == code) {
            return row.name;
        }
    }
    return "internal";
}

std::optional<ErrorCode> error_code_from_string(std::string_view text) noexcept {
    for (const auto& row : kCodes) {
        if (row.name == text) {
            return row.code;
        }
    }
    return std::nullopt;
}

int exit_status(ErrorCode code) noexcept {
    for (const auto& row : kCodes) {
        if (row.code == code) {
            return row.exit;
        }
    }
    return 1;
}

}  // namespace strongroom
