// Synthetic text for the records benchmark: a vocabulary whose word
// frequencies follow Zipf's law (a few words in most documents, a long tail
// in few), so that full-text search meets realistic doclists. Shared by the
// populator (bench/populate.cpp) and the benchmark (bench/records.cpp), which
// must agree on which words are common.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace strongroom::bench {

// splitmix64: fast, seedable, good enough for test data.
class Rng {
public:
    explicit Rng(std::uint64_t seed) : state_(seed) {}
    std::uint64_t next() noexcept {
        std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    // Uniform in [lo, hi] (inclusive).
    std::uint64_t between(std::uint64_t lo, std::uint64_t hi) noexcept {
        return lo + next() % (hi - lo + 1);
    }
    // True with probability percent / 100.
    bool chance(unsigned percent) noexcept { return next() % 100 < percent; }

private:
    std::uint64_t state_;
};

class Corpus {
public:
    // The vocabulary: real words first (the most frequent ranks), then
    // generated ones up to `size` words.
    explicit Corpus(std::size_t size = 20000);

    std::size_t size() const noexcept { return words_.size(); }
    // The word of a frequency rank (0 is the most frequent).
    const std::string& word(std::size_t rank) const { return words_.at(rank); }
    // A word drawn with Zipf frequencies (s = 1).
    const std::string& draw(Rng& rng) const;

    // Appends words (space-separated, a full stop every few) until `out`
    // holds at least `bytes` bytes; always valid UTF-8 (ASCII).
    void text(Rng& rng, std::size_t bytes, std::string& out) const;
    // A title of a few words.
    std::string title(Rng& rng) const;

private:
    std::vector<std::string> words_;
    std::vector<std::uint32_t> table_;  // uniform 20-bit index -> rank
};

// The searches the benchmark makes: a common word (a frequency rank found in
// roughly half of the documents) and a rarer one (a few percent).
inline constexpr std::size_t kCommonRank = 12;
inline constexpr std::size_t kRareRank = 200;

}  // namespace strongroom::bench
