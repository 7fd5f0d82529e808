#include "layerkit/verify.hpp"

#include <set>

#include <fmt/format.h>

#include "layerkit/error.hpp"

namespace layerkit {
namespace {

std::string image_name(const Image& img) {
  if (!img.references.empty()) return img.references.front();
  if (!img.id().empty()) return img.id().short_hex();
  return "image " + img.index_path;
}

void add(VerifyReport& r, const std::string& image, std::optional<std::size_t> layer, std::string member,
         std::string kind, std::string expected, std::string actual, std::string message) {
  r.ok = false;
  r.problems.push_back({image, layer, std::move(member), std::move(kind), std::move(expected), std::move(actual),
                        std::move(message)});
}

std::string where(const std::string& image, std::optional<std::size_t> layer, const std::string& member) {
  std::string s = image;
  if (layer) s += fmt::format(" layer {}", *layer);
  if (!member.empty()) s += fmt::format(" ({})", member);
  return s;
}

}  // namespace

VerifyReport verify(const Archive& archive, const VerifyOptions& options) {
  VerifyReport r;
  r.archive = archive.path();
  if (const auto& lone = archive.loose_layer(); lone && options.image.empty()) {
    // Nothing declares its digests: compute them, and check that it is a whole tar.
    auto scans = archive.scan_many({&*lone}, ScanDepth::full, 1, options.progress);
    VerifiedLayer vl;
    vl.present = true;
    const std::string name = "lone layer";
    if (!scans[0].scan) {
      add(r, name, 0, "", "unreadable", "", errc_name(scans[0].error),
          fmt::format("{}: cannot be read: {}", archive.path(), scans[0].message));
    } else {
      vl.digest = scans[0].scan->blob_digest;
      vl.diff_id = scans[0].scan->diff_id;
      // Nothing declares a lone tar's digests, so its own end marker is the
      // only sign that it is whole.
      const LayerScan& s = *scans[0].scan;
      const std::string& problem = !s.tar_ok ? s.tar_problem : s.missing_end_marker;
      if (!problem.empty())
        add(r, name, 0, "", "tar", "a complete tar stream", problem,
            fmt::format("{}: not a complete tar stream: {}", archive.path(), problem));
    }
    vl.ok = r.ok;
    r.lone_layer = vl;
    return r;
  }
  std::vector<const Image*> images;
  if (!options.image.empty()) {
    images.push_back(&archive.find_image(options.image));
  } else {
    for (const Image& i : archive.images()) images.push_back(&i);
  }

  // JSON blobs hashed at open: indexes, manifests, configs.
  auto check_json_blob = [&](BlobCheck c, const std::string& owner) {
    if (!owner.empty()) c.image = owner;  // named as the image is named everywhere else
    bool is_config = c.what.rfind("config", 0) == 0;
    if (!c.declared_digest.empty()) {
      if (!c.declared_digest.verifiable()) {
        add(r, c.image, std::nullopt, c.member, "unverifiable", c.declared_digest.str(), "",
            fmt::format("{}: {} is named by {}, an algorithm layerkit cannot compute", c.image, c.what,
                        c.declared_digest.str()));
      } else if (c.actual_digest != c.declared_digest) {
        add(r, c.image, std::nullopt, c.member, is_config ? "config_digest" : "manifest_digest",
            c.declared_digest.str(), c.actual_digest.str(),
            fmt::format("{}: {} ({}) hashes to {}, expected {}", c.image, c.what, c.member, c.actual_digest.str(),
                        c.declared_digest.str()));
      }
    }
    if (c.declared_size >= 0 && c.declared_size != c.actual_size) {
      add(r, c.image, std::nullopt, c.member, "size", std::to_string(c.declared_size), std::to_string(c.actual_size),
          fmt::format("{}: {} ({}) is {} bytes, its descriptor says {}", c.image, c.what, c.member, c.actual_size,
                      c.declared_size));
    }
  };
  for (const BlobCheck& c : archive.blob_checks())
    if (c.image_path.empty()) check_json_blob(c, "");

  // Layers: every distinct blob read once, on worker threads.
  std::vector<const Layer*> layers;
  for (const Image* i : images)
    for (const Layer& l : i->layers) layers.push_back(&l);
  std::vector<Archive::ScanResult> scans = archive.scan_many(layers, ScanDepth::full, options.threads,
                                                             options.progress);
  std::set<std::string> noted;
  std::size_t k = 0;
  for (const Image* img : images) {
    const std::string name = image_name(*img);
    VerifiedImage vi;
    vi.ref = img->display_name();
    vi.id = img->id();
    vi.ok = true;
    std::size_t before = r.problems.size();
    for (const BlobCheck& c : archive.blob_checks())
      if (c.image_path == img->index_path) check_json_blob(c, name);

    for (const MissingBlob& m : img->missing) {
      // A missing layer: name its index, and expect its blob digest (or diff_id).
      std::optional<std::size_t> layer;
      std::string expected = m.digest.str();
      for (const Layer& l : img->layers) {
        if (l.present || l.member != m.member) continue;
        layer = l.index;
        if (expected.empty() && l.diff_id) expected = l.diff_id->str();
        break;
      }
      add(r, name, layer, m.member, "missing", expected, "",
          fmt::format("{}: {} ({}) is absent from the archive", name, m.what,
                      m.digest.empty() ? m.member : m.digest.str()));
    }
    if (img->complete() && img->artifact_type.empty()) {
      const ImageConfig& c = img->config;
      std::size_t nl = img->layers.size(), nd = c.diff_ids.size(), nh = c.non_empty_history();
      if (nl != nd || (!c.history.empty() && nh != nl)) {
        add(r, name, std::nullopt, img->config_member, "count",
            fmt::format("{} layers", nl),
            fmt::format("{} diff_ids, {} non-empty history entries", nd, c.history.empty() ? nl : nh),
            fmt::format("{}: the manifest lists {} layers, the config {} diff_ids and {} non-empty history entries",
                        name, nl, nd, c.history.empty() ? std::string("no") : std::to_string(nh)));
      }
    }

    for (const Layer& l : img->layers) {
      const Archive::ScanResult& sr = scans[k++];
      VerifiedLayer vl;
      vl.index = l.index;
      vl.present = l.present;
      vl.foreign = l.foreign;
      std::size_t layer_before = r.problems.size();
      if (!l.present) {
        vl.ok = l.foreign;
        vi.layers.push_back(vl);
        continue;
      }
      if (!sr.scan) {
        add(r, name, l.index, l.member, "unreadable", "", errc_name(sr.error),
            fmt::format("{}: cannot be read: {}", where(name, l.index, l.member), sr.message));
        vi.layers.push_back(vl);
        continue;
      }
      const LayerScan& s = *sr.scan;
      vl.digest = s.blob_digest;
      vl.diff_id = s.diff_id;
      const Digest& declared = l.descriptor.digest;
      bool check_blob = !declared.empty() && l.digest_source != Layer::DigestSource::computed &&
                        l.digest_source != Layer::DigestSource::diff_id;
      if (check_blob && !declared.verifiable()) {
        add(r, name, l.index, l.member, "unverifiable", declared.str(), "",
            fmt::format("{}: named by {}, an algorithm layerkit cannot compute", where(name, l.index, l.member),
                        declared.str()));
      } else if (check_blob && s.blob_digest != declared) {
        add(r, name, l.index, l.member, "blob_digest", declared.str(), s.blob_digest.str(),
            fmt::format("{}: blob hashes to {}, expected {}", where(name, l.index, l.member), s.blob_digest.str(),
                        declared.str()));
      }
      if (l.descriptor.size >= 0 && static_cast<std::uint64_t>(l.descriptor.size) != s.blob_bytes) {
        add(r, name, l.index, l.member, "size", std::to_string(l.descriptor.size), std::to_string(s.blob_bytes),
            fmt::format("{}: blob is {} bytes, its descriptor says {}", where(name, l.index, l.member), s.blob_bytes,
                        l.descriptor.size));
      }
      if (l.diff_id) {
        if (!l.diff_id->verifiable()) {
          add(r, name, l.index, l.member, "unverifiable", l.diff_id->str(), "",
              fmt::format("{}: diff_id {} uses an algorithm layerkit cannot compute", where(name, l.index, l.member),
                          l.diff_id->str()));
        } else if (s.diff_id.empty()) {
          add(r, name, l.index, l.member, "unreadable", l.diff_id->str(), "",
              fmt::format("{}: does not decompress ({}), so its diff_id cannot be checked",
                          where(name, l.index, l.member), s.tar_problem));
        } else if (s.diff_id != *l.diff_id) {
          add(r, name, l.index, l.member, "diff_id", l.diff_id->str(), s.diff_id.str(),
              fmt::format("{}: uncompressed tar hashes to {}, the config's diff_id is {}",
                          where(name, l.index, l.member), s.diff_id.str(), l.diff_id->str()));
        }
      }
      if (!s.tar_ok && noted.insert(l.member).second)
        r.notes.push_back(fmt::format("{}: not a complete tar stream: {}", where(name, l.index, l.member),
                                      s.tar_problem));
      else if (!s.missing_end_marker.empty() && noted.insert(l.member).second)
        r.notes.push_back(fmt::format("{}: {} (tar readers take it as complete; the layer's digests decide)",
                                      where(name, l.index, l.member), s.missing_end_marker));
      vl.ok = r.problems.size() == layer_before;
      vi.layers.push_back(vl);
    }
    vi.ok = r.problems.size() == before;
    r.images.push_back(std::move(vi));
  }
  for (const std::string& w : archive.warnings()) r.notes.push_back(w);
  return r;
}

}  // namespace layerkit
