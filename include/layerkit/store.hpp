// layerkit/store.hpp — a content-addressable image store with layer reuse.
//
// The point of layers is reuse: a layer the host already has is never fetched
// or stored again. A Store keeps images in an OCI image layout directory
// (OCI image-spec image-layout.md), the format every peer tool reads
// (`skopeo inspect oci:DIR:REF`, umoci, containerd's import):
//
//   <store>/oci-layout              {"imageLayoutVersion":"1.0.0"}
//   <store>/index.json              one descriptor per reference (image-index.md)
//   <store>/blobs/<alg>/<encoded>   manifests, configs and layer blobs, by digest
//   <store>/.layerkit/              layerkit's own files; peers ignore them:
//       lock, index.lock            flock(2) lock files (see "Concurrency")
//       tmp/                        temporary files of writes in progress
//       layers/<alg>/<encoded>      per layer blob: its diff_id, compression,
//                                   uncompressed and content sizes (JSON), so
//                                   that later answers need no re-hashing
//
// References. Each reference is one index.json descriptor of the image's
// manifest, annotated with both conventions:
//   "org.opencontainers.image.ref.name": the reference as the archive names
//       it ("localhost/corpus/app:1.0"), which `skopeo … oci:STORE:REF` matches;
//   "io.containerd.image.name": the same reference fully qualified, as
//       containerd and Docker 25+ write it ("docker.io/library/busybox:latest").
// An untagged image is a descriptor without these annotations. A descriptor
// may also carry "platform" (from the image config).
//
// Manifests. An image that arrives with a manifest (OCI layouts and archives,
// Docker 25+ docker-archives, skopeo dir:) is stored byte for byte, so its
// manifest digest is preserved. A docker-archive without one (Docker <= 24,
// podman, skopeo) gets an OCI image manifest (image-spec manifest.md)
// synthesized deterministically, exactly as Docker 25+ writes it for its own
// images: config media type application/vnd.oci.image.config.v1+json over the
// config bytes as stored (Docker's config is a superset of the OCI config, and
// its bytes — hence the image ID — are preserved), and per layer the blob's
// digest and size with application/vnd.oci.image.layer.v1.tar[+gzip|+zstd]
// told by the blob's magic number. Loading the same archive twice gives the
// same manifest digest. (OCI rather than Docker v2 schema 2: umoci and other
// OCI-only peers read it, and it is what Docker itself writes since 25.0.)
// Layers are kept as the archive carries them (an uncompressed layer stays
// uncompressed); configs are stored byte for byte.
//
// Durability. Every file is written as a temporary file in .layerkit/tmp,
// fsync'd, renamed into place, and its directory fsync'd. Blobs are made
// visible before the index.json that refers to them, and index.json is
// replaced by a rename, so a process killed at any moment leaves a consistent
// store: at worst unreferenced blobs and temporary files, which verify()
// reports as leftovers and gc() removes.
//
// Concurrency. Readers (images, find, plan, disk_usage) take no lock:
// renames make every file appear whole. load() (which writes blobs) and save()
// (which must not lose one while copying it) hold .layerkit/lock shared;
// gc() and verify() hold it exclusively, so they never meet a write in
// progress (and verify never mistakes a running load's temporary files for
// leftovers). Every change of index.json is a read-modify-write under
// .layerkit/index.lock (exclusive), so two processes loading into one store at
// once both keep their images. Locks are flock(2) locks: a killed process
// releases them. A read-only store needs no lock file to be read.
//
// Trust. Archives are untrusted (see archive.hpp); so is the store directory
// itself, which other tools may write. Every blob whose bytes are used is
// checked against its digest first — manifests and configs whenever the store
// is read, layers whenever save() copies them out — and a blob that does not
// match is an error that names it, never a silent answer. A layer blob the
// store already has is trusted by its name and size (as Docker's and
// containerd's stores trust theirs, so a load does not re-read the store);
// verify() re-hashes everything.
//
// Errors. Functions throw layerkit::Error (error.hpp). Beyond the archive
// reading errors of archive.hpp, the store uses:
//   not_found        the store directory, an image reference or a blob is absent;
//   io               the operating system refused a read or a write — a
//                    read-only store is reported as such ("… is read-only");
//   malformed        index.json, oci-layout or a manifest of the store is not
//                    valid JSON of the right shape (run verify());
//   digest_mismatch  a blob (archive or store) does not hash to its digest;
//   size_mismatch    a blob's length differs from its descriptor;
//   count_mismatch   an image's layers and diff_ids disagree;
//   unsupported      an image layerkit cannot store (a pre-1.10 docker-archive,
//                    a foreign layer, an OCI artifact);
//   invalid_argument a bad option, or a directory that is neither empty nor an
//                    OCI image layout;
//   ambiguous        a reference matching several images.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "layerkit/archive.hpp"
#include "layerkit/digest.hpp"
#include "layerkit/error.hpp"
#include "layerkit/image.hpp"
#include "layerkit/options.hpp"

