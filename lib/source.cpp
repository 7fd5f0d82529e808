#include "source.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <mutex>

#include <fmt/format.h>

#include "layerkit/error.hpp"
#include "libarchive_util.hpp"

namespace layerkit {

// ---------------------------------------------------------------------------
// Shared pieces

std::uint64_t ByteReader::skip(std::uint64_t n) {
  char buf[16384];
  std::uint64_t done = 0;
  while (done < n) {
    std::size_t got = read(buf, static_cast<std::size_t>(std::min<std::uint64_t>(sizeof buf, n - done)));
    if (got == 0) break;
    done += got;
  }
  return done;
}

Compression sniff_compression(const unsigned char* p, std::size_t n) noexcept {
  if (n >= 2 && p[0] == 0x1f && p[1] == 0x8b) return Compression::gzip;
  if (n >= 4 && p[0] == 0x28 && p[1] == 0xb5 && p[2] == 0x2f && p[3] == 0xfd) return Compression::zstd;
  if (n >= 6 && p[0] == 0xfd && p[1] == '7' && p[2] == 'z' && p[3] == 'X' && p[4] == 'Z' && p[5] == 0)
    return Compression::xz;
  if (n >= 3 && p[0] == 'B' && p[1] == 'Z' && p[2] == 'h') return Compression::bzip2;
  return Compression::none;
}

const char* compression_name(Compression c) noexcept {
  switch (c) {
    case Compression::none: return "none";
    case Compression::gzip: return "gzip";
    case Compression::zstd: return "zstd";
    case Compression::xz: return "xz";
    case Compression::bzip2: return "bzip2";
  }
  return "none";
}

bool normalise_member_path(std::string_view in, std::string& out) {
  out.clear();
  std::vector<std::string_view> parts;
  std::size_t i = 0;
  while (i <= in.size()) {
    std::size_t j = in.find('/', i);
    if (j == std::string_view::npos) j = in.size();
    std::string_view c = in.substr(i, j - i);
    if (c.empty() || c == ".") {
      // skip
    } else if (c == "..") {
      if (parts.empty()) return false;
      parts.pop_back();
    } else {
      parts.push_back(c);
    }
    i = j + 1;
  }
  for (std::size_t k = 0; k < parts.size(); ++k) {
    if (k) out.push_back('/');
    out.append(parts[k]);
  }
  return true;
}

namespace {

std::string parent_dir(std::string_view p) {
  auto slash = p.rfind('/');
  return slash == std::string_view::npos ? std::string() : std::string(p.substr(0, slash));
}

std::string join(std::string_view a, std::string_view b) {
  if (a.empty()) return std::string(b);
  if (b.empty()) return std::string(a);
  return fmt::format("{}/{}", a, b);
}

}  // namespace

void Source::add_member(Member m) {
  by_name_[m.name] = members_.size();  // a later duplicate wins, as extraction would
  members_.push_back(std::move(m));
}

const Member* Source::lookup(std::string_view name) const {
  auto it = by_name_.find(std::string(name));
  return it == by_name_.end() ? nullptr : &members_[it->second];
}

const Member& Source::resolve(std::string_view name, unsigned max_hops, std::string_view what) const {
  std::string path;
  if (!normalise_member_path(name, path))
    throw Error(Errc::unsafe_path, fmt::format("{}: path {:?} leaves the archive", what, std::string(name)));
  unsigned hops = 0;
  auto hop = [&](const std::string& from) {
    if (++hops > max_hops)
      throw Error(Errc::unsafe_path,
                  fmt::format("{}: more than {} links followed from {:?} (at {:?})", what, max_hops,
                              std::string(name), from));
  };
restart:
  // Walk the components so a link in a parent directory is resolved too.
  for (std::size_t pos = 0;;) {
    std::size_t slash = path.find('/', pos);
    bool last = slash == std::string::npos;
    std::string prefix = last ? path : path.substr(0, slash);
    const Member* m = lookup(prefix);
    if (m && (m->type == MemberType::symlink || m->type == MemberType::hardlink)) {
      hop(prefix);
      std::string target;
      // A symbolic link is relative to its directory; an absolute one points
      // at the host's filesystem, which an archive must never reach. A tar
      // hard link names a path from the archive root.
      if (m->type == MemberType::symlink && !m->link.empty() && m->link[0] == '/')
        throw Error(Errc::unsafe_path,
                    fmt::format("{}: link {:?} -> {:?} is absolute: links are followed only inside the archive", what,
                                prefix, m->link));
      std::string base = m->type == MemberType::symlink ? join(parent_dir(prefix), m->link) : m->link;
      if (!normalise_member_path(base, target))
        throw Error(Errc::unsafe_path,
                    fmt::format("{}: link {:?} -> {:?} leaves the archive", what, prefix, m->link));
      path = last ? target : join(target, std::string_view(path).substr(slash + 1));
      goto restart;
    }
    if (last) {
      if (!m)
        throw Error(Errc::not_found, fmt::format("{}: member {:?} is absent from {}", what, path, describe()));
      if (m->type != MemberType::file)
        throw Error(Errc::malformed, fmt::format("{}: member {:?} is not a regular file", what, path));
      return *m;
    }
    pos = slash + 1;
  }
}

bool Source::exists(std::string_view name, unsigned max_hops) const {
  try {
    resolve(name, max_hops, "lookup");
    return true;
  } catch (const Error&) {
    return false;
  }
}

std::string Source::read_all(const Member& m, std::uint64_t limit, std::string_view what) const {
  if (m.bytes > limit)
    throw Error(Errc::limit_exceeded,
                fmt::format("{}: member {:?} is {} bytes, over the limit of {} bytes", what, m.name, m.bytes, limit));
  auto r = open(m);
  std::string out(static_cast<std::size_t>(m.bytes), '\0');
  std::size_t done = 0;
  while (done < out.size()) {
    std::size_t got = r->read(out.data() + done, out.size() - done);
    if (got == 0)
      throw Error(Errc::truncated,
                  fmt::format("{}: member {:?} ends after {} of {} bytes", what, m.name, done, m.bytes));
    done += got;
  }
  return out;
}

namespace {

class MemoryReader final : public ByteReader {
 public:
  explicit MemoryReader(std::string_view b) : b_(b) {}
  std::size_t read(void* buf, std::size_t n) override {
    n = std::min(n, b_.size() - pos_);
    if (n == 0) return 0;  // an empty view may have no data pointer at all
    std::memcpy(buf, b_.data() + pos_, n);
    pos_ += n;
    return n;
  }
  bool can_seek() const override { return true; }
  std::uint64_t skip(std::uint64_t n) override {
    n = std::min<std::uint64_t>(n, b_.size() - pos_);
    pos_ += static_cast<std::size_t>(n);
    return n;
  }
  std::pair<const void*, std::size_t> borrow(std::size_t n) override {
    n = std::min(n, b_.size() - pos_);
    const void* p = b_.data() + pos_;
    pos_ += n;
    return {p, n};
  }

