// Round trips over Unix stream sockets, for the benchmark driver.
//
// Both sides of the comparison run the same client loop on the same bytes:
// the floor is an in-process server with a thread per connection that answers
// every frame with a reply of the daemon's size, and the daemon is strongroomd
// answering whoami. Whatever separates the two figures is the daemon's work.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

namespace strongroom::bench {

// Request ids keep a fixed width so that every request and reply has the
// same size as the one measured against the daemon.
inline constexpr std::uint64_t kFirstId = 1000000;
inline constexpr std::uint64_t kLastId = 9999999;
inline constexpr std::size_t kIdDigits = 7;

// The bytes of one round trip, taken from a real whoami exchange.
struct Exchange {
    std::string request_frame;          // header and payload, sent as they are
    std::size_t request_id_offset = 0;  // of the id's digits in request_frame
    std::string reply_payload;          // the daemon's answer to the request
    std::size_t reply_id_offset = 0;    // of the id's digits in reply_payload
    // Reply bytes compared on every round trip: through the id and the key
    // after it, so an error answer or a wrong id counts as a bad reply.
    std::size_t reply_check_bytes = 0;
    // Optional: a second number in the request (a record id, say), arg_digits
    // wide at arg_offset of request_frame, taken in turn from arg_values on
    // each round trip (each client starts at a different place). Empty: only
    // the request id changes.
    std::vector<std::uint64_t> arg_values;
    std::size_t arg_offset = 0;
    std::size_t arg_digits = 0;
    // false: replies differ in size (answers about different records); only
    // their first reply_check_bytes are compared.
    bool fixed_reply_size = true;
};

struct Timing {
    std::chrono::duration<double> warmup{0.5};
    std::chrono::duration<double> duration{3.0};
};

struct RunResult {
    std::size_t clients = 0;
    std::uint64_t requests = 0;     // round trips begun in the measured window
    std::uint64_t bad_replies = 0;  // answers other than the expected one
    double seconds = 0;             // length of the measured window
    double requests_per_s = 0;
    double p50_us = 0;
    double p99_us = 0;
    double p999_us = 0;
    double max_us = 0;
    std::string failure;  // set: a connection failed and the run is void
};

// Runs one client thread per connected socket. All start together, run round
// trips for warm-up + duration and keep the latencies (steady_clock, from
// before the send to the end of the reply) of round trips begun after the
// warm-up.
RunResult run_clients(std::span<const int> fds, const Exchange& exchange, const Timing& timing);

// Connects to a Unix stream socket; -1 (errno set) on failure.
int connect_unix(const std::string& path);

// The floor: a Unix stream socket server in this process, one thread per
// connection, that reads a frame and answers with the reply's bytes (the
// request's id copied in). It does no other work.
class FloorServer {
public:
    explicit FloorServer(Exchange exchange);  // listens on a socket in a new temp directory
    ~FloorServer();                           // closes, joins and removes everything
    FloorServer(const FloorServer&) = delete;
    FloorServer& operator=(const FloorServer&) = delete;

    const std::string& path() const noexcept { return path_; }

    // Accepts n connections (already made by the clients) and serves each
    // on its own thread until the client closes it.
    void accept(std::size_t n);
    // Waits for the connection threads; the clients must have closed.
    void join();

private:
    void serve(int fd) const;

    Exchange exchange_;
    std::string dir_;
    std::string path_;
    int listen_fd_ = -1;
    std::vector<std::thread> threads_;
};

// Command-line numbers of the bench drivers: seconds in [0, 3600], counts in
// [1, max]; nothing for anything else.
std::optional<double> parse_seconds(const char* text);
std::optional<long> parse_count(const char* text, long max);

}  // namespace strongroom::bench