namespace layerkit {

struct StoreOptions {
  /// Accept a directory that does not exist yet (or is empty, or holds only
  /// .layerkit/): the first write (load) creates it with its parents, and
  /// writes the layout (oci-layout, index.json) when it commits — a load that
  /// fails leaves at most .layerkit/. Until then the store reads as empty:
  /// images(), find(), plan(), disk_usage() see no image, remove() finds
  /// none, gc() has no root (it removes only leftovers of interrupted
  /// writes) and verify() is OK. A directory with one of oci-layout and
  /// index.json but not the other is a damaged store, never a new one.
  /// Without it, open() of an absent or empty directory is Errc::not_found
  /// (one where a first load is running reads as empty until it commits).
  bool create = false;
  /// Limits applied when reading the store's own JSON and blobs.
  Limits limits;
};

/// One layer of a stored image, bottom first.
struct StoreLayer {
  std::size_t index = 0;
  Descriptor descriptor;            ///< media type, blob digest, blob size (bytes) from the manifest
  std::optional<Digest> diff_id;    ///< from the config's rootfs.diff_ids
  std::optional<Digest> chain_id;   ///< OCI config.md ChainID
  bool present = false;             ///< the blob file exists in the store
  /// Docker's layer size (LayerStats::content_bytes), bytes; -1 when not
  /// asked for or unknown (blob absent or unreadable).
  std::int64_t content_size = -1;
};

/// One index.json entry of the store: an image under one reference (an image
/// with two references is two StoreImages with the same manifest).
struct StoreImage {
  /// The reference: "org.opencontainers.image.ref.name", else
  /// "io.containerd.image.name"; "" for an untagged image.
  std::string reference;
  /// "io.containerd.image.name" as stored ("" when absent).
  std::string containerd_name;
  /// Position in the store's index: "3" for the 4th descriptor of index.json,
  /// "3.1" for a manifest of a nested index there.
  std::string index_path;
  /// The image as read from the layout: manifest, config, layers.
  Image image;
  std::vector<StoreLayer> layers;
  /// Docker's image size: the sum of the layers' content sizes, bytes (a
  /// layer of unknown size counts 0); -1 when sizes were not asked for.
  std::int64_t size = -1;
  /// Sum of the stored blob sizes of the layers (what it takes on disk alone), bytes.
  std::uint64_t blob_bytes = 0;

