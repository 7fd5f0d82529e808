#include "store_tar.hpp"

#include <archive_entry.h>
#include <sys/stat.h>

#include <memory>
#include <vector>

#include <fmt/format.h>

#include "layerkit/error.hpp"
#include "libarchive_util.hpp"
#include "store_fs.hpp"

namespace layerkit::storetar {

namespace {
struct EntryFree {
  void operator()(struct archive_entry* e) const noexcept { archive_entry_free(e); }
};
using EntryPtr = std::unique_ptr<struct archive_entry, EntryFree>;

EntryPtr new_entry(std::string_view name, mode_t type, mode_t perm, std::uint64_t size) {
  EntryPtr e(archive_entry_new());
  if (!e) throw Error(Errc::internal, "libarchive: cannot allocate an entry");
  std::string n(name);
  archive_entry_copy_pathname(e.get(), n.c_str());
  archive_entry_set_filetype(e.get(), type);
  archive_entry_set_perm(e.get(), perm);
  archive_entry_set_size(e.get(), static_cast<la_int64_t>(size));
  archive_entry_set_mtime(e.get(), 0, 0);
  archive_entry_set_uid(e.get(), 0);
  archive_entry_set_gid(e.get(), 0);
  return e;
}
}  // namespace

TarWriter::TarWriter(int fd, std::string what) : what_(std::move(what)) {
  a_ = archive_write_new();
  if (!a_) throw Error(Errc::internal, "libarchive: cannot allocate a write handle");
  // No padding of the last block beyond the tar's own 512-byte records (as Go's
  // archive/tar writes): a file and a pipe get the same bytes.
  if (archive_write_set_format_pax_restricted(a_) != ARCHIVE_OK || archive_write_add_filter_none(a_) != ARCHIVE_OK ||
      archive_write_set_bytes_per_block(a_, 1 << 20) != ARCHIVE_OK ||  // fewer, larger writes
      archive_write_set_bytes_in_last_block(a_, 1) != ARCHIVE_OK || archive_write_open_fd(a_, fd) != ARCHIVE_OK)
    fail("start");
}

TarWriter::~TarWriter() {
  if (a_) archive_write_free(a_);  // also closes (ignoring errors) when close() was not called
}

void TarWriter::fail(std::string_view doing) {
  const char* msg = archive_error_string(a_);
  throw Error(Errc::io, fmt::format("{}: cannot {} the tar: {}", what_, doing, msg ? msg : "libarchive error"));
}

void TarWriter::add_directory(std::string_view name) {
  EntryPtr e = new_entry(name, AE_IFDIR, 0755, 0);
  if (archive_write_header(a_, e.get()) != ARCHIVE_OK) fail("write a header of");
}

void TarWriter::begin_file(std::string_view name, std::uint64_t size) {
  EntryPtr e = new_entry(name, AE_IFREG, 0644, size);
  if (archive_write_header(a_, e.get()) != ARCHIVE_OK) fail("write a header of");
  expected_ = size;
  written_ = 0;
  in_file_ = true;
}

void TarWriter::write(const void* data, std::size_t n) {
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    la_ssize_t w = archive_write_data(a_, p, n);
    if (w < 0) fail("write to");
    if (w == 0) fail("write to");
    p += w;
    n -= static_cast<std::size_t>(w);
    written_ += static_cast<std::uint64_t>(w);
  }
}

void TarWriter::end_file() {
  if (written_ != expected_)
    throw Error(Errc::internal, fmt::format("{}: member body is {} bytes, its header says {}", what_, written_, expected_));
  if (archive_write_finish_entry(a_) != ARCHIVE_OK) fail("finish a member of");
  in_file_ = false;
}

void TarWriter::add_file(std::string_view name, std::string_view bytes) {
  begin_file(name, bytes.size());
  write(bytes.data(), bytes.size());
  end_file();
}

void TarWriter::close() {
  if (archive_write_close(a_) != ARCHIVE_OK) fail("finish");
}

std::uint64_t decompress_file(const std::string& src, Compression c, int out_fd, const std::string& out_path,
                              std::uint64_t max_bytes, const ProgressFn& progress) {
  ArchivePtr a = new_read_archive();
  append_filter(a.get(), c);
  archive_read_support_format_raw(a.get());
  if (archive_read_open_filename(a.get(), src.c_str(), 1 << 20) != ARCHIVE_OK) throw_archive_error(a.get(), src);
  struct archive_entry* e = nullptr;
  if (archive_read_next_header(a.get(), &e) != ARCHIVE_OK) throw_archive_error(a.get(), src);
  struct stat st;
  std::uint64_t total = ::stat(src.c_str(), &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
  std::vector<char> buf(1 << 20);
  std::uint64_t out = 0;
  for (;;) {
    la_ssize_t n = archive_read_data(a.get(), buf.data(), buf.size());
    if (n < 0) throw_archive_error(a.get(), src);
    if (n == 0) break;
    out += static_cast<std::uint64_t>(n);
    if (out > max_bytes)
      throw Error(Errc::limit_exceeded,
                  fmt::format("{}: decompresses to more than the limit of {} bytes", src, max_bytes));
    storefs::write_all(out_fd, buf.data(), static_cast<std::size_t>(n), out_path);
    if (progress) {
      auto done = static_cast<std::uint64_t>(archive_filter_bytes(a.get(), -1));
      if (!progress(done, total)) throw Error(Errc::cancelled, fmt::format("{}: cancelled", src));
    }
  }
  return out;
}

}  // namespace layerkit::storetar
