// Unit tests of the content policy (clearance.hpp): eligible, may_read,
// may_label, may_disseminate and may_receive checked exhaustively over a small
// universe (3 levels, 3 compartments, every post shape) against a reference
// written here from DESIGN.md §2 rules 1-5; then named scenarios that read
// like those rules, and the level and authority names.
//
// The reference is deliberately unlike clearance.cpp: a post is a map of
// grants, a record's compartments a std::set, eligibility a set inclusion
// computed once into a table, and the decisions set algebra over bit masks of
// the reader's posts. It never calls policy::eligible.
#include "daemon/policy/clearance.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace strongroom::policy {
namespace {

// ---------------------------------------------------------------------------
// The universe: 3 levels, compartments 1..3, 192 post shapes, 96 labels.

constexpr int kCompartments = 3;
constexpr int kGrantChoices = 4;  // none, or a grant at level 0, 1 or 2
constexpr int kShapes = kLevelCount * kGrantChoices * kGrantChoices * kGrantChoices;  // 192
constexpr int kLevelsAndSubsets = kLevelCount * 8;                                    // 24

constexpr Id kReader = 7;
constexpr Id kSomeoneElse = 8;
constexpr Id kUnheldPost = 999;

// A post shape: its level for uncompartmented material and, per compartment,
// no grant (-1) or the level granted.
struct Shape {
    Level level = 0;
    std::array<int, kCompartments> grant{};
};

Shape shape_of(int s) {
    Shape shape;
    shape.level = s % kLevelCount;
    int rest = s / kLevelCount;
    for (int c = 0; c < kCompartments; ++c) {
        shape.grant[static_cast<std::size_t>(c)] = rest % kGrantChoices - 1;
        rest /= kGrantChoices;
    }
    return shape;
}

std::string describe(const Shape& shape) {
    std::ostringstream out;
    out << "{level " << shape.level;
    for (int c = 0; c < kCompartments; ++c) {
        const int g = shape.grant[static_cast<std::size_t>(c)];
        if (g >= 0) {
            out << ", #" << (c + 1) << "@" << g;
        }
    }
    out << "}";
    return out.str();
}

// What the implementation is given for a shape.
PostClearance post_of(const Shape& shape, Id id, Authority authority = Authority::none) {
    PostClearance post;
    post.id = id;
    post.name = "P" + std::to_string(id);
    post.level = shape.level;
    post.authority = authority;
    for (int c = 0; c < kCompartments; ++c) {
        const int g = shape.grant[static_cast<std::size_t>(c)];
        if (g >= 0) {
            post.grants.emplace_back(static_cast<Id>(c + 1), g);
        }
    }
    return post;
}

// A record's label as the reference sees it.
struct RefLabel {
    Level level = 0;
    std::set<Id> compartments;
    bool safety = false;
    bool by_reader = false;  // the reader (or caller) is the originator
    int index = 0;           // of (level, compartments) in the eligibility table
};

// The index of a label's (level, compartments) pair in the eligibility table.
int level_and_subset(Level level, const std::set<Id>& compartments) {
    int subset = 0;
    for (const Id c : compartments) {
        subset |= 1 << (c - 1);
    }
    return level * 8 + subset;
}

std::vector<RefLabel> all_labels() {
    std::vector<RefLabel> labels;
    for (Level level = 0; level < kLevelCount; ++level) {
        for (int subset = 0; subset < 8; ++subset) {
            for (const bool safety : {false, true}) {
                for (const bool by_reader : {false, true}) {
                    RefLabel l;
                    l.level = level;
                    for (Id c = 1; c <= kCompartments; ++c) {
                        if ((subset >> (c - 1) & 1) != 0) {
                            l.compartments.insert(c);
                        }
                    }
                    l.safety = safety;
                    l.by_reader = by_reader;
                    l.index = level_and_subset(l.level, l.compartments);
                    labels.push_back(l);
                }
            }
        }
    }
    return labels;
}

Label label_of(const RefLabel& l) {
    Label label;
    label.level = l.level;
    label.compartments.assign(l.compartments.begin(), l.compartments.end());
    label.originator = l.by_reader ? kReader : kSomeoneElse;
    label.safety = l.safety;
    return label;
}

std::string describe(const RefLabel& l) {
    std::ostringstream out;
    out << "{level " << l.level << ", compartments [";
    for (const Id c : l.compartments) {
        out << " " << c;
    }
    out << " ]" << (l.safety ? ", safety" : "") << (l.by_reader ? ", by the reader" : "") << "}";
    return out.str();
}

// ---------------------------------------------------------------------------
// The reference (DESIGN.md §2 rules 1-5).

// Rule 2/3, brute force: the compartments a post holds at or above a level,
// as a set; a compartmented record is within reach if its compartments are a
// subset. Uncompartmented material goes by the post's own level.
bool ref_eligible(const Shape& shape, Level level, const std::set<Id>& compartments) {
    std::map<Id, Level> grants;
    for (int c = 0; c < kCompartments; ++c) {
        if (shape.grant[static_cast<std::size_t>(c)] >= 0) {
            grants[c + 1] = shape.grant[static_cast<std::size_t>(c)];
        }
    }
    if (compartments.empty()) {
        return shape.level >= level;
    }
    std::set<Id> cleared;
    for (const auto& [compartment, granted_level] : grants) {
        if (granted_level >= level) {
            cleared.insert(compartment);
        }
    }
    return std::includes(cleared.begin(), cleared.end(), compartments.begin(), compartments.end());
}

// ref_eligible for every shape and every (level, compartments) pair.
using EligibilityTable = std::vector<std::array<bool, kLevelsAndSubsets>>;

const EligibilityTable& eligibility_table() {
    static const EligibilityTable table = [] {
        EligibilityTable t(static_cast<std::size_t>(kShapes));
        const auto labels = all_labels();
        for (int s = 0; s < kShapes; ++s) {
            for (const auto& l : labels) {
                t[static_cast<std::size_t>(s)][static_cast<std::size_t>(l.index)] =
                    ref_eligible(shape_of(s), l.level, l.compartments);
            }
        }
        return t;
    }();
    return table;
}

bool table_eligible(int shape, const RefLabel& l) {
    return eligibility_table()[static_cast<std::size_t>(shape)][static_cast<std::size_t>(l.index)];
}

enum class Got { nothing, received, must_share };

struct Expected {
    bool allowed;
    ErrorCode code;  // meaningful only when refused
};

// Rules 1, 3, 5 as set algebra over the reader's posts (bit i = post i).
Expected ref_may_read(const std::vector<int>& shapes, const std::vector<Got>& got, bool in_person,
                      const RefLabel& l) {
    unsigned eligible_posts = 0;
    unsigned received = 0;
    unsigned must_shared = 0;
    unsigned at_level = 0;
    for (std::size_t i = 0; i < shapes.size(); ++i) {
        const unsigned bit = 1U << i;
        if (table_eligible(shapes[i], l)) {
            eligible_posts |= bit;
        }
        if (got[i] == Got::received) {
            received |= bit;
        }
        if (got[i] == Got::must_share) {
            must_shared |= bit;
        }
        if (shapes[i] % kLevelCount >= l.level) {  // the post's own level (see shape_of)
            at_level |= bit;
        }
    }
    const bool allowed = l.level == 0 || (eligible_posts & received) != 0 ||
                         (l.safety && (must_shared & at_level) != 0) ||
                         (eligible_posts != 0 && (l.by_reader || in_person));
    return {allowed, ErrorCode::not_found};
}

// Rule 3 applied to labelling: an originator labels within a post's reach.
Expected ref_may_label(const std::vector<int>& shapes, const std::vector<Id>& ids,
                       std::optional<Id> as_post, const RefLabel& l) {
    std::set<Id> within_reach;
    for (std::size_t i = 0; i < shapes.size(); ++i) {
        if (table_eligible(shapes[i], l)) {
            within_reach.insert(ids[i]);
        }
    }
    bool allowed = false;
    if (as_post) {
        allowed = within_reach.count(*as_post) == 1;
    } else {
        allowed = (l.level == 0 && l.compartments.empty()) || !within_reach.empty();
    }
    return {allowed, ErrorCode::denied};
}

// Rule 4.
Expected ref_may_disseminate(bool is_originator, const std::vector<Id>& ids,
                             const std::vector<Authority>& authorities,
                             const std::set<Id>& delegated) {
    const std::set<Id> held(ids.begin(), ids.end());
    std::set<Id> delegated_and_held;
    std::set_intersection(held.begin(), held.end(), delegated.begin(), delegated.end(),
                          std::inserter(delegated_and_held, delegated_and_held.begin()));
    const bool head_of_mission =
        std::count(authorities.begin(), authorities.end(), Authority::head_of_mission) > 0;
    return {is_originator || !delegated_and_held.empty() || head_of_mission, ErrorCode::denied};
}

// ---------------------------------------------------------------------------
// Comparison, keeping the first few differences readable.

class Differences {
public:
    void check(const Expected& expected, const Decision& actual, const std::string& what) {
        ++cases_;
        if (actual.reason.empty()) {
            report(what + ": empty reason");
        }
        if (actual.allowed != expected.allowed) {
            report(what + ": expected " + (expected.allowed ? "allowed" : "refused") + ", got " +
                   (actual.allowed ? "allowed" : "refused") + " (" + actual.reason + ")");
        } else if (!actual.allowed && actual.code != expected.code) {
            report(what + ": expected code " + std::string(to_string(expected.code)) + ", got " +
                   std::string(to_string(actual.code)) + " (" + actual.reason + ")");
        }
    }
    void check_bool(bool expected, bool actual, const std::string& what) {
        ++cases_;
        if (expected != actual) {
            report(what + ": expected " + (expected ? "true" : "false"));
        }
    }
    std::int64_t cases() const { return cases_; }
    std::int64_t count() const { return count_; }

private:
    void report(const std::string& text) {
        if (++count_ <= 10) {
            ADD_FAILURE() << text;
        }
    }
    std::int64_t cases_ = 0;
    std::int64_t count_ = 0;
};

// A fixed pseudo-random sequence (splitmix64), the same on every platform.
class Sequence {
public:
    std::uint64_t next() {
        state_ += 0x9E3779B97F4A7C15ULL;
        std::uint64_t z = state_;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31);
    }
    int below(int n) { return static_cast<int>(next() % static_cast<std::uint64_t>(n)); }

private:
    std::uint64_t state_ = 0x5EC2E7ULL;
};

