// A destruction certificate checked against the register (DESIGN §2 rule
// 10): valid only while the file is the one kept, its signature holds and
// every record it names is still destroyed without key or content.
#include "daemon/retention/certificates.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "daemon/common/text.hpp"
#include "daemon/crypto/digest.hpp"
#include "daemon/crypto/key_vault.hpp"
#include "daemon/retention/disposal.hpp"
#include "daemon/store/disposal.hpp"
#include "daemon/store/records.hpp"
#include "tests/unit/retention/scratch.hpp"

namespace strongroom::retention {
namespace {

using test::kNow;
using test::Scratch;

struct Certified : Scratch {
    std::int64_t record_id = record("raw-data", 10);
    std::int64_t batch = proposed(record_id, first, kNow);
    std::string certificate;

    Certified() {
        auto members = members_now(conn, batch);
        auto lines =
            dispose_records(conn, vault, batch, members->rows, RecordState::destroyed, kNow);
        const auto body = fmt::format(
            "STRONGROOM DESTRUCTION CERTIFICATE\nbatch: {}\nrecords: 1\n{}", batch, *lines);
        const auto sig = vault.signing_key().sign(
            {reinterpret_cast<const std::uint8_t*>(body.data()), body.size()});
        certificate = body + "signature: " + to_base64(sig) + "\n";
        store::DisposalRepository(conn).execute(batch, BatchState::executed, second, kNow,
                                                certificate);
    }

    Result<CertificateCheck> check(std::string_view file) {
        const auto key = vault.signing_key().public_key();
        return check_certificate(
            conn, batch, BatchKind::destroy, to_hex(crypto::sha256(file)),
            [key](std::string_view body, const auto& signature) {
                return crypto::Ed25519Key::verify(
                    key, {reinterpret_cast<const std::uint8_t*>(body.data()), body.size()},
                    signature);
            });
    }
};

TEST(Certificates, TheKeptCertificateOfADoneDisposalIsValid) {
    Certified c;
    const auto r = c.check(c.certificate);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_TRUE(r->problems.empty()) << r->problems.front();
    EXPECT_TRUE(r->matches_register);
    EXPECT_TRUE(r->register_signature_valid);
    EXPECT_EQ(r->records, 1U);
    EXPECT_EQ(r->records_disposed, 1U);
}

TEST(Certificates, AnAlteredFileIsNotTheOneKept) {
    Certified c;
    auto altered = c.certificate;
    altered.replace(altered.find("records: 1"), 10, "records: 0");
    const auto r = c.check(altered);
    ASSERT_TRUE(r);
    EXPECT_FALSE(r->matches_register);
    ASSERT_FALSE(r->problems.empty());
    EXPECT_EQ(r->problems[0],
              fmt::format("the file differs from the certificate of batch {} kept in the register",
                          c.batch));
}

TEST(Certificates, ARecordNamedThatIsNoLongerDestroyedMakesItInvalid) {
    Certified c;
    // Its content back, as an old restore of a backup taken before could do.
    store::RecordRepository(c.conn).put_chunk(c.record_id, 0, std::vector<std::uint8_t>(16, 1));
    const auto r = c.check(c.certificate);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->problems.size(), 1U);
    EXPECT_EQ(r->problems[0], fmt::format("record {} is not destroyed", c.record_id));
    EXPECT_EQ(r->records_disposed, 0U);
}

TEST(Certificates, ABatchNotDoneHasNoCertificateToCheck) {
    Scratch s;
    const auto batch = s.proposed(s.record("raw-data", 10), s.first, kNow);
    const auto r = check_certificate(s.conn, batch, BatchKind::destroy, "00",
                                     [](std::string_view, const auto&) { return true; });
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::conflict);
    EXPECT_EQ(check_certificate(s.conn, batch, BatchKind::transfer, "00",
                                [](std::string_view, const auto&) { return true; })
                  .error()
                  .code,
              ErrorCode::not_found);
}

}  // namespace
}  // namespace strongroom::retention
