// Ingest: a request whose content follows as data frames.
//
// The request is authenticated and its label checked as soon as it arrives
// (from the identity cache), so a refused ingest reads and drops the content
// without storing any of it. Content is then sealed chunk by chunk with a
// fresh record key as it arrives; up to kSpillBytes (512 KiB) of sealed
// chunks wait in memory, beyond that they are written ahead through the writer (without
// an audit entry: the ingest is audited once, when it ends) under a record
// row in state 'uploading'. At the end one transaction re-checks the caller
// and the label against the database, stores the last chunks, the wrapped
// key, the registry number, the text index and the must-share
// dissemination, and audits the ingest; the answer goes out once durable.
// A lost connection, a refusal at the end or a crash leaves nothing behind:
// written-ahead chunks are removed at once, or at the next start-up.
#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <set>

#include <boost/json/array.hpp>
#include <fmt/format.h>

#include "daemon/common/text.hpp"
#include "daemon/crypto/digest.hpp"
#include "daemon/crypto/key_vault.hpp"
#include "daemon/crypto/record_key.hpp"
#include "daemon/policy/clearance.hpp"
#include "daemon/protocol/args.hpp"
#include "daemon/registry/content.hpp"
#include "daemon/registry/entry.hpp"
#include "daemon/retention/schedule.hpp"
#include "daemon/service/arguments.hpp"
#include "daemon/service/handlers.hpp"
#include "daemon/service/internal.hpp"
#include "daemon/service/records.hpp"
#include "daemon/service/service.hpp"
#include "daemon/store/accounts.hpp"
#include "daemon/store/disposal.hpp"
#include "daemon/store/matrix.hpp"
#include "daemon/store/records.hpp"
#include "daemon/store/retention.hpp"

namespace strongroom::service {
namespace json = boost::json;

namespace {

// Sealed content beyond this goes to the writer while the rest arrives, so
// that sealing and writing overlap for large records.
constexpr std::size_t kSpillBytes = 512 * 1024;
constexpr std::size_t kMaxCompartments = 32;

Result<registry::Entry> read_ingest_args(const json::object& a, Micros now, bool receive) {
    protocol::ArgReader args(a);
    registry::Entry in;
    if (receive) {
        in.origin = args.required_string("from", 200);
        in.to_posts = args.string_list("to", 64, 64);
        if (in.to_posts.empty()) {
            args.fail(make_error(ErrorCode::bad_request,
                                 "name the posts the product goes to (--to POST, repeatable)"));
        }
    }
    in.title = args.required_string("title", 500);
    in.level = checked_level(args, "level");
    in.compartments = args.string_list("compartments", kMaxCompartments, 64);
    std::sort(in.compartments.begin(), in.compartments.end());
    in.compartments.erase(std::unique(in.compartments.begin(), in.compartments.end()),
                          in.compartments.end());
    in.type = args.optional_string("type", 64).value_or("intelligence-product");
    if (!is_valid_name(in.type)) {
        args.fail(make_error(ErrorCode::bad_request,
                             fmt::format("\"{}\" is not a valid record type", printable(in.type))));
    }
    in.dated = now - now % (86400LL * 1000000LL);
    if (auto dated = args.optional_string("dated", 10)) {
        if (auto d = parse_date(*dated)) {
            in.dated = *d;
        } else {
            args.fail(make_error(
                ErrorCode::bad_request,
                fmt::format("\"{}\" is not a date: use YYYY-MM-DD", printable(*dated, 16))));
        }
    }
    if (!receive) {
        in.as_post = args.optional_string("as", 64);
    }
    in.safety = args.optional_bool("safety", false);
    if (auto mc = args.optional_uint("max_copies", 1000000)) {
        in.max_copies = static_cast<std::int64_t>(*mc);
    }
    in.filename = args.optional_string("filename", 255).value_or("");
    if (auto err = args.finish()) {
        return *err;
    }
    if (in.title.empty() || in.title.find_first_not_of(" \t") == std::string::npos) {
        return make_error(ErrorCode::bad_request, "a record needs a title (--title)");
    }
    if (in.origin && in.origin->find_first_not_of(" \t") == std::string::npos) {
        return make_error(ErrorCode::bad_request,
                          "name where the product comes from (--from ORIGIN)");
    }
    if (in.filename.find('/') != std::string::npos) {
        in.filename = in.filename.substr(in.filename.rfind('/') + 1);
    }
    return in;
}

// Sealed content handed to the writer but not yet written: an upload faster
// than the writer waits here (on its server thread) rather than queueing its
// content in memory. Two spills of sealed chunks (each chunk has its tag).
constexpr std::size_t kMaxSpilledInFlight =
    2 * (kSpillBytes + (kSpillBytes / store::kChunkBytes + 1) * crypto::RecordKey::kTagBytes);

struct Shared {
    std::int64_t record_id = 0;  // writer thread only
    // A write-ahead that could not be stored (the disk full, an I/O error):
    // the ingest fails with it at its end, and later write-aheads store
    // nothing. Writer thread only.
    std::optional<Error> failed;

