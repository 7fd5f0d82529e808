#include "layerkit/dedup.hpp"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "layerkit/error.hpp"

namespace layerkit {
namespace {

// A layer's identity when the config names no diff_id: its blob digest or member.
std::string layer_key(const Layer& l, const Digest& id) {
  if (l.chain_id) return l.chain_id->str();
  if (!l.descriptor.digest.empty()) return "blob " + l.descriptor.digest.str();
  return fmt::format("{} layer {}", id.str(), l.index);
}

}  // namespace

DedupReport dedup(const std::vector<DedupInput>& inputs, const DedupOptions& options) {
  DedupReport r;
  for (const DedupInput& in : inputs)
    if (!in.archive || !in.image) throw Error(Errc::invalid_argument, "dedup: an input has no archive or image");

  // Sizes: one read per distinct diff_id, grouped per archive for scan_many.
  // A layer absent from one archive, unreadable or not a complete tar there,
  // is read from the next input that has it, so that every image counts it
  // as it would alone, as far as the layer is known anywhere.
  std::map<std::string, std::uint64_t> size_of;  // diff_id (or key) -> bytes
  auto size_key = [](const Layer& l, const Image& img) {
    return l.diff_id ? l.diff_id->str() : layer_key(l, img.id());
  };
  struct Copy {
    const Archive* archive;
    const Layer* layer;
  };
  std::vector<std::string> keys;                   // in order of first appearance
  std::map<std::string, std::vector<Copy>> copies;  // key -> its copies to read, in input order
  std::map<std::string, Copy> absent;               // key -> where it was first named but absent
  for (const DedupInput& in : inputs) {
    for (const Layer& l : in.image->layers) {
      std::string key = size_key(l, *in.image);
      auto [c, fresh] = copies.try_emplace(key);
      if (fresh) keys.push_back(key);
      if (!l.present) {
        absent.try_emplace(key, Copy{in.archive, &l});
        continue;
      }
      auto& v = c->second;
      if (std::none_of(v.begin(), v.end(), [&](const Copy& x) { return x.archive == in.archive; }))
        v.push_back({in.archive, &l});
    }
  }
  // Absent everywhere: scanning where it was named says why it is not counted.
  for (const auto& key : keys)
    if (copies[key].empty()) copies[key].push_back(absent.at(key));

  std::set<std::string> settled;  // keys whose size comes from a complete read
  std::map<std::string, std::string> failure;  // key -> why its last copy read did not settle it
  std::map<std::string, std::size_t> next_copy;
  std::uint64_t grand_total = 0, offset = 0;
  for (const auto& key : keys)
    if (const Layer& l = *copies[key].front().layer; l.present && l.descriptor.size > 0)
      grand_total += static_cast<std::uint64_t>(l.descriptor.size);
  // Rounds: each reads, per archive, the next copy of every layer not yet settled.
  for (;;) {
    std::map<const Archive*, std::vector<std::pair<const Layer*, std::string>>> todo;
    for (const auto& key : keys) {
      std::size_t& k = next_copy[key];
      const auto& c = copies[key];
      if (settled.count(key) || k >= c.size()) continue;
      todo[c[k].archive].emplace_back(c[k].layer, key);
      ++k;
    }
    if (todo.empty()) break;
    // One progress over every archive: each archive's bytes are offset by those before it.
    for (auto& [archive, jobs] : todo) {
      std::vector<const Layer*> layers;
      for (const auto& j : jobs) layers.push_back(j.first);
      std::uint64_t this_total = 0;
      ProgressFn progress;
      if (options.progress)
        progress = [&](std::uint64_t done, std::uint64_t total) {
          this_total = total;
          return options.progress(offset + done, std::max(grand_total, offset + total));
        };
      auto scans = archive->scan_many(layers, ScanDepth::headers, options.threads, progress);
      offset += this_total;
      for (std::size_t i = 0; i < layers.size(); ++i) {
        const std::string& key = jobs[i].second;
        if (!scans[i].scan) {
          failure[key] = fmt::format("{}: layer {} not counted: {}", archive->path(), layers[i]->index,
                                     scans[i].message);
        } else if (scans[i].scan->tar_ok) {
          size_of[key] = scans[i].scan->stats.content_bytes;
          settled.insert(key);
        } else if (!size_of.count(key)) {
          // What there is of a damaged copy, unless a later copy is whole.
          size_of[key] = scans[i].scan->stats.content_bytes;
        }
      }
    }
  }
  for (const auto& key : keys) {
    if (size_of.count(key)) continue;
    size_of[key] = 0;  // known nowhere: counted as 0 bytes, with the reason
    r.notes.push_back(failure.at(key));
  }

  auto group = [&](std::vector<DedupLayer>& out, std::map<std::string, std::size_t>& where, const std::string& key,
                   const Layer& l, bool by_chain, const std::string& ref, std::uint64_t bytes) {
    auto [it, fresh] = where.try_emplace(key, out.size());
    if (fresh) {
      DedupLayer d;
      if (l.diff_id) d.diff_id = *l.diff_id;
      if (by_chain && l.chain_id) d.chain_id = *l.chain_id;
      d.size = bytes;
      out.push_back(std::move(d));
    }
    auto& imgs = out[it->second].images;
    if (std::find(imgs.begin(), imgs.end(), ref) == imgs.end()) imgs.push_back(ref);
    return it->second;
  };

  std::map<std::string, std::size_t> by_chain, by_diff;
  std::vector<std::vector<std::size_t>> image_layers(inputs.size());
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const DedupInput& in = inputs[i];
    for (const Layer& l : in.image->layers) {
      std::uint64_t bytes = size_of[size_key(l, *in.image)];
      std::string chain_key = layer_key(l, in.image->id());
      image_layers[i].push_back(group(r.layers, by_chain, chain_key, l, true, in.ref, bytes));
      group(r.diff_ids, by_diff, l.diff_id ? l.diff_id->str() : chain_key, l, false, in.ref, bytes);
    }
  }
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    DedupImage d;
    d.ref = inputs[i].ref;
    d.id = inputs[i].image->id();
    std::set<std::size_t> seen;  // a layer repeated in one image is stored once
    for (std::size_t k : image_layers[i]) {
      ++d.layers;
      if (!seen.insert(k).second) continue;
      d.size += r.layers[k].size;
      if (r.layers[k].images.size() > 1) d.shared_size += r.layers[k].size;
    }
    d.unique_size = d.size - d.shared_size;
    r.total_size += d.size;
    r.images.push_back(std::move(d));
  }
  for (const DedupLayer& l : r.layers) r.unique_size += l.size;
  r.saved_size = r.total_size - r.unique_size;
  return r;
}

}  // namespace layerkit
