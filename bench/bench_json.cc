// bench_json — reading the JSON members of an archive.
//
//   BM_JsonParseConfig/N        json::parse (RapidJSON, iterative, UTF-8
//                               validation, depth limit) of an image config
//                               with N history entries and N diff_ids.
//   BM_ParseImageConfig/N       parse_image_config of the same document: the
//                               parse plus every typed accessor and the
//                               Digest::parse of each diff_id (what
//                               Archive::open does per image).
//   BM_JsonParseManifest/M      json::parse of a docker-archive manifest.json
//                               with M image entries (8 layers, 2 tags each).
//   BM_WalkManifest/M           the parse plus reading every entry through the
//                               json accessors (Config, RepoTags, Layers), as
//                               the docker-archive reader does.
// The documents are generated, shaped like what Docker and podman write
// (docker-style "config" object with Env/Cmd/Labels/ExposedPorts/Healthcheck,
// history with created/created_by/comment). Each reports bytes/s of JSON and
// items/s (history entries or manifest entries).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>

#include <fmt/format.h>

#include "json.hpp"
#include "layerkit/digest.hpp"
#include "layerkit/image.hpp"

namespace {

constexpr unsigned kDepth = 64;  // Limits::json_depth default

std::string hex_of(std::size_t i, std::string_view salt) {
  return std::string(layerkit::digest_of(fmt::format("{}-{}", salt, i)).encoded());
}

// An image config with n history entries (all non-empty) and n diff_ids.
std::string make_config(std::size_t n) {
  std::string s;
  s.reserve(n * 330 + 2048);
  s += R"({"architecture":"amd64","os":"linux","created":"2023-11-14T22:13:20Z","author":"bench",)";
  s += R"("config":{"User":"1000:1000","ExposedPorts":{"8080/tcp":{}},)";
  s += R"("Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","LANG=C.UTF-8","NODE_ENV=production","PORT=8080"],)";
  s += R"("Cmd":["node","src/server.js"],"WorkingDir":"/app",)";
  s += R"("Labels":{"org.opencontainers.image.title":"large-app","io.buildah.version":"1.28.2"},)";
  s += R"("Healthcheck":{"Test":["CMD-SHELL","node -e \"require('http').get('http://127.0.0.1:8080/')\""],"Interval":30000000000,"Timeout":3000000000}},)";
  s += R"("rootfs":{"type":"layers","diff_ids":[)";
  for (std::size_t i = 0; i < n; ++i) {
    if (i) s += ',';
    s += "\"sha256:" + hex_of(i, "diff") + '"';
  }
  s += "]},\"history\":[";
  for (std::size_t i = 0; i < n; ++i) {
    if (i) s += ',';
    s += fmt::format(
        R"({{"created":"2023-11-14T22:13:{:02}.{:09}Z","created_by":"/bin/sh -c apt-get update \u0026\u0026 apt-get install -y --no-install-recommends package-{} \u0026\u0026 rm -rf /var/lib/apt/lists/*","comment":"FROM {}"}})",
        i % 60, i, i, hex_of(i, "parent").substr(0, 12));
  }
  s += "]}";
  return s;
}

// A docker-archive manifest.json with m images of 8 layers and 2 tags each.
std::string make_manifest(std::size_t m) {
  std::string s = "[";
  for (std::size_t i = 0; i < m; ++i) {
    if (i) s += ',';
    s += fmt::format(R"({{"Config":"{}.json","RepoTags":["localhost/bench/image{}:1.0","localhost/bench/image{}:latest"],"Layers":[)",
                     hex_of(i, "config"), i, i);
    for (std::size_t j = 0; j < 8; ++j) {
      if (j) s += ',';
      s += '"' + hex_of(i * 8 + j, "layer") + ".tar\"";
    }
    s += "]}";
  }
  s += ']';
  return s;
}

void report(benchmark::State& state, std::size_t bytes, std::size_t items) {
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(bytes));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(items));
  state.counters["json_bytes"] = static_cast<double>(bytes);
}

void BM_JsonParseConfig(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const std::string doc = make_config(n);
  for (auto _ : state) {
    auto d = layerkit::json::parse(doc, "config", kDepth);
    benchmark::DoNotOptimize(d);
  }
  report(state, doc.size(), n);
}
BENCHMARK(BM_JsonParseConfig)->RangeMultiplier(10)->Range(10, 10000);

void BM_ParseImageConfig(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const std::string doc = make_config(n);
  for (auto _ : state) {
    layerkit::ImageConfig c = layerkit::parse_image_config(doc, "config", kDepth, static_cast<std::uint32_t>(n));
    benchmark::DoNotOptimize(c);
  }
  report(state, doc.size(), n);
}
BENCHMARK(BM_ParseImageConfig)->RangeMultiplier(10)->Range(10, 10000);

void BM_JsonParseManifest(benchmark::State& state) {
  const auto m = static_cast<std::size_t>(state.range(0));
  const std::string doc = make_manifest(m);
  for (auto _ : state) {
    auto d = layerkit::json::parse(doc, "manifest.json", kDepth);
    benchmark::DoNotOptimize(d);
  }
  report(state, doc.size(), m);
}
BENCHMARK(BM_JsonParseManifest)->RangeMultiplier(10)->Range(10, 10000);

void BM_WalkManifest(benchmark::State& state) {
  namespace json = layerkit::json;
  const auto m = static_cast<std::size_t>(state.range(0));
  const std::string doc = make_manifest(m);
  for (auto _ : state) {
    json::Document d = json::parse(doc, "manifest.json", kDepth);
    std::size_t layers = 0;
    for (rapidjson::SizeType i = 0; i < d.Size(); ++i) {
      json::Path at{"manifest.json", fmt::format("[{}]", i)};
      const json::Value& e = d[i];
      json::require_object(e, at);
      auto tags = json::string_array(e, "RepoTags", at);
      std::string config = json::req_string(e, "Config", at);
      auto paths = json::string_array(e, "Layers", at);
      layers += paths.size() + tags.size() + config.size();
    }
    benchmark::DoNotOptimize(layers);
  }
  report(state, doc.size(), m);
}
BENCHMARK(BM_WalkManifest)->RangeMultiplier(10)->Range(10, 10000);

}  // namespace

BENCHMARK_MAIN();
