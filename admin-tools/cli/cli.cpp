#include "admin-tools/cli/cli.hpp"

#include <algorithm>
#include <cstring>
#include <iostream>

#include <unistd.h>

#include <boost/json/serialize.hpp>
#include <fmt/format.h>

#include "admin-tools/client/client.hpp"

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
        std::cout << json::serialize(doc) << "\n";
    }
    std::cerr << global.program << ": " << error.message << "\n";
    return exit_status(error.code);
}

int call_and_print(const Global& global, std::string_view op, json::object args,
                   const HumanPrinter& human) {
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
    if (global.json) {
        std::cout << json::serialize(response->result) << "\n";
    } else {
        human(response->result);
    }
    std::cout.flush();
    return std::cout.good() ? 0 : 1;
}

int run(CLI::App& app, Global& global, int argc, char** argv) {
    // --json decides the form of usage errors too, so look for it first.
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--json") == 0) {
            global.json = true;
        }
    }
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        return fail(global,
                    make_error(ErrorCode::bad_request,
                               fmt::format("{} (see '{} --help')", e.what(), global.program)));
    }
    if (!global.action) {
        return fail(global,
                    make_error(ErrorCode::bad_request,
                               fmt::format("missing command (see '{} --help')", global.program)));
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

void print_table(std::ostream& out, const std::vector<std::string>& headers,
                 const std::vector<std::vector<std::string>>& rows) {
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
        out << k << ":" << std::string(width - k.size() + 1, ' ') << v << "\n";
    }
}

}  // namespace strongroom::cli
