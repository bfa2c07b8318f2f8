#include "daemon/policy/clearance.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include <fmt/format.h>

namespace strongroom::policy {
namespace {

constexpr std::array<std::string_view, kLevelCount> kLevelNames{"unclassified", "confidential",
                                                                "strictly-confidential"};
constexpr std::array<std::string_view, kLevelCount> kLevelMarkings{"UNCLASSIFIED", "CONFIDENTIAL",
                                                                   "STRICTLY CONFIDENTIAL"};

bool contains(const std::vector<Id>& ids, Id id) {
    return std::find(ids.begin(), ids.end(), id) != ids.end();
}

// The level a post holds in a compartment, if any.
std::optional<Level> granted(const PostClearance& post, Id compartment) {
    const auto it =
        std::lower_bound(post.grants.begin(), post.grants.end(), compartment,
                         [](const std::pair<Id, Level>& g, Id c) { return g.first < c; });
    if (it == post.grants.end() || it->first != compartment) {
        return std::nullopt;
    }
    return it->second;
}

std::string compartment_text(const Label& label, Id c) {
    if (label.compartment_names.size() == label.compartments.size()) {
        for (std::size_t i = 0; i < label.compartments.size(); ++i) {
            if (label.compartments[i] == c) {
                return label.compartment_names[i];
            }
        }
    }
    return fmt::format("#{}", c);
}

// Why a post is not eligible (empty when it is).
std::string ineligibility(const PostClearance& post, const Label& label) {
    if (label.compartments.empty()) {
        if (post.level < label.level) {
            return fmt::format("post {} holds {} for uncompartmented material, below {}", post.name,
                               level_name(post.level), level_name(label.level));
        }
        return {};
    }
    for (const Id c : label.compartments) {
        const auto g = granted(post, c);
        if (!g) {
            return fmt::format("post {} has no grant for compartment {}", post.name,
                               compartment_text(label, c));
        }
        if (*g < label.level) {
            return fmt::format("post {} holds compartment {} at {}, below {}", post.name,
                               compartment_text(label, c), level_name(*g), level_name(label.level));
        }
    }
    return {};
}

const PostClearance* first_eligible(const Clearance& reader, const Label& label) {
    for (const auto& p : reader.posts) {
        if (eligible(p, label)) {
            return &p;
        }
    }
    return nullptr;
}

constexpr const char* kOversightReads =
    "separation of duties: officers and auditors read no classified content";

}  // namespace

std::string_view level_name(Level level) noexcept {
    if (level < 0 || level >= kLevelCount) {
        return "invalid";
    }
    return kLevelNames[static_cast<std::size_t>(level)];
}

std::string_view level_marking(Level level) noexcept {
    if (level < 0 || level >= kLevelCount) {
        return "INVALID";
    }
    return kLevelMarkings[static_cast<std::size_t>(level)];
}

std::optional<Level> parse_level(std::string_view text) noexcept {
    if (text.size() > 32) {
        return std::nullopt;
    }
    std::string norm;
    for (const char ch : text) {
        const auto u = static_cast<unsigned char>(ch);
        norm.push_back(ch == ' ' || ch == '_' ? '-' : static_cast<char>(std::tolower(u)));
    }
    for (std::size_t i = 0; i < kLevelNames.size(); ++i) {
        if (norm == kLevelNames[i]) {
            return static_cast<Level>(i);
        }
    }
    return std::nullopt;
}

std::string_view authority_name(Authority a) noexcept {
    switch (a) {
        case Authority::head_of_mission:
            return "head-of-mission";
        case Authority::security_focal_point:
            return "security-focal-point";
        case Authority::none:
            break;
    }
    return "";
}

std::optional<Authority> parse_authority(std::string_view text) noexcept {
    if (text.empty()) {
        return Authority::none;
    }
    if (text == "head-of-mission") {
        return Authority::head_of_mission;
    }
    if (text == "security-focal-point") {
        return Authority::security_focal_point;
    }
    return std::nullopt;
}

bool eligible(const PostClearance& post, const Label& label) noexcept {
    if (label.compartments.empty()) {
        return post.level >= label.level;
    }
    for (const Id c : label.compartments) {
        const auto g = granted(post, c);
        if (!g || *g < label.level) {
            return false;
        }
    }
    return true;
}

Decision may_read(const Clearance& reader, const Label& label, const Receipt& receipt) {
    if (label.level <= kUnclassified) {
        return Decision::allow("unclassified: readable by every active account");
    }
    if (is_oversight(reader.roles)) {
        return Decision::refuse(ErrorCode::not_found, kOversightReads);
    }
    for (const auto& p : reader.posts) {
        if (contains(receipt.posts, p.id) && eligible(p, label)) {
            return Decision::allow(
                fmt::format("post {} is eligible and received the record", p.name));
        }
    }
    if (label.safety) {
        for (const auto& p : reader.posts) {
            if (contains(receipt.must_share_posts, p.id) && p.level >= label.level) {
                return Decision::allow(
                    fmt::format("must-share: post {} received the safety-flagged record", p.name));
            }
        }
    }
    const PostClearance* any = first_eligible(reader, label);
    if (any != nullptr && label.originator == reader.account) {
        return Decision::allow(fmt::format("originator, eligible through post {}", any->name));
    }
    if (any != nullptr && receipt.in_person) {
        return Decision::allow(
            fmt::format("received in person, eligible through post {}", any->name));
    }
    if (any == nullptr) {
        if (reader.posts.empty()) {
            return Decision::refuse(ErrorCode::not_found,
                                    "not eligible: the reader holds no post now");
        }
        return Decision::refuse(
            ErrorCode::not_found,
            fmt::format("not eligible: {}", ineligibility(reader.posts.front(), label)));
    }
    return Decision::refuse(ErrorCode::not_found,
                            "need to know: not disseminated to an eligible post of the reader, "
                            "nor to the reader, who is not the originator");
}

Decision may_label(const Clearance& originator, const Label& label, std::optional<Id> as_post) {
    if (is_oversight(originator.roles) &&
        (label.level > kUnclassified || !label.compartments.empty())) {
        return Decision::refuse(ErrorCode::denied,
                                "separation of duties: officers and auditors hold no post, so they "
                                "may only originate unclassified, uncompartmented records");
    }
    if (as_post) {
        for (const auto& p : originator.posts) {
            if (p.id != *as_post) {
                continue;
            }
            if (eligible(p, label)) {
                return Decision::allow(fmt::format("labelled within post {}'s clearance", p.name));
            }
            return Decision::refuse(
                ErrorCode::denied,
                fmt::format("you may not label a record above your clearance: {}",
                            ineligibility(p, label)));
        }
        return Decision::refuse(ErrorCode::denied,
                                fmt::format("you do not hold post #{} now", *as_post));
    }
    if (label.level <= kUnclassified && label.compartments.empty()) {
        return Decision::allow("unclassified: any active account may originate");
    }
    if (const auto* p = first_eligible(originator, label)) {
        return Decision::allow(fmt::format("labelled within post {}'s clearance", p->name));
    }
    if (originator.posts.empty()) {
        return Decision::refuse(ErrorCode::denied,
                                "you hold no post now, so you may only originate unclassified, "
                                "uncompartmented records");
    }
    return Decision::refuse(ErrorCode::denied,
                            fmt::format("you may not label a record above your clearance: {}",
                                        ineligibility(originator.posts.front(), label)));
}

Decision may_disseminate(const Clearance& caller, const Label& label,
                         const std::vector<Id>& delegated_posts) {
    if (is_oversight(caller.roles) && label.level > kUnclassified) {
        return Decision::refuse(ErrorCode::denied, kOversightReads);
    }
    if (label.originator == caller.account) {
        return Decision::allow("originator", Basis::originator);
    }
    for (const auto& p : caller.posts) {
        if (contains(delegated_posts, p.id)) {
            return Decision::allow(
                fmt::format("written delegation from the originator to post {}", p.name),
                Basis::delegation);
        }
    }
    for (const auto& p : caller.posts) {
        if (p.authority == Authority::head_of_mission) {
            return Decision::allow(fmt::format("head of mission (post {})", p.name),
                                   Basis::head_of_mission);
        }
    }
    return Decision::refuse(ErrorCode::denied,
                            "originator control: only the originator, a holder of the "
                            "originator's written delegation or the head of mission may "
                            "disseminate this record");
}

Decision may_receive(const PostClearance& post, const Label& label) {
    if (eligible(post, label)) {
        return Decision::allow(fmt::format("post {} is eligible", post.name));
    }
    return Decision::refuse(ErrorCode::denied,
                            fmt::format("post {} is not eligible for this record: {}", post.name,
                                        ineligibility(post, label)));
}

namespace {

bool blank(std::string_view s) {
    return s.find_first_not_of(" \t") == std::string_view::npos;
}

}  // namespace

Decision may_request_release(std::string_view kind, std::string_view justification,
                             std::string_view arrangement, std::string_view hrddp) {
    if (kind != "un" && kind != "non-un" && kind != "security-force") {
        return Decision::refuse(ErrorCode::bad_request,
                                "the recipient entity's kind is un, non-un or security-force");
    }
    if (blank(justification)) {
        return Decision::refuse(ErrorCode::bad_request,
                                "a release needs a justification against the mandate");
    }
    if (blank(arrangement)) {
        return Decision::refuse(ErrorCode::bad_request,
                                "a release needs the reference of the written arrangement that "
                                "preserves originator control (--arrangement)");
    }
    if (kind == "security-force" && blank(hrddp)) {
        return Decision::refuse(ErrorCode::bad_request,
                                "a release to a non-UN security force needs the reference of its "
                                "human-rights due-diligence assessment (--hrddp)");
    }
    return Decision::allow(fmt::format("release to a {} entity, with its references", kind));
}

Decision may_approve_release(const Clearance& approver, Id requester,
                             const std::vector<Id>& delegated_posts) {
    if (approver.account == requester) {
        return Decision::refuse(ErrorCode::conflict,
                                "you requested this release: another person must approve it");
    }
    if (is_oversight(approver.roles)) {
        return Decision::refuse(ErrorCode::denied,
                                "separation of duties: officers and auditors approve no release");
    }
    for (const auto& p : approver.posts) {
        if (p.authority == Authority::head_of_mission) {
            return Decision::allow(fmt::format("head of mission (post {})", p.name),
                                   Basis::head_of_mission);
        }
    }
    for (const auto& p : approver.posts) {
        if (contains(delegated_posts, p.id)) {
            return Decision::allow(fmt::format("written delegation for release to post {}", p.name),
                                   Basis::delegation);
        }
    }
    return Decision::refuse(ErrorCode::denied,
                            "only the head of mission or a holder of a valid written delegation "
                            "for release may approve a release");
}

}  // namespace strongroom::policy
