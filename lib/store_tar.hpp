// store_tar.hpp (private) — the tar writing and whole-file decompression the
// image store needs, both done by libarchive.
#pragma once

#include <archive.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "layerkit/compression.hpp"
#include "layerkit/options.hpp"

namespace layerkit::storetar {

/// Writes a POSIX tar (pax where needed, ustar otherwise) to a file
/// descriptor it does not own. Members get mode 0644 (directories 0755),
/// uid/gid 0 and mtime 0, so the same content gives the same bytes.
class TarWriter {
 public:
  TarWriter(int fd, std::string what);
  ~TarWriter();
  TarWriter(const TarWriter&) = delete;
  TarWriter& operator=(const TarWriter&) = delete;

  void add_directory(std::string_view name);
  /// Starts a regular member of exactly `size` bytes; write() its body, then end_file().
  void begin_file(std::string_view name, std::uint64_t size);
  void write(const void* data, std::size_t n);
  void end_file();
  void add_file(std::string_view name, std::string_view bytes);
  /// Writes the end-of-archive blocks. Throws io.
  void close();

 private:
  [[noreturn]] void fail(std::string_view doing);
  struct archive* a_ = nullptr;
  std::string what_;
  std::uint64_t expected_ = 0, written_ = 0;
  bool in_file_ = false;
};

/// Decompresses the file `src` (compressed as a whole with `c`) into `out_fd`.
/// Throws truncated / malformed (libarchive's judgement), io, limit_exceeded
/// (more than `max_bytes` of output), cancelled. Progress is over `src` bytes.
std::uint64_t decompress_file(const std::string& src, Compression c, int out_fd, const std::string& out_path,
                              std::uint64_t max_bytes, const ProgressFn& progress);

}  // namespace layerkit::storetar
