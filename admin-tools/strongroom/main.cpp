// strongroom: the tool for everyone with an account (CLI.md).
#include <cstdint>
#include <iostream>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include <boost/json/array.hpp>
#include <fmt/format.h>

#include "admin-tools/cli/cli.hpp"

namespace sr = strongroom;
namespace json = boost::json;

namespace {

json::array to_array(const std::vector<std::string>& items) {
    json::array a;
    for (const auto& i : items) {
        a.emplace_back(i);
    }
    return a;
}

std::string or_none(const json::value& v) {
    if (v.is_null()) {
        return "-";
    }
    const auto t = sr::cli::show(v);
    return t.empty() ? "-" : t;
}

void print_whoami(const json::object& r) {
    std::vector<std::pair<std::string, std::string>> fields{
        {"account", sr::cli::show(r.at("name"))},
        {"uid", sr::cli::show(r.at("uid"))},
        {"roles", r.at("roles").as_array().empty() ? "(none)" : sr::cli::show(r.at("roles"))},
        {"status", sr::cli::show(r.at("status"))},
    };
    if (const auto* posts = r.if_contains("posts")) {
        fields.emplace_back("posts", posts->as_array().empty() ? "(none)" : sr::cli::show(*posts));
    }
    sr::cli::print_fields(std::cout, fields);
}

void print_records(const json::object& r) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& v : r.at("records").as_array()) {
        const auto& rec = v.as_object();
        rows.push_back({sr::cli::show(rec.at("id")), sr::cli::show(rec.at("level")),
                        or_none(rec.at("compartments")), or_none(rec.at("registry_number")),
                        sr::cli::show(rec.at("dated")), sr::cli::show(rec.at("title"))});
    }
    sr::cli::print_table(std::cout, {"ID", "LEVEL", "COMPARTMENTS", "REGISTRY", "DATED", "TITLE"},
                         rows);
    if (!r.at("next").is_null()) {
        std::cerr << fmt::format("more: add --after {}\n", sr::cli::show(r.at("next")));
    }
}

void print_record(const json::object& r) {
    const auto& rec = r.at("record").as_object();
    std::vector<std::pair<std::string, std::string>> fields{
        {"id", sr::cli::show(rec.at("id"))},
        {"title", sr::cli::show(rec.at("title"))},
        {"level", sr::cli::show(rec.at("level"))},
        {"compartments", or_none(rec.at("compartments"))},
        {"registry number", or_none(rec.at("registry_number"))},
        {"type", sr::cli::show(rec.at("type"))},
        {"dated", sr::cli::show(rec.at("dated"))},
        {"originator", or_none(rec.at("originator"))},
        {"origin post", or_none(rec.at("origin_post"))},
        {"safety", rec.at("safety").as_bool() ? "yes: bears on the safety of personnel" : "no"},
        {"max copies", or_none(rec.at("max_copies"))},
        {"size", fmt::format("{} bytes{}", sr::cli::show(rec.at("size")),
                             rec.at("text").as_bool() ? " (text)" : "")},
        {"sha256", sr::cli::show(rec.at("sha256"))},
        {"created", sr::cli::show(rec.at("created"))},
    };
    // A product received from outside: where from, and who registered it.
    if (const auto* origin = rec.if_contains("origin")) {
        fields.insert(fields.begin() + 8, {{"origin", sr::cli::show(*origin)},
                                           {"received by", or_none(rec.at("received_by"))}});
    }
    sr::cli::print_fields(std::cout, fields);
    const auto& ds = rec.at("disseminated").as_array();
    if (!ds.empty()) {
        std::vector<std::vector<std::string>> rows;
        for (const auto& v : ds) {
            const auto& d = v.as_object();
            const auto* post = d.if_contains("post");
            rows.push_back({post ? "post " + sr::cli::show(*post)
                                 : "account " + sr::cli::show(d.at("account")),
                            sr::cli::show(d.at("authority")), or_none(d.at("reference")),
                            or_none(d.at("by")), sr::cli::show(d.at("at"))});
        }
        std::cout << "\n";
        sr::cli::print_table(std::cout, {"DISSEMINATED TO", "AUTHORITY", "REFERENCE", "BY", "AT"},
                             rows);
    }
}

