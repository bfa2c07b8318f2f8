// Unit tests of requests and responses: operation names, decoding with every
// refusal, and encode/decode round trips.
#include "daemon/protocol/message.hpp"

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace strongroom::protocol {
namespace {

namespace json = boost::json;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr std::uint64_t kMaxId = std::numeric_limits<std::uint64_t>::max();

// Expects decode_request to refuse payload with bad_request; returns the message.
std::string request_refusal(std::string_view payload, const Limits& limits = Limits{}) {
    const auto r = decode_request(payload, limits);
    EXPECT_FALSE(r.ok()) << "accepted: " << payload;
    if (r.ok()) {
        return {};
    }
    EXPECT_EQ(r.error().code, ErrorCode::bad_request) << payload;
    return r.error().message;
}

std::string response_refusal(std::string_view payload, const Limits& limits = Limits{}) {
    const auto r = decode_response(payload, limits);
    EXPECT_FALSE(r.ok()) << "accepted: " << payload;
    if (r.ok()) {
        return {};
    }
    EXPECT_EQ(r.error().code, ErrorCode::bad_request) << payload;
    return r.error().message;
}

TEST(IsValidOp, AcceptsTheDocumentedAlphabet) {
    // Verifies that 1-48 characters of [a-z0-9.-] starting with a letter are operation names.
    for (const char* op : {"a", "account.add", "record.list-holds", "x1.y2", "a.", "a-"}) {
        EXPECT_TRUE(is_valid_op(op)) << op;
    }
    EXPECT_TRUE(is_valid_op(std::string(48, 'o')));
}

TEST(IsValidOp, RefusesEverythingElse) {
    // Verifies that empty, too long, upper-case, badly started names and other characters are
    // refused.
    for (const char* op :
         {"", "Account.add", "account.Add", "1account", ".account", "-account", "account add",
          "account_add", "account/add", "account\n", "acc\xc3\xa9", "account:add"}) {
        EXPECT_FALSE(is_valid_op(op)) << '"' << op << '"';
    }
    EXPECT_FALSE(is_valid_op(std::string(49, 'o')));
}

TEST(DecodeRequest, ReadsEveryField) {
    // Verifies that a full request decodes into id, op, args and the stream flag.
    const auto r = decode_request(
        R"({"v": 1, "id": 7, "op": "account.add", "args": {"name": "alice", "uid": 1001,)"
        R"( "roles": ["registrar"]}, "stream": true})",
        Limits{});
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->id, 7U);
    EXPECT_EQ(r->op, "account.add");
    EXPECT_EQ(r->args.size(), 3U);
    EXPECT_EQ(r->args.at("name").as_string(), "alice");
    EXPECT_EQ(r->args.at("uid").as_int64(), 1001);
    EXPECT_TRUE(r->stream);
}

TEST(DecodeRequest, ArgsAndStreamAreOptional) {
    // Verifies that a request without args has empty args and one without stream is not streamed.
    const auto r = decode_request(R"({"op": "system.status", "id": 0, "v": 1})", Limits{});
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->id, 0U);
    EXPECT_EQ(r->op, "system.status");
    EXPECT_TRUE(r->args.empty());
    EXPECT_FALSE(r->stream);

    const auto s = decode_request(R"({"v": 1, "id": 1, "op": "a", "stream": false})", Limits{});
    ASSERT_TRUE(s.ok()) << s.error().message;
    EXPECT_FALSE(s->stream);
}

TEST(DecodeRequest, AcceptsTheWholeIdRange) {
    // Verifies that ids from 0 to 2^64-1 are accepted, including those above the int64 range.
    for (std::uint64_t id :
         {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{9223372036854775807ULL},
          std::uint64_t{9223372036854775808ULL}, kMaxId}) {
        const auto r =
            decode_request(R"({"v": 1, "id": )" + std::to_string(id) + R"(, "op": "a"})", Limits{});
        ASSERT_TRUE(r.ok()) << id << ": " << r.error().message;
        EXPECT_EQ(r->id, id);
    }
}

TEST(DecodeRequest, RefusesDocumentsThatAreNotObjects) {
    // Verifies that a request must be a JSON object.
    for (const char* payload : {"[]", "1", "\"account.add\"", "null", "true"}) {
        EXPECT_THAT(request_refusal(payload), HasSubstr("must be a JSON object")) << payload;
    }
}