constexpr Authority kAuthorities[] = {Authority::none, Authority::head_of_mission,
                                      Authority::security_focal_point};

std::string describe_reader(const std::vector<int>& shapes, const std::vector<Got>& got,
                            bool in_person) {
    std::ostringstream out;
    out << "reader posts [";
    for (std::size_t i = 0; i < shapes.size(); ++i) {
        out << " " << describe(shape_of(shapes[i]));
        out << (got[i] == Got::received     ? " received"
                : got[i] == Got::must_share ? " must-share"
                                            : " not-received");
    }
    out << " ]" << (in_person ? " in person" : "");
    return out.str();
}

// Checks may_read for one reader and every receipt of its posts.
void check_reader(const std::vector<int>& shapes, const std::vector<Authority>& authorities,
                  const std::vector<RefLabel>& labels, const std::vector<Label>& impl_labels,
                  Differences& diffs) {
    Clearance reader;
    reader.account = kReader;
    for (std::size_t i = 0; i < shapes.size(); ++i) {
        reader.posts.push_back(
            post_of(shape_of(shapes[i]), static_cast<Id>(101 + i), authorities[i]));
    }
    int receipts = 1;
    for (std::size_t i = 0; i < shapes.size(); ++i) {
        receipts *= 3;
    }
    for (int r = 0; r < receipts; ++r) {
        std::vector<Got> got;
        Receipt receipt;
        int rest = r;
        for (std::size_t i = 0; i < shapes.size(); ++i) {
            got.push_back(static_cast<Got>(rest % 3));
            rest /= 3;
            if (got.back() == Got::received) {
                receipt.posts.push_back(reader.posts[i].id);
            } else if (got.back() == Got::must_share) {
                receipt.must_share_posts.push_back(reader.posts[i].id);
            }
        }
        // Receipts by a post the reader does not hold count for nothing.
        if (r % 2 == 1) {
            receipt.posts.push_back(kUnheldPost);
            receipt.must_share_posts.push_back(kUnheldPost);
        }
        for (const bool in_person : {false, true}) {
            receipt.in_person = in_person;
            for (std::size_t li = 0; li < labels.size(); ++li) {
                const Expected expected = ref_may_read(shapes, got, in_person, labels[li]);
                const Decision actual = may_read(reader, impl_labels[li], receipt);
                if (actual.allowed != expected.allowed || actual.reason.empty() ||
                    (!actual.allowed && actual.code != expected.code)) {
                    diffs.check(expected, actual,
                                "may_read " + describe_reader(shapes, got, in_person) + " " +
                                    describe(labels[li]));
                } else {
                    diffs.check(expected, actual, {});
                }
            }
        }
    }
}

