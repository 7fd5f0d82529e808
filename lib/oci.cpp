#include "oci.hpp"

#include <fmt/format.h>

#include "layerkit/error.hpp"

namespace layerkit {

Descriptor parse_descriptor(const json::Value& v, const json::Path& at, bool require_size) {
  json::require_object(v, at);
  Descriptor d;
  d.media_type = json::opt_string(v, "mediaType", at).value_or("");
  std::string digest = json::req_string(v, "digest", at);
  try {
    d.digest = Digest::parse(digest);
  } catch (const Error& e) {
    throw Error(e.code(), fmt::format("{}: {}", at.key("digest").str(), e.what()));
  }
  d.size = json::opt_int(v, "size", at, 0, INT64_MAX).value_or(-1);
  if (d.size < 0 && require_size)
    throw Error(Errc::malformed, fmt::format("{}: required field is missing", at.key("size").str()));
  d.urls = json::string_array(v, "urls", at);
  d.annotations = json::string_map(v, "annotations", at);
  if (const json::Value* p = json::find_non_null(v, "platform")) {
    json::Path pat = at.key("platform");
    json::require_object(*p, pat);
    Platform pl;
    pl.os = json::opt_string(*p, "os", pat).value_or("");
    pl.architecture = json::opt_string(*p, "architecture", pat).value_or("");
    pl.variant = json::opt_string(*p, "variant", pat).value_or("");
    pl.os_version = json::opt_string(*p, "os.version", pat).value_or("");
    d.platform = pl;
  }
  return d;
}

}  // namespace layerkit