TEST(DecodeRequest, RefusesMissingFields) {
    // Verifies that v, id and op are each required.
    EXPECT_THAT(request_refusal(R"({"id": 1, "op": "a"})"), HasSubstr("\"v\""));
    EXPECT_THAT(request_refusal(R"({"v": 1, "op": "a"})"), HasSubstr("\"id\""));
    EXPECT_THAT(request_refusal(R"({"v": 1, "id": 1})"), HasSubstr("\"op\""));
    EXPECT_THAT(request_refusal(R"({"v": 1, "id": 1, "args": {}})"), HasSubstr("\"op\""));
    request_refusal("{}");
}

TEST(DecodeRequest, RefusesExtraFields) {
    // Verifies that any field outside v, id, op, args, stream is refused and named (printably).
    EXPECT_THAT(request_refusal(R"({"v": 1, "id": 1, "op": "a", "uid": 0})"),
                HasSubstr("unknown request field \"uid\""));
    EXPECT_THAT(request_refusal(R"({"v": 1, "id": 1, "op": "a", "result": {}})"),
                HasSubstr("\"result\""));
    EXPECT_THAT(request_refusal(R"({"v": 1, "id": 1, "op": "a", "V": 1})"), HasSubstr("\"V\""));
    const std::string msg = request_refusal(R"({"v": 1, "id": 1, "op": "a", "x\ny\u001b": 1})");
    EXPECT_THAT(msg, HasSubstr("\"x?y?\""));
    EXPECT_THAT(msg, Not(HasSubstr("\n")));
}

TEST(DecodeRequest, RefusesWrongVersions) {
    // Verifies that only protocol version 1, written as an integer, is accepted.
    EXPECT_THAT(request_refusal(R"({"v": 2, "id": 1, "op": "a"})"),
                HasSubstr("protocol version 2 is not supported"));
    for (const char* v :
         {"0", "-1", "1.0", "\"1\"", "true", "null", "[1]", "{}", "18446744073709551615"}) {
        request_refusal(std::string(R"({"id": 1, "op": "a", "v": )") + v + "}");
    }
}

TEST(DecodeRequest, RefusesBadIds) {
    // Verifies that the id must be a non-negative integer: negative, fractional, string, bool, null
    // and too large are refused.
    for (const char* id : {"-1", "-9223372036854775808", "1.5", "1.0", "1e3", "\"7\"", "true",
                           "null", "[]", "{}", "18446744073709551616"}) {
        request_refusal(std::string(R"({"v": 1, "op": "a", "id": )") + id + "}");
    }
    EXPECT_THAT(request_refusal(R"({"v": 1, "op": "a", "id": -1})"),
                HasSubstr("non-negative integer"));
}

TEST(DecodeRequest, RefusesBadOperationNames) {
    // Verifies that op must be a string naming a valid operation.
    for (const char* op : {"\"\"", "\"Account.add\"", "\"1a\"", "\"a b\"", "\"a_b\"", "1", "null",
                           "[\"a\"]", "{}", "\"a\\u0000\""}) {
        request_refusal(std::string(R"({"v": 1, "id": 1, "op": )") + op + "}");
    }
    EXPECT_THAT(request_refusal(R"({"v": 1, "id": 1, "op": "Account"})"),
                HasSubstr("not a valid operation name"));
    request_refusal(R"({"v": 1, "id": 1, "op": ")" + std::string(49, 'a') + "\"}");
}

TEST(DecodeRequest, RefusesArgsThatAreNotAnObject) {
    // Verifies that args, when present, must be an object (null and arrays included).
    for (const char* args : {"[]", "null", "\"name\"", "1", "true", "[{\"name\": \"a\"}]"}) {
        EXPECT_THAT(
            request_refusal(std::string(R"({"v": 1, "id": 1, "op": "a", "args": )") + args + "}"),
            HasSubstr("\"args\" must be a JSON object"))
            << args;
    }
}

TEST(DecodeRequest, RefusesNonBooleanStream) {
    // Verifies that stream, when present, must be true or false.
    for (const char* stream : {"1", "0", "\"true\"", "null"}) {
        EXPECT_THAT(request_refusal(std::string(R"({"v": 1, "id": 1, "op": "a", "stream": )") +
                                    stream + "}"),
                    HasSubstr("\"stream\""))
            << stream;
    }
}

