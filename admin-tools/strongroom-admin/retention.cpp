// strongroom-admin retention and hold (CLI.md, registrars).
#include <cstdint>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/array.hpp>
#include <fmt/format.h>

#include "admin-tools/strongroom-admin/commands.hpp"

namespace strongroom::admin {
namespace json = boost::json;

namespace {

void add_schedule_commands(CLI::App& retention, cli::Global& g) {
    auto* list = retention.add_subcommand("list", "the retention schedule of each record type");
    cli::examples(
        list, {{"strongroom-admin retention list", "each record type's schedule, and who set it"}});
    list->callback([&g] {
        g.action = [&g] {
            return cli::call_and_print(g, "retention.list", {}, [](const json::object& r) {
                std::vector<std::vector<std::string>> rows;
                for (const auto& s : r.at("schedules").as_array()) {
                    const auto& o = s.as_object();
                    rows.push_back(
                        {cli::show(o.at("type")), cli::show(o.at("summary")),
                         o.at("built_in").as_bool()
                             ? std::string("built in")
                             : fmt::format("{}, approved by {}", cli::show(o.at("changed_by")),
                                           cli::show(o.at("approved_by")))});
                }
                cli::print_table(std::cout, {"TYPE", "SCHEDULE", "SET BY"}, rows);
            });
        };
    });

    struct SetArgs {
        std::string type;
        bool permanent = false;
        std::string destroy_after;
        std::string transfer;
        std::string review;
        std::string review_first_year;
    };
    static SetArgs sa;
    auto* set = retention.add_subcommand(
        "set", "change a record type's schedule (takes effect when a second registrar approves)");
    set->add_option("TYPE", sa.type, "record type, e.g. raw-acquisition-data")->required();
    auto* permanent = set->add_flag("--permanent", sa.permanent, "kept permanently");
    auto* destroy = set->add_option("--destroy-after", sa.destroy_after,
                                    "destroyed this long after cut-off (the record's date)")
                        ->option_text("PERIOD");
    permanent->excludes(destroy);
    set->add_option("--transfer", sa.transfer, "biannual: transferred to the archives twice a year")
        ->option_text("biannual|none");
    set->add_option("--review", sa.review, "reviewed at this interval (e.g. 1y, 6m)")
        ->option_text("PERIOD");
    set->add_option("--review-first-year", sa.review_first_year,
                    "a shorter interval in the mission's first year")
        ->option_text("PERIOD");
    cli::examples(set,
                  {{"strongroom-admin retention set raw-acquisition-data --destroy-after 2y",
                    "destroy raw data 2 years after its date (a second registrar approves)"},
                   {"strongroom-admin retention set mission-plan --permanent --transfer biannual "
                    "--review 6m",
                    "keep mission plans, transfer them twice a year, review every 6 months"}});
    set->callback([&g] {
        g.action = [&g] {
            json::object args{{"type", sa.type}};
            if (sa.permanent) {
                args["permanent"] = true;
            }
            auto put = [&args](const char* key, const std::string& v) {
                if (!v.empty()) {
                    args[key] = v;
                }
            };
            put("destroy_after", sa.destroy_after);
            put("transfer", sa.transfer);
            put("review", sa.review);
            put("review_first_year", sa.review_first_year);
            return cli::call_and_print(
                g, "retention.set", std::move(args), [](const json::object& r) {
                    std::cout << fmt::format("pending {}: {}\n", cli::show(r.at("pending_id")),
                                             cli::show(r.at("message")));
                });
        };
    });

    struct DueArgs {
        std::string as_of;
        std::string after;
        std::optional<std::uint64_t> limit;
    };
    static DueArgs da;
    auto* due =
        retention.add_subcommand("due", "what is due for destruction, transfer or review, and why");
    due->add_option("--as-of", da.as_of, "as of the end of this day (default: now)")
        ->option_text("YYYY-MM-DD");
    due->add_option("--after", da.after, "the page after this one (the \"next\" of a page)")
        ->option_text("CURSOR");
    due->add_option("--limit", da.limit, "at most this many items (default 1000, at most 10000)")
        ->option_text("N");
    cli::examples(due, {{"strongroom-admin retention due",
                         "what is due now for destruction, transfer or review"},
                        {"strongroom-admin retention due --as-of 2026-06-30",
                         "what will be due at the end of June 2026"}});
    due->callback([&g] {
        g.action = [&g] {
            json::object args;
            if (!da.as_of.empty()) {
                args["as_of"] = da.as_of;
            }
            if (!da.after.empty()) {
                args["after"] = da.after;
            }
            if (da.limit) {
                args["limit"] = *da.limit;
            }
            return cli::call_and_print(
                g, "retention.due", std::move(args), [](const json::object& r) {
                    std::vector<std::vector<std::string>> rows;
                    for (const auto& t : r.at("types").as_array()) {
                        const auto& o = t.as_object();
                        const auto* d = o.if_contains("destroy");
                        const auto* x = o.if_contains("transfer");
                        rows.push_back({cli::show(o.at("type")), cli::show(o.at("records")),
                                        d ? cli::show(*d) : "-", x ? cli::show(*x) : "-",
                                        cli::show(o.at("review")), cli::show(o.at("on_hold")),
                                        cli::show(o.at("overdue"))});
                    }
                    std::cout << fmt::format("as of {}\n", cli::show(r.at("as_of")));
                    cli::print_table(
                        std::cout,
                        {"TYPE", "HELD", "DESTROY", "TRANSFER", "REVIEW", "ON HOLD", "OVERDUE"},
                        rows);
                    for (const auto& u : r.at("unscheduled").as_array()) {
                        std::cout << fmt::format(
                            "no schedule for type {} ({} records): set one with 'retention set'\n",
                            cli::show(u.at("type")), cli::show(u.at("records")));
                    }
                    rows.clear();
                    for (const auto& i : r.at("due").as_array()) {
                        const auto& o = i.as_object();
                        std::string action = cli::show(o.at("action"));
                        if (o.at("overdue").as_bool()) {
                            action += " (overdue)";
                        }
                        const auto& holds = o.at("holds").as_array();
                        rows.push_back({cli::show(o.at("record")), action, cli::show(o.at("since")),
                                        holds.empty() ? "-" : cli::show(o.at("holds"), ","),
                                        cli::show(o.at("why"))});
                    }
                    if (!rows.empty()) {
                        std::cout << "\n";
                        cli::print_table(std::cout, {"RECORD", "DUE", "SINCE", "HOLDS", "WHY"},
                                         rows);
                    }
                    if (!r.at("next").is_null()) {
                        std::cout << fmt::format("more: --after {}\n", cli::show(r.at("next")));
                    }
                });
        };
    });

    static std::uint64_t review_id = 0;
    static std::string review_note;
    auto* review = retention.add_subcommand("review", "record that a record was reviewed");
    review->add_option("ID", review_id, "record")->required();
    review->add_option("--note", review_note, "what the review concluded")->option_text("TEXT");
    cli::examples(review, {{"strongroom-admin retention review 12 --note \"still current\"",
                            "records that record 12 was reviewed, and the conclusion"}});
    review->callback([&g] {
        g.action = [&g] {
            json::object args{{"id", review_id}};
            if (!review_note.empty()) {
                args["note"] = review_note;
            }
            return cli::call_and_print(
                g, "retention.review", std::move(args), [](const json::object& r) {
                    std::cout << fmt::format("record {} reviewed {}\n", cli::show(r.at("record")),
                                             cli::show(r.at("reviewed")));
                });
        };
    });
}

void add_hold_commands(CLI::App& app, cli::Global& g) {
    auto* hold = app.add_subcommand("hold", "legal holds: no disposal or transfer (registrars)");
    hold->require_subcommand(1);
    struct PlaceArgs {
        std::string name;
        std::string reason;
        std::vector<std::uint64_t> records;
        std::string type;
    };
    static PlaceArgs pa;
    auto* place = hold->add_subcommand("place", "place a hold on records or on a record type");
    place->add_option("NAME", pa.name, "the hold's name")->required();
    place->add_option("--reason", pa.reason, "why (an inquiry, a claim, ...)")
        ->option_text("TEXT")
        ->required();
    auto* records = place->add_option("--record", pa.records, "a record held (repeat)")
                        ->option_text("ID")
                        ->expected(1, 10000);
    auto* type =
        place->add_option("--type", pa.type, "every record of this type")->option_text("TYPE");
    records->excludes(type);
    cli::examples(place,
                  {{"strongroom-admin hold place inquiry-2026-03 --reason \"Board of inquiry, "
                    "convoy incident\" --record 12 --record 15",
                    "no disposal or transfer of records 12 and 15"},
                   {"strongroom-admin hold place claims-2026 --reason \"Pending claims\" --type "
                    "source-personal-data",
                    "holds every record of the type source-personal-data"}});
    place->callback([&g] {
        g.action = [&g] {
            json::object args{{"name", pa.name}, {"reason", pa.reason}};
            if (!pa.records.empty()) {
                json::array ids;
                for (const auto id : pa.records) {
                    ids.emplace_back(id);
                }
                args["records"] = std::move(ids);
            }
            if (!pa.type.empty()) {
                args["type"] = pa.type;
            }
            return cli::call_and_print(g, "hold.place", std::move(args), [](const json::object& r) {
                std::cout << fmt::format("hold {} placed on {}\n", cli::show(r.at("hold")),
                                         r.at("type").is_null()
                                             ? "records " + cli::show(r.at("records"))
                                             : "type " + cli::show(r.at("type")));
            });
        };
    });
    static std::string release_name;
    auto* release = hold->add_subcommand("release", "release a hold");
    release->add_option("NAME", release_name, "the hold's name")->required();
    cli::examples(release, {{"strongroom-admin hold release inquiry-2026-03",
                             "ends hold inquiry-2026-03 (other holds still apply)"}});
    release->callback([&g] {
        g.action = [&g] {
            return cli::call_and_print(
                g, "hold.release", json::object{{"name", release_name}}, [](const json::object& r) {
                    std::cout << fmt::format("hold {} released\n", cli::show(r.at("hold")));
                });
        };
    });
    auto* list = hold->add_subcommand("list", "holds in force");
    cli::examples(list,
                  {{"strongroom-admin hold list", "the holds in force, what they cover and why"}});
    list->callback([&g] {
        g.action = [&g] {
            return cli::call_and_print(g, "hold.list", {}, [](const json::object& r) {
                std::vector<std::vector<std::string>> rows;
                for (const auto& h : r.at("holds").as_array()) {
                    const auto& o = h.as_object();
                    rows.push_back({cli::show(o.at("name")),
                                    o.at("type").is_null()
                                        ? "records " + cli::show(o.at("records"), ",")
                                        : "type " + cli::show(o.at("type")),
                                    cli::show(o.at("placed_by")), cli::show(o.at("placed")),
                                    cli::show(o.at("reason"))});
                }
                cli::print_table(std::cout, {"HOLD", "ON", "BY", "PLACED", "REASON"}, rows);
            });
        };
    });
}

}  // namespace

void add_retention_commands(CLI::App& app, cli::Global& g) {
    auto* retention = app.add_subcommand("retention", "retention schedules and what is due");
    retention->require_subcommand(1);
    add_schedule_commands(*retention, g);
    add_hold_commands(app, g);
}

}  // namespace strongroom::admin
