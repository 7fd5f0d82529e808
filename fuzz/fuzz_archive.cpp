// Fuzz target: open any bytes as an archive file, then do everything the CLI
// does with it (scan every layer, verify, history, inspect, dedup).
#include <sys/mman.h>
#include <unistd.h>

#include <string>

#include "fuzz_common.hpp"
#include "layerkit/archive.hpp"
#include "layerkit/dedup.hpp"
#include "layerkit/history.hpp"
#include "layerkit/report.hpp"
#include "layerkit/verify.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  int fd = ::memfd_create("fuzz-archive", 0);
  if (fd < 0) return 0;
  std::size_t done = 0;
  while (done < size) {
    ssize_t n = ::write(fd, data + done, size - done);
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  std::string path = "/proc/self/fd/" + std::to_string(fd);
  fuzz::run([&] {
    layerkit::OpenOptions o;
    o.platform = "all";
    o.limits = fuzz::limits();
    layerkit::Archive a = layerkit::Archive::open(path, o);
    std::vector<const layerkit::Image*> imgs;
    std::vector<layerkit::DedupInput> inputs;
    for (const layerkit::Image& img : a.images()) {
      imgs.push_back(&img);
      inputs.push_back({&a, &img, img.display_name()});
      layerkit::history(a, img, {true, 1, {}});
    }
    layerkit::verify(a, {"", 1, {}});
    layerkit::inspect_json(a, imgs, false, 1);
    layerkit::dedup(inputs, {1, {}});
    if (a.loose_layer()) a.scan(*a.loose_layer(), layerkit::ScanDepth::full);
  });
  ::close(fd);
  return 0;
}
