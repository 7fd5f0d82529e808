// libarchive_util.hpp (private) — the glue shared by every libarchive user:
// an owning handle and the mapping of libarchive failures to layerkit codes.
#pragma once

#include <archive.h>

#include <memory>
#include <string_view>

#include "layerkit/compression.hpp"

namespace layerkit {

struct ArchiveReadFree {
  void operator()(struct archive* a) const noexcept { archive_read_free(a); }
};
using ArchivePtr = std::unique_ptr<struct archive, ArchiveReadFree>;

/// A new read handle; throws Error(internal) when libarchive cannot allocate.
ArchivePtr new_read_archive();

/// Adds the decompression filter for `c` (none adds nothing). Only the filters
/// layerkit detected by magic are enabled: never an external program.
void append_filter(struct archive* a, Compression c);

/// Throws the Error that matches libarchive's last failure on `a`:
/// truncated for premature ends, malformed for damaged structure, io for OS errors.
/// `what` names the member or stream.
[[noreturn]] void throw_archive_error(struct archive* a, std::string_view what);

}  // namespace layerkit
