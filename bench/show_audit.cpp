// strongroom_show_audit_bench — what audit writing costs `show` (bench/run
// audit-cost, issue 5): the daemon's own Service answers `show` requests
// in-process, from several threads, on the records benchmark's store, with
// the store's writer either writing each request's audit entry into the
// chain (the daemon as shipped: Trail hooks, group commit, fsync) or
// discarding it (a baseline that exists only in this program). The same
// requests, in alternating rounds; the ratio is the throughput lost to audit
// writing. Without the socket, the share is larger than through it.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <sys/resource.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <fmt/format.h>

#include "admin-tools/client/client.hpp"
#include "daemon/audit/trail.hpp"
#include "daemon/crypto/key_source.hpp"
#include "daemon/crypto/key_vault.hpp"
#include "daemon/server/server.hpp"
#include "daemon/service/service.hpp"
#include "daemon/store/audit_log.hpp"
#include "daemon/store/store.hpp"

namespace fs = std::filesystem;
namespace sr = strongroom;

namespace {

using Clock = std::chrono::steady_clock;
constexpr double kTarget = 0.10;  // audit writing adds under 10 %

struct Args {
    fs::path state;
    unsigned threads = 8;
    double duration = 5;
    int rounds = 3;
    std::string only;  // "written" or "discarded": one kind of phase (for profiling)
    // Per phase on stderr: the process's CPU time per show (the writer's
    // final commit included) and the writer's commits and batch sizes.
    bool stats = false;
    // Through a Unix socket: the daemon's server (8 worker threads, as
    // strongroomd runs by default) in front of the Service, `threads`
    // clients each with its own connection, as the records benchmark's show.
    bool socket = false;
};

Args parse(int argc, char** argv) {
    Args a;
    for (int i = 1; i < argc; ++i) {
        const std::string k = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) {
                throw std::runtime_error(k + " needs a value");
            }
            return argv[++i];
        };
        if (k == "--state") {
            a.state = value();
        } else if (k == "--threads") {
            a.threads = static_cast<unsigned>(std::stoul(value()));
        } else if (k == "--duration") {
            a.duration = std::stod(value());
        } else if (k == "--rounds") {
            a.rounds = std::stoi(value());
        } else if (k == "--stats") {
            a.stats = true;
        } else if (k == "--socket") {
            a.socket = true;
        } else if (k == "--only") {
            a.only = value();
            if (a.only != "written" && a.only != "discarded") {
                throw std::runtime_error("--only takes written or discarded");
            }
        } else {
            throw std::runtime_error("unknown option " + k +
                                     "; usage: strongroom_show_audit_bench --state DIR "
                                     "[--threads N] [--duration S] [--rounds N] "
                                     "[--only written|discarded] [--stats] [--socket]");
        }
    }
    if (a.state.empty()) {
        throw std::runtime_error("--state DIR is needed (a stopped, populated store)");
    }
    return a;
}

