// layerkit/layer.hpp — what one pass over a layer blob tells.
//
// A layer (OCI layer.md) is a tar changeset, possibly gzip- or zstd-compressed.
// Reading it once yields, at the same time:
//   * the blob digest: the hash of the bytes as stored (what a manifest names);
//   * the diff_id: the hash of the decompressed tar stream (what a config's
//     rootfs.diff_ids names) — for an uncompressed layer both are one hash;
//   * the entry statistics, including Docker's layer "size".
// A layer is never held in memory whole: memory is bounded by buffers and by
// 16 bytes per distinct path (to count a path written twice once).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "layerkit/compression.hpp"
#include "layerkit/digest.hpp"
#include "layerkit/error.hpp"
#include "layerkit/options.hpp"

namespace layerkit {

/// Counts over a layer's tar entries.
struct LayerStats {
  std::uint64_t entries = 0;      ///< tar entries (PAX/GNU meta headers excluded)
  std::uint64_t files = 0;        ///< regular files (hard links excluded)
  std::uint64_t directories = 0;
  std::uint64_t symlinks = 0;
  std::uint64_t hardlinks = 0;
  std::uint64_t others = 0;       ///< devices, FIFOs, sockets
  std::uint64_t whiteouts = 0;    ///< ".wh.<name>" entries (OCI layer.md "Whiteouts")
  std::uint64_t opaque_whiteouts = 0;  ///< ".wh..wh..opq" entries
  /// Docker's layer size, as its graphdriver store reports it (directory.Size
  /// over the extracted layer): the apparent bytes of every non-directory
  /// entry, a symlink counting the length of its target, a hard link counting
  /// nothing (its inode is counted once, at its first name), a path written
  /// twice counting its last version only. Bytes.
  std::uint64_t content_bytes = 0;
};

/// One tar entry of a layer, as `tar -tv` would list it (OCI layer.md).
struct LayerEntry {
  std::string path;          ///< as stored, without a leading "./" or "/"
  /// '-' regular file, 'd' directory, 'l' symbolic link, 'h' hard link,
  /// 'c' character device, 'b' block device, 'p' FIFO, 's' socket, '?' other.
  char type = '?';
  std::uint32_t mode = 0;    ///< permission bits, setuid/setgid/sticky included (07777)
  std::int64_t uid = 0, gid = 0;
  std::string uname, gname;
  std::uint64_t bytes = 0;   ///< a regular file's size in bytes (its logical size, if sparse)
  std::int64_t mtime = 0;    ///< modification time, Unix seconds
  std::string link;          ///< a symbolic link's target or a hard link's target path
  std::uint32_t dev_major = 0, dev_minor = 0;  ///< device nodes
  bool sparse = false;       ///< a sparse file (GNU or PAX sparse entry)
  /// Extended attributes (PAX SCHILY.xattr.* / LIBARCHIVE.xattr.*): name and raw value.
  std::vector<std::pair<std::string, std::string>> xattrs;
  bool whiteout = false;     ///< ".wh.<name>": deletes <name> from the layers below
  bool opaque = false;       ///< ".wh..wh..opq": hides the directory's lower contents
};

/// Receives each entry of a layer, in tar order, while it is read.
using EntryFn = std::function<void(const LayerEntry& entry)>;

/// How much of a layer to read.
enum class ScanDepth {
  /// Tar headers only: content size and counts. Bodies of an uncompressed
  /// layer are skipped by seeking wherever the input allows; a compressed one
  /// must still be decompressed.
  headers,
  /// Every byte: blob digest, diff_id, sizes and counts.
  full,
};

/// The result of reading one layer blob.
struct LayerScan {
  ScanDepth depth = ScanDepth::headers;
  Compression compression = Compression::none;  ///< from the blob's magic number
  std::uint64_t blob_bytes = 0;      ///< stored (possibly compressed) bytes
  Digest blob_digest;                ///< hash of the stored bytes (full scans)
  Digest diff_id;                    ///< hash of the tar stream (full scans; empty if it did not decompress)
  std::uint64_t tar_bytes = 0;       ///< uncompressed tar stream bytes (full scans, or uncompressed layers)
  LayerStats stats;
  /// False when the bytes are not a complete tar (e.g. "Truncated tar archive");
  /// the digests are still computed over whatever bytes there are.
  bool tar_ok = true;
  /// Non-empty (saying after which entry) when the tar stops right after an
  /// entry's data with no end-of-archive marker, not even the one zero block
  /// GNU tar accepts: a cut at a block boundary, or a writer that omits the
  /// marker. libarchive, GNU tar and Go read such a tar as complete, so
  /// tar_ok stays true; in an image the digests decide, while a lone layer
  /// tar, which nothing vouches for, counts it as truncated.
  std::string missing_end_marker;
  std::string tar_problem;           ///< why tar_ok is false
  /// The code of that problem, as `layerkit ls` fails with it: truncated (the
  /// stream ends early), limit_exceeded (a header or zstd window beyond the
  /// decoder's bounds) or malformed; Errc::ok when tar_ok.
  Errc tar_error = Errc::ok;
};

/// Reads a layer stored as a plain file (a layer tar, .tar.gz or .tar.zst).
/// Throws Error: not_found/io for the file, limit_exceeded, cancelled.
LayerScan scan_layer_file(const std::string& path, ScanDepth depth, const Limits& limits = {},
                          DigestAlgorithm algorithm = DigestAlgorithm::sha256, const ProgressFn& progress = {});

}  // namespace layerkit
