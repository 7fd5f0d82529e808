// source.hpp (private) — random access to an archive's members.
//
// A Source lists the members of a directory (OCI layout, docker dir) or of a
// tar file and opens their bodies. Three kinds:
//   * directory: members are files below a root directory;
//   * indexed tar: an uncompressed tar file is indexed by reading member
//     headers only (libarchive) and seeking over bodies; a body is then read
//     with pread at its offset, from any thread;
//   * streamed tar: a compressed tar (docker save | gzip) cannot seek, so it
//     is read once, in order: small members are kept in memory, and every
//     other member's body is handed to a visitor while it streams past.
// Member names are normalised ("./manifest.json" is "manifest.json"). Links
// are resolved only inside the archive, with a hop limit; a path that would
// leave the archive is Errc::unsafe_path.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "layerkit/compression.hpp"
#include "layerkit/options.hpp"

namespace layerkit {

/// A stream of bytes. read() returns 0 only at the end; errors throw.
class ByteReader {
 public:
  virtual ~ByteReader() = default;
  virtual std::size_t read(void* buf, std::size_t n) = 0;
  /// True when skip() is cheaper than reading (a seek).
  virtual bool can_seek() const { return false; }
  /// Skips up to n bytes; returns how many were skipped (less only at the end).
  virtual std::uint64_t skip(std::uint64_t n);
  /// Zero-copy read: a view of up to n bytes valid until the next call, or
  /// {nullptr, 0} when the reader cannot lend its buffer.
  virtual std::pair<const void*, std::size_t> borrow(std::size_t /*n*/) { return {nullptr, 0}; }
};

enum class MemberType { file, directory, symlink, hardlink, other };

struct Member {
  std::string name;  ///< normalised path
  MemberType type = MemberType::other;
  std::uint64_t bytes = 0;    ///< body bytes of a regular file
  std::string link;           ///< link target as stored (symlink, hardlink)
  std::uint64_t offset = 0;   ///< body offset in an indexed tar
  bool sparse = false;        ///< a sparse tar entry (body not contiguous)
  bool buffered = false;      ///< streamed tar: body kept in memory
};

/// Normalises an archive member path: strips "./" and leading "/", collapses
/// "//" and "." components. Returns false (and leaves `out` unspecified) when a
/// ".." would climb above the archive root.
bool normalise_member_path(std::string_view in, std::string& out);

class Source {
 public:
  virtual ~Source() = default;

  /// What this source reads, for messages (a path).
  const std::string& describe() const { return path_; }
  /// Every member, in archive order (directories: only those looked up).
  const std::vector<Member>& members() const { return members_; }
  /// The member with exactly this normalised name, or nullptr.
  virtual const Member* lookup(std::string_view name) const;
  /// Resolves `name` to a regular-file member, following symbolic and hard
  /// links inside the archive (at most `max_hops`). Throws not_found (with
  /// `what` in the message), unsafe_path (escape, loop, hop limit).
  const Member& resolve(std::string_view name, unsigned max_hops, std::string_view what) const;
  /// Whether `name` exists (after link resolution).
  bool exists(std::string_view name, unsigned max_hops) const;
  /// Opens a regular member's body. Thread-safe for directory and indexed tar
  /// sources. A streamed source can only open buffered members.
  virtual std::unique_ptr<ByteReader> open(const Member& m) const = 0;
  /// Reads a whole member, at most `limit` bytes (Error limit_exceeded naming `what`).
  std::string read_all(const Member& m, std::uint64_t limit, std::string_view what) const;
  /// True for a streamed (read-once) source.
  virtual bool streamed() const { return false; }
  /// True for a directory.
  virtual bool directory() const { return false; }

 protected:
  std::string path_;
  std::vector<Member> members_;
  std::unordered_map<std::string, std::size_t> by_name_;
  void add_member(Member m);
};

/// Called for each member body of a streamed tar that is not kept in memory.
/// The reader yields exactly m.bytes bytes (Errc::truncated if the archive ends first).
using MemberVisitor = std::function<void(const Member& m, ByteReader& body)>;

/// A directory as a source. Throws io / not_found.
std::unique_ptr<Source> open_directory_source(const std::string& path, const Limits& limits);
/// An uncompressed tar file, indexed. Throws io, truncated, malformed, limit_exceeded.
/// With `fd` >= 0 the source reads (and closes) that descriptor, and `path` only names it.
std::unique_ptr<Source> open_indexed_tar_source(const std::string& path, const Limits& limits, int fd = -1);
/// A compressed tar file, read once now; `visit` sees the bodies not kept. `fd` as above.
std::unique_ptr<Source> open_streamed_tar_source(const std::string& path, Compression outer, const Limits& limits,
                                                 const MemberVisitor& visit, const ProgressFn& progress, int fd = -1);

/// Copies a pipe or socket (which can be read only once, and not seeked) to
/// an unlinked temporary file in $TMPDIR (else /tmp), as `docker load` does,
/// and returns that file's descriptor, positioned at its start. Throws
/// not_found / io (open, read, a full disk) and cancelled.
int spool_stream(const std::string& path, const ProgressFn& progress);

/// A reader over a memory buffer it does not own.
std::unique_ptr<ByteReader> memory_reader(std::string_view bytes);

}  // namespace layerkit
