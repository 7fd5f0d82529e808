// layerkit/archive.hpp — open any image archive with one call.
//
// Archive::open() detects the format from the content, never from the file
// name, and reads every image's manifest and config (small JSON members) into
// the Image model. Layer blobs are read only when asked, through scan() /
// scan_many(), which read each blob at most once per Archive: a layer shared
// by several images is read once.
//
// Formats read:
//   docker-archive   `docker save`: Docker <= 24 (legacy <id>/layer.tar dirs,
//                    VERSION, repositories; a repeated layer stored as a
//                    symlink), Docker 25+ (OCI layout + manifest.json with
//                    LayerSources), Docker's containerd image store, podman,
//                    skopeo, go-containerregistry and kaniko (config member
//                    "sha256:<hex>", .tar.gz layers), and the pre-1.10 layout
//                    without manifest.json (repositories + <id>/json parents);
//   oci-layout       an OCI image layout directory (image-layout.md), nested
//                    indexes, platform choice;
//   oci-archive      the same layout as a tar;
//   docker-dir       skopeo's dir: layout;
//   layer-tar        a lone layer tar: no images, one loose layer;
// each of the tar ones also compressed as a whole (gzip, zstd, xz, bzip2),
// which is then read sequentially, once, at open.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "layerkit/compression.hpp"
#include "layerkit/error.hpp"
#include "layerkit/image.hpp"
#include "layerkit/layer.hpp"
#include "layerkit/options.hpp"

namespace layerkit {

enum class Format { docker_archive, oci_layout, oci_archive, docker_dir, layer_tar };
/// "docker-archive", "oci-layout", "oci-archive", "docker-dir", "layer-tar".
const char* format_name(Format f) noexcept;

struct OpenOptions {
  /// The platform to pick from an image index, "os/arch[/variant]"; "all"
  /// keeps every manifest of every index as an image. An index without a
  /// match for this platform is left out (see Archive::warnings()); more than
  /// one match is Errc::ambiguous, with the candidates listed.
  std::string platform = "linux/amd64";
  /// True when `platform` was chosen by the user rather than defaulted; a
  /// default platform falls back to the only manifest present in an index
  /// (Docker's containerd store saves just the pulled platform).
  bool platform_explicit = false;
  Limits limits;
  /// Progress of the single pass over a compressed archive (bytes of the file).
  ProgressFn progress;
};

/// A JSON blob read at open (index, manifest, config), with what the archive
/// declares about it and what it actually is. verify() reports the differences.
struct BlobCheck {
  std::string what;        ///< "index.json", "manifest of corpus/app:1.0", "config of …"
  std::string member;      ///< archive member path
  Digest declared_digest;  ///< empty when the archive names no digest for it
  std::int64_t declared_size = -1;
  Digest actual_digest;    ///< of the bytes read, in declared_digest's algorithm (sha256 if none)
  std::int64_t actual_size = 0;
  std::string image;       ///< the image it belongs to, for messages ("" for indexes)
  std::string image_path;  ///< that image's Image::index_path ("" for indexes)
};

class Archive {
 public:
  /// Opens `path`: a file, a directory, or a named pipe or socket (such as
  /// /dev/stdin fed by `docker save`), which is first copied once to an
  /// unlinked temporary file in $TMPDIR (else /tmp) because it cannot be
  /// re-read or seeked; options.progress reports that copy (total 0). Throws Error:
  ///   invalid_argument      a device or other special file;
  ///   not_found / io        the path cannot be read (io also: the temporary
  ///                         file cannot be made or written, e.g. a full disk);
  ///   format_unknown        neither a tar nor a known layout;
  ///   truncated             the tar (or compressed stream) ends early;
  ///   malformed             invalid JSON, wrong field types, manifest.json null;
  ///   invalid_digest        a digest violating the OCI grammar;
  ///   unsafe_path           a member path leaving the archive;
  ///   limit_exceeded        a Limits field was exceeded;
  ///   ambiguous             the platform choice matches several manifests;
  ///   cancelled             options.progress returned false.
  /// Missing blobs are NOT errors: the image lists them in Image::missing, and
  /// foreign layers are reported as foreign.
  static Archive open(const std::string& path, const OpenOptions& options = {});

