// cli_options.hpp — option values shared by `layerkit COMMAND` and `layerkit
// store COMMAND`, checked when the command line is read:
//   --limit NAME=VALUE: VALUE takes K, M, G, T suffixes (powers of 1024); NAME
//     and range are checked against layerkit::set_limit at once;
//   --platform OS/ARCH[/VARIANT] or "all".
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "layerkit/error.hpp"
#include "layerkit/image.hpp"
#include "layerkit/options.hpp"

namespace cli {

/// Parses the value of one --limit option into (name, value). Throws
/// std::invalid_argument with a message that starts with "--limit: " (the
/// caller reports it as a usage error).
inline std::pair<std::string, std::uint64_t> parse_limit(const std::string& v) {
  auto eq = v.find('=');
  if (eq == std::string::npos) throw std::invalid_argument(fmt::format("--limit: expected NAME=VALUE, got {:?}", v));
  std::string name = v.substr(0, eq), num = v.substr(eq + 1);
  std::uint64_t mult = 1;
  if (!num.empty()) {
    switch (num.back()) {
      case 'K': case 'k': mult = 1ull << 10; break;
      case 'M': case 'm': mult = 1ull << 20; break;
      case 'G': case 'g': mult = 1ull << 30; break;
      case 'T': case 't': mult = 1ull << 40; break;
      default: break;
    }
    if (mult != 1) num.pop_back();
  }
  std::uint64_t n = 0;
  try {
    std::size_t used = 0;
    unsigned long long parsed = std::stoull(num, &used);
    if (used != num.size() || num.empty() || num[0] == '-' || parsed > UINT64_MAX / mult)
      throw std::invalid_argument(v);
    n = parsed * mult;
  } catch (const std::exception&) {
    throw std::invalid_argument(fmt::format("--limit: expected NAME=VALUE with a number, got {:?}", v));
  }
  try {
    layerkit::Limits probe;
    layerkit::set_limit(probe, name, n);  // validates the name and range now
  } catch (const layerkit::Error& e) {
    throw std::invalid_argument(fmt::format("--limit: {}", e.what()));
  }
  return {name, n};
}

/// Applies parsed --limit options (in order: a later one wins).
template <typename Pairs>
void apply_limits(layerkit::Limits& limits, const Pairs& given) {
  for (const auto& [name, value] : given) layerkit::set_limit(limits, name, value);
}

/// Checks the value of --platform. Throws std::invalid_argument with a message
/// that starts with "--platform: " (the caller reports it as a usage error).
inline const std::string& check_platform(const std::string& v) {
  if (v == "all") return v;
  try {
    (void)layerkit::Platform::parse(v);
  } catch (const layerkit::Error& e) {
    throw std::invalid_argument(fmt::format("--platform: {}", e.what()));
  }
  return v;
}

}  // namespace cli
