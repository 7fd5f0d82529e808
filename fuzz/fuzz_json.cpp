// Fuzz target: any bytes as an image config, as an OCI index.json, and as a
// docker-archive manifest.json (the readers of each, in a scratch directory).
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "fuzz_common.hpp"
#include "layerkit/archive.hpp"
#include "layerkit/image.hpp"

namespace {

std::filesystem::path scratch() {
  static std::filesystem::path dir = [] {
    auto d = std::filesystem::temp_directory_path() / ("layerkit-fuzz-json-" + std::to_string(::getpid()));
    std::filesystem::create_directories(d / "oci");
    std::filesystem::create_directories(d / "docker");
    std::ofstream(d / "oci" / "oci-layout") << R"({"imageLayoutVersion": "1.0.0"})";
    return d;
  }();
  return dir;
}

void write(const std::filesystem::path& p, std::string_view bytes) {
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  layerkit::Limits lim = fuzz::limits();
  fuzz::run([&] { layerkit::parse_image_config(text, "config", lim.json_depth, lim.layers_per_image); });
  layerkit::OpenOptions o;
  o.platform = "all";
  o.limits = lim;
  write(scratch() / "oci" / "index.json", text);
  fuzz::run([&] { layerkit::Archive::open((scratch() / "oci").string(), o); });
  write(scratch() / "docker" / "manifest.json", text);
  fuzz::run([&] { layerkit::Archive::open((scratch() / "docker").string(), o); });
  return 0;
}