// ingest, list, show, search, get
void add_record_commands(CLI::App& app, sr::cli::Global& g) {
    struct IngestArgs {
        std::string file;
        std::string title;
        std::string level;
        std::vector<std::string> compartments;
        std::string type;
        std::string dated;
        std::string as;
        bool safety = false;
        std::optional<std::uint32_t> max_copies;
    };
    static IngestArgs in;
    auto* ingest = app.add_subcommand("ingest", "store a record (content from FILE, - for stdin)");
    ingest->add_option("FILE", in.file, "the content")->required();
    ingest->add_option("--title", in.title, "title")->required()->option_text("TEXT");
    ingest->add_option("--level", in.level, "unclassified, confidential or strictly-confidential")
        ->required()
        ->option_text("LEVEL");
    ingest->add_option("--compartment", in.compartments, "compartment (repeatable)")
        ->option_text("C")
        ->allow_extra_args(false);
    ingest->add_option("--type", in.type, "record type (default intelligence-product)")
        ->option_text("TYPE");
    ingest->add_option("--dated", in.dated, "document date (default today)")
        ->option_text("YYYY-MM-DD");
    ingest->add_option("--as", in.as, "the post you originate it in")->option_text("POST");
    ingest->add_flag("--safety", in.safety,
                     "bears on the safety of personnel: reaches the security focal point");
    ingest
        ->add_option("--max-copies", in.max_copies,
                     "copies outstanding at once (0: content never leaves)")
        ->option_text("N");
    sr::cli::examples(
        ingest, {{"strongroom ingest assessment.pdf --title \"Weekly threat assessment\" --level "
                  "confidential --compartment JMAC --as jmac-analyst",
                  "stores assessment.pdf as a confidential JMAC record of your post"},
                 {"strongroom ingest convoy.txt --title \"Convoy routes\" --level "
                  "strictly-confidential --safety --max-copies 0",
                  "bears on staff safety; its content never leaves the strongroom"}});
    ingest->callback([&g] {
        g.action = [&g] {
            json::object args;
            args["title"] = in.title;
            args["level"] = in.level;
            args["compartments"] = to_array(in.compartments);
            if (!in.type.empty()) {
                args["type"] = in.type;
            }
            if (!in.dated.empty()) {
                args["dated"] = in.dated;
            }
            if (!in.as.empty()) {
                args["as"] = in.as;
            }
            if (in.safety) {
                args["safety"] = true;
            }
            if (in.max_copies) {
                args["max_copies"] = *in.max_copies;
            }
            if (in.file != "-") {
                const auto slash = in.file.rfind('/');
                args["filename"] = slash == std::string::npos ? in.file : in.file.substr(slash + 1);
            }
            return sr::cli::upload_and_print(
                g, "ingest", std::move(args), in.file, [](const json::object& r) {
                    std::cout << fmt::format(
                        "record {} ({}){}\n", sr::cli::show(r.at("id")),
                        sr::cli::show(r.at("level")),
                        r.at("registry_number").is_null()
                            ? ""
                            : ", registry number " + sr::cli::show(r.at("registry_number")));
                    if (const auto* w = r.if_contains("warning")) {
                        std::cerr << "warning: " << sr::cli::show(*w) << "\n";
                    }
                });
        };
    });

    struct ListArgs {
        std::string type;
        std::string level;
        std::string compartment;
        std::optional<std::uint64_t> after;
        std::optional<std::uint32_t> limit;
    };
    static ListArgs ls;
    auto* list = app.add_subcommand("list", "records you may read, newest first");
    list->add_option("--type", ls.type, "only this record type")->option_text("TYPE");
    list->add_option("--level", ls.level, "only this level")->option_text("LEVEL");
    list->add_option("--compartment", ls.compartment, "only records in this compartment")
        ->option_text("C");
    list->add_option("--after", ls.after, "continue after this record id (paging)")
        ->option_text("ID");
    list->add_option("--limit", ls.limit, "records per page (default 100)")->option_text("N");
    sr::cli::examples(list, {{"strongroom list", "every record you may read, newest first"},
                             {"strongroom list --compartment JMAC --level strictly-confidential",
                              "only the strictly-confidential records in JMAC"}});
    list->callback([&g] {
        g.action = [&g] {
            json::object args;
            if (!ls.type.empty()) {
                args["type"] = ls.type;
            }
            if (!ls.level.empty()) {
                args["level"] = ls.level;
            }
            if (!ls.compartment.empty()) {
                args["compartment"] = ls.compartment;
            }
            if (ls.after) {
                args["after"] = *ls.after;
            }
            if (ls.limit) {
                args["limit"] = *ls.limit;
            }
            return sr::cli::call_and_print(g, "list", std::move(args), print_records);
        };
    });

    static std::uint64_t show_id = 0;
    auto* show = app.add_subcommand("show", "a record's metadata and dissemination");
    show->add_option("ID", show_id, "record id")->required();
    sr::cli::examples(show, {{"strongroom show 12", "record 12's metadata and to whom it went"}});
    show->callback([&g] {
        g.action = [&g] {
            return sr::cli::call_and_print(g, "show", json::object{{"id", show_id}}, print_record);
        };
    });

    static std::vector<std::string> words;
    static std::optional<std::uint64_t> search_after;
    auto* search = app.add_subcommand("search", "full-text search within what you may read");
    search->add_option("TEXT", words, "words that must all appear")->required();
    search->add_option("--after", search_after, "continue after this record id (paging)")
        ->option_text("ID");
    sr::cli::examples(search, {{"strongroom search convoy ambush",
                                "records you may read that contain both words"},
                               {"strongroom search convoy ambush --after 40",
                                "the next page of the same search, after record 40"}});
    search->callback([&g] {
        g.action = [&g] {
            std::string text;
            for (const auto& w : words) {
                text += (text.empty() ? "" : " ") + w;
            }
            json::object args{{"text", text}};
            if (search_after) {
                args["after"] = *search_after;
            }
            return sr::cli::call_and_print(g, "search", std::move(args), print_records);
        };
    });

    struct GetArgs {
        std::uint64_t id = 0;
        std::string out;
        std::string purpose;
    };
    static GetArgs get_args;
    auto* get = app.add_subcommand("get", "write a record's content to a new file");
    get->add_option("ID", get_args.id, "record id")->required();
    get->add_option("-o,--output", get_args.out,
                    "the file to create; - writes the content to standard output (the outcome, "
                    "and a marking the content cannot carry, go to standard error)")
        ->required()
        ->option_text("FILE");
    get->add_option("--purpose", get_args.purpose, "why you need the copy (recorded)")
        ->required()
        ->option_text("TEXT");
    sr::cli::examples(get, {{"strongroom get 12 -o report.pdf --purpose \"Weekly briefing\"",
                             "writes a numbered copy of record 12 to report.pdf"},
                            {"strongroom get 12 -o - --purpose \"Read on screen\" | less",
                             "shows the content; the outcome goes to standard error"}});
    get->callback([&g] {
        g.action = [&g] {
            json::object args{{"id", get_args.id}, {"purpose", get_args.purpose}};
            return sr::cli::download_and_print(
                g, "get", std::move(args), get_args.out, [](const json::object& r) {
                    const bool to_stdout = get_args.out == "-";
                    std::cout << fmt::format("copy {} of record {} written to {}\n",
                                             sr::cli::show(r.at("copy")), sr::cli::show(r.at("id")),
                                             sr::cli::output_name(get_args.out));
                    if (!to_stdout && sr::cli::text(r.at("marked")) == "sidecar") {
                        std::cout << fmt::format("its marking is in {}.marking\n",
                                                 sr::cli::shown(get_args.out));
                    }
                    std::cout << sr::cli::show(r.at("marking")) << "\n";
                });
        };
    });

    static std::uint64_t copies_id = 0;
    auto* copies = app.add_subcommand("copies", "the numbered copies of a record");
    copies->add_option("ID", copies_id, "record id")->required();
    sr::cli::examples(copies, {{"strongroom copies 12",
                                "record 12's numbered copies, their holders and states"}});
    copies->callback([&g] {
        g.action = [&g] {
            return sr::cli::call_and_print(
                g, "copies", json::object{{"id", copies_id}}, [](const json::object& r) {
                    std::vector<std::vector<std::string>> rows;
                    for (const auto& v : r.at("copies").as_array()) {
                        rows.push_back({sr::cli::show(v.at("copy")), sr::cli::show(v.at("holder")),
                                        sr::cli::show(v.at("state")), sr::cli::show(v.at("issued")),
                                        sr::cli::show(v.at("purpose"))});
                    }
                    sr::cli::print_table(std::cout,
                                         {"COPY", "HOLDER", "STATE", "ISSUED", "PURPOSE"}, rows);
                });
        };
    });

    struct CopyArgs {
        std::uint64_t id = 0;
        std::uint64_t number = 0;
    };
    static CopyArgs copy_args;
    auto* copy = app.add_subcommand("copy", "close a numbered copy (its holder or a registrar)");
    copy->require_subcommand(1);
    for (const auto& [verb, state, help, what] :
         {std::tuple{"return", "returned", "the copy came back",
                     "copy 3 of record 12 came back to the registry"},
          std::tuple{"destroy", "destroyed", "the copy was destroyed",
                     "copy 3 of record 12 was destroyed"},
          std::tuple{"lost", "lost", "the copy is lost (report it)",
                     "reports copy 3 of record 12 as lost"}}) {
        auto* sub = copy->add_subcommand(verb, help);
        sub->add_option("ID", copy_args.id, "record id")->required();
        sub->add_option("N", copy_args.number, "copy number")->required();
        sr::cli::examples(sub, {{fmt::format("strongroom copy {} 12 3", verb), what}});
        sub->callback([&g, state = std::string(state)] {
            g.action = [&g, state] {
                return sr::cli::call_and_print(
                    g, "copy.close",
                    json::object{{"id", copy_args.id}, {"copy", copy_args.number}, {"as", state}},
                    [](const json::object& r) {
                        std::cout << fmt::format(
                            "copy {} of record {} {}; {} outstanding\n",
                            sr::cli::show(r.at("copy")), sr::cli::show(r.at("id")),
                            sr::cli::show(r.at("state")), sr::cli::show(r.at("outstanding")));
                    });
            };
        });
    }
}