TEST(DecodeRequest, AppliesTheStrictJsonRules) {
    // Verifies that the JSON checks (depth, repeated keys, trailing bytes, UTF-8) apply to
    // requests.
    Limits limits;
    limits.max_json_depth = 3;
    EXPECT_TRUE(decode_request(R"({"v": 1, "id": 1, "op": "a", "args": {"x": [1]}})", limits).ok());
    EXPECT_THAT(request_refusal(R"({"v": 1, "id": 1, "op": "a", "args": {"x": [[1]]}})", limits),
                HasSubstr("deeper than 3"));
    EXPECT_THAT(request_refusal(R"({"v": 1, "id": 1, "op": "a", "op": "b"})"),
                HasSubstr("repeated key"));
    EXPECT_THAT(request_refusal(R"({"v": 1, "id": 1, "op": "a", "args": {"n": 1, "n": 2}})"),
                HasSubstr("repeated key"));
    request_refusal(R"({"v": 1, "id": 1, "op": "a"} {})");
    request_refusal("{\"v\": 1, \"id\": 1, \"op\": \"a\", \"args\": {\"n\": \"\xff\"}}");
}

TEST(RequestRoundTrip, EncodeThenDecodeGivesTheSameRequest) {
    // Verifies that whatever encode_request writes, decode_request reads back unchanged.
    Request a;
    a.id = 7;
    a.op = "account.add";
    a.args = json::parse(R"({"name": "alice", "uid": 1001, "roles": ["registrar"],)"
                         R"( "note": "line\nbreak \"quoted\" caf\u00e9 \ud834\udd1e",)"
                         R"( "nested": {"a": [1, -2, 3.5, true, null, {}]}})")
                 .as_object();
    Request b;
    b.id = kMaxId;
    b.op = "record.put";
    b.stream = true;
    Request c;  // all defaults
    c.op = "system.status";

    for (const Request& req : {a, b, c}) {
        const std::string text = encode_request(req);
        const auto back = decode_request(text, Limits{});
        ASSERT_TRUE(back.ok()) << text << ": " << back.error().message;
        EXPECT_EQ(back->id, req.id) << text;
        EXPECT_EQ(back->op, req.op) << text;
        EXPECT_EQ(back->args, req.args) << text;
        EXPECT_EQ(back->stream, req.stream) << text;
    }
}

TEST(RequestRoundTrip, EncodedRequestHasTheDocumentedShape) {
    // Verifies that encode_request writes v=1, id, op and args, and stream only when set.
    Request r;
    r.id = 3;
    r.op = "a";
    const auto plain = json::parse(encode_request(r)).as_object();
    EXPECT_EQ(plain.at("v").as_int64(), 1);
    EXPECT_EQ(plain.at("id").to_number<std::uint64_t>(), 3U);
    EXPECT_EQ(plain.at("op").as_string(), "a");
    EXPECT_TRUE(plain.at("args").as_object().empty());
    EXPECT_FALSE(plain.contains("stream"));
    r.stream = true;
    EXPECT_TRUE(json::parse(encode_request(r)).as_object().at("stream").as_bool());
}

TEST(ResponseFactories, SuccessAndFailure) {
    // Verifies that Response::success carries a result and no error, and failure the error.
    json::object result;
    result["n"] = 1;
    const auto ok = Response::success(9, result);
    EXPECT_EQ(ok.id, 9U);
    EXPECT_FALSE(ok.error.has_value());
    EXPECT_EQ(ok.result, result);
    EXPECT_FALSE(ok.stream);

    const auto bad = Response::failure(4, make_error(ErrorCode::denied, "no"));
    EXPECT_EQ(bad.id, 4U);
    ASSERT_TRUE(bad.error.has_value());
    EXPECT_EQ(bad.error->code, ErrorCode::denied);
    EXPECT_EQ(bad.error->message, "no");
}

TEST(ResponseRoundTrip, SuccessResponses) {
    // Verifies that results, ids and the stream flag survive encode_response then decode_response.
    auto a = Response::success(
        42, json::parse(R"({"accounts": [{"name": "alice", "roles": ["officer"]}],)"
                        R"( "count": 1, "text": "tab\there"})")
                .as_object());
    auto b = Response::success(kMaxId, {});
    b.stream = true;
    for (const Response& resp : {a, b}) {
        const std::string text = encode_response(resp);
        const auto back = decode_response(text, Limits{});
        ASSERT_TRUE(back.ok()) << text << ": " << back.error().message;
        EXPECT_EQ(back->id, resp.id);
        EXPECT_FALSE(back->error.has_value());
        EXPECT_EQ(back->result, resp.result);
        EXPECT_EQ(back->stream, resp.stream);
    }
}