  const Digest& id() const { return image.id(); }
  const Digest& manifest_digest() const;
};

// ---------------------------------------------------------------------------
// load

/// A reference that named another image before a load took it: that image
/// stays in the store, untagged (docker load's "renaming the old one ... to
/// empty string"), unless another reference keeps it.
struct MovedReference {
  std::string reference;
  Digest previous_manifest;   ///< the manifest digest the reference named before
};

/// One step of Store::load(), as `docker load` prints them.
struct LoadEvent {
  enum class Kind {
    layer_loading,  ///< a layer blob the store lacks is being copied and verified
    layer_exists,   ///< the store already has this blob ("Already exists")
    image_loaded,   ///< an image and its references are committed
  } kind = Kind::layer_loading;
  std::string image;          ///< the image's first reference, or its short ID when untagged
  std::size_t layer = 0;      ///< layer index (layer events)
  Digest diff_id;             ///< layer events (docker load shows its first 12 hex)
  Digest digest;              ///< blob digest (layer events); manifest digest (image_loaded)
  std::uint64_t bytes = 0;    ///< blob size (layer events)
  std::vector<std::string> references;  ///< image_loaded: every reference committed
  Digest id;                  ///< image_loaded: the image ID
  std::vector<MovedReference> moved;    ///< image_loaded: references taken from another image
};

struct LoadOptions {
  /// Only this image of the archive (Archive::find_image syntax); empty = all
  /// images (OCI artifacts and images without a config are skipped).
  std::string image;
  /// How to open the archive (platform, limits).
  OpenOptions open;
  /// Called for every event, in order, on the calling thread. Layer events
  /// come before anything is committed: when load then fails, nothing was.
  std::function<void(const LoadEvent&)> on_event;
  /// Progress over the archive bytes read; return false to cancel (Errc::cancelled).
  ProgressFn progress;
  /// Called at each durability point with its name — "staged" after each
  /// blob is written and fsync'd to a temporary file, "committed" after each
  /// blob is renamed into blobs/, "index-written" after the new index.json is
  /// written to its temporary file, "index-renamed" after it replaced
  /// index.json. For fault-injection tests (a test kills the process there);
  /// may be empty.
  std::function<void(std::string_view point)> checkpoint;
};

struct LoadedLayer {
  std::size_t index = 0;
  Digest digest;          ///< blob digest
  Digest diff_id;
  std::uint64_t size = 0; ///< blob bytes
  std::string media_type;
  bool existed = false;   ///< the store had the blob already (or an earlier image of this load wrote it)
};

struct LoadedImage {
  std::vector<std::string> references;
  Digest id;               ///< image ID (config digest)
  Descriptor manifest;     ///< as stored
  bool manifest_synthesized = false;  ///< true for a docker-archive without a manifest
  std::vector<LoadedLayer> layers;
  std::vector<MovedReference> moved;  ///< references this load took from another image
};

struct LoadReport {
  std::string archive;                 ///< path
  std::vector<LoadedImage> images;
  std::size_t blobs_written = 0;       ///< blobs (layers, configs, manifests) the store lacked
  std::uint64_t bytes_written = 0;
  std::uint64_t bytes_existing = 0;    ///< layer bytes not written because the store had them
  std::vector<std::string> warnings;   ///< e.g. a layer that is not a complete tar
};

// ---------------------------------------------------------------------------
// plan (an offline `docker pull`)

struct PlanLayer {
  std::size_t index = 0;
  Digest diff_id;                 ///< empty when the config lacks it
  Digest digest;                  ///< blob digest (what a registry would send)
  Digest chain_id;
  std::int64_t size = 0;          ///< blob bytes (what a pull transfers)
  /// The store has a layer with this chain_id whose blob is present: Docker's
  /// layer store decides "Already exists" this way.
  bool exists_by_chain_id = false;
  /// The store has a blob with this digest: containerd's content store decides this way.
  bool exists_by_digest = false;
  /// Store::load of the archive would write this layer's blob: the archive
  /// has it and the store lacks it by digest (or has it with another size).
  /// Set on the first layer with a given digest only.
  bool load_writes = false;
  /// "Already exists" or "Pull" (by chain_id, as Docker prints it).
  const char* status() const { return exists_by_chain_id ? "Already exists" : "Pull"; }
};

struct PullPlan {
  std::string image;              ///< first reference, or short ID
  Digest id;
  std::vector<PlanLayer> layers;  ///< bottom first
  std::uint64_t present_bytes = 0;   ///< blob bytes of the layers that exist (by chain_id)
  std::uint64_t transfer_bytes = 0;  ///< blob bytes of the layers to pull
  /// What Store::load of the archive would write of its layers: the layer
  /// blobs present in the archive that the store lacks by digest (or has with
  /// another size), each distinct digest once. Differs from the pull when
  /// the store has a layer by chain_id as another blob (another compression),
  /// or a blob by digest under another chain. Configs and manifests are not
  /// counted.
  std::size_t write_blobs = 0;
  std::uint64_t write_bytes = 0;
};

// ---------------------------------------------------------------------------
// save

enum class SaveFormat {
  /// A `docker save` tar both Docker <= 24 and Docker 25+ load, laid out as
  /// Docker 25+ writes it: manifest.json ([{Config, RepoTags, Layers,
  /// LayerSources}], paths "blobs/sha256/<hex>"), repositories, and an OCI
  /// layout (oci-layout, index.json, blobs/).
  docker_archive,
  /// An OCI image layout as a tar (oci-layout, index.json, blobs/).
  oci_archive,
  /// An OCI image layout directory.
  oci_layout,
};
/// "docker-archive", "oci-archive", "oci-layout".
const char* save_format_name(SaveFormat f) noexcept;
/// Parses the names above ("oci" also means oci-layout). Throws invalid_argument.
SaveFormat parse_save_format(std::string_view name);

struct SaveOptions {
  SaveFormat format = SaveFormat::docker_archive;
  /// Non-empty: write a thin archive for this target — a store or OCI layout
  /// directory, or any archive Archive::open reads — holding only the layer
  /// blobs the target lacks, with complete manifests and configs. "Lacks" is
  /// decided as the consumer of the format decides: by chain_id for a
  /// docker-archive (`docker load` skips a layer its layer store has), by blob
  /// digest for the OCI formats (containerd and skopeo reuse a blob by digest).
  std::string missing_from;
  /// How to open missing_from when it is an archive.
  OpenOptions target_open;
  /// Progress over the blob bytes written; return false to cancel.
  ProgressFn progress;
};

struct SavedLayer {
  std::size_t index = 0;
  Digest digest;
  Digest diff_id;
  std::uint64_t size = 0;
  bool omitted = false;  ///< thin archive: the target has it, the blob is not written
};

struct SavedImage {
  std::vector<std::string> references;  ///< the references saved with it (none when saved by ID, as `docker save ID`)
  Digest id;
  Descriptor manifest;
  std::vector<SavedLayer> layers;
};

struct SaveReport {
  std::string output;
  SaveFormat format = SaveFormat::docker_archive;
  std::vector<SavedImage> images;
  std::size_t blobs_written = 0;     ///< distinct blobs in the output
  std::uint64_t bytes_written = 0;   ///< their bytes
  std::uint64_t bytes_omitted = 0;   ///< layer bytes left out of a thin archive
};

// ---------------------------------------------------------------------------
// rm, gc, df, verify

struct RemoveReport {
  std::vector<std::string> untagged;  ///< references removed from index.json
  std::vector<Digest> deleted;        ///< image IDs no longer referenced by any entry
};

struct GcOptions {
  bool dry_run = false;  ///< report what would be removed, remove nothing
};

struct GcReport {
  struct Removed {
    std::string path;    ///< relative to the store
    Digest digest;       ///< empty for temporary files and stray names
    std::uint64_t bytes = 0;
  };
  std::vector<Removed> blobs;        ///< unreferenced blobs (and stray files under blobs/)
  std::vector<Removed> temp_files;   ///< leftovers of interrupted writes (.layerkit/tmp)
  std::size_t metadata_removed = 0;  ///< layer metadata files of absent blobs
  std::uint64_t bytes_removed = 0;   ///< blob + temp bytes
  bool dry_run = false;
};

/// `docker system df -v` for the store. Sizes are Docker's layer sizes
/// (content bytes), as in dedup.hpp: an image's SIZE is the sum of its layers,
/// SHARED SIZE the part in layers (by chain_id) that at least one other image
/// of the store also has, UNIQUE SIZE the rest. Unlike docker, which counts
/// hidden intermediate build images as "other images" (so an image whose
/// newest history entry made no layer shows UNIQUE SIZE 0B, docker/cli#5012),
/// only the store's images count: such an image keeps its unique size.
/// Two references to one manifest are one image.
struct DiskUsageImage {
  std::string reference;     ///< "" untagged
  Digest id;
  Digest manifest_digest;
  std::string created;       ///< as stored in the config
  std::size_t layers = 0;
  std::uint64_t size = 0;
  std::uint64_t shared_size = 0;
  std::uint64_t unique_size = 0;
  std::uint64_t blob_bytes = 0;  ///< stored bytes of its layer blobs
};

struct DiskUsage {
  std::vector<DiskUsageImage> images;   ///< one per reference, index.json order
  std::size_t distinct_images = 0;      ///< distinct manifests
  std::size_t distinct_layers = 0;      ///< distinct chain_ids
  std::uint64_t content_size = 0;       ///< content bytes, each distinct layer (chain_id) once
  std::uint64_t total_size = 0;         ///< content bytes summed per image (each distinct manifest once)
  std::size_t blobs = 0;                ///< files under blobs/
  std::uint64_t blob_bytes = 0;         ///< their bytes: what the store takes on disk
  std::size_t unreferenced_blobs = 0;   ///< what gc() would remove
  std::uint64_t unreferenced_bytes = 0;
  std::size_t temp_files = 0;
  std::uint64_t temp_bytes = 0;
};

struct StoreVerifyOptions {
  unsigned threads = 0;  ///< worker threads for hashing layers; 0 = hardware threads
  ProgressFn progress;   ///< over the blob bytes hashed
  /// Wait for writers (load, gc) to finish before verifying, so that their
  /// temporary files are not reported. False: fail with Errc::io ("busy")
  /// when a writer holds the store.
  bool wait = true;
};

/// Problem kinds (StoreProblem::kind): those of verify.hpp for the images
/// ("blob_digest", "diff_id", "size", "config_digest", "manifest_digest",
/// "count", "missing", "unreadable", "unverifiable"), and for the store:
///   "layout"     oci-layout is absent or not {"imageLayoutVersion":"1.x"};
///   "index"      index.json is absent, truncated or not an image index;
///   "stray"      a file under blobs/ whose name is not a digest;
///   "metadata"   a .layerkit/layers record that disagrees with its blob.
struct StoreProblem {
  std::string kind;
  std::string path;       ///< relative to the store
  std::string expected;
  std::string actual;
  std::string message;    ///< one line naming the file and the problem
};

struct StoreVerifyReport {
  bool ok = true;                        ///< no problems (leftovers do not count)
  std::size_t images = 0;                ///< index entries checked
  std::size_t blobs = 0;                 ///< blobs hashed
  std::uint64_t bytes = 0;               ///< blob bytes hashed
  std::vector<StoreProblem> problems;
  /// Removable leftovers that do not make the store inconsistent: temporary
  /// files of interrupted writes, unreferenced blobs, metadata of absent
  /// blobs. gc() removes them.
  std::vector<std::string> leftovers;
  std::vector<std::string> notes;
};

// ---------------------------------------------------------------------------

/// A handle on a store directory. Cheap: every call reads the directory's
/// current state (other processes may change it between calls). Movable, not
/// copyable; one handle may be used by one thread at a time.
class Store {
 public:
  /// Opens the store at `dir`. Throws not_found when it does not exist (and
  /// !options.create); invalid_argument when it is a non-empty directory that
  /// is not an OCI image layout; io for a read-only store when options.create
  /// must initialise it.
  static Store open(const std::string& dir, const StoreOptions& options = {});

