// layer_scan.hpp (private) — scanning a layer from any ByteReader.
#pragma once

#include <string>

#include "layerkit/layer.hpp"
#include "source.hpp"

namespace layerkit {

struct ScanRequest {
  ScanDepth depth = ScanDepth::full;
  DigestAlgorithm blob_algorithm = DigestAlgorithm::sha256;
  DigestAlgorithm diff_algorithm = DigestAlgorithm::sha256;
  Limits limits;
  std::string what;      ///< names the blob in messages (archive member or digest)
  ProgressFn progress;   ///< called with (stored bytes read, blob_bytes)
  EntryFn on_entry;      ///< when set, receives every tar entry
};

/// Reads one layer blob of `blob_bytes` stored bytes from `in`.
/// Throws Error: truncated (input ends early), io, limit_exceeded, cancelled.
/// A blob that is not a valid compressed stream or tar is NOT an error: the
/// scan reports tar_ok = false with the reason, and the digests of what is there.
LayerScan scan_layer(ByteReader& in, std::uint64_t blob_bytes, const ScanRequest& req);

}  // namespace layerkit
