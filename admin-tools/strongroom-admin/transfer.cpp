// strongroom-admin transfer (CLI.md, registrars): the package for the
// archives, written as a BagIt bag (RFC 8493):
//
//   DIR/bagit.txt              BagIt-Version: 1.0
//   DIR/bag-info.txt           Source-Organization, Bagging-Date, External-Identifier,
//                              Payload-Oxum, Internal-Sender-Description
//   DIR/manifest-sha256.txt    every payload file
//   DIR/tagmanifest-sha256.txt every tag file
//   DIR/transfer-list.txt      the batch's list, signed by the strongroom (Ed25519)
//   DIR/data/ID/content[.EXT]  each record's content, as stored
//   DIR/data/ID/metadata.json  its metadata and registry history
//
// Each record's SHA-256 is checked against the register's as it is written.
#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/format.h>
#include <openssl/evp.h>

#include "admin-tools/client/client.hpp"
#include "admin-tools/strongroom-admin/commands.hpp"
#include "daemon/common/files.hpp"
#include "daemon/common/text.hpp"
#include "daemon/common/time.hpp"

namespace strongroom::admin {
namespace json = boost::json;

namespace {

class Sha256 {
public:
    Sha256() : ctx_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr); }
    ~Sha256() { EVP_MD_CTX_free(ctx_); }
    Sha256(const Sha256&) = delete;
    Sha256& operator=(const Sha256&) = delete;
    void update(std::span<const std::uint8_t> data) {
        EVP_DigestUpdate(ctx_, data.data(), data.size());
    }
    std::string hex() {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int len = 0;
        EVP_DigestFinal_ex(ctx_, md, &len);
        return to_hex({md, len});
    }

private:
    EVP_MD_CTX* ctx_;
};

Status write_fd(int fd, std::span<const std::uint8_t> bytes, const std::string& path) {
    if (const int err = io::write_fully(fd, bytes); err != 0) {
        return make_error(ErrorCode::bad_request,
                          fmt::format("cannot write {}: {}", path, std::strerror(err)));
    }
    return {};
}

// A new file (0600) with `text`; returns its SHA-256.
Result<std::string> write_text(const std::string& path, std::string_view text) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        return make_error(ErrorCode::bad_request,
                          fmt::format("cannot create {}: {}", path, std::strerror(errno)));
    }
    const std::span<const std::uint8_t> bytes{reinterpret_cast<const std::uint8_t*>(text.data()),
                                              text.size()};
    auto st = write_fd(fd, bytes, path);
    const bool synced = ::fsync(fd) == 0;
    ::close(fd);
    if (!st) {
        return st.error();
    }
    if (!synced) {
        return make_error(ErrorCode::bad_request,
                          fmt::format("cannot write {}: {}", path, std::strerror(errno)));
    }
    Sha256 sha;
    sha.update(bytes);
    return sha.hex();
}

Status make_dir(const std::string& path) {
    if (::mkdir(path.c_str(), 0700) != 0) {
        return make_error(ErrorCode::bad_request,
                          fmt::format("cannot create {}: {}", path, std::strerror(errno)));
    }
    return {};
}

// The payload paths the daemon names must be the bag's own: data/ID/content,
// data/ID/content.EXT or data/ID/metadata.json, nothing that leaves DIR.
bool payload_path_ok(const std::string& path, std::int64_t record, bool metadata) {
    const auto prefix = fmt::format("data/{}/", record);
    if (!path.starts_with(prefix)) {
        return false;
    }
    const auto name = path.substr(prefix.size());
    if (metadata) {
        return name == "metadata.json";
    }
    if (name == "content") {
        return true;
    }
    if (!name.starts_with("content.") || name.size() > 16) {
        return false;
    }
    const auto ext = name.substr(8);
    return !ext.empty() && std::all_of(ext.begin(), ext.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    });
}

