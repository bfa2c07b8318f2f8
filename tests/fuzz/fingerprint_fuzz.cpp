// libFuzzer target for the copy fingerprint (daemon/common/fingerprint): the
// Scanner that reads tokens out of a leaked text, and the Inserter.
//
// The input is 5 bytes of token, 1 byte choosing piece sizes, then a text.
// Invariants:
//   - the Scanner finds the same tokens whatever the pieces it is fed in;
//   - every token is within 40 bits;
//   - the text with the token's frames inserted (in pieces) still carries
//     every token the text carried, and the token, and (when the text has
//     no frame mark of its own) is the text again once the frames are out;
//   - a frame alone carries exactly its token.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <set>
#include <span>
#include <string>

#include "daemon/common/fingerprint.hpp"
#include "tests/fuzz/fuzz_util.hpp"

namespace {

namespace fp = strongroom::fingerprint;
using strongroom::fuzz::broken;

std::span<const std::uint8_t> bytes(std::string_view s) {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

std::set<std::uint64_t> scan(std::span<const std::uint8_t> text, std::size_t piece) {
    fp::Scanner scanner;
    while (!text.empty()) {
        const auto n = std::min(piece, text.size());
        scanner.feed(text.first(n));
        text = text.subspan(n);
    }
    return scanner.tokens();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 6) {
        return 0;
    }
    std::uint64_t token = 0;
    for (std::size_t i = 0; i < 5; ++i) {
        token = (token << 8) | data[i];
    }
    const std::size_t piece = 1 + data[5] % 200U;
    const std::span<const std::uint8_t> text(data + 6, size - 6);

    const auto whole = scan(text, text.size() + 1);
    if (scan(text, piece) != whole || scan(text, 1) != whole) {
        broken("fuzz_fingerprint", "the Scanner finds the same tokens in pieces of any size");
    }
    for (const auto t : whole) {
        if ((t & ~fp::kTokenMask) != 0) {
            broken("fuzz_fingerprint", "a token is within 40 bits");
        }
    }

    fp::Inserter inserter(token);
    std::string marked;
    for (auto rest = text; !rest.empty();) {
        const auto n = std::min(piece, rest.size());
        inserter.feed(rest.first(n), marked);
        rest = rest.subspan(n);
    }
    (void)inserter.finish(marked);
    const auto found = scan(bytes(marked), piece);
    if (found.count(token & fp::kTokenMask) == 0) {
        broken("fuzz_fingerprint", "a marked text carries its token");
    }
    if (!std::includes(found.begin(), found.end(), whole.begin(), whole.end())) {
        broken("fuzz_fingerprint", "marking keeps the tokens the text carried");
    }
    const auto frame = fp::frame(token);
    if (frame.size() != fp::kFrameBytes) {
        broken("fuzz_fingerprint", "a frame is kFrameBytes long");
    }
    // A text without the frame mark: taking the frames out gives it back.
    const std::string_view original(reinterpret_cast<const char*>(text.data()), text.size());
    if (original.find("\xE2\x81\xA0") == std::string_view::npos) {
        std::string unmarked;
        for (std::size_t at = 0; at < marked.size();) {
            if (marked.compare(at, frame.size(), frame) == 0) {
                at += frame.size();
            } else {
                unmarked.push_back(marked[at++]);
            }
        }
        if (unmarked != original) {
            broken("fuzz_fingerprint", "taking the frames out gives the text back");
        }
    }
    const auto alone = scan(bytes(frame), 7);
    if (alone.size() != 1 || *alone.begin() != (token & fp::kTokenMask)) {
        broken("fuzz_fingerprint", "a frame alone carries exactly its token");
    }
    return 0;
}
