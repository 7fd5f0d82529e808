// layerkit/verify.hpp — check every digest, size and count of an archive.
//
// One pass per layer blob computes the blob digest as stored and the diff_id
// after decompression (a blob shared by several images is read once); the
// config digest (the image ID), the manifest digests and every index were
// already hashed when the archive was opened. Every mismatch is reported, not
// only the first, each naming the image, the layer, the archive member, the
// expected and the actual value.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "layerkit/archive.hpp"

namespace layerkit {

/// Kinds of problems (Problem::kind):
///   "blob_digest"      a blob does not hash to the digest that names it
///   "diff_id"          a layer's tar stream does not hash to the config's diff_id
///   "size"             a blob's length differs from its descriptor's size
///   "config_digest"    the config does not hash to the image ID its manifest/name declares
///   "manifest_digest"  a manifest or index does not hash to its descriptor's digest
///   "count"            layers, diff_ids and non-empty history entries disagree
///   "missing"          a blob the image needs is absent (foreign layers are not problems)
///   "unreadable"       a blob could not be read (truncated, not decompressible, limit)
///   "unverifiable"     a digest of an algorithm layerkit cannot compute
///   "tar"              a lone layer tar (no image) is not a complete tar stream,
///                      or has no end-of-archive marker (LayerScan::missing_end_marker)
struct Problem {
  std::string image;                  ///< reference or short image ID
  std::optional<std::size_t> layer;   ///< layer index, when the problem is a layer's
  std::string member;                 ///< archive member path
  std::string kind;
  std::string expected;
  std::string actual;
  std::string message;                ///< one line, all of the above in words
};

struct VerifiedLayer {
  std::size_t index = 0;
  Digest digest;     ///< blob digest computed (empty if the blob is absent)
  Digest diff_id;    ///< diff_id computed (empty if absent or not decompressible)
  bool present = false;
  bool foreign = false;
  bool ok = false;   ///< present (or foreign) and every check of this layer passed
};

struct VerifiedImage {
  std::string ref;   ///< first reference, or "" if untagged
  Digest id;         ///< image ID (config digest)
  std::vector<VerifiedLayer> layers;
  bool ok = false;
};

struct VerifyReport {
  std::string archive;              ///< Archive::path() of the archive verified
  bool ok = true;
  std::vector<VerifiedImage> images;
  /// Set when the archive is a lone layer tar (Format::layer_tar): no image,
  /// so no declared digest to check; the digests computed say what it is.
  std::optional<VerifiedLayer> lone_layer;
  std::vector<Problem> problems;
  std::vector<std::string> notes;   ///< findings that are not failures (e.g. a layer that is not a valid tar)
};

struct VerifyOptions {
  /// Only this image (Archive::find_image syntax); empty = every image.
  std::string image;
  /// Worker threads for layers; 0 = hardware threads.
  unsigned threads = 0;
  /// Progress over all stored layer bytes; return false to cancel (Errc::cancelled).
  ProgressFn progress;
};

/// Verifies an opened archive. Throws only for a bad `options.image`
/// (not_found / ambiguous) and Errc::cancelled; everything wrong with the
/// archive is a Problem in the report.
VerifyReport verify(const Archive& archive, const VerifyOptions& options = {});

}  // namespace layerkit