  /// The default store: $XDG_DATA_HOME/layerkit/store, else
  /// ~/.local/share/layerkit/store ($HOME, else the passwd entry). Throws
  /// invalid_argument when no home directory is known.
  static std::string default_path();

  Store(Store&&) noexcept;
  Store& operator=(Store&&) noexcept;
  ~Store();

  const std::string& path() const;

  /// Every image (one per index.json entry; nested indexes contribute each of
  /// their manifests), in index order. With `sizes`, layer content sizes come
  /// from .layerkit/layers, else by reading the blob's tar headers. Throws
  /// malformed for a corrupt index.json and digest_mismatch when a manifest or
  /// config blob does not hash to its digest.
  std::vector<StoreImage> images(bool sizes = true) const;

  /// The images `ref` names: a reference (exact, or equal once both are fully
  /// qualified as docker.io/library/…; failing that, equal without a
  /// "docker.io/library/", "docker.io/" or "localhost/" prefix, as
  /// Archive::find_image matches), an image ID or unique prefix (4+ hex,
  /// "sha256:" optional), or a manifest digest. Every entry of the named
  /// image is returned (several for a multi-reference image by ID). Throws
  /// not_found, ambiguous (a prefix of several image IDs, a short name of
  /// several references).
  std::vector<StoreImage> find(std::string_view ref) const;

