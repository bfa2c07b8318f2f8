#include "admin-tools/cli/cli.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <iostream>
#include <map>
#include <variant>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json/serialize.hpp>
#include <fmt/format.h>

#include "admin-tools/client/client.hpp"
#include "daemon/common/fd.hpp"
#include "daemon/common/files.hpp"
#include "daemon/common/text.hpp"
#include "daemon/common/version.hpp"
#include "daemon/manual/manual.hpp"

namespace strongroom::cli {
namespace json = boost::json;

void add_global_options(CLI::App& app, Global& global) {
    global.socket = client::default_socket_path();
    app.add_option("--socket", global.socket,
                   "daemon socket (default: $STRONGROOM_SOCKET or /run/strongroom/strongroom.sock)")
        ->option_text("PATH");
    app.add_flag("--json", global.json, "print exactly one JSON document on stdout");
    app.fallthrough();
}

int fail(const Global& global, const Error& error) {
    if (global.json) {
        json::object err;
        err["code"] = to_string(error.code);
        err["message"] = error.message;
        json::object doc;
        doc["error"] = std::move(err);
        std::cout << json_text(doc) << "\n";
    }
    std::cerr << global.program << ": " << shown(error.message) << "\n";
    return exit_status(error.code);
}

namespace {

// While it lives, what would go to standard output goes to standard error:
// the outcome of a command whose -o is "-", so that standard output holds
// the content alone.
class OutcomeOnStderr {
public:
    explicit OutcomeOnStderr(bool active) : saved_(active ? std::cout.rdbuf() : nullptr) {
        if (saved_ != nullptr) {
            std::cout.flush();
            std::cout.rdbuf(std::cerr.rdbuf());
        }
    }
    ~OutcomeOnStderr() {
        if (saved_ != nullptr) {
            std::cout.flush();
            std::cout.rdbuf(saved_);
        }
    }
    OutcomeOnStderr(const OutcomeOnStderr&) = delete;
    OutcomeOnStderr& operator=(const OutcomeOnStderr&) = delete;

private:
    std::streambuf* saved_;
};

// Writes all of bytes to fd (retrying short writes and EINTR).
bool write_all(int fd, const void* data, std::size_t size) {
    return io::write_fully(fd, std::string_view(static_cast<const char*>(data), size)) == 0;
}

}  // namespace

// One request; its result, or the exit status of its failure (already printed).
std::variant<json::object, int> request(const Global& global, std::string_view op,
                                        json::object args) {
    auto conn = client::Connection::open(global.socket);
    if (!conn) {
        return fail(global, conn.error());
    }
    auto response = conn->call(op, std::move(args));
    if (!response) {
        return fail(global, response.error());
    }
    if (response->error) {
        return fail(global, *response->error);
    }
    return std::move(response->result);
}

int print_result(const Global& global, const json::object& result, const HumanPrinter& human) {
    if (global.json) {
        std::cout << json_text(result) << "\n";
    } else {
        human(result);
    }
    std::cout.flush();
    return std::cout.good() ? 0 : 1;
}

Status must_not_exist(const std::string& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0) {
        return make_error(ErrorCode::bad_request,
                          fmt::format("{} exists; remove it or choose another file", path));
    }
    return {};
}

std::string output_name(const std::string& out_path) {
    return out_path == "-" ? std::string("standard output") : shown(out_path);
}

Status write_output(const std::string& out_path, std::string_view content, mode_t mode) {
    if (out_path != "-") {
        return write_new_file(out_path, content, mode);
    }
    if (!write_all(STDOUT_FILENO, content.data(), content.size())) {
        return make_error(ErrorCode::internal,
                          fmt::format("cannot write to standard output: {}", std::strerror(errno)));
    }
    return {};
}

Status must_be_directory_path(const std::string& out_path) {
    if (out_path == "-") {
        return make_error(ErrorCode::bad_request,
                          "-o names a new directory here: a package is a directory of files and "
                          "cannot go to standard output; give the path of a new directory");
    }
    return {};
}

int call_and_print(const Global& global, std::string_view op, json::object args,
                   const HumanPrinter& human, const ExitStatus& status) {
    auto result = request(global, op, std::move(args));
    if (const int* rc = std::get_if<int>(&result)) {
        return *rc;
    }
    const auto& r = std::get<json::object>(result);
    const int rc = print_result(global, r, human);
    return rc != 0 || !status ? rc : status(r);
}

