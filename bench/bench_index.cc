// bench_index — opening an uncompressed archive, and scanning a layer.
//
// At start (lazily, per parameter set) the benchmark writes synthetic inputs
// with libarchive into a fresh temporary directory (under $TMPDIR, removed at
// exit), shaped like `podman save --format docker-archive`: one member per
// layer ("<hex>.tar"), the config ("<hex>.json"), manifest.json, repositories.
//
//   BM_IndexTar/LAYERS/LAYER_BYTES      the private indexed-tar source alone:
//                                       read every member header, seek over
//                                       every body. items/s = members.
//   BM_ArchiveOpen/LAYERS/LAYER_BYTES   Archive::open of the same file: the
//                                       index plus manifest.json and config
//                                       read, hashed and parsed, each layer
//                                       member resolved and its magic peeked.
//                                       Time must not grow with LAYER_BYTES.
//   BM_LayerScan/ENTRIES/BODY/DEPTH     Archive::scan of one layer holding
//                                       ENTRIES regular files of BODY bytes
//                                       (plus a directory per 100 files),
//                                       DEPTH 0 = ScanDepth::headers (bodies
//                                       skipped by seeking where they span a
//                                       read block), 1 = ScanDepth::full
//                                       (every byte read and sha256-hashed).
//                                       bytes/s = layer blob bytes; items/s =
//                                       tar entries. The archive is reopened
//                                       outside the timed region each
//                                       iteration, since scans are cached per
//                                       Archive.
// Inputs are in the page cache (just written), so these measure CPU and
// system-call costs, not the disk.
#include <archive.h>
#include <archive_entry.h>
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include <fmt/format.h>

#include "layerkit/archive.hpp"
#include "layerkit/digest.hpp"
#include "source.hpp"

namespace {

namespace fs = std::filesystem;

// ---------------------------------------------------------------------------
// Writing tars with libarchive

la_ssize_t append_to_string(struct archive*, void* data, const void* buf, size_t n) {
  static_cast<std::string*>(data)->append(static_cast<const char*>(buf), n);
  return static_cast<la_ssize_t>(n);
}

class TarWriter {
 public:
  // Into memory.
  explicit TarWriter(std::string* out) : a_(archive_write_new()) {
    setup();
    check(archive_write_open(a_, out, nullptr, append_to_string, nullptr), "open memory");
  }
  // Into a file.
  explicit TarWriter(const fs::path& path) : a_(archive_write_new()) {
    setup();
    check(archive_write_open_filename(a_, path.c_str()), "open file");
  }
  TarWriter(const TarWriter&) = delete;
  TarWriter& operator=(const TarWriter&) = delete;
  ~TarWriter() {
    if (a_) archive_write_free(a_);
  }

  void dir(const std::string& name) { header(name, AE_IFDIR, 0755, 0); }

  void file(const std::string& name, std::string_view body) {
    header(name, AE_IFREG, 0644, body.size());
    std::size_t done = 0;
    while (done < body.size()) {
      la_ssize_t n = archive_write_data(a_, body.data() + done, body.size() - done);
      if (n <= 0) throw std::runtime_error(fmt::format("archive_write_data: {}", err()));
      done += static_cast<std::size_t>(n);
    }
  }

  void close() {
    check(archive_write_close(a_), "close");
    archive_write_free(a_);
    a_ = nullptr;
  }

 private:
  void setup() {
    if (!a_) throw std::runtime_error("archive_write_new failed");
    check(archive_write_set_format_pax_restricted(a_), "format");
    // Like Go's archive/tar (podman, Docker): no padding of the last block.
    check(archive_write_set_bytes_in_last_block(a_, 1), "last block");
  }
  void header(const std::string& name, unsigned type, unsigned mode, std::size_t size) {
    struct archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, name.c_str());
    archive_entry_set_filetype(e, type);
    archive_entry_set_perm(e, mode);
    archive_entry_set_size(e, static_cast<la_int64_t>(size));
    archive_entry_set_mtime(e, 1700000000, 0);
    int r = archive_write_header(a_, e);
    archive_entry_free(e);
    check(r, "header");
  }
  const char* err() const {
    const char* s = archive_error_string(a_);
    return s ? s : "unknown error";
  }
  void check(int r, const char* what) const {
    if (r != ARCHIVE_OK) throw std::runtime_error(fmt::format("libarchive {}: {}", what, err()));
  }
  struct archive* a_;
};

