// Every archive of the shared corpus, against the values its expected JSON
// holds. Those values were read back by peer tools (skopeo, sha256sum, tar,
// gzip/zstd), never by layerkit: see the corpus's CATALOG.md.
#include <doctest/doctest.h>

#include <algorithm>
#include <set>

#include "corpus.hpp"
#include "layerkit/archive.hpp"
#include "layerkit/error.hpp"
#include "layerkit/verify.hpp"

using namespace layerkit;
using rapidjson::Value;

namespace {

std::vector<std::string> string_list(const Value& obj, const char* k) {
  std::vector<std::string> out;
  auto it = obj.FindMember(k);
  if (it == obj.MemberEnd() || !it->value.IsArray()) return out;
  for (const auto& v : it->value.GetArray())
    if (v.IsString()) out.emplace_back(v.GetString());
  return out;
}

std::vector<std::string> digests(const std::vector<Digest>& v) {
  std::vector<std::string> out;
  for (const auto& d : v) out.push_back(d.str());
  return out;
}

// expected "path": [1, 0] -> our Image::index_path "1.0".
std::string index_path(const Value& img) {
  std::string s;
  auto it = img.FindMember("path");
  if (it == img.MemberEnd() || !it->value.IsArray()) return s;
  for (const auto& v : it->value.GetArray()) s += (s.empty() ? "" : ".") + std::to_string(v.GetInt());
  return s;
}

// The members of a tar listing that are symbolic links ("l 0 name -> target").
std::set<std::string> symlink_members(const Value& exp) {
  std::set<std::string> out;
  for (const auto& m : string_list(exp, "members")) {
    if (m.rfind("l ", 0) != 0) continue;
    auto name_start = m.find(' ', 2) + 1;
    out.insert(m.substr(name_start, m.find(" -> ") - name_start));
  }
  return out;
}

OpenOptions all_platforms() {
  OpenOptions o;
  o.platform = "all";  // the expected JSON lists every manifest of every index
  return o;
}

void check_layer(const Archive& a, const Layer& l, const Value& el, const std::set<std::string>& links) {
  CAPTURE(l.index);
  if (corpus::truthy(el, "missing")) {
    CHECK_FALSE(l.present);
    return;
  }
  REQUIRE(l.present);
  LayerScan s = a.scan(l, ScanDepth::full);
  CHECK(s.blob_digest.str() == corpus::str(el, "digest"));
  CHECK(s.diff_id.str() == corpus::str(el, "diff_id"));
  CHECK(s.tar_bytes == el["uncompressed_size"].GetUint64());
  CHECK(compression_name(s.compression) == corpus::str(el, "compression"));
  if (el.HasMember("entries") && corpus::truthy(el, "tar_ok")) CHECK(s.stats.entries == el["entries"].GetUint64());
  CHECK(s.tar_ok == corpus::truthy(el, "tar_ok"));
  // The generator recorded a symlink member's own length; the blob is its target.
  if (!links.count(corpus::str(el, "path"))) CHECK(s.blob_bytes == el["size"].GetUint64());
  if (el.HasMember("descriptor_digest")) {
    CHECK(l.descriptor.digest.str() == corpus::str(el, "descriptor_digest"));
    CHECK(l.descriptor.size == el["descriptor_size"].GetInt64());
  } else if (!l.descriptor.digest.empty() && l.digest_source != Layer::DigestSource::computed) {
    // docker-archive: a digest the archive implies must be the real one.
    CHECK(l.descriptor.digest.str() == corpus::str(el, "digest"));
  }
  if (el.HasMember("media_type") && el["media_type"].IsString())
    CHECK(l.descriptor.media_type == corpus::str(el, "media_type"));
}

void check_image(const Archive& a, const Image& img, const Value& ei, const std::set<std::string>& links) {
  CAPTURE(img.index_path);
  if (corpus::truthy(ei, "missing")) {
    REQUIRE_FALSE(img.missing.empty());
    CHECK(img.missing[0].what == "manifest");
    CHECK(img.missing[0].digest.str() == corpus::str(ei["descriptor"], "digest"));
    return;
  }
  bool artifact = corpus::truthy(ei, "artifact");
  // An OCI artifact: a manifest whose config is not an image config.
  std::string config_type = corpus::str(ei, "config_media_type");
  if (!config_type.empty() && config_type != "application/vnd.oci.image.config.v1+json" &&
      config_type != "application/vnd.docker.container.image.v1+json")
    artifact = true;
  CHECK(!img.artifact_type.empty() == artifact);
  if (ei.HasMember("config_descriptor"))
    CHECK(img.id().str() == corpus::str(ei["config_descriptor"], "digest"));
  else
    CHECK(img.id().str() == corpus::str(ei, "config_digest"));
  if (ei.HasMember("config_size")) CHECK(img.config_json.size() == ei["config_size"].GetUint64());
  if (corpus::has(ei, "repo_tags")) {
    auto tags = string_list(ei, "repo_tags");
    REQUIRE(img.references.size() >= tags.size());
    CHECK(std::vector<std::string>(img.references.begin(), img.references.begin() + tags.size()) == tags);
  }
  if (corpus::has(ei, "ref_name")) {
    auto r = corpus::str(ei, "ref_name");
    CHECK(std::find(img.references.begin(), img.references.end(), r) != img.references.end());
  }
  if (corpus::has(ei, "manifest_digest")) {
    REQUIRE(img.manifest.has_value());
    CHECK(img.manifest->digest.str() == corpus::str(ei, "manifest_digest"));
  }
  if (corpus::truthy(ei, "artifact")) return;
  CHECK(digests(img.config.diff_ids) == string_list(ei, "config_diff_ids"));
  CHECK(img.config.created == corpus::str(ei, "created"));
  CHECK(img.config.os == corpus::str(ei, "os"));
  CHECK(img.config.architecture == corpus::str(ei, "architecture"));
  if (ei.HasMember("num_layers")) CHECK(img.layers.size() == ei["num_layers"].GetUint64());
  // Typed config fields, where the peer tools recorded them.
  if (ei.HasMember("config") && ei["config"].IsObject()) {
    const Value& c = ei["config"];
    if (c.HasMember("Env")) CHECK(img.config.config.env == string_list(c, "Env"));
    if (c.HasMember("Cmd") && c["Cmd"].IsArray()) CHECK(img.config.config.cmd == string_list(c, "Cmd"));
    if (c.HasMember("Entrypoint") && c["Entrypoint"].IsArray())
      CHECK(img.config.config.entrypoint == string_list(c, "Entrypoint"));
    if (c.HasMember("WorkingDir")) CHECK(img.config.config.working_dir == corpus::str(c, "WorkingDir"));
    if (c.HasMember("User")) CHECK(img.config.config.user == corpus::str(c, "User"));
    if (c.HasMember("Labels") && c["Labels"].IsObject()) {
      std::map<std::string, std::string> labels;
      for (const auto& m : c["Labels"].GetObject()) labels[m.name.GetString()] = m.value.GetString();
      CHECK(img.config.config.labels == labels);
    }
    if (c.HasMember("ExposedPorts") && c["ExposedPorts"].IsObject()) {
      std::vector<std::string> ports;
      for (const auto& m : c["ExposedPorts"].GetObject()) ports.emplace_back(m.name.GetString());
      CHECK(img.config.config.exposed_ports == ports);
    }
    if (c.HasMember("Healthcheck") && c["Healthcheck"].IsObject()) {
      REQUIRE(img.config.config.healthcheck.has_value());
      CHECK(img.config.config.healthcheck->test == string_list(c["Healthcheck"], "Test"));
    }
  }
  // History, oldest first.
  if (ei.HasMember("history") && ei["history"].IsArray()) {
    const auto& h = ei["history"].GetArray();
    REQUIRE(img.config.history.size() == h.Size());
    for (rapidjson::SizeType k = 0; k < h.Size(); ++k) {
      CAPTURE(k);
      const HistoryEntry& e = img.config.history[k];
      CHECK(e.created == corpus::str(h[k], "created"));
      CHECK(e.created_by == corpus::str(h[k], "created_by"));
      CHECK(e.comment == corpus::str(h[k], "comment"));
      CHECK(e.empty_layer == corpus::truthy(h[k], "empty_layer"));
    }
  }
  if (ei.HasMember("layers") && ei["layers"].IsArray()) {
    const auto& ls = ei["layers"].GetArray();
    REQUIRE(img.layers.size() == ls.Size());
    for (rapidjson::SizeType j = 0; j < ls.Size(); ++j) check_layer(a, img.layers[j], ls[j], links);
  }
}

}  // namespace

