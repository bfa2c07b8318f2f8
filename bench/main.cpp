// strongroom_bench: whoami round trips through strongroomd, against the floor
// of a bare Unix-socket ping-pong of the same bytes, measured in one run.
// bench/run builds the daemon, starts it and runs this; see bench/README.md.
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

#include <unistd.h>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <fmt/format.h>

#include "admin-tools/client/client.hpp"
#include "bench/pingpong.hpp"
#include "daemon/protocol/frame.hpp"
#include "daemon/protocol/message.hpp"

namespace sr = strongroom;
namespace bench = strongroom::bench;
namespace json = boost::json;

namespace {

// The target for whoami with 8 clients.
constexpr double kTargetRatio = 0.40;
constexpr double kTargetP99Us = 1000.0;
constexpr std::size_t kClientCounts[] = {1, 8};

constexpr const char* kUsage =
    "usage: strongroom_bench --socket PATH [--daemon-pid PID] [--json]\n"
    "                        [--duration SECONDS] [--warmup SECONDS] [--rounds N]\n"
    "\n"
    "Measures whoami round trips through the strongroomd answering at PATH (as an\n"
    "account of the calling uid) with 1 and 8 concurrent clients, and the floor: a\n"
    "Unix-socket ping-pong of the same bytes against an in-process server with a\n"
    "thread per connection. Each measurement runs ROUNDS times (default 3), floor and\n"
    "daemon alternating; the median run is reported. --daemon-pid adds the daemon's\n"
    "memory (VmRSS, VmHWM) before and after. --json prints one JSON document.\n";

struct Args {
    std::string socket;
    long daemon_pid = 0;
    bool json = false;
    double duration_s = 3.0;
    double warmup_s = 0.5;
    unsigned rounds = 3;
};

// Returns the arguments, or the exit status to leave with.
std::variant<Args, int> parse_args(int argc, char** argv) {
    Args a;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            std::cout << kUsage;
            return 0;
        }
        if (arg == "--json") {
            a.json = true;
            continue;
        }
        if (i + 1 >= argc) {
            std::cerr << fmt::format("strongroom_bench: {} needs a value (or is unknown)\n{}", arg,
                                     kUsage);
            return 2;
        }
        const char* value = argv[++i];
        bool ok = true;
        if (arg == "--socket") {
            a.socket = value;
        } else if (arg == "--daemon-pid") {
            const auto v = bench::parse_count(value, 1L << 22);
            ok = v.has_value();
            a.daemon_pid = v.value_or(0);
        } else if (arg == "--duration") {
            const auto v = bench::parse_seconds(value);
            ok = v.has_value() && *v > 0;
            a.duration_s = v.value_or(0);
        } else if (arg == "--warmup") {
            const auto v = bench::parse_seconds(value);
            ok = v.has_value();
            a.warmup_s = v.value_or(0);
        } else if (arg == "--rounds") {
            const auto v = bench::parse_count(value, 99);
            ok = v.has_value();
            a.rounds = static_cast<unsigned>(v.value_or(1));
        } else {
            std::cerr << fmt::format("strongroom_bench: unknown option {}\n{}", arg, kUsage);
            return 2;
        }
        if (!ok) {
            std::cerr << fmt::format("strongroom_bench: bad value '{}' for {}\n", value, arg);
            return 2;
        }
    }
    if (a.socket.empty()) {
        std::cerr << fmt::format("strongroom_bench: --socket is required\n{}", kUsage);
        return 2;
    }
    return a;
}

// ---- the daemon's side facts: memory and the writer's counters ----

struct Memory {
    std::int64_t rss_kib = -1;  // VmRSS
    std::int64_t hwm_kib = -1;  // VmHWM, the peak of VmRSS
};

Memory read_memory(long pid) {
    Memory m;
    if (pid <= 0) {
        return m;
    }
    std::ifstream in(fmt::format("/proc/{}/status", pid));
    std::string line;
    while (std::getline(in, line)) {
        const auto value = [&line] {
            return static_cast<std::int64_t>(std::strtoll(line.c_str() + 6, nullptr, 10));
        };
        if (line.starts_with("VmRSS:")) {
            m.rss_kib = value();
        } else if (line.starts_with("VmHWM:")) {
            m.hwm_kib = value();
        }
    }
    return m;
}

