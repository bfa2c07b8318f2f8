// Dissemination (DESIGN §2 rules 3, 4 and 7): who may pass a record on, to
// which posts and people, under which authority, and the written delegations
// of dissemination an originator gives. Every dissemination is registered
// with its authority (originator, delegation with its reference, head of
// mission), its author and its time.
//
// Each operation sets `why` to what the audit trail records of it (the rule
// that allowed or refused it); a refusal's message is for the caller.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "daemon/common/error.hpp"
#include "daemon/common/states.hpp"
#include "daemon/common/time.hpp"
#include "daemon/store/connection.hpp"

namespace strongroom::registry {

struct DisseminationOrder {
    std::int64_t record = 0;
    std::vector<std::string> posts;   // by name
    std::vector<std::string> people;  // account names
    std::int64_t by = 0;              // the caller's account id
    Micros at = 0;
};

struct Delivery {
    bool to_post = false;  // a post, else a person
    std::string name;
    bool added = false;  // false: it had already received it so
};

struct Dissemination {
    Conveyance authority = Conveyance::originator;
    std::string reference;            // the delegation's, when under one
    std::vector<Delivery> delivered;  // the people, then the posts, in the order named
};

// Disseminates a record: refused as if it did not exist (no_record) when the
// caller may not read it; refused (denied) when the caller holds no
// authority over it, or a post or person named is not eligible for it, and
// then nothing is registered.
Result<Dissemination> disseminate(store::Connection& conn, const DisseminationOrder& order,
                                  std::string& why);

struct DelegationOrder {
    std::int64_t record = 0;
    std::string to_post;          // by name
    std::string reference;        // of the written delegation
    std::optional<Micros> until;  // exclusive end; none: until revoked
    std::int64_t by = 0;          // the originator's account id
    Micros at = 0;
};

struct Delegated {
    std::int64_t id = 0;
    bool disseminated = false;  // the post received the record with it (false: it had)
};

// A written delegation of dissemination from a record's originator to a
// post, which receives the record with it. Refused without a reference,
// by anyone but the originator, to a post not eligible for the record, or
// ending before it starts.
Result<Delegated> delegate_dissemination(store::Connection& conn, const DelegationOrder& order,
                                         std::string& why);

}  // namespace strongroom::registry
