#include "bench/corpus.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <unordered_set>

namespace strongroom::bench {
namespace {

// The most frequent ranks, in order: the vocabulary of reporting.
constexpr std::array<std::string_view, 240> kWords = {
    "report",       "ministry",    "border",      "minister",     "meeting",     "security",
    "government",   "officials",   "source",      "province",     "capital",     "election",
    "militia",      "delegation",  "agreement",   "embassy",      "president",   "forces",
    "council",      "parliament",  "opposition",  "ceasefire",    "refugees",    "convoy",
    "police",       "army",        "commander",   "negotiation",  "treaty",      "sanctions",
    "envoy",        "protest",     "district",    "village",      "bridge",      "airport",
    "harbour",      "railway",     "pipeline",    "election",     "budget",      "customs",
    "smuggling",    "checkpoint",  "patrol",      "incident",     "casualties",  "hostage",
    "ransom",       "cartel",      "shipment",    "vessel",       "aircraft",    "helicopter",
    "drone",        "missile",     "artillery",   "battalion",    "brigade",     "regiment",
    "governor",     "mayor",       "judge",       "court",        "verdict",     "prosecutor",
    "arrest",       "detention",   "prison",      "amnesty",      "militant",    "insurgent",
    "rebel",        "faction",     "coalition",   "alliance",     "party",       "candidate",
    "campaign",     "ballot",      "turnout",     "fraud",        "corruption",  "bribery",
    "contract",     "tender",      "mining",      "copper",       "uranium",     "oil",
    "gas",          "grain",       "harvest",     "drought",      "flood",       "famine",
    "epidemic",     "vaccine",     "hospital",    "clinic",       "school",      "university",
    "students",     "teachers",    "union",       "strike",       "factory",     "workers",
    "wages",        "inflation",   "currency",    "bank",         "loan",        "debt",
    "investment",   "trade",       "exports",     "imports",      "tariff",      "quota",
    "fishing",      "territory",   "waters",      "island",       "coast",       "river",
    "valley",       "mountain",    "desert",      "forest",       "road",        "highway",
    "tunnel",       "dam",         "reservoir",   "power",        "grid",        "outage",
    "network",      "telecom",     "satellite",   "radio",        "television",  "newspaper",
    "journalist",   "editor",      "censorship",  "internet",     "cyber",       "intrusion",
    "malware",      "phishing",    "password",    "server",       "database",    "leak",
    "document",     "cable",       "memo",        "briefing",     "assessment",  "estimate",
    "forecast",     "scenario",    "risk",        "threat",       "warning",     "alert",
    "evacuation",   "shelter",     "aid",         "donor",        "agency",      "mission",
    "observer",     "monitor",     "inspection",  "verification", "compliance",  "violation",
    "resolution",   "summit",      "conference",  "visit",        "talks",       "statement",
    "declaration",  "communique",  "spokesman",   "deputy",       "adviser",     "cabinet",
    "reshuffle",    "resignation", "appointment", "succession",   "health",      "rumour",
    "informant",    "contact",     "liaison",     "channel",      "backchannel", "mediator",
    "framework",    "roadmap",     "timeline",    "deadline",     "transition",  "reform",
    "constitution", "referendum",  "amendment",   "decree",       "emergency",   "curfew",
    "martial",      "law",         "rights",      "abuses",       "torture",     "disappearance",
    "exile",        "asylum",      "visa",        "passport",     "diaspora",    "remittances",
};

// Syllables for the generated long tail: place names, surnames, jargon.
constexpr std::array<std::string_view, 32> kSyllables = {
    "ka",  "ro",  "mi",  "tan", "del", "vo",  "shi", "ur",  "bek", "za",  "lo",
    "nir", "es",  "qu",  "ya",  "dor", "fen", "gil", "hu",  "ix",  "jal", "kor",
    "lum", "mar", "nov", "ost", "pra", "rin", "sel", "tor", "ul",  "wen",
};

}  // namespace

Corpus::Corpus(std::size_t size) {
    std::unordered_set<std::string> seen;
    for (const auto w : kWords) {
        if (seen.emplace(w).second) {
            words_.emplace_back(w);
        }
    }
    // Generated words: two to four syllables, deterministic.
    Rng rng(0x5eed);
    while (words_.size() < size) {
        std::string w;
        const auto n = rng.between(2, 4);
        for (std::uint64_t i = 0; i < n; ++i) {
            w += kSyllables[rng.next() % kSyllables.size()];
        }
        if (seen.emplace(w).second) {
            words_.push_back(std::move(w));
        }
    }
    // Zipf (s = 1): P(rank r) = 1 / ((r + 1) H). The table maps a uniform
    // 20-bit number to the rank whose share of the CDF holds it.
    double h = 0;
    for (std::size_t r = 0; r < words_.size(); ++r) {
        h += 1.0 / static_cast<double>(r + 1);
    }
    constexpr std::size_t kSlots = std::size_t{1} << 20;
    table_.resize(kSlots);
    double cdf = 0;
    std::size_t slot = 0;
    for (std::size_t r = 0; r < words_.size() && slot < kSlots; ++r) {
        cdf += 1.0 / (static_cast<double>(r + 1) * h);
        const auto end = std::min(
            kSlots, static_cast<std::size_t>(std::llround(cdf * static_cast<double>(kSlots))));
        for (; slot < end; ++slot) {
            table_[slot] = static_cast<std::uint32_t>(r);
        }
    }
    for (; slot < kSlots; ++slot) {
        table_[slot] = static_cast<std::uint32_t>(words_.size() - 1);
    }
}

const std::string& Corpus::draw(Rng& rng) const {
    return words_[table_[rng.next() & (table_.size() - 1)]];
}

void Corpus::text(Rng& rng, std::size_t bytes, std::string& out) const {
    std::size_t in_sentence = 0;
    while (out.size() < bytes) {
        if (!out.empty()) {
            out += ' ';
        }
        out += draw(rng);
        if (++in_sentence >= 8 && rng.chance(15)) {
            out += '.';
            in_sentence = 0;
        }
    }
}

std::string Corpus::title(Rng& rng) const {
    std::string t = "Report on";
    const auto n = rng.between(3, 8);
    for (std::uint64_t i = 0; i < n; ++i) {
        t += ' ';
        t += draw(rng);
    }
    return t;
}

}  // namespace strongroom::bench