  Archive(Archive&&) noexcept;
  Archive& operator=(Archive&&) noexcept;
  ~Archive();

  const std::string& path() const;
  Format format() const;
  /// Compression of the whole archive file (none for directories).
  Compression outer_compression() const;
  /// True for the Docker 25+ docker-archive (manifest.json beside an OCI layout).
  bool has_oci_layout() const;
  /// True for a pre-1.10 docker-archive (no manifest.json): image IDs are the v1 IDs.
  bool legacy_v1() const;
  /// Every image, in archive order (manifest.json order, or index.json walk order).
  const std::vector<Image>& images() const;
  /// A layer-tar's one loose layer; nullopt for every other format.
  const std::optional<Layer>& loose_layer() const;
  /// JSON blobs read at open, for verification.
  const std::vector<BlobCheck>& blob_checks() const;
  /// Non-fatal findings at open (an index with no manifest for the platform, …).
  const std::vector<std::string>& warnings() const;

  /// Finds one image by reference. Accepts a repo tag or ref name exactly
  /// ("localhost/corpus/app:1.0"), the same without a "docker.io/",
  /// "docker.io/library/" or "localhost/" prefix, an image ID or unique ID
  /// prefix ("sha256:1ccc…" or "1ccc…", 4+ hex), a manifest digest, or "@N"
  /// (the N-th image, from 0). Throws not_found or ambiguous.
  const Image& find_image(std::string_view ref) const;

  /// Reads one layer blob (see layer.hpp). Results are cached per blob: a
  /// full scan also answers later headers requests. Throws not_found for an
  /// absent or foreign layer, truncated/io for bad input, limit_exceeded,
  /// cancelled, unsupported (a blob of a compressed archive needing another
  /// hash algorithm than sha256).
  LayerScan scan(const Layer& layer, ScanDepth depth, const ProgressFn& progress = {}) const;

  /// Receives a blob's stored bytes, in order, as copy_layer() reads them.
  using BlobSink = std::function<void(const void* data, std::size_t bytes)>;

  /// Reads a present layer's blob once, passing every stored byte to `sink`
  /// while computing the full scan (blob digest, diff_id, sizes), which it
  /// returns and caches: a caller copies and verifies in one pass. Throws
  /// like scan(); also Errc::unsupported for a compressed (read-once) archive,
  /// whose layer bytes are gone after open — decompress it to a file first.
  LayerScan copy_layer(const Layer& layer, const BlobSink& sink, const ProgressFn& progress = {}) const;

  /// Lists a present layer's tar entries, in order, through `on_entry`
  /// (tar headers only: bodies are skipped by seeking where the input allows).
  /// Returns the headers scan. Throws like scan(); Errc::unsupported for a layer
  /// of a compressed (read-once) archive larger than what open kept in memory.
  LayerScan list_layer(const Layer& layer, const EntryFn& on_entry) const;

  /// True when the archive was compressed as a whole and read once at open.
  bool read_once() const;

  /// One element of scan_many()'s result: a scan, or the error it raised.
  struct ScanResult {
    std::optional<LayerScan> scan;
    Errc error = Errc::ok;
    std::string message;
  };
  /// Reads many layers on up to `threads` threads (0 = hardware threads),
  /// each distinct blob once, biggest first. Results are in `layers` order.
  /// Absent layers get Errc::not_found. Progress is over all stored bytes.
  /// Throws only Errc::cancelled.
  std::vector<ScanResult> scan_many(const std::vector<const Layer*>& layers, ScanDepth depth, unsigned threads = 0,
                                    const ProgressFn& progress = {}) const;

  /// Internal state (opaque to users).
  struct Impl;

 private:
  explicit Archive(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace layerkit
