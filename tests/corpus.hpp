// corpus.hpp — where the shared test corpus is, and its expected JSON.
//
// Tests that need the corpus (archives made by real tools, with expected
// values read back by peer tools) call corpus_dir() and skip, saying so, when
// it returns nullopt. Location: $LAYERKIT_CORPUS, else ../shared/corpus next
// to the source tree.
#pragma once

#include <rapidjson/document.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace corpus {

inline std::optional<std::filesystem::path> dir() {
  std::filesystem::path p;
  if (const char* env = std::getenv("LAYERKIT_CORPUS"); env && *env) p = env;
  else p = std::filesystem::path(LAYERKIT_SOURCE_DIR) / ".." / "shared" / "corpus";
  if (std::filesystem::is_directory(p / "expected")) return p;
  return std::nullopt;
}

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

inline rapidjson::Document load(const std::filesystem::path& p) {
  rapidjson::Document d;
  std::string s = slurp(p);
  d.Parse(s.c_str(), s.size());
  return d;
}

/// Every expected/*.json, sorted by name.
inline std::vector<std::filesystem::path> expected_files(const std::filesystem::path& root) {
  std::vector<std::filesystem::path> v;
  for (const auto& e : std::filesystem::directory_iterator(root / "expected"))
    if (e.path().extension() == ".json") v.push_back(e.path());
  std::sort(v.begin(), v.end());
  return v;
}

inline std::string str(const rapidjson::Value& obj, const char* k) {
  auto it = obj.FindMember(k);
  return it != obj.MemberEnd() && it->value.IsString() ? it->value.GetString() : std::string();
}
inline bool has(const rapidjson::Value& obj, const char* k) {
  auto it = obj.FindMember(k);
  return it != obj.MemberEnd() && !it->value.IsNull();
}
inline bool truthy(const rapidjson::Value& obj, const char* k) {
  auto it = obj.FindMember(k);
  return it != obj.MemberEnd() && it->value.IsBool() && it->value.GetBool();
}

}  // namespace corpus

/// Skips the current test case, saying why, when the corpus is absent.
#define REQUIRE_CORPUS(var)                                                        \
  auto var##_opt = corpus::dir();                                                  \
  if (!var##_opt) {                                                                \
    MESSAGE("skipped: needs the shared corpus (../shared/corpus or $LAYERKIT_CORPUS)"); \
    return;                                                                        \
  }                                                                                \
  const std::filesystem::path var = *var##_opt
