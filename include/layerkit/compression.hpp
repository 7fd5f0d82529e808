// layerkit/compression.hpp — compression of a byte stream, told by its magic
// number, never by a media type or a file name (OCI layer.md lets a media type
// say "+gzip" for a plain tar, and skopeo does exactly that).
#pragma once

#include <cstddef>

namespace layerkit {

enum class Compression { none, gzip, zstd, xz, bzip2 };

/// Reads the first bytes of a stream (6 are enough): gzip 1f 8b, zstd 28 b5 2f fd,
/// xz fd 37 7a 58 5a 00, bzip2 "BZh"; anything else is none.
Compression sniff_compression(const unsigned char* first_bytes, std::size_t n) noexcept;

/// "none", "gzip", "zstd", "xz", "bzip2".
const char* compression_name(Compression c) noexcept;

}  // namespace layerkit