TEST(ResponseRoundTrip, ErrorResponsesOfEveryCode) {
    // Verifies that an error of each code, with any message text, survives the round trip.
    for (auto code : {ErrorCode::internal, ErrorCode::bad_request, ErrorCode::denied,
                      ErrorCode::not_found, ErrorCode::conflict, ErrorCode::unavailable}) {
        const auto resp =
            Response::failure(11, make_error(code, "refused: \"quoted\"\nsecond line caf\xc3\xa9"));
        const std::string text = encode_response(resp);
        EXPECT_THAT(text, Not(HasSubstr("\"result\""))) << text;
        const auto back = decode_response(text, Limits{});
        ASSERT_TRUE(back.ok()) << text << ": " << back.error().message;
        EXPECT_EQ(back->id, 11U);
        ASSERT_TRUE(back->error.has_value());
        EXPECT_EQ(back->error->code, code);
        EXPECT_EQ(back->error->message, resp.error->message);
        EXPECT_TRUE(back->result.empty());
    }
}

TEST(DecodeResponse, ReadsTheDocumentedForms) {
    // Verifies that both response shapes of message.hpp decode as written.
    const auto ok = decode_response(R"({"v": 1, "id": 7, "result": {"n": 2}})", Limits{});
    ASSERT_TRUE(ok.ok()) << ok.error().message;
    EXPECT_EQ(ok->id, 7U);
    EXPECT_EQ(ok->result.at("n").as_int64(), 2);
    const auto err = decode_response(
        R"({"v": 1, "id": 7, "error": {"code": "conflict", "message": "held"}})", Limits{});
    ASSERT_TRUE(err.ok()) << err.error().message;
    ASSERT_TRUE(err->error.has_value());
    EXPECT_EQ(err->error->code, ErrorCode::conflict);
    EXPECT_EQ(err->error->message, "held");
}

TEST(DecodeResponse, RefusesMalformedResponses) {
    // Verifies every refusal of decode_response: shape, fields, version, id, result/error
    // exclusivity, error object.
    for (const char* payload : {
             "[]",
             R"({"id": 1, "result": {}})",
             R"({"v": 2, "id": 1, "result": {}})",
             R"({"v": 1, "result": {}})",
             R"({"v": 1, "id": -1, "result": {}})",
             R"({"v": 1, "id": "1", "result": {}})",
             R"({"v": 1, "id": 1})",
             R"({"v": 1, "id": 1, "result": {}, "error": {"code": "denied", "message": ""}})",
             R"({"v": 1, "id": 1, "result": []})",
             R"({"v": 1, "id": 1, "result": null})",
             R"({"v": 1, "id": 1, "result": {}, "op": "a"})",
             R"({"v": 1, "id": 1, "result": {}, "stream": 1})",
             R"({"v": 1, "id": 1, "error": "denied"})",
             R"({"v": 1, "id": 1, "error": {"code": "denied"}})",
             R"({"v": 1, "id": 1, "error": {"message": "no"}})",
             R"({"v": 1, "id": 1, "error": {"code": "denied", "message": "no", "x": 1}})",
             R"({"v": 1, "id": 1, "error": {"code": 3, "message": "no"}})",
             R"({"v": 1, "id": 1, "error": {"code": "denied", "message": 3}})",
             R"({"v": 1, "id": 1, "error": {"code": "forbidden", "message": "no"}})",
             R"({"v": 1, "id": 1, "error": {"code": "Denied", "message": "no"}})",
             R"({"v": 1, "id": 1, "error": {"code": "denied", "message": "a", "message": "b"}})",
             R"({"v": 1, "id": 1, "result": {}} x)",
         }) {
        response_refusal(payload);
    }
    EXPECT_THAT(response_refusal(R"({"v": 1, "id": 1, "result": {}, "extra": 1})"),
                HasSubstr("unknown response field \"extra\""));
    EXPECT_THAT(response_refusal(R"({"v": 1, "id": 1})"), HasSubstr("exactly one"));
    EXPECT_THAT(
        response_refusal(R"({"v": 1, "id": 1, "error": {"code": "forbidden", "message": "no"}})"),
        HasSubstr("unknown error code"));
}

}  // namespace
}  // namespace strongroom::protocol
