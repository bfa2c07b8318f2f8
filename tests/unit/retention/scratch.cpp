#include "tests/unit/retention/scratch.hpp"

#include "daemon/crypto/record_key.hpp"
#include "daemon/policy/roles.hpp"
#include "daemon/store/accounts.hpp"
#include "daemon/store/disposal.hpp"
#include "daemon/store/records.hpp"
#include "daemon/store/retention.hpp"

namespace strongroom::retention::test {

Scratch::Scratch() {
    first = registrar("first", 5001, 1);
    second = registrar("second", 5002, 1);
    store::RetentionRepository repo(conn);
    store::ScheduleRow raw;
    raw.type = "raw-data";
    raw.disposition = "destroy";
    raw.destroy_after = "1y";
    repo.put_schedule(raw);
    store::ScheduleRow product;
    product.type = "intelligence-product";
    product.disposition = "permanent";
    product.transfer = true;
    repo.put_schedule(product);
}

std::int64_t Scratch::registrar(const std::string& name, std::uint32_t uid, Micros since) {
    store::NewAccount a;
    a.name = name;
    a.uid = uid;
    a.roles = policy::bit(policy::Role::registrar);
    a.at = since;
    return store::AccountRepository(conn).insert(a);
}

policy::Approver Scratch::approver(std::int64_t account) {
    const auto a = *store::AccountRepository(conn).find(account);
    return {a.uid, a.id, a.name, a.roles, a.roles_at};
}

std::int64_t Scratch::record(const std::string& type, Micros dated, const std::string& text) {
    store::RecordRepository r(conn);
    store::RecordRow row;
    row.title = "Intercept";
    row.type = type;
    row.originator = first;
    row.created_at = dated;
    row.dated = dated;
    const auto id = r.insert(row);
    const auto key = crypto::RecordKey::generate();
    r.put_key(id, vault.wrap_record_key(id, key));
    std::vector<std::uint8_t> sealed;
    key.seal(0, true, {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()}, sealed);
    r.put_chunk(id, 0, sealed);
    r.finish(id, static_cast<std::int64_t>(text.size()), 1, std::vector<std::uint8_t>(32, 7), true,
             std::nullopt);
    r.index_text(id, row.title, text);
    return id;
}

void Scratch::hold(const std::string& name, std::vector<std::int64_t> records,
                   std::optional<std::string> type) {
    store::HoldRow h;
    h.name = name;
    h.reason = "inquiry";
    h.type = std::move(type);
    h.records = std::move(records);
    h.placed_by = first;
    h.placed_at = kNow - kDay;
    store::RetentionRepository(conn).insert_hold(h);
}

std::int64_t Scratch::proposed(std::int64_t record, std::int64_t by, Micros at) {
    store::DisposalRepository batches(conn);
    const auto b = batches.insert(BatchKind::destroy, BatchState::proposed, at, by, at);
    batches.add_record(b, record, "due");
    return b;
}

}  // namespace strongroom::retention::test