// Writes the bag of a prepared batch into the directory dir, just made.
Status write_bag_into(const cli::Global& g, const json::object& batch, const std::string& dir) {
    if (auto st = make_dir(dir + "/data"); !st) {
        return st;
    }
    const auto id = batch.at("batch").as_int64();
    std::string manifest;
    std::uint64_t octets = 0;
    std::uint64_t files = 0;
    for (const auto& v : batch.at("records").as_array()) {
        const auto& item = v.as_object();
        const auto record = item.at("record").as_int64();
        const std::string path(item.at("path").as_string());
        const std::string meta_path(item.at("metadata_path").as_string());
        if (!payload_path_ok(path, record, false) || !payload_path_ok(meta_path, record, true)) {
            return make_error(ErrorCode::internal,
                              fmt::format("record {}: the daemon named a file outside the bag's "
                                          "layout; nothing more is written",
                                          record));
        }
        if (auto st = make_dir(fmt::format("{}/data/{}", dir, record)); !st) {
            return st;
        }
        auto conn = client::Connection::open(g.socket);
        if (!conn) {
            return conn.error();
        }
        const auto file = dir + "/" + path;
        const int fd =
            ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0) {
            return make_error(ErrorCode::bad_request,
                              fmt::format("cannot create {}: {}", file, std::strerror(errno)));
        }
        Sha256 sha;
        std::uint64_t size = 0;
        auto response =
            conn->call_download("transfer.content", json::object{{"batch", id}, {"record", record}},
                                [&](std::span<const std::uint8_t> bytes) -> Status {
                                    sha.update(bytes);
                                    size += bytes.size();
                                    return write_fd(fd, bytes, file);
                                });
        const bool synced = ::fsync(fd) == 0;
        ::close(fd);
        if (!response) {
            return response.error();
        }
        if (response->error) {
            return *response->error;
        }
        if (!synced) {
            return make_error(ErrorCode::bad_request,
                              fmt::format("cannot write {}: {}", file, std::strerror(errno)));
        }
        const auto digest = sha.hex();
        if (digest != item.at("sha256").as_string()) {
            return make_error(ErrorCode::internal,
                              fmt::format("record {}: the content received does not match the "
                                          "register's SHA-256; the package is not complete",
                                          record));
        }
        manifest += fmt::format("{}  {}\n", digest, path);
        octets += size;
        ++files;
        const auto meta = json::serialize(response->result.at("metadata")) + "\n";
        auto meta_digest = write_text(dir + "/" + meta_path, meta);
        if (!meta_digest) {
            return meta_digest.error();
        }
        manifest += fmt::format("{}  {}\n", *meta_digest, meta_path);
        octets += meta.size();
        ++files;
    }
    const std::string mission(batch.at("mission").as_string());
    std::string tags;
    auto tag = [&](const std::string& name, const std::string& text) -> Status {
        auto digest = write_text(dir + "/" + name, text);
        if (!digest) {
            return digest.error();
        }
        if (name != "tagmanifest-sha256.txt") {
            tags += fmt::format("{}  {}\n", *digest, name);
        }
        return {};
    };
    const std::string bag_info = fmt::format(
        "Source-Organization: {}\nBagging-Date: {}\nExternal-Identifier: {}-transfer-{}\n"
        "Payload-Oxum: {}.{}\nInternal-Sender-Description: archive transfer batch {} of {}: {} "
        "records, prepared by {} on {}\n",
        mission, format_date(now_micros()), mission, id, octets, files, id, mission,
        batch.at("records").as_array().size(), cli::show(batch.at("prepared_by")),
        cli::show(batch.at("prepared")));
    for (const auto& [name, text] : std::vector<std::pair<std::string, std::string>>{
             {"bagit.txt", "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"},
             {"bag-info.txt", bag_info},
             {"manifest-sha256.txt", manifest},
             {"transfer-list.txt", std::string(batch.at("transfer_list").as_string())}}) {
        if (auto st = tag(name, text); !st) {
            return st;
        }
    }
    return tag("tagmanifest-sha256.txt", tags);
}

// Neither DIR nor DIR.partial (where it is written) may exist yet.
Status bag_free(const std::string& dir) {
    if (auto path = cli::must_be_directory_path(dir); !path) {
        return path;
    }
    if (auto free = cli::must_not_exist(dir); !free) {
        return free;
    }
    return cli::must_not_exist(dir + ".partial");
}

// Writes the bag in DIR.partial and renames it DIR once complete, so that
// DIR is never a half-written bag; what a failure left is removed.
Status write_bag(const cli::Global& g, const json::object& batch, const std::string& dir) {
    const auto partial = dir + ".partial";
    // Made here: only what this run made is removed on failure.
    if (auto made = make_dir(partial); !made) {
        return made;
    }
    auto st = write_bag_into(g, batch, partial);
    // Never over anything that appeared at DIR meanwhile.
    if (st &&
        ::renameat2(AT_FDCWD, partial.c_str(), AT_FDCWD, dir.c_str(), RENAME_NOREPLACE) != 0) {
        st = make_error(ErrorCode::bad_request, fmt::format("cannot rename {} to {}: {}", partial,
                                                            dir, std::strerror(errno)));
    }
    if (!st) {
        std::error_code ec;
        std::filesystem::remove_all(partial, ec);
        return st;
    }
    sync_directory(std::filesystem::absolute(dir).parent_path());
    return {};
}

