#include "libarchive_util.hpp"

#include <cerrno>
#include <string>

#include <fmt/format.h>

#include "layerkit/error.hpp"

namespace layerkit {

ArchivePtr new_read_archive() {
  ArchivePtr a(archive_read_new());
  if (!a) throw Error(Errc::internal, "libarchive: cannot allocate a read handle");
  return a;
}

void append_filter(struct archive* a, Compression c) {
  int code = ARCHIVE_FILTER_NONE;
  switch (c) {
    case Compression::none: return;
    case Compression::gzip: code = ARCHIVE_FILTER_GZIP; break;
    case Compression::zstd: code = ARCHIVE_FILTER_ZSTD; break;
    case Compression::xz: code = ARCHIVE_FILTER_XZ; break;
    case Compression::bzip2: code = ARCHIVE_FILTER_BZIP2; break;
  }
  if (archive_read_append_filter(a, code) != ARCHIVE_OK)
    throw Error(Errc::unsupported,
                fmt::format("libarchive cannot decompress {}: {}", compression_name(c), archive_error_string(a)));
}

void throw_archive_error(struct archive* a, std::string_view what) {
  const char* msg = archive_error_string(a);
  std::string text = msg ? msg : "unknown libarchive error";
  int err = archive_errno(a);
  // Our own callbacks store layerkit errors; they are rethrown by the caller
  // before this point, so what remains is libarchive's judgement.
  auto has = [&](std::string_view s) { return text.find(s) != std::string::npos; };
  Errc code = Errc::malformed;
  if (has("runcated") || has("Premature end") || has("premature end") || has("unexpected end") ||
      has("Unexpected EOF") || has("Unexpected end") || has("No progress is possible"))
    code = Errc::truncated;
  else if (err == EIO || err == ENOENT || err == EACCES)
    code = Errc::io;
  throw Error(code, fmt::format("{}: {}", what, text));
}

}  // namespace layerkit