Status must_be_creatable(const std::string& path) {
    if (auto free = must_not_exist(path); !free) {
        return free;
    }
    // The temporary name write_new_file uses, made and removed at once: the
    // directory exists, this user may write there, the file system takes it.
    const std::string probe = path + ".part";
    const int fd =
        ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        return make_error(ErrorCode::bad_request,
                          fmt::format("cannot create {}: {}; nothing was done: choose a new file "
                                      "in a directory you can write",
                                      path, std::strerror(errno)));
    }
    ::close(fd);
    ::unlink(probe.c_str());
    return {};
}

int call_write_and_print(const Global& global, std::string_view op, json::object args,
                         std::string_view field, const std::string& out_path, mode_t mode,
                         const HumanPrinter& human, const DoneNote& done) {
    const bool to_stdout = out_path == "-";
    if (!out_path.empty() && !to_stdout) {
        if (auto free = must_be_creatable(out_path); !free) {
            return fail(global, free.error());
        }
    }
    auto result = request(global, op, std::move(args));
    if (const int* rc = std::get_if<int>(&result)) {
        return *rc;
    }
    auto& r = std::get<json::object>(result);
    const auto* document = r.if_contains(field);
    if (!out_path.empty() && (document == nullptr || !document->is_string())) {
        // A batch not executed yet, a closure not completed: no document.
        return fail(global,
                    make_error(ErrorCode::conflict,
                               fmt::format("there is no {} yet; nothing was written", field)));
    }
    if (out_path.empty()) {
        return print_result(global, r, human);
    }
    const std::string content(document->as_string());
    if (auto written = write_output(out_path, content, mode); !written) {
        return fail(global,
                    done ? make_error(written.error().code,
                                      fmt::format("{}; {}", done(r), written.error().message))
                         : written.error());
    }
    if (to_stdout) {
        // The document alone on standard output; the outcome on standard error.
        r["written"] = "standard output";
        OutcomeOnStderr outcome(true);
        return print_result(global, r, human);
    }
    r["written"] = out_path;
    return print_result(global, r, human);
}

namespace {

// A progress line on stderr, only when stderr is a terminal and the
// transfer is large enough to be worth watching.
class ProgressLine {
public:
    explicit ProgressLine(std::string verb) : verb_(std::move(verb)), tty_(::isatty(2) == 1) {}
    ~ProgressLine() {
        if (shown_) {
            std::cerr << "\r\033[K" << std::flush;
        }
    }
    ProgressLine(const ProgressLine&) = delete;
    ProgressLine& operator=(const ProgressLine&) = delete;

    void operator()(std::uint64_t bytes) {
        constexpr std::uint64_t kMiB = 1024 * 1024;
        if (!tty_ || bytes < 4 * kMiB || bytes - last_ < kMiB) {
            return;
        }
        last_ = bytes;
        shown_ = true;
        std::cerr << fmt::format("\r{} {} MiB", verb_, bytes / kMiB) << std::flush;
    }

private:
    std::string verb_;
    bool tty_;
    bool shown_ = false;
    std::uint64_t last_ = 0;
};

int print_response(const Global& global, const protocol::Response& response,
                   const HumanPrinter& human) {
    if (response.error) {
        return fail(global, *response.error);
    }
    if (global.json) {
        std::cout << json_text(response.result) << "\n";
    } else {
        human(response.result);
    }
    std::cout.flush();
    return std::cout.good() ? 0 : 1;
}

}  // namespace

