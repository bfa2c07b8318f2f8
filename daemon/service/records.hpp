// Shared by the record handlers and ingest. Internal to the service.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include <boost/json/object.hpp>

#include "daemon/policy/clearance.hpp"
#include "daemon/protocol/args.hpp"
#include "daemon/service/identity.hpp"
#include "daemon/service/operations.hpp"
#include "daemon/store/records.hpp"

namespace strongroom::service {

policy::Label label_of(const store::RecordRow& r);
// The same, with the compartments' names for the policy's messages.
policy::Label named_label_of(store::Connection& conn, const store::RecordRow& r);
policy::Receipt receipt_of(const std::vector<store::DisseminationRow>& rows,
                           const policy::Clearance& reader);
boost::json::object record_summary(const store::RecordRow& r, const Directory& dir);

struct ReadCheck {
    std::optional<store::RecordRow> record;  // none: no such record held
    std::vector<store::DisseminationRow> disseminations;
    policy::Decision decision;
};

// Loads a record from the database and decides whether the reader may read
// it (changes decide from the database, never from the cache).
ReadCheck check_read(store::Connection& conn, std::int64_t id, const policy::Clearance& reader);

// The answer to a record the caller may not read, or that does not exist:
// the same, so that a refusal reveals nothing.
Error no_record(std::int64_t id);

// A record's content, decrypted as it is read (the caller decided access).
Result<std::unique_ptr<ContentSource>> record_content(Context& ctx, const store::RecordRow& r);

// The most text of a record the full-text index holds (a prefix, IndexedText).
inline constexpr std::size_t kMaxIndexedText = 1024 * 1024;

// The "id" argument of a request about one record.
std::int64_t record_id_arg(protocol::ArgReader& args);

}  // namespace strongroom::service
