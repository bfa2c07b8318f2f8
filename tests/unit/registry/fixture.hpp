// A scratch store with the people and the matrix the registry's rules need:
// two posts of different reach, an analyst on each, and records made
// directly through the repositories (no service, no JSON).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "daemon/crypto/key_vault.hpp"
#include "daemon/policy/clearance.hpp"
#include "daemon/store/connection.hpp"
#include "daemon/store/records.hpp"
#include "daemon/store/store.hpp"
#include "tests/support/temp_store.hpp"

namespace strongroom::registry::test {

inline constexpr Micros kNow = 1'800'000'000'000'000;
inline constexpr policy::Level kConfidential = 1;
inline constexpr policy::Level kStrictly = 2;

struct Registry {
    strongroom::test::ScratchDir dir;
    crypto::KeyVault vault = strongroom::test::make_vault();
    store::Store store{strongroom::test::store_options(dir.path()), vault, true};
    store::Connection& conn = store.writer_connection();

    std::int64_t jmac = 0;      // compartment
    std::int64_t analysts = 0;  // post: JMAC at strictly confidential
    std::int64_t liaison = 0;   // post: confidential, no compartment
    std::int64_t ana = 0;       // analyst, on post analysts
    std::int64_t ben = 0;       // liaison officer, on post liaison
    std::int64_t reg = 0;       // registrar, no post
    std::int64_t off = 0;       // officer, no post
    std::int64_t hom_post = 0;  // head-of-mission, JMAC at strictly confidential
    std::int64_t hom = 0;       // its holder

    Registry();

    std::int64_t account(const std::string& name, std::uint32_t uid, std::uint32_t roles);
    // A held record of `originator`, text unless said otherwise.
    std::int64_t record(std::int64_t originator, policy::Level level,
                        std::vector<std::int64_t> compartments = {},
                        std::optional<std::int64_t> max_copies = std::nullopt,
                        const std::string& title = "Harbour");
    store::RecordRow row(std::int64_t id);
    void disseminate_to_post(std::int64_t record, std::int64_t post);
    // Another analyst on jmac-analyst ("cid"): a reader, not the originator.
    std::int64_t second_analyst();
    // Creates the head of mission's post, cleared for JMAC, and its holder.
    void add_head_of_mission();

private:
    void grant_jmac(std::int64_t post);  // JMAC at strictly confidential
    int numbered_ = 0;
};

}  // namespace strongroom::registry::test