TEST_CASE("corpus: every archive not marked hostile opens and equals its expected JSON") {
  REQUIRE_CORPUS(root);
  int checked = 0;
  for (const auto& file : corpus::expected_files(root)) {
    auto exp = corpus::load(file);
    if (corpus::has(exp, "hostile")) continue;
    std::string name = corpus::str(exp, "name");
    CAPTURE(name);
    std::string path = (root / corpus::str(exp, "path")).string();
    std::string format = corpus::str(exp, "format");
    Archive a = Archive::open(path, all_platforms());
    ++checked;
    CHECK(format_name(a.format()) == format);
    if (format == "layer-tar") {
      REQUIRE(a.loose_layer().has_value());
      CHECK(a.images().empty());
      LayerScan s = a.scan(*a.loose_layer(), ScanDepth::full);
      const Value& el = exp["layer"];
      CHECK(s.blob_digest.str() == corpus::str(el, "digest"));
      CHECK(s.diff_id.str() == corpus::str(el, "diff_id"));
      CHECK(s.stats.entries == el["entries"].GetUint64());
      continue;
    }
    if (corpus::truthy(exp, "legacy_only")) {
      // Pre-1.10: layers are <v1 id>/layer.tar, their digests read from the bytes.
      CHECK(a.legacy_v1());
      std::map<std::string, std::string> digest_of_member;
      for (const auto& v1 : exp["legacy_v1"].GetArray())
        digest_of_member[corpus::str(v1, "id") + "/layer.tar"] = corpus::str(v1["layer"], "digest");
      REQUIRE_FALSE(a.images().empty());
      for (const Image& img : a.images())
        for (const Layer& l : img.layers) CHECK(l.descriptor.digest.str() == digest_of_member[l.member]);
      continue;
    }
    const auto& imgs = exp["images"].GetArray();
    REQUIRE(a.images().size() == imgs.Size());
    auto links = symlink_members(exp);
    for (rapidjson::SizeType i = 0; i < imgs.Size(); ++i) {
      const Image& img = a.images()[i];
      std::string p = index_path(imgs[i]);
      if (!p.empty()) CHECK(img.index_path == p);
      check_image(a, img, imgs[i], links);
    }
    // verify agrees with the peer tools: it passes where skopeo's full copy
    // passed and every digest matched.
    bool peers_ok = true;
    for (const auto& ei : imgs) {
      if (ei.HasMember("skopeo_copy_check") && !corpus::truthy(ei["skopeo_copy_check"], "ok")) peers_ok = false;
      if (ei.HasMember("diff_ids_match_config") && !corpus::truthy(ei, "diff_ids_match_config")) peers_ok = false;
      if (ei.HasMember("manifest_digest_ok") && !corpus::truthy(ei, "manifest_digest_ok")) peers_ok = false;
    }
    if (peers_ok) {
      VerifyReport r = verify(a);
      for (const auto& p : r.problems) CAPTURE(p.message);
      CHECK(r.ok);
    }
  }
  CHECK(checked > 20);
}

