#include "daemon/service/arguments.hpp"

#include <fmt/format.h>

#include "daemon/common/text.hpp"
#include "daemon/service/operations.hpp"

namespace strongroom::service {

namespace {
constexpr Micros kDay = 86400LL * 1000000LL;
}  // namespace

std::string checked_name(protocol::ArgReader& args, std::string_view key, std::string_view what) {
    auto name = args.required_string(key, 64);
    // An empty name is refused like any other invalid one (a missing one
    // was refused by required_string).
    if (!args.failed() && !is_valid_name(name)) {
        args.fail(make_error(ErrorCode::bad_request,
                             fmt::format("\"{}\" is not a valid {} name: use 1-64 letters, "
                                         "digits, '.', '_' or '-', starting with a letter or digit",
                                         printable(name, 64), what)));
    }
    return name;
}

policy::Level checked_level(protocol::ArgReader& args, std::string_view key) {
    const auto text = args.required_string(key, 32);
    const auto level = policy::parse_level(text);
    if (!args.failed() && !level) {
        args.fail(make_error(ErrorCode::bad_request,
                             fmt::format("\"{}\" is not a level: use unclassified, confidential "
                                         "or strictly-confidential",
                                         printable(text, 32))));
    }
    return level.value_or(0);
}

LastDay optional_last_day(protocol::ArgReader& args, std::string_view key) {
    LastDay out;
    out.text = args.optional_string(key, 10);
    if (out.text) {
        if (const auto day = parse_date(*out.text)) {
            out.start = *day;
            out.end = *day + kDay;
        } else {
            args.fail(make_error(
                ErrorCode::bad_request,
                fmt::format("\"{}\" is not a date: use YYYY-MM-DD", printable(*out.text, 16))));
        }
    }
    return out;
}

std::optional<Error> sole_id(Context& ctx, std::string_view key, std::string_view kind,
                             std::int64_t& id) {
    protocol::ArgReader args(ctx.args);
    id = static_cast<std::int64_t>(args.required_uint(key, INT64_MAX));
    if (auto err = args.finish()) {
        return err;
    }
    ctx.audit.object = fmt::format("{}:{}", kind, id);
    return std::nullopt;
}

}  // namespace strongroom::service