std::vector<Label> impl_labels_of(const std::vector<RefLabel>& labels) {
    std::vector<Label> out;
    for (const auto& l : labels) {
        out.push_back(label_of(l));
    }
    return out;
}

// ---------------------------------------------------------------------------
// Exhaustive comparisons.

TEST(ClearanceExhaustive, EligibleAndMayReceive) {
    const auto labels = all_labels();
    Differences diffs;
    for (int s = 0; s < kShapes; ++s) {
        const PostClearance post = post_of(shape_of(s), 101);
        for (const auto& l : labels) {
            if (l.by_reader) {
                continue;  // the originator plays no part: 48 labels
            }
            const bool expected = ref_eligible(shape_of(s), l.level, l.compartments);
            const Label label = label_of(l);
            const std::string what = describe(shape_of(s)) + " " + describe(l);
            diffs.check_bool(expected, eligible(post, label), "eligible " + what);
            diffs.check({expected, ErrorCode::denied}, may_receive(post, label),
                        "may_receive " + what);
        }
    }
    EXPECT_EQ(diffs.cases(), 2 * kShapes * 48);
    EXPECT_EQ(diffs.count(), 0);
}

TEST(ClearanceExhaustive, MayReadWithNoOrOnePost) {
    const auto labels = all_labels();
    const auto impl_labels = impl_labels_of(labels);
    Differences diffs;
    check_reader({}, {}, labels, impl_labels, diffs);
    for (int s = 0; s < kShapes; ++s) {
        check_reader({s}, {kAuthorities[s % 3]}, labels, impl_labels, diffs);
    }
    // 96 labels x 2 (in person) x (1 + 192 shapes x 3 receipts).
    EXPECT_EQ(diffs.cases(), 96 * 2 * (1 + kShapes * 3));
    EXPECT_EQ(diffs.count(), 0);
}

