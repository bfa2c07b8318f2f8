// Typed access to the access matrix: compartments, posts, assignments,
// grants, the log of matrix changes, and changes pending a second person.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/common/time.hpp"

namespace strongroom::store {

class Connection;

struct CompartmentRow {
    std::int64_t id = 0;
    std::string name;
    std::string description;
    Micros created_at = 0;
};

struct PostRow {
    std::int64_t id = 0;
    std::string name;
    int level = 0;
    std::string authority;  // "", "head-of-mission", "security-focal-point"
    Micros created_at = 0;
};

struct AssignmentRow {
    std::int64_t id = 0;
    std::int64_t post_id = 0;
    std::int64_t account_id = 0;
    Micros since = 0;
    std::optional<Micros> ends;  // exclusive
};

struct GrantRow {
    std::int64_t post_id = 0;
    std::int64_t compartment_id = 0;
    int level = 0;
    Micros granted_at = 0;
    std::optional<std::int64_t> granted_by;
    std::optional<std::int64_t> approved_by;
};

struct PendingRow {
    std::int64_t id = 0;
    std::string op;
    std::string args;  // JSON
    std::string summary;
    std::int64_t requested_by = 0;
    Micros requested_at = 0;
    std::string state;
    std::optional<std::int64_t> decided_by;
    std::optional<Micros> decided_at;
};

struct MatrixChangeRow {
    std::int64_t id = 0;
    Micros at = 0;
    std::string change;
    std::string detail;
    std::optional<std::int64_t> by_account;
    std::optional<std::int64_t> approved_by;
};

// An assignment, not ended, of an account that holds the officer or auditor
// role (made before schema 6 forbade it): reported, never acted upon.
struct OversightConflict {
    std::int64_t assignment_id = 0;
    std::int64_t account_id = 0;
    std::string account;
    std::int64_t post_id = 0;
    std::string post;
};

class MatrixRepository {
public:
    explicit MatrixRepository(Connection& conn) : conn_(conn) {}

    std::optional<CompartmentRow> find_compartment(std::string_view name);
    std::vector<CompartmentRow> compartments();
    std::int64_t insert_compartment(std::string_view name, std::string_view description, Micros at,
                                    std::int64_t by);

    std::optional<PostRow> find_post(std::string_view name);
    std::optional<PostRow> find_post(std::int64_t id);
    std::optional<PostRow> post_with_authority(std::string_view authority);
    std::vector<PostRow> posts();
    std::int64_t insert_post(std::string_view name, int level, std::string_view authority,
                             Micros at, std::int64_t by, std::optional<std::int64_t> approved_by);

    void set_post_level(std::int64_t id, int level);

    // Assignments that have not ended at `now` (including future ones).
    std::vector<AssignmentRow> open_assignments(Micros now);
    // The account's assignments in force at `now`.
    std::vector<AssignmentRow> assignments_in_force(std::int64_t account_id, Micros now);
    std::optional<AssignmentRow> assignment_in_force(std::int64_t post_id, std::int64_t account_id,
                                                     Micros now);
    std::int64_t insert_assignment(std::int64_t post_id, std::int64_t account_id, Micros since,
                                   std::optional<Micros> ends, std::int64_t by);
    void end_assignment(std::int64_t assignment_id, Micros at, std::int64_t by);
    // Assignments not ended at `now` of accounts holding the officer or
    // auditor role (separation of duties; only stores older than schema 6).
    std::vector<OversightConflict> oversight_conflicts(Micros now);
    // Whether the account has an assignment that has not ended (current or future).
    bool holds_open_assignment(std::int64_t account_id, Micros now);

    std::optional<GrantRow> find_grant(std::int64_t post_id, std::int64_t compartment_id);
    std::vector<GrantRow> grants_of(std::int64_t post_id);
    std::vector<GrantRow> grants();
    void put_grant(const GrantRow& grant);
    void delete_grant(std::int64_t post_id, std::int64_t compartment_id);

    // Changes of the matrix in [since, until), oldest first.
    std::vector<MatrixChangeRow> changes(Micros since, Micros until);
    void record_change(Micros at, std::string_view change, std::string_view detail, std::int64_t by,
                       std::optional<std::int64_t> approved_by);

    std::int64_t insert_pending(std::string_view op, std::string_view args,
                                std::string_view summary, std::int64_t by, Micros at);
    std::optional<PendingRow> find_pending(std::int64_t id);
    std::vector<PendingRow> pending(std::string_view state);
    // by: the approver's account; nothing for uid 0 approving at bootstrap.
    void decide_pending(std::int64_t id, std::string_view state, std::optional<std::int64_t> by,
                        Micros at);

private:
    Connection& conn_;
};

}  // namespace strongroom::store
