// Unit tests of the role helpers: names, parsing, and combine_roles with its
// separation-of-duties rule.
#include "daemon/policy/roles.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace strongroom::policy {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// Every subset of {officer, registrar, auditor} as the list of its names.
std::vector<std::string> names_of(RoleSet set) {
    std::vector<std::string> out;
    if ((set & 1U) != 0) {
        out.emplace_back("officer");
    }
    if ((set & 2U) != 0) {
        out.emplace_back("registrar");
    }
    if ((set & 4U) != 0) {
        out.emplace_back("auditor");
    }
    return out;
}

TEST(Roles, NamesAndParseAgree) {
    // Verifies that each role's name parses back to the role, and the names are the documented
    // ones.
    EXPECT_EQ(role_name(Role::officer), "officer");
    EXPECT_EQ(role_name(Role::registrar), "registrar");
    EXPECT_EQ(role_name(Role::auditor), "auditor");
    for (Role r : {Role::officer, Role::registrar, Role::auditor}) {
        const auto back = parse_role(role_name(r));
        ASSERT_TRUE(back.has_value());
        EXPECT_EQ(*back, r);
    }
}

TEST(Roles, ParseRefusesOtherText) {
    // Verifies that only exact role names parse.
    for (const char* text : {"", "admin", "root", "officers", " officer", "officer ", "unknown"}) {
        EXPECT_FALSE(parse_role(text).has_value()) << '"' << text << '"';
    }
}

TEST(Roles, BitsAreDistinct) {
    // Verifies that the three roles are distinct bits, so a RoleSet can hold any combination.
    EXPECT_EQ(bit(Role::officer) & bit(Role::registrar), 0U);
    EXPECT_EQ(bit(Role::officer) & bit(Role::auditor), 0U);
    EXPECT_EQ(bit(Role::registrar) & bit(Role::auditor), 0U);
    EXPECT_TRUE(has(bit(Role::officer) | bit(Role::auditor), Role::auditor));
    EXPECT_FALSE(has(bit(Role::officer) | bit(Role::auditor), Role::registrar));
}

TEST(Roles, RoleNamesListsEachHeldRoleInOrder) {
    // Verifies that role_names gives the held roles in the fixed order officer, registrar, auditor,
    // for every set.
    for (RoleSet set = 0; set < 8; ++set) {
        EXPECT_EQ(role_names(set), names_of(set)) << set;
    }
    EXPECT_THAT(role_names(0), IsEmpty());
    EXPECT_THAT(role_names(7), ElementsAre("officer", "registrar", "auditor"));
    // Bits that are not roles are ignored rather than named.
    EXPECT_THAT(role_names(0xFFFFFFF8U | 2U), ElementsAre("registrar"));
}

TEST(CombineRoles, AllowedCombinations) {
    // Verifies that every combination allowed by separation of duties gives its set, including
    // none.
    for (RoleSet set : {0U, 1U, 2U, 3U, 4U}) {
        const auto r = combine_roles(names_of(set));
        ASSERT_TRUE(r.ok()) << set << ": " << r.error().message;
        EXPECT_EQ(*r, set);
    }
}

TEST(CombineRoles, AuditorWithOfficerOrRegistrarIsAConflict) {
    // Verifies that an auditor who would also be an officer or registrar is refused with conflict,
    // in any order.
    for (const auto& names :
         std::vector<std::vector<std::string>>{{"auditor", "officer"},
                                               {"officer", "auditor"},
                                               {"registrar", "auditor"},
                                               {"auditor", "registrar", "officer"},
                                               {"auditor", "auditor", "registrar"}}) {
        const auto r = combine_roles(names);
        ASSERT_FALSE(r.ok());
        EXPECT_EQ(r.error().code, ErrorCode::conflict);
        EXPECT_THAT(r.error().message, HasSubstr("separation of duties"));
    }
}

TEST(CombineRoles, DuplicatesAreHarmless) {
    // Verifies that naming a role twice gives the same set as naming it once.
    const auto a = combine_roles({"officer", "officer", "registrar", "officer"});
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(*a, bit(Role::officer) | bit(Role::registrar));
    const auto b = combine_roles({"auditor", "auditor"});
    ASSERT_TRUE(b.ok());
    EXPECT_EQ(*b, bit(Role::auditor));
}

TEST(CombineRoles, UnknownRoleIsABadRequestNamingIt) {
    // Verifies that an unknown role is refused with bad_request, naming it and the valid roles.
    const auto r = combine_roles({"officer", "admin"});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::bad_request);
    EXPECT_THAT(r.error().message, HasSubstr("\"admin\""));
    EXPECT_THAT(r.error().message, HasSubstr("officer, registrar, auditor"));
    // An unknown role is reported even next to a conflicting pair.
    const auto both = combine_roles({"auditor", "officer", "superuser"});
    ASSERT_FALSE(both.ok());
    EXPECT_EQ(both.error().code, ErrorCode::bad_request);
}

TEST(CombineRoles, LongUnknownRoleIsTruncatedInTheMessage) {
    // Verifies that a long unknown role name is cut in the message so a caller cannot make it
    // arbitrarily long.
    const std::string longname(1000, 'r');
    const auto r = combine_roles({longname});
    ASSERT_FALSE(r.ok());
    EXPECT_THAT(r.error().message, HasSubstr(std::string(32, 'r')));
    EXPECT_THAT(r.error().message, ::testing::Not(HasSubstr(std::string(33, 'r'))));
}

TEST(CombineRoles, UnknownRoleIsQuotedPrintably) {
    // Verifies that the caller's text is made printable in the message, which reaches the audit
    // trail and terminals. BUG (daemon/policy/roles.cpp, combine_roles): the unknown name is copied
    // raw (n.substr(0, 32)), unlike every other place that quotes peer text
    // (printable()); control characters and escapes reach the message, and a
    // cut at byte 32 can split a UTF-8 sequence. Fix: printable(n, 32).
    const std::vector<std::string> hostile = {
        "off\nicer", "\x1b[2Jofficer",
        "a\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
        "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9",  // 33 bytes: a cut at 32 splits the last one
    };
    for (const auto& name : hostile) {
        const auto r = combine_roles({name});
        ASSERT_FALSE(r.ok());
        const std::string& msg = r.error().message;
        const bool all_printable = std::all_of(msg.begin(), msg.end(), [](char ch) {
            const auto c = static_cast<unsigned char>(ch);
            return c >= 0x20 && c < 0x7f;
        });
        EXPECT_TRUE(all_printable) << msg;
    }
}

}  // namespace
}  // namespace strongroom::policy