// Deterministic, incompressible bytes.
const std::string& pattern() {
  static const std::string p = [] {
    std::string s(1u << 20, '\0');
    std::uint32_t x = 2463534242u;
    for (auto& c : s) {
      x ^= x << 13;
      x ^= x >> 17;
      x ^= x << 5;
      c = static_cast<char>(x);
    }
    return s;
  }();
  return p;
}

// `bytes` of pattern starting with a unique prefix, so distinct layers differ.
std::string body(std::size_t bytes, std::size_t seed) {
  std::string s;
  s.reserve(bytes);
  std::string tag = fmt::format("layer {}\n", seed);
  s.append(tag.substr(0, std::min(bytes, tag.size())));
  while (s.size() < bytes) s.append(pattern(), (seed * 4099) % 4096, std::min(bytes - s.size(), pattern().size() - 4096));
  return s;
}

// A layer tar: `files` regular files of `file_bytes`, a directory per 100 files.
std::string make_layer(std::size_t files, std::size_t file_bytes, std::size_t seed) {
  std::string out;
  TarWriter w(&out);
  const std::string b = body(file_bytes, seed);
  w.dir("app/");
  for (std::size_t i = 0; i < files; ++i) {
    if (i % 100 == 0) w.dir(fmt::format("app/d{:05}/", i / 100));
    w.file(fmt::format("app/d{:05}/file{:07}.js", i / 100, i), b);
  }
  w.close();
  return out;
}

// A docker-archive (podman's layout) of one image with the given layer tars.
void write_docker_archive(const fs::path& path, const std::vector<std::string>& layers) {
  std::vector<std::string> hexes;
  for (const auto& l : layers) hexes.emplace_back(layerkit::digest_of(l).encoded());
  std::string config = R"({"architecture":"amd64","os":"linux","created":"2023-11-14T22:13:20Z",)"
                       R"("config":{"Cmd":["sh"]},"rootfs":{"type":"layers","diff_ids":[)";
  for (std::size_t i = 0; i < hexes.size(); ++i) config += fmt::format("{}\"sha256:{}\"", i ? "," : "", hexes[i]);
  config += "]},\"history\":[";
  for (std::size_t i = 0; i < hexes.size(); ++i)
    config += fmt::format(R"({}{{"created":"2023-11-14T22:13:20Z","created_by":"/bin/sh -c step {}"}})", i ? "," : "", i);
  config += "]}";
  const std::string config_hex(layerkit::digest_of(config).encoded());
  std::string manifest = fmt::format(R"([{{"Config":"{}.json","RepoTags":["localhost/bench/index:1.0"],"Layers":[)",
                                     config_hex);
  for (std::size_t i = 0; i < hexes.size(); ++i) manifest += fmt::format("{}\"{}.tar\"", i ? "," : "", hexes[i]);
  manifest += "]}]";
  std::string repositories =
      fmt::format(R"({{"localhost/bench/index":{{"1.0":"{}"}}}})", hexes.empty() ? config_hex : hexes.back());

  TarWriter w(path);
  w.file(config_hex + ".json", config);
  for (std::size_t i = 0; i < layers.size(); ++i) w.file(hexes[i] + ".tar", layers[i]);
  w.file("manifest.json", manifest);
  w.file("repositories", repositories);
  w.close();
}

// ---------------------------------------------------------------------------
// Inputs, made once per parameter set, removed at exit

class Inputs {
 public:
  ~Inputs() {
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }

  // An archive of `n` layers, each one file of about `layer_bytes`.
  const fs::path& open_case(std::size_t n, std::size_t layer_bytes) {
    auto key = std::make_tuple(0, n, layer_bytes);
    if (auto it = made_.find(key); it != made_.end()) return it->second;
    std::vector<std::string> layers;
    for (std::size_t i = 0; i < n; ++i) layers.push_back(make_layer(1, layer_bytes > 2048 ? layer_bytes - 2048 : 1, i));
    fs::path p = dir() / fmt::format("open-{}x{}.docker-archive.tar", n, layer_bytes);
    write_docker_archive(p, layers);
    return made_[key] = p;
  }