// One phase: a fresh store and service, the writer's hooks writing or
// discarding the audit entries; show requests from `threads` threads for
// `duration` seconds. Returns requests per second.
double phase(const Args& a, const sr::crypto::KeyVault& vault, bool audited,
             std::vector<std::int64_t>& ids) {
    sr::store::StoreOptions so;
    so.state_dir = a.state;
    so.readers = 4;
    sr::store::Store store(so, vault, false);
    std::optional<sr::audit::Trail> trail;
    if (audited) {
        trail.emplace(vault.audit_mac(),
                      sr::store::AuditRepository(store.writer_connection()).head());
        store.start_writer(trail->hooks(), [](const std::string& why) {
            std::cerr << "audit failed: " << why << "\n";
            std::exit(1);
        });
    } else {
        sr::store::Writer::AuditHooks discard;
        discard.append = [](sr::store::Transaction&, sr::store::AuditRecord&&) {};
        store.start_writer(discard, [](const std::string&) {});
    }
    sr::service::ServiceOptions opts;
    opts.vault = &vault;
    opts.state_dir = a.state;
    sr::service::Service service(store, opts);
    const sr::Peer peer{::geteuid(), 0, ::getpid()};
    auto show = [&](std::int64_t id) {
        bool ok = false;
        sr::protocol::Request req;
        req.id = 1;
        req.op = "show";
        req.args = boost::json::object{{"id", id}};
        service.handle(
            peer, std::move(req),
            sr::service::Reply([&ok](sr::protocol::Response r, std::unique_ptr<sr::ContentSource>) {
                ok = !r.error.has_value();
            }));
        return ok;
    };
    if (ids.empty()) {
        // Records the analyst (the calling uid) may read.
        for (std::int64_t id = 1; id < 2000000 && ids.size() < 2000; id += 97) {
            if (show(id)) {
                ids.push_back(id);
            }
        }
        if (ids.empty()) {
            throw std::runtime_error("the calling uid reads no record in this store");
        }
    }
    // --socket: the server the daemon runs, on a socket of its own.
    boost::asio::io_context io;
    std::optional<sr::server::Server> server;
    std::thread acceptor;
    const auto socket_path =
        fs::temp_directory_path() / fmt::format("strongroom-show-audit-{}.sock", ::getpid());
    if (a.socket) {
        sr::server::Hooks hooks;
        hooks.request = [&service](const sr::Peer& p, sr::protocol::Request request,
                                   sr::server::Reply reply) {
            service.handle(p, std::move(request), std::move(reply));
        };
        sr::server::Options so_server;
        so_server.threads = 8;
        so_server.max_connections_per_uid = 64;
        // As bench/strongroomd.conf: the rate is checked, never reached.
        so_server.requests_per_second = 1000000;
        so_server.request_burst = 1000000;
        server.emplace(io, so_server, std::move(hooks));
        std::error_code ec;
        fs::remove(socket_path, ec);
        server->listen_path(socket_path, 0600);
        server->start();
        acceptor = std::thread([&io] { io.run(); });
    }
    std::vector<std::optional<sr::client::Connection>> clients(a.threads);
    if (a.socket) {
        for (auto& c : clients) {
            auto conn = sr::client::Connection::open(socket_path.string());
            if (!conn) {
                throw std::runtime_error(conn.error().message);
            }
            c.emplace(std::move(*conn));
        }
    }
    auto show_through = [&](unsigned t, std::int64_t id) {
        if (!a.socket) {
            return show(id);
        }
        auto r = clients[t]->call("show", boost::json::object{{"id", id}});
        return r.ok() && !r->error.has_value();
    };
    std::atomic<bool> stop{false};
    std::atomic<std::uint64_t> done{0};
    std::vector<std::thread> threads;
    auto cpu_now = [] {
        rusage ru{};
        ::getrusage(RUSAGE_SELF, &ru);
        auto us = [](const timeval& tv) {
            return static_cast<double>(tv.tv_sec) * 1e6 + static_cast<double>(tv.tv_usec);
        };
        return us(ru.ru_utime) + us(ru.ru_stime);
    };
    const double cpu0 = cpu_now();
    const auto t0 = Clock::now();
    for (unsigned t = 0; t < a.threads; ++t) {
        threads.emplace_back([&, t] {
            std::uint64_t n = 0;
            for (std::size_t i = t; !stop.load(std::memory_order_relaxed); i += a.threads) {
                if (!show_through(t, ids[i % ids.size()])) {
                    std::cerr << "show refused\n";
                    std::exit(1);
                }
                ++n;
            }
            done += n;
        });
    }
    std::this_thread::sleep_for(std::chrono::duration<double>(a.duration));
    stop = true;
    for (auto& th : threads) {
        th.join();
    }
    const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
    if (a.socket) {
        clients.clear();
        boost::asio::post(io, [&server] { server->shutdown(); });
        server->join();
        acceptor.join();
        std::error_code ec;
        fs::remove(socket_path, ec);
    }
    store.writer().stop();
    const double cpu = cpu_now() - cpu0;
    if (a.stats) {
        const auto st = store.writer().stats();
        std::cerr << fmt::format(
            "  {}: {:.0f} shows/s, {:.1f} us CPU per show ({:.0f} % of {} cores); writer: {} "
            "commits ({:.0f}/s), {:.1f} items per commit, largest {}; answered early {}, durable "
            "after 10 ms {} ({:.1f} %), longest {:.1f} ms\n",
            audited ? "written" : "discarded", static_cast<double>(done.load()) / secs,
            cpu / static_cast<double>(done.load()),
            cpu / secs / 1e6 / std::thread::hardware_concurrency() * 100,
            std::thread::hardware_concurrency(), st.commits, static_cast<double>(st.commits) / secs,
            st.commits ? static_cast<double>(st.items) / static_cast<double>(st.commits) : 0.0,
            st.largest_batch, st.early, st.early_late,
            st.early ? 100.0 * static_cast<double>(st.early_late) / static_cast<double>(st.early)
                     : 0.0,
            static_cast<double>(st.early_max_us) / 1000.0);
    }
    return static_cast<double>(done.load()) / secs;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        const auto a = parse(argc, argv);
        auto key = sr::crypto::load_master_key(sr::crypto::KeySource{a.state / "dev.key", false},
                                               ::geteuid());
        if (!key) {
            throw std::runtime_error(key.error().message);
        }
        const sr::crypto::KeyVault vault(std::move(*key));
        std::vector<std::int64_t> ids;
        std::vector<double> with;
        std::vector<double> without;
        for (int r = 0; r < a.rounds; ++r) {
            if (a.only != "written") {
                without.push_back(phase(a, vault, false, ids));
            }
            if (a.only != "discarded") {
                with.push_back(phase(a, vault, true, ids));
            }
        }
        auto median = [](std::vector<double> v) {
            if (v.empty()) {
                return 0.0;
            }
            std::sort(v.begin(), v.end());
            return v[v.size() / 2];
        };
        if (!a.only.empty()) {
            std::cout << fmt::format(
                "show {}, {} threads, {} records readable, median of {} rounds of {} s:\n"
                "  audit entries {:<10}  {:>10.0f} /s\n",
                a.socket ? "through the socket" : "in-process", a.threads, ids.size(), a.rounds,
                a.duration, a.only, median(a.only == "written" ? with : without));
            return 0;
        }
        const double w = median(with);
        const double wo = median(without);
        const double added = wo / w - 1;
        std::cout << fmt::format(
            "show {}, {} threads, {} records readable, median of {} rounds of {} s:\n"
            "  audit entries discarded (baseline)  {:>10.0f} /s\n"
            "  audit entries written (as shipped)  {:>10.0f} /s\n"
            "audit writing adds {:.1f} % to the time of a show (target < {:.0f} %): {}\n",
            a.socket ? "through the socket (the daemon's server)" : "in-process", a.threads,
            ids.size(), a.rounds, a.duration, wo, w, added * 100, kTarget * 100,
            added < kTarget ? "met" : "NOT met");
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "strongroom_show_audit_bench: " << e.what() << "\n";
        return 1;
    }
}
