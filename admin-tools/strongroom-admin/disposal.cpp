// strongroom-admin disposal and certificate (CLI.md, registrars; auditors
// list, show and verify).
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <boost/json/array.hpp>
#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "admin-tools/cli/report.hpp"
#include "admin-tools/strongroom-admin/commands.hpp"
#include "daemon/common/text.hpp"
#include "daemon/common/time.hpp"

namespace strongroom::admin {
namespace json = boost::json;

namespace {

constexpr std::string_view kTitle = "STRONGROOM DESTRUCTION CERTIFICATE\n";
constexpr std::string_view kTransferTitle = "STRONGROOM TRANSFER CERTIFICATE\n";

struct ParsedCertificate {
    std::string body;  // what the signature covers
    std::vector<std::uint8_t> signature;
    std::uint64_t batch = 0;
    std::string kind;  // destroy | transfer
};

Result<ParsedCertificate> parse_certificate(const std::string& text) {
    auto bad = [](std::string_view why) {
        return make_error(ErrorCode::bad_request,
                          fmt::format("not a strongroom destruction certificate: {}", why));
    };
    if (!text.starts_with(kTitle) && !text.starts_with(kTransferTitle)) {
        return bad(
            "its first line is STRONGROOM DESTRUCTION CERTIFICATE or STRONGROOM TRANSFER "
            "CERTIFICATE");
    }
    const auto sig_at = text.rfind("\nsignature: ");
    if (sig_at == std::string::npos || !text.ends_with("\n")) {
        return bad("it ends with a line \"signature: BASE64\"");
    }
    ParsedCertificate p;
    p.body = text.substr(0, sig_at + 1);
    const auto sig =
        from_base64(std::string_view(text).substr(sig_at + 12, text.size() - sig_at - 13));
    if (!sig || sig->size() != 64) {
        return bad("its signature is not 64 bytes of base64");
    }
    p.signature = *sig;
    const auto batch_at = p.body.find("\nbatch: ");
    if (batch_at == std::string::npos) {
        return bad("it names its batch");
    }
    const auto end = p.body.find('\n', batch_at + 8);
    const auto number = p.body.substr(batch_at + 8, end - batch_at - 8);
    if (number.empty() || number.size() > 18 ||
        number.find_first_not_of("0123456789") != std::string::npos) {
        return bad("its batch is a number");
    }
    p.batch = std::stoull(number);
    p.kind = text.starts_with(kTitle) ? "destroy" : "transfer";
    return p;
}

// Ed25519 over the body with the public key in PEM, by stock OpenSSL.
bool signature_valid(const std::string& pem, const ParsedCertificate& c) {
    BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    if (bio == nullptr) {
        return false;
    }
    EVP_PKEY* key = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    if (key == nullptr) {
        return false;
    }
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    bool ok =
        ctx != nullptr && EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, key) == 1 &&
        EVP_DigestVerify(ctx, c.signature.data(), c.signature.size(),
                         reinterpret_cast<const unsigned char*>(c.body.data()), c.body.size()) == 1;
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(key);
    return ok;
}

std::string sha256_hex(const std::string& text) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(text.data(), text.size(), md, &len, EVP_sha256(), nullptr);
    return to_hex({md, len});
}

void print_batch(const json::object& b) {
    cli::print_fields(std::cout,
                      {{"batch", cli::show(b.at("batch"))},
                       {"state", cli::show(b.at("state"))},
                       {"as of", cli::show(b.at("as_of"))},
                       {"records", cli::show(b.at("records"))},
                       {"proposed", fmt::format("{} {}", cli::show(b.at("proposed_by")),
                                                cli::show(b.at("proposed")))},
                       {"approved", b.at("approved_by").is_null()
                                        ? std::string("-")
                                        : fmt::format("{} {}", cli::show(b.at("approved_by")),
                                                      cli::show(b.at("approved")))},
                       {"executed", b.at("executed_by").is_null()
                                        ? std::string("-")
                                        : fmt::format("{} {}", cli::show(b.at("executed_by")),
                                                      cli::show(b.at("executed")))}});
}

