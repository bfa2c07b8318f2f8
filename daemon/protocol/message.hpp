// Requests and responses: the JSON documents carried in message frames.
//
//   request   {"v": 1, "id": N, "op": "account.add", "args": {...}}
//   response  {"v": 1, "id": N, "result": {...}}
//          or {"v": 1, "id": N, "error": {"code": "denied", "message": "..."}}
//
// "id" is chosen by the client and echoed in the response. A request whose
// content follows as data frames says so with "stream": true. Unknown fields
// are errors at every level.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "daemon/common/error.hpp"
#include "daemon/protocol/frame.hpp"

namespace strongroom::protocol {

struct Request {
    std::uint64_t id = 0;
    std::string op;
    boost::json::object args;
    bool stream = false;  // content follows as data frames, ended by data_end
};

struct Response {
    std::uint64_t id = 0;
    std::optional<Error> error;  // set: a refusal or failure
    boost::json::object result;  // otherwise: the answer
    bool stream = false;         // content follows as data frames, ended by data_end

    static Response success(std::uint64_t id, boost::json::object result);
    static Response failure(std::uint64_t id, Error error);
};

// An operation name: 1-48 characters of [a-z0-9.-], starting with a letter.
bool is_valid_op(std::string_view op) noexcept;

Result<Request> decode_request(std::string_view payload, const Limits& limits);
std::string encode_request(const Request& request);

Result<Response> decode_response(std::string_view payload, const Limits& limits);
std::string encode_response(const Response& response);

}  // namespace strongroom::protocol
