// libFuzzer target for the decoders of peer bytes (daemon/protocol).
//
// The input is what a peer could write on the socket: a stream of frames. Each
// 5-byte header goes through decode_header with the limits, and each message
// payload through decode_request (what the daemon does) and decode_response
// (what the tools do). A refused header ends the stream, as it ends the
// connection; a frame cut short ends it too (the server would wait and time
// out). Other refusals do not stop the loop, so one input can reach many
// documents.
//
// Besides crashes, leaks and undefined behaviour (ASan/UBSan), the target
// aborts when an invariant breaks:
//   - an accepted header encodes back to the same five bytes;
//   - a refusal is always bad_request with a message;
//   - an accepted request or response survives encode then decode unchanged
//     (what the daemon accepts, the tools can write, and the other way round);
//   - ArgReader::finish() accepts only arguments it was asked for.
//
// Seeds (corpus/decoder/): request-* and response-* are valid streams, bad-*
// one of each refusal, regress-* inputs that once broke an invariant.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>

#include <boost/json/value.hpp>

#include "daemon/protocol/args.hpp"
#include "daemon/protocol/frame.hpp"
#include "daemon/protocol/message.hpp"

namespace {

namespace json = boost::json;
namespace protocol = strongroom::protocol;
using strongroom::Error;
using strongroom::ErrorCode;

// The daemon's defaults, except a frame limit of 64 KiB: scripts/fuzz runs
// with -max_len=70000, so frames both within and over the limit occur.
protocol::Limits fuzz_limits() {
    protocol::Limits limits;
    limits.max_frame_bytes = 64 * 1024;
    limits.max_json_depth = 16;
    return limits;
}

[[noreturn]] void broken(const char* invariant) {
    std::fprintf(stderr, "fuzz_decoder: invariant broken: %s\n", invariant);
    std::abort();
}

void check_refusal(const Error& error) {
    if (error.code != ErrorCode::bad_request || error.message.empty()) {
        broken("a refusal is bad_request with a message");
    }
}

// Equality of JSON values, except that doubles may differ in the last bits
// (the parser does not promise correctly rounded doubles, and the protocol
// carries none: ArgReader reads integers, strings and booleans).
bool same(const json::value& a, const json::value& b) {
    if (a.is_double() && b.is_double()) {
        const double x = a.get_double();
        const double y = b.get_double();
        return x == y || std::fabs(x - y) <= 1e-12 * std::fmax(std::fabs(x), std::fabs(y));
    }
    if (a.kind() != b.kind()) {
        return false;
    }
    if (a.is_object()) {
        const auto& oa = a.get_object();
        const auto& ob = b.get_object();
        if (oa.size() != ob.size()) {
            return false;
        }
        for (const auto& kv : oa) {
            const auto* other = ob.if_contains(kv.key());
            if (other == nullptr || !same(kv.value(), *other)) {
                return false;
            }
        }
        return true;
    }
    if (a.is_array()) {
        const auto& aa = a.get_array();
        const auto& ab = b.get_array();
        if (aa.size() != ab.size()) {
            return false;
        }
        for (std::size_t i = 0; i < aa.size(); ++i) {
            if (!same(aa[i], ab[i])) {
                return false;
            }
        }
        return true;
    }
    return a == b;
}

bool same(const json::object& a, const json::object& b) {
    return same(json::value(a), json::value(b));
}

// Reads the arguments the way a handler does (account.add's fields).
void check_args(const json::object& args) {
    protocol::ArgReader reader(args);
    (void)reader.optional_string("name", 64);
    (void)reader.optional_uint("uid", 4294967294U);
    (void)reader.string_list("roles", 3, 32);
    (void)reader.optional_bool("force", false);
    const auto err = reader.finish();
    if (err) {
        check_refusal(*err);
        return;
    }
    for (const auto& kv : args) {
        const std::string_view key(kv.key().data(), kv.key().size());
        if (key != "name" && key != "uid" && key != "roles" && key != "force") {
            broken("ArgReader::finish() accepted an argument nobody read");
        }
    }
}

void check_request(std::string_view payload, const protocol::Limits& limits) {
    auto request = protocol::decode_request(payload, limits);
    if (!request) {
        check_refusal(request.error());
        return;
    }
    if (!protocol::is_valid_op(request->op)) {
        broken("an accepted request has a valid op");
    }
    const std::string again = protocol::encode_request(*request);
    auto back = protocol::decode_request(again, limits);
    if (!back) {
        broken("an accepted request survives encode_request then decode_request");
    }
    if (back->id != request->id || back->op != request->op || back->stream != request->stream ||
        !same(back->args, request->args)) {
        broken("encode_request then decode_request gives the same request");
    }
    check_args(request->args);
}

void check_response(std::string_view payload, const protocol::Limits& limits) {
    auto response = protocol::decode_response(payload, limits);
    if (!response) {
        check_refusal(response.error());
        return;
    }
    const std::string again = protocol::encode_response(*response);
    auto back = protocol::decode_response(again, limits);
    if (!back) {
        broken("an accepted response survives encode_response then decode_response");
    }
    const bool same_error = back->error.has_value() == response->error.has_value() &&
                            (!back->error || (back->error->code == response->error->code &&
                                              back->error->message == response->error->message));
    if (back->id != response->id || back->stream != response->stream || !same_error ||
        !same(back->result, response->result)) {
        broken("encode_response then decode_response gives the same response");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const protocol::Limits limits = fuzz_limits();
    std::span<const std::uint8_t> rest(data, size);
    while (rest.size() >= protocol::kHeaderSize) {
        const auto head = rest.first<protocol::kHeaderSize>();
        rest = rest.subspan(protocol::kHeaderSize);
        const auto header = protocol::decode_header(head, limits);
        if (!header) {
            check_refusal(header.error());
            return 0;  // the server answers and closes the connection
        }
        const auto encoded = protocol::encode_header(header->type, header->length);
        if (!std::equal(encoded.begin(), encoded.end(), head.begin())) {
            broken("an accepted header encodes back to the same bytes");
        }
        if (header->length > limits.max_frame_bytes) {
            broken("decode_header enforces the frame limit");
        }
        if (header->length > rest.size()) {
            return 0;  // cut short: the server waits, then times out
        }
        const std::string_view payload(reinterpret_cast<const char*>(rest.data()), header->length);
        rest = rest.subspan(header->length);
        if (header->type == protocol::FrameType::message) {
            check_request(payload, limits);
            check_response(payload, limits);
        }
    }
    return 0;
}
