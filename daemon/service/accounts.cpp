// Handlers for accounts, bootstrap and the caller's own identity.
#include "daemon/store/accounts.hpp"

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "daemon/common/text.hpp"
#include "daemon/policy/roles.hpp"
#include "daemon/protocol/args.hpp"
#include "daemon/service/arguments.hpp"
#include "daemon/service/handlers.hpp"
#include "daemon/service/identity.hpp"
#include "daemon/service/internal.hpp"
#include "daemon/store/matrix.hpp"

namespace strongroom::service {
namespace json = boost::json;

namespace {

constexpr std::uint64_t kMaxUid = 4294967294ULL;  // (uid_t)-1 is not a uid
constexpr std::size_t kMaxPage = 1000;

json::object account_json(const store::AccountRow& a) {
    json::object o;
    o["name"] = a.name;
    o["uid"] = a.uid;
    json::array roles;
    for (const auto& r : policy::role_names(a.roles)) {
        roles.emplace_back(r);
    }
    o["roles"] = std::move(roles);
    o["status"] = a.suspended ? "suspended" : "active";
    o["created"] = format_timestamp(a.created_at);
    o["changed"] = format_timestamp(a.changed_at);
    return o;
}

Result<store::AccountRow> existing_account(store::AccountRepository& repo,
                                           const std::string& name) {
    auto row = repo.find_by_name(name);
    if (!row) {
        return make_error(ErrorCode::not_found, fmt::format("no account named {}", name));
    }
    return std::move(*row);
}

// Refuses a name or uid that is already taken.
Status check_unique(store::AccountRepository& repo, const std::string& name, std::uint32_t uid) {
    if (repo.find_by_name(name)) {
        return make_error(ErrorCode::conflict,
                          fmt::format("an account named {} already exists", name));
    }
    if (auto other = repo.find_by_uid(uid)) {
        return make_error(ErrorCode::conflict,
                          fmt::format("uid {} already belongs to account {}", uid, other->name));
    }
    return {};
}

json::object wrap_account(const store::AccountRow& row) {
    json::object out;
    out["account"] = account_json(row);
    return out;
}

}  // namespace

Result<json::object> handle_whoami(Context& ctx) {
    protocol::ArgReader args(ctx.args);
    if (auto err = args.finish()) {
        return *err;
    }
    // Authentication has just read the caller's row in this snapshot.
    ctx.audit.object = "account:" + ctx.caller->name;
    auto out = account_json(*ctx.caller);
    json::array posts;
    if (ctx.directory != nullptr) {
        for (const auto& p : clearance_of(*ctx.directory, ctx.caller->id, ctx.now).posts) {
            posts.emplace_back(p.name);
        }
    }
    out["posts"] = std::move(posts);
    return out;
}

Result<json::object> handle_init(Context& ctx) {
    protocol::ArgReader args(ctx.args);
    const auto name = checked_name(args, "name", "account");
    const auto uid = static_cast<std::uint32_t>(args.required_uint("uid", kMaxUid));
    // The second officer (two-person rule from the start); optional, so that
    // a mission that starts with one officer can add the second later, by
    // the first officer's proposal approved on the console by uid 0.
    const auto second_name = args.optional_string("second_name", 64);
    const auto second_uid = args.optional_uint("second_uid", kMaxUid);
    if (second_name.has_value() != second_uid.has_value()) {
        args.fail(
            make_error(ErrorCode::bad_request, "the second officer needs both a name and a uid"));
    } else if (second_name && !is_valid_name(*second_name)) {
        args.fail(make_error(ErrorCode::bad_request,
                             fmt::format("\"{}\" is not a valid account name: use 1-64 letters, "
                                         "digits, '.', '_' or '-', starting with a letter or digit",
                                         printable(*second_name, 64))));
    }
    if (auto err = args.finish()) {
        return *err;
    }
    if (second_name && (*second_name == name || *second_uid == uid)) {
        return make_error(ErrorCode::bad_request,
                          "the two officers need different names and uids: they are two people");
    }
    ctx.audit.object = "account:" + name + (second_name ? " account:" + *second_name : "");
    store::AccountRepository repo(ctx.conn());
    json::object out;
    const auto add = [&](const std::string& n, std::uint32_t u) {
        store::NewAccount a;
        a.name = n;
        a.uid = u;
        a.roles = policy::bit(policy::Role::officer);
        a.at = ctx.now;
        repo.insert(a);
        return account_json(*repo.find_by_name(n));
    };
    out["account"] = add(name, uid);
    if (second_name) {
        json::array officers;
        officers.push_back(out["account"]);
        officers.push_back(add(*second_name, static_cast<std::uint32_t>(*second_uid)));
        out["officers"] = std::move(officers);
        ctx.audit.reason = "two officers created at bootstrap";
    } else {
        ctx.audit.reason =
            "one officer created at bootstrap; roles need a second officer (or, once, uid 0)";
    }
    ctx.changed_directory = true;
    return out;
}

namespace {

struct AccountArgs {
    std::string name;
    std::uint32_t uid = 0;
    std::vector<std::string> roles;
};

Result<AccountArgs> read_account_args(const json::object& a) {
    protocol::ArgReader args(a);
    AccountArgs out;
    out.name = checked_name(args, "name", "account");
    out.uid = static_cast<std::uint32_t>(args.required_uint("uid", kMaxUid));
    out.roles = args.string_list("roles", 3, 32);
    if (auto err = args.finish()) {
        return *err;
    }
    return out;
}

Result<json::object> apply_account_add(Context& ctx, const AccountArgs& a, policy::RoleSet roles,
                                       std::int64_t requested_by,
                                       std::optional<std::int64_t> approved_by) {
    store::AccountRepository repo(ctx.conn());
    if (auto st = check_unique(repo, a.name, a.uid); !st) {
        return std::move(st).error();
    }
    store::NewAccount n;
    n.name = a.name;
    n.uid = a.uid;
    n.roles = roles;
    n.at = ctx.now;
    n.created_by = requested_by;
    n.roles_approved_by = approved_by;
    repo.insert(n);
    ctx.changed_directory = true;
    auto out = wrap_account(*repo.find_by_name(a.name));
    out["status"] = "done";
    return out;
}

}  // namespace

bool gives_officer_role(std::string_view stored_args) {
    try {
        const auto v = json::parse(stored_args);
        if (const auto* roles = v.as_object().if_contains("roles"); roles && roles->is_array()) {
            for (const auto& r : roles->as_array()) {
                if (r.is_string() && r.as_string() == "officer") {
                    return true;
                }
            }
        }
    } catch (const std::exception&) {
        return false;
    }
    return false;
}

Result<json::object> reapply_account_add(Context& ctx, const json::object& stored,
                                         std::int64_t requested_by,
                                         std::optional<std::int64_t> approver) {
    auto a = read_account_args(stored);
    if (!a) {
        return std::move(a).error();
    }
    ctx.audit.object = "account:" + a->name;
    auto roles = policy::combine_roles(a->roles);
    if (!roles) {
        return std::move(roles).error();
    }
    return apply_account_add(ctx, *a, *roles, requested_by, approver);
}

Result<json::object> handle_account_add(Context& ctx) {
    auto a = read_account_args(ctx.args);
    if (!a) {
        return std::move(a).error();
    }
    ctx.audit.object = "account:" + a->name;
    auto roles = policy::combine_roles(a->roles);
    if (!roles) {
        return std::move(roles).error();
    }
    store::AccountRepository repo(ctx.conn());
    if (auto st = check_unique(repo, a->name, a->uid); !st) {
        return std::move(st).error();
    }
    if (policy::roles_need_approval(*roles)) {
        // Giving any role is two-person: one officer cannot make a second
        // account of their own an officer and approve with it.
        auto out = file_pending(ctx, "account.add", policy::Role::officer,
                                fmt::format("add account {} (uid {}) with the role{} {}", a->name,
                                            a->uid, a->roles.size() == 1 ? "" : "s",
                                            fmt::join(policy::role_names(*roles), ", ")));
        if (policy::has(*roles, policy::Role::officer) &&
            repo.count_active_with_roles(policy::bit(policy::Role::officer)) < 2) {
            out["message"] = fmt::format(
                "needs a second officer; while the mission has one officer, root approves it on "
                "the console: sudo strongroom-admin pending approve {}",
                out["pending_id"].as_int64());
        }
        return out;
    }
    return apply_account_add(ctx, *a, 0, ctx.subject.account->id, std::nullopt);
}

Result<json::object> handle_account_list(Context& ctx) {
    protocol::ArgReader args(ctx.args);
    const auto after = args.optional_string("after", 64).value_or("");
    const auto limit = args.optional_uint("limit", kMaxPage).value_or(kMaxPage);
    if (auto err = args.finish()) {
        return *err;
    }
    store::AccountRepository repo(ctx.conn());
    const auto rows = repo.list(after, static_cast<std::size_t>(limit) + 1);
    json::array accounts;
    const std::size_t shown = rows.size() > limit ? static_cast<std::size_t>(limit) : rows.size();
    for (std::size_t i = 0; i < shown; ++i) {
        accounts.push_back(account_json(rows[i]));
    }
    json::object out;
    out["accounts"] = std::move(accounts);
    if (rows.size() > limit && shown > 0) {
        out["next"] = rows[shown - 1].name;  // pass as "after" for the next page
    } else {
        out["next"] = nullptr;
    }
    return out;
}

Result<json::object> handle_account_show(Context& ctx) {
    protocol::ArgReader args(ctx.args);
    const auto name = checked_name(args, "name", "account");
    if (auto err = args.finish()) {
        return *err;
    }
    ctx.audit.object = "account:" + name;
    store::AccountRepository repo(ctx.conn());
    auto row = existing_account(repo, name);
    if (!row) {
        return std::move(row).error();
    }
    return wrap_account(*row);
}

namespace {

Result<json::object> set_suspended(Context& ctx, bool suspend) {
    protocol::ArgReader args(ctx.args);
    const auto name = checked_name(args, "name", "account");
    if (auto err = args.finish()) {
        return *err;
    }
    ctx.audit.object = "account:" + name;
    store::AccountRepository repo(ctx.conn());
    auto row = existing_account(repo, name);
    if (!row) {
        return std::move(row).error();
    }
    json::object out;
    if (row->suspended == suspend) {
        out = wrap_account(*row);
        out["changed"] = false;
        return out;
    }
    if (suspend) {
        if (row->id == ctx.subject.account->id) {
            return make_error(ErrorCode::conflict,
                              "you cannot suspend your own account; ask another officer");
        }
        const auto officer = policy::bit(policy::Role::officer);
        if ((row->roles & officer) != 0 && repo.count_active_with_roles(officer) <= 1) {
            return make_error(ErrorCode::conflict,
                              fmt::format("{} is the last active officer; add another officer "
                                          "before suspending this one",
                                          name));
        }
    }
    repo.set_suspended(row->id, suspend, ctx.now);
    ctx.changed_directory = true;
    out = wrap_account(*repo.find_by_name(name));
    out["changed"] = true;
    return out;
}

}  // namespace

Result<json::object> handle_account_suspend(Context& ctx) {
    return set_suspended(ctx, true);
}

Result<json::object> handle_account_reactivate(Context& ctx) {
    return set_suspended(ctx, false);
}

}  // namespace strongroom::service
