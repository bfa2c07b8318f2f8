#include "daemon/audit/checkpoint.hpp"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <stdexcept>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "daemon/common/files.hpp"
#include "daemon/common/text.hpp"

namespace strongroom::audit {
namespace {

constexpr std::string_view kTitle = "STRONGROOM AUDIT CHECKPOINT";

std::optional<Micros> parse_timestamp(std::string_view t) {
    // YYYY-MM-DDTHH:MM:SSZ, as format_timestamp writes it.
    if (t.size() != 20 || t[10] != 'T' || t[13] != ':' || t[16] != ':' || t[19] != 'Z') {
        return std::nullopt;
    }
    const auto day = parse_date(t.substr(0, 10));
    int h = 0;
    int m = 0;
    int s = 0;
    // Two digits (from_chars alone would take "-1").
    const auto num = [&t](std::size_t pos, int& out) {
        const auto digit = [](char c) { return c >= '0' && c <= '9'; };
        if (!digit(t[pos]) || !digit(t[pos + 1])) {
            return false;
        }
        const auto [p, ec] = std::from_chars(t.data() + pos, t.data() + pos + 2, out);
        return ec == std::errc{} && p == t.data() + pos + 2;
    };
    if (!day || !num(11, h) || !num(14, m) || !num(17, s) || h > 23 || m > 59 || s > 60) {
        return std::nullopt;
    }
    return *day + ((h * 60LL + m) * 60LL + s) * 1000000LL;
}

std::optional<std::int64_t> parse_seq(std::string_view t) {
    std::int64_t v = 0;
    const auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (ec != std::errc{} || p != t.data() + t.size() || v < 0) {
        return std::nullopt;
    }
    return v;
}

std::optional<store::Mac> parse_mac(std::string_view t) {
    const auto bytes = from_hex(t);
    if (!bytes || bytes->size() != store::Mac{}.size()) {
        return std::nullopt;
    }
    store::Mac m{};
    std::copy(bytes->begin(), bytes->end(), m.begin());
    return m;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> out;
    std::size_t from = 0;
    for (auto at = s.find(sep); at != std::string_view::npos; at = s.find(sep, from)) {
        out.push_back(s.substr(from, at - from));
        from = at + 1;
    }
    out.push_back(s.substr(from));
    return out;
}

std::string line_mac_under(crypto::HmacSha256& mac, std::int64_t seq, const std::string& head,
                           const std::string& at) {
    return to_hex(mac.mac(fmt::format("strongroom checkpoint v1|{}|{}|{}", seq, head, at)));
}

// One line of the checkpoint file, if its MAC holds under mac.
std::optional<Checkpoint> parse_line(std::string_view line, crypto::HmacSha256& mac) {
    const auto f = split(line, ' ');
    const auto seq = f.size() == 4 ? parse_seq(f[0]) : std::nullopt;
    const auto head = f.size() == 4 ? parse_mac(f[1]) : std::nullopt;
    const auto at = f.size() == 4 ? parse_timestamp(f[2]) : std::nullopt;
    if (!seq || !head || !at ||
        line_mac_under(mac, *seq, std::string(f[1]), std::string(f[2])) != f[3]) {
        return std::nullopt;
    }
    return Checkpoint{*seq, *head, *at};
}

std::string format_line(const Checkpoint& c, crypto::HmacSha256& mac) {
    const auto head = to_hex(c.head);
    const auto at = format_timestamp(c.at);
    return fmt::format("{} {} {} {}\n", c.seq, head, at, line_mac_under(mac, c.seq, head, at));
}

// The whole file open at fd, read from its start.
Result<std::string> read_all(int fd, const std::filesystem::path& path) {
    std::string text;
    if (const int err = io::read_file(fd, text); err != 0) {
        return make_error(ErrorCode::internal,
                          fmt::format("cannot read {}: {}", path.string(), std::strerror(err)));
    }
    return text;
}

}  // namespace

CheckpointLog::CheckpointLog(const std::filesystem::path& path, crypto::HmacSha256 mac)
    : path_(path), mac_(std::move(mac)) {
    fd_.reset(io::open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd_) {
        throw std::runtime_error(
            fmt::format("cannot open {}: {}", path.string(), std::strerror(errno)));
    }
}

CheckpointLog::~CheckpointLog() = default;

Status CheckpointLog::append(const Checkpoint& c) {
    std::lock_guard lock(mutex_);
    // A line written in part (the disk filled) is cut off again, so that the
    // next line starts where it should and the file holds no half line.
    struct stat before {};
    const bool sized = ::fstat(fd_.get(), &before) == 0;
    auto st = io::write_all(fd_.get(), format_line(c, mac_), path_);
    if (st && io::fdatasync(fd_.get()) != 0) {
        st = make_error(ErrorCode::internal,
                        fmt::format("cannot sync {}: {}", path_.string(), std::strerror(errno)));
    }
    if (!st && sized && ::ftruncate(fd_.get(), before.st_size) != 0) {
        // The half line stays; audit verify names it as a line it cannot read.
    }
    return st;
}

Result<CheckpointFileContent> CheckpointLog::read() const {
    std::string text;
    {
        std::lock_guard lock(mutex_);
        auto all = read_all(fd_.get(), path_);
        if (!all) {
            return std::move(all).error();
        }
        text = std::move(*all);
    }
    CheckpointFileContent out;
    std::size_t number = 0;
    std::lock_guard lock(mutex_);
    for (const auto line : split(text, '\n')) {
        ++number;
        if (line.empty()) {
            continue;
        }
        const auto c = parse_line(line, mac_);
        if (!c) {
            out.problems.push_back(
                fmt::format("{} line {} is not a checkpoint strongroomd wrote (altered?)",
                            path_.filename().string(), number));
            continue;
        }
        out.checkpoints.push_back(*c);
    }
    return out;
}

Result<RewrittenCheckpoints> rewrite_checkpoints(const std::filesystem::path& from,
                                                 const std::filesystem::path& to,
                                                 crypto::HmacSha256& old_mac,
                                                 crypto::HmacSha256& new_mac) {
    std::string text;
    const Fd in(::open(from.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!in && errno != ENOENT) {
        return make_error(ErrorCode::internal,
                          fmt::format("cannot read {}: {}", from.string(), std::strerror(errno)));
    }
    if (in) {
        auto all = read_all(in.get(), from);
        if (!all) {
            return std::move(all).error();
        }
        text = std::move(*all);
    }
    RewrittenCheckpoints done;
    std::string out;
    for (const auto line : split(text, '\n')) {
        if (line.empty()) {
            continue;
        }
        if (const auto c = parse_line(line, old_mac)) {
            out += format_line(*c, new_mac);
            ++done.rewritten;
        } else {
            out += std::string(line) + "\n";  // still reported as altered
            ++done.kept;
        }
    }
    Fd fd(io::open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd) {
        return make_error(ErrorCode::internal,
                          fmt::format("cannot write {}: {}", to.string(), std::strerror(errno)));
    }
    auto st = io::write_all(fd.get(), out, to);
    if (st && io::fsync(fd.get()) != 0) {
        st = make_error(ErrorCode::internal,
                        fmt::format("cannot sync {}: {}", to.string(), std::strerror(errno)));
    }
    fd.reset();
    if (!st) {
        return std::move(st).error();
    }
    return done;
}

std::string signed_checkpoint(const Checkpoint& c, const std::string& mission,
                              const crypto::Ed25519Key& key) {
    const auto body = fmt::format("{}\nmission: {}\nsequence: {}\nhead: {}\ntime: {}\n", kTitle,
                                  mission, c.seq, to_hex(c.head), format_timestamp(c.at));
    const auto sig = key.sign({reinterpret_cast<const std::uint8_t*>(body.data()), body.size()});
    return body + "signature: " + to_base64(sig) + "\n";
}

Result<ParsedCheckpoint> parse_signed_checkpoint(std::string_view text) {
    auto bad = [](std::string what) {
        return make_error(ErrorCode::bad_request,
                          "not a strongroom audit checkpoint: " + std::move(what));
    };
    auto lines = split(text, '\n');
    while (!lines.empty() && lines.back().empty()) {
        lines.pop_back();
    }
    if (lines.size() != 6 || lines[0] != kTitle) {
        return bad("it has six lines, the first STRONGROOM AUDIT CHECKPOINT");
    }
    auto field = [&lines](std::size_t i, std::string_view name) -> std::optional<std::string_view> {
        const auto prefix = std::string(name) + ": ";
        if (!lines[i].starts_with(prefix)) {
            return std::nullopt;
        }
        return lines[i].substr(prefix.size());
    };
    ParsedCheckpoint p;
    const auto mission = field(1, "mission");
    const auto seq = field(2, "sequence");
    const auto head = field(3, "head");
    const auto time = field(4, "time");
    const auto sig = field(5, "signature");
    if (!mission || !seq || !head || !time || !sig) {
        return bad("its lines are mission, sequence, head, time and signature");
    }
    const auto s = parse_seq(*seq);
    const auto h = parse_mac(*head);
    const auto t = parse_timestamp(*time);
    const auto g = from_base64(*sig);
    if (!s || !h || !t) {
        return bad("its sequence, head or time cannot be read");
    }
    if (!g || g->size() != p.signature.size()) {
        return bad("its signature is not 64 bytes of base64");
    }
    p.checkpoint = {*s, *h, *t};
    p.mission = std::string(*mission);
    std::copy(g->begin(), g->end(), p.signature.begin());
    const auto body_end = static_cast<std::size_t>(lines[5].data() - text.data());
    p.body = std::string(text.substr(0, body_end));
    return p;
}

std::string public_key_pem(const crypto::Ed25519Key::PublicKey& key) {
    // SubjectPublicKeyInfo for Ed25519 (RFC 8410): a fixed prefix, the key.
    std::vector<std::uint8_t> der{0x30, 0x2a, 0x30, 0x05, 0x06, 0x03,
                                  0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};
    der.insert(der.end(), key.begin(), key.end());
    return "-----BEGIN PUBLIC KEY-----\n" + to_base64(der) + "\n-----END PUBLIC KEY-----\n";
}

}  // namespace strongroom::audit
