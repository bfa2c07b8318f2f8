// Strict JSON decoding for everything that arrives over the socket.
#pragma once

#include <string_view>

#include <boost/json/value.hpp>

#include "daemon/common/error.hpp"
#include "daemon/protocol/frame.hpp"

namespace strongroom::protocol {

// Parses exactly one JSON document. Refused, with a message naming the
// problem: syntax errors, invalid UTF-8, nesting deeper than
// limits.max_json_depth, trailing bytes after the document, and an object
// with the same key twice (which parsers disagree on, so it is never read).
Result<boost::json::value> parse_strict(std::string_view text, const Limits& limits);

}  // namespace strongroom::protocol