 private:
  std::string_view b_;
  std::size_t pos_ = 0;
};

// Reads [offset, offset+bytes) of a file descriptor it does not own, with pread
// so that several readers can share one descriptor across threads.
class FdRangeReader final : public ByteReader {
 public:
  FdRangeReader(int fd, std::uint64_t offset, std::uint64_t bytes, std::string name)
      : fd_(fd), pos_(offset), end_(offset + bytes), name_(std::move(name)) {}
  std::size_t read(void* buf, std::size_t n) override {
    n = static_cast<std::size_t>(std::min<std::uint64_t>(n, end_ - pos_));
    if (n == 0) return 0;
    for (;;) {
      ssize_t got = ::pread(fd_, buf, n, static_cast<off_t>(pos_));
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) throw Error(Errc::io, fmt::format("{}: read failed: {}", name_, std::strerror(errno)));
      if (got == 0)
        throw Error(Errc::truncated, fmt::format("{}: file ends {} bytes early", name_, end_ - pos_));
      pos_ += static_cast<std::uint64_t>(got);
      return static_cast<std::size_t>(got);
    }
  }
  bool can_seek() const override { return true; }
  std::uint64_t skip(std::uint64_t n) override {
    n = std::min(n, end_ - pos_);
    pos_ += n;
    return n;
  }

