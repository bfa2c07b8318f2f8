#include "daemon/protocol/message.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <fmt/format.h>

#include "daemon/common/text.hpp"
#include "daemon/protocol/json.hpp"

namespace strongroom::protocol {
namespace {

namespace json = boost::json;

Error bad(std::string message) {
    return make_error(ErrorCode::bad_request, std::move(message));
}

Result<std::uint64_t> read_id(const json::value& v) {
    if (const auto* u = v.if_uint64()) {
        return *u;
    }
    if (const auto* i = v.if_int64(); i != nullptr && *i >= 0) {
        return static_cast<std::uint64_t>(*i);
    }
    return bad("\"id\" must be a non-negative integer");
}

Status check_version(const json::object& obj) {
    const auto* v = obj.if_contains("v");
    if (v == nullptr) {
        return bad("missing protocol version \"v\"");
    }
    const auto* n = v->if_int64();
    if (n == nullptr) {
        return bad("protocol version \"v\" must be an integer");
    }
    if (*n != kProtocolVersion) {
        return bad(fmt::format("protocol version {} is not supported (this side speaks {})", *n,
                               kProtocolVersion));
    }
    return {};
}

Result<bool> read_stream_flag(const json::object& obj) {
    const auto* s = obj.if_contains("stream");
    if (s == nullptr) {
        return false;
    }
    if (!s->is_bool()) {
        return bad("\"stream\" must be true or false");
    }
    return s->get_bool();
}

}  // namespace

Response Response::success(std::uint64_t id, json::object result) {
    Response r;
    r.id = id;
    r.result = std::move(result);
    return r;
}

Response Response::failure(std::uint64_t id, Error error) {
    Response r;
    r.id = id;
    r.error = std::move(error);
    return r;
}

bool is_valid_op(std::string_view op) noexcept {
    if (op.empty() || op.size() > 48 || op[0] < 'a' || op[0] > 'z') {
        return false;
    }
    for (char c : op) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
        if (!ok) {
            return false;
        }
    }
    return true;
}

Result<Request> decode_request(std::string_view payload, const Limits& limits) {
    auto parsed = parse_strict(payload, limits);
    if (!parsed) {
        return std::move(parsed).error();
    }
    auto* obj = parsed->if_object();
    if (obj == nullptr) {
        return bad("a request must be a JSON object");
    }
    for (const auto& kv : *obj) {
        const auto key = kv.key();
        if (key != "v" && key != "id" && key != "op" && key != "args" && key != "stream") {
            return bad(fmt::format("unknown request field \"{}\"",
                                   printable(std::string_view(key.data(), key.size()), 40)));
        }
    }
    if (auto st = check_version(*obj); !st) {
        return std::move(st).error();
    }
    Request req;
    const auto* id = obj->if_contains("id");
    if (id == nullptr) {
        return bad("missing request \"id\"");
    }
    auto idv = read_id(*id);
    if (!idv) {
        return std::move(idv).error();
    }
    req.id = *idv;
    const auto* op = obj->if_contains("op");
    if (op == nullptr || !op->is_string()) {
        return bad("missing request \"op\" (a string)");
    }
    const auto& ops = op->get_string();
    if (!is_valid_op(std::string_view(ops.data(), ops.size()))) {
        return bad("\"op\" is not a valid operation name");
    }
    req.op.assign(ops.data(), ops.size());
    if (auto* args = obj->if_contains("args")) {
        if (!args->is_object()) {
            return bad("\"args\" must be a JSON object");
        }
        req.args = std::move(args->get_object());
    }
    auto stream = read_stream_flag(*obj);
    if (!stream) {
        return std::move(stream).error();
    }
    req.stream = *stream;
    return req;
}

std::string encode_request(const Request& request) {
    json::object obj;
    obj["v"] = kProtocolVersion;
    obj["id"] = request.id;
    obj["op"] = request.op;
    obj["args"] = request.args;
    if (request.stream) {
        obj["stream"] = true;
    }
    return json::serialize(obj);
}

Result<Response> decode_response(std::string_view payload, const Limits& limits) {
    auto parsed = parse_strict(payload, limits);
    if (!parsed) {
        return std::move(parsed).error();
    }
    const auto* obj = parsed->if_object();
    if (obj == nullptr) {
        return bad("a response must be a JSON object");
    }
    for (const auto& kv : *obj) {
        const auto key = kv.key();
        if (key != "v" && key != "id" && key != "result" && key != "error" && key != "stream") {
            return bad(fmt::format("unknown response field \"{}\"",
                                   printable(std::string_view(key.data(), key.size()), 40)));
        }
    }
    if (auto st = check_version(*obj); !st) {
        return std::move(st).error();
    }
    Response resp;
    const auto* id = obj->if_contains("id");
    if (id == nullptr) {
        return bad("missing response \"id\"");
    }
    auto idv = read_id(*id);
    if (!idv) {
        return std::move(idv).error();
    }
    resp.id = *idv;
    const auto* result = obj->if_contains("result");
    const auto* error = obj->if_contains("error");
    if ((result == nullptr) == (error == nullptr)) {
        return bad("a response carries exactly one of \"result\" and \"error\"");
    }
    if (result != nullptr) {
        if (!result->is_object()) {
            return bad("\"result\" must be a JSON object");
        }
        resp.result = result->get_object();
    } else {
        const auto* eobj = error->if_object();
        const auto* code = eobj != nullptr ? eobj->if_contains("code") : nullptr;
        const auto* message = eobj != nullptr ? eobj->if_contains("message") : nullptr;
        if (code == nullptr || !code->is_string() || message == nullptr || !message->is_string() ||
            eobj->size() != 2) {
            return bad("\"error\" must be {\"code\": STRING, \"message\": STRING}");
        }
        const auto& cs = code->get_string();
        auto ec = error_code_from_string(std::string_view(cs.data(), cs.size()));
        if (!ec) {
            return bad("unknown error code in response");
        }
        const auto& ms = message->get_string();
        resp.error = Error{*ec, std::string(ms.data(), ms.size())};
    }
    auto stream = read_stream_flag(*obj);
    if (!stream) {
        return std::move(stream).error();
    }
    resp.stream = *stream;
    return resp;
}

std::string encode_response(const Response& response) {
    // Written out directly: building an envelope object would copy the result.
    std::string out;
    out.reserve(256);
    out += "{\"v\":";
    out += std::to_string(kProtocolVersion);
    out += ",\"id\":";
    out += std::to_string(response.id);
    out += ',';
    if (response.error) {
        json::object err;
        err["code"] = to_string(response.error->code);
        err["message"] = response.error->message;
        out += "\"error\":";
        out += json::serialize(err);
    } else {
        out += "\"result\":";
        out += json::serialize(response.result);
    }
    if (response.stream) {
        out += ",\"stream\":true";
    }
    out += '}';
    return out;
}

}  // namespace strongroom::protocol