  // An archive of one layer with `files` files of `file_bytes`.
  const fs::path& scan_case(std::size_t files, std::size_t file_bytes) {
    auto key = std::make_tuple(1, files, file_bytes);
    if (auto it = made_.find(key); it != made_.end()) return it->second;
    fs::path p = dir() / fmt::format("scan-{}x{}.docker-archive.tar", files, file_bytes);
    write_docker_archive(p, {make_layer(files, file_bytes, 0)});
    return made_[key] = p;
  }

 private:
  const fs::path& dir() {
    if (dir_.empty()) {
      std::string tmpl = (fs::temp_directory_path() / "layerkit-bench.XXXXXX").string();
      if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed for " + tmpl);
      dir_ = tmpl;
    }
    return dir_;
  }
  fs::path dir_;
  std::map<std::tuple<int, std::size_t, std::size_t>, fs::path> made_;
};

Inputs& inputs() {
  static Inputs in;
  return in;
}

void archive_counters(benchmark::State& state, const fs::path& p, std::size_t members) {
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(members));
  state.counters["members"] = static_cast<double>(members);
  state.counters["file_MiB"] = static_cast<double>(fs::file_size(p)) / (1u << 20);
}

// ---------------------------------------------------------------------------

void BM_IndexTar(benchmark::State& state) {
  const fs::path& p = inputs().open_case(static_cast<std::size_t>(state.range(0)), static_cast<std::size_t>(state.range(1)));
  std::size_t members = 0;
  for (auto _ : state) {
    auto src = layerkit::open_indexed_tar_source(p.string(), layerkit::Limits{});
    members = src->members().size();
    benchmark::DoNotOptimize(src);
  }
  archive_counters(state, p, members);
}

void BM_ArchiveOpen(benchmark::State& state) {
  const fs::path& p = inputs().open_case(static_cast<std::size_t>(state.range(0)), static_cast<std::size_t>(state.range(1)));
  std::size_t layers = 0;
  for (auto _ : state) {
    auto a = layerkit::Archive::open(p.string());
    layers = a.images().at(0).layers.size();
    benchmark::DoNotOptimize(a);
  }
  archive_counters(state, p, layers + 3);
}

// Many members with small bodies; few members with large bodies (256 MiB).
void open_args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"layers", "layer_bytes"});
  for (std::int64_t n : {10, 100, 1000}) b->Args({n, 16 << 10});
  b->Args({8, 32 << 20});
  b->Unit(benchmark::kMicrosecond);
}
BENCHMARK(BM_IndexTar)->Apply(open_args);
BENCHMARK(BM_ArchiveOpen)->Apply(open_args);

void BM_LayerScan(benchmark::State& state) {
  const auto files = static_cast<std::size_t>(state.range(0));
  const auto file_bytes = static_cast<std::size_t>(state.range(1));
  const auto depth = state.range(2) ? layerkit::ScanDepth::full : layerkit::ScanDepth::headers;
  const fs::path& p = inputs().scan_case(files, file_bytes);
  std::uint64_t entries = 0, blob_bytes = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto a = layerkit::Archive::open(p.string());  // a fresh Archive: scans are cached per Archive
    const layerkit::Layer& layer = a.images().at(0).layers.at(0);
    state.ResumeTiming();
    layerkit::LayerScan s = a.scan(layer, depth);
    entries = s.stats.entries;
    blob_bytes = s.blob_bytes;
    benchmark::DoNotOptimize(s);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(blob_bytes));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(entries));
  state.counters["entries"] = static_cast<double>(entries);
  state.counters["layer_MiB"] = static_cast<double>(blob_bytes) / (1u << 20);
  state.SetLabel(depth == layerkit::ScanDepth::full ? "full" : "headers");
}

void scan_args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"files", "file_bytes", "full"});
  for (std::int64_t full : {0, 1}) {
    for (std::int64_t n : {1000, 10000, 100000}) b->Args({n, 512, full});  // node_modules-like small files
    b->Args({2000, 64 << 10, full});                                        // bodies worth seeking over
  }
  b->Unit(benchmark::kMillisecond);
}
BENCHMARK(BM_LayerScan)->Apply(scan_args);

}  // namespace

BENCHMARK_MAIN();
