// libFuzzer target for the key-store backup file reader
// (daemon/maintenance/backups: KeyBackups::newest, the file restore reads).
//
// The input is the body of a backup file: its lines, then optionally a NUL
// byte and the register's JSON. The target does what a strongroomd with its
// fixed master key would: seals the register JSON under a fresh key wrapped
// as record 0's (the "register-key:" and "register:" lines), and appends the
// "mac:" line, so that the reader gets past the MAC to the lines and the
// register. The file goes into a scratch directory of this process under
// /tmp. Invariants:
//   - a backup with a valid MAC and no register lines is found;
//   - what is read, written again with KeyBackups::write(), reads back with
//     the same keys; written once more, it reads back the same in full
//     (keys, disposals, register), so the writer and the reader agree.
#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <variant>

#include "daemon/common/text.hpp"
#include "daemon/crypto/key_vault.hpp"
#include "daemon/crypto/record_key.hpp"
#include "daemon/crypto/secure_buffer.hpp"
#include "daemon/maintenance/backups.hpp"
#include "tests/fuzz/fuzz_util.hpp"

namespace {

namespace crypto = strongroom::crypto;
namespace maintenance = strongroom::maintenance;
namespace store = strongroom::store;
using strongroom::Micros;
using strongroom::fuzz::broken;

constexpr Micros kTaken = 1795334400LL * 1000000LL;  // 2026-11-22T08:00:00Z
constexpr Micros kNow = kTaken + 3600LL * 1000000LL;

const crypto::KeyVault& vault() {
    static const crypto::KeyVault v = [] {
        crypto::SecureBuffer master(crypto::KeyVault::kMasterKeyBytes);
        for (std::size_t i = 0; i < master.size(); ++i) {
            master.data()[i] = static_cast<std::uint8_t>(0xa0 + i);
        }
        return crypto::KeyVault(std::move(master));
    }();
    return v;
}

strongroom::fuzz::ScratchDir& scratch() {
    static strongroom::fuzz::ScratchDir dir("keybackup");
    return dir;
}

std::filesystem::path fresh_dir(const char* name) {
    const auto dir = scratch().path() / name;
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir;
}

bool same(const maintenance::KeyBackups::Content& a, const maintenance::KeyBackups::Content& b,
          bool keys_only) {
    if (a.keys.size() != b.keys.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.keys.size(); ++i) {
        if (a.keys[i].record_id != b.keys[i].record_id || a.keys[i].wrapped != b.keys[i].wrapped) {
            return false;
        }
    }
    if (keys_only) {
        return true;
    }
    if (a.disposed.size() != b.disposed.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.disposed.size(); ++i) {
        const auto& x = a.disposed[i];
        const auto& y = b.disposed[i];
        if (x.record_id != y.record_id || x.state != y.state || x.batch != y.batch ||
            x.at != y.at) {
            return false;
        }
    }
    const store::Register empty;
    const auto& ra = a.reg ? *a.reg : empty;
    const auto& rb = b.reg ? *b.reg : empty;
    if (ra.tables.size() != rb.tables.size() || ra.reserved != rb.reserved || ra.held != rb.held ||
        ra.audit_head != rb.audit_head) {
        return false;
    }
    for (std::size_t i = 0; i < ra.tables.size(); ++i) {
        if (ra.tables[i].table != rb.tables[i].table ||
            ra.tables[i].columns != rb.tables[i].columns ||
            ra.tables[i].rows != rb.tables[i].rows) {
            return false;
        }
    }
    return true;
}

maintenance::KeyBackups::Content rewritten(const maintenance::KeyBackups::Content& c,
                                           const char* dir) {
    const maintenance::KeyBackups backups(fresh_dir(dir), 30);
    backups.write(kTaken, "MISSION", c.keys, c.disposed, c.reg ? *c.reg : store::Register{},
                  vault());
    auto back = backups.newest(kNow, vault());
    if (!back) {
        broken("fuzz_keybackup", "a backup KeyBackups::write() wrote is read back");
    }
    return std::move(*back);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto input = strongroom::fuzz::text_of(data, size);
    const auto nul = input.find('\0');
    std::string body(input.substr(0, nul));
    if (!body.empty() && body.back() != '\n') {
        body += '\n';
    }
    const bool has_register = nul != std::string_view::npos;
    if (has_register) {
        const auto json = input.substr(nul + 1);
        const auto key = crypto::RecordKey::generate();
        std::vector<std::uint8_t> sealed;
        key.seal(0, true, {reinterpret_cast<const std::uint8_t*>(json.data()), json.size()},
                 sealed);
        body += "register-key: " + strongroom::to_hex(vault().wrap_record_key(0, key)) + "\n";
        body += "register: " + strongroom::to_base64(sealed) + "\n";
    }
    body += "mac: " + strongroom::to_hex(vault().key_backup_mac().mac(body)) + "\n";

    const auto dir = fresh_dir("read");
    {
        std::ofstream out(dir / maintenance::KeyBackups::name_for(kTaken), std::ios::binary);
        out.write(body.data(), static_cast<std::streamsize>(body.size()));
    }
    const maintenance::KeyBackups backups(dir, 30);
    const auto content = backups.newest(kNow, vault());
    if (!content) {
        if (!has_register && input.substr(0, nul).find("register") == std::string_view::npos) {
            broken("fuzz_keybackup", "a backup whose MAC holds is found");
        }
        return 0;
    }
    const auto once = rewritten(*content, "once");
    if (!same(once, *content, true)) {
        broken("fuzz_keybackup", "the keys read are written and read back the same");
    }
    const auto twice = rewritten(once, "twice");
    if (!same(twice, once, false)) {
        broken("fuzz_keybackup", "a backup written, read, written again reads back the same");
    }
    return 0;
}
