#include "daemon/protocol/json.hpp"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/parser.hpp>
#include <fmt/format.h>

namespace strongroom::protocol {
namespace {

namespace json = boost::json;
using ec_t = boost::system::error_code;

// A SAX handler that only counts the key/value pairs of every object. The
// built value keeps one pair per distinct key, so fewer pairs in the value
// than were counted here means a key was repeated.
struct PairCounter {
    static constexpr std::size_t max_object_size = std::size_t(-1);
    static constexpr std::size_t max_array_size = std::size_t(-1);
    static constexpr std::size_t max_key_size = std::size_t(-1);
    static constexpr std::size_t max_string_size = std::size_t(-1);

    std::size_t pairs = 0;

    bool on_document_begin(ec_t&) { return true; }
    bool on_document_end(ec_t&) { return true; }
    bool on_object_begin(ec_t&) { return true; }
    bool on_object_end(std::size_t n, ec_t&) {
        pairs += n;
        return true;
    }
    bool on_array_begin(ec_t&) { return true; }
    bool on_array_end(std::size_t, ec_t&) { return true; }
    bool on_key_part(json::string_view, std::size_t, ec_t&) { return true; }
    bool on_key(json::string_view, std::size_t, ec_t&) { return true; }
    bool on_string_part(json::string_view, std::size_t, ec_t&) { return true; }
    bool on_string(json::string_view, std::size_t, ec_t&) { return true; }
    bool on_number_part(json::string_view, ec_t&) { return true; }
    bool on_int64(std::int64_t, json::string_view, ec_t&) { return true; }
    bool on_uint64(std::uint64_t, json::string_view, ec_t&) { return true; }
    // A number beyond the range of a double parses as infinity, which JSON
    // cannot represent: the document could not be written back. Refused.
    bool on_double(double d, json::string_view, ec_t& ec) {
        if (!std::isfinite(d)) {
            ec = json::error::exponent_overflow;
            return false;
        }
        return true;
    }
    bool on_bool(bool, ec_t&) { return true; }
    bool on_null(ec_t&) { return true; }
    bool on_comment_part(json::string_view, ec_t&) { return true; }
    bool on_comment(json::string_view, ec_t&) { return true; }
};

std::size_t count_pairs(const json::value& v) {
    std::size_t n = 0;
    if (const auto* obj = v.if_object()) {
        n += obj->size();
        for (const auto& kv : *obj) {
            n += count_pairs(kv.value());
        }
    } else if (const auto* arr = v.if_array()) {
        for (const auto& e : *arr) {
            n += count_pairs(e);
        }
    }
    return n;
}

}  // namespace

Result<json::value> parse_strict(std::string_view text, const Limits& limits) {
    json::parse_options options;
    options.max_depth = limits.max_json_depth;
    options.allow_comments = false;
    options.allow_trailing_commas = false;
    options.allow_invalid_utf8 = false;

    ec_t ec;
    json::basic_parser<PairCounter> counter(options);
    const std::size_t used = counter.write_some(false, text.data(), text.size(), ec);
    if (ec) {
        if (ec == json::error::too_deep) {
            return make_error(
                ErrorCode::bad_request,
                fmt::format("JSON nested deeper than {} levels", limits.max_json_depth));
        }
        return make_error(ErrorCode::bad_request,
                          fmt::format("malformed JSON at byte {}: {}", used, ec.message()));
    }
    if (used != text.size()) {
        return make_error(ErrorCode::bad_request,
                          fmt::format("{} bytes after the JSON document", text.size() - used));
    }

    // One parser per thread, reused: it keeps its working buffers.
    thread_local std::optional<json::parser> cached;
    thread_local unsigned cached_depth = 0;
    if (!cached || cached_depth != limits.max_json_depth) {
        cached.emplace(json::storage_ptr{}, options);
        cached_depth = limits.max_json_depth;
    }
    json::parser& parser = *cached;
    parser.reset();
    parser.write(text.data(), text.size(), ec);
    if (ec) {
        return make_error(ErrorCode::bad_request, fmt::format("malformed JSON: {}", ec.message()));
    }
    json::value value = parser.release();
    if (count_pairs(value) != counter.handler().pairs) {
        return make_error(ErrorCode::bad_request, "JSON object with a repeated key");
    }
    return value;
}

}  // namespace strongroom::protocol