    std::mutex mutex;
    std::condition_variable written;
    std::size_t in_flight = 0;  // bytes handed to the writer, not yet committed
};

class IngestSink final : public ContentSink {
public:
    IngestSink(store::Store& store, const Deps& deps, const Peer& peer, registry::Entry args,
               store::AuditRecord audit, Reply reply, std::uint64_t request_id)
        : store_(store),
          deps_(deps),
          peer_(peer),
          args_(std::move(args)),
          audit_(std::move(audit)),
          reply_(std::move(reply)),
          request_id_(request_id),
          key_(std::make_shared<crypto::RecordKey>(crypto::RecordKey::generate())),
          shared_(std::make_shared<Shared>()) {}

    Status write(std::span<const std::uint8_t> bytes) override {
        sha_.update(bytes);
        size_ += bytes.size();
        track_text(bytes);
        while (!bytes.empty()) {
            if (plain_.size() == store::kChunkBytes) {
                seal(false);  // more content follows: not the last chunk
                if (sealed_bytes_ >= kSpillBytes) {
                    spill();  // within a frame too: a frame may be several MiB
                }
            }
            const std::size_t take = std::min(bytes.size(), store::kChunkBytes - plain_.size());
            plain_.insert(plain_.end(), bytes.begin(),
                          bytes.begin() + static_cast<std::ptrdiff_t>(take));
            bytes = bytes.subspan(take);
        }
        if (next_chunk_ + 1 >= store::kMaxChunks) {
            return make_error(ErrorCode::bad_request, "the content is too large for one record");
        }
        if (sealed_bytes_ >= kSpillBytes) {
            spill();
        }
        return {};
    }

    void finish() override {
        seal(true);
        finished_ = true;
        auto sealed = std::make_shared<std::vector<std::vector<std::uint8_t>>>(std::move(sealed_));
        const auto first = first_unwritten_;
        const auto chunks = next_chunk_;
        const auto digest = sha_.finish();
        auto result =
            std::make_shared<Result<json::object>>(make_error(ErrorCode::internal, "not run"));
        const bool is_text = text_.finish();
        auto text = std::make_shared<std::string>(text_.take());
        auto self = self_.lock();  // alive until the writer is done with it
        store_.writer().submit(
            audit_,
            [self, sealed, first, chunks, digest, result, text, is_text](
                store::Transaction& txn, store::AuditRecord& audit) {
                *result = self->commit(txn.connection(), audit, *sealed, first, chunks, digest,
                                       *text, is_text);
                // A refusal keeps only its clean-up of what was written ahead.
                return result->ok() || self->shared_->record_id != 0;
            },
            [self, result](const Status& committed) {
                if (!committed) {
                    self->reply_(protocol::Response::failure(self->request_id_, committed.error()));
                    return;
                }
                self->reply_(to_response(self->request_id_, std::move(*result)));
            });
    }