  /// True when blobs/<alg>/<encoded> exists.
  bool has_blob(const Digest& digest) const;

  /// Imports every image of an archive (or options.image): writes the blobs
  /// the store lacks, each verified while it is copied (Archive::copy_layer:
  /// blob digest and diff_id in one pass) — a blob that does not match never
  /// enters the store, and the error names it — and records its references.
  /// Layers the store already has are read and verified, not written. A layer
  /// absent from a (thin) archive is accepted when the store has its blob with
  /// the same diff_id. A store blob of the wrong size (damaged) is replaced by
  /// the verified copy (with a warning). All or nothing: every blob is
  /// verified and staged before the first one is committed, so when any image
  /// of the archive fails, the store is left exactly as it was (an operating
  /// system failure while committing leaves at most unreferenced blobs, as a
  /// crash does). A compressed (read-once) archive is decompressed to a
  /// temporary file in the store first when it has layers to copy.
  /// Throws the archive errors of Archive::open, digest_mismatch,
  /// size_mismatch, count_mismatch, not_found (a blob absent from archive and
  /// store), unsupported, io (read-only store), malformed (corrupt index.json),
  /// cancelled.
  LoadReport load(const std::string& archive_path, const LoadOptions& options = {});

  /// What `docker pull` of `image` would do against this store, layer by
  /// layer, bottom up; reads only JSON and the store's directory. `image`
  /// must belong to `archive` (borrowed for the call). Throws what images() throws.
  PullPlan plan(const Archive& archive, const Image& image) const;

