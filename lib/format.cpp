// The format module: detects what an archive is, from its content, and reads
// its manifests, configs and indexes into Images (docker-archive of every
// generation, OCI layout and archive, docker dir, layer tar).
#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "archive_impl.hpp"
#include "json.hpp"
#include "layer_scan.hpp"
#include "layerkit/error.hpp"
#include "layerkit/text.hpp"
#include "oci.hpp"

namespace layerkit {

const char* format_name(Format f) noexcept {
  switch (f) {
    case Format::docker_archive: return "docker-archive";
    case Format::oci_layout: return "oci-layout";
    case Format::oci_archive: return "oci-archive";
    case Format::docker_dir: return "docker-dir";
    case Format::layer_tar: return "layer-tar";
  }
  return "unknown";
}

namespace {

bool is_index_type(std::string_view mt) { return media::is_index(mt); }
bool is_manifest_type(std::string_view mt) { return mt == media::oci_manifest || mt == media::docker_manifest; }
bool is_image_config_type(std::string_view mt) { return media::is_image_config(mt); }
bool is_foreign_type(std::string_view mt) { return media::is_foreign_layer(mt); }

std::string layer_media_type(Compression c) {
  switch (c) {
    case Compression::none: return std::string(media::docker_layer);
    case Compression::gzip: return std::string(media::docker_layer_gzip);
    case Compression::zstd: return std::string(media::docker_layer_zstd);
    default: return std::string(media::docker_layer) + "+" + compression_name(c);
  }
}

std::string blob_path(const Digest& d) { return fmt::format("blobs/{}/{}", d.algorithm_name(), d.encoded()); }

bool is_hex64(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// The digest an OCI layout path declares: blobs/<alg>/<encoded>. Other names
// ("<hex>.json", "sha256:<hex>", "<hex>.tar.gz") are conventions of the
// writing tool, not content addresses: Docker computes the ID from the bytes,
// and tools rewrite configs without renaming them.
std::optional<Digest> digest_from_member_name(std::string_view name) {
  if (name.substr(0, 6) != "blobs/") return std::nullopt;
  std::string_view rest = name.substr(6);
  auto slash = rest.find('/');
  if (slash == std::string_view::npos || rest.find('/', slash + 1) != std::string_view::npos) return std::nullopt;
  return Digest::try_parse(fmt::format("{}:{}", rest.substr(0, slash), rest.substr(slash + 1)));
}

std::string join_refs(const std::vector<std::string>& refs) {
  std::string s;
  for (const auto& r : refs) s += (s.empty() ? "" : ", ") + r;
  return s;
}


// Reads the archive into the Impl.
class Reader {
 public:
  explicit Reader(Archive::Impl& a) : a_(a), lim_(a.opts.limits) {}

  void read() {
    const Source& s = *a_.src;
    if (const Member* m = find("manifest.json")) {
      std::string bytes = s.read_all(*m, lim_.manifest_json_bytes, "manifest.json");
      json::Document doc = json::parse(bytes, "manifest.json", lim_.json_depth);
      if (doc.IsArray()) {
        if (doc.Empty())
          throw Error(Errc::malformed, "manifest.json: lists no images (an empty array)");
        a_.format = Format::docker_archive;
        a_.oci_layout = find("index.json") != nullptr;
        read_docker_archive(doc);
        return;
      }
      if (doc.IsObject() && s.directory()) {
        a_.format = Format::docker_dir;
        read_docker_dir(bytes, *m);
        return;
      }
      throw Error(Errc::malformed,
                  fmt::format("manifest.json: expected an array of images, got {}", json::type_name(doc)));
    }
    if (find("index.json")) {
      a_.format = s.directory() ? Format::oci_layout : Format::oci_archive;
      read_oci_layout();
      return;
    }
    if (find("repositories")) {
      a_.format = Format::docker_archive;
      a_.legacy = true;
      read_legacy_v1();
      return;
    }
    if (!s.directory() && !s.members().empty()) {
      // A tar of image members without the file that lists them is an image
      // archive cut short (podman and skopeo write manifest.json last), not a layer.
      for (const Member& m : s.members()) {
        std::string_view n = m.name;
        bool image_member = (n.size() > 64 && is_hex64(n.substr(0, 64)) &&
                             (n.substr(64) == ".tar" || n.substr(64) == ".json" || n.substr(64) == ".tar.gz")) ||
                            (n.size() > 65 && is_hex64(n.substr(0, 64)) && n[64] == '/' &&
                             (n.substr(65) == "layer.tar" || n.substr(65) == "json")) ||
                            n.substr(0, 13) == "blobs/sha256/" || n == "oci-layout";
        if (image_member)
          throw Error(Errc::malformed,
                      fmt::format("{}: holds image members ({:?}) but no manifest.json, index.json or "
                                  "repositories: an incomplete image archive (cut short?)",
                                  a_.path, m.name));
      }
      a_.format = Format::layer_tar;
      Layer l;
      l.member = "";
      l.present = true;
      l.digest_source = Layer::DigestSource::computed;
      a_.loose = l;
      return;
    }
    throw Error(Errc::format_unknown,
                fmt::format("{}: no manifest.json, index.json or repositories: not an image archive or layout",
                            a_.path));
  }

 private:
  struct IndexLeaf {
    Descriptor desc;
    std::string path;               // "1.0"
    std::vector<std::string> refs;  // from the top-level descriptor's annotations
    bool attestation = false;
    bool manifest_found = false;
    std::string manifest_json;
    std::string manifest_member;
    Digest config_digest;
    std::size_t top = 0;            // top-level position
  };

  // A member by path (links resolved), nullptr when absent. Escapes throw.
  const Member* find(std::string_view name) {
    try {
      return &a_.src->resolve(name, lim_.symlink_hops, name);
    } catch (const Error& e) {
      if (e.code() == Errc::not_found) return nullptr;
      throw;
    }
  }

  struct Blob {
    std::string bytes;
    std::string member;
    bool found = false;
  };

  // Reads a JSON blob whole (under the limit) and records what it hashes to.
  Blob read_json_blob(std::string_view member_name, const Digest& declared, std::int64_t declared_size,
                      const std::string& what, const std::string& image, const std::string& image_path) {
    Blob b;
    const Member* m = find(member_name);
    if (!m) return b;
    b.member = m->name;
    b.bytes = a_.src->read_all(*m, lim_.json_bytes, what);
    b.found = true;
    BlobCheck c;
    c.what = what;
    c.member = m->name;
    c.declared_digest = declared;
    c.declared_size = declared_size;
    c.actual_digest = digest_of(b.bytes, declared.verifiable() && !declared.empty() ? declared.algorithm()
                                                                                     : DigestAlgorithm::sha256);
    c.actual_size = static_cast<std::int64_t>(b.bytes.size());
    c.image = image;
    c.image_path = image_path;
    a_.checks.push_back(std::move(c));
    return b;
  }

  Compression peek_compression(const Member& m) {
    if (auto it = a_.scans.find(m.name); it != a_.scans.end()) return it->second.compression;
    auto r = a_.src->open(m);
    unsigned char buf[8];
    std::size_t have = 0;
    while (have < sizeof buf) {
      std::size_t got = r->read(buf + have, sizeof buf - have);
      if (got == 0) break;
      have += got;
    }
    return sniff_compression(buf, have);
  }

  void parse_config_into(Image& img, const std::string& what) {
    img.config = parse_image_config(img.config_json, what, lim_.json_depth, lim_.layers_per_image);
  }

  void check_layer_count(std::size_t n, const std::string& what) {
    if (n > lim_.layers_per_image)
      throw Error(Errc::limit_exceeded,
                  fmt::format("{}: {} layers, over the limit of {} layers per image", what, n, lim_.layers_per_image));
  }

  // An image outside an index says its platform in its config only. One the
  // user did not ask for (an explicit --platform) is left out with a warning.
  bool platform_refused(const Image& img) {
    if (!a_.opts.platform_explicit || a_.opts.platform == "all" || a_.opts.platform.empty()) return false;
    Platform want = Platform::parse(a_.opts.platform);
    Platform have{img.config.os, img.config.architecture, img.config.variant, ""};
    if (have.os.empty() || have.architecture.empty() || have.satisfies(want)) return false;
    a_.warnings.push_back(fmt::format("{}: its platform {} is not {}",
                                      img.references.empty() ? "image " + img.index_path : img.references[0],
                                      have.str(), want.str()));
    return true;
  }

  void add_image(Image img) {
    if (a_.images.size() >= lim_.images_per_archive)
      throw Error(Errc::limit_exceeded,
                  fmt::format("{}: more than {} images", a_.path, lim_.images_per_archive));
    compute_chain_ids(img.layers);
    a_.images.push_back(std::move(img));
  }

  // ------------------------------------------------------------------------
  // docker-archive: manifest.json [{Config, RepoTags, Layers, LayerSources}]

  void read_docker_archive(const json::Document& doc) {
    auto v1_tags = read_repositories();
    std::vector<IndexLeaf> oci_leaves;
    if (a_.oci_layout) oci_leaves = collect_index_leaves(/*for_docker_archive=*/true);
    for (rapidjson::SizeType i = 0; i < doc.Size(); ++i) {
      json::Path at{"manifest.json", fmt::format("[{}]", i)};
      const json::Value& e = doc[i];
      json::require_object(e, at);
      Image img;
      img.index_path = std::to_string(i);
      img.references = json::string_array(e, "RepoTags", at);
      std::string config_path = json::req_string(e, "Config", at);
      std::vector<std::string> layer_paths = json::string_array(e, "Layers", at);
      check_layer_count(layer_paths.size(), at.key("Layers").str());
      std::map<std::string, Descriptor> sources;
      if (const json::Value* ls = json::find_non_null(e, "LayerSources")) {
        json::Path lat = at.key("LayerSources");
        json::require_object(*ls, lat);
        for (auto it = ls->MemberBegin(); it != ls->MemberEnd(); ++it) {
          std::string key(it->name.GetString(), it->name.GetStringLength());
          sources[key] = parse_descriptor(it->value, lat.key(key));
        }
      }
      if (img.references.empty() && !layer_paths.empty()) {
        // Docker <= 24 also names images in `repositories`, by the v1 ID of the top layer dir.
        std::string top;
        if (normalise_member_path(layer_paths.back(), top)) {
          auto slash = top.find('/');
          if (slash != std::string::npos) {
            if (auto it = v1_tags.find(top.substr(0, slash)); it != v1_tags.end()) img.references = it->second;
          }
        }
      }
      std::string name = img.references.empty() ? fmt::format("image {}", i) : img.references.front();

      // Config: the image ID is the digest of its bytes (an OCI layout path also declares one).
      std::string norm_config;
      if (!normalise_member_path(config_path, norm_config))
        throw Error(Errc::unsafe_path,
                    fmt::format("{}: path {:?} leaves the archive", at.key("Config").str(), config_path));
      std::optional<Digest> declared = digest_from_member_name(norm_config);
      Blob cfg = read_json_blob(config_path, declared.value_or(Digest()), -1, "config of " + name, name,
                                img.index_path);
      if (!cfg.found) {
        img.missing.push_back({"config", declared.value_or(Digest()), norm_config});
      } else {
        img.config_json = std::move(cfg.bytes);
        img.config_member = cfg.member;
        img.config_descriptor.media_type = std::string(media::docker_config);
        img.config_descriptor.size = static_cast<std::int64_t>(img.config_json.size());
        img.config_descriptor.digest = a_.checks.back().actual_digest;
        parse_config_into(img, "config " + cfg.member);
      }

      for (std::size_t j = 0; j < layer_paths.size(); ++j) {
        Layer l;
        l.index = j;
        if (j < img.config.diff_ids.size()) l.diff_id = img.config.diff_ids[j];
        std::string norm;
        if (!normalise_member_path(layer_paths[j], norm))
          throw Error(Errc::unsafe_path, fmt::format("{}: path {:?} leaves the archive",
                                                     at.key("Layers").index(j).str(), layer_paths[j]));
        // LayerSources (Docker 25+, go-containerregistry) describes the layer as
        // distributed: for a foreign layer that is all there is; for a stored one
        // it applies only when it names the same bytes.
        const Descriptor* src = nullptr;
        if (l.diff_id) {
          if (auto it = sources.find(l.diff_id->str()); it != sources.end()) src = &it->second;
        }
        if (src) {
          l.foreign = is_foreign_type(src->media_type);
          l.descriptor.urls = src->urls;
        }
        const Member* m = find(layer_paths[j]);
        if (m) {
          l.present = true;
          l.member = m->name;
          Compression c = peek_compression(*m);
          l.descriptor.media_type = layer_media_type(c);
          l.descriptor.size = static_cast<std::int64_t>(m->bytes);
          if (auto d = digest_from_member_name(norm)) {
            l.descriptor.digest = *d;
            l.digest_source = Layer::DigestSource::path;
          } else if (c == Compression::none && l.diff_id) {
            // An uncompressed blob is its own tar stream: its digest is the diff_id.
            l.descriptor.digest = *l.diff_id;
            l.digest_source = Layer::DigestSource::diff_id;
          } else if (src && c != Compression::none) {
            l.descriptor.digest = src->digest;
            l.descriptor.size = src->size;
            l.digest_source = Layer::DigestSource::layer_sources;
          } else if (auto it = a_.scans.find(m->name); it != a_.scans.end() && !it->second.blob_digest.empty()) {
            l.descriptor.digest = it->second.blob_digest;
            l.digest_source = Layer::DigestSource::computed;
          } else {
            l.digest_source = Layer::DigestSource::computed;
          }
          if (src && src->digest == l.descriptor.digest) l.descriptor.media_type = src->media_type;
        } else {
          l.member = norm;
          if (src) {
            l.descriptor = *src;
            l.digest_source = Layer::DigestSource::layer_sources;
            l.foreign = l.foreign || !src->urls.empty();
          }
          if (!l.foreign) img.missing.push_back({fmt::format("layer {}", j), l.descriptor.digest, norm});
        }
        img.layers.push_back(std::move(l));
      }
      if (!oci_leaves.empty()) attach_oci_manifest(img, oci_leaves);
      if (platform_refused(img)) continue;
      add_image(std::move(img));
    }
  }

  // repositories: {"repo": {"tag": "<v1 id>"}} -> v1 id -> ["repo:tag"]
  std::map<std::string, std::vector<std::string>> read_repositories() {
    std::map<std::string, std::vector<std::string>> out;
    const Member* m = find("repositories");
    if (!m) return out;
    std::string bytes = a_.src->read_all(*m, lim_.json_bytes, "repositories");
    json::Document doc = json::parse(bytes, "repositories", lim_.json_depth);
    json::Path at{"repositories", ""};
    json::require_object(doc, at);
    for (auto r = doc.MemberBegin(); r != doc.MemberEnd(); ++r) {
      std::string repo(r->name.GetString(), r->name.GetStringLength());
      for (const auto& [tag, id] : json::string_map(doc, repo, at)) out[id].push_back(repo + ":" + tag);
    }
    return out;
  }

  // Docker 25+ writes an OCI layout beside manifest.json: take the manifest
  // descriptor and names of the image whose config digest matches.
  void attach_oci_manifest(Image& img, const std::vector<IndexLeaf>& leaves) {
    for (const IndexLeaf& leaf : leaves) {
      if (!leaf.manifest_found || leaf.config_digest != img.id()) continue;
      // The manifest blob's check now belongs to this image.
      for (BlobCheck& c : a_.checks)
        if (c.image_path == leaf.path && c.member == leaf.manifest_member) c.image_path = img.index_path;
      img.manifest = leaf.desc;
      img.manifest_json = leaf.manifest_json;
      // Docker writes a name twice: "busybox:latest" in manifest.json and
      // "docker.io/library/busybox:latest" in index.json. One image, one name.
      for (const std::string& r : leaf.refs) {
        bool known = std::any_of(img.references.begin(), img.references.end(), [&](const std::string& k) {
          return k == r || text::split_repo_tag(k) == text::split_repo_tag(r);
        });
        if (!known) img.references.push_back(r);
      }
      return;
    }
  }

  // ------------------------------------------------------------------------
  // OCI image layout: index.json, nested indexes, manifests

  static std::vector<std::string> refs_of(const Descriptor& d) {
    std::vector<std::string> refs;
    auto cn = d.annotations.find(std::string(annotation::containerd_name));
    auto rn = d.annotations.find(std::string(annotation::ref_name));
    if (cn != d.annotations.end() && !cn->second.empty()) refs.push_back(cn->second);
    else if (rn != d.annotations.end() && !rn->second.empty()) refs.push_back(rn->second);
    return refs;
  }

  std::vector<IndexLeaf> collect_index_leaves(bool for_docker_archive) {
    std::vector<IndexLeaf> leaves;
    const Member* m = find("index.json");
    std::string bytes = a_.src->read_all(*m, lim_.json_bytes, "index.json");
    json::Document doc = json::parse(bytes, "index.json", lim_.json_depth);
    json::Path at{"index.json", ""};
    json::require_object(doc, at);
    if (!for_docker_archive) check_layout_file();
    const json::Value* list = json::find_non_null(doc, "manifests");
    if (!list) return leaves;
    json::Path lat = at.key("manifests");
    json::require_array(*list, lat);
    for (rapidjson::SizeType i = 0; i < list->Size(); ++i) {
      Descriptor d = parse_descriptor((*list)[i], lat.index(i));
      // Inside a docker-archive, index positions are not image positions: keep them apart.
      walk(d, (for_docker_archive ? "index.json/" : "") + std::to_string(i), refs_of(d), 0, i, leaves);
    }
    return leaves;
  }

  void check_layout_file() {
    const Member* m = find("oci-layout");
    if (!m) {
      a_.warnings.push_back("oci-layout file is absent (image-layout.md requires it)");
      return;
    }
    std::string bytes = a_.src->read_all(*m, lim_.json_bytes, "oci-layout");
    json::Document doc = json::parse(bytes, "oci-layout", lim_.json_depth);
    json::Path at{"oci-layout", ""};
    json::require_object(doc, at);
    std::string v = json::opt_string(doc, "imageLayoutVersion", at).value_or("");
    if (v.empty() || v[0] != '1')
      a_.warnings.push_back(fmt::format("oci-layout: imageLayoutVersion {:?} is not 1.x", v));
  }

  void walk(const Descriptor& d, const std::string& path, const std::vector<std::string>& refs, unsigned depth,
            std::size_t top, std::vector<IndexLeaf>& out) {
    if (depth > lim_.index_depth)
      throw Error(Errc::limit_exceeded,
                  fmt::format("index.json: indexes nested deeper than the limit of {}", lim_.index_depth));
    std::string what = fmt::format("manifest {} ({})", path, d.digest.str());
    bool index = is_index_type(d.media_type);
    Blob b;
    if (index || is_manifest_type(d.media_type) || !is_image_config_type(d.media_type)) {
      b = read_json_blob(blob_path(d.digest), d.digest, d.size, what, refs.empty() ? path : refs.front(),
                         is_manifest_type(d.media_type) ? path : "");
    }
    json::Document doc;
    if (b.found) {
      doc = json::parse(b.bytes, what, lim_.json_depth);
      if (!doc.IsObject())
        throw Error(Errc::malformed, fmt::format("{}: expected an object, got {}", what, json::type_name(doc)));
      bool has_manifests = json::find(doc, "manifests") != nullptr;
      bool has_layers = json::find(doc, "layers") != nullptr || json::find(doc, "config") != nullptr;
      if (has_manifests && has_layers)
        throw Error(Errc::malformed,
                    fmt::format("{}: is both an index (manifests) and a manifest (config, layers)", what));
      if (!is_index_type(d.media_type) && !is_manifest_type(d.media_type)) index = has_manifests;
      else if (index != has_manifests && (has_manifests || has_layers))
        throw Error(Errc::malformed, fmt::format("{}: media type {} does not match the content", what, d.media_type));
    }
    if (index && b.found) {
      json::Path at{what, ""};
      const json::Value* list = json::find_non_null(doc, "manifests");
      if (!list) return;
      json::Path lat = at.key("manifests");
      json::require_array(*list, lat);
      for (rapidjson::SizeType i = 0; i < list->Size(); ++i) {
        Descriptor c = parse_descriptor((*list)[i], lat.index(i));
        // A nested descriptor may carry its own names; the top-level ones still apply.
        std::vector<std::string> child_refs = refs_of(c);
        for (const auto& r : refs)
          if (std::find(child_refs.begin(), child_refs.end(), r) == child_refs.end()) child_refs.push_back(r);
        walk(c, fmt::format("{}.{}", path, i), child_refs, depth + 1, top, out);
      }
      return;
    }
    IndexLeaf leaf;
    leaf.desc = d;
    leaf.path = path;
    leaf.refs = refs;
    leaf.top = top;
    auto rt = d.annotations.find(std::string(annotation::reference_type));
    leaf.attestation = (rt != d.annotations.end() && rt->second == "attestation-manifest") ||
                       (d.platform && d.platform->os == "unknown" && d.platform->architecture == "unknown");
    if (b.found) {
      leaf.manifest_found = true;
      leaf.manifest_json = std::move(b.bytes);
      leaf.manifest_member = b.member;
      json::Path at{what, ""};
      if (const json::Value* c = json::find_non_null(doc, "config"))
        leaf.config_digest = parse_descriptor(*c, at.key("config")).digest;
    }
    if (out.size() >= lim_.images_per_archive)
      throw Error(Errc::limit_exceeded, fmt::format("{}: more than {} manifests", a_.path, lim_.images_per_archive));
    out.push_back(std::move(leaf));
  }

  void read_oci_layout() {
    std::vector<IndexLeaf> leaves = collect_index_leaves(false);
    const bool all = a_.opts.platform == "all" || a_.opts.platform.empty();
    Platform want;
    if (!all) want = Platform::parse(a_.opts.platform);
    // Group leaves by top-level entry; an entry that is one manifest is always
    // an image, an index contributes the manifest for the platform.
    for (std::size_t k = 0; k < leaves.size();) {
      std::size_t end = k;
      while (end < leaves.size() && leaves[end].top == leaves[k].top) ++end;
      std::vector<const IndexLeaf*> group;
      for (std::size_t i = k; i < end; ++i) group.push_back(&leaves[i]);
      bool single = group.size() == 1 && group[0]->path.find('.') == std::string::npos;
      if (all) {
        for (const IndexLeaf* l : group) build_oci_image(*l);
      } else if (single) {
        // One manifest, no index: its config says the platform. A platform the
        // user asked for explicitly must match it.
        build_oci_image(*group[0]);
        if (platform_refused(a_.images.back())) a_.images.pop_back();
      } else {
        select_platform(group, want);
      }
      k = end;
    }
  }

  void select_platform(const std::vector<const IndexLeaf*>& group, const Platform& want) {
    std::vector<const IndexLeaf*> exact, unplatformed, present;
    std::vector<std::string> offered;
    for (const IndexLeaf* l : group) {
      if (l->attestation) continue;
      if (l->manifest_found) present.push_back(l);
      if (!l->desc.platform) {
        unplatformed.push_back(l);
        continue;
      }
      offered.push_back(l->desc.platform->str());
      if (l->desc.platform->satisfies(want)) exact.push_back(l);
    }
    std::string ref = group[0]->refs.empty() ? fmt::format("index entry {}", group[0]->top) : group[0]->refs[0];
    if (exact.size() > 1 && want.variant.empty()) {
      // "linux/amd64" picks the one manifest without a variant, if there is one.
      std::vector<const IndexLeaf*> plain;
      for (const IndexLeaf* l : exact)
        if (l->desc.platform->variant.empty()) plain.push_back(l);
      if (plain.size() == 1) exact = plain;
    }
    if (exact.size() > 1) {
      std::vector<std::string> names;
      for (const IndexLeaf* l : exact) names.push_back(l->desc.platform->str());
      throw Error(Errc::ambiguous, fmt::format("{}: {} manifests match platform {}: {}; choose one with --platform "
                                               "os/arch/variant",
                                               ref, exact.size(), want.str(), join_refs(names)));
    }
    if (exact.size() == 1) {
      build_oci_image(*exact[0]);
      return;
    }
    if (offered.empty()) {
      // An index that names no platform at all (e.g. a referrers index of
      // artifacts) is not a platform choice: every manifest in it is an image.
      for (const IndexLeaf* l : unplatformed) build_oci_image(*l);
      return;
    }
    if (!a_.opts.platform_explicit && present.size() == 1) {
      // Docker's containerd store saves only the platform that was pulled.
      build_oci_image(*present[0]);
      return;
    }
    a_.warnings.push_back(fmt::format("{}: no manifest for platform {} (available: {})", ref, want.str(),
                                      join_refs(offered)));
  }

  void build_oci_image(const IndexLeaf& leaf) {
    Image img;
    img.index_path = leaf.path;
    img.references = leaf.refs;
    img.manifest = leaf.desc;
    std::string name = img.references.empty() ? "image " + leaf.path : img.references.front();
    if (!leaf.manifest_found) {
      img.missing.push_back({"manifest", leaf.desc.digest, blob_path(leaf.desc.digest)});
      add_image(std::move(img));
      return;
    }
    img.manifest_json = leaf.manifest_json;
    read_manifest_into(img, name, [](const Digest& d) { return blob_path(d); });
    add_image(std::move(img));
  }

  // Reads config and layers of an OCI / Docker v2 manifest already in img.manifest_json.
  template <typename BlobPathFn>
  void read_manifest_into(Image& img, const std::string& name, BlobPathFn path_of) {
    std::string what = "manifest of " + name;
    json::Document doc = json::parse(img.manifest_json, what, lim_.json_depth);
    json::Path at{what, ""};
    json::require_object(doc, at);
    if (json::find(doc, "manifests"))
      throw Error(Errc::malformed, fmt::format("{}: is both an index (manifests) and a manifest", what));
    const json::Value* cfg = json::find_non_null(doc, "config");
    if (!cfg) throw Error(Errc::malformed, fmt::format("{}: required field is missing", at.key("config").str()));
    img.config_descriptor = parse_descriptor(*cfg, at.key("config"));
    const json::Value* layers = json::find_non_null(doc, "layers");
    std::vector<Descriptor> descs;
    if (layers) {
      json::require_array(*layers, at.key("layers"));
      check_layer_count(layers->Size(), at.key("layers").str());
      for (rapidjson::SizeType i = 0; i < layers->Size(); ++i)
        descs.push_back(parse_descriptor((*layers)[i], at.key("layers").index(i)));
    }
    const Digest& cd = img.config_descriptor.digest;
    bool image_config = is_image_config_type(img.config_descriptor.media_type);
    if (!image_config) img.artifact_type = img.config_descriptor.media_type;
    Blob b = read_json_blob(path_of(cd), cd, img.config_descriptor.size, "config of " + name, name, img.index_path);
    if (!b.found) {
      img.missing.push_back({"config", cd, path_of(cd)});
    } else {
      img.config_json = std::move(b.bytes);
      img.config_member = b.member;
      if (image_config) parse_config_into(img, "config " + cd.str());
    }
    for (std::size_t j = 0; j < descs.size(); ++j) {
      Layer l;
      l.index = j;
      l.descriptor = descs[j];
      l.digest_source = Layer::DigestSource::manifest;
      if (j < img.config.diff_ids.size()) l.diff_id = img.config.diff_ids[j];
      l.foreign = is_foreign_type(l.descriptor.media_type);
      std::string p = path_of(l.descriptor.digest);
      if (const Member* m = find(p)) {
        l.present = true;
        l.member = m->name;
      } else {
        l.member = p;
        if (!l.foreign && l.descriptor.urls.empty())
          img.missing.push_back({fmt::format("layer {}", j), l.descriptor.digest, p});
        else
          l.foreign = true;
      }
      img.layers.push_back(std::move(l));
    }
  }

  // ------------------------------------------------------------------------
  // skopeo dir: manifest.json (one manifest object), blobs named by their hex

  void read_docker_dir(const std::string& manifest_bytes, const Member& m) {
    Image img;
    img.index_path = "0";
    img.manifest_json = manifest_bytes;
    Descriptor d;
    d.digest = digest_of(manifest_bytes);
    d.size = static_cast<std::int64_t>(manifest_bytes.size());
    json::Document doc = json::parse(manifest_bytes, "manifest.json", lim_.json_depth);
    json::Path at{"manifest.json", ""};
    d.media_type = json::opt_string(doc, "mediaType", at).value_or(std::string(media::oci_manifest));
    img.manifest = d;
    (void)m;
    read_manifest_into(img, "manifest.json", [this](const Digest& dg) {
      std::string hex(dg.encoded());
      if (dg.algorithm() != DigestAlgorithm::sha256 && !find(hex))
        return fmt::format("{}-{}", dg.algorithm_name(), dg.encoded());
      return hex;
    });
    if (platform_refused(img)) return;
    add_image(std::move(img));
  }

  // ------------------------------------------------------------------------
  // pre-1.10 docker save: repositories + <v1 id>/{json,layer.tar}, parent chains

  void read_legacy_v1() {
    auto tags = read_repositories();
    // One image per distinct v1 ID, in repositories order of first appearance.
    for (const auto& [id, refs] : tags) {
      Image img;
      img.references = refs;
      img.legacy_v1 = true;
      img.index_path = id;
      std::vector<std::string> chain;  // top first
      std::set<std::string> seen;
      std::string cur = id;
      std::string top_json;
      while (!cur.empty()) {
        if (!is_hex64(cur))
          throw Error(Errc::malformed, fmt::format("{}/json: parent {:?} is not a v1 image ID", chain.empty() ? id : chain.back(), cur));
        if (!seen.insert(cur).second)
          throw Error(Errc::malformed, fmt::format("{}/json: parent chain loops back to {}", id, cur));
        check_layer_count(chain.size() + 1, fmt::format("v1 image {}", id));
        const Member* jm = find(cur + "/json");
        if (!jm) {
          img.missing.push_back({fmt::format("v1 image {}", cur), Digest(), cur + "/json"});
          break;
        }
        std::string js = a_.src->read_all(*jm, lim_.json_bytes, cur + "/json");
        if (chain.empty()) top_json = js;
        chain.push_back(cur);
        json::Document doc = json::parse(js, cur + "/json", lim_.json_depth);
        json::Path at{cur + "/json", ""};
        json::require_object(doc, at);
        cur = json::opt_string(doc, "parent", at).value_or("");
        legacy_json_[chain.back()] = std::move(js);
      }
      std::reverse(chain.begin(), chain.end());
      // The config is the top v1 JSON; history has one entry per v1 layer.
      img.config_json = top_json;
      img.config_member = id + "/json";
      img.config_descriptor.digest = Digest::parse("sha256:" + id);
      img.config_descriptor.size = static_cast<std::int64_t>(top_json.size());
      if (!top_json.empty()) {
        img.config = parse_image_config(top_json, id + "/json", lim_.json_depth, lim_.layers_per_image);
        img.config.diff_ids.clear();
        img.config.history.clear();
      }
      for (std::size_t j = 0; j < chain.size(); ++j) {
        const std::string& v1 = chain[j];
        json::Document doc = json::parse(legacy_json_[v1], v1 + "/json", lim_.json_depth);
        json::Path at{v1 + "/json", ""};
        HistoryEntry h;
        h.created = json::opt_string(doc, "created", at).value_or("");
        h.author = json::opt_string(doc, "author", at).value_or("");
        h.comment = json::opt_string(doc, "comment", at).value_or("");
        if (const json::Value* cc = json::find_non_null(doc, "container_config")) {
          bool present = false;
          for (const auto& part : [&] {
                 const json::Value* cmd = json::find_non_null(*cc, "Cmd");
                 present = cmd != nullptr;
                 return present ? json::string_array(*cc, "Cmd", at.key("container_config"))
                                : std::vector<std::string>{};
               }())
            h.created_by += (h.created_by.empty() ? "" : " ") + part;
        }
        img.config.history.push_back(h);
        Layer l;
        l.index = j;
        l.descriptor.media_type = std::string(media::docker_layer);
        const Member* lm = find(v1 + "/layer.tar");
        if (!lm) {
          img.missing.push_back({fmt::format("layer {}", j), Digest(), v1 + "/layer.tar"});
          l.member = v1 + "/layer.tar";
          img.layers.push_back(std::move(l));
          continue;
        }
        l.present = true;
        l.member = lm->name;
        l.descriptor.size = static_cast<std::int64_t>(lm->bytes);
        // No manifest names these blobs: their digests come from reading them.
        LayerScan s = a_.scan_member(lm->name, ScanDepth::full, DigestAlgorithm::sha256,
                                     DigestAlgorithm::sha256, {});
        l.descriptor.digest = s.blob_digest;
        l.digest_source = Layer::DigestSource::computed;
        if (!s.diff_id.empty()) {
          l.diff_id = s.diff_id;
          img.config.diff_ids.push_back(s.diff_id);
        }
        img.layers.push_back(std::move(l));
      }
      img.config.rootfs_type = "layers";
      add_image(std::move(img));
    }
  }

  Archive::Impl& a_;
  const Limits& lim_;
  std::map<std::string, std::string> legacy_json_;
};

}  // namespace

void read_archive(Archive::Impl& a) { Reader(a).read(); }

}  // namespace layerkit
