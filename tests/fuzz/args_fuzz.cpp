// libFuzzer target for the reading of a request's arguments: the strict JSON
// parser (daemon/protocol/json), ArgReader (daemon/protocol/args) and the
// readers every handler shares (daemon/service/arguments: names, levels,
// last days). Every handler reads its "args" through these; the live daemon
// target (fuzz_daemon) drives the handlers themselves.
//
// The input is a program and a document: a byte for the number of reads
// (up to 12), for each read a byte choosing the accessor and one choosing
// the argument's name (among the names requests use), then the "args" JSON.
// Invariants, when finish() accepts:
//   - every argument in the object was read by someone;
//   - strings are within their bound and hold no control character (the
//     *_lines accessors allow only LF and TAB), integers within theirs, lists
//     within their item count;
//   - names are valid names, levels within range, a last day parses to its
//     start and ends a day later.
// A refusal is always bad_request with a message.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include <boost/json/value.hpp>

#include "daemon/common/text.hpp"
#include "daemon/common/time.hpp"
#include "daemon/policy/clearance.hpp"
#include "daemon/protocol/args.hpp"
#include "daemon/protocol/json.hpp"
#include "daemon/service/arguments.hpp"
#include "tests/fuzz/fuzz_util.hpp"

namespace {

namespace protocol = strongroom::protocol;
namespace service = strongroom::service;
using strongroom::fuzz::broken;

constexpr std::string_view kNames[] = {
    "name",   "uid",         "roles",        "force",         "level",
    "title",  "to",          "note",         "records",       "batch",
    "sha256", "kind",        "until",        "date",          "id",
    "record", "post",        "compartments", "justification", "checkpoint",
    "from",   "second_name", "second_uid",   "fingerprints",  "type",
    "as_of",  "limit"};

void check_text(std::string_view s, std::size_t max, bool lines) {
    if (s.size() > max) {
        broken("fuzz_args", "a string is within its bound");
    }
    for (const char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if ((u < 0x20 || u == 0x7f) && !(lines && (c == '\n' || c == '\t'))) {
            broken("fuzz_args", "an accepted string holds no control character");
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) {
        return 0;
    }
    const std::size_t reads = data[0] % 13U;
    if (size < 1 + 2 * reads) {
        return 0;
    }
    const auto program = std::basic_string_view<std::uint8_t>(data + 1, 2 * reads);
    const auto text = strongroom::fuzz::text_of(data + 1 + 2 * reads, size - 1 - 2 * reads);

    protocol::Limits limits;
    limits.max_frame_bytes = 64 * 1024;
    limits.max_json_depth = 16;
    const auto doc = protocol::parse_strict(text, limits);
    if (!doc) {
        if (doc.error().code != strongroom::ErrorCode::bad_request || doc.error().message.empty()) {
            broken("fuzz_args", "a refused document is bad_request with a message");
        }
        return 0;
    }
    if (!doc->is_object()) {
        return 0;
    }
    const auto& args = doc->get_object();
    protocol::ArgReader reader(args);
    std::set<std::string_view> asked;
    // What was read, checked once finish() has accepted.
    struct Read {
        std::optional<std::string> text;
        std::size_t max = 0;
        bool lines = false;
    };
    std::vector<Read> strings;
    for (std::size_t i = 0; i < reads; ++i) {
        const auto key = kNames[program[2 * i + 1] % std::size(kNames)];
        asked.insert(key);
        switch (program[2 * i] % 12U) {
            case 0:
                strings.push_back({reader.required_string(key, 64), 64, false});
                break;
            case 1:
                strings.push_back({reader.optional_string(key, 16), 16, false});
                break;
            case 2:
                strings.push_back({reader.required_lines(key, 2000), 2000, true});
                break;
            case 3:
                strings.push_back({reader.optional_lines(key, 100), 100, true});
                break;
            case 4:
                if (reader.required_uint(key, 4294967294U) > 4294967294U) {
                    broken("fuzz_args", "an integer is within its bound");
                }
                break;
            case 5:
                if (const auto v = reader.optional_uint(key, 1000); v && *v > 1000) {
                    broken("fuzz_args", "an integer is within its bound");
                }
                break;
            case 6:
                (void)reader.optional_bool(key, false);
                break;
            case 7: {
                const auto list = reader.string_list(key, 3, 32);
                if (list.size() > 3) {
                    broken("fuzz_args", "a list is within its item count");
                }
                for (const auto& s : list) {
                    strings.push_back({s, 32, false});
                }
                break;
            }
            case 8: {
                const auto list = reader.uint_list(key, 5, 99);
                if (list.size() > 5) {
                    broken("fuzz_args", "a list is within its item count");
                }
                for (const auto v : list) {
                    if (v > 99) {
                        broken("fuzz_args", "a list's integers are within their bound");
                    }
                }
                break;
            }
            case 9: {
                const auto name = service::checked_name(reader, key, "account");
                strings.push_back({name.empty() ? std::optional<std::string>() : name, 64, false});
                if (!reader.finish() && !strongroom::is_valid_name(name)) {
                    broken("fuzz_args", "an accepted name is a valid name");
                }
                break;
            }
            case 10: {
                const auto level = service::checked_level(reader, key);
                if (level < strongroom::policy::kUnclassified ||
                    level > strongroom::policy::kHighestLevel) {
                    broken("fuzz_args", "a level is within range");
                }
                break;
            }
            default: {
                const auto day = service::optional_last_day(reader, key);
                if (!reader.finish() && day.text) {
                    const auto start = strongroom::parse_date(*day.text);
                    if (!start || day.start != start || day.end != *start + 86400LL * 1000000LL) {
                        broken("fuzz_args", "a last day parses to its start and ends a day later");
                    }
                }
                break;
            }
        }
    }
    const auto err = reader.finish();
    if (err) {
        if (err->code != strongroom::ErrorCode::bad_request || err->message.empty()) {
            broken("fuzz_args", "a refusal is bad_request with a message");
        }
        return 0;
    }
    for (const auto& kv : args) {
        if (asked.count(std::string_view(kv.key().data(), kv.key().size())) == 0) {
            broken("fuzz_args", "finish() accepts only arguments that were read");
        }
    }
    for (const auto& r : strings) {
        if (r.text) {
            check_text(*r.text, r.max, r.lines);
        }
    }
    return 0;
}