// Every unordered pair of shapes (18,528 two-post readers, in either order,
// with random authorities), every receipt of the two posts, in person or not,
// against a few classified labels drawn per pair (UNCLASSIFIED is covered
// above and allowed whatever the posts).
TEST(ClearanceExhaustive, MayReadWithTwoPosts) {
    std::vector<RefLabel> classified;
    for (const auto& l : all_labels()) {
        if (l.level > 0) {
            classified.push_back(l);
        }
    }
    const auto impl_classified = impl_labels_of(classified);
    constexpr int kLabelsPerPair = 3;
    Differences diffs;
    Sequence seq;
    std::int64_t pairs = 0;
    for (int a = 0; a < kShapes; ++a) {
        for (int b = a; b < kShapes; ++b) {
            std::vector<RefLabel> labels;
            std::vector<Label> impl_labels;
            for (int k = 0; k < kLabelsPerPair; ++k) {
                const auto i =
                    static_cast<std::size_t>(seq.below(static_cast<int>(classified.size())));
                labels.push_back(classified[i]);
                impl_labels.push_back(impl_classified[i]);
            }
            const std::vector<Authority> authorities{kAuthorities[seq.below(3)],
                                                     kAuthorities[seq.below(3)]};
            if (seq.below(2) == 0) {
                check_reader({a, b}, authorities, labels, impl_labels, diffs);
            } else {
                check_reader({b, a}, authorities, labels, impl_labels, diffs);
            }
            ++pairs;
        }
    }
    EXPECT_EQ(pairs, kShapes * (kShapes + 1) / 2);
    // 9 receipts x 2 (in person) x the labels of each pair.
    EXPECT_EQ(diffs.cases(), pairs * 9 * 2 * kLabelsPerPair);
    EXPECT_EQ(diffs.count(), 0);
}

void check_label(const std::vector<int>& shapes, const std::vector<RefLabel>& labels,
                 const std::vector<Label>& impl_labels, Differences& diffs) {
    Clearance originator;
    originator.account = kReader;
    std::vector<Id> ids;
    for (std::size_t i = 0; i < shapes.size(); ++i) {
        ids.push_back(static_cast<Id>(101 + i));
        originator.posts.push_back(post_of(shape_of(shapes[i]), ids.back()));
    }
    std::vector<std::optional<Id>> choices{std::nullopt, kUnheldPost};
    choices.insert(choices.end(), ids.begin(), ids.end());
    for (const auto& as_post : choices) {
        for (std::size_t li = 0; li < labels.size(); ++li) {
            const Expected expected = ref_may_label(shapes, ids, as_post, labels[li]);
            const Decision actual = may_label(originator, impl_labels[li], as_post);
            std::string what;
            if (actual.allowed != expected.allowed || actual.reason.empty() ||
                (!actual.allowed && actual.code != expected.code)) {
                std::ostringstream out;
                out << "may_label posts [";
                for (const int s : shapes) {
                    out << " " << describe(shape_of(s));
                }
                out << " ] as " << (as_post ? std::to_string(*as_post) : "-") << " "
                    << describe(labels[li]);
                what = out.str();
            }
            diffs.check(expected, actual, what);
        }
    }
}

// No post and every single post against all 48 labels; every unordered pair
// of posts against a few labels drawn per pair. as_post: none, a post not
// held, and each held post.
TEST(ClearanceExhaustive, MayLabel) {
    std::vector<RefLabel> labels;
    for (const auto& l : all_labels()) {
        if (l.by_reader) {
            labels.push_back(l);  // 48 labels; the originator labels their own record
        }
    }
    const auto impl_labels = impl_labels_of(labels);
    Differences diffs;
    check_label({}, labels, impl_labels, diffs);
    for (int s = 0; s < kShapes; ++s) {
        check_label({s}, labels, impl_labels, diffs);
    }
    constexpr int kLabelsPerPair = 3;
    Sequence seq;
    for (int a = 0; a < kShapes; ++a) {
        for (int b = a; b < kShapes; ++b) {
            std::vector<RefLabel> drawn;
            std::vector<Label> impl_drawn;
            for (int k = 0; k < kLabelsPerPair; ++k) {
                const auto i = static_cast<std::size_t>(seq.below(static_cast<int>(labels.size())));
                drawn.push_back(labels[i]);
                impl_drawn.push_back(impl_labels[i]);
            }
            check_label({a, b}, drawn, impl_drawn, diffs);
        }
    }
    EXPECT_EQ(diffs.cases(), 48 * (2 + kShapes * 3) +
                                 std::int64_t{kShapes} * (kShapes + 1) / 2 * 4 * kLabelsPerPair);
    EXPECT_EQ(diffs.count(), 0);
}