  /// Writes the images named by `refs` (find() syntax; an image named by a
  /// reference is saved with that reference, one named by ID or digest
  /// untagged, as `docker save` does) to `output` — a file for the tar formats ("-" is
  /// standard output), a directory that must not exist or be empty for
  /// oci_layout — atomically (temporary file or directory, fsync, rename).
  /// Every blob is re-hashed while it is copied: a corrupt store blob aborts
  /// the save with digest_mismatch and leaves no output. Throws not_found,
  /// ambiguous, invalid_argument (no refs, output exists), io, digest_mismatch.
  SaveReport save(const std::vector<std::string>& refs, const std::string& output,
                  const SaveOptions& options = {}) const;

  /// Removes the index.json entries `refs` name (by reference: that entry; by
  /// ID or digest: every entry of that image). Blobs stay until gc(). Throws
  /// not_found (nothing removed then), io, malformed.
  RemoveReport remove(const std::vector<std::string>& refs);

  /// Mark and sweep: marks every blob reachable from index.json (indexes,
  /// manifests, configs, layers), removes every other file under blobs/, the
  /// temporary files of interrupted writes and orphaned layer metadata.
  /// Holds the store exclusively. Throws malformed / not_found / digest_mismatch
  /// when a reachable index or manifest is missing or corrupt (nothing is
  /// removed then: fix it with remove() first), io.
  GcReport gc(const GcOptions& options = {});

