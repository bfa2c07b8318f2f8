// Numbered copies (DESIGN §2 rules 7 and 8) against a scratch store: numbers
// in turn and never again, the copy limit, a limit of zero, a release's
// copy, closing by the holder or a registrar only and once, the marking.
#include "daemon/registry/copies.hpp"

#include <cstring>
#include <set>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "daemon/common/fingerprint.hpp"
#include "daemon/registry/access.hpp"
#include "daemon/store/copies.hpp"
#include "daemon/store/matrix.hpp"
#include "tests/unit/registry/fixture.hpp"

namespace strongroom::registry {
namespace {

using namespace test;  // the scratch registry and its constants

CopyRequest by(std::int64_t holder, const std::string& name) {
    CopyRequest c;
    c.holder = holder;
    c.holder_name = name;
    c.purpose = "brief";
    c.at = kNow;
    return c;
}

Result<ClosedCopy> close(Registry& r, std::int64_t record, std::int64_t number, std::int64_t closer,
                         bool registrar, std::string& why, CopyEnd end = CopyEnd::returned) {
    return close_copy(r.conn,
                      {.record = record,
                       .number = number,
                       .end = end,
                       .by = closer,
                       .registrar = registrar,
                       .at = kNow},
                      why);
}

TEST(Copies, NumbersAreHandedOutInTurnAndNeverAgain) {  // rule 8
    Registry r;
    const auto id = r.record(r.ana, kStrictly, {r.jmac});
    const auto row = r.row(id);
    std::string why;
    const auto first = issue_copy(r.conn, row, by(r.ana, "ana"), why);
    ASSERT_TRUE(first);
    EXPECT_EQ(first->number, 1);
    EXPECT_EQ(why, "; copy 1 issued");
    ASSERT_TRUE(close(r, id, 1, r.ana, false, why));
    const auto second = issue_copy(r.conn, row, by(r.ana, "ana"), why);
    ASSERT_TRUE(second);
    EXPECT_EQ(second->number, 2) << "a closed copy's number was handed out again";
    EXPECT_NE(first->fingerprint, second->fingerprint);
    EXPECT_NE(first->fingerprint, 0U);
}

TEST(Copies, TheCopyLimitBoundsThoseOutstandingAndAReleaseIsNotCounted) {  // rule 8
    Registry r;
    const auto id = r.record(r.ana, kConfidential, {r.jmac}, 1);
    const auto row = r.row(id);
    std::string why;
    ASSERT_TRUE(issue_copy(r.conn, row, by(r.ana, "ana"), why));
    why.clear();
    const auto refused = issue_copy(r.conn, row, by(r.ana, "ana"), why);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, ErrorCode::conflict);
    EXPECT_NE(refused.error().message.find("1 of at most 1 copies outstanding"), std::string::npos)
        << refused.error().message;
    EXPECT_EQ(why, "; copy limit reached (1 of 1 outstanding)");
    // An approved release's copy does not wait for one to come back.
    auto release = by(r.ana, "ana");
    release.released_to = "RELEASED TO UNCT UNDER MOU-8";
    const auto released = issue_copy(r.conn, row, release, why);
    ASSERT_TRUE(released);
    EXPECT_EQ(store::CopyRepository(r.conn).find(id, released->number)->state, "released");
    EXPECT_NE(released->marking.find("| RELEASED TO UNCT UNDER MOU-8"), std::string::npos);
    // Returned: the limit allows another.
    ASSERT_TRUE(close(r, id, 1, r.ana, false, why));
    EXPECT_TRUE(issue_copy(r.conn, row, by(r.ana, "ana"), why));
}

TEST(Copies, ALimitOfZeroKeepsTheContentInside) {  // rule 8
    Registry r;
    const auto row = r.row(r.record(r.ana, kConfidential, {}, 0));
    std::string why;
    const auto refused = issue_copy(r.conn, row, by(r.ana, "ana"), why);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, ErrorCode::conflict);
    EXPECT_NE(refused.error().message.find("may not leave"), std::string::npos);
    EXPECT_EQ(store::CopyRepository(r.conn).next_number(row.id), 1) << "a copy was registered";
}

