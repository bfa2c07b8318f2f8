// Logging at the boundaries of strongroomd (start-up, the socket, the writer
// thread): structured journald entries with stable message ids, or one line
// per event on stderr in --dev mode. Library code below the boundaries does
// not log; it returns errors, and the boundary logs them once.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

#include "daemon/log/messages.hpp"

namespace strongroom::log {

enum class Target { journal, stderr_lines };

struct Field {
    std::string_view key;  // upper-case journald field name suffix, e.g. "UID"
    std::string value;
};

// Chooses where messages go; call once at start-up, before any thread starts.
void init(Target target);

// Logs one event. text must make sense to a technical officer on its own.
void emit(const Message& message, std::string_view text, std::initializer_list<Field> fields = {});

}  // namespace strongroom::log