TEST_CASE("corpus: a layer shared by three images is read once per archive") {
  REQUIRE_CORPUS(root);
  Archive a = Archive::open((root / "archives/base+runtime+app.podman-multi.docker-archive.tar").string());
  REQUIRE(a.images().size() == 3);
  // The base layer object of each image points at one member; scan_many reads it once.
  std::vector<const Layer*> layers;
  for (const Image& i : a.images()) layers.push_back(&i.layers[0]);
  std::uint64_t progress_total = 0;
  auto r = a.scan_many(layers, ScanDepth::full, 2, [&](std::uint64_t, std::uint64_t total) {
    progress_total = total;
    return true;
  });
  // The expected JSON gives the base layer's stored size: counted once, not three times.
  auto exp = corpus::load(root / "expected/base+runtime+app.podman-multi.docker-archive.json");
  CHECK(progress_total == exp["images"][0]["layers"][0]["size"].GetUint64());
  for (const auto& x : r) CHECK(x.scan->diff_id.str() == corpus::str(exp["images"][0]["layers"][0], "diff_id"));
}

TEST_CASE("corpus: copy_layer passes every stored byte once and verifies in the same pass") {
  REQUIRE_CORPUS(root);
  auto exp = corpus::load(root / "expected/app.podman.oci-archive.json");
  Archive a = Archive::open((root / corpus::str(exp, "path")).string());
  const Image& img = a.images().at(0);
  const auto& layers = exp["images"][0]["layers"];
  for (std::size_t j = 0; j < img.layers.size(); ++j) {
    CAPTURE(j);
    Hasher h;
    std::uint64_t n = 0;
    LayerScan s = a.copy_layer(img.layers[j], [&](const void* p, std::size_t len) {
      h.update(p, len);
      n += len;
    });
    CHECK(n == layers[rapidjson::SizeType(j)]["size"].GetUint64());
    CHECK(h.finish().str() == corpus::str(layers[rapidjson::SizeType(j)], "digest"));
    CHECK(s.diff_id.str() == corpus::str(layers[rapidjson::SizeType(j)], "diff_id"));
  }
  // A compressed docker-archive is read once: its layers cannot be copied afterwards.
  Archive gz = Archive::open((root / "archives/app.podman.docker-archive.tar.gz").string());
  CHECK(gz.read_once());
  try {
    gz.copy_layer(gz.images().at(0).layers.at(0), [](const void*, std::size_t) {});
    FAIL("copied a layer of a read-once archive");
  } catch (const Error& e) {
    CHECK(e.code() == Errc::unsupported);
  }
}