    void abandon() noexcept override {
        if (finished_) {
            return;
        }
        try {
            if (spilled_) {
                cleanup(shared_);
            }
        } catch (...) {
            // Left for the clean-up at the next start-up.
        }
    }

    // The sink must outlive the writer's callbacks: they hold a reference.
    void keep_alive(const std::shared_ptr<IngestSink>& self) { self_ = self; }

private:
    // Seals the buffered plaintext as the next chunk. A full chunk is
    // sealed only when more content arrives, so the last chunk is always
    // sealed here with final set (an empty record has one empty chunk).
    void seal(bool final) {
        if (!final && plain_.empty()) {
            return;
        }
        std::vector<std::uint8_t> out;
        out.reserve(plain_.size() + crypto::RecordKey::kTagBytes);
        key_->seal(next_chunk_, final, plain_, out);
        sealed_bytes_ += out.size();
        sealed_.push_back(std::move(out));
        ++next_chunk_;
        plain_.clear();
    }

    void track_text(std::span<const std::uint8_t> bytes) {
        text_.feed({reinterpret_cast<const char*>(bytes.data()), bytes.size()});
    }

    // Hands the sealed chunks so far to the writer, to be written ahead of
    // the record, once what was handed over before is down to one spill
    // (or nothing).
    void spill() {
        const auto bytes = sealed_bytes_;
        {
            std::unique_lock lock(shared_->mutex);
            // Never waits for less than nothing in flight, whatever one
            // spill holds.
            shared_->written.wait(lock, [this] {
                return shared_->in_flight == 0 ||
                       shared_->in_flight + sealed_bytes_ <= kMaxSpilledInFlight;
            });
            shared_->in_flight += bytes;
        }
        auto sealed = std::make_shared<std::vector<std::vector<std::uint8_t>>>(std::move(sealed_));
        sealed_.clear();
        sealed_bytes_ = 0;
        const auto first = first_unwritten_;
        first_unwritten_ = next_chunk_;
        spilled_ = true;
        auto shared = shared_;
        auto placeholder = placeholder_row();
        store_.writer().submit_internal(
            [sealed, first, shared, placeholder](store::Transaction& txn, store::AuditRecord&) {
                if (shared->failed) {
                    return true;  // the record is incomplete: nothing more is stored for it
                }
                store::RecordRepository records(txn.connection());
                // Run again after a rollback of its batch, the row it
                // inserted the first time may be gone.
                if (shared->record_id == 0 || !records.find(shared->record_id)) {
                    shared->record_id = records.insert(placeholder);
                }
                for (std::size_t i = 0; i < sealed->size(); ++i) {
                    records.put_chunk(shared->record_id, first + i, (*sealed)[i]);
                }
                return true;  // (sealed stays: the batch may be run again after a rollback)
            },
            [shared, bytes](const Status& committed) {
                // Committed or failed: either way no longer held for the writer
                // (a failure fails the ingest at its end).
                if (!committed && !shared->failed) {
                    shared->failed = committed.error();
                }
                {
                    std::lock_guard lock(shared->mutex);
                    shared->in_flight -= bytes;
                }
                shared->written.notify_all();
            });
    }

    store::RecordRow placeholder_row() const {
        store::RecordRow r;
        r.title = "(upload in progress)";
        r.level = policy::kHighestLevel;
        r.type = args_.type;
        r.dated = args_.dated;
        r.originator = audit_.account_id.value_or(0);
        r.created_at = audit_.at;
        return r;
    }

    void cleanup(const std::shared_ptr<Shared>& shared) {
        store_.writer().submit_internal(
            [shared](store::Transaction& txn, store::AuditRecord&) {
                if (shared->record_id != 0) {
                    store::RecordRepository(txn.connection()).remove_unfinished(shared->record_id);
                }
                return true;
            },
            nullptr);
    }

