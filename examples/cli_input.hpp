// cli_input.hpp — "-" as an ARCHIVE means standard input (`docker save app |
// layerkit images -`); the library reads a pipe by copying it once.
#pragma once

#include <unistd.h>

#include <string>

namespace cli {

inline constexpr const char* kStdinIsTerminal =
    "ARCHIVE \"-\" reads standard input, which is a terminal: pipe or redirect an archive into it";

/// The path to open for an ARCHIVE argument; "" for "-" when standard input
/// is a terminal (the caller reports kStdinIsTerminal as a usage error).
inline std::string archive_path(const std::string& arg) {
  if (arg != "-") return arg;
  return ::isatty(0) ? std::string() : std::string("/dev/stdin");
}

}  // namespace cli
