// Tests of the service: the dispatch table, and authenticate → decide → act →
// audit for reads and changes, against a real store.

#include "daemon/service/service.hpp"

#include <future>
#include <set>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "daemon/audit/trail.hpp"
#include "daemon/protocol/message.hpp"
#include "daemon/service/operations.hpp"
#include "daemon/store/store.hpp"
#include "tests/support/temp_store.hpp"

namespace strongroom::service {
namespace {

namespace json = boost::json;
using test::make_vault;
using test::ScratchDir;

TEST(Dispatch, TableIsSortedUniqueAndWellNamed) {
    // Every operation name is valid on the wire, and the table is sorted without duplicates.
    const auto ops = all_operations();
    ASSERT_FALSE(ops.empty());
    for (std::size_t i = 0; i < ops.size(); ++i) {
        EXPECT_TRUE(protocol::is_valid_op(ops[i].name)) << ops[i].name;
        EXPECT_NE(ops[i].handler, nullptr) << ops[i].name;
        EXPECT_FALSE(ops[i].summary.empty()) << ops[i].name;
        if (i > 0) {
            EXPECT_LT(ops[i - 1].name, ops[i].name);
        }
        EXPECT_EQ(find_operation(ops[i].name), &ops[i]);
    }
}

TEST(Dispatch, UnknownOperationsFindNoRow) {
    // Names outside the table, including prefixes and near misses, find no handler.
    for (const char* name : {"", "account", "account.ad", "account.addx", "WHOAMI", "zzz"}) {
        EXPECT_EQ(find_operation(name), nullptr) << name;
    }
}

TEST(Dispatch, OnlyBootstrapIsOpenToCallersWithoutAccounts) {
    // Apart from init, every operation requires an account (any, or a role).
    for (const auto& op : all_operations()) {
        if (op.name == "init") {
            EXPECT_EQ(op.who.kind, policy::Requirement::Kind::bootstrap);
            EXPECT_EQ(op.mode, Mode::write);
        } else {
            EXPECT_NE(op.who.kind, policy::Requirement::Kind::bootstrap) << op.name;
        }
    }
}

struct Env {
    ScratchDir dir;
    crypto::KeyVault vault = make_vault();
    std::unique_ptr<store::Store> store;
    std::unique_ptr<audit::Trail> trail;
    std::unique_ptr<Service> service;

    Env() {
        store = std::make_unique<store::Store>(test::store_options(dir.path()), vault, true);
        trail = std::make_unique<audit::Trail>(vault.audit_mac(), std::nullopt);
        store->start_writer(trail->hooks(), nullptr);
        service = std::make_unique<Service>(*store, ServiceOptions{});
    }
    // The writer appends through the trail: stop it before the trail goes.
    ~Env() { store->stop(); }
    Env(const Env&) = delete;
    Env& operator=(const Env&) = delete;

    protocol::Response call(std::uint32_t uid, const std::string& op, json::object args = {}) {
        protocol::Request req;
        req.id = 77;
        req.op = op;
        req.args = std::move(args);
        std::promise<protocol::Response> p;
        service->handle(Peer{uid, uid, 4242}, std::move(req),
                        Reply([&](protocol::Response r, std::unique_ptr<ContentSource>) {
                            p.set_value(std::move(r));
                        }));
        auto r = p.get_future().get();
        EXPECT_EQ(r.id, 77U);
        return r;
    }

