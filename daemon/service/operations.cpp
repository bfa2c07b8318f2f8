#include "daemon/service/operations.hpp"

#include <algorithm>
#include <array>

#include "daemon/service/handlers.hpp"

namespace strongroom::service {
namespace {

using policy::bit;
using policy::Requirement;
using policy::Role;

constexpr auto kOfficer = bit(Role::officer);
constexpr auto kOversight = bit(Role::officer) | bit(Role::auditor);
constexpr auto kRegistry = bit(Role::registrar) | bit(Role::auditor);
constexpr auto kRegistrar = bit(Role::registrar);
constexpr auto kAuditor = bit(Role::auditor);
constexpr auto kAnyone = Requirement::any_account();

// Sorted by name (checked by a unit test): lookup is a binary search.
constexpr std::array kOperations{
    Operation{"account.add", Requirement::one_of(kOfficer), Mode::write, handle_account_add,
              "add an account for a Unix uid, with roles"},
    Operation{"account.list", Requirement::one_of(kOversight), Mode::read, handle_account_list,
              "list accounts"},
    Operation{"account.reactivate", Requirement::one_of(kOfficer), Mode::write,
              handle_account_reactivate, "reactivate a suspended account"},
    Operation{"account.show", Requirement::one_of(kOversight), Mode::read, handle_account_show,
              "show one account"},
    Operation{"account.suspend", Requirement::one_of(kOfficer), Mode::write, handle_account_suspend,
              "suspend an account: it is refused everything"},
    Operation{"audit.checkpoint", Requirement::one_of(kAuditor), Mode::read,
              handle_audit_checkpoint, "a signed checkpoint of the audit chain's head"},
    Operation{"audit.log", Requirement::one_of(kAuditor), Mode::read, handle_audit_log,
              "audit entries, filtered by time, account, record, action and decision"},
    Operation{"audit.public-key", kAnyone, Mode::read, handle_audit_public_key,
              "the public key that signs checkpoints (PEM)"},
    Operation{"audit.verify", Requirement::one_of(kAuditor), Mode::read, handle_audit_verify,
              "check the whole audit chain against its checkpoints"},
    Operation{"backup", Requirement::one_of(kOfficer), Mode::write, handle_backup,
              "a backup of the database without keys (the key store is backed up apart)"},
    Operation{"certificate.verify", Requirement::one_of(kRegistry), Mode::read,
              handle_certificate_verify,
              "check a destruction certificate against the register and the records"},
    Operation{"check", Requirement::one_of(kOversight), Mode::read, handle_check,
              "check every page of the database (PRAGMA integrity_check)"},
    Operation{"closure.approve", Requirement::one_of(kRegistrar), Mode::write,
              handle_closure_approve, "approve the mission's closure (not who prepared it)"},
    Operation{"closure.complete", Requirement::one_of(kRegistrar), Mode::write,
              handle_closure_complete,
              "transfer and destroy everything as prepared, and sign the closing statement"},
    Operation{"closure.prepare", Requirement::one_of(kRegistrar), Mode::write,
              handle_closure_prepare,
              "prepare the mission's closure: transfer every permanent record, destroy the rest"},
    Operation{"closure.show", Requirement::one_of(kRegistry), Mode::read, handle_closure_show,
              "a closure, its batches and its signed closing statement"},
    Operation{"compartment.add", Requirement::one_of(kOfficer), Mode::write, handle_compartment_add,
              "add a compartment (need-to-know category)"},
    Operation{"compartment.list", kAnyone, Mode::read, handle_compartment_list,
              "list compartments"},
    Operation{"copies", kAnyone, Mode::read, handle_copies,
              "the numbered copies of a record (readers of the record, registrars)"},
    Operation{"copy.close", kAnyone, Mode::write, handle_copy_close,
              "close a copy as returned, destroyed or lost (its holder or a registrar)"},
    Operation{"delegate.disseminate", kAnyone, Mode::write, handle_delegate_disseminate,
              "the originator's written delegation of dissemination to a post"},
    Operation{"delegate.release", kAnyone, Mode::write, handle_delegate_release,
              "the head of mission's written delegation of release approval to a post"},
    Operation{"disposal.approve", Requirement::one_of(kRegistrar), Mode::write,
              handle_disposal_approve, "approve a disposal batch (not its proposer)"},
    Operation{"disposal.execute", Requirement::one_of(kRegistrar), Mode::write,
              handle_disposal_execute, "destroy an approved batch and sign its certificate"},
    Operation{"disposal.list", Requirement::one_of(kRegistry), Mode::read, handle_disposal_list,
              "disposal batches"},
    Operation{"disposal.propose", Requirement::one_of(kRegistrar), Mode::write,
              handle_disposal_propose, "propose a batch of the records due for destruction"},
    Operation{"disposal.show", Requirement::one_of(kRegistry), Mode::read, handle_disposal_show,
              "a disposal batch, its records and its certificate"},
    Operation{"disseminate", kAnyone, Mode::write, handle_disseminate,
              "disseminate a record to eligible posts (originator control)"},
    Operation{"get", kAnyone, Mode::write, handle_get,
              "the content of a record the caller may read, for a stated purpose"},
    Operation{"grant", Requirement::one_of(kOfficer), Mode::write, handle_grant,
              "grant a post a compartment up to a level (highest level: second officer)"},
    Operation{"hold.list", Requirement::one_of(kRegistry), Mode::read, handle_hold_list,
              "legal holds in force"},
    Operation{"hold.place", Requirement::one_of(kRegistrar), Mode::write, handle_hold_place,
              "place a legal hold on records or a record type: no disposal or transfer"},
    Operation{"hold.release", Requirement::one_of(kRegistrar), Mode::write, handle_hold_release,
              "release a legal hold"},
    Operation{"ingest", kAnyone, Mode::upload, handle_ingest,
              "store a record: label, then content"},
    Operation{"init", Requirement::bootstrap(), Mode::write, handle_init,
              "create the first officer (root only, once)"},
    Operation{"list", kAnyone, Mode::read, handle_list, "records the caller may read"},
    Operation{"matrix", Requirement::one_of(kOversight), Mode::read, handle_matrix,
              "the access matrix with current holders"},
    Operation{"muster", Requirement::one_of(kRegistry), Mode::read, handle_muster,
              "every outstanding copy, by holder, with its age"},
    Operation{"pending.approve", Requirement::one_of_or_root(kOfficer | kRegistrar), Mode::write,
              handle_pending_approve,
              "approve another's pending change (matrix: officers; retention: registrars)"},
    Operation{"pending.list", Requirement::one_of_or_root(kOversight | kRegistry), Mode::read,
              handle_pending_list, "changes waiting for a second person"},
    Operation{"post.add", Requirement::one_of(kOfficer), Mode::write, handle_post_add,
              "add a post (highest level: second officer)"},
    Operation{"post.assign", Requirement::one_of(kOfficer), Mode::write, handle_post_assign,
              "assign an account to a post, optionally until a date"},
    Operation{"post.level", Requirement::one_of(kOfficer), Mode::write, handle_post_level,
              "set a post's level for uncompartmented material (highest: second officer)"},
    Operation{"post.list", Requirement::one_of(kOversight), Mode::read, handle_post_list,
              "posts with their holders"},
    Operation{"post.unassign", Requirement::one_of(kOfficer), Mode::write, handle_post_unassign,
              "end an assignment now"},
    Operation{"receive", Requirement::one_of(kRegistrar), Mode::upload, handle_receive,
              "register a product received from outside and disseminate it to posts"},
    Operation{"release.approve", kAnyone, Mode::write, handle_release_approve,
              "approve a release (head of mission or delegate; never the requester)"},
    Operation{"release.issue", kAnyone, Mode::write, handle_release_issue,
              "the released copy of an approved release (its requester)"},
    Operation{"release.list", kAnyone, Mode::read, handle_release_list,
              "your release requests, and those waiting for you to approve"},
    Operation{"release.request", kAnyone, Mode::write, handle_release_request,
              "request the release of a record outside the mission"},
    Operation{"report.access", Requirement::one_of(kAuditor), Mode::read, handle_report_access,
              "who read which record, and under which rule, in a period"},
    Operation{"report.copies", Requirement::one_of(kRegistry), Mode::read, handle_report_copies,
              "the numbered copies issued in a period, by holder"},
    Operation{"report.matrix", Requirement::one_of(kRegistry | kOversight), Mode::read,
              handle_report_matrix, "posts, grants and holders, and the changes in a period"},
    Operation{"report.registry", Requirement::one_of(kRegistry), Mode::read, handle_report_registry,
              "the registry: receipt, dissemination, copies and releases of each record"},
    Operation{"report.retention", Requirement::one_of(kRegistry), Mode::read,
              handle_report_retention,
              "per record type: held, due, on hold, overdue, destroyed and transferred (with "
              "certificates) in a period"},
    Operation{"retention.due", Requirement::one_of(kRegistry), Mode::read, handle_retention_due,
              "what is due for destruction, transfer or review, and why"},
    Operation{"retention.list", Requirement::one_of(kRegistry), Mode::read, handle_retention_list,
              "the retention schedule of each record type"},
    Operation{"retention.review", Requirement::one_of(kRegistrar), Mode::write,
              handle_retention_review, "record the review of a record"},
    Operation{"retention.set", Requirement::one_of(kRegistrar), Mode::write, handle_retention_set,
              "change a record type's schedule (a second registrar approves)"},
    Operation{"revoke", Requirement::one_of(kOfficer), Mode::write, handle_revoke,
              "remove a post's grant of a compartment"},
    Operation{"search", kAnyone, Mode::read, handle_search,
              "full-text search within what the caller may read"},
    Operation{"show", kAnyone, Mode::read, handle_show, "a record's metadata"},
    Operation{"status", Requirement::one_of(kOversight), Mode::read, handle_status,
              "the daemon's state"},
    Operation{"trace", Requirement::one_of(kRegistry), Mode::read, handle_trace,
              "the copies a leaked text's fingerprints name"},
    Operation{"transfer.confirm", Requirement::one_of(kRegistrar), Mode::write,
              handle_transfer_confirm,
              "record the archives' receipt and remove the batch's content here (certified)"},
    Operation{"transfer.content", Requirement::one_of(kRegistrar), Mode::write,
              handle_transfer_content,
              "a record of a prepared transfer batch: metadata, then content (audited)"},
    Operation{"transfer.list", Requirement::one_of(kRegistry), Mode::read, handle_transfer_list,
              "archive transfer batches"},
    Operation{"transfer.prepare", Requirement::one_of(kRegistrar), Mode::write,
              handle_transfer_prepare, "a batch of the permanent records due for transfer"},
    Operation{"transfer.show", Requirement::one_of(kRegistry), Mode::read, handle_transfer_show,
              "a transfer batch, its records and its signed list"},
    Operation{"whoami", Requirement::any_account(), Mode::read, handle_whoami,
              "the caller's account"},
};

// Out of order, a row would be unreachable by the binary search below.
static_assert(std::is_sorted(kOperations.begin(), kOperations.end(),
                             [](const Operation& a, const Operation& b) {
                                 return a.name < b.name;
                             }),
              "kOperations must be sorted by name");

}  // namespace

const Operation* find_operation(std::string_view name) noexcept {
    const auto it =
        std::lower_bound(kOperations.begin(), kOperations.end(), name,
                         [](const Operation& op, std::string_view n) { return op.name < n; });
    if (it == kOperations.end() || it->name != name) {
        return nullptr;
    }
    return &*it;
}

std::span<const Operation> all_operations() noexcept {
    return kOperations;
}

}  // namespace strongroom::service
