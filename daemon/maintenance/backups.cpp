#include "daemon/maintenance/backups.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "daemon/common/fd.hpp"
#include "daemon/common/files.hpp"
#include "daemon/common/text.hpp"
#include "daemon/crypto/key_vault.hpp"
#include "daemon/crypto/record_key.hpp"

namespace strongroom::maintenance {
namespace {

constexpr Micros kDay = 86400LL * 1000000;
constexpr std::string_view kPrefix = "keys-";
constexpr std::string_view kSuffix = ".txt";

// Throws std::system_error with the errno, so that a full disk is told from
// another I/O error.
void write_all(int fd, std::string_view data, const std::filesystem::path& path) {
    if (const int err = io::write_fully(fd, data); err != 0) {
        throw std::system_error(err, std::generic_category(),
                                fmt::format("cannot write {}", path.string()));
    }
}

// "keys-20261122T080000Z.txt" → its time, or nothing.
std::optional<Micros> taken_from_name(const std::string& name) {
    if (!name.starts_with(kPrefix) || !name.ends_with(kSuffix) ||
        name.size() != kPrefix.size() + 16 + kSuffix.size()) {
        return std::nullopt;
    }
    const auto t = name.substr(kPrefix.size(), 16);  // 20261122T080000Z
    const auto date =
        parse_date(fmt::format("{}-{}-{}", t.substr(0, 4), t.substr(4, 2), t.substr(6, 2)));
    if (!date || t[8] != 'T' || t[15] != 'Z') {
        return std::nullopt;
    }
    Micros secs = 0;
    for (const std::size_t i : {9U, 10U, 11U, 12U, 13U, 14U}) {
        if (t[i] < '0' || t[i] > '9') {
            return std::nullopt;
        }
    }
    secs = ((t[9] - '0') * 10 + (t[10] - '0')) * 3600 + ((t[11] - '0') * 10 + (t[12] - '0')) * 60 +
           (t[13] - '0') * 10 + (t[14] - '0');
    return *date + secs * 1000000;
}

// The register as JSON: values are null, integers, reals ({"real": x}),
// strings and blobs ({"hex": "..."}).
namespace json = boost::json;

json::value value_json(const store::Value& v) {
    if (const auto* n = std::get_if<std::int64_t>(&v)) {
        return *n;
    }
    if (const auto* d = std::get_if<double>(&v)) {
        return json::object{{"real", *d}};
    }
    if (const auto* t = std::get_if<std::string>(&v)) {
        return json::string(*t);
    }
    if (const auto* b = std::get_if<std::vector<std::uint8_t>>(&v)) {
        return json::object{{"hex", to_hex(*b)}};
    }
    return nullptr;
}

store::Value value_of(const json::value& v) {
    if (v.is_int64()) {
        return v.as_int64();
    }
    if (v.is_uint64()) {
        return static_cast<std::int64_t>(v.as_uint64());
    }
    if (v.is_string()) {
        return std::string(v.as_string());
    }
    if (v.is_object()) {
        const auto& o = v.as_object();
        if (const auto* r = o.if_contains("real")) {
            return r->to_number<double>();
        }
        if (const auto* h = o.if_contains("hex"); h != nullptr && h->is_string()) {
            if (auto bytes = from_hex(h->as_string())) {
                return std::move(*bytes);
            }
        }
        throw std::runtime_error("a register value is not of a known form");
    }
    if (v.is_null()) {
        return std::monostate{};
    }
    throw std::runtime_error("a register value is not of a known form");
}

std::string register_json(const store::Register& reg) {
    json::array tables;
    for (const auto& t : reg.tables) {
        json::array columns;
        for (const auto& c : t.columns) {
            columns.emplace_back(c);
        }
        json::array rows;
        for (const auto& row : t.rows) {
            json::array r;
            for (const auto& v : row) {
                r.push_back(value_json(v));
            }
            rows.push_back(std::move(r));
        }
        tables.push_back(json::object{
            {"table", t.table}, {"columns", std::move(columns)}, {"rows", std::move(rows)}});
    }
    json::object reserved;
    for (const auto& [table, id] : reg.reserved) {
        reserved[table] = id;
    }
    json::array held;
    for (const auto id : reg.held) {
        held.emplace_back(id);
    }
    json::object out{{"v", 1},
                     {"tables", std::move(tables)},
                     {"reserved", std::move(reserved)},
                     {"held", std::move(held)}};
    if (reg.audit_head) {
        out["audit_head"] =
            json::object{{"seq", reg.audit_head->first}, {"mac", to_hex(reg.audit_head->second)}};
    }
    return json::serialize(out);
}

store::Register register_of(std::string_view text) {
    const auto doc = json::parse(text).as_object();
    if (doc.at("v").to_number<int>() != 1) {
        throw std::runtime_error("the register is of a later format");
    }
    store::Register reg;
    for (const auto& t : doc.at("tables").as_array()) {
        store::TableRows rows;
        rows.table = std::string(t.at("table").as_string());
        for (const auto& c : t.at("columns").as_array()) {
            rows.columns.emplace_back(c.as_string());
        }
        for (const auto& r : t.at("rows").as_array()) {
            std::vector<store::Value> row;
            for (const auto& v : r.as_array()) {
                row.push_back(value_of(v));
            }
            if (row.size() != rows.columns.size()) {
                throw std::runtime_error("a register row has the wrong number of values");
            }
            rows.rows.push_back(std::move(row));
        }
        reg.tables.push_back(std::move(rows));
    }
    for (const auto& [table, id] : doc.at("reserved").as_object()) {
        reg.reserved[std::string(table)] = id.to_number<std::int64_t>();
    }
    for (const auto& id : doc.at("held").as_array()) {
        reg.held.push_back(id.to_number<std::int64_t>());
    }
    if (const auto* head = doc.if_contains("audit_head")) {
        const auto mac = from_hex(head->at("mac").as_string());
        store::Mac m{};
        if (!mac || mac->size() != m.size()) {
            throw std::runtime_error("the register's audit head is not a MAC");
        }
        std::copy(mac->begin(), mac->end(), m.begin());
        reg.audit_head = std::make_pair(head->at("seq").to_number<std::int64_t>(), m);
    }
    return reg;
}

// Record ids start at 1: the register's key is wrapped as record 0's.
constexpr std::int64_t kRegisterKeyId = 0;

std::string sealed_register(const store::Register& reg, const crypto::KeyVault& vault) {
    const auto text = register_json(reg);
    const auto key = crypto::RecordKey::generate();
    std::vector<std::uint8_t> sealed;
    key.seal(0, true, {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()}, sealed);
    return fmt::format("register-key: {}\nregister: {}\n",
                       to_hex(vault.wrap_record_key(kRegisterKeyId, key)), to_base64(sealed));
}

Result<store::Register> opened_register(std::string_view wrapped_hex, std::string_view sealed_b64,
                                        const crypto::KeyVault& vault) {
    const auto wrapped = from_hex(wrapped_hex);
    const auto sealed = from_base64(sealed_b64);
    if (!wrapped || !sealed) {
        return make_error(ErrorCode::internal, "its register lines are not hex and base64");
    }
    auto key = vault.unwrap_record_key(kRegisterKeyId, *wrapped);
    if (!key) {
        return std::move(key).error();
    }
    std::vector<std::uint8_t> plain;
    if (auto st = key->open(0, true, *sealed, plain); !st) {
        return std::move(st).error();
    }
    try {
        return register_of({reinterpret_cast<const char*>(plain.data()), plain.size()});
    } catch (const std::exception& e) {
        return make_error(ErrorCode::internal, fmt::format("its register: {}", e.what()));
    }
}

}  // namespace

bool overwrite_and_remove(const std::filesystem::path& path) {
    // Overwritten before removal: the file's blocks do not keep what it held.
    if (const Fd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW)); fd) {
        struct stat st {};
        if (::fstat(fd.get(), &st) == 0 && S_ISREG(st.st_mode)) {
            const std::string zeros(1 << 20, '\0');
            for (off_t left = st.st_size; left > 0;) {
                const auto n = static_cast<std::size_t>(std::min<off_t>(left, 1 << 20));
                try {
                    write_all(fd.get(), std::string_view(zeros).substr(0, n), path);
                } catch (const std::exception&) {
                    break;  // removed below all the same
                }
                left -= static_cast<off_t>(n);
            }
            ::fsync(fd.get());
        }
    }
    return ::unlink(path.c_str()) == 0;
}

