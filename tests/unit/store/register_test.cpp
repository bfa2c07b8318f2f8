// Tests of the register a restore carries (store/register.hpp): reserved ids
// and what read_register gives.

#include "daemon/store/register.hpp"

#include <gtest/gtest.h>

#include "daemon/store/accounts.hpp"
#include "daemon/store/matrix.hpp"
#include "daemon/store/store.hpp"
#include "tests/support/temp_store.hpp"

namespace strongroom::store {
namespace {

using test::make_vault;
using test::ScratchDir;

std::int64_t add_account(Connection& conn, const std::string& name, std::uint32_t uid) {
    NewAccount a;
    a.name = name;
    a.uid = uid;
    a.at = 1000;
    return AccountRepository(conn).insert(a);
}

TEST(ReservedIds, ANewRowTakesAnIdAboveTheReservationAndTheHighestRow) {
    // Ids a restore could not carry are not handed out again: new rows go above both.
    ScratchDir dir;
    auto vault = make_vault();
    Store s(test::store_options(dir.path()), vault, true);
    auto& conn = s.writer_connection();
    const auto first = add_account(conn, "alice", 1001);
    MatrixRepository matrix(conn);
    EXPECT_EQ(matrix.insert_pending("grant", "{}", "a grant", first, 1), 1);
    reserve_ids(conn, "pending", 41);
    reserve_ids(conn, "pending", 7);  // a reservation is never lowered
    EXPECT_EQ(matrix.insert_pending("grant", "{}", "a grant", first, 2), 42);
    EXPECT_EQ(matrix.insert_pending("grant", "{}", "a grant", first, 3), 43);
    reserve_ids(conn, "accounts", 9);
    EXPECT_EQ(add_account(conn, "bob", 1002), 10);
    const auto reg = read_register(conn);
    EXPECT_EQ(reg.reserved.at("pending"), 43);
    EXPECT_EQ(reg.reserved.at("accounts"), 10);
    EXPECT_EQ(reg.reserved.count("records"), 0U);
}

TEST(ReservedIds, TheRegisterCarriesAccountsAndRefusesOnesThatDisagree) {
    // An account of the register is added where missing; the same id under
    // another name refuses the carry, naming it.
    ScratchDir from_dir;
    ScratchDir to_dir;
    auto vault = make_vault();
    Store from(test::store_options(from_dir.path()), vault, true);
    Store to(test::store_options(to_dir.path()), vault, true);
    add_account(from.writer_connection(), "alice", 1001);
    add_account(from.writer_connection(), "bob", 1002);
    add_account(to.writer_connection(), "alice", 1001);
    auto& target = to.writer_connection();
    {
        WriteTransaction tx(target);
        const auto report = carry_register(target, read_register(from.writer_connection()));
        EXPECT_EQ(report.added, 1);
        tx.commit();
    }
    ASSERT_TRUE(AccountRepository(target).find_by_name("bob"));
    EXPECT_EQ(AccountRepository(target).find_by_name("bob")->id, 2);

    ScratchDir other_dir;
    Store other(test::store_options(other_dir.path()), vault, true);
    add_account(other.writer_connection(), "mallory", 1001);
    WriteTransaction tx(target);
    try {
        carry_register(target, read_register(other.writer_connection()));
        ADD_FAILURE() << "carried an account that disagrees";
    } catch (const RegisterConflict& e) {
        EXPECT_NE(std::string(e.what()).find("mallory"), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace strongroom::store
