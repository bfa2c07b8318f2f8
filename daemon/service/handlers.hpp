// Handler functions named in the dispatch table. Internal to the service.
#pragma once

#include <boost/json/object.hpp>

#include "daemon/common/error.hpp"
#include "daemon/service/operations.hpp"

namespace strongroom::service {

Result<boost::json::object> handle_whoami(Context& ctx);
Result<boost::json::object> handle_init(Context& ctx);
Result<boost::json::object> handle_account_add(Context& ctx);
Result<boost::json::object> handle_account_list(Context& ctx);
Result<boost::json::object> handle_account_show(Context& ctx);
Result<boost::json::object> handle_account_suspend(Context& ctx);
Result<boost::json::object> handle_account_reactivate(Context& ctx);
Result<boost::json::object> handle_status(Context& ctx);

}  // namespace strongroom::service