struct WriterStats {
    std::uint64_t commits = 0;
    std::uint64_t items = 0;
    std::uint64_t largest_batch = 0;
};

// The writer's counters from the daemon's status (an officer's request).
std::optional<WriterStats> writer_stats(const std::string& socket, std::string& why) {
    auto conn = sr::client::Connection::open(socket);
    if (!conn) {
        why = conn.error().message;
        return std::nullopt;
    }
    auto resp = conn->call("status", {});
    if (!resp) {
        why = resp.error().message;
        return std::nullopt;
    }
    if (resp->error) {
        why = resp->error->message;
        return std::nullopt;
    }
    const auto* w = resp->result.if_contains("writer");
    if (w == nullptr || !w->is_object()) {
        why = "status has no writer counters";
        return std::nullopt;
    }
    const auto number = [&w](const char* key) -> std::uint64_t {
        const auto* v = w->as_object().if_contains(key);
        boost::system::error_code ec;
        const auto n = v != nullptr ? v->to_number<std::uint64_t>(ec) : 0;
        return ec ? 0 : n;
    };
    return WriterStats{number("commits"), number("items"), number("largest_batch")};
}

// ---- the bytes of one exchange ----

// Sends one whoami the client library's way, then the exact request the
// benchmark repeats, and keeps the daemon's answer to it.
sr::Result<bench::Exchange> probe(const std::string& socket) {
    auto conn = sr::client::Connection::open(socket);
    if (!conn) {
        return std::move(conn).error();
    }
    auto first = conn->call("whoami", {});
    if (!first) {
        return std::move(first).error();
    }
    if (first->error) {
        return sr::make_error(
            first->error->code,
            fmt::format("whoami was refused: {} (the benchmark needs an account for uid {}; "
                        "bench/run creates one with strongroom-admin init)",
                        first->error->message, ::geteuid()));
    }

    sr::protocol::Request req;
    req.id = bench::kFirstId;
    req.op = "whoami";
    const std::string payload = sr::protocol::encode_request(req);
    if (auto st = conn->send_frame(sr::protocol::FrameType::message, payload); !st) {
        return std::move(st).error();
    }
    auto reply = conn->read_message();
    if (!reply) {
        return std::move(reply).error();
    }
    auto decoded = sr::protocol::decode_response(*reply, sr::protocol::Limits{});
    if (!decoded || decoded->error || decoded->id != bench::kFirstId) {
        return sr::make_error(sr::ErrorCode::internal,
                              fmt::format("unexpected answer to whoami: {}", *reply));
    }

    const std::string id_text = fmt::format("\"id\":{}", bench::kFirstId);
    const auto req_at = payload.find(id_text);
    const auto rep_at = reply->find(id_text);
    if (req_at == std::string::npos || rep_at == std::string::npos) {
        return sr::make_error(sr::ErrorCode::internal,
                              fmt::format("cannot find {} in {} or {}", id_text, payload, *reply));
    }
    bench::Exchange ex;
    ex.request_frame = sr::protocol::encode_frame(sr::protocol::FrameType::message, payload);
    ex.request_id_offset = sr::protocol::kHeaderSize + req_at + 5;
    ex.reply_payload = std::move(reply).value();
    ex.reply_id_offset = rep_at + 5;
    // Through the id and the next key: ,"result": (an error would differ).
    ex.reply_check_bytes =
        std::min(ex.reply_payload.size(), ex.reply_id_offset + bench::kIdDigits + 10);
    return ex;
}

// ---- measurements ----

enum class Target { floor, daemon };

std::string_view name_of(Target t) {
    return t == Target::floor ? "floor" : "whoami";
}

bench::RunResult measure_floor(const bench::Exchange& ex, std::size_t clients,
                               const bench::Timing& timing) {
    bench::FloorServer server(ex);
    std::vector<int> fds;
    bench::RunResult r;
    for (std::size_t i = 0; i < clients; ++i) {
        const int fd = bench::connect_unix(server.path());
        if (fd < 0) {
            r.failure = fmt::format("cannot connect to the floor server: {}", std::strerror(errno));
            break;
        }
        fds.push_back(fd);
    }
    if (r.failure.empty()) {
        server.accept(fds.size());
        r = bench::run_clients(fds, ex, timing);
    }
    for (int fd : fds) {
        ::close(fd);
    }
    server.join();
    return r;
}