void print_package(const json::object& r, const std::string& dir) {
    for (const auto& b : r.at("blockers").as_array()) {
        std::cout << "blocked: " << cli::show(b.at("reason")) << "\n";
    }
    std::cout << fmt::format("transfer batch {}: {} records written to {} (BagIt)\n",
                             cli::show(r.at("batch")), r.at("records").as_array().size(),
                             cli::shown(dir));
}

}  // namespace

static void add_closure_commands(CLI::App& app, cli::Global& g) {
    auto* closure = app.add_subcommand(
        "closure", "mission closure: every permanent record transferred, the rest destroyed");
    closure->require_subcommand(1);
    static std::string prepare_out;
    auto* prepare = closure->add_subcommand(
        "prepare",
        "prepare the closure; writes the transfer package (BagIt) of every permanent "
        "record");
    prepare->add_option("-o,--output", prepare_out, "the new directory of the transfer package")
        ->option_text("DIR")
        ->required();
    cli::examples(prepare,
                  {{"strongroom-admin closure prepare -o closure-package",
                    "proposes the closure; the archives' package goes in closure-package"}});
    prepare->callback([&g] {
        g.action = [&g]() -> int {
            if (auto free = bag_free(prepare_out); !free) {
                return cli::fail(g, free.error());
            }
            auto result = cli::request(g, "closure.prepare", {});
            if (const int* rc = std::get_if<int>(&result)) {
                return *rc;
            }
            const auto& r = std::get<json::object>(result);
            if (const auto* t = r.if_contains("transfer")) {
                if (auto st = write_bag(g, t->as_object(), prepare_out); !st) {
                    return cli::fail(g, st.error());
                }
            }
            return cli::print_result(g, r, [](const json::object& o) {
                std::cout << fmt::format(
                    "closure {}: {} records to transfer (package in {}), {} to destroy\n{}\n",
                    cli::show(o.at("closure")), cli::show(o.at("to_transfer")),
                    cli::shown(prepare_out), cli::show(o.at("to_destroy")),
                    cli::show(o.at("message")));
            });
        };
    });
    static std::uint64_t id = 0;
    auto* approve = closure->add_subcommand("approve", "approve the closure (a second registrar)");
    approve->add_option("CLOSURE", id, "the closure")->required();
    cli::examples(approve, {{"strongroom-admin closure approve 1",
                             "approves closure 1 (prepared by another registrar)"}});
    approve->callback([&g] {
        g.action = [&g] {
            return cli::call_and_print(g, "closure.approve", json::object{{"closure", id}},
                                       [](const json::object& r) {
                                           std::cout << fmt::format("closure {} approved by {}\n",
                                                                    cli::show(r.at("closure")),
                                                                    cli::show(r.at("approved_by")));
                                       });
        };
    });
    static std::string receipt;
    static std::string statement_out;
    auto* complete = closure->add_subcommand(
        "complete", "transfer and destroy as prepared; writes the signed closing statement");
    complete->add_option("CLOSURE", id, "the closure")->required();
    complete->add_option("--receipt", receipt, "the archives' receipt for the transfer package")
        ->option_text("REF");
    complete->add_option("-o,--output", statement_out, "the new file of the statement")
        ->option_text("STATEMENT")
        ->required();
    cli::examples(complete, {{"strongroom-admin closure complete 1 --receipt ARMS-2026-118 -o "
                              "closure-1-statement.txt",
                              "transfers and destroys as prepared; writes the signed statement"}});
    complete->callback([&g] {
        g.action = [&g] {
            json::object args{{"closure", id}};
            if (!receipt.empty()) {
                args["receipt"] = receipt;
            }
            return cli::call_write_and_print(
                g, "closure.complete", std::move(args), "statement", statement_out, 0644,
                [](const json::object& r) {
                    std::cout << fmt::format("closure {} complete; statement in {}\n",
                                             cli::show(r.at("closure")),
                                             cli::output_name(statement_out));
                },
                [](const json::object& r) {
                    return fmt::format(
                        "closure {} is complete (its transfer "
                        "confirmed and its disposal executed), but "
                        "its statement was not written to {}: get "
                        "it with 'strongroom-admin closure show {} "
                        "-o FILE'",
                        cli::show(r.at("closure")), cli::output_name(statement_out),
                        cli::show(r.at("closure")));
                });
        };
    });
    static std::string show_out;
    auto* show = closure->add_subcommand("show", "a closure, its batches and its statement");
    show->add_option("CLOSURE", id, "the closure")->required();
    show->add_option("-o,--output", show_out, "write its statement to this new file")
        ->option_text("FILE");
    cli::examples(show, {{"strongroom-admin closure show 1",
                          "closure 1: its batches, who proposed and approved it, when done"},
                         {"strongroom-admin closure show 1 -o closure-1-statement.txt",
                          "writes completed closure 1's statement again, to a new file"}});
    show->callback([&g] {
        g.action = [&g] {
            return cli::call_write_and_print(
                g, "closure.show", json::object{{"closure", id}}, "statement", show_out, 0644,
                [](const json::object& r) {
                    std::cout << fmt::format(
                        "closure {}: transfer batch {}, disposal batch {}; proposed by {}, "
                        "approved by {}, completed {}\n",
                        cli::show(r.at("closure")), cli::show(r.at("transfer_batch")),
                        cli::show(r.at("disposal_batch")), cli::show(r.at("proposed_by")),
                        cli::show(r.at("approved_by")), cli::show(r.at("completed")));
                    if (!show_out.empty()) {
                        std::cout << fmt::format("statement in {}\n", cli::output_name(show_out));
                    }
                });
        };
    });
}

