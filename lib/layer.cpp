#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <exception>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "layer_scan.hpp"
#include "layerkit/error.hpp"
#include "libarchive_util.hpp"

namespace layerkit {
namespace {

// The stored bytes: read once, hashed as they pass (blob digest, and the
// diff_id too when the layer is uncompressed), progress reported.
class RawStage {
 public:
  RawStage(ByteReader& in, std::uint64_t total, const ScanRequest& req, std::size_t block)
      : in_(in), total_(total), req_(req), buf_(block) {}

  void hash_with(Hasher* h) { hashers_.push_back(h); }
  std::uint64_t done() const { return done_; }

  // Next block of stored bytes; {p, 0} at the end.
  std::pair<const void*, std::size_t> next() {
    auto [p, n] = in_.borrow(buf_.size());
    if (!p) {
      n = in_.read(buf_.data(), buf_.size());
      p = buf_.data();
    }
    for (Hasher* h : hashers_) h->update(p, n);
    done_ += n;
    report();
    return {p, n};
  }

  // Skips stored bytes without reading them (headers-only scans of uncompressed layers).
  std::uint64_t skip(std::uint64_t n) {
    std::uint64_t s = in_.skip(n);
    done_ += s;
    report();
    return s;
  }

  void drain() {
    while (next().second != 0) {
    }
  }

 private:
  void report() {
    if (req_.progress && !req_.progress(done_, total_))
      throw Error(Errc::cancelled, fmt::format("{}: cancelled", req_.what));
  }
  ByteReader& in_;
  std::uint64_t total_;
  const ScanRequest& req_;
  std::vector<unsigned char> buf_;
  std::vector<Hasher*> hashers_;
  std::uint64_t done_ = 0;
};

// Counts entries and Docker's content size.
class EntryCounter {
 public:
  explicit EntryCounter(std::uint64_t max_entries) : max_entries_(max_entries) {}

  void add(struct archive_entry* e, LayerStats& s, const std::string& what) {
    if (++s.entries > max_entries_)
      throw Error(Errc::limit_exceeded,
                  fmt::format("{}: more than {} tar entries in one layer", what, max_entries_));
    const char* raw = archive_entry_pathname(e);
    // "./a", "/a" and "a/" all extract to the same path.
    std::string_view path = raw ? raw : "";
    for (;;) {
      if (path.substr(0, 2) == "./") path.remove_prefix(2);
      else if (path.substr(0, 1) == "/") path.remove_prefix(1);
      else break;
    }
    while (!path.empty() && path.back() == '/') path.remove_suffix(1);
    std::string_view base = path.substr(path.rfind('/') == std::string_view::npos ? 0 : path.rfind('/') + 1);
    if (base == ".wh..wh..opq") {
      ++s.opaque_whiteouts;
    } else if (base.substr(0, 4) == ".wh.") {
      ++s.whiteouts;
    }
    std::uint64_t bytes = 0;
    if (archive_entry_hardlink(e)) {
      ++s.hardlinks;
    } else {
      switch (archive_entry_filetype(e)) {
        case AE_IFREG:
          ++s.files;
          bytes = archive_entry_size(e) > 0 ? static_cast<std::uint64_t>(archive_entry_size(e)) : 0;
          break;
        case AE_IFDIR: ++s.directories; break;
        case AE_IFLNK: {
          ++s.symlinks;
          const char* t = archive_entry_symlink(e);
          bytes = t ? std::strlen(t) : 0;
          break;
        }
        default: ++s.others; break;
      }
    }
    // A path written twice in one layer is extracted once: count its last version.
    std::uint64_t key = std::hash<std::string_view>{}(path);
    auto [it, inserted] = seen_.try_emplace(key, bytes);
    if (!inserted) {
      s.content_bytes -= it->second;
      it->second = bytes;
    }
    s.content_bytes += bytes;
  }

