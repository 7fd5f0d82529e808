// Fuzz target: digest strings, member paths and platform strings — the
// parsers that stand between archive text and anything used as a path.
#include <string>
#include <string_view>

#include "fuzz_common.hpp"
#include "layerkit/digest.hpp"
#include "layerkit/image.hpp"
#include "source.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  if (auto d = layerkit::Digest::try_parse(text)) {
    // A valid digest never yields a path component that could escape.
    std::string_view enc = d->encoded();
    if (enc.find('/') != std::string_view::npos || enc.find("..") != std::string_view::npos ||
        d->algorithm_name().find('/') != std::string_view::npos)
      std::abort();
    if (d->str() != text) std::abort();
  }
  std::string out;
  if (layerkit::normalise_member_path(text, out)) {
    // A normalised path has no "..", "." or empty component and no leading '/'.
    if (!out.empty() && out[0] == '/') std::abort();
    std::size_t pos = 0;
    while (pos <= out.size() && !out.empty()) {
      std::size_t slash = out.find('/', pos);
      std::string_view c = std::string_view(out).substr(pos, slash == std::string::npos ? std::string::npos : slash - pos);
      if (c.empty() || c == "." || c == "..") std::abort();
      if (slash == std::string::npos) break;
      pos = slash + 1;
    }
  }
  fuzz::run([&] { layerkit::Platform::parse(text); });
  return 0;
}
