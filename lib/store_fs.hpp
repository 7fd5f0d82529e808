// store_fs.hpp (private) — the file system primitives of the image store:
// durable atomic writes (temporary file, fsync, rename, fsync of the
// directory), flock(2) locks, directory listings, and the mapping of errno to
// layerkit errors (a read-only store is named as such).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace layerkit::storefs {

/// Throws the Error for a failed system call on `path`: not_found for
/// ENOENT/ENOTDIR, io otherwise; EROFS, EACCES and EPERM on a write say that
/// the location is read-only / not writable.
[[noreturn]] void throw_errno(std::string_view op, const std::string& path, int err, bool writing = false);

/// An owned file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  Fd& operator=(Fd&& o) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd();
  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  void close();

 private:
  int fd_ = -1;
};

bool exists(const std::string& path);
bool is_directory(const std::string& path);
/// Size of a regular file, or -1 when absent.
std::int64_t file_size(const std::string& path);

/// Names in a directory (no "." / ".."), sorted; empty when it does not exist.
std::vector<std::string> list_dir(const std::string& dir);

/// Creates `dir` and missing parents (mode 0755), fsyncing each parent whose
/// entries changed. Throws io (read-only named as such).
void make_dirs(const std::string& dir);

/// fsync(2) of a directory, so renames and creations in it are durable.
void fsync_dir(const std::string& dir);

/// Reads a whole file of at most `limit` bytes. Throws not_found, io,
/// limit_exceeded (naming `what`).
std::string read_file(const std::string& path, std::uint64_t limit, std::string_view what);

/// Writes every byte or throws io.
void write_all(int fd, const void* data, std::size_t n, const std::string& path);

/// "<dir>/<last component>" helpers.
std::string parent_of(const std::string& path);
std::string join(const std::string& a, std::string_view b);

/// 16 random hex characters (from the kernel's CSPRNG).
std::string random_hex();

/// A new file in `tmp_dir` (O_CREAT|O_EXCL, mode 0644) that is unlinked
/// unless commit() moved it into place.
class TempFile {
 public:
  TempFile(const std::string& tmp_dir, std::string_view purpose);
  TempFile(TempFile&&) noexcept;
  TempFile& operator=(TempFile&&) noexcept;
  ~TempFile();

  void write(const void* data, std::size_t n);
  void write(std::string_view s) { write(s.data(), s.size()); }
  /// fsync(2) and close the file (idempotent).
  void finish();
  /// finish(), then rename onto `final_path` (replacing it). The caller
  /// fsyncs the destination directory (once per batch).
  void commit(const std::string& final_path);
  /// Forgets the file without deleting it (ownership handed elsewhere).
  void release() { path_.clear(); }
  const std::string& path() const { return path_; }
  std::uint64_t bytes() const { return bytes_; }
  int fd() const { return fd_.get(); }

 private:
  std::string path_;
  Fd fd_;
  std::uint64_t bytes_ = 0;
};

/// Writes `bytes` to `final_path` durably: temp file in tmp_dir, fsync,
/// rename, fsync of final_path's directory. `before_rename` (may be empty) is
/// called between the fsync and the rename (fault-injection checkpoints).
void write_file_atomic(const std::string& tmp_dir, const std::string& final_path, std::string_view bytes,
                       const std::function<void()>& before_rename = {}, const std::function<void()>& after_rename = {});

/// An flock(2) lock on a file, released by the destructor (or by the kernel
/// when the process dies).
class FileLock {
 public:
  FileLock() = default;
  FileLock(FileLock&&) noexcept = default;
  FileLock& operator=(FileLock&&) noexcept = default;
  ~FileLock();
  /// Locks `path`, creating it when `create`. Returns nullopt when the file
  /// is absent and cannot be created because the location is read-only or
  /// !create (a read-only store has no writers to exclude). `blocking` false:
  /// returns nullopt (with *busy = true) when another process holds it.
  static std::optional<FileLock> acquire(const std::string& path, bool exclusive, bool create, bool blocking = true,
                                         bool* busy = nullptr);

 private:
  Fd fd_;
};

}  // namespace layerkit::storefs
