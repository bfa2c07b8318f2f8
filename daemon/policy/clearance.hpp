// Content access: who may read, label and disseminate a record (DESIGN.md §2
// rules 1-5). Pure functions over a clearance snapshot: the service loads the
// caller's active posts, their grants and the record's receipts, and these
// functions decide, naming the rule in Decision::reason for the audit trail.
//
// Levels are ranks: 0 is UNCLASSIFIED, higher is more sensitive.
// Compartments and posts are identified by their database ids.
//
//   eligible(post, label)   every compartment of the record is granted to the
//                           post at >= the record's level; an uncompartmented
//                           record needs the post's own level >= its level.
//   may_read                level 0: any active account. Above: an active
//                           post of the reader that is eligible and received
//                           the record; or an eligible active post and the
//                           record was disseminated to the reader in person,
//                           or the reader originated it. A post that
//                           received a safety-flagged record under must-share
//                           (the security focal point) needs only the level,
//                           whatever the compartments.
//   may_label               an originator labels a record only with a level
//                           and compartments one of their active posts is
//                           eligible for (the named post, when one is named).
//   may_disseminate         the originator, a holder of a valid delegation
//                           from the originator, or the head of mission; and
//                           the receiving post must be eligible.
//
// A refused read says nothing about the record to the caller: the service
// answers not_found. The reason is for the audit trail only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "daemon/policy/access.hpp"
#include "daemon/policy/duties.hpp"

namespace strongroom::policy {

using Level = int;
using Id = std::int64_t;

inline constexpr Level kUnclassified = 0;
inline constexpr Level kLevelCount = 3;
inline constexpr Level kHighestLevel = kLevelCount - 1;

// "unclassified", "confidential", "strictly-confidential".
std::string_view level_name(Level level) noexcept;
// "UNCLASSIFIED", "CONFIDENTIAL", "STRICTLY CONFIDENTIAL": for markings.
std::string_view level_marking(Level level) noexcept;
// Case-insensitive; the spaced upper-case forms too.
std::optional<Level> parse_level(std::string_view text) noexcept;

enum class Authority { none, head_of_mission, security_focal_point };

std::string_view authority_name(Authority a) noexcept;  // "" for none
std::optional<Authority> parse_authority(std::string_view text) noexcept;

// A post as the matrix defines it: its level for uncompartmented material,
// its authority, and its grants (compartment id → highest level, sorted by
// compartment id, one entry per compartment).
struct PostClearance {
    Id id = 0;
    std::string name;
    Level level = kUnclassified;
    Authority authority = Authority::none;
    std::vector<std::pair<Id, Level>> grants;
};

// The reader: an active account, its roles and the posts it holds now
// (assignments already filtered by date by whoever built the snapshot). An
// account holding the officer or auditor role is refused everything above
// UNCLASSIFIED whatever posts it shows (separation of duties).
struct Clearance {
    Id account = 0;
    std::vector<PostClearance> posts;
    RoleSet roles = 0;
};

// What the decision needs of a record.
struct Label {
    Level level = kUnclassified;
    std::vector<Id> compartments;  // sorted, unique
    Id originator = 0;             // account id
    bool safety = false;
    // Optional, for messages: the names of `compartments`, in the same order.
    std::vector<std::string> compartment_names;
};

// Where a record was disseminated, as far as it concerns the reader: the
// reader's posts that received it, and whether the reader received it in
// person.
struct Receipt {
    std::vector<Id> posts;             // received normally
    std::vector<Id> must_share_posts;  // received under must-share (safety flag)
    bool in_person = false;
};

bool eligible(const PostClearance& post, const Label& label) noexcept;

Decision may_read(const Clearance& reader, const Label& label, const Receipt& receipt);

// as_post: the post the originator names (--as), if any.
Decision may_label(const Clearance& originator, const Label& label,
                   std::optional<Id> as_post = std::nullopt);

// Who may disseminate. delegated_posts: the caller's active posts that hold
// a valid (unexpired, unrevoked) dissemination delegation for this record.
Decision may_disseminate(const Clearance& caller, const Label& label,
                         const std::vector<Id>& delegated_posts);

// Whether a post may receive a record (checked for every target post).
Decision may_receive(const PostClearance& post, const Label& label);

// Release outside the mission (rule 6). What a request must carry: a
// justification, a written arrangement, and for a non-UN security force a
// human-rights due-diligence reference. kind: un, non-un, security-force.
Decision may_request_release(std::string_view kind, std::string_view justification,
                             std::string_view arrangement, std::string_view hrddp);

// Who approves a release: the head of mission, or a holder of a valid
// written delegation for release (delegated_posts: the approver's posts
// that hold one); never the requester (conflict).
Decision may_approve_release(const Clearance& approver, Id requester,
                             const std::vector<Id>& delegated_posts);

}  // namespace strongroom::policy