    // The end of the ingest, in the writer's transaction.
    Result<json::object> commit(store::Connection& conn, store::AuditRecord& audit,
                                const std::vector<std::vector<std::uint8_t>>& sealed,
                                std::uint64_t first, std::uint64_t chunks,
                                const crypto::Sha256Digest& digest, const std::string& text,
                                bool is_text) {
        const Micros now = now_micros();
        auto refuse = [&audit, &conn, this](Error e, std::string reason) -> Result<json::object> {
            if (shared_->record_id != 0) {
                store::RecordRepository(conn).remove_unfinished(shared_->record_id);
            }
            audit.decision = decision_for(e.code);
            audit.reason = std::move(reason);
            return e;
        };
        // Content written ahead was lost to a failed commit: the record
        // would be incomplete, so the ingest fails with that error.
        if (shared_->failed) {
            return refuse(*shared_->failed,
                          fmt::format("content not stored: {}", shared_->failed->message));
        }
        if (shared_->record_id != 0 && !store::RecordRepository(conn).find(shared_->record_id)) {
            return refuse(make_error(ErrorCode::unavailable,
                                     "the content written ahead was not stored; nothing was "
                                     "stored: send it again"),
                          "content written ahead was lost");
        }
        if (deps_.disk != nullptr && !deps_.disk->accepting_changes()) {
            return refuse(make_error(ErrorCode::unavailable, deps_.disk->changes_refused()),
                          "refused: the state directory's file system is below [disk] "
                          "admin_space_left_mib");
        }
        const auto caller = store::AccountRepository(conn).find_by_uid(peer_.uid);
        if (!caller || caller->suspended) {
            return refuse(make_error(ErrorCode::denied, "your account is not active"),
                          "account not active at the end of the upload");
        }
        std::string reason;
        const auto entered = registry::enter_record(conn, args_, caller->id,
                                                    clearance_from_db(conn, caller->id, now),
                                                    {.size = size_,
                                                     .chunks = chunks,
                                                     .digest = digest,
                                                     .is_text = is_text,
                                                     .written_ahead = shared_->record_id},
                                                    deps_.mission_code, now, reason);
        if (!entered) {
            return refuse(entered.error(), reason);
        }
        const auto id = entered->id;
        store::RecordRepository records(conn);
        for (std::size_t i = 0; i < sealed.size(); ++i) {
            records.put_chunk(id, first + i, sealed[i]);
        }
        records.put_key(id, deps_.vault->wrap_record_key(id, *key_));
        records.index_text(id, args_.title, text);
        if (deps_.text_pacer != nullptr &&
            deps_.text_pacer->indexed(args_.title.size() + text.size())) {
            records.merge_text_index(store::TextIndexPacer::kLeavesPerStep);
        }
        json::object out;
        out["id"] = id;
        out["registry_number"] = entered->registry_number ? json::value(*entered->registry_number)
                                                          : json::value(nullptr);
        out["level"] = policy::level_name(args_.level);
        out["size"] = size_;
        out["text"] = is_text;
        if (args_.origin) {
            json::array to;
            for (const auto& post : entered->received_by) {
                to.emplace_back(post);
            }
            out["origin"] = *args_.origin;
            out["disseminated_to"] = std::move(to);
        }
        if (args_.safety) {
            if (const auto& sfp = entered->focal_point) {
                out["must_share"] = *sfp;
                if (entered->focal_point_level < args_.level) {
                    out["warning"] = fmt::format(
                        "post {} has received the record but holds only {}: it cannot read it "
                        "until a technical officer raises the post's level",
                        *sfp, policy::level_name(entered->focal_point_level));
                }
            } else {
                out["must_share"] = nullptr;
                out["warning"] =
                    "no post holds the security-focal-point authority: a technical "
                    "officer must create one; the record has not reached it";
            }
        }
        audit.object = fmt::format("record:{}", id);
        audit.decision = store::Decision::allow;
        audit.reason = fmt::format("active account; {}", reason);
        return out;
    }