bench::RunResult measure_daemon(const std::string& socket, const bench::Exchange& ex,
                                std::size_t clients, const bench::Timing& timing) {
    std::vector<sr::client::Connection> conns;
    std::vector<int> fds;
    for (std::size_t i = 0; i < clients; ++i) {
        auto c = sr::client::Connection::open(socket);
        if (!c) {
            bench::RunResult r;
            r.failure = c.error().message;
            return r;
        }
        fds.push_back(c->fd());
        conns.push_back(std::move(c).value());
    }
    return bench::run_clients(fds, ex, timing);
}

struct Measurement {
    Target target = Target::floor;
    std::size_t clients = 0;
    std::vector<bench::RunResult> runs;

    // The run with the median request rate.
    const bench::RunResult& median() const {
        std::vector<const bench::RunResult*> sorted;
        for (const auto& r : runs) {
            sorted.push_back(&r);
        }
        std::sort(sorted.begin(), sorted.end(), [](const auto* a, const auto* b) {
            return a->requests_per_s < b->requests_per_s;
        });
        return *sorted[(sorted.size() - 1) / 2];
    }
};

const Measurement& find(const std::vector<Measurement>& all, Target t, std::size_t clients) {
    for (const auto& m : all) {
        if (m.target == t && m.clients == clients) {
            return m;
        }
    }
    throw std::logic_error("no such measurement");
}

double ratio_of(const std::vector<Measurement>& all, std::size_t clients) {
    const double floor = find(all, Target::floor, clients).median().requests_per_s;
    return floor > 0 ? find(all, Target::daemon, clients).median().requests_per_s / floor : 0;
}

// ---- output ----

// JSON carries whole numbers (ns, ms, req/s) wherever it can.
std::int64_t whole(double v) {
    return static_cast<std::int64_t>(std::llround(v));
}

// Rounds to a number of decimals.
double round_to(double v, int decimals) {
    const double scale = std::pow(10.0, decimals);
    return std::round(v * scale) / scale;
}

std::string clients_text(std::size_t n) {
    return fmt::format("{} {}", n, n == 1 ? "client " : "clients");
}

std::string mib(std::int64_t kib) {
    return kib < 0 ? std::string("?")
                   : fmt::format("{:.1f} MiB", static_cast<double>(kib) / 1024.0);
}

struct Report {
    Args args;
    bench::Exchange exchange;
    std::vector<Measurement> measurements;
    Memory before;
    Memory after;
    std::optional<WriterStats> writer_before;
    std::optional<WriterStats> writer_after;
    std::string writer_why;
};

bool target_met(const Report& r) {
    const auto& m = find(r.measurements, Target::daemon, 8).median();
    return ratio_of(r.measurements, 8) >= kTargetRatio && m.p99_us < kTargetP99Us;
}