    // The audit rows so far, as (uid, request, decision) with their reason.
    std::vector<store::AuditRow> audit_rows() {
        store->writer().flush();
        std::vector<store::AuditRow> rows;
        auto lease = store->readers().lease();
        store::AuditRepository(lease.connection()).scan(1, [&](const store::AuditRow& r) {
            rows.push_back(r);
            return true;
        });
        return rows;
    }
};

json::object init_args(const char* name, std::uint32_t uid) {
    json::object a;
    a["name"] = name;
    a["uid"] = uid;
    return a;
}

TEST(Service, EveryRequestIsAuditedWithCallerAndDecision) {
    // Allowed and refused requests alike leave an audit entry with uid, pid, decision and reason.
    Env env;
    EXPECT_EQ(env.call(1001, "whoami").error->code, ErrorCode::denied);
    EXPECT_FALSE(env.call(0, "init", init_args("root", 0)).error);
    EXPECT_FALSE(env.call(0, "whoami").error);
    EXPECT_EQ(env.call(0, "no.such.op").error->code, ErrorCode::bad_request);

    const auto rows = env.audit_rows();
    ASSERT_EQ(rows.size(), 4U);
    EXPECT_EQ(rows[0].record.uid, 1001U);
    EXPECT_EQ(rows[0].record.pid, 4242);
    EXPECT_EQ(rows[0].record.request, "whoami");
    EXPECT_EQ(rows[0].record.decision, store::Decision::deny);
    EXPECT_NE(rows[0].record.reason.find("uid 1001 has no account"), std::string::npos);
    EXPECT_EQ(rows[1].record.request, "init");
    EXPECT_EQ(rows[1].record.decision, store::Decision::allow);
    EXPECT_EQ(rows[1].record.object, "account:root");
    EXPECT_EQ(rows[2].record.account, "root");
    EXPECT_EQ(rows[2].record.decision, store::Decision::allow);
    EXPECT_EQ(rows[3].record.request, "no.such.op");
    EXPECT_EQ(rows[3].record.decision, store::Decision::deny);

    auto mac = env.vault.audit_mac();
    const auto verified = audit::verify(env.store->writer_connection(), mac);
    EXPECT_TRUE(verified.intact) << verified.problem;
}

TEST(Service, ARefusedChangeLeavesNoEffectButAnAuditEntry) {
    // A duplicate account is refused with conflict; nothing is added, and the refusal is audited.
    Env env;
    env.call(0, "init", init_args("root", 0));
    json::object args = init_args("alice", 1001);
    EXPECT_FALSE(env.call(0, "account.add", args).error);
    const auto again = env.call(0, "account.add", args);
    ASSERT_TRUE(again.error);
    EXPECT_EQ(again.error->code, ErrorCode::conflict);
    const auto list = env.call(0, "account.list");
    ASSERT_FALSE(list.error);
    EXPECT_EQ(list.result.at("accounts").as_array().size(), 2U);
    const auto rows = env.audit_rows();
    EXPECT_EQ(rows[2].record.decision, store::Decision::deny);
    EXPECT_NE(rows[2].record.reason.find("already exists"), std::string::npos);
}

TEST(Service, ArgumentsAreCheckedStrictly) {
    // Unknown arguments, wrong types and bad names are bad_request, and change nothing.
    Env env;
    env.call(0, "init", init_args("root", 0));
    json::object extra = init_args("bob", 1002);
    extra["admin"] = true;
    EXPECT_EQ(env.call(0, "account.add", extra).error->code, ErrorCode::bad_request);
    json::object wrong;
    wrong["name"] = "bob";
    wrong["uid"] = "1002";
    EXPECT_EQ(env.call(0, "account.add", wrong).error->code, ErrorCode::bad_request);
    EXPECT_EQ(env.call(0, "account.add", init_args("-bob", 1002)).error->code,
              ErrorCode::bad_request);
    json::object too_big = init_args("bob", 0);
    too_big["uid"] = 4294967295ULL;
    EXPECT_EQ(env.call(0, "account.add", too_big).error->code, ErrorCode::bad_request);
    json::object role = init_args("bob", 1002);
    role["roles"] = json::array{"god"};
    EXPECT_EQ(env.call(0, "account.add", role).error->code, ErrorCode::bad_request);
    EXPECT_EQ(env.call(0, "whoami", init_args("x", 1)).error->code, ErrorCode::bad_request);
    EXPECT_EQ(env.call(0, "account.list").result.at("accounts").as_array().size(), 1U);
}

TEST(Service, LastOfficerCannotBeSuspended) {
    // Suspending oneself or the last active officer is refused; another officer may be suspended.
    Env env;
    json::object two = init_args("root", 0);
    two["second_name"] = "second";
    two["second_uid"] = 1002;
    ASSERT_FALSE(env.call(0, "init", two).error);
    json::object self;
    self["name"] = "root";
    EXPECT_EQ(env.call(0, "account.suspend", self).error->code, ErrorCode::conflict);
    json::object other;
    other["name"] = "second";
    EXPECT_FALSE(env.call(0, "account.suspend", other).error);
    EXPECT_EQ(env.call(1002, "whoami").error->code, ErrorCode::denied);
    const auto again = env.call(0, "account.suspend", other);
    ASSERT_FALSE(again.error);
    EXPECT_FALSE(again.result.at("changed").as_bool());
}

TEST(Service, KnownCallersAreActiveAccountsAndRoot) {
    // The server's connection budget asks is_known_caller: root always (before init too), an
    // account once added, not once suspended, again once reactivated, never a uid without one.
    Env env;
    EXPECT_TRUE(env.service->is_known_caller(0));
    EXPECT_FALSE(env.service->is_known_caller(1001));
    env.call(0, "init", init_args("root", 0));
    EXPECT_FALSE(env.service->is_known_caller(1001));
    ASSERT_FALSE(env.call(0, "account.add", init_args("alice", 1001)).error);
    EXPECT_TRUE(env.service->is_known_caller(1001));
    json::object alice;
    alice["name"] = "alice";
    ASSERT_FALSE(env.call(0, "account.suspend", alice).error);
    EXPECT_FALSE(env.service->is_known_caller(1001));
    ASSERT_FALSE(env.call(0, "account.reactivate", alice).error);
    EXPECT_TRUE(env.service->is_known_caller(1001));
    EXPECT_FALSE(env.service->is_known_caller(1002));
    EXPECT_FALSE(env.service->is_known_caller(0xffffffffU));  // no credentials
}

TEST(Service, RefusalsByTheServerAreAuditedWithTheAccount) {
    // record_refusal leaves a deny entry with the caller's uid, pid, account (if any) and reason.
    Env env;
    env.call(0, "init", init_args("root", 0));
    ASSERT_FALSE(env.call(0, "account.add", init_args("alice", 1001)).error);
    env.service->record_refusal(Peer{1001, 1001, 55}, "request.rate_limited", "3 requests");
    env.service->record_refusal(Peer{1002, 1002, 56}, "connection.refused", "too many");
    const auto rows = env.audit_rows();
    ASSERT_EQ(rows.size(), 4U);
    EXPECT_EQ(rows[2].record.request, "request.rate_limited");
    EXPECT_EQ(rows[2].record.uid, 1001U);
    EXPECT_EQ(rows[2].record.pid, 55);
    EXPECT_EQ(rows[2].record.account, "alice");
    EXPECT_EQ(rows[2].record.decision, store::Decision::deny);
    EXPECT_EQ(rows[2].record.reason, "3 requests");
    EXPECT_EQ(rows[3].record.request, "connection.refused");
    EXPECT_EQ(rows[3].record.account, "");
    EXPECT_EQ(rows[3].record.uid, 1002U);
}

TEST(Service, ListPagesWithNext) {
    // account.list pages by name with "next" naming where to continue.
    Env env;
    env.call(0, "init", init_args("root", 0));
    for (int i = 0; i < 5; ++i) {
        const auto name = "user" + std::to_string(i);
        ASSERT_FALSE(
            env.call(0, "account.add", init_args(name.c_str(), 2000U + static_cast<unsigned>(i)))
                .error);
    }
    json::object page;
    page["limit"] = 4;
    auto r = env.call(0, "account.list", page);
    ASSERT_FALSE(r.error);
    EXPECT_EQ(r.result.at("accounts").as_array().size(), 4U);
    ASSERT_TRUE(r.result.at("next").is_string());
    page["after"] = r.result.at("next");
    r = env.call(0, "account.list", page);
    EXPECT_EQ(r.result.at("accounts").as_array().size(), 2U);
    EXPECT_TRUE(r.result.at("next").is_null());
}

TEST(Service, StatusReportsCountsToOversightOnly) {
    // status answers officers and auditors with counts, and refuses other accounts.
    Env env;
    json::object two = init_args("root", 0);
    two["second_name"] = "off2";
    two["second_uid"] = 1002;
    ASSERT_FALSE(env.call(0, "init", two).error);
    json::object aud = init_args("aud", 1003);
    aud["roles"] = json::array{"auditor"};
    const auto pending = env.call(0, "account.add", aud);
    ASSERT_FALSE(pending.error) << pending.error->message;
    ASSERT_EQ(pending.result.at("status"), "pending");
    json::object approve;
    approve["id"] = pending.result.at("pending_id");
    ASSERT_FALSE(env.call(1002, "pending.approve", approve).error);
    env.call(0, "account.add", init_args("plain", 1004));
    const auto r = env.call(1003, "status");
    ASSERT_FALSE(r.error) << r.error->message;
    EXPECT_EQ(r.result.at("accounts").to_number<int>(), 4);
    EXPECT_GE(r.result.at("audit_entries").to_number<int>(), 3);
    EXPECT_EQ(env.call(1004, "status").error->code, ErrorCode::denied);
}

}  // namespace
}  // namespace strongroom::service
