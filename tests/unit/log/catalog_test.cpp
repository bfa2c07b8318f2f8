// Tests of the message catalogue: stable, well-formed, unique ids, each
// explained in the journald catalogue shipped in packaging/.

#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "daemon/log/messages.hpp"

namespace strongroom::log {
namespace {

TEST(Catalogue, IdsAreWellFormedAndUnique) {
    // Every message id is 32 lower-case hex digits, and no id or name is used twice.
    std::set<std::string_view> ids;
    std::set<std::string_view> names;
    for (const auto& m : msg::kAll) {
        EXPECT_EQ(m.id.size(), 32U) << m.name;
        for (char c : m.id) {
            EXPECT_TRUE((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) << m.name;
        }
        EXPECT_TRUE(ids.insert(m.id).second) << "duplicate id " << m.id;
        EXPECT_TRUE(names.insert(m.name).second) << "duplicate name " << m.name;
    }
}

TEST(Catalogue, EveryMessageIsExplainedInTheJournalCatalogue) {
    // packaging/strongroomd.catalog has an entry with a Subject for every message id.
    std::ifstream in(STRONGROOM_CATALOG);
    ASSERT_TRUE(in) << STRONGROOM_CATALOG;
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string text = ss.str();
    for (const auto& m : msg::kAll) {
        const auto at = text.find("-- " + std::string(m.id) + "\nSubject: ");
        EXPECT_NE(at, std::string::npos) << m.name << " has no catalogue entry";
    }
}

}  // namespace
}  // namespace strongroom::log