// disseminate, delegate
void add_dissemination_commands(CLI::App& app, sr::cli::Global& g) {
    static std::uint64_t id = 0;
    static std::vector<std::string> to;
    static std::vector<std::string> to_people;
    auto* dis = app.add_subcommand("disseminate", "send a record to eligible posts or people");
    dis->add_option("ID", id, "record id")->required();
    dis->add_option("--to", to, "post (repeatable)")->option_text("POST")->allow_extra_args(false);
    dis->add_option("--to-person", to_people, "account, in person (repeatable)")
        ->option_text("ACCOUNT")
        ->allow_extra_args(false);
    sr::cli::examples(dis, {{"strongroom disseminate 12 --to jmac-analyst --to joc-watchkeeper",
                             "sends record 12 to two posts"},
                            {"strongroom disseminate 12 --to-person analyst2",
                             "gives record 12 to the account analyst2 in person"}});
    dis->callback([&g] {
        g.action = [&g] {
            json::object args{{"id", id}, {"to", to_array(to)}};
            if (!to_people.empty()) {
                args["to_accounts"] = to_array(to_people);
            }
            return sr::cli::call_and_print(
                g, "disseminate", std::move(args), [](const json::object& r) {
                    std::cout << fmt::format("record {} disseminated ({})\n",
                                             sr::cli::show(r.at("id")),
                                             sr::cli::show(r.at("authority")));
                });
        };
    });

    auto* delegate = app.add_subcommand("delegate", "record a written delegation");
    delegate->require_subcommand(1);
    struct DelegateArgs {
        std::uint64_t id = 0;
        std::string to;
        std::string ref;
        std::string until;
    };
    static DelegateArgs d;
    auto* dd = delegate->add_subcommand(
        "disseminate", "let a post disseminate a record you originated (written delegation)");
    dd->add_option("ID", d.id, "record id")->required();
    dd->add_option("--to", d.to, "the delegated post")->required()->option_text("POST");
    dd->add_option("--ref", d.ref, "reference of the written delegation")
        ->required()
        ->option_text("TEXT");
    dd->add_option("--until", d.until, "last day it holds")->option_text("YYYY-MM-DD");
    sr::cli::examples(dd,
                      {{"strongroom delegate disseminate 12 --to jmac-chief --ref JMAC-DEL-2026-04",
                        "lets post jmac-chief disseminate record 12, which you originated"},
                       {"strongroom delegate disseminate 12 --to jmac-chief --ref JMAC-DEL-2026-04 "
                        "--until 2026-12-31",
                        "the same, until the end of 2026"}});
    dd->callback([&g] {
        g.action = [&g] {
            json::object args{{"id", d.id}, {"to", d.to}, {"ref", d.ref}};
            if (!d.until.empty()) {
                args["until"] = d.until;
            }
            return sr::cli::call_and_print(
                g, "delegate.disseminate", std::move(args), [](const json::object& r) {
                    const auto& del = r.at("delegation").as_object();
                    std::cout << fmt::format(
                        "delegation {}: post {} may disseminate record "
                        "{} until {}\n",
                        sr::cli::show(del.at("id")), sr::cli::show(del.at("to")),
                        sr::cli::show(del.at("record")), or_none(del.at("until")));
                });
        };
    });

    static DelegateArgs dr;
    auto* drel = delegate->add_subcommand(
        "release", "let a post approve releases (head of mission's written delegation)");
    drel->add_option("--to", dr.to, "the delegated post")->required()->option_text("POST");
    drel->add_option("--ref", dr.ref, "reference of the written delegation")
        ->required()
        ->option_text("TEXT");
    drel->add_option("--until", dr.until, "last day it holds")->option_text("YYYY-MM-DD");
    sr::cli::examples(drel, {{"strongroom delegate release --to chief-of-staff --ref "
                              "HOM-DEL-2026-02 --until 2026-09-30",
                              "lets post chief-of-staff approve releases until 30 September"}});
    drel->callback([&g] {
        g.action = [&g] {
            json::object args{{"to", dr.to}, {"ref", dr.ref}};
            if (!dr.until.empty()) {
                args["until"] = dr.until;
            }
            return sr::cli::call_and_print(
                g, "delegate.release", std::move(args), [](const json::object& r) {
                    const auto& del = r.at("delegation").as_object();
                    std::cout << fmt::format(
                        "delegation {}: post {} may approve releases until {}\n",
                        sr::cli::show(del.at("id")), sr::cli::show(del.at("to")),
                        or_none(del.at("until")));
                });
        };
    });
}

