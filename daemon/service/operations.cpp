#include "daemon/service/operations.hpp"

#include <algorithm>
#include <array>

#include "daemon/service/handlers.hpp"

namespace strongroom::service {
namespace {

using policy::bit;
using policy::Requirement;
using policy::Role;

constexpr auto kOfficer = bit(Role::officer);
constexpr auto kOversight = bit(Role::officer) | bit(Role::auditor);

// Sorted by name (checked by a unit test): lookup is a binary search.
constexpr std::array kOperations{
    Operation{"account.add", Requirement::one_of(kOfficer), Mode::write, handle_account_add,
              "add an account for a Unix uid, with roles"},
    Operation{"account.list", Requirement::one_of(kOversight), Mode::read, handle_account_list,
              "list accounts"},
    Operation{"account.reactivate", Requirement::one_of(kOfficer), Mode::write,
              handle_account_reactivate, "reactivate a suspended account"},
    Operation{"account.show", Requirement::one_of(kOversight), Mode::read, handle_account_show,
              "show one account"},
    Operation{"account.suspend", Requirement::one_of(kOfficer), Mode::write, handle_account_suspend,
              "suspend an account: it is refused everything"},
    Operation{"init", Requirement::bootstrap(), Mode::write, handle_init,
              "create the first officer (root only, once)"},
    Operation{"status", Requirement::one_of(kOversight), Mode::read, handle_status,
              "the daemon's state"},
    Operation{"whoami", Requirement::any_account(), Mode::read, handle_whoami,
              "the caller's account"},
};

}  // namespace

const Operation* find_operation(std::string_view name) noexcept {
    const auto it =
        std::lower_bound(kOperations.begin(), kOperations.end(), name,
                         [](const Operation& op, std::string_view n) { return op.name < n; });
    if (it == kOperations.end() || it->name != name) {
        return nullptr;
    }
    return &*it;
}

std::span<const Operation> all_operations() noexcept {
    return kOperations;
}

}  // namespace strongroom::service
