// The corpus archives marked hostile or edge: each fails with its own
// documented error, or — where only blobs are absent — opens and reports
// exactly those blobs as absent. `verify` names the flipped, missing or
// truncated member. Expected values come from the corpus's expected JSON.
#include <doctest/doctest.h>

#include <map>

#include "corpus.hpp"
#include "layerkit/archive.hpp"
#include "layerkit/error.hpp"
#include "layerkit/verify.hpp"

using namespace layerkit;

namespace {

Errc open_error(const std::string& path, std::string* message = nullptr) {
  try {
    OpenOptions o;
    o.platform = "all";
    Archive::open(path, o);
  } catch (const Error& e) {
    if (message) *message = e.what();
    return e.code();
  }
  return Errc::ok;
}

Archive open_all(const std::string& path) {
  OpenOptions o;
  o.platform = "all";
  return Archive::open(path, o);
}

}  // namespace

TEST_CASE("hostile corpus: every entry is covered by a test below") {
  REQUIRE_CORPUS(root);
  // The documented outcome of each hostile entry (README "Errors"):
  const std::map<std::string, std::string> outcome = {
      {"base.truncated.docker-archive", "truncated"},
      {"app.truncated.docker-archive.tar.gz", "truncated"},
      {"base.flipped-byte.docker-archive", "verify: diff_id"},
      {"base.missing-layer.docker-archive", "opens: layer 1 absent"},
      {"ext.ggcr.null_manifest", "malformed"},
      {"ext.ggcr.no_manifest", "opens as pre-1.10"},
      {"ext.ggcr.sparse_foreign", "opens: foreign layer absent"},
      {"ext.ggcr.layout.test_gc_image_unknown_mediatype", "opens: manifest absent"},
      {"ext.containers-image.delete_image_shared_blobs_dir", "opens: manifest absent"},
      {"ext.containers-image.two_images_manifest", "opens: manifests absent"},
      {"ext.containers-image.name_lookups", "opens: manifests absent"},
      {"ext.containers-image.manifest", "opens: manifest absent"},
  };
  for (const auto& f : corpus::expected_files(root)) {
    auto exp = corpus::load(f);
    if (!corpus::has(exp, "hostile")) continue;
    std::string name = corpus::str(exp, "name");
    CAPTURE(name);
    CHECK(outcome.count(name) == 1);
  }
}

TEST_CASE("hostile corpus: truncated archives fail with Errc::truncated naming the member") {
  REQUIRE_CORPUS(root);
  for (const char* name : {"base.truncated.docker-archive", "app.truncated.docker-archive.tar.gz"}) {
    CAPTURE(name);
    auto exp = corpus::load(root / "expected" / (std::string(name) + ".json"));
    std::string msg;
    CHECK(open_error((root / corpus::str(exp, "path")).string(), &msg) == Errc::truncated);
    // Both are cut inside the busybox layer, the first member.
    CHECK(msg.find("614da0c96ae92851a94cf8c1f2c47f19a5dff66e0ab2d9b6f329137634973769.tar") != std::string::npos);
  }
}

TEST_CASE("hostile corpus: manifest.json null is malformed") {
  REQUIRE_CORPUS(root);
  auto exp = corpus::load(root / "expected/ext.ggcr.null_manifest.json");
  std::string msg;
  CHECK(open_error((root / corpus::str(exp, "path")).string(), &msg) == Errc::malformed);
  CHECK(msg.find("manifest.json") != std::string::npos);
}

TEST_CASE("hostile corpus: verify names the flipped layer and only it") {
  REQUIRE_CORPUS(root);
  auto exp = corpus::load(root / "expected/base.flipped-byte.docker-archive.json");
  Archive a = open_all((root / corpus::str(exp, "path")).string());
  VerifyReport r = verify(a);
  CHECK_FALSE(r.ok);
  REQUIRE(r.problems.size() == 1);
  const Problem& p = r.problems[0];
  const auto& el = exp["images"][0]["layers"][0];
  CHECK(p.kind == "diff_id");
  CHECK(p.layer == std::optional<std::size_t>(0));
  CHECK(p.member == corpus::str(el, "path"));
  CHECK(p.expected == std::string(exp["images"][0]["config_diff_ids"][0].GetString()));
  CHECK(p.actual == corpus::str(el, "diff_id"));  // what sha256sum says the flipped member hashes to
}