// A certificate as a report document, for the printable page: its fields as
// the scope, its records as rows.
json::object certificate_report(const ParsedCertificate& c) {
    std::istringstream lines(c.body);
    std::string line;
    std::getline(lines, line);
    const bool transfer = c.kind == "transfer";
    std::string scope;
    json::array rows;
    while (std::getline(lines, line)) {
        if (line.starts_with("record: ")) {
            json::array cells;
            std::string rest = line.substr(8);
            for (std::size_t at = 0;;) {
                const auto bar = rest.find(" | ", at);
                cells.emplace_back(rest.substr(at, bar == std::string::npos ? bar : bar - at));
                if (bar == std::string::npos) {
                    break;
                }
                at = bar + 3;
            }
            json::object row;
            const char* keys[] = {"record", "registry_number", "level", "type", "dated",
                                  "size",   "sha256",          "copies"};
            for (std::size_t i = 0; i < std::size(keys) && i < cells.size(); ++i) {
                row[keys[i]] = cells[i];
            }
            rows.push_back(std::move(row));
        } else if (!line.empty()) {
            scope += (scope.empty() ? "" : "; ") + line;
        }
    }
    json::array columns;
    for (const auto& [key, label] :
         std::vector<std::pair<const char*, const char*>>{{"record", "Record"},
                                                          {"registry_number", "Registry number"},
                                                          {"level", "Level"},
                                                          {"type", "Type"},
                                                          {"dated", "Date"},
                                                          {"size", "Size"},
                                                          {"sha256", "SHA-256"},
                                                          {"copies", "Copies accounted for"}}) {
        columns.push_back(json::object{{"key", key}, {"label", label}});
    }
    json::object report;
    report["title"] =
        fmt::format("{} certificate, batch {}", transfer ? "Transfer" : "Destruction", c.batch);
    report["scope"] = scope + "; signature (Ed25519): " + to_base64(c.signature);
    report["generated"] = format_timestamp(now_micros());
    report["generated_by"] = "strongroom-admin certificate print";
    report["columns"] = std::move(columns);
    report["rows"] = std::move(rows);
    return report;
}