    store::Store& store_;
    const Deps& deps_;
    Peer peer_;
    registry::Entry args_;
    store::AuditRecord audit_;
    Reply reply_;
    std::uint64_t request_id_;
    std::weak_ptr<IngestSink> self_;

    std::shared_ptr<crypto::RecordKey> key_;
    crypto::Sha256Stream sha_;
    std::uint64_t size_ = 0;
    std::vector<std::uint8_t> plain_;
    std::vector<std::vector<std::uint8_t>> sealed_;
    std::size_t sealed_bytes_ = 0;
    std::uint64_t next_chunk_ = 0;
    std::uint64_t first_unwritten_ = 0;
    bool spilled_ = false;
    bool finished_ = false;
    std::shared_ptr<Shared> shared_;

    IndexedText text_{registry::kMaxIndexedText};
};

// The sink handed to the server: owns the IngestSink, which the writer's
// callbacks keep alive until they have run.
class SinkHandle final : public ContentSink {
public:
    explicit SinkHandle(std::shared_ptr<IngestSink> sink) : sink_(std::move(sink)) {}
    Status write(std::span<const std::uint8_t> bytes) override { return sink_->write(bytes); }
    void finish() override { sink_->finish(); }
    void abandon() noexcept override { sink_->abandon(); }

private:
    std::shared_ptr<IngestSink> sink_;
};

}  // namespace

Result<json::object> handle_ingest(Context&) {
    return make_error(ErrorCode::bad_request, "ingest needs content to follow the request");
}

Result<json::object> handle_receive(Context&) {
    return make_error(ErrorCode::bad_request, "receive needs content to follow the request");
}

Result<std::unique_ptr<ContentSink>> Service::upload(const Peer& peer, protocol::Request request,
                                                     Reply reply) {
    const Micros now = now_micros();
    auto& writer = store_.writer();
    if (writer.failed() || writer.blocked() != store::Writer::Trouble::none) {
        refused_unaudited_.fetch_add(1, std::memory_order_relaxed);
        return make_error(ErrorCode::unavailable, writer.unavailable_message());
    }
    auto audit = begin_record(peer, request.op, now);
    const Operation* op = find_operation(request.op);
    if (op == nullptr || op->mode != Mode::upload) {
        audit.decision = store::Decision::deny;
        audit.reason = "content sent with an operation that takes none";
        writer.submit_audit(std::move(audit));
        return make_error(ErrorCode::bad_request,
                          fmt::format("\"{}\" does not take content", printable(request.op, 48)));
    }
    const auto identities = identities_.current();
    const auto* caller = identities->find(peer.uid);
    const auto subject = subject_of(peer.uid, caller);
    if (caller != nullptr) {
        audit.account_id = caller->id;
        audit.account = caller->name;
    }
    auto refuse = [&](Error e, std::string reason) -> Result<std::unique_ptr<ContentSink>> {
        audit.decision = decision_for(e.code);
        audit.reason = std::move(reason);
        writer.submit_audit(std::move(audit));
        return e;
    };
    const auto decision = policy::authorize(op->who, subject, true);
    if (!decision.allowed) {
        return refuse(make_error(decision.code, refusal_message(decision, subject, op->who.kind)),
                      decision.reason);
    }
    // Too little space: refused before any content is stored.
    if (options_.disk != nullptr && !options_.disk->accepting_changes()) {
        return refuse(make_error(ErrorCode::unavailable, options_.disk->changes_refused()),
                      "refused: the state directory's file system is below [disk] "
                      "admin_space_left_mib");
    }
    auto args = read_ingest_args(request.args, now, request.op == "receive");
    if (!args) {
        return refuse(args.error(),
                      fmt::format("{}; refused: {}", decision.reason, args.error().message));
    }
    // An early check of the label, from the cache: a refused ingest stores
    // nothing. The end of the upload checks again from the database.
    const auto& dir = identities->dir;
    const auto clearance = clearance_of(dir, caller->id, now);
    std::optional<std::int64_t> as_post;
    if (args->as_post) {
        for (const auto& [id, p] : dir.posts) {
            if (p.name == *args->as_post) {
                as_post = id;
            }
        }
        if (!as_post) {
            return refuse(
                make_error(ErrorCode::not_found,
                           fmt::format("no post named {}", printable(*args->as_post, 64))),
                "unknown post");
        }
    }
    for (const auto& name : args->to_posts) {
        const bool known = std::any_of(dir.posts.begin(), dir.posts.end(),
                                       [&name](const auto& p) { return p.second.name == name; });
        if (!known) {
            return refuse(make_error(ErrorCode::not_found,
                                     fmt::format("no post named {}", printable(name, 64))),
                          "unknown post");
        }
    }
    if (dir.record_types.count(args->type) == 0) {
        return refuse(registry::unknown_type(args->type, dir.record_types), "unknown record type");
    }
    std::string reason;
    auto label = registry::check_label(
        *args, clearance,
        [&dir](const std::string& name) -> std::optional<std::int64_t> {
            const auto it = dir.compartment_ids.find(name);
            return it == dir.compartment_ids.end() ? std::nullopt : std::optional(it->second);
        },
        as_post, reason);
    if (!label) {
        return refuse(label.error(), fmt::format("{}; refused: {}", decision.reason, reason));
    }
    auto sink = std::make_shared<IngestSink>(store_, deps_, peer, std::move(*args),
                                             std::move(audit), std::move(reply), request.id);
    sink->keep_alive(sink);
    return std::unique_ptr<ContentSink>(std::make_unique<SinkHandle>(std::move(sink)));
}

std::vector<std::string> Service::separation_conflicts() {
    auto lease = store_.readers().lease();
    store::ReadSnapshot snapshot(lease.connection());
    std::vector<std::string> out;
    for (const auto& c :
         store::MatrixRepository(lease.connection()).oversight_conflicts(now_micros())) {
        out.push_back(fmt::format(
            "separation of duties: account {} holds the officer or auditor role and post {} "
            "(assigned before the rule was enforced); the post grants it nothing until an "
            "officer ends it: strongroom-admin post unassign {} {}",
            c.account, c.post, c.post, c.account));
    }
    return out;
}

std::vector<std::string> Service::add_built_in_schedules() {
    auto added = std::make_shared<std::vector<std::string>>();
    store_.writer().submit_internal(
        [added](store::Transaction& txn, store::AuditRecord&) {
            store::RetentionRepository repo(txn.connection());
            for (const auto& s : retention::built_in_schedules()) {
                store::ScheduleRow row;
                row.type = s.type;
                row.disposition = std::string(retention::to_string(s.disposition));
                if (s.destroy_after) {
                    row.destroy_after = retention::to_string(*s.destroy_after);
                }
                row.transfer = s.transfer;
                if (s.review) {
                    row.review = retention::to_string(*s.review);
                }
                if (s.review_first_year) {
                    row.review_first_year = retention::to_string(*s.review_first_year);
                }
                if (repo.add_missing_schedule(row)) {
                    added->push_back(s.type);
                }
            }
            return true;
        },
        nullptr);
    store_.writer().flush();
    identities_.invalidate();  // the record types ingest accepts
    return *added;
}

void Service::remove_unfinished_uploads() {
    store_.writer().submit_internal(
        [](store::Transaction& txn, store::AuditRecord&) {
            store::RecordRepository(txn.connection()).remove_unfinished();
            return true;
        },
        nullptr);
    store_.writer().flush();
}

}  // namespace strongroom::service
