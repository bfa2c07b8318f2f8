// Error codes and the result type used on every request path.
//
// The codes are part of the command-line contract (CLI.md): each maps to a
// stable string in --json output and to the tools' exit status.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace strongroom {

enum class ErrorCode {
    internal,     // exit 1: unexpected failure
    bad_request,  // exit 2: the command or request is malformed
    denied,       // exit 3: the caller may not do this
    not_found,    // exit 4: no such object, or not visible to the caller
    conflict,     // exit 5: refused by state
    unavailable,  // exit 6: the daemon cannot be reached or is not serving
};

std::string_view to_string(ErrorCode code) noexcept;
std::optional<ErrorCode> error_code_from_string(std::string_view text) noexcept;
int exit_status(ErrorCode code) noexcept;

struct Error {
    ErrorCode code = ErrorCode::internal;
    std::string message;
};

inline Error make_error(ErrorCode code, std::string message) {
    return Error{code, std::move(message)};
}

// A value or an Error. Used wherever a failure is an expected outcome (peer
// input, a refused request); exceptions are kept for start-up and for bugs.
template <class T>
class [[nodiscard]] Result {
public:
    Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}      // NOLINT: implicit
    Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT: implicit

    bool ok() const noexcept { return v_.index() == 0; }
    explicit operator bool() const noexcept { return ok(); }

    T& value() & { return std::get<0>(v_); }
    const T& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    T* operator->() { return &std::get<0>(v_); }
    const T* operator->() const { return &std::get<0>(v_); }
    T& operator*() & { return std::get<0>(v_); }
    const T& operator*() const& { return std::get<0>(v_); }

    const Error& error() const& { return std::get<1>(v_); }
    Error&& error() && { return std::get<1>(std::move(v_)); }

private:
    std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error error) : error_(std::move(error)) {}  // NOLINT: implicit

    bool ok() const noexcept { return !error_.has_value(); }
    explicit operator bool() const noexcept { return ok(); }
    const Error& error() const& { return *error_; }
    Error&& error() && { return std::move(*error_); }

private:
    std::optional<Error> error_;
};

using Status = Result<void>;

}  // namespace strongroom