 private:
  int fd_;
  std::uint64_t pos_, end_;
  std::string name_;
};

class FdOwner {
 public:
  explicit FdOwner(int fd = -1) : fd_(fd) {}
  ~FdOwner() {
    if (fd_ >= 0) ::close(fd_);
  }
  FdOwner(const FdOwner&) = delete;
  FdOwner& operator=(const FdOwner&) = delete;
  int get() const { return fd_; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

int open_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    Errc code = errno == ENOENT || errno == ENOTDIR ? Errc::not_found : Errc::io;
    throw Error(code, fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  }
  return fd;
}

// A descriptor handed over by the caller (a spooled stream), else the path opened.
int take_or_open(const std::string& path, int fd) { return fd >= 0 ? fd : open_file(path); }

// A reader owning its descriptor (one per opened directory member).
class OwnedFdReader final : public ByteReader {
 public:
  OwnedFdReader(int fd, std::uint64_t bytes, std::string name)
      : fd_(fd), inner_(fd, 0, bytes, std::move(name)) {}
  std::size_t read(void* buf, std::size_t n) override { return inner_.read(buf, n); }
  bool can_seek() const override { return true; }
  std::uint64_t skip(std::uint64_t n) override { return inner_.skip(n); }

 private:
  FdOwner fd_;
  FdRangeReader inner_;
};

// ---------------------------------------------------------------------------
// Directory

class DirectorySource final : public Source {
 public:
  DirectorySource(const std::string& path, const Limits& limits) : limits_(limits) {
    path_ = path;
    struct stat st;
    if (::stat(path.c_str(), &st) != 0)
      throw Error(errno == ENOENT ? Errc::not_found : Errc::io,
                  fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
    if (!S_ISDIR(st.st_mode)) throw Error(Errc::invalid_argument, fmt::format("{}: not a directory", path));
    root_fd_ = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (root_fd_ < 0) throw Error(Errc::io, fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  }
  ~DirectorySource() override { ::close(root_fd_); }

  bool directory() const override { return true; }

  // Looks a path up with lstat relative to the root; resolve() has already
  // checked every parent component, so no link outside the root is followed.
  const Member* lookup(std::string_view name) const override {
    std::lock_guard<std::mutex> lock(mu_);
    std::string key(name);
    if (auto it = dir_index_.find(key); it != dir_index_.end()) return &cache_[it->second];
    if (key.empty()) return nullptr;
    struct stat st;
    if (::fstatat(root_fd_, key.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return nullptr;
    if (cache_.size() >= limits_.members)
      throw Error(Errc::limit_exceeded, fmt::format("{}: more than {} members", path_, limits_.members));
    Member m;
    m.name = key;
    if (S_ISREG(st.st_mode)) {
      m.type = MemberType::file;
      m.bytes = static_cast<std::uint64_t>(st.st_size);
    } else if (S_ISDIR(st.st_mode)) {
      m.type = MemberType::directory;
    } else if (S_ISLNK(st.st_mode)) {
      m.type = MemberType::symlink;
      char buf[4096];
      ssize_t n = ::readlinkat(root_fd_, key.c_str(), buf, sizeof buf);
      if (n < 0) return nullptr;
      m.link.assign(buf, static_cast<std::size_t>(n));
    }
    dir_index_[key] = cache_.size();
    cache_.push_back(std::move(m));
    return &cache_.back();
  }

  std::unique_ptr<ByteReader> open(const Member& m) const override {
    int fd = ::openat(root_fd_, m.name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
      throw Error(errno == ENOENT ? Errc::not_found : Errc::io,
                  fmt::format("{}/{}: cannot open: {}", path_, m.name, std::strerror(errno)));
    return std::make_unique<OwnedFdReader>(fd, m.bytes, fmt::format("{}/{}", path_, m.name));
  }

 private:
  Limits limits_;
  int root_fd_ = -1;
  mutable std::mutex mu_;
  // A deque: members never move once handed out.
  mutable std::deque<Member> cache_;
  mutable std::unordered_map<std::string, std::size_t> dir_index_;
};

// ---------------------------------------------------------------------------
// Tar (indexed and streamed)

MemberType member_type(struct archive_entry* e) {
  if (archive_entry_hardlink(e)) return MemberType::hardlink;
  switch (archive_entry_filetype(e)) {
    case AE_IFREG: return MemberType::file;
    case AE_IFDIR: return MemberType::directory;
    case AE_IFLNK: return MemberType::symlink;
    default: return MemberType::other;
  }
}

Member member_from_entry(struct archive_entry* e, const std::string& archive_path) {
  Member m;
  const char* raw = archive_entry_pathname(e);
  if (!raw) raw = "";
  if (!normalise_member_path(raw, m.name)) {
    // Kept under its raw name so that a manifest naming it fails to resolve
    // safely; nothing ever joins it to the filesystem.
    m.name = std::string("\x01unsafe:") + raw;
  }
  m.type = member_type(e);
  if (m.type == MemberType::file) {
    la_int64_t size = archive_entry_size(e);
    if (size < 0)
      throw Error(Errc::malformed, fmt::format("{}: member {:?} has a negative size", archive_path, raw));
    m.bytes = static_cast<std::uint64_t>(size);
    m.sparse = archive_entry_sparse_count(e) > 0;
  }
  if (const char* l = archive_entry_hardlink(e)) m.link = l;
  else if (const char* s = archive_entry_symlink(e)) m.link = s;
  return m;
}

class IndexedTarSource final : public Source {
 public:
  IndexedTarSource(const std::string& path, const Limits& limits, int fd) : fd_(take_or_open(path, fd)) {
    path_ = path;
    struct stat st;
    if (::fstat(fd_.get(), &st) != 0) throw Error(Errc::io, fmt::format("{}: stat: {}", path, std::strerror(errno)));
    file_bytes_ = static_cast<std::uint64_t>(st.st_size);
    index(limits);
  }

  std::unique_ptr<ByteReader> open(const Member& m) const override {
    if (m.sparse)
      throw Error(Errc::unsupported, fmt::format("{}: member {:?} is a sparse tar entry", path_, m.name));
    return std::make_unique<FdRangeReader>(fd_.get(), m.offset, m.bytes, fmt::format("{}:{}", path_, m.name));
  }

 private:
  struct Cursor {
    int fd;
    std::uint64_t pos = 0, size;
    char buf[16384];
    std::string error;
  };

  static la_ssize_t read_cb(struct archive*, void* data, const void** out) {
    auto* c = static_cast<Cursor*>(data);
    if (c->pos >= c->size) return 0;
    std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(sizeof c->buf, c->size - c->pos));
    for (;;) {
      ssize_t got = ::pread(c->fd, c->buf, want, static_cast<off_t>(c->pos));
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) {
        c->error = std::strerror(errno);
        return -1;
      }
      c->pos += static_cast<std::uint64_t>(got);
      *out = c->buf;
      return got;
    }
  }
  // Skipping a body is a seek: no byte of it is read.
  static la_int64_t skip_cb(struct archive*, void* data, la_int64_t request) {
    auto* c = static_cast<Cursor*>(data);
    std::uint64_t n = std::min<std::uint64_t>(static_cast<std::uint64_t>(request), c->size - c->pos);
    c->pos += n;
    return static_cast<la_int64_t>(n);
  }
  static la_int64_t seek_cb(struct archive*, void* data, la_int64_t offset, int whence) {
    auto* c = static_cast<Cursor*>(data);
    la_int64_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? static_cast<la_int64_t>(c->pos)
                                                                  : static_cast<la_int64_t>(c->size);
    la_int64_t to = base + offset;
    if (to < 0) return ARCHIVE_FATAL;
    c->pos = static_cast<std::uint64_t>(to);
    return to;
  }

  void index(const Limits& limits) {
    ArchivePtr a = new_read_archive();
    archive_read_support_format_tar(a.get());
    archive_read_support_format_gnutar(a.get());
    Cursor cur{fd_.get(), 0, file_bytes_, {}, {}};
    archive_read_set_read_callback(a.get(), read_cb);
    archive_read_set_skip_callback(a.get(), skip_cb);
    archive_read_set_seek_callback(a.get(), seek_cb);
    archive_read_set_callback_data(a.get(), &cur);
    if (archive_read_open1(a.get()) != ARCHIVE_OK) {
      if (!cur.error.empty()) throw Error(Errc::io, fmt::format("{}: read failed: {}", path_, cur.error));
      throw Error(Errc::format_unknown, fmt::format("{}: not a tar archive: {}", path_, archive_error_string(a.get())));
    }
    struct archive_entry* e = nullptr;
    std::uint64_t next_header = 0;  // where the next header starts (bodies are padded to 512 bytes)
    for (;;) {
      int r = archive_read_next_header(a.get(), &e);
      if (r == ARCHIVE_EOF) break;
      if (!cur.error.empty()) throw Error(Errc::io, fmt::format("{}: read failed: {}", path_, cur.error));
      if (r == ARCHIVE_FATAL || r == ARCHIVE_RETRY) {
        if (members_.empty() && file_bytes_ > 0 && !std::strstr(archive_error_string(a.get()), "runcated"))
          throw Error(Errc::format_unknown,
                      fmt::format("{}: not a tar archive: {}", path_, archive_error_string(a.get())));
        // Say where: after which member, at which byte.
        std::string where = members_.empty()
                                ? fmt::format("{} (at byte 0)", path_)
                                : fmt::format("{} (after member {:?}, in the header at byte {})", path_,
                                              members_.back().name, next_header);
        throw_archive_error(a.get(), where);
      }
      if (members_.size() >= limits.members)
        throw Error(Errc::limit_exceeded, fmt::format("{}: more than {} members", path_, limits.members));
      Member m = member_from_entry(e, path_);
      m.offset = static_cast<std::uint64_t>(archive_filter_bytes(a.get(), 0));
      if (m.type == MemberType::file && (m.offset > file_bytes_ || m.bytes > file_bytes_ - m.offset))
        throw Error(Errc::truncated,
                    fmt::format("{}: member {:?} needs {} bytes but the archive ends after {}", path_, m.name,
                                m.bytes, file_bytes_ > m.offset ? file_bytes_ - m.offset : 0));
      next_header = m.offset + (m.type == MemberType::file ? (m.bytes + 511) / 512 * 512 : 0);
      add_member(std::move(m));
    }
  }

  FdOwner fd_;
  std::uint64_t file_bytes_ = 0;
};

// Decompresses the whole file with the given filter and no format bidding;
// returns "" when the stream is complete, else libarchive's complaint.
std::string compressed_stream_problem(int fd, Compression c) {
  if (::lseek(fd, 0, SEEK_SET) < 0) return std::strerror(errno);
  ArchivePtr a = new_read_archive();
  append_filter(a.get(), c);
  archive_read_set_format(a.get(), ARCHIVE_FORMAT_RAW);
  struct archive_entry* e = nullptr;
  if (archive_read_open_fd(a.get(), fd, 1 << 16) != ARCHIVE_OK || archive_read_next_header(a.get(), &e) != ARCHIVE_OK)
    return archive_error_string(a.get()) ? archive_error_string(a.get()) : "cannot decompress";
  static char sink[1 << 16];
  la_ssize_t n;
  while ((n = archive_read_data(a.get(), sink, sizeof sink)) > 0) {
  }
  if (n < 0) return archive_error_string(a.get()) ? archive_error_string(a.get()) : "the stream ends early";
  return "";
}

class StreamedTarSource final : public Source {
 public:
  StreamedTarSource(const std::string& path, Compression outer, const Limits& limits, const MemberVisitor& visit,
                    const ProgressFn& progress, int fd)
      : fd_(take_or_open(path, fd)) {
    path_ = path;
    read_once(outer, limits, visit, progress);
  }
  bool streamed() const override { return true; }

  std::unique_ptr<ByteReader> open(const Member& m) const override {
    auto it = kept_.find(m.name);
    if (it == kept_.end())
      throw Error(Errc::unsupported,
                  fmt::format("{}: member {:?} of a compressed archive was consumed in its single pass", path_,
                              m.name));
    return memory_reader(it->second);
  }

 private:
  // A reader over the current entry's body that first replays what was peeked.
  class EntryReader final : public ByteReader {
   public:
    EntryReader(StreamedTarSource* src, Compression outer, struct archive* a, std::string_view peeked,
                std::uint64_t total, const std::string& what)
        : src_(src), outer_(outer), a_(a), peeked_(peeked), left_(total), what_(what) {}
    std::size_t read(void* buf, std::size_t n) override {
      if (left_ == 0) return 0;
      n = static_cast<std::size_t>(std::min<std::uint64_t>(n, left_));
      if (pos_ < peeked_.size()) {
        n = std::min(n, peeked_.size() - pos_);
        std::memcpy(buf, peeked_.data() + pos_, n);
        pos_ += n;
        left_ -= n;
        return n;
      }
      la_ssize_t got = archive_read_data(a_, buf, n);
      if (got < 0) src_->fail(a_, outer_, what_);
      if (got == 0) throw Error(Errc::truncated, fmt::format("{}: ends {} bytes early", what_, left_));
      left_ -= static_cast<std::uint64_t>(got);
      return static_cast<std::size_t>(got);
    }

   private:
    StreamedTarSource* src_;
    Compression outer_;
    struct archive* a_;
    std::string_view peeked_;
    std::size_t pos_ = 0;
    std::uint64_t left_;
    std::string what_;
  };

  // libarchive reports a cut compressed stream as "Unrecognized archive
  // format" when the cut comes before it recognised the tar, and with no
  // message when the cut is in the trailer: decompressing the file alone tells
  // a truncated stream from one that is damaged or holds no tar.
  [[noreturn]] void fail(struct archive* a, Compression outer, const std::string& what) {
    const char* msg = archive_error_string(a);
    std::string text = msg ? msg : "";
    if (text.find("runcated") == std::string::npos) {
      std::string problem = compressed_stream_problem(fd_.get(), outer);
      // xz says "No progress is possible" when its input ends mid-stream.
      if (!problem.empty() && (problem.find("runcated") != std::string::npos || problem == "the stream ends early" ||
                               problem.find("No progress is possible") != std::string::npos))
        throw Error(Errc::truncated, fmt::format("{}: the {} stream ends early ({})", what, compression_name(outer),
                                                 problem));
      if (!problem.empty())
        throw Error(Errc::malformed, fmt::format("{}: the {} stream is damaged: {}", what, compression_name(outer),
                                                 problem));
      if (members_.empty() && text.find("Unrecognized") != std::string::npos)
        throw Error(Errc::format_unknown,
                    fmt::format("{}: {}-compressed, but not a tar archive", path_, compression_name(outer)));
    }
    throw_archive_error(a, what);
  }

  void read_once(Compression outer, const Limits& limits, const MemberVisitor& visit, const ProgressFn& progress) {
    ArchivePtr a = new_read_archive();
    append_filter(a.get(), outer);
    archive_read_support_format_tar(a.get());
    archive_read_support_format_gnutar(a.get());
    if (archive_read_open_fd(a.get(), fd_.get(), 1 << 16) != ARCHIVE_OK) fail(a.get(), outer, path_);
    struct stat st;
    std::uint64_t total = ::fstat(fd_.get(), &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
    std::uint64_t kept_bytes = 0;
    struct archive_entry* e = nullptr;
    std::string peek;
    for (;;) {
      int r = archive_read_next_header(a.get(), &e);
      if (r == ARCHIVE_EOF) break;
      if (r == ARCHIVE_FATAL || r == ARCHIVE_RETRY) fail(a.get(), outer, path_);
      if (members_.size() >= limits.members)
        throw Error(Errc::limit_exceeded, fmt::format("{}: more than {} members", path_, limits.members));
      Member m = member_from_entry(e, path_);
      if (m.type == MemberType::file) {
        std::string what = fmt::format("{}:{}", path_, m.name);
        // Peek at the start to tell a JSON document (kept) from a layer (visited).
        peek.resize(static_cast<std::size_t>(std::min<std::uint64_t>(m.bytes, 65536)));
        std::size_t have = 0;
        while (have < peek.size()) {
          la_ssize_t got = archive_read_data(a.get(), peek.data() + have, peek.size() - have);
          if (got < 0) fail(a.get(), outer, what);
          if (got == 0) throw Error(Errc::truncated, fmt::format("{}: ends {} bytes early", what, m.bytes - have));
          have += static_cast<std::size_t>(got);
        }
        std::size_t first = peek.find_first_not_of(" \t\r\n");
        bool json_like = first != std::string::npos && (peek[first] == '{' || peek[first] == '[');
        bool keep = m.bytes <= peek.size() || (json_like && m.bytes <= limits.json_bytes);
        if (keep) {
          std::string body = peek;
          if (m.bytes > body.size()) {
            EntryReader rest(this, outer, a.get(), {}, m.bytes - body.size(), what);
            body.resize(static_cast<std::size_t>(m.bytes));
            std::size_t done = peek.size();
            while (done < body.size()) done += rest.read(body.data() + done, body.size() - done);
          }
          kept_bytes += body.size();
          if (kept_bytes > limits.buffered_bytes)
            throw Error(Errc::limit_exceeded,
                        fmt::format("{}: small members exceed the in-memory limit of {} bytes", path_,
                                    limits.buffered_bytes));
          m.buffered = true;
          kept_[m.name] = std::move(body);
        } else {
          EntryReader body(this, outer, a.get(), peek, m.bytes, what);
          if (visit) visit(m, body);
        }
      }
      add_member(std::move(m));
      if (progress && !progress(static_cast<std::uint64_t>(archive_filter_bytes(a.get(), -1)), total))
        throw Error(Errc::cancelled, fmt::format("{}: cancelled", path_));
    }
  }

  FdOwner fd_;
  std::unordered_map<std::string, std::string> kept_;
};

}  // namespace

std::unique_ptr<ByteReader> memory_reader(std::string_view bytes) { return std::make_unique<MemoryReader>(bytes); }

std::unique_ptr<Source> open_directory_source(const std::string& path, const Limits& limits) {
  return std::make_unique<DirectorySource>(path, limits);
}

std::unique_ptr<Source> open_indexed_tar_source(const std::string& path, const Limits& limits, int fd) {
  return std::make_unique<IndexedTarSource>(path, limits, fd);
}

std::unique_ptr<Source> open_streamed_tar_source(const std::string& path, Compression outer, const Limits& limits,
                                                 const MemberVisitor& visit, const ProgressFn& progress, int fd) {
  return std::make_unique<StreamedTarSource>(path, outer, limits, visit, progress, fd);
}

int spool_stream(const std::string& path, const ProgressFn& progress) {
  FdOwner in(open_file(path));
  const char* env = std::getenv("TMPDIR");
  std::string dir = env && *env ? env : "/tmp";
  // An unnamed file where the kernel offers one; else a named one unlinked at once.
  int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) {
    std::string name = dir + "/layerkit-stream-XXXXXX";
    fd = ::mkostemp(name.data(), O_CLOEXEC);
    if (fd < 0)
      throw Error(Errc::io, fmt::format("{}: cannot make a temporary file in {} to hold the stream: {}", path, dir,
                                        std::strerror(errno)));
    ::unlink(name.c_str());
  }
  FdOwner out(fd);
  std::vector<char> buf(1 << 20);
  std::uint64_t done = 0;
  for (;;) {
    ssize_t got = ::read(in.get(), buf.data(), buf.size());
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) throw Error(Errc::io, fmt::format("{}: read: {}", path, std::strerror(errno)));
    if (got == 0) break;
    for (ssize_t put = 0; put < got;) {
      ssize_t n = ::write(out.get(), buf.data() + put, static_cast<std::size_t>(got - put));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0)
        throw Error(Errc::io, fmt::format("{}: cannot copy the stream to a temporary file in {} (set TMPDIR): {}",
                                          path, dir, std::strerror(errno)));
      put += n;
    }
    done += static_cast<std::uint64_t>(got);
    if (progress && !progress(done, 0))
      throw Error(Errc::cancelled, fmt::format("{}: cancelled while reading the stream", path));
  }
  if (::lseek(out.get(), 0, SEEK_SET) < 0) throw Error(Errc::io, fmt::format("{}: lseek: {}", path, std::strerror(errno)));
  return out.release();
}

}  // namespace layerkit
