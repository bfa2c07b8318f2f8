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
Result<boost::json::object> handle_check(Context& ctx);

Result<boost::json::object> handle_compartment_add(Context& ctx);
Result<boost::json::object> handle_compartment_list(Context& ctx);
Result<boost::json::object> handle_post_add(Context& ctx);
Result<boost::json::object> handle_post_assign(Context& ctx);
Result<boost::json::object> handle_post_unassign(Context& ctx);
Result<boost::json::object> handle_post_list(Context& ctx);
Result<boost::json::object> handle_post_level(Context& ctx);
Result<boost::json::object> handle_grant(Context& ctx);
Result<boost::json::object> handle_revoke(Context& ctx);
Result<boost::json::object> handle_matrix(Context& ctx);
Result<boost::json::object> handle_pending_list(Context& ctx);
Result<boost::json::object> handle_pending_approve(Context& ctx);

Result<boost::json::object> handle_list(Context& ctx);
Result<boost::json::object> handle_show(Context& ctx);
Result<boost::json::object> handle_search(Context& ctx);
Result<boost::json::object> handle_get(Context& ctx);
Result<boost::json::object> handle_disseminate(Context& ctx);
Result<boost::json::object> handle_delegate_disseminate(Context& ctx);

Result<boost::json::object> handle_copies(Context& ctx);
Result<boost::json::object> handle_copy_close(Context& ctx);
Result<boost::json::object> handle_muster(Context& ctx);
Result<boost::json::object> handle_trace(Context& ctx);

Result<boost::json::object> handle_release_request(Context& ctx);
Result<boost::json::object> handle_release_approve(Context& ctx);
Result<boost::json::object> handle_release_issue(Context& ctx);
Result<boost::json::object> handle_release_list(Context& ctx);
Result<boost::json::object> handle_delegate_release(Context& ctx);

Result<boost::json::object> handle_report_registry(Context& ctx);
Result<boost::json::object> handle_report_matrix(Context& ctx);
Result<boost::json::object> handle_report_copies(Context& ctx);
Result<boost::json::object> handle_report_access(Context& ctx);
Result<boost::json::object> handle_report_retention(Context& ctx);

Result<boost::json::object> handle_retention_list(Context& ctx);
Result<boost::json::object> handle_retention_set(Context& ctx);
Result<boost::json::object> handle_retention_due(Context& ctx);
Result<boost::json::object> handle_retention_review(Context& ctx);
Result<boost::json::object> handle_hold_place(Context& ctx);
Result<boost::json::object> handle_hold_release(Context& ctx);
Result<boost::json::object> handle_hold_list(Context& ctx);

Result<boost::json::object> handle_disposal_propose(Context& ctx);
Result<boost::json::object> handle_disposal_approve(Context& ctx);
Result<boost::json::object> handle_disposal_execute(Context& ctx);
Result<boost::json::object> handle_disposal_list(Context& ctx);
Result<boost::json::object> handle_disposal_show(Context& ctx);
Result<boost::json::object> handle_certificate_verify(Context& ctx);
Result<boost::json::object> handle_backup(Context& ctx);

Result<boost::json::object> handle_closure_prepare(Context& ctx);
Result<boost::json::object> handle_closure_approve(Context& ctx);
Result<boost::json::object> handle_closure_complete(Context& ctx);
Result<boost::json::object> handle_closure_show(Context& ctx);

Result<boost::json::object> handle_transfer_prepare(Context& ctx);
Result<boost::json::object> handle_transfer_show(Context& ctx);
Result<boost::json::object> handle_transfer_list(Context& ctx);
Result<boost::json::object> handle_transfer_content(Context& ctx);
Result<boost::json::object> handle_transfer_confirm(Context& ctx);

Result<boost::json::object> handle_audit_verify(Context& ctx);
Result<boost::json::object> handle_audit_log(Context& ctx);
Result<boost::json::object> handle_audit_checkpoint(Context& ctx);
Result<boost::json::object> handle_audit_public_key(Context& ctx);
// Ingest runs as an upload (ingest.cpp); its row names this handler, which
// refuses a request that arrives without content.
Result<boost::json::object> handle_ingest(Context& ctx);
Result<boost::json::object> handle_receive(Context& ctx);

}  // namespace strongroom::service