void print_table(const Report& rep) {
    const auto& ex = rep.exchange;
    std::cout << fmt::format(
        "strongroom bench: whoami through strongroomd against a Unix-socket floor, same run\n"
        "  request frame {} B ({} B payload), reply frame {} B ({} B payload): a real whoami "
        "exchange\n"
        "  {} round(s), floor and daemon alternating; each run {:.1f} s warm-up + {:.1f} s; "
        "median run shown\n\n",
        ex.request_frame.size(), ex.request_frame.size() - sr::protocol::kHeaderSize,
        ex.reply_payload.size() + sr::protocol::kHeaderSize, ex.reply_payload.size(),
        rep.args.rounds, rep.args.warmup_s, rep.args.duration_s);

    for (const std::size_t n : kClientCounts) {
        for (const Target t : {Target::floor, Target::daemon}) {
            const auto& m = find(rep.measurements, t, n).median();
            std::string line =
                fmt::format("{:<8} {}  {:>7.0f} req/s  p50 {:>5.0f} us  p99 {:>5.0f} us",
                            name_of(t), clients_text(n), m.requests_per_s, m.p50_us, m.p99_us);
            if (t == Target::daemon) {
                const double ratio = ratio_of(rep.measurements, n);
                line += fmt::format("  ratio {:.2f} of floor", ratio);
                if (n == 8) {
                    const bool ratio_ok = ratio >= kTargetRatio;
                    const bool p99_ok = m.p99_us < kTargetP99Us;
                    line += fmt::format("  p99 {:.2f} ms  [target >= {:.2f}, p99 < 1 ms: {}]",
                                        m.p99_us / 1000.0, kTargetRatio,
                                        ratio_ok && p99_ok ? "met" : "NOT met");
                    if (!ratio_ok) {
                        line += fmt::format(" ratio short by {:.2f} ({:.0f} req/s)",
                                            kTargetRatio - ratio,
                                            kTargetRatio * find(rep.measurements, Target::floor, n)
                                                               .median()
                                                               .requests_per_s -
                                                m.requests_per_s);
                    }
                    if (!p99_ok) {
                        line += fmt::format(" p99 over by {:.2f} ms",
                                            (m.p99_us - kTargetP99Us) / 1000.0);
                    }
                }
            }
            std::cout << line << '\n';
        }
    }

    std::cout << "\nevery run (req/s, p99 us):\n";
    for (const auto& m : rep.measurements) {
        std::string line = fmt::format("  {:<8} {} ", name_of(m.target), clients_text(m.clients));
        for (const auto& r : m.runs) {
            line += fmt::format(" {:>7.0f} ({:.0f})", r.requests_per_s, r.p99_us);
        }
        std::cout << line << '\n';
    }

    std::uint64_t bad = 0;
    for (const auto& m : rep.measurements) {
        for (const auto& r : m.runs) {
            bad += r.bad_replies;
        }
    }
    if (bad > 0) {
        std::cout << fmt::format(
            "\nWARNING: {} replies were not the expected answer "
            "(errors such as 'overloaded'); the figures are not valid\n",
            bad);
    }

    if (rep.args.daemon_pid > 0) {
        std::cout << fmt::format(
            "\ndaemon pid {} memory: before RSS {} (peak {}), after RSS {} (peak {})\n",
            rep.args.daemon_pid, mib(rep.before.rss_kib), mib(rep.before.hwm_kib),
            mib(rep.after.rss_kib), mib(rep.after.hwm_kib));
    }
    if (rep.writer_before && rep.writer_after) {
        const auto commits = rep.writer_after->commits - rep.writer_before->commits;
        const auto items = rep.writer_after->items - rep.writer_before->items;
        std::cout << fmt::format(
            "daemon writer during the benchmark: {} commits, {} items ({:.1f} per commit); "
            "largest batch since start {}\n",
            commits, items,
            commits > 0 ? static_cast<double>(items) / static_cast<double>(commits) : 0.0,
            rep.writer_after->largest_batch);
    } else {
        std::cout << fmt::format("daemon writer counters unavailable: {}\n", rep.writer_why);
    }
}

json::object run_json(const bench::RunResult& r) {
    json::object o;
    o["requests"] = r.requests;
    o["measured_ms"] = whole(r.seconds * 1000.0);
    o["requests_per_s"] = whole(r.requests_per_s);
    o["p50_ns"] = whole(r.p50_us * 1000.0);
    o["p99_ns"] = whole(r.p99_us * 1000.0);
    o["p999_ns"] = whole(r.p999_us * 1000.0);
    o["max_ns"] = whole(r.max_us * 1000.0);
    o["bad_replies"] = r.bad_replies;
    return o;
}

json::object writer_json(const WriterStats& w) {
    json::object o;
    o["commits"] = w.commits;
    o["items"] = w.items;
    o["largest_batch"] = w.largest_batch;
    return o;
}

json::object memory_json(const Memory& m) {
    json::object o;
    o["vm_rss_kib"] = m.rss_kib;
    o["vm_hwm_kib"] = m.hwm_kib;
    return o;
}

