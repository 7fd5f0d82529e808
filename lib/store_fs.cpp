#include "store_fs.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <random>

#include <fmt/format.h>

#include "layerkit/error.hpp"

namespace layerkit::storefs {

void throw_errno(std::string_view op, const std::string& path, int err, bool writing) {
  if (writing && (err == EROFS || err == EACCES || err == EPERM))
    throw Error(Errc::io, fmt::format("{}: cannot {}: {} (the store is read-only for this user)", path, op,
                                      std::strerror(err)));
  if (err == ENOENT || err == ENOTDIR)
    throw Error(Errc::not_found, fmt::format("{}: cannot {}: {}", path, op, std::strerror(err)));
  if (err == ENOSPC) throw Error(Errc::io, fmt::format("{}: cannot {}: no space left on device", path, op));
  throw Error(Errc::io, fmt::format("{}: cannot {}: {}", path, op, std::strerror(err)));
}

Fd& Fd::operator=(Fd&& o) noexcept {
  if (this != &o) {
    close();
    fd_ = o.fd_;
    o.fd_ = -1;
  }
  return *this;
}

Fd::~Fd() { close(); }

void Fd::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

bool is_directory(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::int64_t file_size(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return -1;
  return static_cast<std::int64_t>(st.st_size);
}

std::vector<std::string> list_dir(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  if (!d) {
    if (errno == ENOENT || errno == ENOTDIR) return out;
    throw_errno("list", dir, errno);
  }
  errno = 0;
  while (struct dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    out.push_back(std::move(name));
  }
  int err = errno;
  ::closedir(d);
  if (err) throw_errno("list", dir, err);
  std::sort(out.begin(), out.end());
  return out;
}

std::string parent_of(const std::string& path) {
  auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string join(const std::string& a, std::string_view b) {
  if (a.empty()) return std::string(b);
  if (a.back() == '/') return a + std::string(b);
  return a + "/" + std::string(b);
}

void fsync_dir(const std::string& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) throw_errno("open directory", dir, errno);
  if (::fsync(fd.get()) != 0 && errno != EINVAL && errno != EROFS) throw_errno("fsync", dir, errno, true);
}

void make_dirs(const std::string& dir) {
  if (dir.empty() || is_directory(dir)) return;
  std::string parent = parent_of(dir);
  if (parent != dir) make_dirs(parent);
  if (::mkdir(dir.c_str(), 0755) != 0) {
    if (errno == EEXIST && is_directory(dir)) return;
    throw_errno("create directory", dir, errno, true);
  }
  fsync_dir(parent);
}

std::string read_file(const std::string& path, std::uint64_t limit, std::string_view what) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw_errno("open", path, errno);
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) throw_errno("stat", path, errno);
  if (!S_ISREG(st.st_mode)) throw Error(Errc::io, fmt::format("{}: not a regular file", path));
  if (static_cast<std::uint64_t>(st.st_size) > limit)
    throw Error(Errc::limit_exceeded,
                fmt::format("{}: {} is {} bytes, over the limit of {} bytes", path, what, st.st_size, limit));
  std::string out;
  out.resize(static_cast<std::size_t>(st.st_size));
  std::size_t have = 0;
  while (have < out.size()) {
    ssize_t n = ::read(fd.get(), out.data() + have, out.size() - have);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("read", path, errno);
    }
    if (n == 0) break;
    have += static_cast<std::size_t>(n);
  }
  out.resize(have);
  return out;
}

void write_all(int fd, const void* data, std::size_t n, const std::string& path) {
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      throw_errno("write", path, errno, true);
    }
    p += w;
    n -= static_cast<std::size_t>(w);
  }
}

std::string random_hex() {
  static thread_local std::mt19937_64 gen([] {
    std::random_device rd;  // the kernel's getrandom()
    return (std::uint64_t(rd()) << 32) ^ rd() ^ std::uint64_t(::getpid());
  }());
  return fmt::format("{:016x}", gen());
}

TempFile::TempFile(const std::string& tmp_dir, std::string_view purpose) {
  for (int attempt = 0; attempt < 16; ++attempt) {
    std::string p = join(tmp_dir, fmt::format("{}-{}.{}", ::getpid(), random_hex(), purpose));
    int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd >= 0) {
      path_ = std::move(p);
      fd_ = Fd(fd);
      return;
    }
    if (errno != EEXIST) throw_errno("create", p, errno, true);
  }
  throw Error(Errc::io, fmt::format("{}: cannot create a unique temporary file", tmp_dir));
}

TempFile::TempFile(TempFile&& o) noexcept : path_(std::move(o.path_)), fd_(std::move(o.fd_)), bytes_(o.bytes_) {
  o.path_.clear();
}

TempFile& TempFile::operator=(TempFile&& o) noexcept {
  if (this != &o) {
    if (!path_.empty()) ::unlink(path_.c_str());
    path_ = std::move(o.path_);
    fd_ = std::move(o.fd_);
    bytes_ = o.bytes_;
    o.path_.clear();
  }
  return *this;
}

TempFile::~TempFile() {
  fd_.close();
  if (!path_.empty()) ::unlink(path_.c_str());
}

void TempFile::write(const void* data, std::size_t n) {
  if (!fd_) throw Error(Errc::internal, fmt::format("{}: write after finish", path_));
  write_all(fd_.get(), data, n, path_);
  bytes_ += n;
}

void TempFile::finish() {
  if (!fd_) return;
  if (::fsync(fd_.get()) != 0) throw_errno("fsync", path_, errno, true);
  fd_.close();
}

void TempFile::commit(const std::string& final_path) {
  finish();
  if (::rename(path_.c_str(), final_path.c_str()) != 0) throw_errno("rename into", final_path, errno, true);
  path_.clear();
}

void write_file_atomic(const std::string& tmp_dir, const std::string& final_path, std::string_view bytes,
                       const std::function<void()>& before_rename, const std::function<void()>& after_rename) {
  TempFile t(tmp_dir, "file");
  t.write(bytes);
  t.finish();
  if (before_rename) before_rename();
  t.commit(final_path);
  if (after_rename) after_rename();
  fsync_dir(parent_of(final_path));
}

FileLock::~FileLock() {
  if (fd_) ::flock(fd_.get(), LOCK_UN);
}

std::optional<FileLock> FileLock::acquire(const std::string& path, bool exclusive, bool create, bool blocking,
                                          bool* busy) {
  if (busy) *busy = false;
  int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0), 0644);
  if (fd < 0) {
    int err = errno;
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);  // flock(2) works on a read-only descriptor too
    if (fd < 0) {
      if (errno != ENOENT) throw_errno("open lock file", path, errno);
      // Absent, and not creatable: a read-only store has no writers to exclude.
      if (create && err != ENOENT) throw_errno("create lock file", path, err, true);
      return std::nullopt;
    }
  }
  FileLock l;
  l.fd_ = Fd(fd);
  int op = (exclusive ? LOCK_EX : LOCK_SH) | (blocking ? 0 : LOCK_NB);
  while (::flock(fd, op) != 0) {
    if (errno == EINTR) continue;
    if (errno == EWOULDBLOCK && !blocking) {
      if (busy) *busy = true;
      return std::nullopt;
    }
    throw_errno("lock", path, errno);
  }
  return l;
}

}  // namespace layerkit::storefs
