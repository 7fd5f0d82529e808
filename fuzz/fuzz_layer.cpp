// Fuzz target: any bytes as a layer blob (plain, gzip, zstd, xz or bzip2 tar),
// scanned fully and headers-only, as `verify` and `history` do.
#include <string_view>

#include "fuzz_common.hpp"
#include "layer_scan.hpp"
#include "source.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  for (layerkit::ScanDepth depth : {layerkit::ScanDepth::full, layerkit::ScanDepth::headers}) {
    fuzz::run([&] {
      auto r = layerkit::memory_reader(bytes);
      layerkit::ScanRequest req;
      req.depth = depth;
      req.limits = fuzz::limits();
      req.what = "fuzz";
      layerkit::LayerScan s = layerkit::scan_layer(*r, size, req);
      // Invariants: the stored bytes were all counted; a plain layer is its own tar.
      if (depth == layerkit::ScanDepth::full && s.blob_bytes != size) std::abort();
      if (s.compression == layerkit::Compression::none && s.tar_bytes != s.blob_bytes) std::abort();
      if (s.stats.content_bytes > s.tar_bytes && s.stats.symlinks == 0) {
        // Apparent sizes come from tar headers; without symlinks they cannot
        // exceed the stream unless a header lies about a size — libarchive
        // would then have reported a truncated entry.
      }
    });
  }
  return 0;
}
