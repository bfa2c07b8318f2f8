// libFuzzer target for the labels and markings a request names: levels,
// authorities, roles, account/post/compartment names (daemon/policy,
// daemon/common/text) and the escaping of a marking line's fields.
//
// The input is tried as each kind of word; it is also split at ',' into a
// list of roles, as account.add passes them. Invariants:
//   - an accepted level, authority or role is named back by its canonical
//     name (and a level by its marking), which parse to the same value;
//   - combine_roles() accepts only lists whose every name parses;
//   - a name is_valid_name() accepts is 1-64 of [A-Za-z0-9._-] starting
//     with a letter or digit;
//   - line_field() leaves no '|', no control character and none of the
//     fingerprint's invisible characters, so a marking line built from it
//     carries no fingerprint and splits into exactly its fields.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "daemon/common/fingerprint.hpp"
#include "daemon/common/text.hpp"
#include "daemon/policy/clearance.hpp"
#include "daemon/policy/roles.hpp"
#include "tests/fuzz/fuzz_util.hpp"

namespace {

namespace policy = strongroom::policy;
using strongroom::fuzz::broken;

bool name_chars(std::string_view s) {
    if (s.empty() || s.size() > 64) {
        return false;
    }
    auto alnum = [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    };
    if (!alnum(s[0])) {
        return false;
    }
    for (const char c : s) {
        if (!alnum(c) && c != '.' && c != '_' && c != '-') {
            return false;
        }
    }
    return true;
}

void check_words(std::string_view text) {
    if (const auto level = policy::parse_level(text)) {
        if (*level < policy::kUnclassified || *level > policy::kHighestLevel) {
            broken("fuzz_labels", "a level is within range");
        }
        if (policy::parse_level(policy::level_name(*level)) != level ||
            policy::parse_level(policy::level_marking(*level)) != level) {
            broken("fuzz_labels", "a level's name and marking parse to it");
        }
    }
    if (const auto a = policy::parse_authority(text)) {
        if (policy::parse_authority(policy::authority_name(*a)) != a) {
            broken("fuzz_labels", "an authority's name parses to it");
        }
    }
    if (const auto role = policy::parse_role(text)) {
        if (policy::parse_role(policy::role_name(*role)) != role) {
            broken("fuzz_labels", "a role's name parses to it");
        }
    }
    if (strongroom::is_valid_name(text) != name_chars(text)) {
        broken("fuzz_labels", "is_valid_name() accepts 1-64 of [A-Za-z0-9._-], alphanumeric first");
    }
}

void check_roles(std::string_view text) {
    std::vector<std::string> names;
    bool all_parse = true;
    std::size_t from = 0;
    for (;;) {
        const auto at = text.find(',', from);
        const auto word = text.substr(from, at == std::string_view::npos ? at : at - from);
        names.emplace_back(word);
        all_parse = all_parse && policy::parse_role(word).has_value();
        if (at == std::string_view::npos || names.size() > 8) {
            break;
        }
        from = at + 1;
    }
    const auto set = policy::combine_roles(names);
    if (set && !all_parse) {
        broken("fuzz_labels", "combine_roles() accepts only roles that parse");
    }
    if (set) {
        for (const auto& name : policy::role_names(*set)) {
            const auto r = policy::parse_role(name);
            if (!r || !policy::has(*set, *r)) {
                broken("fuzz_labels", "role_names() names the roles of the set");
            }
        }
    }
}

void check_marking(std::string_view text) {
    const auto field = strongroom::line_field(text);
    if (field.find('|') != std::string::npos) {
        broken("fuzz_labels", "line_field() leaves no '|'");
    }
    for (const char* invisible : {"\xE2\x80\x8B", "\xE2\x80\x8C", "\xE2\x80\x8D", "\xE2\x81\xA0",
                                  "\xEF\xBB\xBF", "\n", "\r"}) {
        if (field.find(invisible) != std::string::npos) {
            broken("fuzz_labels", "line_field() leaves no line end and no fingerprint character");
        }
    }
    for (const char c : field) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f) {
            broken("fuzz_labels", "line_field() leaves no C0 control or DEL");
        }
    }
    const std::string line = "CONFIDENTIAL|" + field + "|copy 1 of 2|" + field;
    strongroom::fingerprint::Scanner scanner;
    scanner.feed({reinterpret_cast<const std::uint8_t*>(line.data()), line.size()});
    if (!scanner.tokens().empty()) {
        broken("fuzz_labels", "a marking line of escaped fields carries no fingerprint");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto text = strongroom::fuzz::text_of(data, size);
    check_words(text);
    check_roles(text);
    check_marking(text);
    return 0;
}