 private:
  std::uint64_t max_entries_;
  std::unordered_map<std::uint64_t, std::uint64_t> seen_;
};

// libarchive callbacks cannot throw through C frames: they park the exception
// here and return an error; the caller rethrows it.
struct CallbackError {
  std::exception_ptr ex;
  void rethrow_if_any() {
    if (ex) std::rethrow_exception(std::exchange(ex, nullptr));
  }
};

struct RawCallbackData {
  RawStage* raw;
  CallbackError* err;
  bool allow_skip;
};

la_ssize_t raw_read_cb(struct archive*, void* data, const void** out) {
  auto* d = static_cast<RawCallbackData*>(data);
  try {
    auto [p, n] = d->raw->next();
    *out = p;
    return static_cast<la_ssize_t>(n);
  } catch (...) {
    d->err->ex = std::current_exception();
    return -1;
  }
}

la_int64_t raw_skip_cb(struct archive*, void* data, la_int64_t request) {
  auto* d = static_cast<RawCallbackData*>(data);
  if (!d->allow_skip || request <= 0) return 0;  // 0: libarchive reads through instead
  try {
    return static_cast<la_int64_t>(d->raw->skip(static_cast<std::uint64_t>(request)));
  } catch (...) {
    d->err->ex = std::current_exception();
    return ARCHIVE_FATAL;
  }
}

// The decompressed tar stream, pulled from a libarchive "raw" reader.
struct TarStreamData {
  struct archive* decomp;
  RawStage* raw;
  Hasher* diff;  // may be null
  std::uint64_t tar_bytes = 0;
  const Limits* limits;
  const std::string* what;
  CallbackError* err;
  bool decomp_failed = false;
  std::string decomp_problem;
};

void check_bomb(const TarStreamData& d) {
  if (d.tar_bytes > d.limits->layer_bytes)
    throw Error(Errc::limit_exceeded, fmt::format("{}: decompresses to more than the limit of {} bytes", *d.what,
                                                  d.limits->layer_bytes));
  if (d.tar_bytes > (1u << 20) && d.tar_bytes / std::max<std::uint64_t>(d.raw->done(), 1) >
                                      d.limits->compression_ratio)
    throw Error(Errc::limit_exceeded,
                fmt::format("{}: decompression ratio above the limit of {}:1 ({} bytes from {})", *d.what,
                            d.limits->compression_ratio, d.tar_bytes, d.raw->done()));
}

// Returns the next decompressed block, or {nullptr, 0} at the end.
std::pair<const void*, std::size_t> next_tar_block(TarStreamData& d) {
  if (d.decomp_failed) return {nullptr, 0};
  const void* p = nullptr;
  size_t n = 0;
  la_int64_t off = 0;
  int r = archive_read_data_block(d.decomp, &p, &n, &off);
  if (r == ARCHIVE_EOF) return {nullptr, 0};
  if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
    d.err->rethrow_if_any();
    d.decomp_failed = true;
    const char* msg = archive_error_string(d.decomp);
    d.decomp_problem = msg ? msg : "decompression failed";
    return {nullptr, 0};
  }
  if (d.diff) d.diff->update(p, n);
  d.tar_bytes += n;
  check_bomb(d);
  return {p, n};
}

la_ssize_t tar_read_cb(struct archive*, void* data, const void** out) {
  auto* d = static_cast<TarStreamData*>(data);
  try {
    for (;;) {
      auto [p, n] = next_tar_block(*d);
      if (!p) return 0;
      if (n == 0) continue;
      *out = p;
      return static_cast<la_ssize_t>(n);
    }
  } catch (...) {
    d->err->ex = std::current_exception();
    return -1;
  }
}

LayerEntry to_entry(struct archive_entry* e) {
  LayerEntry x;
  const char* raw = archive_entry_pathname(e);
  std::string_view path = raw ? raw : "";
  for (;;) {
    if (path.substr(0, 2) == "./") path.remove_prefix(2);
    else if (path.substr(0, 1) == "/") path.remove_prefix(1);
    else break;
  }
  x.path = std::string(path);
  std::string_view base = path;
  while (!base.empty() && base.back() == '/') base.remove_suffix(1);
  base = base.substr(base.rfind('/') == std::string_view::npos ? 0 : base.rfind('/') + 1);
  x.opaque = base == ".wh..wh..opq";
  x.whiteout = !x.opaque && base.substr(0, 4) == ".wh.";
  if (const char* h = archive_entry_hardlink(e)) {
    x.type = 'h';
    x.link = h;
  } else {
    switch (archive_entry_filetype(e)) {
      case AE_IFREG: x.type = '-'; break;
      case AE_IFDIR: x.type = 'd'; break;
      case AE_IFLNK: x.type = 'l'; break;
      case AE_IFCHR: x.type = 'c'; break;
      case AE_IFBLK: x.type = 'b'; break;
      case AE_IFIFO: x.type = 'p'; break;
      case AE_IFSOCK: x.type = 's'; break;
      default: x.type = '?'; break;
    }
    if (const char* l = archive_entry_symlink(e)) x.link = l;
  }
  x.mode = static_cast<std::uint32_t>(archive_entry_perm(e)) & 07777u;
  x.uid = archive_entry_uid(e);
  x.gid = archive_entry_gid(e);
  if (const char* u = archive_entry_uname(e)) x.uname = u;
  if (const char* g = archive_entry_gname(e)) x.gname = g;
  x.bytes = archive_entry_size(e) > 0 ? static_cast<std::uint64_t>(archive_entry_size(e)) : 0;
  x.mtime = archive_entry_mtime(e);
  if (x.type == 'c' || x.type == 'b') {
    x.dev_major = static_cast<std::uint32_t>(archive_entry_rdevmajor(e));
    x.dev_minor = static_cast<std::uint32_t>(archive_entry_rdevminor(e));
  }
  x.sparse = archive_entry_sparse_count(e) > 0;
  archive_entry_xattr_reset(e);
  const char* name = nullptr;
  const void* value = nullptr;
  size_t size = 0;
  while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK)
    x.xattrs.emplace_back(name ? name : "", std::string(static_cast<const char*>(value), size));
  return x;
}

