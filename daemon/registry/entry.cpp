#include "daemon/registry/entry.hpp"

#include <fmt/ranges.h>

#include "daemon/registry/access.hpp"
#include "daemon/store/disposal.hpp"
#include "daemon/store/matrix.hpp"
#include "daemon/store/records.hpp"
#include "daemon/store/retention.hpp"

namespace strongroom::registry {

Error unknown_type(const std::string& type, const std::set<std::string>& known) {
    std::string list;
    for (const auto& t : known) {
        list += (list.empty() ? "" : ", ") + t;
    }
    return make_error(
        ErrorCode::bad_request,
        fmt::format("no retention schedule for record type \"{}\"{}{}", printable(type, 64),
                    list.empty() ? "" : ": use one of ",
                    list.empty() ? std::string(" (see strongroom-admin retention list)") : list));
}

namespace {

store::DisseminationRow given(std::int64_t record, std::int64_t post, Conveyance authority,
                              std::optional<std::int64_t> by, Micros at) {
    store::DisseminationRow d;
    d.record_id = record;
    d.recipient = Recipient::post(post);
    d.authority = authority;
    d.by_account = by;
    d.at = at;
    return d;
}

}  // namespace

Result<Entered> enter_record(store::Connection& conn, const Entry& entry, std::int64_t caller,
                             const policy::Clearance& clearance, const Arrived& content,
                             const std::string& mission_code, Micros now, std::string& why) {
    store::MatrixRepository matrix(conn);
    std::optional<std::int64_t> as_post;
    if (entry.as_post) {
        const auto p = matrix.find_post(*entry.as_post);
        if (!p) {
            why = "unknown post";
            return make_error(ErrorCode::not_found,
                              fmt::format("no post named {}", *entry.as_post));
        }
        as_post = p->id;
    }
    if (!store::RetentionRepository(conn).schedule(entry.type)) {
        why = "unknown record type";
        return unknown_type(entry.type, {});
    }
    if (store::DisposalRepository(conn).any_closure()) {
        why = "mission closed or being closed";
        return make_error(ErrorCode::conflict,
                          "the mission is closed or being closed: nothing more is stored here");
    }
    auto label = check_label(
        entry, clearance,
        [&matrix](const std::string& name) -> std::optional<std::int64_t> {
            const auto c = matrix.find_compartment(name);
            return c ? std::optional(c->id) : std::nullopt;
        },
        as_post, why);
    if (!label) {
        return std::move(label).error();
    }
    // A received product goes only to posts eligible for it.
    std::vector<store::PostRow> recipients;
    for (const auto& name : entry.to_posts) {
        auto post = matrix.find_post(name);
        if (!post) {
            why = "unknown post " + name;
            return make_error(ErrorCode::not_found,
                              fmt::format("no post named {}", printable(name, 64)));
        }
        const auto receive = policy::may_receive(post_clearance_from_db(conn, *post), *label);
        if (!receive.allowed) {
            why = fmt::format("post {}: {}", name, receive.reason);
            return make_error(ErrorCode::denied, why);
        }
        recipients.push_back(std::move(*post));
    }
    store::RecordRepository records(conn);
    store::RecordRow row;
    row.title = entry.title;
    row.level = entry.level;
    row.type = entry.type;
    row.dated = entry.dated;
    row.originator = caller;
    row.origin_post = as_post;
    row.safety = entry.safety;
    row.max_copies = entry.max_copies;
    row.filename = entry.filename;
    row.origin = entry.origin.value_or("");
    row.created_at = now;
    row.compartments = label->compartments;
    Entered out;
    if (entry.level > policy::kUnclassified) {
        const auto year = std::stoll(format_date(now).substr(0, 4));
        out.registry_number =
            fmt::format("{}/{}/{:06}", mission_code, year, records.next_registry_sequence(year));
    }
    const auto size = static_cast<std::int64_t>(content.size);
    const auto chunks = static_cast<std::int64_t>(content.chunks);
    out.id = content.written_ahead;
    if (out.id == 0) {
        // Nothing was written ahead: the row goes in whole, once.
        row.size = size;
        row.chunks = chunks;
        row.sha256.assign(content.digest.begin(), content.digest.end());
        row.is_text = content.is_text;
        row.registry_number = out.registry_number;
        out.id = records.insert_held(row);
    } else {
        // The row written ahead held the chunks; it gets its real
        // metadata now that the label has been checked.
        records.update_metadata(out.id, row);
        records.finish(out.id, size, chunks, content.digest, content.is_text, out.registry_number);
    }
    if (entry.origin) {
        for (const auto& post : recipients) {
            records.disseminate(given(out.id, post.id, Conveyance::receipt, caller, now));
            out.received_by.push_back(post.name);
        }
        why += fmt::format("; from {}, to {}", printable(*entry.origin, 60),
                           fmt::join(entry.to_posts, ", "));
    }
    if (entry.safety) {
        // Must-share (rule 5): to the security focal point, whatever the
        // compartments.
        if (const auto sfp = matrix.post_with_authority("security-focal-point")) {
            records.disseminate(given(out.id, sfp->id, Conveyance::must_share, std::nullopt, now));
            out.focal_point = sfp->name;
            out.focal_point_level = sfp->level;
            why += "; must-share to " + sfp->name;
        } else {
            why += "; must-share: no security focal point post exists";
        }
    }
    return out;
}

}  // namespace strongroom::registry
