#include "daemon/registry/dissemination.hpp"

#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "daemon/common/text.hpp"
#include "daemon/policy/clearance.hpp"
#include "daemon/registry/access.hpp"
#include "daemon/store/accounts.hpp"
#include "daemon/store/matrix.hpp"
#include "daemon/store/records.hpp"

namespace strongroom::registry {

namespace {

store::DisseminationRow given(std::int64_t record, Recipient to, Conveyance authority,
                              std::string reference, std::int64_t by, Micros at) {
    store::DisseminationRow row;
    row.record_id = record;
    row.recipient = to;
    row.authority = authority;
    row.reference = std::move(reference);
    row.by_account = by;
    row.at = at;
    return row;
}

}  // namespace

Result<Dissemination> disseminate(store::Connection& conn, const DisseminationOrder& order,
                                  std::string& why) {
    const auto id = order.record;
    const auto caller = clearance_from_db(conn, order.by, order.at);
    auto c = check_read(conn, id, caller);
    // One acts only on what one may see: a caller who may not read the
    // record (whatever authority it holds) learns nothing about it.
    if (!c.record || !c.decision.allowed) {
        why = c.decision.reason;
        return no_record(id);
    }
    const auto label = named_label_of(conn, *c.record);
    store::RecordRepository records(conn);
    std::vector<std::int64_t> delegated;
    std::string reference;
    for (const auto& d : records.delegations_in_force("disseminate", id, order.at)) {
        delegated.push_back(d.to_post);
        for (const auto& p : caller.posts) {
            if (p.id == d.to_post && reference.empty()) {
                reference = d.reference;
            }
        }
    }
    const auto may = policy::may_disseminate(caller, label, delegated);
    if (!may.allowed) {
        why = may.reason;
        return make_error(ErrorCode::denied, may.reason);
    }
    store::MatrixRepository matrix(conn);
    std::vector<store::PostRow> posts;
    for (const auto& name : order.posts) {
        auto post = matrix.find_post(name);
        if (!post) {
            return make_error(ErrorCode::not_found,
                              fmt::format("no post named {}", printable(name, 64)));
        }
        const auto receive = policy::may_receive(post_clearance_from_db(conn, *post), label);
        if (!receive.allowed) {
            why = fmt::format("{}; {}", may.reason, receive.reason);
            return make_error(ErrorCode::denied, receive.reason);
        }
        posts.push_back(std::move(*post));
    }
    // A person receives it only if one of their posts is eligible now.
    std::vector<store::AccountRow> people;
    store::AccountRepository accounts(conn);
    for (const auto& name : order.people) {
        auto acc = accounts.find_by_name(name);
        if (!acc || acc->suspended) {
            return make_error(ErrorCode::not_found,
                              fmt::format("no active account named {}", printable(name, 64)));
        }
        bool ok = false;
        for (const auto& p : clearance_from_db(conn, acc->id, order.at).posts) {
            ok = ok || policy::eligible(p, label);
        }
        if (!ok) {
            const auto refusal = fmt::format("{} holds no post eligible for this record", name);
            why = fmt::format("{}; {}", may.reason, refusal);
            return make_error(ErrorCode::denied, refusal);
        }
        people.push_back(std::move(*acc));
    }
    Dissemination done;
    done.authority = policy::conveyance_of(may.basis);
    done.reference = may.basis == policy::Basis::delegation ? reference : "";
    for (const auto& acc : people) {
        const bool added = records.disseminate(given(id, Recipient::account(acc.id), done.authority,
                                                     done.reference, order.by, order.at));
        done.delivered.push_back({false, acc.name, added});
    }
    for (const auto& post : posts) {
        const bool added = records.disseminate(given(id, Recipient::post(post.id), done.authority,
                                                     done.reference, order.by, order.at));
        done.delivered.push_back({true, post.name, added});
    }
    why = fmt::format("{}; to {}{}{}", may.reason, fmt::join(order.posts, ", "),
                      order.posts.empty() || order.people.empty() ? "" : ", ",
                      fmt::join(order.people, ", "));
    return done;
}

Result<Delegated> delegate_dissemination(store::Connection& conn, const DelegationOrder& order,
                                         std::string& why) {
    const auto id = order.record;
    if (order.reference.empty()) {
        return make_error(ErrorCode::bad_request,
                          "a delegation needs the reference of the written delegation (--ref)");
    }
    const auto caller = clearance_from_db(conn, order.by, order.at);
    auto c = check_read(conn, id, caller);
    if (!c.record || !c.decision.allowed) {
        why = c.decision.reason;
        return no_record(id);
    }
    if (label_of(*c.record).originator != order.by) {
        why = "only the originator may delegate dissemination";
        return make_error(ErrorCode::denied,
                          "only the originator of a record may delegate its dissemination");
    }
    const auto post = store::MatrixRepository(conn).find_post(order.to_post);
    if (!post) {
        return make_error(ErrorCode::not_found,
                          fmt::format("no post named {}", printable(order.to_post, 64)));
    }
    if (order.until && *order.until <= order.at) {
        return make_error(ErrorCode::bad_request, "the delegation would end before it starts");
    }
    // A delegate disseminates only what it may read: the post must be
    // eligible, and it receives the record with the delegation.
    const auto receive =
        policy::may_receive(post_clearance_from_db(conn, *post), named_label_of(conn, *c.record));
    if (!receive.allowed) {
        why = receive.reason;
        return make_error(ErrorCode::denied, receive.reason);
    }
    store::RecordRepository records(conn);
    Delegated out;
    out.disseminated =
        records.disseminate(given(id, Recipient::post(post->id), Conveyance::originator,
                                  order.reference, order.by, order.at));
    store::DelegationRow d;
    d.kind = "disseminate";
    d.record_id = id;
    d.grantor = order.by;
    d.to_post = post->id;
    d.reference = order.reference;
    d.until = order.until;
    d.created_at = order.at;
    out.id = records.insert_delegation(d);
    why = fmt::format("originator delegates dissemination to post {} under {}", order.to_post,
                      printable(order.reference, 80));
    return out;
}

}  // namespace strongroom::registry