// Where a tar stream that read to its end stopped: libarchive returns
// ARCHIVE_EOF both at an end-of-archive marker and when the stream simply
// stops at a block boundary (a cut tar), so the caller compares `at` with
// the length of the whole uncompressed stream.
struct TarEnd {
  bool reached = false;     // ARCHIVE_EOF after the last entry
  std::uint64_t at = 0;     // offset where the next header would start
  std::string last;         // the last entry's name
};

// Reads tar headers from an opened libarchive handle into scan.stats.
void read_entries(struct archive* t, LayerScan& scan, const ScanRequest& req, CallbackError& err, TarEnd& end) {
  EntryCounter counter(req.limits.entries_per_layer);
  struct archive_entry* e = nullptr;
  std::string last;  // the last good entry, to say where the damage is
  for (;;) {
    int r = archive_read_next_header(t, &e);
    err.rethrow_if_any();
    if (r == ARCHIVE_EOF) {
      // The header position is recorded before the format reads a header:
      // here, the end of the last entry's padded data in the tar stream.
      la_int64_t at = archive_read_header_position(t);
      end.reached = true;
      end.at = at > 0 ? static_cast<std::uint64_t>(at) : 0;
      end.last = std::move(last);
      return;
    }
    if (r == ARCHIVE_FATAL || r == ARCHIVE_RETRY) {
      scan.tar_ok = false;
      const char* msg = archive_error_string(t);
      scan.tar_problem = msg ? msg : "invalid tar";
      scan.tar_problem += last.empty() ? std::string(" (at the first entry)")
                                       : fmt::format(" (after entry {:?})", last);
      return;
    }
    counter.add(e, scan.stats, req.what);
    const char* p = archive_entry_pathname(e);
    last = p ? p : "";
    if (req.on_entry) req.on_entry(to_entry(e));
  }
}

bool open_tar(struct archive* t, LayerScan& scan, CallbackError& err) {
  archive_read_support_format_tar(t);
  archive_read_support_format_gnutar(t);
  int r = archive_read_open1(t);
  err.rethrow_if_any();
  if (r != ARCHIVE_OK) {
    scan.tar_ok = false;
    const char* msg = archive_error_string(t);
    scan.tar_problem = msg ? msg : "not a tar stream";
    return false;
  }
  return true;
}

}  // namespace

