// Shared by the record handlers and ingest. Internal to the service.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include <boost/json/object.hpp>

#include "daemon/policy/clearance.hpp"
#include "daemon/protocol/args.hpp"
#include "daemon/registry/access.hpp"
#include "daemon/service/identity.hpp"
#include "daemon/service/operations.hpp"
#include "daemon/store/records.hpp"

namespace strongroom::service {

using registry::check_read;
using registry::label_of;
using registry::named_label_of;
using registry::no_record;
using registry::ReadCheck;
using registry::receipt_of;

boost::json::object record_summary(const store::RecordRow& r, const Directory& dir);

// A record's content, decrypted as it is read (the caller decided access).
Result<std::unique_ptr<ContentSource>> record_content(Context& ctx, const store::RecordRow& r);

// The "id" argument of a request about one record.
std::int64_t record_id_arg(protocol::ArgReader& args);

}  // namespace strongroom::service
