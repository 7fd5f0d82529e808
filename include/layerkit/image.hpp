// layerkit/image.hpp — the Image model: references, manifest, config, layers.
//
// Terms follow the OCI image spec and Docker (see the vocabulary in the
// README): an image is one manifest's config plus its ordered layers. The
// image ID is the digest of the config blob (what `docker images` shows,
// truncated to 12 hex characters).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "layerkit/digest.hpp"

namespace layerkit {

/// OCI image-index.md "platform", and config.md os / architecture / variant.
struct Platform {
  std::string os;            ///< e.g. "linux"
  std::string architecture;  ///< e.g. "amd64", "arm64"
  std::string variant;       ///< e.g. "v8"; may be empty
  std::string os_version;    ///< e.g. "10.0.17763.1040" (Windows); may be empty

  /// Parses "os/arch[/variant]". Throws Error(invalid_argument).
  static Platform parse(const std::string& text);
  /// "os/arch" or "os/arch/variant".
  std::string str() const;
  /// True when this platform satisfies `wanted`: same os and architecture,
  /// and the same variant when `wanted` names one. Architectures are
  /// normalised as containerd does (x86_64 = amd64, aarch64 = arm64).
  bool satisfies(const Platform& wanted) const;
};

/// OCI descriptor.md: what a manifest or index says about a blob.
struct Descriptor {
  std::string media_type;           ///< may be empty (docker-archive layers have none)
  Digest digest;                    ///< may be empty: see Layer::digest_known
  std::int64_t size = -1;           ///< bytes; -1 when the archive does not say
  std::vector<std::string> urls;    ///< foreign layers: where the blob lives
  std::map<std::string, std::string> annotations;
  std::optional<Platform> platform;
};

/// Docker's HEALTHCHECK (config.Healthcheck). Durations in nanoseconds.
struct Healthcheck {
  std::vector<std::string> test;
  std::int64_t interval_ns = 0, timeout_ns = 0, start_period_ns = 0, start_interval_ns = 0;
  std::int64_t retries = 0;
};

/// The image config's "config" object (OCI config.md "Properties"; Docker
/// adds Healthcheck). Absent lists are empty; has_cmd / has_entrypoint tell
/// an absent value from an empty one.
struct ContainerConfig {
  std::string user;
  std::vector<std::string> exposed_ports;  ///< keys, e.g. "8080/tcp"
  std::vector<std::string> env;            ///< "NAME=value"
  std::vector<std::string> entrypoint;
  bool has_entrypoint = false;
  std::vector<std::string> cmd;
  bool has_cmd = false;
  std::vector<std::string> volumes;        ///< keys
  std::string working_dir;
  std::map<std::string, std::string> labels;
  std::string stop_signal;
  std::optional<Healthcheck> healthcheck;
  std::string json;                        ///< the whole object as stored (compact JSON), "" if absent
};

/// One entry of config.history (OCI config.md), oldest first.
struct HistoryEntry {
  std::string created;     ///< RFC 3339 as stored; may be empty
  std::string created_by;
  std::string author;
  std::string comment;
  bool empty_layer = false;  ///< true: the entry made no layer (no diff_id)
};

/// The parsed image config (OCI config.md; Docker image JSON).
struct ImageConfig {
  std::string created;     ///< RFC 3339 as stored; may be empty
  std::string author;
  std::string architecture;
  std::string os;
  std::string os_version;
  std::string variant;
  ContainerConfig config;
  std::string rootfs_type;            ///< "layers"
  std::vector<Digest> diff_ids;       ///< rootfs.diff_ids, bottom layer first
  std::vector<HistoryEntry> history;  ///< oldest first
  /// Number of history entries with empty_layer false.
  std::size_t non_empty_history() const;
};

/// One layer of an image, bottom first.
struct Layer {
  std::size_t index = 0;       ///< position in the image, 0 = bottom
  Descriptor descriptor;       ///< media type, blob digest, size in bytes, urls
  /// Where descriptor.digest came from. `computed` means the archive does not
  /// name the blob (a legacy docker-archive with compressed layers): the
  /// digest is known only after the layer is read (Archive::scan).
  enum class DigestSource { manifest, layer_sources, path, diff_id, computed } digest_source = DigestSource::manifest;
  std::optional<Digest> diff_id;   ///< from the config's rootfs.diff_ids; absent if the config lists fewer
  std::optional<Digest> chain_id;  ///< OCI config.md ChainID; absent when any diff_id below is absent
  std::string member;              ///< the archive member holding the blob ("" if absent)
  bool present = false;            ///< the blob is in the archive
  bool foreign = false;            ///< a foreign (non-distributable) layer: blob elsewhere, at urls
};

/// A blob that an image needs but the archive lacks.
struct MissingBlob {
  std::string what;     ///< "manifest", "config", "layer 3"
  Digest digest;        ///< may be empty (docker-archive paths)
  std::string member;   ///< the member path looked for
};

struct Image {
  std::vector<std::string> references;     ///< repo tags / ref names, e.g. "localhost/corpus/app:1.0"
  std::string index_path;                  ///< position in the archive: "0" (manifest.json entry) or "1.0" (index, nested index)
  std::optional<Descriptor> manifest;      ///< the manifest's descriptor, where the archive has a manifest blob
  std::string manifest_json;               ///< the manifest bytes as stored ("" if none)
  Descriptor config_descriptor;            ///< digest = image ID; size in bytes
  std::string config_json;                 ///< the config bytes as stored ("" if absent)
  std::string config_member;               ///< archive member of the config
  ImageConfig config;
  std::vector<Layer> layers;
  std::vector<MissingBlob> missing;        ///< blobs the archive lacks (empty for a complete image)
  /// Non-empty for an OCI artifact: the config media type, which is not an
  /// image config (e.g. "application/vnd.oci.empty.v1+json"); config is then unparsed.
  std::string artifact_type;
  /// A pre-1.10 docker-archive image: the ID is the v1 ID of the top layer
  /// (what Docker showed then), config_json is that layer's v1 JSON, and the
  /// diff_ids were computed by reading the layers.
  bool legacy_v1 = false;

  /// The image ID: the config digest (empty if the config is missing).
  const Digest& id() const { return config_descriptor.digest; }
  /// True when the manifest and config are present (layers may still be absent).
  bool complete() const { return !config_json.empty(); }
  /// The first reference, or "" for an untagged image.
  std::string display_name() const;
};

/// Parses an image config blob. `what` names it in messages. Throws
/// Error(malformed) for wrong types, limit_exceeded for too many layers.
ImageConfig parse_image_config(std::string_view json, std::string_view what, unsigned max_depth,
                               std::uint32_t max_layers);

/// Fills every layer's chain_id from its diff_id (OCI config.md ChainID).
void compute_chain_ids(std::vector<Layer>& layers);

}  // namespace layerkit