LayerScan scan_layer_raw(ByteReader& in, std::uint64_t blob_bytes, const ScanRequest& req);

namespace {

// A tar whose entries read to the end, but with no byte after the last
// entry's data, lacks its end-of-archive marker (POSIX: two zero blocks;
// GNU tar also accepts one, so any zero block counts): the stream was cut
// at a block boundary. libarchive takes that for a clean end; layerkit
// reports it as truncated. A stream with no entry at all is left alone.
void check_tar_end(LayerScan& scan, const TarEnd& end, std::uint64_t tar_bytes) {
  if (!scan.tar_ok || !end.reached || scan.stats.entries == 0) return;
  if (end.at < tar_bytes) return;
  scan.missing_end_marker =
      fmt::format("no end-of-archive marker: the tar ends right after entry {:?}", end.last);
}

}  // namespace

// Sorts libarchive's complaint about a damaged layer into a code.
Errc classify_tar_problem(const std::string& problem) {
  auto has = [&](const char* w) { return problem.find(w) != std::string::npos; };
  if (has("runcated") || has("No progress is possible") || has("ends early")) return Errc::truncated;
  if (has("too large") || has("too long") || has("too much memory")) return Errc::limit_exceeded;
  return Errc::malformed;
}

LayerScan scan_layer(ByteReader& in, std::uint64_t blob_bytes, const ScanRequest& req) {
  LayerScan scan = scan_layer_raw(in, blob_bytes, req);
  if (!scan.tar_ok) scan.tar_error = classify_tar_problem(scan.tar_problem);
  return scan;
}

