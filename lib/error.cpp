#include "layerkit/error.hpp"

namespace layerkit {

const char* errc_name(Errc code) noexcept {
  switch (code) {
    case Errc::ok: return "ok";
    case Errc::invalid_argument: return "invalid_argument";
    case Errc::io: return "io";
    case Errc::not_found: return "not_found";
    case Errc::format_unknown: return "format_unknown";
    case Errc::truncated: return "truncated";
    case Errc::digest_mismatch: return "digest_mismatch";
    case Errc::size_mismatch: return "size_mismatch";
    case Errc::count_mismatch: return "count_mismatch";
    case Errc::limit_exceeded: return "limit_exceeded";
    case Errc::unsupported: return "unsupported";
    case Errc::internal: return "internal";
    case Errc::cancelled: return "cancelled";
    case Errc::malformed: return "malformed";
    case Errc::invalid_digest: return "invalid_digest";
    case Errc::unsafe_path: return "unsafe_path";
    case Errc::ambiguous: return "ambiguous";
  }
  return "unknown";
}

}  // namespace layerkit
