// Checkpoints of the audit chain: the file strongroomd appends to, the
// signed form auditors keep, and verification against both.
#include "daemon/audit/checkpoint.hpp"

#include <fstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "daemon/audit/trail.hpp"
#include "daemon/common/text.hpp"
#include "daemon/store/sqlite.hpp"
#include "daemon/store/store.hpp"
#include "tests/support/temp_store.hpp"

namespace strongroom::audit {
namespace {

using test::make_vault;
using test::ScratchDir;

Checkpoint cp(std::int64_t seq, std::uint8_t fill) {
    Checkpoint c;
    c.seq = seq;
    c.head.fill(fill);
    c.at = 1'700'000'000'000'000 + seq * 1'000'000;
    return c;
}

TEST(CheckpointLog, LinesComeBackAndAnAlteredOneIsNamed) {
    ScratchDir dir;
    const auto vault = make_vault();
    const auto path = dir.path() / "audit-checkpoints";
    {
        CheckpointLog log(path, vault.audit_mac());
        ASSERT_TRUE(log.append(cp(10, 0xaa)));
        ASSERT_TRUE(log.append(cp(20, 0xbb)));
        const auto content = log.read();
        ASSERT_TRUE(content);
        ASSERT_EQ(content->checkpoints.size(), 2U);
        EXPECT_EQ(content->checkpoints[1].seq, 20);
        EXPECT_EQ(content->checkpoints[1].head, cp(20, 0xbb).head);
        EXPECT_EQ(content->checkpoints[1].at, cp(20, 0xbb).at);
        EXPECT_TRUE(content->problems.empty());
    }
    // Someone edits the first line's sequence number: the line no longer counts.
    std::string text;
    {
        std::ifstream in(path);
        text.assign(std::istreambuf_iterator<char>(in), {});
    }
    text.replace(0, 2, "99");
    std::ofstream(path, std::ios::trunc) << text;
    CheckpointLog reopened(path, vault.audit_mac());
    const auto content = reopened.read();
    ASSERT_TRUE(content);
    ASSERT_EQ(content->checkpoints.size(), 1U);
    EXPECT_EQ(content->checkpoints[0].seq, 20);
    ASSERT_EQ(content->problems.size(), 1U);
    EXPECT_NE(content->problems[0].find("line 1"), std::string::npos);
    // Another key cannot write lines that count.
    CheckpointLog other(path, make_vault(7).audit_mac());
    EXPECT_TRUE(other.read()->checkpoints.empty());
}

TEST(CheckpointLog, ALineWithAnHourMinuteOrSecondThatIsNotTwoDigitsDoesNotCount) {
    // Correctly MACed lines whose time has "-1" or "+1" where two digits belong: refused like
    // any malformed line, the well-formed one kept.
    ScratchDir dir;
    const auto vault = make_vault();
    const auto path = dir.path() / "audit-checkpoints";
    const std::string head(64, 'a');
    std::string text;
    int seq = 1;
    for (const char* at : {"2026-11-22T-1:00:00Z", "2026-11-22T08:-1:00Z", "2026-11-22T08:00:+1Z",
                           "2026-11-22T08:00:01Z"}) {
        const auto mac = to_hex(
            vault.audit_mac().mac(fmt::format("strongroom checkpoint v1|{}|{}|{}", seq, head, at)));
        text += fmt::format("{} {} {} {}\n", seq, head, at, mac);
        ++seq;
    }
    std::ofstream(path, std::ios::trunc) << text;
    CheckpointLog log(path, vault.audit_mac());
    const auto content = log.read();
    ASSERT_TRUE(content);
    ASSERT_EQ(content->checkpoints.size(), 1U);
    EXPECT_EQ(content->checkpoints[0].seq, 4);
    EXPECT_EQ(content->problems.size(), 3U);
}

TEST(SignedCheckpoint, RoundTripsAndItsSignatureCoversEveryLine) {
    const auto vault = make_vault();
    const auto key = vault.signing_key();
    const auto text = signed_checkpoint(cp(42, 0x5c), "UNMISS", key);
    const auto parsed = parse_signed_checkpoint(text);
    ASSERT_TRUE(parsed) << parsed.error().message;
    EXPECT_EQ(parsed->checkpoint.seq, 42);
    EXPECT_EQ(parsed->checkpoint.head, cp(42, 0x5c).head);
    EXPECT_EQ(parsed->mission, "UNMISS");
    auto verifies = [&key](const ParsedCheckpoint& p) {
        return crypto::Ed25519Key::verify(
            key.public_key(), {reinterpret_cast<const std::uint8_t*>(p.body.data()), p.body.size()},
            p.signature);
    };
    EXPECT_TRUE(verifies(*parsed));
    // Any changed character of the five signed lines breaks the signature.
    const auto sig_at = text.find("signature: ");
    for (std::size_t i = 0; i < sig_at; ++i) {
        if (text[i] == '\n' || text[i] == ':' || text[i] == ' ') {
            continue;
        }
        auto changed = text;
        changed[i] = changed[i] == '1' ? '2' : '1';
        const auto p = parse_signed_checkpoint(changed);
        EXPECT_TRUE(!p || !verifies(*p)) << i;
    }
    EXPECT_FALSE(parse_signed_checkpoint("hello\n"));
    EXPECT_FALSE(parse_signed_checkpoint(text.substr(0, sig_at)));
}

TEST(SignedCheckpoint, ThePublicKeyIsStandardPem) {
    const auto key = make_vault().signing_key().public_key();
    const auto pem = public_key_pem(key);
    EXPECT_EQ(pem.rfind("-----BEGIN PUBLIC KEY-----\n", 0), 0U);
    const auto b64 = pem.substr(27, pem.find("\n-----END") - 27);
    const auto der = from_base64(b64);
    ASSERT_TRUE(der);
    ASSERT_EQ(der->size(), 44U);
    EXPECT_TRUE(std::equal(key.begin(), key.end(), der->begin() + 12));
}

struct Chain {
    ScratchDir dir;
    crypto::KeyVault vault = make_vault();
    store::Store store{test::store_options(dir.path(), 3), vault, true};