// release request|approve|issue|list
void add_release_commands(CLI::App& app, sr::cli::Global& g) {
    auto* release = app.add_subcommand("release", "release a record outside the mission");
    release->require_subcommand(1);
    struct RequestArgs {
        std::uint64_t id = 0;
        std::string to;
        std::string kind;
        std::string justification;
        std::string arrangement;
        std::string hrddp;
    };
    static RequestArgs rq;
    auto* request = release->add_subcommand("request", "ask for a record to be released");
    request->add_option("ID", rq.id, "record id")->required();
    request->add_option("--to", rq.to, "the recipient entity")->required()->option_text("ENTITY");
    request->add_option("--entity-kind", rq.kind, "un, non-un or security-force")
        ->required()
        ->option_text("KIND");
    request->add_option("--justification", rq.justification, "justification against the mandate")
        ->required()
        ->option_text("TEXT");
    request
        ->add_option("--arrangement", rq.arrangement,
                     "written arrangement reference (originator control)")
        ->required()
        ->option_text("REF");
    request
        ->add_option("--hrddp", rq.hrddp,
                     "human-rights due-diligence reference (required for security-force)")
        ->option_text("REF");
    sr::cli::examples(
        request, {{"strongroom release request 12 --to UNDP --entity-kind un --justification "
                   "\"mandate para 7(b)\" --arrangement WA-2026-04",
                   "asks to release record 12 to UNDP"},
                  {"strongroom release request 12 --to \"Host State Police\" --entity-kind "
                   "security-force --justification \"mandate para 7(b)\" --arrangement WA-2026-04 "
                   "--hrddp HRDDP-2026-11",
                   "to a security force: the due-diligence reference is required"}});
    request->callback([&g] {
        g.action = [&g] {
            json::object args{{"id", rq.id},
                              {"to", rq.to},
                              {"entity_kind", rq.kind},
                              {"justification", rq.justification},
                              {"arrangement", rq.arrangement}};
            if (!rq.hrddp.empty()) {
                args["hrddp"] = rq.hrddp;
            }
            return sr::cli::call_and_print(
                g, "release.request", std::move(args), [](const json::object& r) {
                    std::cout << fmt::format(
                        "release request {}: record {} to {}, waiting for approval\n",
                        sr::cli::show(r.at("request")), sr::cli::show(r.at("record")),
                        sr::cli::show(r.at("to")));
                    if (const auto* who = r.if_contains("approvers")) {
                        std::cout << "may approve it:\n";
                        for (const auto& a : who->as_array()) {
                            std::cout << fmt::format(
                                "  {} (post {}, {})\n", sr::cli::show(a.at("account")),
                                sr::cli::show(a.at("post")), sr::cli::show(a.at("authority")));
                        }
                    }
                });
        };
    });

    static std::uint64_t q = 0;
    auto* approve = release->add_subcommand(
        "approve", "approve a release (head of mission or delegate; not the requester)");
    approve->add_option("Q", q, "release request")->required();
    sr::cli::examples(approve, {{"strongroom release approve 7",
                                 "approves release request 7 (not one you made)"}});
    approve->callback([&g] {
        g.action = [&g] {
            return sr::cli::call_and_print(
                g, "release.approve", json::object{{"request", q}}, [](const json::object& r) {
                    std::cout << fmt::format("release {} approved ({}{})\n",
                                             sr::cli::show(r.at("request")),
                                             sr::cli::show(r.at("authority")),
                                             sr::cli::text(r.at("reference")).empty()
                                                 ? ""
                                                 : " " + sr::cli::show(r.at("reference")));
                });
        };
    });

    static std::string issue_out;
    static std::uint64_t issue_q = 0;
    auto* issue = release->add_subcommand("issue", "write the released copy to a new file");
    issue->add_option("Q", issue_q, "release request")->required();
    issue->add_option("-o,--output", issue_out, "the file to create")
        ->required()
        ->option_text("FILE");
    sr::cli::examples(issue, {{"strongroom release issue 7 -o released-12.pdf",
                               "writes approved request 7's released copy to a new file"}});
    issue->callback([&g] {
        g.action = [&g] {
            return sr::cli::download_and_print(
                g, "release.issue", json::object{{"request", issue_q}}, issue_out,
                [](const json::object& r) {
                    std::cout << fmt::format("released copy {} of record {} written to {}\n",
                                             sr::cli::show(r.at("copy")), sr::cli::show(r.at("id")),
                                             sr::cli::output_name(issue_out));
                    std::cout << sr::cli::show(r.at("marking")) << "\n";
                });
        };
    });

    auto* list = release->add_subcommand("list", "your requests, and those waiting for you");
    sr::cli::examples(list, {{"strongroom release list",
                              "your release requests, and those waiting for your approval"}});
    list->callback([&g] {
        g.action = [&g] {
            return sr::cli::call_and_print(g, "release.list", {}, [](const json::object& r) {
                std::vector<std::vector<std::string>> rows;
                for (const auto& v : r.at("releases").as_array()) {
                    rows.push_back({sr::cli::show(v.at("request")), sr::cli::show(v.at("record")),
                                    sr::cli::show(v.at("to")), sr::cli::show(v.at("entity_kind")),
                                    sr::cli::show(v.at("requested_by")),
                                    sr::cli::show(v.at("state"))});
                }
                sr::cli::print_table(std::cout, {"Q", "RECORD", "TO", "KIND", "BY", "STATE"}, rows);
            });
        };
    });
}

}  // namespace

int main(int argc, char** argv) {
    sr::cli::Global g;
    g.program = "strongroom";
    CLI::App app{"strongroom: read, ingest and disseminate material held by Strongroom",
                 "strongroom"};
    sr::cli::add_global_options(app, g);
    app.require_subcommand(1);

    auto* whoami = app.add_subcommand("whoami", "show the account you are using, by your Unix uid");
    sr::cli::examples(whoami,
                      {{"strongroom whoami", "your account, its roles and the posts you hold"}});
    whoami->callback(
        [&] { g.action = [&] { return sr::cli::call_and_print(g, "whoami", {}, print_whoami); }; });

    add_record_commands(app, g);
    add_dissemination_commands(app, g);
    add_release_commands(app, g);

    return sr::cli::run(app, g, argc, argv);
}