TEST(ClearanceExhaustive, MayDisseminate) {
    const auto labels = all_labels();
    Differences diffs;
    Sequence seq;
    for (int posts = 0; posts <= 2; ++posts) {
        const int authority_combinations = posts == 0 ? 1 : posts == 1 ? 3 : 9;
        for (int a = 0; a < authority_combinations; ++a) {
            Clearance caller;
            caller.account = kReader;
            std::vector<Id> ids;
            std::vector<Authority> authorities;
            int rest = a;
            for (int i = 0; i < posts; ++i) {
                ids.push_back(101 + i);
                authorities.push_back(kAuthorities[rest % 3]);
                rest /= 3;
                caller.posts.push_back(
                    post_of(shape_of(seq.below(kShapes)), ids.back(), authorities.back()));
            }
            // Every subset of {101, 102, unheld}.
            const std::array<Id, 3> candidates{101, 102, kUnheldPost};
            for (int subset = 0; subset < 8; ++subset) {
                std::vector<Id> delegated;
                for (std::size_t i = 0; i < candidates.size(); ++i) {
                    if ((subset >> i & 1) != 0) {
                        delegated.push_back(candidates[i]);
                    }
                }
                const std::set<Id> delegated_set(delegated.begin(), delegated.end());
                for (const auto& l : labels) {
                    const Expected expected =
                        ref_may_disseminate(l.by_reader, ids, authorities, delegated_set);
                    const Decision actual = may_disseminate(caller, label_of(l), delegated);
                    std::ostringstream what;
                    what << "may_disseminate posts " << posts << " authorities " << a
                         << " delegated subset " << subset << " " << describe(l);
                    diffs.check(expected, actual, what.str());
                    // The authority recorded: the originator before a
                    // delegation before the head of mission; none if refused.
                    Basis basis = Basis::none;
                    if (expected.allowed) {
                        const bool by_delegation = std::any_of(ids.begin(), ids.end(), [&](Id id) {
                            return delegated_set.count(id) == 1;
                        });
                        basis = l.by_reader     ? Basis::originator
                                : by_delegation ? Basis::delegation
                                                : Basis::head_of_mission;
                    }
                    EXPECT_EQ(actual.basis, basis) << what.str();
                }
            }
        }
    }
    // (1 + 3 + 9) authority combinations x 8 delegated sets x 96 labels.
    EXPECT_EQ(diffs.cases(), 13 * 8 * 96);
    EXPECT_EQ(diffs.count(), 0);
}

// ---------------------------------------------------------------------------
// Named scenarios.

constexpr Id kJmac = 1;
constexpr Id kHumint = 2;

Shape uncompartmented(Level level) {
    Shape s;
    s.level = level;
    s.grant = {-1, -1, -1};
    return s;
}

Clearance reader_with(std::vector<PostClearance> posts) {
    Clearance c;
    c.account = kReader;
    c.posts = std::move(posts);
    return c;
}

Label record(Level level, std::vector<Id> compartments, bool safety = false,
             Id originator = kSomeoneElse) {
    Label l;
    l.level = level;
    l.compartments = std::move(compartments);
    l.originator = originator;
    l.safety = safety;
    return l;
}

Receipt received_by(std::vector<Id> posts) {
    Receipt r;
    r.posts = std::move(posts);
    return r;
}

TEST(ClearanceScenario, UnclassifiedIsReadableByEveryActiveAccount) {
    const auto d = may_read(reader_with({}), record(kUnclassified, {kJmac}), Receipt{});
    EXPECT_TRUE(d.allowed);
    EXPECT_FALSE(d.reason.empty());
}

TEST(ClearanceScenario, ConfidentialAnalystCannotReadStrictlyConfidentialEvenIfReceived) {
    Shape analyst = uncompartmented(1);
    analyst.grant[0] = 1;  // JMAC at CONFIDENTIAL
    const auto reader = reader_with({post_of(analyst, 101)});
    for (const auto& label : {record(2, {}), record(2, {kJmac})}) {
        Receipt receipt = received_by({101});
        receipt.in_person = true;
        const auto d = may_read(reader, label, receipt);
        EXPECT_FALSE(d.allowed);
        EXPECT_EQ(d.code, ErrorCode::not_found);
        EXPECT_FALSE(d.reason.empty());
    }
}