    // Appends n entries; returns the head.
    Checkpoint append(int n) {
        auto& conn = store.writer_connection();
        Trail trail(vault.audit_mac(), store::AuditRepository(conn).head());
        store::Transaction txn(conn);
        conn.exec("BEGIN");
        for (int i = 0; i < n; ++i) {
            store::AuditRecord r;
            r.at = 1000 + i;
            r.request = "whoami";
            r.reason = "test";
            trail.append(txn, std::move(r));
        }
        trail.flush(txn);
        conn.exec("COMMIT");
        return trail.head();
    }
    VerifyResult verify(const std::vector<Checkpoint>& cps) {
        auto mac = vault.audit_mac();
        return audit::verify(store.writer_connection(), mac, cps);
    }
};

TEST(VerifyWithCheckpoints, MatchingCheckpointsPassAndTruncationIsNamed) {
    Chain c;
    const auto at10 = c.append(10);
    const auto at25 = c.append(15);
    auto r = c.verify({at10, at25});
    EXPECT_TRUE(r.intact) << r.problem;
    EXPECT_EQ(r.checkpoints_checked, 2);
    c.store.writer_connection().exec("DELETE FROM audit_log WHERE seq > 18");
    r = c.verify({at10, at25});
    EXPECT_FALSE(r.intact);
    EXPECT_EQ(r.first_bad, 19);
    EXPECT_EQ(r.entries, 18);
    // Without the later checkpoint, the truncation cannot be seen.
    EXPECT_TRUE(c.verify({at10}).intact);
}

TEST(VerifyWithCheckpoints, AChainRewrittenWithTheKeyDiffersFromItsCheckpoint) {
    Chain c;
    c.append(5);
    auto at8 = c.append(3);
    at8.head[0] ^= 1;  // as if entries up to 8 had been rewritten and chained again
    const auto r = c.verify({at8});
    EXPECT_FALSE(r.intact);
    EXPECT_EQ(r.first_bad, 8);
}

// Ranges verified side by side find what one pass finds, wherever the
// damage falls relative to the ranges' boundaries.
TEST(VerifyInRanges, FindsTheSameFirstBadEntryAsOnePass) {
    for (const int workers : {2, 3}) {
        for (const std::int64_t bad : {1, 10, 11, 12, 20, 21, 29, 30}) {
            for (const char* how : {"change", "delete"}) {
                Chain c;
                c.append(30);
                auto& conn = c.store.writer_connection();
                const auto sql =
                    std::string(how) == "change"
                        ? fmt::format("UPDATE audit_log SET reason = 'x' WHERE seq = {}", bad)
                        : fmt::format("DELETE FROM audit_log WHERE seq = {}", bad);
                conn.exec(sql.c_str());
                auto one_mac = c.vault.audit_mac();
                const auto one = audit::verify(conn, one_mac);
                std::vector<crypto::HmacSha256> macs;
                macs.reserve(static_cast<std::size_t>(workers));
                std::vector<VerifyWorker> w;
                auto readers = std::vector<store::ReaderLease>();
                for (int i = 0; i < workers; ++i) {
                    readers.push_back(c.store.readers().lease());
                    macs.push_back(c.vault.audit_mac());
                    w.push_back({&readers.back().connection(), &macs.back()});
                }
                const auto many = audit::verify(w);
                if (std::string(how) == "delete" && bad == 30) {
                    // The newest entry gone leaves no trace without a checkpoint.
                    EXPECT_TRUE(many.intact);
                    EXPECT_EQ(many.entries, 29);
                    continue;
                }
                EXPECT_FALSE(many.intact) << workers << how << bad;
                EXPECT_EQ(many.first_bad, bad) << workers << how << bad;
                EXPECT_EQ(many.first_bad, one.first_bad) << workers << how << bad;
                EXPECT_EQ(many.entries, one.entries) << workers << how << bad;
            }
        }
    }
}

}  // namespace
}  // namespace strongroom::audit