void add_certificate_commands(CLI::App& app, cli::Global& g) {
    auto* certificate = app.add_subcommand("certificate", "destruction and transfer certificates");
    certificate->require_subcommand(1);
    static std::string print_file;
    static std::string print_out;
    auto* print = certificate->add_subcommand(
        "print", "a certificate as a printable HTML page (check it with 'certificate verify')");
    print->add_option("FILE", print_file, "the certificate")->required();
    print->add_option("-o,--output", print_out, "the new HTML file (default: standard output)")
        ->option_text("FILE");
    cli::examples(print, {{"strongroom-admin certificate print disposal-3-certificate.txt -o "
                           "disposal-3.html",
                           "a printable page of the certificate, without asking the daemon"}});
    print->callback([&g] {
        g.action = [&g]() -> int {
            std::ifstream in(print_file, std::ios::binary);
            if (!in) {
                return cli::fail(g, make_error(ErrorCode::bad_request,
                                               fmt::format("cannot read {}: {}", print_file,
                                                           std::strerror(errno))));
            }
            std::ostringstream buf;
            buf << in.rdbuf();
            auto parsed = parse_certificate(buf.str());
            if (!parsed) {
                return cli::fail(g, parsed.error());
            }
            const auto page = cli::render_html(certificate_report(*parsed));
            if (print_out.empty()) {
                std::cout << page;
                return std::cout.good() ? 0 : 1;
            }
            if (auto st = cli::write_output(print_out, page, 0644); !st) {
                return cli::fail(g, st.error());
            }
            return 0;
        };
    });
    static std::string file;
    auto* verify = certificate->add_subcommand(
        "verify", "check a certificate's signature, the register's copy and the records");
    verify->add_option("FILE", file, "the certificate")->required();
    cli::examples(verify, {{"strongroom-admin certificate verify disposal-3-certificate.txt",
                            "checks its signature and the register; exit 5 unless valid"}});
    verify->callback([&g] {
        g.action = [&g]() -> int {
            std::ifstream in(file, std::ios::binary);
            if (!in) {
                return cli::fail(
                    g, make_error(ErrorCode::bad_request,
                                  fmt::format("cannot read {}: {}", file, std::strerror(errno))));
            }
            std::ostringstream buf;
            buf << in.rdbuf();
            const auto text = buf.str();
            auto parsed = parse_certificate(text);
            if (!parsed) {
                return cli::fail(g, parsed.error());
            }
            auto key = cli::request(g, "audit.public-key", {});
            if (const int* rc = std::get_if<int>(&key)) {
                return *rc;
            }
            // The current key, or one a rekey retired (a certificate signed
            // before the rekey).
            const auto& keys = std::get<json::object>(key);
            bool sig_ok = signature_valid(std::string(keys.at("pem").as_string()), *parsed);
            std::optional<std::int64_t> retired_key;
            if (const auto* retired = keys.if_contains("retired"); retired && !sig_ok) {
                for (const auto& k : retired->as_array()) {
                    if (signature_valid(std::string(k.at("pem").as_string()), *parsed)) {
                        sig_ok = true;
                        retired_key = k.at("key").to_number<std::int64_t>();
                        break;
                    }
                }
            }
            auto checked = cli::request(g, "certificate.verify",
                                        json::object{{"batch", parsed->batch},
                                                     {"sha256", sha256_hex(text)},
                                                     {"kind", parsed->kind}});
            if (const int* rc = std::get_if<int>(&checked)) {
                return *rc;
            }
            auto& r = std::get<json::object>(checked);
            r["signature_valid"] = sig_ok;
            if (retired_key) {
                r["signed_by_retired_key"] = *retired_key;
            }
            auto& problems = r["problems"].as_array();
            if (!sig_ok) {
                problems.insert(problems.begin(),
                                "the signature does not verify with this strongroom's public key");
            }
            const bool valid = sig_ok && r.at("valid").as_bool();
            r["valid"] = valid;
            const int rc = cli::print_result(g, r, [&](const json::object& o) {
                const bool transfer = o.at("kind") == "transfer";
                std::cout << fmt::format(
                    "{}: certificate of {} batch {}, {} records ({} {})\n",
                    valid ? "valid" : "NOT VALID", transfer ? "transfer" : "disposal",
                    cli::show(o.at("batch")), cli::show(o.at("records")),
                    cli::show(o.at("records_destroyed")), transfer ? "removed here" : "destroyed");
                if (const auto* k = o.if_contains("signed_by_retired_key")) {
                    std::cout << fmt::format("  signed with retired key {} (before a rekey)\n",
                                             cli::show(*k));
                }
                for (const auto& p : o.at("problems").as_array()) {
                    std::cout << "  " << cli::show(p) << "\n";
                }
            });
            return rc != 0 ? rc : valid ? 0 : exit_status(ErrorCode::conflict);
        };
    });
}

}  // namespace