std::string KeyBackups::name_for(Micros at) {
    const auto ts = format_timestamp(at);  // 2026-11-22T08:00:00Z
    std::string compact;
    for (const char c : ts) {
        if (c != '-' && c != ':') {
            compact.push_back(c);
        }
    }
    return fmt::format("{}{}{}", kPrefix, compact, kSuffix);
}

Micros KeyBackups::expiry_of(Micros taken) const {
    return taken + static_cast<Micros>(days_) * kDay;
}

std::filesystem::path KeyBackups::write(Micros at, const std::string& mission,
                                        const std::vector<store::WrappedKey>& keys,
                                        const std::vector<store::Disposed>& disposed,
                                        const store::Register& reg,
                                        const crypto::KeyVault& vault) const {
    std::string body =
        fmt::format("STRONGROOM KEY-STORE BACKUP\nmission: {}\ntaken: {}\nexpires: {}\nkeys: {}\n",
                    mission, format_timestamp(at), format_timestamp(expiry_of(at)), keys.size());
    for (const auto& k : keys) {
        body += fmt::format("key: {} {}\n", k.record_id, to_hex(k.wrapped));
    }
    body += fmt::format("disposed: {}\n", disposed.size());
    for (const auto& d : disposed) {
        body += fmt::format("disposed: {} {} {} {}\n", d.record_id, d.state, d.batch,
                            format_timestamp(d.at));
    }
    body += sealed_register(reg, vault);
    const auto mac = vault.key_backup_mac().mac(body);
    body += fmt::format("mac: {}\n", to_hex(mac));

    const auto path = dir_ / name_for(at);
    const auto tmp = dir_ / (name_for(at) + ".new");
    Fd fd(io::open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (!fd) {
        throw std::system_error(errno, std::generic_category(),
                                fmt::format("cannot create {}", tmp.string()));
    }
    try {
        write_all(fd.get(), body, tmp);
        if (io::fsync(fd.get()) != 0) {
            throw std::system_error(errno, std::generic_category(),
                                    fmt::format("cannot sync {}", tmp.string()));
        }
    } catch (...) {
        fd.reset();
        ::unlink(tmp.c_str());
        throw;
    }
    fd.reset();
    if (io::rename(tmp, path) != 0) {
        const int err = errno;
        ::unlink(tmp.c_str());
        throw std::system_error(err, std::generic_category(),
                                fmt::format("cannot rename {} to {}", tmp.string(), path.string()));
    }
    return path;
}

std::vector<std::pair<Micros, std::filesystem::path>> KeyBackups::unexpired(Micros now) const {
    std::vector<std::pair<Micros, std::filesystem::path>> found;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) {
        const auto taken = taken_from_name(entry.path().filename().string());
        if (taken && expiry_of(*taken) > now) {
            found.emplace_back(*taken, entry.path());
        }
    }
    std::sort(found.rbegin(), found.rend());  // newest first
    return found;
}

