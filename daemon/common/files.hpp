// Small file-system helpers shared by the daemon and the tools.
#pragma once

#include <filesystem>

namespace strongroom {

// Makes the entries of dir (a file created, renamed or removed there)
// durable: fsync of the directory. Best effort: a directory that cannot be
// opened is left as it is.
void sync_directory(const std::filesystem::path& dir) noexcept;

}  // namespace strongroom
