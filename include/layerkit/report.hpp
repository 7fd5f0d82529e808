// layerkit/report.hpp — the JSON documents layerkit answers with.
//
// The CLI's --json output, the C ABI's *_json calls and the bindings all use
// these functions, so every surface answers with the same document. Keys
// follow Docker where Docker has an answer (`docker image inspect`, `docker
// history --format json`, `docker images --format json`), in Docker's
// spelling; sizes are integers in bytes; digests are "algorithm:hex" strings.
// Every function returns UTF-8 JSON text (pretty-printed with 2 spaces when
// `pretty`) and throws only what the underlying reads throw.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "layerkit/archive.hpp"
#include "layerkit/dedup.hpp"
#include "layerkit/history.hpp"
#include "layerkit/verify.hpp"

namespace layerkit {

/// `docker image inspect`, one object per image in a JSON array, with the
/// keys an archive can answer: Id, RepoTags, RepoDigests, Parent, Comment,
/// Created, Author, Architecture, Variant, Os, OsVersion, Size (bytes, Docker's
/// image size: the sum of its layers' content sizes), Config (the config's
/// "config" object as stored), RootFS {Type, Layers (diff_ids)}; plus
/// Layers: [{MediaType, Digest, Size, DiffID, ChainID, UncompressedSize,
/// Foreign, URLs, Present}], Manifest {MediaType, Digest, Size} or null,
/// Missing: [{What, Digest, Member}], and Archive {Path, Format}.
/// Reads every present layer's tar headers (for Size and UncompressedSize).
std::string inspect_json(const Archive& archive, const std::vector<const Image*>& images, bool pretty = true,
                         unsigned threads = 0);

/// One row per image reference, as `docker images --format json`, plus
/// Archive: [{Repository, Tag, ID (12 hex), Digest (manifest digest or
/// "<none>"), CreatedAt (as stored), CreatedSince ("N units ago"), Size
/// (bytes), Archive}]. `sizes` gives each image's size in bytes, in `images` order.
std::string images_json(const std::vector<const Archive*>& archives, const std::vector<const Image*>& images,
                        const std::vector<std::int64_t>& sizes, std::int64_t now_unix, bool pretty = true);

/// `docker history --format json` rows, newest first: {ID, CreatedAt,
/// CreatedSince, CreatedBy, Size (bytes), Comment}; with `layers` also
/// {LayerIndex, DiffID, Digest, ChainID, CompressedSize, UncompressedSize,
/// Match ("ok", "no layer", "no history")}. ID is the full image ID on the
/// newest row, "<missing>" below. CreatedAt is RFC 3339 (local time zone).
std::string history_json(const std::vector<HistoryRow>& rows, bool layers, std::int64_t now_unix,
                         bool pretty = true);

/// {Archive (path), OK, LoneLayer (null, or {Digest, DiffID, OK} for a lone
/// layer tar), Images: [{Ref, Id, OK, Layers: [{Index, Digest, DiffID, OK,
/// Present, Foreign}]}], Problems: [{Image, Layer (index or null), Member,
/// Kind, Expected, Actual, Message}], Notes: [string]}.
std::string verify_json(const VerifyReport& report, bool pretty = true);

/// What verify_json() says for an archive that could not be opened at all:
/// {Archive (path), OK: false, Error: {Code (errc_name), Message}}.
std::string open_error_json(const std::string& archive, const Error& error, bool pretty = true);

/// {Images: [{Ref, Id, Size, SharedSize, UniqueSize, Layers}], Layers:
/// [{DiffID, ChainID, Size, Images: [refs]}], DiffIDs: [{DiffID, Size,
/// Images}], TotalSize, UniqueSize, SavedSize, Notes}.
std::string dedup_json(const DedupReport& report, bool pretty = true);

/// `layerkit ls --json`: [{Layer (index), Digest, DiffID, Entries: [{Path,
/// Type ("-", "d", "l", "h", "c", "b", "p", "s", "?"), Mode (permission bits,
/// setuid/setgid/sticky included, as an integer), Uid, Gid, Uname, Gname, Size
/// (bytes), Mtime (Unix seconds), Link, DevMajor, DevMinor, Sparse, Xattrs
/// {name: value as lower-case hex}, Whiteout, Opaque}]}], one entry per line
/// of `tar -tv`.
std::string entries_json(const std::vector<std::pair<const Layer*, std::vector<LayerEntry>>>& layers,
                         bool pretty = true);

/// Reads what a report shows about layers: the tar headers of each present
/// layer, and every byte of those whose blob digest the archive does not name
/// (so that the digest can be shown). Each distinct blob is read once; results
/// are in `layers` order (see Archive::scan_many).
std::vector<Archive::ScanResult> scan_for_report(const Archive& archive, const std::vector<const Layer*>& layers,
                                                 unsigned threads = 0, const ProgressFn& progress = {});

/// Docker's image size in bytes: the sum of the content sizes of its present
/// layers (reads their tar headers; unreadable layers count 0).
std::int64_t image_size(const Archive& archive, const Image& image, unsigned threads = 0);

}  // namespace layerkit
