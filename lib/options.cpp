#include "layerkit/options.hpp"

#include <limits>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "layerkit/error.hpp"

namespace layerkit {
namespace {

// One table: name, and a pointer to the field (64- or 32-bit).
struct Field {
  const char* name;
  std::uint64_t Limits::*u64 = nullptr;
  std::uint32_t Limits::*u32 = nullptr;
  unsigned Limits::*uns = nullptr;
};

const Field kFields[] = {
    {"manifest_json_bytes", &Limits::manifest_json_bytes},
    {"json_bytes", &Limits::json_bytes},
    {"json_depth", nullptr, nullptr, &Limits::json_depth},
    {"layers_per_image", nullptr, &Limits::layers_per_image},
    {"images_per_archive", nullptr, &Limits::images_per_archive},
    {"index_depth", nullptr, nullptr, &Limits::index_depth},
    {"members", &Limits::members},
    {"entries_per_layer", &Limits::entries_per_layer},
    {"layer_bytes", &Limits::layer_bytes},
    {"compression_ratio", nullptr, &Limits::compression_ratio},
    {"symlink_hops", nullptr, nullptr, &Limits::symlink_hops},
    {"buffered_bytes", &Limits::buffered_bytes},
};

const Field& field(std::string_view name) {
  for (const Field& f : kFields)
    if (name == f.name) return f;
  throw Error(Errc::invalid_argument,
              fmt::format("unknown limit {:?} (known: {})", std::string(name), fmt::join(limit_names(), ", ")));
}

}  // namespace

void set_limit(Limits& limits, std::string_view name, std::uint64_t value) {
  const Field& f = field(name);
  std::uint64_t max = f.u64 ? std::numeric_limits<std::uint64_t>::max() : std::numeric_limits<std::uint32_t>::max();
  if (value > max || (value == 0 && name != "symlink_hops"))
    throw Error(Errc::invalid_argument, fmt::format("limit {}: {} is out of range [1, {}]", f.name, value, max));
  if (f.u64) limits.*f.u64 = value;
  else if (f.u32) limits.*f.u32 = static_cast<std::uint32_t>(value);
  else limits.*f.uns = static_cast<unsigned>(value);
}

std::uint64_t get_limit(const Limits& limits, std::string_view name) {
  const Field& f = field(name);
  if (f.u64) return limits.*f.u64;
  if (f.u32) return limits.*f.u32;
  return limits.*f.uns;
}

std::vector<std::string> limit_names() {
  std::vector<std::string> out;
  for (const Field& f : kFields) out.emplace_back(f.name);
  return out;
}

}  // namespace layerkit