void add_transfer_commands(CLI::App& app, cli::Global& g) {
    add_closure_commands(app, g);
    auto* transfer = app.add_subcommand("transfer", "archive transfer of permanent records");
    transfer->require_subcommand(1);

    struct PrepareArgs {
        std::string as_of;
        std::optional<std::uint64_t> limit;
        std::string out;
    };
    static PrepareArgs pa;
    auto* prepare = transfer->add_subcommand(
        "prepare", "a batch of the permanent records due for transfer, written as a BagIt bag");
    prepare->add_option("--as-of", pa.as_of, "due as of the end of this day (default: now)")
        ->option_text("YYYY-MM-DD");
    prepare->add_option("--limit", pa.limit, "at most this many records (default 1000)")
        ->option_text("N");
    prepare->add_option("-o,--output", pa.out, "the new directory of the package")
        ->option_text("DIR")
        ->required();
    cli::examples(prepare, {{"strongroom-admin transfer prepare -o transfer-2026-07",
                             "a batch of the permanent records due now, as a BagIt bag"},
                            {"strongroom-admin transfer prepare --as-of 2026-06-30 --limit 500 -o "
                             "transfer-2026-h1",
                             "at most 500 of those due by the end of June 2026"}});
    prepare->callback([&g] {
        g.action = [&g]() -> int {
            if (auto free = bag_free(pa.out); !free) {
                return cli::fail(g, free.error());
            }
            json::object args;
            if (!pa.as_of.empty()) {
                args["as_of"] = pa.as_of;
            }
            if (pa.limit) {
                args["limit"] = *pa.limit;
            }
            auto result = cli::request(g, "transfer.prepare", std::move(args));
            if (const int* rc = std::get_if<int>(&result)) {
                return *rc;
            }
            const auto& r = std::get<json::object>(result);
            if (r.at("batch").is_null()) {
                return cli::print_result(g, r, [](const json::object& o) {
                    for (const auto& b : o.at("blockers").as_array()) {
                        std::cout << "blocked: " << cli::show(b.at("reason")) << "\n";
                    }
                    std::cout << "nothing to transfer: no permanent record due for transfer is "
                                 "free of holds and copies\n";
                });
            }
            if (auto st = write_bag(g, r, pa.out); !st) {
                return cli::fail(
                    g, make_error(st.error().code,
                                  fmt::format("{} (the batch is prepared: write it again with "
                                              "'transfer package {} -o DIR')",
                                              st.error().message, cli::show(r.at("batch")))));
            }
            return cli::print_result(g, r, [](const json::object& o) { print_package(o, pa.out); });
        };
    });

    static std::uint64_t batch = 0;
    static std::string package_out;
    auto* package = transfer->add_subcommand("package", "write a prepared batch's bag again");
    package->add_option("BATCH", batch, "the batch")->required();
    package->add_option("-o,--output", package_out, "the new directory of the package")
        ->option_text("DIR")
        ->required();
    cli::examples(package, {{"strongroom-admin transfer package 2 -o transfer-2-again",
                             "writes prepared batch 2's bag again, to a new directory"}});
    package->callback([&g] {
        g.action = [&g]() -> int {
            if (auto free = bag_free(package_out); !free) {
                return cli::fail(g, free.error());
            }
            auto result = cli::request(g, "transfer.show", json::object{{"batch", batch}});
            if (const int* rc = std::get_if<int>(&result)) {
                return *rc;
            }
            auto& r = std::get<json::object>(result);
            if (auto st = write_bag(g, r, package_out); !st) {
                return cli::fail(g, st.error());
            }
            r["blockers"] = json::array();
            return cli::print_result(g, r,
                                     [](const json::object& o) { print_package(o, package_out); });
        };
    });

    static std::string receipt;
    static std::string certificate_out;
    auto* confirm = transfer->add_subcommand(
        "confirm", "record the archives' receipt; removes the batch's content here (certified)");
    confirm->add_option("BATCH", batch, "the batch")->required();
    confirm->add_option("--receipt", receipt, "the archives' acknowledgement reference")
        ->option_text("REF")
        ->required();
    confirm->add_option("-o,--output", certificate_out, "write the certificate to this new file")
        ->option_text("CERTIFICATE");
    cli::examples(confirm,
                  {{"strongroom-admin transfer confirm 2 --receipt ARMS-2026-118 -o "
                    "transfer-2-certificate.txt",
                    "the archives hold batch 2: removes it here, writes the certificate"}});
    confirm->callback([&g] {
        g.action = [&g] {
            return cli::call_write_and_print(
                g, "transfer.confirm", json::object{{"batch", batch}, {"receipt", receipt}},
                "certificate", certificate_out, 0644,
                [](const json::object& r) {
                    std::cout << fmt::format(
                        "transfer batch {}: archives' receipt {}; {} records removed here\n",
                        cli::show(r.at("batch")), cli::show(r.at("receipt")),
                        cli::show(r.at("transferred")));
                    if (!certificate_out.empty()) {
                        std::cout << fmt::format("certificate in {}\n",
                                                 cli::output_name(certificate_out));
                    }
                },
                [](const json::object& r) {
                    return fmt::format(
                        "transfer batch {} was confirmed ({} records removed here), but its "
                        "certificate was not written to {}: get it with 'strongroom-admin "
                        "transfer show {} -o FILE'",
                        cli::show(r.at("batch")), cli::show(r.at("transferred")),
                        cli::output_name(certificate_out), cli::show(r.at("batch")));
                });
        };
    });

    static std::string show_out;
    auto* show = transfer->add_subcommand("show", "a transfer batch and its certificate");
    show->add_option("BATCH", batch, "the batch")->required();
    show->add_option("-o,--output", show_out, "write its certificate to this new file")
        ->option_text("FILE");
    cli::examples(show, {{"strongroom-admin transfer show 2",
                          "batch 2: its state, records, preparer and receipt"},
                         {"strongroom-admin transfer show 2 -o transfer-2-certificate.txt",
                          "writes confirmed batch 2's certificate again, to a new file"}});
    show->callback([&g] {
        g.action = [&g] {
            return cli::call_write_and_print(
                g, "transfer.show", json::object{{"batch", batch}}, "certificate", show_out, 0644,
                [](const json::object& r) {
                    std::cout << fmt::format(
                        "transfer batch {}: {}, {} records, prepared {} by {}; receipt {}\n",
                        cli::show(r.at("batch")), cli::show(r.at("state")),
                        r.at("records").as_array().size(), cli::show(r.at("prepared")),
                        cli::show(r.at("prepared_by")), cli::show(r.at("receipt")));
                    if (!show_out.empty()) {
                        std::cout << fmt::format("certificate in {}\n", cli::output_name(show_out));
                    }
                });
        };
    });

    auto* list = transfer->add_subcommand("list", "archive transfer batches");
    cli::examples(list, {{"strongroom-admin transfer list",
                          "every transfer batch, its state and the archives' receipt"}});
    list->callback([&g] {
        g.action = [&g] {
            return cli::call_and_print(g, "transfer.list", {}, [](const json::object& r) {
                std::vector<std::vector<std::string>> rows;
                for (const auto& v : r.at("batches").as_array()) {
                    const auto& b = v.as_object();
                    rows.push_back({cli::show(b.at("batch")), cli::show(b.at("state")),
                                    cli::show(b.at("records")), cli::show(b.at("prepared_by")),
                                    cli::show(b.at("prepared")), cli::show(b.at("receipt"))});
                }
                cli::print_table(
                    std::cout, {"BATCH", "STATE", "RECORDS", "PREPARED BY", "PREPARED", "RECEIPT"},
                    rows);
            });
        };
    });
}

}  // namespace strongroom::admin
