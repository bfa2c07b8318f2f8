// Who may read what, from the store: the accounts and the access matrix as
// the policy sees them (rules 1-4 of the design: clearance by post,
// compartments, originator control, separation of duties), a record's label
// and its receipts (who it was disseminated to, and how).
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "daemon/common/error.hpp"
#include "daemon/common/time.hpp"
#include "daemon/policy/clearance.hpp"
#include "daemon/store/accounts.hpp"
#include "daemon/store/matrix.hpp"
#include "daemon/store/records.hpp"

namespace strongroom::registry {

// The accounts and the access matrix, as loaded.
struct Directory {
    std::unordered_map<std::uint32_t, store::AccountRow> by_uid;
    std::unordered_map<std::int64_t, policy::PostClearance> posts;    // by post id
    std::unordered_map<std::int64_t, std::string> account_names;      // by account id
    std::unordered_map<std::int64_t, policy::RoleSet> account_roles;  // by account id
    std::unordered_map<std::int64_t, std::string> compartment_names;
    std::unordered_map<std::string, std::int64_t> compartment_ids;
    std::vector<store::AssignmentRow> assignments;  // not ended when loaded, by account
    std::set<std::string> record_types;             // those with a retention schedule
};

// Loads a Directory from a connection (reader or writer).
Directory load_directory(store::Connection& conn, Micros now);

// The clearance of an account at `now` from its assignments and the posts.
// An account holding the officer or auditor role gets no posts, whatever
// assignments an older store still has (separation of duties).
policy::Clearance clearance_of(const Directory& dir, std::int64_t account_id, Micros now);

// The same, read from the database (on the writer, for changes), with only
// the queries one account needs.
policy::Clearance clearance_from_db(store::Connection& conn, std::int64_t account_id, Micros now);
policy::PostClearance post_clearance_from_db(store::Connection& conn, const store::PostRow& post);

// A record's label: its level, compartments, originator (none for a product
// received from outside: control stays with its origin) and safety flag.
policy::Label label_of(const store::RecordRow& r);
// The same, with the compartments' names for the policy's messages.
policy::Label named_label_of(store::Connection& conn, const store::RecordRow& r);
// What a reader has received of a record: in person, through a post, or
// through a post that must share it.
policy::Receipt receipt_of(const std::vector<store::DisseminationRow>& rows,
                           const policy::Clearance& reader);

struct ReadCheck {
    std::optional<store::RecordRow> record;  // none: no such record held
    std::vector<store::DisseminationRow> disseminations;
    policy::Decision decision;
};

// Loads a record from the database and decides whether the reader may read
// it (changes decide from the database, never from the cache).
ReadCheck check_read(store::Connection& conn, std::int64_t id, const policy::Clearance& reader);

// The answer to a record the caller may not read, or that does not exist:
// the same, so that a refusal reveals nothing (rule 1).
Error no_record(std::int64_t id);

// An account's name, or "account#ID" if there is no such account.
std::string account_name(store::Connection& conn, std::int64_t id);

}  // namespace strongroom::registry
