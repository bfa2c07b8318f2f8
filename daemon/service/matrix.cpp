// Handlers for the access matrix (officers): compartments, posts, dated
// assignments, grants, the matrix itself, and changes that need a second
// officer (anything at the highest level).
#include "daemon/store/matrix.hpp"

#include <algorithm>
#include <map>

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/format.h>

#include "daemon/common/text.hpp"
#include "daemon/policy/clearance.hpp"
#include "daemon/policy/duties.hpp"
#include "daemon/protocol/args.hpp"
#include "daemon/service/arguments.hpp"
#include "daemon/service/handlers.hpp"
#include "daemon/service/identity.hpp"
#include "daemon/service/internal.hpp"
#include "daemon/store/accounts.hpp"

namespace strongroom::service {
namespace json = boost::json;

namespace {

Error no_post(std::string_view name) {
    return make_error(ErrorCode::not_found, fmt::format("no post named {}", name));
}
Error no_compartment(std::string_view name) {
    return make_error(ErrorCode::not_found, fmt::format("no compartment named {}", name));
}

struct PostArgs {
    std::string name;
    policy::Level level = 0;
    std::string authority;
};

Result<PostArgs> read_post_args(const json::object& a) {
    protocol::ArgReader args(a);
    PostArgs p;
    p.name = checked_name(args, "name", "post");
    p.level = checked_level(args, "level");
    p.authority = args.optional_string("authority", 32).value_or("");
    if (!policy::parse_authority(p.authority)) {
        args.fail(make_error(ErrorCode::bad_request,
                             fmt::format("\"{}\" is not an authority: use head-of-mission or "
                                         "security-focal-point",
                                         printable(p.authority, 32))));
    }
    if (auto err = args.finish()) {
        return *err;
    }
    return p;
}

Result<json::object> apply_post_add(Context& ctx, const PostArgs& p, std::int64_t requested_by,
                                    std::optional<std::int64_t> approved_by) {
    store::MatrixRepository matrix(ctx.conn());
    if (matrix.find_post(p.name)) {
        return make_error(ErrorCode::conflict,
                          fmt::format("a post named {} already exists", p.name));
    }
    if (!p.authority.empty()) {
        if (auto other = matrix.post_with_authority(p.authority)) {
            return make_error(
                ErrorCode::conflict,
                fmt::format("post {} already holds the {} authority", other->name, p.authority));
        }
    }
    const auto id =
        matrix.insert_post(p.name, p.level, p.authority, ctx.now, requested_by, approved_by);
    matrix.record_change(ctx.now, "post.add",
                         fmt::format("post {} at {}{}", p.name, policy::level_name(p.level),
                                     p.authority.empty() ? "" : ", authority " + p.authority),
                         requested_by, approved_by);
    ctx.changed_directory = true;
    json::object out;
    out["status"] = "done";
    out["post"] = {{"id", id},
                   {"name", p.name},
                   {"level", policy::level_name(p.level)},
                   {"authority", p.authority}};
    return out;
}

struct GrantArgs {
    std::string post;
    std::string compartment;
    policy::Level level = 0;
};

Result<GrantArgs> read_grant_args(const json::object& a) {
    protocol::ArgReader args(a);
    GrantArgs g;
    g.post = checked_name(args, "post", "post");
    g.compartment = checked_name(args, "compartment", "compartment");
    g.level = checked_level(args, "level");
    if (auto err = args.finish()) {
        return *err;
    }
    return g;
}

Result<json::object> apply_grant(Context& ctx, const GrantArgs& g, std::int64_t requested_by,
                                 std::optional<std::int64_t> approved_by) {
    store::MatrixRepository matrix(ctx.conn());
    const auto post = matrix.find_post(g.post);
    if (!post) {
        return no_post(g.post);
    }
    const auto comp = matrix.find_compartment(g.compartment);
    if (!comp) {
        return no_compartment(g.compartment);
    }
    const auto before = matrix.find_grant(post->id, comp->id);
    store::GrantRow row{post->id, comp->id, g.level, ctx.now, requested_by, approved_by};
    matrix.put_grant(row);
    matrix.record_change(
        ctx.now, "grant",
        fmt::format("post {} x compartment {}: {} -> {}", g.post, g.compartment,
                    before ? policy::level_name(before->level) : std::string_view("none"),
                    policy::level_name(g.level)),
        requested_by, approved_by);
    ctx.changed_directory = true;
    json::object out;
    out["status"] = "done";
    out["grant"] = {
        {"post", g.post}, {"compartment", g.compartment}, {"level", policy::level_name(g.level)}};
    return out;
}

struct LevelArgs {
    std::string post;
    policy::Level level = 0;
};

Result<LevelArgs> read_level_args(const json::object& a) {
    protocol::ArgReader args(a);
    LevelArgs l;
    l.post = checked_name(args, "post", "post");
    l.level = checked_level(args, "level");
    if (auto err = args.finish()) {
        return *err;
    }
    return l;
}

Result<json::object> apply_post_level(Context& ctx, const LevelArgs& l, std::int64_t requested_by,
                                      std::optional<std::int64_t> approved_by) {
    store::MatrixRepository matrix(ctx.conn());
    const auto post = matrix.find_post(l.post);
    if (!post) {
        return no_post(l.post);
    }
    matrix.set_post_level(post->id, l.level);
    matrix.record_change(ctx.now, "post.level",
                         fmt::format("post {}: {} -> {}", l.post, policy::level_name(post->level),
                                     policy::level_name(l.level)),
                         requested_by, approved_by);
    ctx.changed_directory = true;
    json::object out;
    out["status"] = "done";
    out["post"] = {{"name", l.post}, {"level", policy::level_name(l.level)}};
    return out;
}

struct AssignArgs {
    std::string post;
    std::string account;
    LastDay until;  // the assignment holds through it
};

Result<AssignArgs> read_assign_args(const json::object& a) {
    protocol::ArgReader args(a);
    AssignArgs out;
    out.post = checked_name(args, "post", "post");
    out.account = checked_name(args, "account", "account");
    out.until = optional_last_day(args, "until");
    if (auto err = args.finish()) {
        return *err;
    }
    return out;
}

// The account an assignment names, if the assignment may be made: the post
// and account exist, the account may hold a post (separation of duties) and
// does not hold this one already.
Result<store::AccountRow> check_assignment(Context& ctx, const AssignArgs& a) {
    store::MatrixRepository matrix(ctx.conn());
    const auto post = matrix.find_post(a.post);
    if (!post) {
        return no_post(a.post);
    }
    auto account = store::AccountRepository(ctx.conn()).find_by_name(a.account);
    if (!account) {
        return make_error(ErrorCode::not_found, fmt::format("no account named {}", a.account));
    }
    if (const auto may = policy::may_hold_post(account->name, account->roles); !may.allowed) {
        ctx.audit.reason = may.reason;
        return make_error(may.code, may.reason);
    }
    if (matrix.assignment_in_force(post->id, account->id, ctx.now)) {
        return make_error(ErrorCode::conflict,
                          fmt::format("{} already holds post {}; unassign first to change the "
                                      "dates",
                                      a.account, a.post));
    }
    return std::move(*account);
}

Result<json::object> apply_post_assign(Context& ctx, const AssignArgs& a, std::int64_t requested_by,
                                       std::optional<std::int64_t> approved_by) {
    auto account = check_assignment(ctx, a);
    if (!account) {
        return std::move(account).error();
    }
    store::MatrixRepository matrix(ctx.conn());
    const auto post = matrix.find_post(a.post);
    const auto& ends = a.until.end;
    const auto id = matrix.insert_assignment(post->id, account->id, ctx.now, ends, requested_by);
    matrix.record_change(ctx.now, "post.assign",
                         fmt::format("{} to post {}{}", a.account, a.post,
                                     a.until.text ? " until " + *a.until.text : ""),
                         requested_by, approved_by);
    ctx.changed_directory = true;
    json::object out;
    out["status"] = "done";
    out["assignment"] = {
        {"id", id},
        {"post", a.post},
        {"account", a.account},
        {"since", format_timestamp(ctx.now)},
        {"until", a.until.text ? json::value(*a.until.text) : json::value(nullptr)},
        {"in_force", !ends || *ends > ctx.now}};
    return out;
}

// Changes that wait for a second officer: their arguments are read again
// and applied, unchanged, when approved.
template <typename Args, Result<Args> (*Read)(const json::object&),
          Result<json::object> (*Apply)(Context&, const Args&, std::int64_t,
                                        std::optional<std::int64_t>)>
Result<json::object> reapply(Context& ctx, const json::object& stored, std::int64_t requested_by,
                             std::optional<std::int64_t> approver) {
    auto args = Read(stored);
    if (!args) {
        return std::move(args).error();
    }
    return Apply(ctx, *args, requested_by, approver);
}

struct TwoPersonOp {
    std::string_view op;
    policy::Role approver;  // the role of the second person
    Result<json::object> (*reapply)(Context&, const json::object&, std::int64_t,
                                    std::optional<std::int64_t>);
};

constexpr TwoPersonOp kTwoPerson[] = {
    {"post.add", policy::Role::officer, reapply<PostArgs, read_post_args, apply_post_add>},
    {"grant", policy::Role::officer, reapply<GrantArgs, read_grant_args, apply_grant>},
    {"post.level", policy::Role::officer, reapply<LevelArgs, read_level_args, apply_post_level>},
    {"post.assign", policy::Role::officer,
     reapply<AssignArgs, read_assign_args, apply_post_assign>},
    {"account.add", policy::Role::officer, reapply_account_add},
    {"retention.set", policy::Role::registrar, reapply_schedule},
};

}  // namespace

policy::Approver approver_of(Context& ctx) {
    policy::Approver approver;
    approver.uid = ctx.peer.uid;
    if (ctx.subject.account) {
        if (const auto row = store::AccountRepository(ctx.conn()).find(ctx.subject.account->id)) {
            approver.account = row->id;
            approver.name = row->name;
            approver.roles = row->roles;
            approver.roles_at = row->roles_at;
        }
    }
    return approver;
}

json::object file_pending(Context& ctx, std::string_view op, policy::Role approver,
                          std::string summary) {
    store::MatrixRepository matrix(ctx.conn());
    const auto id = matrix.insert_pending(op, json::serialize(ctx.args), summary,
                                          ctx.subject.account->id, ctx.now);
    const auto role = policy::role_name(approver);
    ctx.audit.reason = fmt::format("filed as pending change {} for a second {}", id, role);
    json::object out;
    out["status"] = "pending";
    out["pending_id"] = id;
    out["summary"] = summary;
    out["message"] =
        fmt::format("needs a second {}: another {} must run 'pending approve {}'", role, role, id);
    return out;
}

Result<json::object> handle_post_level(Context& ctx) {
    auto l = read_level_args(ctx.args);
    if (!l) {
        return std::move(l).error();
    }
    ctx.audit.object = "post:" + l->post;
    if (l->level == policy::kHighestLevel) {
        if (!store::MatrixRepository(ctx.conn()).find_post(l->post)) {
            return no_post(l->post);
        }
        return file_pending(
            ctx, "post.level", policy::Role::officer,
            fmt::format("set post {} to {}", l->post, policy::level_name(l->level)));
    }
    return apply_post_level(ctx, *l, ctx.subject.account->id, std::nullopt);
}

Result<json::object> handle_compartment_add(Context& ctx) {
    protocol::ArgReader args(ctx.args);
    const auto name = checked_name(args, "name", "compartment");
    const auto description = args.optional_string("description", 200).value_or("");
    if (auto err = args.finish()) {
        return *err;
    }
    ctx.audit.object = "compartment:" + name;
    store::MatrixRepository matrix(ctx.conn());
    if (matrix.find_compartment(name)) {
        return make_error(ErrorCode::conflict,
                          fmt::format("a compartment named {} already exists", name));
    }
    const auto id = matrix.insert_compartment(name, description, ctx.now, ctx.subject.account->id);
    matrix.record_change(ctx.now, "compartment.add", name, ctx.subject.account->id, std::nullopt);
    ctx.changed_directory = true;
    json::object out;
    out["compartment"] = {{"id", id}, {"name", name}, {"description", description}};
    return out;
}

Result<json::object> handle_compartment_list(Context& ctx) {
    protocol::ArgReader args(ctx.args);
    if (auto err = args.finish()) {
        return *err;
    }
    json::array list;
    for (const auto& c : store::MatrixRepository(ctx.conn()).compartments()) {
        list.push_back(json::object{{"name", c.name}, {"description", c.description}});
    }
    return json::object{{"compartments", std::move(list)}};
}

Result<json::object> handle_post_add(Context& ctx) {
    auto p = read_post_args(ctx.args);
    if (!p) {
        return std::move(p).error();
    }
    ctx.audit.object = "post:" + p->name;
    if (p->level == policy::kHighestLevel) {
        store::MatrixRepository matrix(ctx.conn());
        if (matrix.find_post(p->name)) {
            return make_error(ErrorCode::conflict,
                              fmt::format("a post named {} already exists", p->name));
        }
        return file_pending(
            ctx, "post.add", policy::Role::officer,
            fmt::format("add post {} at {}", p->name, policy::level_name(p->level)));
    }
    return apply_post_add(ctx, *p, ctx.subject.account->id, std::nullopt);
}

Result<json::object> handle_post_assign(Context& ctx) {
    auto a = read_assign_args(ctx.args);
    if (!a) {
        return std::move(a).error();
    }
    ctx.audit.object = fmt::format("post:{} account:{}", a->post, a->account);
    auto checked = check_assignment(ctx, *a);
    if (!checked) {
        return std::move(checked).error();
    }
    const auto me = ctx.subject.account->id;
    if (policy::assignment_needs_approval(me, checked->created_by)) {
        return file_pending(
            ctx, "post.assign", policy::Role::officer,
            fmt::format("assign post {} to {}{} (an account you created)", a->post, a->account,
                        a->until.text ? " until " + *a->until.text : ""));
    }
    return apply_post_assign(ctx, *a, me, std::nullopt);
}

Result<json::object> handle_post_unassign(Context& ctx) {
    protocol::ArgReader args(ctx.args);
    const auto post_name = checked_name(args, "post", "post");
    const auto account_name = checked_name(args, "account", "account");
    if (auto err = args.finish()) {
        return *err;
    }
    ctx.audit.object = fmt::format("post:{} account:{}", post_name, account_name);
    store::MatrixRepository matrix(ctx.conn());
    const auto post = matrix.find_post(post_name);
    if (!post) {
        return no_post(post_name);
    }
    const auto account = store::AccountRepository(ctx.conn()).find_by_name(account_name);
    if (!account) {
        return make_error(ErrorCode::not_found, fmt::format("no account named {}", account_name));
    }
    const auto a = matrix.assignment_in_force(post->id, account->id, ctx.now);
    if (!a) {
        return make_error(ErrorCode::not_found,
                          fmt::format("{} does not hold post {}", account_name, post_name));
    }
    matrix.end_assignment(a->id, ctx.now, ctx.subject.account->id);
    matrix.record_change(ctx.now, "post.unassign",
                         fmt::format("{} from post {}", account_name, post_name),
                         ctx.subject.account->id, std::nullopt);
    ctx.changed_directory = true;
    json::object out;
    out["ended"] = {
        {"post", post_name}, {"account", account_name}, {"at", format_timestamp(ctx.now)}};
    return out;
}

std::map<std::int64_t, std::vector<std::string>> holders(store::Connection& conn, Micros now) {
    std::map<std::int64_t, std::vector<std::string>> out;
    store::AccountRepository accounts(conn);
    std::map<std::int64_t, std::string> names;
    for (const auto& a : accounts.list("", SIZE_MAX / 2)) {
        names.emplace(a.id, a.name + (a.suspended ? " (suspended)" : ""));
    }
    for (const auto& a : store::MatrixRepository(conn).open_assignments(now)) {
        if (a.since <= now) {
            out[a.post_id].push_back(names[a.account_id]);
        }
    }
    for (auto& [post, list] : out) {
        std::sort(list.begin(), list.end());
    }
    return out;
}

namespace {

json::array to_array(const std::vector<std::string>& items) {
    json::array a;
    for (const auto& i : items) {
        a.emplace_back(i);
    }
    return a;
}

}  // namespace

Result<json::object> handle_post_list(Context& ctx) {
    protocol::ArgReader args(ctx.args);
    if (auto err = args.finish()) {
        return *err;
    }
    auto held = holders(ctx.conn(), ctx.now);
    json::array list;
    for (const auto& p : store::MatrixRepository(ctx.conn()).posts()) {
        list.push_back(json::object{{"name", p.name},
                                    {"level", policy::level_name(p.level)},
                                    {"authority", p.authority},
                                    {"holders", to_array(held[p.id])}});
    }
    return json::object{{"posts", std::move(list)}};
}

Result<json::object> handle_grant(Context& ctx) {
    auto g = read_grant_args(ctx.args);
    if (!g) {
        return std::move(g).error();
    }
    ctx.audit.object = fmt::format("post:{} compartment:{}", g->post, g->compartment);
    if (g->level == policy::kHighestLevel) {
        store::MatrixRepository matrix(ctx.conn());
        if (!matrix.find_post(g->post)) {
            return no_post(g->post);
        }
        if (!matrix.find_compartment(g->compartment)) {
            return no_compartment(g->compartment);
        }
        return file_pending(ctx, "grant", policy::Role::officer,
                            fmt::format("grant post {} compartment {} at {}", g->post,
                                        g->compartment, policy::level_name(g->level)));
    }
    return apply_grant(ctx, *g, ctx.subject.account->id, std::nullopt);
}

Result<json::object> handle_revoke(Context& ctx) {
    protocol::ArgReader args(ctx.args);
    const auto post_name = checked_name(args, "post", "post");
    const auto comp_name = checked_name(args, "compartment", "compartment");
    if (auto err = args.finish()) {
        return *err;
    }
    ctx.audit.object = fmt::format("post:{} compartment:{}", post_name, comp_name);
    store::MatrixRepository matrix(ctx.conn());
    const auto post = matrix.find_post(post_name);
    if (!post) {
        return no_post(post_name);
    }
    const auto comp = matrix.find_compartment(comp_name);
    if (!comp) {
        return no_compartment(comp_name);
    }
    const auto before = matrix.find_grant(post->id, comp->id);
    if (!before) {
        return make_error(ErrorCode::not_found,
                          fmt::format("post {} has no grant for {}", post_name, comp_name));
    }
    matrix.delete_grant(post->id, comp->id);
    matrix.record_change(ctx.now, "revoke",
                         fmt::format("post {} x compartment {}: {} -> none", post_name, comp_name,
                                     policy::level_name(before->level)),
                         ctx.subject.account->id, std::nullopt);
    ctx.changed_directory = true;
    return json::object{{"revoked", json::object{{"post", post_name}, {"compartment", comp_name}}}};
}

Result<json::object> handle_matrix(Context& ctx) {
    protocol::ArgReader args(ctx.args);
    if (auto err = args.finish()) {
        return *err;
    }
    store::MatrixRepository matrix(ctx.conn());
    std::map<std::int64_t, std::string> comp_names;
    json::array compartments;
    for (const auto& c : matrix.compartments()) {
        comp_names.emplace(c.id, c.name);
        compartments.emplace_back(c.name);
    }
    std::map<std::int64_t, json::object> grants_by_post;
    for (const auto& g : matrix.grants()) {
        grants_by_post[g.post_id][comp_names[g.compartment_id]] = policy::level_name(g.level);
    }
    auto held = holders(ctx.conn(), ctx.now);
    json::array posts;
    for (const auto& p : matrix.posts()) {
        posts.push_back(json::object{{"name", p.name},
                                     {"level", policy::level_name(p.level)},
                                     {"authority", p.authority},
                                     {"grants", grants_by_post[p.id]},
                                     {"holders", to_array(held[p.id])}});
    }
    return json::object{{"compartments", std::move(compartments)}, {"posts", std::move(posts)}};
}

Result<json::object> handle_pending_list(Context& ctx) {
    protocol::ArgReader args(ctx.args);
    if (auto err = args.finish()) {
        return *err;
    }
    std::map<std::int64_t, std::string> names;
    for (const auto& a : store::AccountRepository(ctx.conn()).list("", SIZE_MAX / 2)) {
        names.emplace(a.id, a.name);
    }
    json::array list;
    for (const auto& p : store::MatrixRepository(ctx.conn()).pending("pending")) {
        const auto& by = names[p.requested_by];
        list.push_back(json::object{{"id", p.id},
                                    {"op", p.op},
                                    {"summary", p.summary},
                                    {"requested_by", by},
                                    {"requested_at", format_timestamp(p.requested_at)}});
    }
    return json::object{{"pending", std::move(list)}};
}

Result<json::object> handle_pending_approve(Context& ctx) {
    protocol::ArgReader args(ctx.args);
    const auto id = static_cast<std::int64_t>(args.required_uint("id", INT64_MAX));
    if (auto err = args.finish()) {
        return *err;
    }
    ctx.audit.object = fmt::format("pending:{}", id);
    store::MatrixRepository matrix(ctx.conn());
    const auto p = matrix.find_pending(id);
    if (!p) {
        return make_error(ErrorCode::not_found, fmt::format("no pending change {}", id));
    }
    if (p->state != "pending") {
        return make_error(ErrorCode::conflict,
                          fmt::format("pending change {} is already {}", id, p->state));
    }
    const auto* kind = std::find_if(std::begin(kTwoPerson), std::end(kTwoPerson),
                                    [&](const TwoPersonOp& t) { return t.op == p->op; });
    if (kind == std::end(kTwoPerson)) {
        return make_error(ErrorCode::internal,
                          fmt::format("pending change {} has an unknown operation {}", id, p->op));
    }
    store::AccountRepository accounts(ctx.conn());
    const auto approver = approver_of(ctx);
    policy::Proposal proposal;
    proposal.id = id;
    proposal.requested_by = p->requested_by;
    proposal.requested_at = p->requested_at;
    proposal.approver_role = kind->approver;
    proposal.bootstrap_eligible = p->op == "account.add" && gives_officer_role(p->args);
    const auto officers = accounts.count_active_with_roles(policy::bit(policy::Role::officer));
    const auto may = policy::may_approve(approver, proposal, officers);
    if (!may.allowed) {
        ctx.audit.reason = may.reason;
        return make_error(may.code, may.reason);
    }
    const std::optional<std::int64_t> me = approver.account;
    json::value stored;
    try {
        stored = json::parse(p->args);
    } catch (const std::exception&) {
        return make_error(ErrorCode::internal, fmt::format("pending change {} is unreadable", id));
    }
    if (!stored.is_object()) {
        return make_error(ErrorCode::internal, fmt::format("pending change {} is unreadable", id));
    }
    auto applied = kind->reapply(ctx, stored.as_object(), p->requested_by, me);
    if (!applied) {
        return applied;
    }
    matrix.decide_pending(id, "approved", me, ctx.now);
    ctx.audit.reason = fmt::format("{}: {}", may.reason, p->summary);
    json::object out = std::move(applied).value();
    out["approved"] = id;
    out["summary"] = p->summary;
    return out;
}

}  // namespace strongroom::service