LayerScan scan_layer_raw(ByteReader& in, std::uint64_t blob_bytes, const ScanRequest& req) {
  LayerScan scan;
  scan.depth = req.depth;
  const bool full = req.depth == ScanDepth::full;
  // Uncompressed full reads go in large blocks; compressed input in 64 KiB
  // blocks, so that the decompression ratio is measured closely; headers-only
  // reads in 16 KiB blocks, so that skipping bodies skips most bytes.
  std::optional<Hasher> blob_hash, diff_hash;
  if (full) blob_hash.emplace(req.blob_algorithm);

  // Read the first bytes to learn the compression, then replay them.
  unsigned char magic[8];
  std::size_t have = 0;
  while (have < sizeof magic) {
    std::size_t got = in.read(magic + have, sizeof magic - have);
    if (got == 0) break;
    have += got;
  }
  scan.compression = sniff_compression(magic, have);
  const bool plain = scan.compression == Compression::none;
  std::size_t block = !full ? (16u << 10) : plain ? (1u << 20) : (64u << 10);
  if (plain && blob_bytes > req.limits.layer_bytes)
    throw Error(Errc::limit_exceeded, fmt::format("{}: {} bytes, over the layer limit of {} bytes", req.what,
                                                  blob_bytes, req.limits.layer_bytes));
  struct Replay final : ByteReader {
    ByteReader& inner;
    const unsigned char* head;
    std::size_t head_n, pos = 0;
    Replay(ByteReader& i, const unsigned char* h, std::size_t n) : inner(i), head(h), head_n(n) {}
    std::size_t read(void* buf, std::size_t n) override {
      if (pos < head_n) {
        n = std::min(n, head_n - pos);
        std::memcpy(buf, head + pos, n);
        pos += n;
        return n;
      }
      return inner.read(buf, n);
    }
    bool can_seek() const override { return inner.can_seek(); }
    std::uint64_t skip(std::uint64_t n) override {
      std::uint64_t s = 0;
      if (pos < head_n) {
        s = std::min<std::uint64_t>(n, head_n - pos);
        pos += static_cast<std::size_t>(s);
      }
      return s + (n > s ? inner.skip(n - s) : 0);
    }
  } replay(in, magic, have);

  RawStage raw(replay, blob_bytes, req, block);
  if (blob_hash) raw.hash_with(&*blob_hash);
  CallbackError err;

  if (scan.compression == Compression::none) {
    const bool one_hash = full && req.blob_algorithm == req.diff_algorithm;
    if (full && !one_hash) {
      diff_hash.emplace(req.diff_algorithm);
      raw.hash_with(&*diff_hash);
    }
    ArchivePtr t = new_read_archive();
    RawCallbackData cb{&raw, &err, !full && replay.can_seek()};
    archive_read_set_read_callback(t.get(), raw_read_cb);
    archive_read_set_skip_callback(t.get(), raw_skip_cb);
    archive_read_set_callback_data(t.get(), &cb);
    TarEnd end;
    if (open_tar(t.get(), scan, err)) read_entries(t.get(), scan, req, err, end);
    t.reset();
    if (full) {
      raw.drain();
      scan.blob_digest = blob_hash->finish();
      scan.diff_id = one_hash ? scan.blob_digest : diff_hash->finish();
    }
    scan.blob_bytes = full ? raw.done() : blob_bytes;
    scan.tar_bytes = scan.blob_bytes;
    check_tar_end(scan, end, scan.tar_bytes);
    return scan;
  }

  // Compressed: stored bytes -> decompressor -> tar reader, one pass.
  if (full) diff_hash.emplace(req.diff_algorithm);
  ArchivePtr d = new_read_archive();
  append_filter(d.get(), scan.compression);
  // The format is known (a raw stream): no bidding, so a damaged or cut stream
  // reports what the decompressor says rather than "Unrecognized archive format".
  archive_read_set_format(d.get(), ARCHIVE_FORMAT_RAW);
  RawCallbackData dcb{&raw, &err, false};
  archive_read_set_read_callback(d.get(), raw_read_cb);
  archive_read_set_callback_data(d.get(), &dcb);
  TarStreamData ts{d.get(), &raw, diff_hash ? &*diff_hash : nullptr, 0, &req.limits, &req.what, &err, false, {}};
  int r = archive_read_open1(d.get());
  err.rethrow_if_any();
  struct archive_entry* de = nullptr;
  TarEnd end;
  if (r == ARCHIVE_OK) r = archive_read_next_header(d.get(), &de);
  err.rethrow_if_any();
  if (r != ARCHIVE_OK) {
    ts.decomp_failed = true;
    const char* msg = archive_error_string(d.get());
    ts.decomp_problem = msg ? msg : "cannot decompress";
  } else {
    ArchivePtr t = new_read_archive();
    archive_read_set_read_callback(t.get(), tar_read_cb);
    archive_read_set_callback_data(t.get(), &ts);
    if (open_tar(t.get(), scan, err)) read_entries(t.get(), scan, req, err, end);
    t.reset();
    err.rethrow_if_any();
    // The diff_id covers the whole decompressed stream, past the tar's end.
    while (next_tar_block(ts).first) {
    }
  }
  d.reset();
  err.rethrow_if_any();
  if (full) raw.drain();
  if (!ts.decomp_failed) check_tar_end(scan, end, ts.tar_bytes);
  if (ts.decomp_failed) {
    scan.tar_ok = false;
    scan.tar_problem = fmt::format("{}: {}", compression_name(scan.compression), ts.decomp_problem);
  }
  if (full) {
    scan.blob_digest = blob_hash->finish();
    if (!ts.decomp_failed) scan.diff_id = diff_hash->finish();
  }
  scan.blob_bytes = full ? raw.done() : blob_bytes;
  scan.tar_bytes = ts.tar_bytes;
  return scan;
}

LayerScan scan_layer_file(const std::string& path, ScanDepth depth, const Limits& limits, DigestAlgorithm algorithm,
                          const ProgressFn& progress) {
  std::string dir = path, name;
  auto slash = path.rfind('/');
  if (slash == std::string::npos) {
    dir = ".";
    name = path;
  } else {
    dir = slash == 0 ? "/" : path.substr(0, slash);
    name = path.substr(slash + 1);
  }
  auto src = open_directory_source(dir, limits);
  const Member& m = src->resolve(name, limits.symlink_hops, path);
  auto r = src->open(m);
  ScanRequest req;
  req.depth = depth;
  req.blob_algorithm = req.diff_algorithm = algorithm;
  req.limits = limits;
  req.what = path;
  req.progress = progress;
  return scan_layer(*r, m.bytes, req);
}

}  // namespace layerkit