void print_json(const Report& rep) {
    json::object doc;
    json::object sizes;
    sizes["frame_header_bytes"] = sr::protocol::kHeaderSize;
    sizes["request_payload_bytes"] = rep.exchange.request_frame.size() - sr::protocol::kHeaderSize;
    sizes["reply_payload_bytes"] = rep.exchange.reply_payload.size();
    doc["sizes"] = std::move(sizes);

    json::object settings;
    settings["rounds"] = rep.args.rounds;
    settings["warmup_ms"] = whole(rep.args.warmup_s * 1000.0);
    settings["duration_ms"] = whole(rep.args.duration_s * 1000.0);
    settings["selection"] = "median run by requests_per_s";
    doc["settings"] = std::move(settings);

    json::array results;
    for (const auto& m : rep.measurements) {
        json::object o;
        o["name"] = name_of(m.target);
        o["clients"] = m.clients;
        o["median"] = run_json(m.median());
        json::array runs;
        for (const auto& r : m.runs) {
            runs.emplace_back(run_json(r));
        }
        o["runs"] = std::move(runs);
        if (m.target == Target::daemon) {
            o["ratio_of_floor"] = round_to(ratio_of(rep.measurements, m.clients), 3);
        }
        results.emplace_back(std::move(o));
    }
    doc["results"] = std::move(results);

    json::object target;
    target["clients"] = 8;
    target["min_ratio"] = kTargetRatio;
    target["max_p99_ns"] = whole(kTargetP99Us * 1000.0);
    target["ratio"] = round_to(ratio_of(rep.measurements, 8), 3);
    target["p99_ns"] = whole(find(rep.measurements, Target::daemon, 8).median().p99_us * 1000.0);
    target["met"] = target_met(rep);
    doc["target"] = std::move(target);

    json::object daemon;
    if (rep.args.daemon_pid > 0) {
        daemon["pid"] = rep.args.daemon_pid;
        daemon["memory_before"] = memory_json(rep.before);
        daemon["memory_after"] = memory_json(rep.after);
    }
    if (rep.writer_before && rep.writer_after) {
        daemon["writer_before"] = writer_json(*rep.writer_before);
        daemon["writer_after"] = writer_json(*rep.writer_after);
    } else {
        daemon["writer_unavailable"] = rep.writer_why;
    }
    doc["daemon"] = std::move(daemon);
    std::cout << json::serialize(doc) << '\n';
}

int run(const Args& args) {
    auto exchange = probe(args.socket);
    if (!exchange) {
        std::cerr << fmt::format("strongroom_bench: {}\n", exchange.error().message);
        return 1;
    }
    Report rep;
    rep.args = args;
    rep.exchange = std::move(exchange).value();
    std::cerr << fmt::format(
        "strongroom_bench: whoami request {} B, reply {} B (payloads; + {} B frame header)\n",
        rep.exchange.request_frame.size() - sr::protocol::kHeaderSize,
        rep.exchange.reply_payload.size(), sr::protocol::kHeaderSize);

    for (const std::size_t n : kClientCounts) {
        for (const Target t : {Target::floor, Target::daemon}) {
            rep.measurements.push_back(Measurement{t, n, {}});
        }
    }

    rep.before = read_memory(args.daemon_pid);
    rep.writer_before = writer_stats(args.socket, rep.writer_why);

    bench::Timing timing;
    timing.warmup = std::chrono::duration<double>(args.warmup_s);
    timing.duration = std::chrono::duration<double>(args.duration_s);
    for (unsigned round = 1; round <= args.rounds; ++round) {
        for (auto& m : rep.measurements) {
            auto r = m.target == Target::floor
                         ? measure_floor(rep.exchange, m.clients, timing)
                         : measure_daemon(args.socket, rep.exchange, m.clients, timing);
            if (!r.failure.empty()) {
                std::cerr << fmt::format("strongroom_bench: {} with {}: {}\n", name_of(m.target),
                                         clients_text(m.clients), r.failure);
                return 1;
            }
            std::cerr << fmt::format(
                "  round {}/{}: {:<6} {}  {:>7.0f} req/s  p50 {:>5.0f} us  p99 {:>5.0f} us{}\n",
                round, args.rounds, name_of(m.target), clients_text(m.clients), r.requests_per_s,
                r.p50_us, r.p99_us,
                r.bad_replies > 0 ? fmt::format("  {} bad replies", r.bad_replies) : "");
            m.runs.push_back(std::move(r));
            // Let the connections close and the writer catch up before the next run.
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    }

    rep.after = read_memory(args.daemon_pid);
    if (rep.writer_before) {
        rep.writer_after = writer_stats(args.socket, rep.writer_why);
    }

    if (args.json) {
        print_json(rep);
    } else {
        print_table(rep);
    }
    for (const auto& m : rep.measurements) {
        for (const auto& r : m.runs) {
            if (r.bad_replies > 0) {
                return 1;
            }
        }
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        auto parsed = parse_args(argc, argv);
        if (const int* code = std::get_if<int>(&parsed)) {
            return *code;
        }
        return run(std::get<Args>(parsed));
    } catch (const std::exception& e) {
        std::cerr << fmt::format("strongroom_bench: {}\n", e.what());
        return 1;
    }
}