TEST(ClearanceScenario, UncompartmentedRecordUsesPostLevel) {
    Shape post = uncompartmented(1);
    post.grant = {2, 2, 2};  // compartment grants do not lift uncompartmented reach
    EXPECT_TRUE(eligible(post_of(post, 101), record(1, {})));
    EXPECT_FALSE(eligible(post_of(post, 101), record(2, {})));
    EXPECT_TRUE(eligible(post_of(post, 101), record(2, {kJmac, kHumint})));
}

TEST(ClearanceScenario, CompartmentedRecordIgnoresPostLevel) {
    Shape chief = uncompartmented(2);
    chief.grant[0] = 2;
    const auto post = post_of(chief, 101);
    EXPECT_TRUE(eligible(post, record(2, {kJmac})));
    EXPECT_FALSE(eligible(post, record(1, {kJmac, kHumint})));  // no HUMINT grant
    EXPECT_FALSE(eligible(post, record(0, {kHumint})));         // even unclassified
}

TEST(ClearanceScenario, EveryCompartmentMustBeGrantedAtTheRecordLevel) {
    Shape s = uncompartmented(0);
    s.grant = {2, 1, -1};
    const auto post = post_of(s, 101);
    EXPECT_TRUE(eligible(post, record(1, {kJmac, kHumint})));
    EXPECT_FALSE(eligible(post, record(2, {kJmac, kHumint})));
    EXPECT_TRUE(may_receive(post, record(1, {kJmac, kHumint})).allowed);
    const auto refused = may_receive(post, record(2, {kJmac, kHumint}));
    EXPECT_FALSE(refused.allowed);
    EXPECT_EQ(refused.code, ErrorCode::denied);
}

TEST(ClearanceScenario, SafetyFlagLetsFocalPointReadWhateverTheCompartments) {
    const auto focal = post_of(uncompartmented(2), 101, Authority::security_focal_point);
    Receipt receipt;
    receipt.must_share_posts = {101};
    const auto d =
        may_read(reader_with({focal}), record(2, {kJmac, kHumint}, /*safety=*/true), receipt);
    EXPECT_TRUE(d.allowed);
    EXPECT_FALSE(d.reason.empty());
}

TEST(ClearanceScenario, MustShareStillNeedsTheLevel) {
    const auto focal = post_of(uncompartmented(1), 101, Authority::security_focal_point);
    Receipt receipt;
    receipt.must_share_posts = {101};
    const auto d = may_read(reader_with({focal}), record(2, {kJmac}, true), receipt);
    EXPECT_FALSE(d.allowed);
    EXPECT_EQ(d.code, ErrorCode::not_found);
}

TEST(ClearanceScenario, MustShareReceiptCountsOnlyForSafetyFlaggedRecords) {
    const auto focal = post_of(uncompartmented(2), 101, Authority::security_focal_point);
    Receipt receipt;
    receipt.must_share_posts = {101};
    const auto d = may_read(reader_with({focal}), record(1, {kJmac}, false), receipt);
    EXPECT_FALSE(d.allowed);
    EXPECT_EQ(d.code, ErrorCode::not_found);
}

TEST(ClearanceScenario, EligibleButNotReceivedCannotRead) {
    const auto reader = reader_with({post_of(uncompartmented(2), 101)});
    const auto d = may_read(reader, record(1, {}), received_by({kUnheldPost}));
    EXPECT_FALSE(d.allowed);
    EXPECT_EQ(d.code, ErrorCode::not_found);
    EXPECT_TRUE(may_read(reader, record(1, {}), received_by({101})).allowed);
}

TEST(ClearanceScenario, ReceiptByAnIneligiblePostDoesNotHelpAnotherEligiblePost) {
    // Post 101 received it but is not eligible; post 102 is eligible but did
    // not receive it: need to know and receipt must meet in one post.
    const auto reader =
        reader_with({post_of(uncompartmented(0), 101), post_of(uncompartmented(2), 102)});
    EXPECT_FALSE(may_read(reader, record(2, {}), received_by({101})).allowed);
    Receipt in_person = received_by({101});
    in_person.in_person = true;
    EXPECT_TRUE(may_read(reader, record(2, {}), in_person).allowed);
}

TEST(ClearanceScenario, OfficerRoleGivesNoContent) {
    // An account with no post now: nothing above UNCLASSIFIED, even its own.
    Receipt receipt;
    receipt.in_person = true;
    const auto d = may_read(reader_with({}), record(1, {}, false, kReader), receipt);
    EXPECT_FALSE(d.allowed);
    EXPECT_EQ(d.code, ErrorCode::not_found);
    EXPECT_FALSE(d.reason.empty());
}