void add_disposal_commands(CLI::App& app, cli::Global& g) {
    auto* disposal = app.add_subcommand("disposal", "destruction of records due (registrars)");
    disposal->require_subcommand(1);

    static std::string as_of;
    static std::optional<std::uint64_t> limit;
    auto* propose = disposal->add_subcommand(
        "propose",
        "propose a batch of the records due for destruction (not on hold, no copies out)");
    propose->add_option("--as-of", as_of, "due as of the end of this day (default: now)")
        ->option_text("YYYY-MM-DD");
    propose->add_option("--limit", limit, "at most this many records (default 10000)")
        ->option_text("N");
    cli::examples(propose, {{"strongroom-admin disposal propose",
                             "a batch of the records due for destruction now"},
                            {"strongroom-admin disposal propose --as-of 2026-06-30",
                             "those due by the end of June 2026"}});
    propose->callback([&g] {
        g.action = [&g] {
            json::object args;
            if (!as_of.empty()) {
                args["as_of"] = as_of;
            }
            if (limit) {
                args["limit"] = *limit;
            }
            return cli::call_and_print(
                g, "disposal.propose", std::move(args), [](const json::object& r) {
                    for (const auto& b : r.at("blockers").as_array()) {
                        std::cout << "blocked: " << cli::show(b.at("reason")) << "\n";
                    }
                    if (r.at("batch").is_null()) {
                        std::cout << "nothing to propose: no record due for destruction is free of "
                                     "holds and copies\n";
                        return;
                    }
                    std::cout << fmt::format(
                        "batch {}: {} records ({})\n{}\n", cli::show(r.at("batch")),
                        r.at("records").as_array().size(), cli::show(r.at("records"), ","),
                        cli::show(r.at("message")));
                    if (r.at("left").to_number<std::int64_t>() > 0) {
                        std::cout << fmt::format("{} more due: propose again after this batch\n",
                                                 cli::show(r.at("left")));
                    }
                });
        };
    });

    static std::uint64_t batch = 0;
    auto* approve = disposal->add_subcommand("approve", "approve a batch (not its proposer)");
    approve->add_option("BATCH", batch, "the batch")->required();
    cli::examples(approve, {{"strongroom-admin disposal approve 3",
                             "approves batch 3 (proposed by another registrar)"}});
    approve->callback([&g] {
        g.action = [&g] {
            return cli::call_and_print(g, "disposal.approve", json::object{{"batch", batch}},
                                       print_batch);
        };
    });

    static std::string certificate_out;
    auto* execute = disposal->add_subcommand(
        "execute", "destroy an approved batch; writes its signed certificate");
    execute->add_option("BATCH", batch, "the batch")->required();
    execute->add_option("-o,--output", certificate_out, "write the certificate to this new file")
        ->option_text("CERTIFICATE")
        ->required();
    cli::examples(execute, {{"strongroom-admin disposal execute 3 -o disposal-3-certificate.txt",
                             "destroys batch 3's records and writes the signed certificate"}});
    execute->callback([&g] {
        g.action = [&g] {
            return cli::call_write_and_print(
                g, "disposal.execute", json::object{{"batch", batch}}, "certificate",
                certificate_out, 0644,
                [](const json::object& r) {
                    std::cout << fmt::format(
                        "batch {}: {} records destroyed; certificate in {}; no backup can "
                        "yield them after {}\n",
                        cli::show(r.at("batch")), cli::show(r.at("destroyed")),
                        cli::output_name(certificate_out), cli::show(r.at("unrecoverable_after")));
                },
                [](const json::object& r) {
                    return fmt::format(
                        "disposal batch {} was executed ({} records destroyed), but its "
                        "certificate was not written to {}: get it with 'strongroom-admin "
                        "disposal show {} -o FILE'",
                        cli::show(r.at("batch")), cli::show(r.at("destroyed")),
                        cli::output_name(certificate_out), cli::show(r.at("batch")));
                });
        };
    });

    auto* list = disposal->add_subcommand("list", "disposal batches");
    cli::examples(list, {{"strongroom-admin disposal list",
                          "every batch, its state, proposer and approver"}});
    list->callback([&g] {
        g.action = [&g] {
            return cli::call_and_print(g, "disposal.list", {}, [](const json::object& r) {
                std::vector<std::vector<std::string>> rows;
                for (const auto& v : r.at("batches").as_array()) {
                    const auto& b = v.as_object();
                    rows.push_back({cli::show(b.at("batch")), cli::show(b.at("state")),
                                    cli::show(b.at("records")), cli::show(b.at("proposed_by")),
                                    cli::show(b.at("approved_by")), cli::show(b.at("executed"))});
                }
                cli::print_table(std::cout,
                                 {"BATCH", "STATE", "RECORDS", "PROPOSED", "APPROVED", "EXECUTED"},
                                 rows);
            });
        };
    });

    static std::string show_out;
    auto* show = disposal->add_subcommand("show", "a batch, its records and its certificate");
    show->add_option("BATCH", batch, "the batch")->required();
    show->add_option("-o,--output", show_out, "write its certificate to this new file")
        ->option_text("FILE");
    cli::examples(show,
                  {{"strongroom-admin disposal show 3", "batch 3 and why each record is in it"},
                   {"strongroom-admin disposal show 3 -o disposal-3-certificate.txt",
                    "writes executed batch 3's certificate again, to a new file"}});
    show->callback([&g] {
        g.action = [&g] {
            return cli::call_write_and_print(
                g, "disposal.show", json::object{{"batch", batch}}, "certificate", show_out, 0644,
                [](const json::object& r) {
                    print_batch(r);
                    for (const auto& i : r.at("items").as_array()) {
                        std::cout << fmt::format("  record {}: {}\n", cli::show(i.at("record")),
                                                 cli::show(i.at("why")));
                    }
                    if (!show_out.empty()) {
                        std::cout << fmt::format("certificate in {}\n", cli::output_name(show_out));
                    }
                });
        };
    });

    add_certificate_commands(app, g);
}

}  // namespace strongroom::admin
