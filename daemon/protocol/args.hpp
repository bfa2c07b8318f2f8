// Strict reading of a request's "args" object.
//
//   ArgReader r(request.args);
//   auto name = r.required_string("name", 64);
//   auto uid = r.required_uint("uid", 4294967294);
//   if (auto err = r.finish()) { return *err; }
//
// Each accessor marks its field as read. The first problem (a missing field,
// a wrong type, a value out of range) is kept and later accessors return
// empty values; finish() reports it, or else any field nobody read, because an
// argument the daemon does not understand is an error, never ignored.
//
// Text is one line unless a handler asks for more: the string accessors
// refuse every control character (is_control_code_point in
// daemon/common/text.hpp: C0 including NUL, TAB, CR and LF, DEL, C1, the line
// and paragraph separators and the bidirectional controls), naming the
// argument, because such text reaches other people's terminals, copies'
// markings and signed documents. The *_lines accessors are for the few fields
// that are prose of several lines (a justification, a note): they allow LF
// and TAB and refuse the rest.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "daemon/common/error.hpp"

namespace strongroom::protocol {

class ArgReader {
public:
    explicit ArgReader(const boost::json::object& args) : args_(args) {}

    std::string required_string(std::string_view key, std::size_t max_bytes);
    std::optional<std::string> optional_string(std::string_view key, std::size_t max_bytes);
    // Text of several lines: LF and TAB allowed, every other control refused.
    std::string required_lines(std::string_view key, std::size_t max_bytes);
    std::optional<std::string> optional_lines(std::string_view key, std::size_t max_bytes);
    std::uint64_t required_uint(std::string_view key, std::uint64_t max);
    std::optional<std::uint64_t> optional_uint(std::string_view key, std::uint64_t max);
    bool optional_bool(std::string_view key, bool fallback);
    // An array of one-line strings, absent meaning empty.
    std::vector<std::string> string_list(std::string_view key, std::size_t max_items,
                                         std::size_t max_bytes);

    // An array of non-negative integers up to max, absent meaning empty.
    std::vector<std::uint64_t> uint_list(std::string_view key, std::size_t max_items,
                                         std::uint64_t max);

    // Records a validation failure found by the caller (for example, a name
    // that is well-typed but not well-formed). Only the first one is kept.
    void fail(Error error);

    // The first problem found, or an unknown field, or nothing.
    std::optional<Error> finish() const;
    // Whether an argument was refused already (finish() will report it).
    bool failed() const noexcept { return error_.has_value(); }

private:
    const boost::json::value* take(std::string_view key);
    void type_error(std::string_view key, std::string_view expected);
    std::optional<std::string> read_string(std::string_view key, std::size_t max_bytes,
                                           bool multi_line);
    std::string required(std::optional<std::string> v, std::string_view key);
    // Fails (naming the argument, and the item of a list) if text holds a
    // control character; true when it is clean.
    bool check_text(std::string_view key, std::string_view text, bool multi_line,
                    std::optional<std::size_t> item = std::nullopt);

    const boost::json::object& args_;
    std::vector<std::string> seen_;
    std::optional<Error> error_;
};

}  // namespace strongroom::protocol