int upload_and_print(const Global& global, std::string_view op, json::object args,
                     const std::string& path, const HumanPrinter& human) {
    const bool use_stdin = path == "-";
    const int fd = use_stdin ? 0 : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return fail(global,
                    make_error(ErrorCode::bad_request,
                               fmt::format("cannot read {}: {}", path, std::strerror(errno))));
    }
    struct stat st {};
    if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        ::close(fd);
        return fail(global,
                    make_error(ErrorCode::bad_request, fmt::format("{} is a directory", path)));
    }
    auto conn = client::Connection::open(global.socket);
    if (!conn) {
        if (!use_stdin) {
            ::close(fd);
        }
        return fail(global, conn.error());
    }
    ProgressLine progress("sent");
    auto response = conn->call_upload(
        op, std::move(args),
        [fd, &path](std::span<std::uint8_t> buf) -> Result<std::size_t> {
            const ssize_t n = retry_on_eintr([&] { return ::read(fd, buf.data(), buf.size()); });
            if (n < 0) {
                return make_error(ErrorCode::bad_request,
                                  fmt::format("cannot read {}: {}", path, std::strerror(errno)));
            }
            return static_cast<std::size_t>(n);
        },
        [&progress](std::uint64_t bytes) { progress(bytes); });
    if (!use_stdin) {
        ::close(fd);
    }
    if (!response) {
        return fail(global, response.error());
    }
    return print_response(global, *response, human);
}

