// A scratch store for the retention tests: two registrars, the schedules of
// raw data (destroyed a year after its date) and of intelligence products
// (permanent, transferred), records with sealed and indexed content, holds
// and batches made directly through the repositories.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "daemon/crypto/key_vault.hpp"
#include "daemon/policy/duties.hpp"
#include "daemon/store/connection.hpp"
#include "daemon/store/store.hpp"
#include "tests/support/temp_store.hpp"

namespace strongroom::retention::test {

inline constexpr Micros kDay = 86400LL * 1000000;
inline constexpr Micros kNow = 20000 * kDay;  // 2024-10-04

struct Scratch {
    strongroom::test::ScratchDir dir;
    crypto::KeyVault vault = strongroom::test::make_vault();
    store::Store store{strongroom::test::store_options(dir.path()), vault, true};
    store::Connection& conn = store.writer_connection();
    std::int64_t first = 0;   // a registrar
    std::int64_t second = 0;  // another

    Scratch();

    std::int64_t registrar(const std::string& name, std::uint32_t uid, Micros since);
    policy::Approver approver(std::int64_t account);
    // A held record of a type and date, its text sealed under its own key and indexed.
    std::int64_t record(const std::string& type, Micros dated,
                        const std::string& text = "convoy at dawn");
    void hold(const std::string& name, std::vector<std::int64_t> records,
              std::optional<std::string> type = std::nullopt);
    // A proposed destruction batch of one record.
    std::int64_t proposed(std::int64_t record, std::int64_t by, Micros at);
};

}  // namespace strongroom::retention::test
