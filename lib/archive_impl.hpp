// archive_impl.hpp (private) — the state of an opened Archive, shared by the
// Archive object (archive.cpp: scans, lookups) and the format readers
// (format.cpp: detection and reading into Images).
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "layerkit/archive.hpp"
#include "source.hpp"

namespace layerkit {

struct Archive::Impl {
  std::string path;
  Format format = Format::docker_archive;
  Compression outer = Compression::none;
  bool oci_layout = false;
  bool legacy = false;
  OpenOptions opts;
  std::unique_ptr<Source> src;
  std::vector<Image> images;
  std::optional<Layer> loose;
  std::vector<BlobCheck> checks;
  std::vector<std::string> warnings;

  mutable std::mutex mu;
  mutable std::unordered_map<std::string, LayerScan> scans;  // by member name

  LayerScan scan_member(const std::string& member, ScanDepth depth, DigestAlgorithm blob_alg, DigestAlgorithm diff_alg,
                        const ProgressFn& progress) const;
};

/// Detects the format of the source in `a` and reads every image into it.
/// Throws Error (see Archive::open).
void read_archive(Archive::Impl& a);

}  // namespace layerkit
