// Release outside the mission (DESIGN §2 rules 6 and 11): a reader requests
// it with a justification against the mandate, a written arrangement and,
// for a non-UN security force, a human-rights due-diligence reference; the
// head of mission or a holder of a written delegation for release approves
// it, never the requester; the requester then issues the released copy,
// registered like any copy (copies.hpp). Every release is registered.
//
// Each operation sets or extends `why`, what the audit trail records of it;
// a refusal's message is for the caller.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "daemon/common/error.hpp"
#include "daemon/common/time.hpp"
#include "daemon/registry/copies.hpp"
#include "daemon/store/connection.hpp"
#include "daemon/store/records.hpp"
#include "daemon/store/releases.hpp"

namespace strongroom::registry {

struct ReleaseRequest {
    std::int64_t record = 0;
    std::string entity;       // who it goes to
    std::string entity_kind;  // un, non-un, security-force
    std::string justification;
    std::string arrangement;
    std::string hrddp;
    std::int64_t by = 0;  // the requester's account id
    Micros at = 0;
};

// Someone who may approve a release, and the authority they would act under.
struct Approver {
    std::string account;
    std::string post;
    std::string authority;  // head-of-mission, delegation
};

struct RequestedRelease {
    store::ReleaseRow release;
    std::vector<Approver> approvers;
    // The approvers' posts that received the record for review with the
    // request (registered as disseminations), so that they can read it.
    std::vector<std::string> review_posts;
};

// Registers a request. Refused as if the record did not exist when the
// requester may not read it; refused when the request lacks what rule 6
// needs, names text that would forge the released copy's marking, or when
// nobody could approve it.
Result<RequestedRelease> request_release(store::Connection& conn, const ReleaseRequest& request,
                                         std::string& why);

// Approves a request. To anyone who may not approve it but its requester,
// and to an approver who may not read the record, the request does not exist.
// `object`: what the audit entry names, "release:N record:R" once the
// request is found.
Result<store::ReleaseRow> approve_release(store::Connection& conn, std::int64_t request,
                                          std::int64_t by, Micros at, std::string& object,
                                          std::string& why);

// An approved release its requester may issue now, and its record.
struct ReleaseToIssue {
    store::ReleaseRow release;
    store::RecordRow record;
};
// `object` as for approve_release, once the caller is known as its requester.
Result<ReleaseToIssue> release_to_issue(store::Connection& conn, std::int64_t request,
                                        std::int64_t by, Micros at, std::string& object,
                                        std::string& why);

// Issues the released copy of what release_to_issue found (the caller has
// the content at hand) and marks the release issued.
Result<IssuedCopy> issue_release(store::Connection& conn, const ReleaseToIssue& release,
                                 const std::string& holder_name, Micros at, std::string& why);

// The requests someone sees: their own, and, for an approver, every request
// waiting for approval of a record they may read.
struct VisibleReleases {
    std::vector<store::ReleaseRow> releases;
    bool approver = false;
};
VisibleReleases visible_releases(store::Connection& conn, std::int64_t account, Micros at);

// A written delegation of release approval from the head of mission to a
// post. Refused without a reference, by anyone else, or ending before it
// starts. Returns the delegation's id.
Result<std::int64_t> delegate_release(store::Connection& conn, const std::string& to_post,
                                      const std::string& reference, std::optional<Micros> until,
                                      std::int64_t by, Micros at, std::string& why);

// "no release request N": the answer for one that does not exist, or that
// the caller may not know of.
Error no_request(std::int64_t id);

}  // namespace strongroom::registry
