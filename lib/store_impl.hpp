// store_impl.hpp (private) — what store.cpp, store_save.cpp and
// store_json.cpp share: the Store's state, its directory layout, the layer
// metadata records, index.json helpers and the view of the stored images.
#pragma once

#include <algorithm>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "json.hpp"
#include "layerkit/store.hpp"
#include <fmt/format.h>

#include "layerkit/error.hpp"
#include "oci.hpp"
#include "store_fs.hpp"

namespace layerkit {


/// An image's name in messages: its first reference, else its short ID.
inline std::string short_name(const Image& img) {
  if (!img.references.empty()) return img.references.front();
  if (!img.id().empty()) return img.id().short_hex();
  return "image " + img.index_path;
}

inline bool is_hex(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  });
}

/// Throws `code` saying the store at `root` is damaged (the core's message
/// loses its own "root: " prefix) and how to look closer.
[[noreturn]] inline void corrupt(Errc code, const std::string& root, std::string what) {
  if (what.rfind(root + ": ", 0) == 0) what.erase(0, root.size() + 2);
  throw Error(code, fmt::format("store {}: {}; the store is damaged: run `layerkit store verify`", root, what));
}

/// What layerkit records about a layer blob in .layerkit/layers/<alg>/<hex>.
struct LayerMeta {
  Digest digest;                  ///< the blob
  Digest diff_id;                 ///< its tar stream
  Compression compression = Compression::none;
  std::uint64_t size = 0;         ///< blob bytes
  std::uint64_t tar_bytes = 0;    ///< uncompressed bytes
  std::uint64_t content_bytes = 0;///< Docker's layer size
  std::uint64_t entries = 0;
  bool tar_ok = true;
};

LayerMeta meta_from_scan(const Digest& digest, const LayerScan& scan);
std::string meta_to_json(const LayerMeta& m);
/// Parses a record; nullopt when it is not a valid record for `digest`.
std::optional<LayerMeta> meta_from_json(std::string_view text, const Digest& digest);

/// The OCI layer media type for a compression; throws unsupported for xz / bzip2.
std::string oci_layer_media_type(Compression c, std::string_view what);

/// One top-level descriptor of index.json, as layerkit reads it.
struct IndexEntry {
  Descriptor descriptor;
  std::string ref_name;         ///< org.opencontainers.image.ref.name
  std::string containerd_name;  ///< io.containerd.image.name
  std::string reference() const { return !ref_name.empty() ? ref_name : containerd_name; }
};

/// Parses index.json bytes. Throws malformed (naming "index.json" and the
/// field), invalid_digest, limit_exceeded.
std::vector<IndexEntry> parse_index_entries(std::string_view bytes, const Limits& limits);

/// True when `entry` names `ref`: exactly, or once both are fully qualified;
/// `lenient` also without a "docker.io/library/", "docker.io/" or
/// "localhost/" prefix (as Archive::find_image matches).
bool entry_names(const IndexEntry& entry, std::string_view ref, bool lenient = false);

/// A descriptor object for index.json: mediaType, digest, size, annotations
/// with both reference conventions when `ref` is non-empty, platform when given.
json::Value index_descriptor_value(const Descriptor& d, const std::string& ref, const Platform* platform,
                                   json::Document::AllocatorType& alloc);

/// An empty OCI image index document.
std::string empty_index_json();

/// The platform an image config declares (nullopt when os or architecture is empty).
std::optional<Platform> config_platform(const Image& img);

struct Store::Impl {
  std::string root;
  StoreOptions opts;

  std::string dot() const { return storefs::join(root, ".layerkit"); }
  std::string tmp() const { return storefs::join(dot(), "tmp"); }
  std::string lock_path() const { return storefs::join(dot(), "lock"); }
  std::string index_lock_path() const { return storefs::join(dot(), "index.lock"); }
  std::string index_path() const { return storefs::join(root, "index.json"); }
  std::string layout_path() const { return storefs::join(root, "oci-layout"); }
  std::string blob_path(const Digest& d) const;
  std::string meta_path(const Digest& d) const;

  bool has_blob(const Digest& d) const;
  std::optional<LayerMeta> read_meta(const Digest& d) const;

  /// Creates the directory and .layerkit/{tmp,layers}, and proves that a file
  /// can be written there (so that a write fails before reading a whole
  /// archive). Writes no layout file: a write that fails later leaves at most
  /// .layerkit/. Throws io ("read-only") when it cannot.
  void prepare_for_writing() const;

  /// Writes oci-layout and an empty index.json where absent (a write that
  /// commits initialises the layout). `locked`: the caller holds the index lock.
  void write_layout(bool locked = false) const;

  /// A store opened with `create` that no write has initialised yet (neither
  /// index.json nor oci-layout): it reads as empty. A directory with one of
  /// them but not the other is a damaged store, never this.
  bool not_created() const;

  /// The stored images: Archive::open of the layout (every platform), and
  /// index.json's annotations. `strict`: a manifest or config blob that does
  /// not hash to its digest is an error (digest_mismatch / size_mismatch).
  std::vector<StoreImage> read_images(bool sizes, bool strict) const;

  /// Every blob reachable from index.json (indexes and manifests read,
  /// checked against their digests). `strict`: a reachable index or manifest
  /// that is absent or corrupt throws; otherwise it is skipped.
  std::set<std::string> reachable(bool strict) const;

  /// Reads index.json, parses it and rewrites it through `edit` (which gets
  /// the document and its allocator), durably, under the index lock.
  /// `checkpoint` gets "index-written" / "index-renamed".
  void edit_index(const std::function<void(json::Document&)>& edit,
                  const std::function<void(std::string_view)>& checkpoint = {}) const;
};

/// The images of `imgs` that `ref` names (Store::find semantics).
std::vector<StoreImage> find_images(const std::vector<StoreImage>& imgs, std::string_view ref, const std::string& root);

/// True when `ref` follows the reference grammar of OCI annotations.md.
bool valid_reference(std::string_view ref);

/// Throws digest_mismatch / size_mismatch for an archive BlobCheck that does
/// not match what it declares.
void check_blob(const BlobCheck& c, const std::string& source);

}  // namespace layerkit
