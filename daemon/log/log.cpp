#include "daemon/log/log.hpp"

#include <atomic>
#include <vector>

#include <sys/uio.h>
#include <unistd.h>

#include <fmt/format.h>
#include <systemd/sd-journal.h>

namespace strongroom::log {
namespace {

std::atomic<Target> g_target{Target::journal};

std::string_view level_name(Priority p) {
    switch (p) {
        case Priority::crit:
            return "critical";
        case Priority::err:
            return "error";
        case Priority::warning:
            return "warning";
        case Priority::notice:
            return "notice";
        case Priority::info:
            return "info";
        case Priority::debug:
            return "debug";
    }
    return "info";
}

void to_stderr(const Message& m, std::string_view text, std::initializer_list<Field> fields) {
    std::string line = fmt::format("strongroomd: {}: {}", level_name(m.priority), text);
    for (const auto& f : fields) {
        line += fmt::format(" {}={}", f.key, f.value);
    }
    line.push_back('\n');
    // One write per line, so lines from different threads do not interleave.
    std::size_t off = 0;
    while (off < line.size()) {
        const ssize_t n = ::write(STDERR_FILENO, line.data() + off, line.size() - off);
        if (n <= 0) {
            break;
        }
        off += static_cast<std::size_t>(n);
    }
}

void to_journal(const Message& m, std::string_view text, std::initializer_list<Field> fields) {
    std::vector<std::string> parts;
    parts.reserve(5 + fields.size());
    parts.push_back(fmt::format("MESSAGE={}", text));
    parts.push_back(fmt::format("MESSAGE_ID={}", m.id));
    parts.push_back(fmt::format("PRIORITY={}", static_cast<int>(m.priority)));
    parts.push_back("SYSLOG_IDENTIFIER=strongroomd");
    parts.push_back(fmt::format("STRONGROOM_EVENT={}", m.name));
    for (const auto& f : fields) {
        parts.push_back(fmt::format("STRONGROOM_{}={}", f.key, f.value));
    }
    std::vector<iovec> iov;
    iov.reserve(parts.size());
    for (auto& p : parts) {
        iov.push_back(iovec{p.data(), p.size()});
    }
    sd_journal_sendv(iov.data(), static_cast<int>(iov.size()));
}

}  // namespace

void init(Target target) {
    g_target.store(target);
}

void emit(const Message& message, std::string_view text, std::initializer_list<Field> fields) {
    if (g_target.load() == Target::stderr_lines) {
        to_stderr(message, text, fields);
    } else {
        to_journal(message, text, fields);
    }
}

}  // namespace strongroom::log
