// classic.cpp — the classic scenario with the C++ API: list the images of a
// base, a runtime and an app archive (each built FROM the previous one), print
// each one's history, then the layers they share.
//
//   c++ -std=c++20 classic.cpp $(pkg-config --cflags --libs layerkit-cpp) -o classic
//   ./classic base.tar runtime.tar app.tar
#include <cstdio>
#include <vector>

#include "layerkit/archive.hpp"
#include "layerkit/dedup.hpp"
#include "layerkit/error.hpp"
#include "layerkit/history.hpp"
#include "layerkit/text.hpp"

int main(int argc, char** argv) {
  using namespace layerkit;
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s ARCHIVE...\n", argv[0]);
    return 2;
  }
  try {
    std::vector<Archive> archives;
    for (int i = 1; i < argc; ++i) archives.push_back(Archive::open(argv[i]));
    std::vector<DedupInput> inputs;
    for (const Archive& a : archives) {
      std::printf("%s (%s): %zu image(s)\n", a.path().c_str(), format_name(a.format()), a.images().size());
      for (const Image& img : a.images()) {
        std::string ref = img.references.empty() ? img.id().short_hex() : img.references[0];
        std::printf("  image %s  id %s  %zu layers\n", ref.c_str(), img.id().short_hex().c_str(), img.layers.size());
        for (const HistoryRow& row : history(a, img))
          std::printf("    %-12s %8s  %s\n", row.id == "<missing>" ? row.id.c_str() : text::truncate_id(row.id).c_str(),
                      text::human_size(double(row.size)).c_str(), text::history_created_by(row.created_by).c_str());
        inputs.push_back({&a, &img, ref});
      }
    }
    DedupReport r = dedup(inputs);
    std::printf("\nlayers (by chain_id) and the images that share them:\n");
    for (const DedupLayer& l : r.layers) {
      std::printf("  %s %8s  in %zu:", l.chain_id.short_hex().c_str(), text::human_size(double(l.size)).c_str(),
                  l.images.size());
      for (const auto& ref : l.images) std::printf(" %s", ref.c_str());
      std::printf("\n");
    }
    std::printf("total %s, unique %s, saved by sharing %s\n", text::human_size(double(r.total_size)).c_str(),
                text::human_size(double(r.unique_size)).c_str(), text::human_size(double(r.saved_size)).c_str());
  } catch (const Error& e) {
    std::fprintf(stderr, "classic: %s [%s]\n", e.what(), errc_name(e.code()));
    return 1;
  }
  return 0;
}
