// libFuzzer target for the configuration reader (daemon/config).
//
// The input is the text of a strongroomd.conf. Invariants:
//   - every problem names a message, and a line within the text when it has one;
//   - a configuration parse() accepts with no problem renders with to_toml() into text that parses
//   without a problem
//     to the same configuration, and renders again to the same text.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "daemon/config/config.hpp"
#include "tests/fuzz/fuzz_util.hpp"

namespace config = strongroom::config;
using strongroom::fuzz::broken;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto text = strongroom::fuzz::text_of(data, size);
    const auto loaded = config::parse(text, "fuzz.conf");
    std::size_t lines = 1;
    for (const char c : text) {
        lines += c == '\n' ? 1U : 0U;
    }
    for (const auto& p : loaded.problems) {
        if (p.message.empty()) {
            broken("fuzz_config", "a problem has a message");
        }
        if (p.line && (*p.line == 0 || *p.line > lines)) {
            broken("fuzz_config", "a problem's line is a line of the text");
        }
        (void)config::format(p, loaded.source);
    }
    if (!loaded.problems.empty()) {
        // A setting refused against another (admin_space_left_mib above
        // space_left_mib) stays in config with its problem; the daemon
        // starts only with no problem, so only that case must round trip.
        return 0;
    }
    const auto toml = config::to_toml(loaded.config);
    const auto again = config::parse(toml, "to_toml");
    if (!again.problems.empty()) {
        std::fprintf(stderr, "%s\n", config::format(again.problems.front(), "to_toml").c_str());
        broken("fuzz_config", "to_toml() renders a configuration that parses without a problem");
    }
    if (!(again.config == loaded.config)) {
        broken("fuzz_config", "parse(to_toml(c)) gives c back");
    }
    if (config::to_toml(again.config) != toml) {
        broken("fuzz_config", "to_toml() is stable");
    }
    return 0;
}