TEST(ClearanceScenario, OriginatorWithoutEligiblePostCannotRead) {
    const auto reader = reader_with({post_of(uncompartmented(1), 101)});
    const auto d = may_read(reader, record(2, {}, false, kReader), received_by({101}));
    EXPECT_FALSE(d.allowed);
    EXPECT_EQ(d.code, ErrorCode::not_found);
    EXPECT_TRUE(may_read(reader, record(1, {}, false, kReader), Receipt{}).allowed);
}

TEST(ClearanceScenario, OriginatorLabelsOnlyWithinTheirClearance) {
    Shape s = uncompartmented(1);
    s.grant[0] = 2;
    const auto originator = reader_with({post_of(s, 101)});
    EXPECT_TRUE(may_label(originator, record(2, {kJmac})).allowed);
    EXPECT_TRUE(may_label(originator, record(2, {kJmac}), Id{101}).allowed);
    const auto above = may_label(originator, record(2, {}));
    EXPECT_FALSE(above.allowed);
    EXPECT_EQ(above.code, ErrorCode::denied);
    const auto not_held = may_label(originator, record(0, {}), kUnheldPost);
    EXPECT_FALSE(not_held.allowed);
    EXPECT_EQ(not_held.code, ErrorCode::denied);
    EXPECT_FALSE(not_held.reason.empty());
    // With no post: unclassified and uncompartmented only.
    EXPECT_TRUE(may_label(reader_with({}), record(0, {})).allowed);
    EXPECT_FALSE(may_label(reader_with({}), record(0, {kJmac})).allowed);
}

TEST(ClearanceScenario, OnlyOriginatorDelegateOrHeadOfMissionDisseminate) {
    const auto analyst = reader_with({post_of(uncompartmented(2), 101)});
    EXPECT_TRUE(may_disseminate(analyst, record(2, {}, false, kReader), {}).allowed);
    const auto refused = may_disseminate(analyst, record(2, {}), {});
    EXPECT_FALSE(refused.allowed);
    EXPECT_EQ(refused.code, ErrorCode::denied);
    EXPECT_FALSE(may_disseminate(analyst, record(2, {}), {kUnheldPost}).allowed);
    EXPECT_TRUE(may_disseminate(analyst, record(2, {}), {101}).allowed);
    const auto hom = reader_with({post_of(uncompartmented(0), 102, Authority::head_of_mission)});
    EXPECT_TRUE(may_disseminate(hom, record(2, {kJmac}), {}).allowed);
    const auto focal =
        reader_with({post_of(uncompartmented(2), 103, Authority::security_focal_point)});
    EXPECT_FALSE(may_disseminate(focal, record(2, {}), {}).allowed);
}

// What the registry records as the authority of a dissemination or a
// release comes from the decision's basis, never from its wording.
TEST(ClearanceScenario, TheRecordedAuthorityIsTheDecisionsBasis) {
    const auto analyst = reader_with({post_of(uncompartmented(2), 101)});
    const auto hom = reader_with({post_of(uncompartmented(0), 102, Authority::head_of_mission)});
    EXPECT_EQ(may_disseminate(analyst, record(2, {}, false, kReader), {101}).basis,
              Basis::originator);
    EXPECT_EQ(may_disseminate(analyst, record(2, {}), {101}).basis, Basis::delegation);
    EXPECT_EQ(may_disseminate(hom, record(2, {}), {}).basis, Basis::head_of_mission);
    EXPECT_EQ(may_disseminate(analyst, record(2, {}), {}).basis, Basis::none);
    EXPECT_EQ(may_approve_release(hom, 99, {}).basis, Basis::head_of_mission);
    EXPECT_EQ(may_approve_release(analyst, 99, {101}).basis, Basis::delegation);
    EXPECT_EQ(may_approve_release(analyst, 99, {}).basis, Basis::none);
    EXPECT_EQ(authority_text(Basis::originator), "originator");
    EXPECT_EQ(authority_text(Basis::delegation), "delegation");
    EXPECT_EQ(authority_text(Basis::head_of_mission), "head-of-mission");
    EXPECT_EQ(authority_text(Basis::none), "");
}

// ---------------------------------------------------------------------------
// Names.

TEST(ClearanceNames, ParseLevelAcceptsNamesAndMarkingsInAnyCase) {
    EXPECT_EQ(parse_level("unclassified"), 0);
    EXPECT_EQ(parse_level("UNCLASSIFIED"), 0);
    EXPECT_EQ(parse_level("Confidential"), 1);
    EXPECT_EQ(parse_level("confidential"), 1);
    EXPECT_EQ(parse_level("strictly-confidential"), 2);
    EXPECT_EQ(parse_level("STRICTLY CONFIDENTIAL"), 2);
    EXPECT_EQ(parse_level("Strictly Confidential"), 2);
    EXPECT_EQ(parse_level("strictly_confidential"), 2);
    EXPECT_EQ(parse_level("STRICTLY-CONFIDENTIAL"), 2);
}

