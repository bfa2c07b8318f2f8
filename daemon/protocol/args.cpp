#include "daemon/protocol/args.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "daemon/common/text.hpp"

namespace strongroom::protocol {
namespace json = boost::json;

const json::value* ArgReader::take(std::string_view key) {
    seen_.emplace_back(key);
    if (error_) {
        return nullptr;
    }
    return args_.if_contains(json::string_view(key.data(), key.size()));
}

void ArgReader::fail(Error error) {
    if (!error_) {
        error_ = std::move(error);
    }
}

void ArgReader::type_error(std::string_view key, std::string_view expected) {
    fail(make_error(ErrorCode::bad_request,
                    fmt::format("argument \"{}\" must be {}", key, expected)));
}

bool ArgReader::check_text(std::string_view key, std::string_view text, bool multi_line,
                           std::optional<std::size_t> item) {
    const auto found = find_control(text, multi_line);
    if (!found) {
        return true;
    }
    const auto where = item ? fmt::format(" (item {})", *item + 1) : std::string();
    if (found->not_utf8) {
        fail(make_error(ErrorCode::bad_request,
                        fmt::format("argument \"{}\"{} is not UTF-8 text", key, where)));
        return false;
    }
    fail(make_error(
        ErrorCode::bad_request,
        fmt::format("argument \"{}\"{} contains {} (U+{:04X}); remove it{}", key, where,
                    control_kind(found->code_point), found->code_point,
                    multi_line ? " (only line feeds and tabs may break its lines)" : "")));
    return false;
}

std::optional<std::string> ArgReader::read_string(std::string_view key, std::size_t max_bytes,
                                                  bool multi_line) {
    const auto* v = take(key);
    if (v == nullptr) {
        return std::nullopt;
    }
    const auto* s = v->if_string();
    if (s == nullptr) {
        type_error(key, "a string");
        return std::nullopt;
    }
    if (s->size() > max_bytes) {
        fail(make_error(ErrorCode::bad_request,
                        fmt::format("argument \"{}\" is longer than {} bytes", key, max_bytes)));
        return std::nullopt;
    }
    const std::string_view text(s->data(), s->size());
    if (!check_text(key, text, multi_line)) {
        return std::nullopt;
    }
    return std::string(text);
}

std::string ArgReader::required(std::optional<std::string> v, std::string_view key) {
    if (!v) {
        if (!error_) {
            fail(make_error(ErrorCode::bad_request, fmt::format("missing argument \"{}\"", key)));
        }
        return {};
    }
    return std::move(*v);
}

std::string ArgReader::required_string(std::string_view key, std::size_t max_bytes) {
    return required(read_string(key, max_bytes, false), key);
}

std::optional<std::string> ArgReader::optional_string(std::string_view key, std::size_t max_bytes) {
    return read_string(key, max_bytes, false);
}

std::string ArgReader::required_lines(std::string_view key, std::size_t max_bytes) {
    return required(read_string(key, max_bytes, true), key);
}

std::optional<std::string> ArgReader::optional_lines(std::string_view key, std::size_t max_bytes) {
    return read_string(key, max_bytes, true);
}

std::uint64_t ArgReader::required_uint(std::string_view key, std::uint64_t max) {
    auto v = optional_uint(key, max);
    if (!v) {
        if (!error_) {
            fail(make_error(ErrorCode::bad_request, fmt::format("missing argument \"{}\"", key)));
        }
        return 0;
    }
    return *v;
}

std::optional<std::uint64_t> ArgReader::optional_uint(std::string_view key, std::uint64_t max) {
    const auto* v = take(key);
    if (v == nullptr) {
        return std::nullopt;
    }
    std::optional<std::uint64_t> n;
    if (const auto* u = v->if_uint64()) {
        n = *u;
    } else if (const auto* i = v->if_int64(); i != nullptr && *i >= 0) {
        n = static_cast<std::uint64_t>(*i);
    }
    if (!n) {
        type_error(key, "a non-negative integer");
        return std::nullopt;
    }
    if (*n > max) {
        fail(make_error(ErrorCode::bad_request,
                        fmt::format("argument \"{}\" is larger than {}", key, max)));
        return std::nullopt;
    }
    return n;
}

bool ArgReader::optional_bool(std::string_view key, bool fallback) {
    const auto* v = take(key);
    if (v == nullptr) {
        return fallback;
    }
    if (!v->is_bool()) {
        type_error(key, "true or false");
        return fallback;
    }
    return v->get_bool();
}

std::vector<std::string> ArgReader::string_list(std::string_view key, std::size_t max_items,
                                                std::size_t max_bytes) {
    const auto* v = take(key);
    if (v == nullptr) {
        return {};
    }
    const auto* arr = v->if_array();
    if (arr == nullptr) {
        type_error(key, "an array of strings");
        return {};
    }
    if (arr->size() > max_items) {
        fail(make_error(ErrorCode::bad_request,
                        fmt::format("argument \"{}\" has more than {} items", key, max_items)));
        return {};
    }
    std::vector<std::string> out;
    out.reserve(arr->size());
    for (const auto& e : *arr) {
        const auto* s = e.if_string();
        if (s == nullptr || s->size() > max_bytes) {
            type_error(key, fmt::format("an array of strings of at most {} bytes", max_bytes));
            return {};
        }
        const std::string_view text(s->data(), s->size());
        if (!check_text(key, text, false, out.size())) {
            return {};
        }
        out.emplace_back(text);
    }
    return out;
}

std::vector<std::uint64_t> ArgReader::uint_list(std::string_view key, std::size_t max_items,
                                                std::uint64_t max) {
    const auto* v = take(key);
    if (v == nullptr) {
        return {};
    }
    const auto* arr = v->if_array();
    if (arr == nullptr) {
        type_error(key, "an array of non-negative integers");
        return {};
    }
    if (arr->size() > max_items) {
        fail(make_error(ErrorCode::bad_request,
                        fmt::format("argument \"{}\" has more than {} items", key, max_items)));
        return {};
    }
    std::vector<std::uint64_t> out;
    out.reserve(arr->size());
    for (const auto& e : *arr) {
        std::optional<std::uint64_t> n;
        if (const auto* u = e.if_uint64()) {
            n = *u;
        } else if (const auto* i = e.if_int64(); i != nullptr && *i >= 0) {
            n = static_cast<std::uint64_t>(*i);
        }
        if (!n || *n > max) {
            type_error(key, fmt::format("an array of integers from 0 to {}", max));
            return {};
        }
        out.push_back(*n);
    }
    return out;
}

std::optional<Error> ArgReader::finish() const {
    if (error_) {
        return error_;
    }
    for (const auto& kv : args_) {
        const std::string_view key(kv.key().data(), kv.key().size());
        if (std::find(seen_.begin(), seen_.end(), key) == seen_.end()) {
            return make_error(ErrorCode::bad_request,
                              fmt::format("unknown argument \"{}\"", printable(key, 40)));
        }
    }
    return std::nullopt;
}

}  // namespace strongroom::protocol
