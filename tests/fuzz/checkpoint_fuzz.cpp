// libFuzzer target for the audit checkpoints (daemon/audit/checkpoint): the
// checkpoint file STATE_DIR/audit-checkpoints as CheckpointLog::read() reads
// it, and the signed checkpoint an auditor carries (parse_signed_checkpoint).
//
// The first byte chooses:
//   'S'  the rest is a signed checkpoint;
//   'M'  the rest is a checkpoint file whose lines of three fields
//        "<seq> <head> <time>" get their line MAC from the target's key, so
//        that the fields behind the MAC are reached;
//   else the rest is a checkpoint file as it is.
// The file is written to a scratch directory of this process under /tmp.
// Invariants:
//   - every non-empty line is either a checkpoint or a problem;
//   - the checkpoints read, appended to a fresh file, read back the same
//     with no problem;
//   - an accepted signed checkpoint, signed again with the same fields,
//     parses to the same fields, and its signature verifies.
#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "daemon/audit/checkpoint.hpp"
#include "daemon/common/text.hpp"
#include "daemon/crypto/ed25519.hpp"
#include "daemon/crypto/mac.hpp"
#include "tests/fuzz/fuzz_util.hpp"

namespace {

namespace audit = strongroom::audit;
namespace crypto = strongroom::crypto;
using strongroom::fuzz::broken;

constexpr std::array<std::uint8_t, 32> kKey = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
                                               12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
                                               23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

strongroom::fuzz::ScratchDir& scratch() {
    static strongroom::fuzz::ScratchDir dir("checkpoint");
    return dir;
}

crypto::HmacSha256 mac() {
    return crypto::HmacSha256(kKey);
}

std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> out;
    std::size_t from = 0;
    for (auto at = s.find(sep); at != std::string_view::npos; at = s.find(sep, from)) {
        out.push_back(s.substr(from, at - from));
        from = at + 1;
    }
    out.push_back(s.substr(from));
    return out;
}

// Lines of three fields get the MAC the daemon would write (over the seq as
// a number, the other fields as they are).
std::string with_line_macs(std::string_view text) {
    auto m = mac();
    std::string out;
    for (const auto line : split(text, '\n')) {
        const auto f = split(line, ' ');
        out += line;
        if (f.size() == 3 && !f[0].empty() && f[0].size() < 19 &&
            f[0].find_first_not_of("0123456789") == std::string_view::npos) {
            const auto seq = std::stoll(std::string(f[0]));
            const std::string message = "strongroom checkpoint v1|" + std::to_string(seq) + "|" +
                                        std::string(f[1]) + "|" + std::string(f[2]);
            out += " " + strongroom::to_hex(m.mac(message));
        }
        out += "\n";
    }
    return out;
}

audit::CheckpointFileContent read_file(const std::filesystem::path& path, std::string_view text) {
    std::filesystem::remove(path);
    {
        std::ofstream out(path, std::ios::binary);
        out.write(text.data(), static_cast<std::streamsize>(text.size()));
    }
    audit::CheckpointLog log(path, mac());
    auto content = log.read();
    if (!content) {
        broken("fuzz_checkpoint", "a readable checkpoint file is read");
    }
    return std::move(*content);
}

bool same(const audit::Checkpoint& a, const audit::Checkpoint& b) {
    return a.seq == b.seq && a.head == b.head && a.at == b.at;
}

void check_file(std::string_view text) {
    const auto path = scratch().path() / "audit-checkpoints";
    const auto content = read_file(path, text);
    std::size_t lines = 0;
    for (const auto line : split(text, '\n')) {
        lines += line.empty() ? 0U : 1U;
    }
    if (content.checkpoints.size() + content.problems.size() != lines) {
        broken("fuzz_checkpoint", "every non-empty line is a checkpoint or a problem");
    }
    const auto again_path = scratch().path() / "again";
    std::filesystem::remove(again_path);
    {
        audit::CheckpointLog log(again_path, mac());
        for (const auto& c : content.checkpoints) {
            if (!log.append(c)) {
                broken("fuzz_checkpoint", "a checkpoint read can be appended");
            }
        }
        const auto back = log.read();
        if (!back || !back->problems.empty() ||
            back->checkpoints.size() != content.checkpoints.size()) {
            broken("fuzz_checkpoint", "checkpoints appended read back with no problem");
        }
        for (std::size_t i = 0; i < back->checkpoints.size(); ++i) {
            if (!same(back->checkpoints[i], content.checkpoints[i])) {
                broken("fuzz_checkpoint", "checkpoints appended read back the same");
            }
        }
    }
}

void check_signed(std::string_view text) {
    const auto parsed = audit::parse_signed_checkpoint(text);
    if (!parsed) {
        if (parsed.error().message.empty()) {
            broken("fuzz_checkpoint", "a refusal says what is wrong");
        }
        return;
    }
    if (parsed->body.size() > text.size() || text.substr(0, parsed->body.size()) != parsed->body) {
        broken("fuzz_checkpoint", "the signed body is the start of the text");
    }
    static const crypto::Ed25519Key key(kKey);
    const auto again = audit::signed_checkpoint(parsed->checkpoint, parsed->mission, key);
    const auto back = audit::parse_signed_checkpoint(again);
    if (!back || !same(back->checkpoint, parsed->checkpoint) || back->mission != parsed->mission) {
        broken("fuzz_checkpoint", "a signed checkpoint signed again parses to the same fields");
    }
    const auto& body = back->body;
    if (!crypto::Ed25519Key::verify(
            key.public_key(), {reinterpret_cast<const std::uint8_t*>(body.data()), body.size()},
            back->signature)) {
        broken("fuzz_checkpoint", "a checkpoint signed again verifies");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) {
        return 0;
    }
    const auto rest = strongroom::fuzz::text_of(data + 1, size - 1);
    if (data[0] == 'S') {
        check_signed(rest);
    } else if (data[0] == 'M') {
        check_file(with_line_macs(rest));
    } else {
        check_file(rest);
    }
    return 0;
}
