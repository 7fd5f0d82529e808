// The store through the C++ API (layerkit/store.hpp), on the sample images of
// samples/ (made by podman; their IDs and diff_ids are in samples/expected.json,
// read here with RapidJSON, not with layerkit).
#include <doctest/doctest.h>
#include <rapidjson/document.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "layerkit/archive.hpp"
#include "layerkit/error.hpp"
#include "layerkit/store.hpp"

using namespace layerkit;
namespace fs = std::filesystem;

namespace {

const std::string kSamples = std::string(LAYERKIT_SOURCE_DIR) + "/samples/";

struct Sample {
  std::string ref, id, path;
  std::vector<std::string> diff_ids;
};

std::map<std::string, Sample> samples() {
  std::ifstream in(kSamples + "expected.json");
  std::stringstream ss;
  ss << in.rdbuf();
  rapidjson::Document d;
  d.Parse(ss.str().c_str());
  std::map<std::string, Sample> out;
  for (const auto& i : d["images"].GetArray()) {
    std::string file = i["file"].GetString();
    if (file.find(".docker-archive.tar") == std::string::npos) continue;
    Sample s;
    s.ref = i["ref"].GetString();
    s.id = i["id"].GetString();
    s.path = kSamples + file;
    for (const auto& x : i["diff_ids"].GetArray()) s.diff_ids.push_back(x.GetString());
    out[file.substr(0, file.find('.'))] = s;
  }
  return out;
}

struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() / ("layerkit-store-test-" + std::to_string(::getpid()) + "-" +
                                        std::to_string(reinterpret_cast<std::uintptr_t>(this)));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
};

StoreOptions create() {
  StoreOptions o;
  o.create = true;
  return o;
}

}  // namespace

TEST_CASE("qualified_reference follows containerd's normalisation") {
  CHECK(qualified_reference("busybox") == "docker.io/library/busybox:latest");
  CHECK(qualified_reference("busybox:1.36") == "docker.io/library/busybox:1.36");
  CHECK(qualified_reference("user/app:1") == "docker.io/user/app:1");
  CHECK(qualified_reference("docker.io/busybox:1") == "docker.io/library/busybox:1");
  CHECK(qualified_reference("index.docker.io/library/busybox:1") == "docker.io/library/busybox:1");
  CHECK(qualified_reference("localhost/corpus/app:1.0") == "localhost/corpus/app:1.0");
  CHECK(qualified_reference("host:5000/x") == "host:5000/x:latest");
  CHECK(qualified_reference("quay.io/a/b@sha256:abc") == "quay.io/a/b@sha256:abc");
}

TEST_CASE("save format names") {
  CHECK(parse_save_format("docker-archive") == SaveFormat::docker_archive);
  CHECK(parse_save_format("oci-archive") == SaveFormat::oci_archive);
  CHECK(parse_save_format("oci") == SaveFormat::oci_layout);
  CHECK(std::string(save_format_name(SaveFormat::oci_layout)) == "oci-layout");
  CHECK_THROWS_AS(parse_save_format("zip"), Error);
}

TEST_CASE("open: absent, empty and foreign directories") {
  TempDir t;
  CHECK_THROWS_WITH_AS(Store::open((t.path / "absent").string()), doctest::Contains("does not exist"), Error);
  Store s = Store::open((t.path / "absent").string(), create());  // created by the first write
  CHECK(s.images().empty());
  CHECK_FALSE(fs::exists(t.path / "absent"));
  fs::create_directories(t.path / "foreign");
  std::ofstream(t.path / "foreign" / "notes.txt") << "mine";
  try {
    Store::open((t.path / "foreign").string(), create());
    FAIL("a foreign directory was accepted");
  } catch (const Error& e) {
    CHECK(e.code() == Errc::format_unknown);
  }
}