TEST(ClearanceNames, ParseLevelRejectsEverythingElse) {
    for (const std::string text :
         {"", "secret", "restricted", "strictly", "strictlyconfidential", "strictly  confidential",
          " confidential", "confidential ", "invalid", "INVALID", "unclassified-"}) {
        EXPECT_EQ(parse_level(text), std::nullopt) << "'" << text << "'";
    }
    EXPECT_EQ(parse_level(std::string("confidential\0", 13)), std::nullopt);
    EXPECT_EQ(parse_level(std::string(33, 'a')), std::nullopt);
    EXPECT_EQ(parse_level(std::string(100000, ' ')), std::nullopt);
}

TEST(ClearanceNames, LevelNamesAndMarkingsRoundTrip) {
    for (Level level = 0; level < kLevelCount; ++level) {
        EXPECT_EQ(parse_level(level_name(level)), level);
        EXPECT_EQ(parse_level(level_marking(level)), level);
    }
    EXPECT_EQ(level_name(0), "unclassified");
    EXPECT_EQ(level_name(1), "confidential");
    EXPECT_EQ(level_name(kHighestLevel), "strictly-confidential");
    EXPECT_EQ(level_marking(kHighestLevel), "STRICTLY CONFIDENTIAL");
    for (const Level bad : {-1, kLevelCount, 100}) {
        EXPECT_EQ(parse_level(level_name(bad)), std::nullopt);
        EXPECT_EQ(parse_level(level_marking(bad)), std::nullopt);
    }
}

TEST(ClearanceNames, AuthorityNamesRoundTrip) {
    for (const Authority a : kAuthorities) {
        EXPECT_EQ(parse_authority(authority_name(a)), a);
    }
    EXPECT_EQ(authority_name(Authority::none), "");
    EXPECT_EQ(parse_authority("head-of-mission"), Authority::head_of_mission);
    EXPECT_EQ(parse_authority("security-focal-point"), Authority::security_focal_point);
    EXPECT_EQ(parse_authority("chief"), std::nullopt);
    EXPECT_EQ(parse_authority("head-of-missions"), std::nullopt);
}

// Release: every combination of the approver's posts (none, an ordinary
// post, the head of mission's, a delegated one) and of who requested it.
TEST(Release, OnlyTheHeadOfMissionOrADelegateApproveAndNeverTheRequester) {
    PostClearance plain{1, "desk", 1, Authority::none, {}};
    PostClearance hom{2, "hom", 1, Authority::head_of_mission, {}};
    PostClearance delegated{3, "deputy", 1, Authority::none, {}};
    const std::vector<Id> delegations{3};
    for (unsigned mask = 0; mask < 8; ++mask) {
        Clearance approver{10, {}};
        if ((mask & 1) != 0) {
            approver.posts.push_back(plain);
        }
        if ((mask & 2) != 0) {
            approver.posts.push_back(hom);
        }
        if ((mask & 4) != 0) {
            approver.posts.push_back(delegated);
        }
        const bool authorised = (mask & 6) != 0;
        for (const Id requester : {Id{10}, Id{11}}) {
            const auto d = may_approve_release(approver, requester, delegations);
            EXPECT_EQ(d.allowed, authorised && requester != 10) << mask << " " << requester;
            if (requester == 10) {
                EXPECT_EQ(d.code, ErrorCode::conflict);
            } else if (!authorised) {
                EXPECT_EQ(d.code, ErrorCode::denied);
            }
        }
        // A delegation held by a post the approver does not hold counts for nothing.
        EXPECT_EQ(may_approve_release(approver, 11, {}).allowed, (mask & 2) != 0) << mask;
    }
}

TEST(Release, ARequestCarriesItsReferencesAndDueDiligenceForSecurityForces) {
    for (const char* kind : {"un", "non-un", "security-force"}) {
        const bool force = std::string_view(kind) == "security-force";
        EXPECT_EQ(may_request_release(kind, "mandate para 3", "WA-1", "").allowed, !force);
        EXPECT_TRUE(may_request_release(kind, "mandate para 3", "WA-1", "HRDDP-7").allowed);
        EXPECT_FALSE(may_request_release(kind, " ", "WA-1", "HRDDP-7").allowed);
        EXPECT_FALSE(may_request_release(kind, "mandate", "", "HRDDP-7").allowed);
    }
    EXPECT_FALSE(may_request_release("press", "mandate", "WA-1", "HRDDP-7").allowed);
    EXPECT_EQ(may_request_release("security-force", "m", "WA-1", "  ").code,
              ErrorCode::bad_request);
}

}  // namespace
}  // namespace strongroom::policy
