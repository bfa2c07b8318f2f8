// Shared by the record handlers and ingest. Internal to the service.
#pragma once

#include <vector>

#include <boost/json/object.hpp>

#include "daemon/policy/clearance.hpp"
#include "daemon/service/identity.hpp"
#include "daemon/store/records.hpp"

namespace strongroom::service {

policy::Label label_of(const store::RecordRow& r);
policy::Receipt receipt_of(const std::vector<store::DisseminationRow>& rows,
                           const policy::Clearance& reader);
boost::json::object record_summary(const store::RecordRow& r, const Directory& dir);

}  // namespace strongroom::service
