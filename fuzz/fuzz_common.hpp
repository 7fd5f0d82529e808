// fuzz_common.hpp — shared by the fuzz targets: tight limits, so that one input
// cannot make one run slow, and the one place that decides which exceptions
// are expected (layerkit::Error: bad input) and which are bugs (anything else).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <exception>

#include "layerkit/error.hpp"
#include "layerkit/options.hpp"

namespace fuzz {

inline layerkit::Limits limits() {
  layerkit::Limits l;
  l.manifest_json_bytes = 1 << 20;
  l.json_bytes = 1 << 20;
  l.layers_per_image = 64;
  l.images_per_archive = 64;
  l.members = 4096;
  l.entries_per_layer = 100000;
  l.layer_bytes = 64ull << 20;
  l.buffered_bytes = 16 << 20;
  return l;
}

// Runs fn; layerkit::Error is the documented answer to bad input. Any other
// exception escaping the library is a bug: abort so the fuzzer reports it.
template <typename Fn>
void run(Fn&& fn) {
  try {
    fn();
  } catch (const layerkit::Error&) {
  } catch (const std::exception&) {
    std::abort();
  }
}

}  // namespace fuzz
