// Entering a record in the registry (DESIGN §2 rules 2-5 and 7): an ingest
// by its originator, who labels it only as one of their posts allows, or the
// receipt of a product from outside by a registrar, which goes to the posts
// named under the authority of its receipt. A classified record gets the
// next registry number of its year; one flagged for safety and security goes
// to the security focal point at once (must-share).
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "daemon/common/error.hpp"
#include "daemon/common/text.hpp"
#include "daemon/common/time.hpp"
#include "daemon/crypto/digest.hpp"
#include "daemon/policy/clearance.hpp"
#include "daemon/store/connection.hpp"

namespace strongroom::registry {

// What an ingest or a receipt states of a record.
struct Entry {
    std::string title;
    policy::Level level = 0;
    std::vector<std::string> compartments;  // sorted, unique
    std::string type;
    Micros dated = 0;
    std::optional<std::string> as_post;
    bool safety = false;
    std::optional<std::int64_t> max_copies;
    std::string filename;
    // receive: a product from outside, registered by a registrar and
    // disseminated to the named posts under the authority of its receipt.
    std::optional<std::string> origin;
    std::vector<std::string> to_posts;
};

// The refusal of a record type without a retention schedule, naming those known.
Error unknown_type(const std::string& type, const std::set<std::string>& known);

// Checks the label against a clearance; the compartments are resolved by
// name with `find` (name → id). Returns the label or a refusal.
template <typename Find>
Result<policy::Label> check_label(const Entry& in, const policy::Clearance& clearance, Find&& find,
                                  std::optional<std::int64_t> as_post, std::string& reason) {
    policy::Label label;
    label.level = in.level;
    label.originator = clearance.account;
    label.safety = in.safety;
    std::vector<std::pair<std::int64_t, std::string>> named;
    for (const auto& name : in.compartments) {
        const auto id = find(name);
        if (!id) {
            reason = "unknown compartment " + name;
            return make_error(ErrorCode::not_found,
                              fmt::format("no compartment named {}", printable(name, 64)));
        }
        named.emplace_back(*id, name);
    }
    std::sort(named.begin(), named.end());
    for (auto& [id, name] : named) {
        label.compartments.push_back(id);
        label.compartment_names.push_back(std::move(name));
    }
    if (in.origin) {
        // Received from outside: originator control stays with the origin,
        // and the registrar need not be cleared for what they register.
        label.originator = 0;
        reason = "registrar registers a product received from outside";
        return label;
    }
    const auto d = policy::may_label(clearance, label, as_post);
    reason = d.reason;
    if (!d.allowed) {
        return make_error(d.code, d.reason);
    }
    return label;
}

// The content as it arrived, sealed and stored beside the entry.
struct Arrived {
    std::uint64_t size = 0;
    std::uint64_t chunks = 0;
    crypto::Sha256Digest digest{};
    bool is_text = false;
    std::int64_t written_ahead = 0;  // the row already holding its first chunks, or 0
};

struct Entered {
    std::int64_t id = 0;
    std::optional<std::string> registry_number;
    std::vector<std::string> received_by;  // a received product: the posts given it
    // Must-share: the security focal point's post it went to, and that
    // post's level (it may be too low to read it); none when no post holds
    // the authority.
    std::optional<std::string> focal_point;
    policy::Level focal_point_level = 0;
};

// Enters the record of `caller` (active, of this clearance) in the
// registry, decided from the database: its post, type, label and receiving
// posts checked again; refused once the mission is closed or closing. The
// caller stores the content under the id. `why` gets the audit reason.
Result<Entered> enter_record(store::Connection& conn, const Entry& entry, std::int64_t caller,
                             const policy::Clearance& clearance, const Arrived& content,
                             const std::string& mission_code, Micros now, std::string& why);

}  // namespace strongroom::registry