TEST_CASE("load, find, plan, df, save, rm, gc, verify") {
  auto sm = samples();
  REQUIRE(sm.count("base"));
  REQUIRE(sm.count("runtime"));
  REQUIRE(sm.count("app"));
  TempDir t;
  Store s = Store::open((t.path / "store").string(), create());

  std::vector<LoadEvent::Kind> kinds;
  std::vector<std::string> points;
  LoadOptions o;
  o.on_event = [&](const LoadEvent& e) { kinds.push_back(e.kind); };
  o.checkpoint = [&](std::string_view p) { points.emplace_back(p); };
  LoadReport r = s.load(sm["base"].path, o);
  using K = LoadEvent::Kind;
  CHECK(kinds == std::vector<K>{K::layer_loading, K::layer_loading, K::image_loaded});
  // two layers, the config and the manifest are staged, then committed, then the index
  CHECK(points == std::vector<std::string>{"staged", "staged", "staged", "staged", "committed", "committed",
                                           "committed", "committed", "index-written", "index-renamed"});
  REQUIRE(r.images.size() == 1);
  CHECK(r.images[0].id.str() == sm["base"].id);
  CHECK(r.images[0].manifest_synthesized);
  CHECK(r.blobs_written == 4);

  kinds.clear();
  r = s.load(sm["runtime"].path, o);
  std::size_t shared = sm["base"].diff_ids.size();
  std::vector<K> want(shared, K::layer_exists);
  for (std::size_t i = shared; i < sm["runtime"].diff_ids.size(); ++i) want.push_back(K::layer_loading);
  want.push_back(K::image_loaded);
  CHECK(kinds == want);

  auto imgs = s.images();
  REQUIRE(imgs.size() == 2);
  CHECK(imgs[0].reference == sm["base"].ref);
  CHECK(imgs[1].id().str() == sm["runtime"].id);
  CHECK(imgs[1].size > 0);
  for (std::size_t i = 0; i < imgs[1].layers.size(); ++i) {
    CHECK(imgs[1].layers[i].diff_id->str() == sm["runtime"].diff_ids[i]);
    CHECK(imgs[1].layers[i].present);
    CHECK(s.has_blob(imgs[1].layers[i].descriptor.digest));
  }
  CHECK(s.find(sm["runtime"].id.substr(7, 12)).at(0).reference == sm["runtime"].ref);
  CHECK(s.find(sm["base"].ref.substr(std::string("localhost/").size())).at(0).reference == sm["base"].ref);
  CHECK_THROWS_AS(s.find("nosuch:1"), Error);

  // plan: app against {base, runtime}
  Archive app = Archive::open(sm["app"].path);
  PullPlan p = s.plan(app, app.images().at(0));
  std::size_t have = sm["runtime"].diff_ids.size();
  REQUIRE(p.layers.size() == sm["app"].diff_ids.size());
  for (const PlanLayer& l : p.layers) {
    CHECK(l.exists_by_chain_id == (l.index < have));
    CHECK(std::string(l.status()) == (l.index < have ? "Already exists" : "Pull"));
  }
  CHECK(p.present_bytes > 0);

  DiskUsage u = s.disk_usage();
  CHECK(u.distinct_images == 2);
  CHECK(u.distinct_layers == sm["runtime"].diff_ids.size());
  CHECK(u.images[0].unique_size == 0);  // base is all in runtime
  CHECK(u.images[1].unique_size > 0);
  CHECK(u.unreferenced_blobs == 0);

  StoreVerifyReport v = s.verify();
  CHECK(v.ok);
  CHECK(v.leftovers.empty());
  CHECK(v.blobs == 7);  // 3 layers, 2 configs, 2 manifests

  // save as an OCI layout; read it back as an archive and as a store
  std::string out = (t.path / "layout").string();
  SaveOptions so;
  so.format = SaveFormat::oci_layout;
  SaveReport sr = s.save({sm["runtime"].ref}, out, so);
  CHECK(sr.blobs_written == 5);
  OpenOptions all;
  all.platform = "all";
  Archive back = Archive::open(out, all);
  REQUIRE(back.images().size() == 1);
  CHECK(back.images()[0].id().str() == sm["runtime"].id);
  CHECK(back.images()[0].manifest->digest == imgs[1].manifest_digest());
  CHECK(Store::open(out).images().at(0).reference == sm["runtime"].ref);

  // rm, then gc removes base's config and manifest only
  RemoveReport rr = s.remove({sm["base"].ref});
  CHECK(rr.untagged == std::vector<std::string>{sm["base"].ref});
  REQUIRE(rr.deleted.size() == 1);
  CHECK(rr.deleted[0].str() == sm["base"].id);
  GcOptions dry;
  dry.dry_run = true;
  CHECK(s.gc(dry).blobs.size() == 2);
  GcReport g = s.gc();
  CHECK(g.blobs.size() == 2);
  CHECK_FALSE(s.has_blob(Digest::parse(sm["base"].id)));
  CHECK(s.verify().ok);
}

TEST_CASE("loads from two threads into one store keep both images") {
  auto sm = samples();
  TempDir t;
  std::string dir = (t.path / "store").string();
  std::vector<std::string> errors(2);
  auto worker = [&](int k, const std::string& path) {
    try {
      Store s = Store::open(dir, create());
      for (int i = 0; i < 5; ++i) s.load(path);
    } catch (const std::exception& e) {
      errors[k] = e.what();
    }
  };
  std::thread a(worker, 0, sm["base"].path), b(worker, 1, sm["app"].path);
  a.join();
  b.join();
  CHECK(errors[0].empty());
  CHECK(errors[1].empty());
  Store s = Store::open(dir);
  std::vector<std::string> refs;
  for (const auto& i : s.images()) refs.push_back(i.reference);
  std::sort(refs.begin(), refs.end());
  std::vector<std::string> want{sm["app"].ref, sm["base"].ref};
  std::sort(want.begin(), want.end());
  CHECK(refs == want);
  CHECK(s.verify().ok);
}
