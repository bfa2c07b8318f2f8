// Handlers for accounts, bootstrap and the caller's own identity.
#include "daemon/store/accounts.hpp"

#include <boost/json/array.hpp>
#include <fmt/format.h>

#include "daemon/common/text.hpp"
#include "daemon/policy/roles.hpp"
#include "daemon/protocol/args.hpp"
#include "daemon/service/arguments.hpp"
#include "daemon/service/handlers.hpp"
#include "daemon/service/identity.hpp"

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
    if (auto err = args.finish()) {
        return *err;
    }
    ctx.audit.object = "account:" + name;
    store::AccountRepository repo(ctx.conn());
    store::NewAccount a;
    a.name = name;
    a.uid = uid;
    a.roles = policy::bit(policy::Role::officer);
    a.at = ctx.now;
    repo.insert(a);
    ctx.changed_directory = true;
    return wrap_account(*repo.find_by_name(name));
}

Result<json::object> handle_account_add(Context& ctx) {
    protocol::ArgReader args(ctx.args);
    const auto name = checked_name(args, "name", "account");
    const auto uid = static_cast<std::uint32_t>(args.required_uint("uid", kMaxUid));
    const auto role_list = args.string_list("roles", 3, 32);
    if (auto err = args.finish()) {
        return *err;
    }
    ctx.audit.object = "account:" + name;
    auto roles = policy::combine_roles(role_list);
    if (!roles) {
        return std::move(roles).error();
    }
    store::AccountRepository repo(ctx.conn());
    if (auto st = check_unique(repo, name, uid); !st) {
        return std::move(st).error();
    }
    store::NewAccount a;
    a.name = name;
    a.uid = uid;
    a.roles = *roles;
    a.at = ctx.now;
    a.created_by = ctx.subject.account->id;
    repo.insert(a);
    ctx.changed_directory = true;
    return wrap_account(*repo.find_by_name(name));
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
