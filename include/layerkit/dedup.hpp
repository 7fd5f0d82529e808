// layerkit/dedup.hpp — the layers images share, and the bytes sharing saves.
//
// Layers are identified as Docker's layer store identifies them: by chain_id
// (OCI config.md), the identity of a layer together with every layer below
// it; the same diff_id at another position is another layer. The grouping by
// diff_id alone is reported too. Sizes are Docker's layer sizes
// (LayerStats::content_bytes), as `docker system df -v` counts them: an
// image's SIZE is the sum of its layers, SHARED SIZE the part in layers other
// images also use, UNIQUE SIZE the rest.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "layerkit/archive.hpp"

namespace layerkit {

/// One image to compare: an image of an opened archive, under a display name.
struct DedupInput {
  const Archive* archive = nullptr;  ///< borrowed; must outlive the dedup() call
  const Image* image = nullptr;      ///< borrowed, an image of *archive
  std::string ref;                   ///< how reports name it (e.g. its first reference)
};

struct DedupImage {
  std::string ref;
  Digest id;
  std::uint64_t size = 0;         ///< bytes: sum of its layers' sizes
  std::uint64_t shared_size = 0;  ///< bytes in layers at least one other image has
  std::uint64_t unique_size = 0;  ///< size - shared_size
  std::size_t layers = 0;
};

struct DedupLayer {
  Digest diff_id;
  Digest chain_id;                 ///< empty in the by-diff_id grouping
  std::uint64_t size = 0;          ///< Docker's layer size, bytes
  std::vector<std::string> images; ///< refs of the images that have it, in input order
};

struct DedupReport {
  std::vector<DedupImage> images;      ///< input order
  std::vector<DedupLayer> layers;      ///< by chain_id, in order of first appearance
  std::vector<DedupLayer> diff_ids;    ///< by diff_id, in order of first appearance
  std::uint64_t total_size = 0;        ///< bytes, summed per image (what storing each image alone takes)
  std::uint64_t unique_size = 0;       ///< bytes, each distinct layer once
  std::uint64_t saved_size = 0;        ///< total_size - unique_size
  std::vector<std::string> notes;      ///< layers no input could read (counted as 0 bytes)
};

struct DedupOptions {
  unsigned threads = 0;  ///< 0 = hardware threads
  ProgressFn progress;
};

/// Compares the images. A layer's size depends only on its diff_id, so each
/// distinct diff_id is read once across all archives (tar headers only), from
/// the first input that has it; a layer absent from an archive (or unreadable,
/// or not a complete tar there) is read from the next one that has it, so
/// every image's sizes are what they would be alone, as far as the layer is
/// known anywhere.
/// Throws Errc::invalid_argument for a null archive or image, cancelled.
DedupReport dedup(const std::vector<DedupInput>& inputs, const DedupOptions& options = {});

}  // namespace layerkit
