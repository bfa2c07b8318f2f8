// The keys behind signed documents and checkpoints (DESIGN §2 rule 12): a
// document verifies only against this strongroom's key and unaltered; a
// checkpoint someone holds is judged, and the chain verified against it.
#include "daemon/audit/keys.hpp"

#include <gtest/gtest.h>

#include "daemon/crypto/key_vault.hpp"
#include "daemon/store/store.hpp"
#include "tests/support/temp_store.hpp"

namespace strongroom::audit {
namespace {

struct Env {
    strongroom::test::ScratchDir dir;
    crypto::KeyVault vault = strongroom::test::make_vault();
    store::Store store{strongroom::test::store_options(dir.path(), 1), vault, true};
    store::Connection& conn = store.writer_connection();
};

crypto::Ed25519Key::Signature sign(const crypto::KeyVault& vault, std::string_view body) {
    return vault.signing_key().sign(
        {reinterpret_cast<const std::uint8_t*>(body.data()), body.size()});
}

TEST(Keys, ADocumentVerifiesOnlyUnalteredAndUnderThisStrongroomsKey) {
    Env env;
    const auto keys = signing_keys(env.conn, env.vault);
    ASSERT_EQ(keys.size(), 1U);  // no rekey yet: the current key only
    EXPECT_EQ(keys[0].epoch, 0);
    const std::string body = "STRONGROOM DESTRUCTION CERTIFICATE\nrecords: 1\n";
    const auto sig = sign(env.vault, body);
    ASSERT_TRUE(signed_by(keys, body, sig));
    EXPECT_FALSE(signed_by(keys, "STRONGROOM DESTRUCTION CERTIFICATE\nrecords: 0\n", sig));
    const auto other = strongroom::test::make_vault(0x17);
    EXPECT_FALSE(signed_by(keys, body, sign(other, body))) << "another strongroom's signature";
}

TEST(Keys, AGivenCheckpointIsJudgedBeforeTheChainIsVerifiedAgainstIt) {
    Env env;
    Checkpoint c;
    c.seq = 0;
    c.at = 1000;
    const auto text = signed_checkpoint(c, "UNMISS", env.vault.signing_key());
    auto judged = judge_checkpoint(env.conn, env.vault, text);
    ASSERT_TRUE(judged) << judged.error().message;
    EXPECT_TRUE(judged->signature_valid);
    EXPECT_FALSE(judged->problem);
    EXPECT_FALSE(judged->retired_epoch);
    const auto r = verify_chain({&env.conn}, env.vault, {judged->checkpoint});
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->intact) << r->problem;

    const auto forged =
        signed_checkpoint(c, "UNMISS", strongroom::test::make_vault(9).signing_key());
    judged = judge_checkpoint(env.conn, env.vault, forged);
    ASSERT_TRUE(judged);
    EXPECT_FALSE(judged->signature_valid);
    ASSERT_TRUE(judged->problem);
    EXPECT_NE(judged->problem->find("not signed by this strongroom's key"), std::string::npos);
    EXPECT_FALSE(judge_checkpoint(env.conn, env.vault, "not a checkpoint"));
}

}  // namespace
}  // namespace strongroom::audit
