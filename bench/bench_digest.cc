// bench_digest — the digest module's hot paths.
//
//   BM_Sha256/BYTES, BM_Sha512/BYTES   one Hasher over a BYTES buffer
//                                      (construct, update once, finish): the
//                                      cost of hashing a blob held in memory,
//                                      fixed costs included. bytes/s.
//   BM_Sha256Stream/CHUNK              a long stream hashed CHUNK bytes per
//                                      update(), as a layer scan feeds it
//                                      (1 MiB blocks for full scans). bytes/s.
//   BM_DigestParse/KIND                Digest::parse of one valid or invalid
//                                      string (invalid ones throw Error).
//   BM_DigestTryParse/KIND             the same through try_parse (no throw).
//   BM_NextChainId                     one OCI ChainID step.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <vector>

#include "layerkit/digest.hpp"
#include "layerkit/error.hpp"

namespace {

using layerkit::Digest;
using layerkit::DigestAlgorithm;
using layerkit::Hasher;

std::vector<unsigned char> filled(std::size_t n) {
  std::vector<unsigned char> b(n);
  std::uint32_t x = 2463534242u;  // xorshift32: incompressible, deterministic
  for (auto& c : b) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<unsigned char>(x);
  }
  return b;
}

void hash_whole(benchmark::State& state, DigestAlgorithm alg) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const auto buf = filled(n);
  for (auto _ : state) {
    Hasher h(alg);
    h.update(buf.data(), buf.size());
    Digest d = h.finish();
    benchmark::DoNotOptimize(d);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(n));
}

void BM_Sha256(benchmark::State& state) { hash_whole(state, DigestAlgorithm::sha256); }
void BM_Sha512(benchmark::State& state) { hash_whole(state, DigestAlgorithm::sha512); }
// 4 KiB, 64 KiB, 1 MiB, 16 MiB.
BENCHMARK(BM_Sha256)->RangeMultiplier(16)->Range(4 << 10, 16 << 20);
BENCHMARK(BM_Sha512)->RangeMultiplier(16)->Range(4 << 10, 16 << 20);

// A 64 MiB stream fed to one Hasher in CHUNK-byte updates.
void BM_Sha256Stream(benchmark::State& state) {
  const auto chunk = static_cast<std::size_t>(state.range(0));
  constexpr std::size_t total = 64u << 20;
  const auto buf = filled(chunk);
  for (auto _ : state) {
    Hasher h(DigestAlgorithm::sha256);
    for (std::size_t done = 0; done < total; done += chunk) h.update(buf.data(), chunk);
    Digest d = h.finish();
    benchmark::DoNotOptimize(d);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(total));
}
// 512 B (a tar header), 16 KiB, 64 KiB, 1 MiB.
BENCHMARK(BM_Sha256Stream)->Arg(512)->Arg(16 << 10)->Arg(64 << 10)->Arg(1 << 20)->Unit(benchmark::kMillisecond);

// Digest strings, valid and invalid, each failing a different rule.
struct Sample {
  const char* label;
  std::string text;
};

const std::vector<Sample>& samples() {
  static const std::vector<Sample> s = {
      {"valid_sha256", "sha256:" + std::string(64, 'a')},
      {"valid_sha512", "sha512:" + std::string(128, '0')},
      {"valid_other_alg", "multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8"},
      {"bad_uppercase_hex", "sha256:" + std::string(64, 'A')},
      {"bad_length", "sha256:" + std::string(63, 'a')},
      {"bad_no_colon", std::string(71, 'a')},
      {"bad_char_path", "sha256:../../etc/passwd"},
  };
  return s;
}

void BM_DigestParse(benchmark::State& state) {
  const Sample& s = samples()[static_cast<std::size_t>(state.range(0))];
  state.SetLabel(s.label);
  std::int64_t errors = 0;
  for (auto _ : state) {
    try {
      Digest d = Digest::parse(s.text);
      benchmark::DoNotOptimize(d);
    } catch (const layerkit::Error& e) {
      benchmark::DoNotOptimize(e.code());
      ++errors;
    }
  }
  state.counters["errors"] = benchmark::Counter(static_cast<double>(errors), benchmark::Counter::kAvgIterations);
}

void BM_DigestTryParse(benchmark::State& state) {
  const Sample& s = samples()[static_cast<std::size_t>(state.range(0))];
  state.SetLabel(s.label);
  for (auto _ : state) {
    auto d = Digest::try_parse(s.text);
    benchmark::DoNotOptimize(d);
  }
}

void sample_args(benchmark::internal::Benchmark* b) {
  for (std::size_t i = 0; i < samples().size(); ++i) b->Arg(static_cast<std::int64_t>(i));
}
BENCHMARK(BM_DigestParse)->Apply(sample_args);
BENCHMARK(BM_DigestTryParse)->Apply(sample_args);

void BM_NextChainId(benchmark::State& state) {
  const Digest parent = Digest::parse("sha256:" + std::string(64, 'a'));
  const Digest diff = Digest::parse("sha256:" + std::string(64, 'b'));
  for (auto _ : state) {
    Digest c = layerkit::next_chain_id(parent, diff);
    benchmark::DoNotOptimize(c);
  }
}
BENCHMARK(BM_NextChainId);

}  // namespace

BENCHMARK_MAIN();
