// layerkit/options.hpp — limits on untrusted input, and progress reporting.
//
// Archives are untrusted. Every size, count, depth and ratio that an archive
// controls is bounded by a Limits field; exceeding one is an
// Error(Errc::limit_exceeded) naming the member and the limit. Defaults follow
// the trusted peers (containers/image caps manifest.json at 1 MiB and other
// JSON at 4 MiB; Docker allows at most 125 layers per image).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace layerkit {

struct Limits {
  /// Bytes of a docker-archive's manifest.json (containers/image: 1 MiB).
  std::uint64_t manifest_json_bytes = 1u << 20;
  /// Bytes of any other JSON member: config, OCI manifest, index, repositories (4 MiB).
  std::uint64_t json_bytes = 4u << 20;
  /// Nesting depth of any JSON document (objects + arrays).
  unsigned json_depth = 64;
  /// Layers in one image (Docker's own limit is 125).
  std::uint32_t layers_per_image = 1000;
  /// Images (manifests) in one archive, nested indexes included.
  std::uint32_t images_per_archive = 10000;
  /// Nesting depth of OCI image indexes.
  unsigned index_depth = 8;
  /// Members (tar entries or files) in the outer archive.
  std::uint64_t members = 1000000;
  /// Tar entries in one layer.
  std::uint64_t entries_per_layer = 10000000;
  /// Bytes of one decompressed layer (tar stream) — caps a decompression bomb.
  std::uint64_t layer_bytes = std::uint64_t(1) << 40;  // 1 TiB
  /// Decompressed/compressed ratio of a layer, checked once past 1 MiB of output.
  std::uint32_t compression_ratio = 1000;
  /// Symbolic or hard links followed when resolving one archive member path.
  unsigned symlink_hops = 8;
  /// Bytes of small members a compressed (read-once) outer archive keeps in memory.
  std::uint64_t buffered_bytes = 256u << 20;
};

/// Sets the Limits field called `name` (spelled as in the struct, e.g.
/// "json_bytes") to `value`. Throws Error(Errc::invalid_argument) for an
/// unknown name, or a value that does not fit the field (or is 0).
void set_limit(Limits& limits, std::string_view name, std::uint64_t value);

/// The value of the Limits field called `name`; Error(invalid_argument) if unknown.
std::uint64_t get_limit(const Limits& limits, std::string_view name);

/// Every Limits field name, in declaration order.
std::vector<std::string> limit_names();

/// Progress of long work: bytes done so far and bytes expected in total (0 when
/// unknown). Return false to stop: the operation ends with Errc::cancelled.
/// May be called from worker threads, but never from two threads at once.
using ProgressFn = std::function<bool(std::uint64_t done_bytes, std::uint64_t total_bytes)>;

}  // namespace layerkit
