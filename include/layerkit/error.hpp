// layerkit/error.hpp — the one error type and the one set of error codes.
//
// The C++ core reports failures by throwing layerkit::Error (a code and a
// message). The C ABI (layerkit.h) catches it and returns the same code as an
// lk_status, so the numbers below are part of the stable ABI: they are never
// renumbered and never reused; new codes are only appended.
//
// Messages name the thing that is wrong (an archive member, a JSON field, a
// layer index) and the problem, e.g.
//   "manifest.json: [0].Layers[1]: member 3268b8d0….tar is absent from the archive".
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace layerkit {

/// Error codes. Values are stable (they equal the C ABI's LK_E* values).
enum class Errc : int {
  ok = 0,
  invalid_argument = -1,  ///< a caller passed a bad argument (bad option or limit, index out of range)
  io = -2,                ///< the operating system refused a read or a write (open, read, write, rename, fsync)
  not_found = -3,         ///< a path, member, blob or image that must exist is absent (also an image ref matching nothing)
  format_unknown = -4,    ///< the input is not any archive or layout layerkit knows
  truncated = -5,         ///< a tar, compressed stream or member ends early
  digest_mismatch = -6,   ///< content does not hash to the digest that names it
  size_mismatch = -7,     ///< content length differs from the descriptor's size
  count_mismatch = -8,    ///< layers, diff_ids and non-empty history entries disagree
  limit_exceeded = -9,    ///< a size, count, depth or ratio limit (Limits) was hit
  unsupported = -10,      ///< well-formed input using a feature layerkit does not handle
  internal = -11,         ///< a bug in layerkit; please report it
  cancelled = -12,        ///< a progress callback asked to stop
  malformed = -13,        ///< JSON or tar structure is invalid, or a field has the wrong type
  invalid_digest = -14,   ///< a digest string violates the OCI digest grammar
  unsafe_path = -15,      ///< a member path escapes the archive (.., absolute, link loop)
  ambiguous = -16,        ///< a choice (platform, image) matches more than one candidate
};

/// Stable lower-case name of a code, e.g. "digest_mismatch". Never NULL.
const char* errc_name(Errc code) noexcept;

/// The exception the core throws. what() is the full message.
class Error : public std::runtime_error {
 public:
  Error(Errc code, const std::string& message) : std::runtime_error(message), code_(code) {}
  Errc code() const noexcept { return code_; }

 private:
  Errc code_;
};

}  // namespace layerkit
