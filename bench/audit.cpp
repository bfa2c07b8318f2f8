// strongroom_audit_bench — the audit benchmark (bench/run audit, issue 5):
// `audit verify` over a chain of N entries (10^7 by default) against raw
// HMAC-SHA256 on messages of the entries' size, `openssl speed -hmac sha256`
// measured in the same run.
//
// The chain is written into a scratch store through the daemon's own Trail
// (10 000 entries per transaction), then verified with audit::verify, the
// code `strongroom-admin audit verify` runs, on a fresh connection. Not a
// test: it prints figures and the ratio.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <openssl/rand.h>

#include "bench/pingpong.hpp"
#include "daemon/audit/trail.hpp"
#include "daemon/crypto/key_vault.hpp"
#include "daemon/store/sqlite.hpp"
#include "daemon/store/store.hpp"

namespace fs = std::filesystem;
namespace sr = strongroom;

namespace {

using Clock = std::chrono::steady_clock;
constexpr double kTargetRatio = 0.50;

double seconds_since(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

// An entry like the daemon writes for a read.
sr::store::AuditRecord entry(std::int64_t i) {
    sr::store::AuditRecord r;
    r.at = 1'790'000'000'000'000 + i * 1000;
    r.account_id = 40 + i % 300;
    r.account = fmt::format("analyst-{:03}", i % 300);
    r.uid = static_cast<std::uint32_t>(61000 + i % 300);
    r.pid = static_cast<std::int32_t>(4000 + i % 5000);
    r.request = "show";
    r.object = fmt::format("record:{}", 100000 + (i * 7919) % 1000000);
    r.decision = sr::store::Decision::allow;
    r.reason =
        "eligible: post jmac-analyst holds JMAC at confidential; receipt: disseminated "
        "to jmac-analyst";
    return r;
}

// The bytes an entry's digest covers: its canonical encoding in
// audit/trail.cpp (a 25-byte tag, five numbers, five length-prefixed texts).
std::size_t entry_bytes(const sr::store::AuditRecord& r) {
    return 8 + 25 + 8 * 5 + 8 * 5 + r.account.size() + r.request.size() + r.object.size() +
           std::string_view(sr::store::to_string(r.decision)).size() + r.reason.size();
}

// `openssl speed -hmac sha256 -bytes N`: HMACs per second.
std::optional<double> openssl_hmac_per_s(std::size_t bytes, int seconds) {
    const auto cmd =
        fmt::format("openssl speed -hmac sha256 -bytes {} -seconds {} 2>/dev/null", bytes, seconds);
    FILE* p = ::popen(cmd.c_str(), "r");
    if (p == nullptr) {
        return std::nullopt;
    }
    std::optional<double> out;
    char line[512];
    while (std::fgets(line, sizeof line, p) != nullptr) {
        const std::string l(line);
        if (l.rfind("hmac(sha256)", 0) == 0) {
            // "hmac(sha256)   123456.78k": thousands of bytes per second.
            const auto num = l.find_first_of("0123456789", 12);
            if (num != std::string::npos) {
                const double kbytes = std::strtod(l.c_str() + num, nullptr);
                out = kbytes * 1000.0 / static_cast<double>(bytes);
            }
        }
    }
    ::pclose(p);
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    long entries = 10'000'000;
    std::string dir_arg;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--entries" && i + 1 < argc) {
            const auto v = sr::bench::parse_count(argv[++i], 1'000'000'000L);
            if (!v || *v < 1) {
                std::cerr << "strongroom_audit_bench: --entries needs a positive count\n";
                return 2;
            }
            entries = *v;
        } else if (a == "--dir" && i + 1 < argc) {
            dir_arg = argv[++i];
        } else {
            std::cerr << "usage: strongroom_audit_bench --dir DIR [--entries N]\n";
            return a == "--help" || a == "-h" ? 0 : 2;
        }
    }
    if (dir_arg.empty()) {
        std::cerr << "strongroom_audit_bench: --dir DIR (an empty directory) is required\n";
        return 2;
    }
    try {
        sr::crypto::SecureBuffer master(sr::crypto::KeyVault::kMasterKeyBytes);
        if (RAND_bytes(master.data(), static_cast<int>(master.size())) != 1) {
            throw std::runtime_error("no random key");
        }
        sr::crypto::KeyVault vault(std::move(master));
        sr::store::StoreOptions o;
        o.state_dir = fs::path(dir_arg);
        o.readers = 4;
        sr::store::Store store(o, vault, true);

        // Fill.
        const auto sample = entry(1);
        const auto t_fill = Clock::now();
        {
            auto& conn = store.writer_connection();
            sr::audit::Trail trail(vault.audit_mac(), sr::store::AuditRepository(conn).head());
            for (long done = 0; done < entries;) {
                sr::store::Transaction txn(conn);
                conn.exec("BEGIN");
                const long n = std::min(10'000L, entries - done);
                for (long k = 0; k < n; ++k) {
                    trail.append(txn, entry(done + k));
                }
                trail.flush(txn);
                conn.exec("COMMIT");
                done += n;
                if (done % 1'000'000 == 0) {
                    std::cerr << fmt::format("  {} entries written ({:.0f} s)\n", done,
                                             seconds_since(t_fill));
                }
            }
        }
        const double fill_s = seconds_since(t_fill);

        // Verify as audit verify does: ranges side by side, one per core, each
        // on a reader connection of its own.
        const unsigned cores = std::max(1U, std::min(4U, std::thread::hardware_concurrency()));
        std::vector<sr::store::ReaderLease> leases;
        std::vector<sr::crypto::HmacSha256> macs;
        std::vector<sr::audit::VerifyWorker> workers;
        macs.reserve(cores);
        for (unsigned i = 0; i < cores; ++i) {
            leases.push_back(store.readers().lease());
            macs.push_back(vault.audit_mac());
            workers.push_back({&leases.back().connection(), &macs.back()});
        }
        const auto t_verify = Clock::now();
        const auto r = sr::audit::verify(workers);
        const double verify_s = seconds_since(t_verify);
        if (!r.intact || r.entries != entries) {
            std::cerr << fmt::format("strongroom_audit_bench: the chain did not verify: {}\n",
                                     r.problem);
            return 1;
        }
        const double verify_per_s = static_cast<double>(entries) / verify_s;

        const auto bytes = entry_bytes(sample);
        const auto raw = openssl_hmac_per_s(bytes, 3);
        std::cout << fmt::format(
            "audit chain of {} entries ({} B of fields each): written in {:.1f} s ({:.0f}/s)\n"
            "audit verify        {:>10.0f} entries/s  ({:.1f} s, {} ranges side by side, as "
            "the daemon verifies on this machine)\n",
            entries, bytes, fill_s, static_cast<double>(entries) / fill_s, verify_per_s, verify_s,
            workers.size());
        if (raw) {
            const double ratio = verify_per_s / *raw;
            std::cout << fmt::format(
                "openssl speed -hmac sha256 -bytes {}  {:>10.0f} HMACs/s\n"
                "ratio {:.2f}  [target >= {:.2f}: {}]\n",
                bytes, *raw, ratio, kTargetRatio, ratio >= kTargetRatio ? "met" : "NOT met");
        } else {
            std::cout << "openssl speed could not be run: no baseline\n";
        }
        return 0;
    } catch (const std::exception& e) {
        std::cerr << fmt::format("strongroom_audit_bench: {}\n", e.what());
        return 1;
    }
}