  /// Sizes per image and for the whole store (`docker system df -v`).
  DiskUsage disk_usage() const;

  /// Re-hashes every blob (layers also decompressed, to check diff_ids) and
  /// checks every reference: index.json and oci-layout, every manifest, config
  /// and layer it reaches, layer counts, the layer metadata, and files that do
  /// not belong. Everything wrong is a problem in the report (ok false);
  /// leftovers of interrupted writes are listed apart. Throws only io when the
  /// store cannot be listed, cancelled, and (wait false) io when busy.
  StoreVerifyReport verify(const StoreVerifyOptions& options = {}) const;

  /// Internal state (opaque to users).
  struct Impl;

 private:
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// The fully qualified form of a reference, as containerd and Docker 25+
/// store it in "io.containerd.image.name": "busybox" ->
/// "docker.io/library/busybox:latest", "user/app:1" -> "docker.io/user/app:1",
/// "localhost/x:1" and "host:5000/x:1" unchanged (":latest" added when there
/// is neither a tag nor a digest).
std::string qualified_reference(std::string_view ref);

// ---------------------------------------------------------------------------
// JSON documents (the CLI's --json output; the C ABI's *_json calls). Keys in
// Docker's spelling, sizes in bytes, digests "algorithm:hex".

/// {Archive, Images: [{References, Id, ManifestDigest, ManifestSynthesized,
/// MovedReferences: [{Reference, PreviousManifest}],
/// Layers: [{Index, DiffID, Digest, Size, MediaType, Status ("Loading layer" |
/// "Already exists")}]}], BlobsWritten, BytesWritten, BytesExisting, Warnings}.
std::string load_json(const LoadReport& report, bool pretty = true);

/// {Image, Id, Layers: [{Index, DiffID, Digest, ChainID, Size, Status
/// ("Already exists" | "Pull"), ExistsByChainID, ExistsByDigest}],
/// PresentBytes, TransferBytes}.
std::string plan_json(const PullPlan& plan, bool pretty = true);

/// {Output, Format, Images: [{References, Id, ManifestDigest, Layers: [{Index,
/// Digest, DiffID, Size, Omitted}]}], BlobsWritten, BytesWritten, BytesOmitted}.
std::string save_json(const SaveReport& report, bool pretty = true);

/// `docker images --format json`-like rows, one per entry, newest first:
/// [{Repository, Tag, ID (12 hex), Id (full), Digest (manifest), CreatedAt,
/// CreatedSince, Size, Layers, Reference}].
std::string store_images_json(const std::vector<StoreImage>& images, std::int64_t now_unix, bool pretty = true);

/// {Untagged: [refs], Deleted: [image IDs]}.
std::string remove_json(const RemoveReport& report, bool pretty = true);

/// {DryRun, Blobs: [{Path, Digest, Size}], TempFiles: [{Path, Size}],
/// MetadataRemoved, BytesRemoved}.
std::string gc_json(const GcReport& report, bool pretty = true);

/// {Images: [{Repository, Tag, Reference, ID, Id, ManifestDigest, CreatedAt,
/// Layers, Size, SharedSize, UniqueSize, BlobBytes}], DistinctImages,
/// DistinctLayers, ContentSize, TotalSize, Blobs, BlobBytes, UnreferencedBlobs,
/// UnreferencedBytes, TempFiles, TempBytes}.
std::string disk_usage_json(const DiskUsage& usage, bool pretty = true);

/// {OK, Images, Blobs, Bytes, Problems: [{Kind, Path, Expected, Actual,
/// Message}], Leftovers: [string], Notes: [string]}.
std::string store_verify_json(const StoreVerifyReport& report, bool pretty = true);

}  // namespace layerkit