TEST(Copies, OnlyTheHolderOrARegistrarClosesACopyAndOnlyOnce) {  // rules 7 and 8
    Registry r;
    const auto colleague = r.second_analyst();
    const auto id = r.record(r.ana, kConfidential, {r.jmac});
    r.disseminate_to_post(id, r.analysts);
    std::string why;
    ASSERT_TRUE(issue_copy(r.conn, r.row(id), by(r.ana, "ana"), why));
    ASSERT_TRUE(issue_copy(r.conn, r.row(id), by(r.ana, "ana"), why));

    // A reader of the record who is not the holder: told who holds it.
    auto refused = close(r, id, 1, colleague, false, why);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, ErrorCode::denied);
    EXPECT_NE(refused.error().message.find("held by ana"), std::string::npos);
    EXPECT_EQ(why, "neither the holder nor a registrar");
    // Someone who may not read it learns nothing, not even that it exists.
    refused = close(r, id, 1, r.ben, false, why);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().message, no_record(id).message);
    refused = close(r, id, 9, r.ben, false, why);
    EXPECT_EQ(refused.error().message, no_record(id).message);
    // A reader asking for a copy that does not exist is told so.
    refused = close(r, id, 9, colleague, false, why);
    EXPECT_EQ(refused.error().code, ErrorCode::not_found);
    EXPECT_EQ(refused.error().message, fmt::format("record {} has no copy 9", id));

    // The holder, then a registrar (who needs no clearance).
    auto closed = close(r, id, 1, r.ana, false, why, CopyEnd::destroyed);
    ASSERT_TRUE(closed);
    EXPECT_EQ(closed->outstanding, 1);
    EXPECT_EQ(why, "holder; copy destroyed");
    closed = close(r, id, 2, r.reg, true, why, CopyEnd::lost);
    ASSERT_TRUE(closed);
    EXPECT_EQ(closed->outstanding, 0);
    EXPECT_EQ(why, "registrar; copy lost");
    // Once: a closed copy stays as it was closed.
    refused = close(r, id, 1, r.ana, false, why);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, ErrorCode::conflict);
    EXPECT_EQ(refused.error().message, fmt::format("copy 1 of record {} is already destroyed", id));
    EXPECT_EQ(store::CopyRepository(r.conn).find(id, 1)->state, "destroyed");
}

TEST(Copies, TheWaysToCloseACopyAreReturnedDestroyedOrLost) {
    for (const auto e : {CopyEnd::returned, CopyEnd::destroyed, CopyEnd::lost}) {
        EXPECT_EQ(parse_copy_end(to_text(e)), e);
    }
    EXPECT_FALSE(parse_copy_end("outstanding"));
    EXPECT_FALSE(parse_copy_end("released"));
    EXPECT_FALSE(parse_copy_end(""));
}

class Text final : public ContentSource {
public:
    explicit Text(std::string text) : text_(std::move(text)) {}
    Result<std::size_t> read(std::span<std::uint8_t> buffer) override {
        const auto n = std::min(buffer.size(), text_.size() - at_);
        std::memcpy(buffer.data(), text_.data() + at_, n);
        at_ += n;
        return n;
    }

private:
    std::string text_;
    std::size_t at_ = 0;
};

std::string drain(ContentSource& s) {
    std::string out;
    std::uint8_t buf[7];
    for (;;) {
        auto n = s.read(buf);
        EXPECT_TRUE(n);
        if (!n || *n == 0) {
            return out;
        }
        out.append(reinterpret_cast<const char*>(buf), *n);
    }
}

TEST(Copies, ACopyIsMarkedWithItsLevelNumberAndHolderAndNoTextCanForgeTheLine) {  // rule 8
    Registry r;
    const auto id = r.record(r.ana, kStrictly, {r.jmac});
    std::string why;
    // A holder's name as hostile as the store could hold it.
    const auto copy = issue_copy(r.conn, r.row(id), by(r.ana, "ana | copy 99\n\x1b[2J"), why);
    ASSERT_TRUE(copy);
    EXPECT_EQ(copy->marking.find('\n'), std::string::npos) << copy->marking;
    EXPECT_EQ(copy->marking.find('\x1b'), std::string::npos) << copy->marking;
    EXPECT_TRUE(copy->marking.starts_with("STRICTLY CONFIDENTIAL // JMAC | record "))
        << copy->marking;
    EXPECT_NE(copy->marking.find("| copy 1 | holder "), std::string::npos) << copy->marking;
    EXPECT_EQ(copy->marking.find("| copy 99"), std::string::npos) << "the holder forged a field";

    auto marked =
        marked_content(std::make_unique<Text>("the harbour is mined\n"), r.row(id), *copy);
    const auto out = drain(*marked);
    EXPECT_TRUE(out.starts_with(copy->marking + "\n")) << out;
    EXPECT_TRUE(out.ends_with(copy->marking + "\n")) << out;
    EXPECT_NE(out.find("the harbour is mined"), std::string::npos) << out;
    // The text carries the copy's fingerprint: a leaked excerpt names it.
    fingerprint::Scanner scan;
    scan.feed({reinterpret_cast<const std::uint8_t*>(out.data()), out.size()});
    EXPECT_EQ(scan.tokens(), std::set<std::uint64_t>{copy->fingerprint});
}

}  // namespace
}  // namespace strongroom::registry