TEST_CASE("hostile corpus: a missing layer member is reported absent, and verify fails on it") {
  REQUIRE_CORPUS(root);
  auto exp = corpus::load(root / "expected/base.missing-layer.docker-archive.json");
  Archive a = open_all((root / corpus::str(exp, "path")).string());
  REQUIRE(a.images().size() == 1);
  const Image& img = a.images()[0];
  REQUIRE(img.missing.size() == 1);
  CHECK(img.missing[0].what == "layer 1");
  CHECK(img.missing[0].member == std::string(exp["images"][0]["layer_paths"][1].GetString()));
  CHECK_FALSE(img.layers[1].present);
  CHECK(img.layers[0].present);
  VerifyReport r = verify(a);
  CHECK_FALSE(r.ok);
  REQUIRE(r.problems.size() == 1);
  CHECK(r.problems[0].kind == "missing");
}

TEST_CASE("hostile corpus: an archive without manifest.json opens as the pre-1.10 layout") {
  REQUIRE_CORPUS(root);
  auto exp = corpus::load(root / "expected/ext.ggcr.no_manifest.json");
  Archive a = open_all((root / corpus::str(exp, "path")).string());
  CHECK(a.legacy_v1());
  std::map<std::string, std::string> digest_of_member;
  for (const auto& v1 : exp["legacy_v1"].GetArray())
    digest_of_member[corpus::str(v1, "id") + "/layer.tar"] = corpus::str(v1["layer"], "digest");
  REQUIRE(a.images().size() == 1);
  for (const Layer& l : a.images()[0].layers) CHECK(l.descriptor.digest.str() == digest_of_member[l.member]);
  // The image is named by repositories, and its ID is the v1 ID it names.
  const auto& repos = exp["repositories"];
  const auto& repo = *repos.MemberBegin();
  const auto& tag = *repo.value.MemberBegin();
  CHECK(a.images()[0].references ==
        std::vector<std::string>{std::string(repo.name.GetString()) + ":" + tag.name.GetString()});
  CHECK(a.images()[0].id().str() == std::string("sha256:") + tag.value.GetString());
}

TEST_CASE("hostile corpus: a foreign layer absent from the archive is foreign, not missing") {
  REQUIRE_CORPUS(root);
  auto exp = corpus::load(root / "expected/ext.ggcr.sparse_foreign.json");
  Archive a = open_all((root / corpus::str(exp, "path")).string());
  REQUIRE(a.images().size() == 1);
  const Image& img = a.images()[0];
  REQUIRE(img.layers.size() == 2);
  CHECK(img.missing.empty());
  CHECK(img.layers[0].present);
  CHECK_FALSE(img.layers[1].present);
  CHECK(img.layers[1].foreign);
  // LayerSources describes it: media type, digest and urls come from there.
  const auto& src = exp["images"][0]["layer_sources"].MemberBegin()->value;
  CHECK(img.layers[1].descriptor.digest.str() == corpus::str(src, "digest"));
  CHECK(img.layers[1].descriptor.media_type == corpus::str(src, "mediaType"));
  CHECK(img.layers[1].descriptor.urls == std::vector<std::string>{src["urls"][0].GetString()});
  CHECK(verify(a).ok);
}

TEST_CASE("hostile corpus: layouts whose manifests are absent open and list exactly those blobs") {
  REQUIRE_CORPUS(root);
  for (const char* name : {"ext.ggcr.layout.test_gc_image_unknown_mediatype",
                           "ext.containers-image.delete_image_shared_blobs_dir",
                           "ext.containers-image.two_images_manifest", "ext.containers-image.name_lookups",
                           "ext.containers-image.manifest"}) {
    CAPTURE(name);
    auto exp = corpus::load(root / "expected" / (std::string(name) + ".json"));
    Archive a = open_all((root / corpus::str(exp, "path")).string());
    const auto& imgs = exp["images"].GetArray();
    REQUIRE(a.images().size() == imgs.Size());
    for (rapidjson::SizeType i = 0; i < imgs.Size(); ++i) {
      REQUIRE(corpus::truthy(imgs[i], "missing"));
      const Image& img = a.images()[i];
      REQUIRE(img.missing.size() == 1);
      CHECK(img.missing[0].what == "manifest");
      CHECK(img.missing[0].digest.str() == corpus::str(imgs[i]["descriptor"], "digest"));
    }
    VerifyReport r = verify(a);
    CHECK_FALSE(r.ok);
    CHECK(r.problems.size() == imgs.Size());
    for (const auto& p : r.problems) CHECK(p.kind == "missing");
  }
}
