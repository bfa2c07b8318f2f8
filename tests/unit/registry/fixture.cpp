#include "tests/unit/registry/fixture.hpp"

#include <fmt/format.h>

#include "daemon/policy/roles.hpp"
#include "daemon/store/accounts.hpp"
#include "daemon/store/matrix.hpp"

namespace strongroom::registry::test {

Registry::Registry() {
    off = account("off", 5001, policy::bit(policy::Role::officer));
    reg = account("reg", 5002, policy::bit(policy::Role::registrar));
    ana = account("ana", 5003, 0);
    ben = account("ben", 5004, 0);
    store::MatrixRepository m(conn);
    jmac = m.insert_compartment("JMAC", "joint mission analysis", 1, off);
    analysts = m.insert_post("jmac-analyst", kStrictly, "", 1, off, std::nullopt);
    liaison = m.insert_post("liaison", kConfidential, "", 1, off, std::nullopt);
    grant_jmac(analysts);
    m.insert_assignment(analysts, ana, 1, std::nullopt, off);
    m.insert_assignment(liaison, ben, 1, std::nullopt, off);
}

void Registry::grant_jmac(std::int64_t post) {
    store::GrantRow g;
    g.post_id = post;
    g.compartment_id = jmac;
    g.level = kStrictly;
    g.granted_at = 1;
    g.granted_by = off;
    store::MatrixRepository(conn).put_grant(g);
}

std::int64_t Registry::second_analyst() {
    const auto id = account("cid", 5005, 0);
    store::MatrixRepository(conn).insert_assignment(analysts, id, 1, std::nullopt, off);
    return id;
}

void Registry::add_head_of_mission() {
    store::MatrixRepository m(conn);
    hom = account("hom", 5006, 0);
    hom_post = m.insert_post("head-of-mission", kStrictly, "head-of-mission", 1, off, std::nullopt);
    grant_jmac(hom_post);
    m.insert_assignment(hom_post, hom, 1, std::nullopt, off);
}

std::int64_t Registry::account(const std::string& name, std::uint32_t uid, std::uint32_t roles) {
    store::NewAccount a;
    a.name = name;
    a.uid = uid;
    a.roles = roles;
    a.at = 1;
    return store::AccountRepository(conn).insert(a);
}

std::int64_t Registry::record(std::int64_t originator, policy::Level level,
                              std::vector<std::int64_t> compartments,
                              std::optional<std::int64_t> max_copies, const std::string& title) {
    store::RecordRepository r(conn);
    store::RecordRow row;
    row.title = title;
    row.level = level;
    row.type = "report";
    row.originator = originator;
    row.created_at = 10;
    row.compartments = std::move(compartments);
    row.max_copies = max_copies;
    const auto id = r.insert(row);
    r.finish(id, 1, 1, std::vector<std::uint8_t>(32, 7), true,
             level == 0 ? std::nullopt
                        : std::optional<std::string>(fmt::format("MSN/2026/{:04}", ++numbered_)));
    return id;
}

store::RecordRow Registry::row(std::int64_t id) {
    return *store::RecordRepository(conn).find(id);
}

void Registry::disseminate_to_post(std::int64_t record, std::int64_t post) {
    store::DisseminationRow d;
    d.record_id = record;
    d.recipient = Recipient::post(post);
    d.authority = Conveyance::originator;
    d.by_account = ana;
    d.at = 20;
    store::RecordRepository(conn).disseminate(d);
}

}  // namespace strongroom::registry::test