Status write_new_file(const std::string& path, std::string_view content, mode_t mode) {
    if (auto free = must_not_exist(path); !free) {
        return free;
    }
    const std::string part = path + ".part";
    const int fd = ::open(part.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
    bool ok = fd >= 0;
    if (ok) {
        if (const int err = io::write_fully(fd, content); err != 0) {
            ok = false;
            errno = err;
        }
    }
    ok = ok && ::fsync(fd) == 0;
    const int saved = errno;
    if (fd >= 0) {
        ::close(fd);
    }
    if (!ok || ::rename(part.c_str(), path.c_str()) != 0) {
        const int err = ok ? errno : saved;
        if (fd >= 0) {
            ::unlink(part.c_str());
        }
        return make_error(ErrorCode::internal,
                          fmt::format("cannot write {}: {}", path, std::strerror(err)));
    }
    return {};
}

namespace {

// download_and_print with "-": the content alone on standard output as it
// arrives, the outcome (and a marking that cannot travel in the content) on
// standard error.
int download_to_stdout(const Global& global, std::string_view op, json::object args,
                       const HumanPrinter& human) {
    auto conn = client::Connection::open(global.socket);
    if (!conn) {
        return fail(global, conn.error());
    }
    std::cout.flush();
    auto response = conn->call_download(
        op, std::move(args),
        [](std::span<const std::uint8_t> bytes) -> Status {
            if (!write_all(STDOUT_FILENO, bytes.data(), bytes.size())) {
                return make_error(
                    ErrorCode::bad_request,
                    fmt::format("cannot write to standard output: {}", std::strerror(errno)));
            }
            return {};
        },
        [](std::uint64_t) {});
    if (!response) {
        return fail(global, response.error());
    }
    OutcomeOnStderr outcome(true);
    if (!response->error) {
        const auto& r = response->result;
        const auto* marked = r.if_contains("marked");
        const auto* marking = r.if_contains("marking");
        if (marked != nullptr && marking != nullptr && marked->is_string() &&
            marking->is_string() && marked->as_string() == "sidecar") {
            std::cerr << "marking: " << shown(marking->as_string()) << "\n";
        }
    }
    return print_response(global, *response, human);
}

}  // namespace

int download_and_print(const Global& global, std::string_view op, json::object args,
                       const std::string& out_path, const HumanPrinter& human) {
    if (out_path == "-") {
        return download_to_stdout(global, op, std::move(args), human);
    }
    // Content that cannot carry its marking gets it in a file beside it.
    const std::string sidecar = out_path + ".marking";
    // Checked before the request: a copy is numbered, and a backup taken,
    // as the answer goes out.
    for (const auto& free : {must_be_creatable(out_path), must_not_exist(sidecar)}) {
        if (!free) {
            return fail(global, free.error());
        }
    }
    const std::string part = out_path + ".part";
    int fd = -1;
    auto conn = client::Connection::open(global.socket);
    if (!conn) {
        return fail(global, conn.error());
    }
    ProgressLine progress("received");
    Status write_error;
    auto response = conn->call_download(
        op, std::move(args),
        [&](std::span<const std::uint8_t> bytes) -> Status {
            if (fd < 0) {
                fd = ::open(part.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
                            0600);
                if (fd < 0) {
                    return make_error(
                        ErrorCode::bad_request,
                        fmt::format("cannot write {}: {}", part, std::strerror(errno)));
                }
            }
            if (const int err = io::write_fully(fd, bytes); err != 0) {
                return make_error(ErrorCode::bad_request,
                                  fmt::format("cannot write {}: {}", part, std::strerror(err)));
            }
            return {};
        },
        [&progress](std::uint64_t bytes) { progress(bytes); });
    const bool ok = response && !response->error;
    if (ok && fd < 0) {
        // Empty content: no data frame arrived, but the file is due.
        fd = ::open(part.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    }
    if (fd >= 0) {
        const bool synced = ::fsync(fd) == 0;
        ::close(fd);
        if (!ok || !synced || ::rename(part.c_str(), out_path.c_str()) != 0) {
            ::unlink(part.c_str());
            if (ok) {
                return fail(global, make_error(ErrorCode::internal,
                                               fmt::format("cannot write {}: {}", out_path,
                                                           std::strerror(errno))));
            }
        }
    } else if (ok) {
        return fail(global, make_error(ErrorCode::internal, fmt::format("cannot write {}: {}", part,
                                                                        std::strerror(errno))));
    }
    if (!response) {
        return fail(global, response.error());
    }
    if (ok) {
        const auto& r = response->result;
        const auto* marked = r.if_contains("marked");
        const auto* marking = r.if_contains("marking");
        if (marked != nullptr && marking != nullptr && marked->is_string() &&
            marking->is_string() && marked->as_string() == "sidecar") {
            const int sfd =
                ::open(sidecar.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
            // One line, whatever the daemon sent.
            const std::string line = shown(marking->as_string()) + "\n";
            const bool written =
                sfd >= 0 &&
                ::write(sfd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
                ::fsync(sfd) == 0;
            if (sfd >= 0) {
                ::close(sfd);
            }
            if (!written) {
                return fail(global,
                            make_error(ErrorCode::internal,
                                       fmt::format("{} was written but its marking could not be: "
                                                   "cannot write {}: {}",
                                                   out_path, sidecar, std::strerror(errno))));
            }
        }
    }
    return print_response(global, *response, human);
}

namespace {

constexpr std::string_view kExitStatus =
    "Exit status: 0 done (or waiting for a second person's approval), 1 internal error,\n"
    "2 bad request, 3 denied, 4 not found (or not visible to you), 5 conflict (refused by\n"
    "state, or a failed verification), 6 the daemon cannot be reached. With --json, stdout\n"
    "holds the result or {\"error\": {\"code\": ..., \"message\": ...}}.";

// The --help footer of a command: its examples, then the exit codes.
std::string footer_of(const CLI::App* command, const std::string& program) {
    std::string out;
    const auto& list = examples_of(command);
    if (!list.empty()) {
        out += list.size() == 1 ? "Example:\n" : "Examples:\n";
        for (const auto& e : list) {
            out += fmt::format("  {}\n      {}\n", e.command, e.what);
        }
        out += "\n";
    }
    if (!command->get_subcommands([](const CLI::App*) { return true; }).empty()) {
        out += fmt::format("Run '{} --help' for a command's options and examples.\n\n",
                           command_path(command, program) + " COMMAND");
    }
    out += kExitStatus;
    return out;
}

void add_footers(CLI::App* command, const std::string& program) {
    command->footer([command, program] { return footer_of(command, program); });
    for (auto* sub : command->get_subcommands([](CLI::App*) { return true; })) {
        add_footers(sub, program);
    }
}

// The innermost command the command line chose (the tool itself if none).
const CLI::App* chosen_command(const CLI::App& app) {
    const CLI::App* at = &app;
    for (auto subs = at->get_subcommands(); !subs.empty(); subs = at->get_subcommands()) {
        at = subs.front();
    }
    return at;
}

// The hand-written parts of a tool's manual page; the commands, options
// and examples come from its command tree.
manual::Page manual_page(const CLI::App& app, const std::string& program) {
    const bool admin = program == "strongroom-admin";
    manual::Page page;
    page.name = program;
    page.section = admin ? "8" : "1";
    std::string summary = app.get_description();
    if (const auto colon = summary.find(": "); colon != std::string::npos) {
        summary = summary.substr(colon + 2);
    }
    page.summary = summary;
    page.source = fmt::format("Strongroom {}", kVersion);
    page.date = manual::build_date();
    const std::string who =
        admin ? "Technical officers administer accounts, roles, compartments, posts and grants "
                "with it; registry clerks (registrars) run retention, disposal, holds and "
                "transfers; auditors read the audit trail and the reports. Changes that need a "
                "second person wait as pending until another officer approves them."
              : "Holders of posts read, ingest, disseminate, copy and release records with it; "
                "what each person may see is decided by the daemon from their account's "
                "clearance, compartments and need to know.";
    page.described.push_back(manual::Section{
        "DESCRIPTION",
        fmt::format(
            "{} is one of the two command-line tools of Strongroom, an encrypted registry of "
            "classified material. It sends each command to the daemon, strongroomd(8), over "
            "its local Unix socket and prints the answer; the daemon decides and audits every "
            "request. {}\n\nThe daemon knows the caller by their Unix uid: each person "
            "has an account bound to their uid (created by an officer with strongroom-admin "
            "account add). To reach the socket a person must also be a member of the group "
            "strongroom-users; an officer adds them with\n\n  usermod -aG strongroom-users "
            "NAME\n\n(effective at their next login). Global options may be given before or "
            "after the command.",
            program, who),
        {}});
    page.closing.push_back(manual::Section{
        "OUTPUT",
        "Answers go to standard output; errors go to standard error as one line that says "
        "what to do. With --json, standard output holds exactly one JSON document: the result, "
        "or {\"error\": {\"code\": ..., \"message\": ...}}. Text that other accounts "
        "stored is shown with control characters escaped, so it cannot act on the terminal. "
        "Where a command writes a file with -o, - means standard output.",
        {}});
    page.closing.push_back(manual::Section{
        "EXIT STATUS",
        "",
        {{"0", "done (or waiting for a second person's approval)"},
         {"1", "internal error: the message says what to look at"},
         {"2", "bad request: the command line or the request is malformed"},
         {"3", "denied: the caller may not do this (including callers without an account)"},
         {"4", "not found, or not visible to the caller"},
         {"5",
          "conflict: refused by state (a hold, a copy limit, a pending approval, an "
          "approval by the same person) or a failed verification"},
         {"6", "unavailable: the daemon cannot be reached, or is refusing changes for now"}}});
    page.closing.push_back(manual::Section{
        "ENVIRONMENT",
        "",
        {{"STRONGROOM_SOCKET", "the daemon's socket, when --socket is not given"}}});
    page.closing.push_back(
        manual::Section{"FILES",
                        "",
                        {{"/run/strongroom/strongroom.sock",
                          "the daemon's socket (group strongroom-users, mode 0660)"}}});
    page.closing.push_back(manual::Section{
        "SEE ALSO",
        admin ? "strongroom(1), strongroomd(8), strongroomd.conf(5); "
                "/usr/share/doc/strongroom/operations.md"
              : "strongroom-admin(8), strongroomd(8); /usr/share/doc/strongroom/README.md",
        {}});
    return page;
}

}  // namespace

void examples(CLI::App* command, std::vector<Example> list) {
    manual::set_examples(command, std::move(list));
}

const std::vector<Example>& examples_of(const CLI::App* command) {
    return manual::examples_of(command);
}

std::string command_path(const CLI::App* command, const std::string& program) {
    std::vector<std::string> names;
    for (const CLI::App* at = command; at != nullptr && at->get_parent() != nullptr;
         at = at->get_parent()) {
        names.push_back(at->get_name());
    }
    std::string out = program;
    for (auto it = names.rbegin(); it != names.rend(); ++it) {
        out += " " + *it;
    }
    return out;
}

int run(CLI::App& app, Global& global, int argc, char** argv) {
    // A reader that goes away (| head) gives EPIPE, reported like any other
    // write error, instead of killing the tool before it can say what was
    // done (a disposal executed whose certificate did not reach the pipe).
    std::signal(SIGPIPE, SIG_IGN);
    if (argc == 2 && std::strcmp(argv[1], "--generate-manual") == 0) {
        std::cout << manual::man_page(app, manual_page(app, global.program));
        return std::cout.flush() ? 0 : 1;
    }
    if (argc == 2 && std::strcmp(argv[1], "--generate-completion") == 0) {
        std::cout << manual::bash_completion(app, global.program);
        return std::cout.flush() ? 0 : 1;
    }
    // --json decides the form of usage errors too, so look for it first.
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--json") == 0) {
            global.json = true;
        }
    }
    add_footers(&app, global.program);
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        // Point to the help of the command the caller was typing, and name
        // every required argument that is missing, not only the first.
        const CLI::App* command = chosen_command(app);
        const std::string help = command_path(command, global.program) + " --help";
        if (dynamic_cast<const CLI::RequiredError*>(&e) != nullptr) {
            std::string missing;
            for (const auto* o : command->get_options()) {
                if (o->get_required() && o->count() == 0) {
                    missing += (missing.empty() ? "" : ", ") + o->get_name();
                }
            }
            if (!missing.empty()) {
                return fail(global,
                            make_error(ErrorCode::bad_request,
                                       fmt::format("missing {} (see '{}')", missing, help)));
            }
            std::string names;
            for (const auto* sub : command->get_subcommands([](const CLI::App*) { return true; })) {
                names += (names.empty() ? "" : ", ") + sub->get_name();
            }
            if (!names.empty()) {
                return fail(global, make_error(ErrorCode::bad_request,
                                               fmt::format("missing command: one of {} (see '{}')",
                                                           names, help)));
            }
        }
        return fail(global, make_error(ErrorCode::bad_request,
                                       fmt::format("{} (see '{}')", e.what(), help)));
    }
    if (!global.action) {
        return fail(global,
                    make_error(ErrorCode::bad_request,
                               fmt::format("missing command (see '{} --help')",
                                           command_path(chosen_command(app), global.program))));
    }
    return global.action();
}

std::string text(const json::value& v, std::string_view sep) {
    if (const auto* s = v.if_string()) {
        return std::string(s->data(), s->size());
    }
    if (const auto* a = v.if_array()) {
        std::string out;
        for (std::size_t i = 0; i < a->size(); ++i) {
            if (i > 0) {
                out += sep;
            }
            out += text((*a)[i], sep);
        }
        return out;
    }
    if (v.is_null()) {
        return "";
    }
    return json::serialize(v);
}

std::string shown(std::string_view text) {
    return escape_controls(text);
}

std::string shown_lines(std::string_view text) {
    return escape_controls(text, true);
}

std::string show(const json::value& v, std::string_view sep) {
    return shown(text(v, sep));
}

std::string json_text(const json::value& v) {
    return escape_controls_in_json(json::serialize(v));
}

void print_table(std::ostream& out, const std::vector<std::string>& raw_headers,
                 const std::vector<std::vector<std::string>>& raw_rows) {
    std::vector<std::string> headers;
    for (const auto& h : raw_headers) {
        headers.push_back(shown(h));
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& raw : raw_rows) {
        auto& row = rows.emplace_back();
        for (const auto& cell : raw) {
            row.push_back(shown(cell));
        }
    }
    std::vector<std::size_t> width(headers.size());
    for (std::size_t c = 0; c < headers.size(); ++c) {
        width[c] = headers[c].size();
        for (const auto& r : rows) {
            if (c < r.size()) {
                width[c] = std::max(width[c], r[c].size());
            }
        }
    }
    auto line = [&](const std::vector<std::string>& cells) {
        std::string s;
        for (std::size_t c = 0; c < headers.size(); ++c) {
            const std::string& cell = c < cells.size() ? cells[c] : std::string();
            s += cell;
            if (c + 1 < headers.size()) {
                s += std::string(width[c] - cell.size() + 2, ' ');
            }
        }
        out << s << "\n";
    };
    line(headers);
    for (const auto& r : rows) {
        line(r);
    }
}

void print_fields(std::ostream& out,
                  const std::vector<std::pair<std::string, std::string>>& fields) {
    std::size_t width = 0;
    for (const auto& f : fields) {
        width = std::max(width, f.first.size());
    }
    for (const auto& [k, v] : fields) {
        out << shown(k) << ":" << std::string(width - k.size() + 1, ' ') << shown(v) << "\n";
    }
}

}  // namespace strongroom::cli