std::optional<KeyBackups::Content> KeyBackups::read(const std::filesystem::path& path, Micros taken,
                                                    const crypto::KeyVault& vault,
                                                    bool with_register) const {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream buf;
    buf << in.rdbuf();
    const auto text = buf.str();
    const auto mac_at = text.rfind("mac: ");
    if (mac_at == std::string::npos || (mac_at > 0 && text[mac_at - 1] != '\n')) {
        return std::nullopt;
    }
    const auto body = text.substr(0, mac_at);
    const auto mac = from_hex(std::string_view(text).substr(mac_at + 5, 64));
    const auto expected = vault.key_backup_mac().mac(body);
    if (!mac || mac->size() != expected.size() ||
        !std::equal(mac->begin(), mac->end(), expected.begin())) {
        return std::nullopt;  // altered, or another strongroom's
    }
    Content c;
    c.name = path.filename().string();
    c.taken = taken;
    std::istringstream lines(body);
    std::string line;
    std::string register_key;
    std::string register_text;
    while (std::getline(lines, line)) {
        if (line.starts_with("register-key: ")) {
            register_key = line.substr(14);
            continue;
        }
        if (line.starts_with("register: ")) {
            register_text = line.substr(10);
            continue;
        }
        if (line.starts_with("key: ")) {
            std::istringstream f(line.substr(5));
            store::WrappedKey k;
            std::string hex;
            f >> k.record_id >> hex;
            if (auto bytes = from_hex(hex)) {
                k.wrapped = std::move(*bytes);
                c.keys.push_back(std::move(k));
            }
        } else if (line.starts_with("disposed: ") && line.find(' ', 10) != std::string::npos) {
            std::istringstream f(line.substr(10));
            store::Disposed d;
            std::string state;
            std::string at;
            f >> d.record_id >> state >> d.batch >> at;
            d.at = parse_date(at.substr(0, 10)).value_or(0);
            if (const auto s = parse_record_state(state)) {
                d.state = *s;
                c.disposed.push_back(std::move(d));
            }
        }
    }
    if (with_register && (!register_key.empty() || !register_text.empty())) {
        auto reg = opened_register(register_key, register_text, vault);
        if (!reg) {
            return std::nullopt;  // its MAC holds, yet the register does not open: not trusted
        }
        c.reg = std::move(*reg);
    }
    return c;
}

Result<KeyBackups::Content> KeyBackups::newest(Micros now, const crypto::KeyVault& vault) const {
    for (const auto& [taken, path] : unexpired(now)) {
        if (auto c = read(path, taken, vault, true)) {
            return std::move(*c);
        }
    }
    return make_error(ErrorCode::not_found,
                      fmt::format("no key-store backup in {} is younger than {} days and intact",
                                  dir_.string(), days_));
}

std::map<std::int64_t, std::vector<std::uint8_t>> KeyBackups::find_keys(
    const std::set<std::int64_t>& ids, Micros now, const crypto::KeyVault& vault) const {
    std::map<std::int64_t, std::vector<std::uint8_t>> found;
    if (ids.empty()) {
        return found;
    }
    for (const auto& [taken, path] : unexpired(now)) {
        const auto c = read(path, taken, vault, false);
        if (!c) {
            continue;
        }
        for (const auto& k : c->keys) {
            if (ids.count(k.record_id) != 0 && found.count(k.record_id) == 0) {
                found.emplace(k.record_id, k.wrapped);
            }
        }
        if (found.size() == ids.size()) {
            break;
        }
    }
    return found;
}

std::vector<std::string> KeyBackups::remove_expired(Micros now) const {
    std::vector<std::string> removed;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) {
        const auto name = entry.path().filename().string();
        const auto taken = taken_from_name(name);
        if (!taken || expiry_of(*taken) > now || !entry.is_regular_file(ec)) {
            continue;
        }
        if (overwrite_and_remove(entry.path())) {
            removed.push_back(name);
        }
    }
    return removed;
}

}  // namespace strongroom::maintenance
