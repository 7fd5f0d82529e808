// json_write.hpp (private) — the small helpers every JSON document layerkit
// writes is built with (RapidJSON writers, compact or pretty).
#pragma once

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "layerkit/digest.hpp"

namespace layerkit::jsonw {

template <typename W>
void put(W& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}
template <typename W>
void key(W& w, std::string_view k) {
  w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
}
/// "algorithm:hex", or null for an empty digest.
template <typename W>
void digest_or_null(W& w, const Digest& d) {
  if (d.empty()) w.Null();
  else put(w, d.str());
}
template <typename W>
void strings(W& w, const std::vector<std::string>& v) {
  w.StartArray();
  for (const auto& s : v) put(w, s);
  w.EndArray();
}
/// A byte count, or null when negative (unknown).
template <typename W>
void int_or_null(W& w, std::int64_t v) {
  if (v < 0) w.Null();
  else w.Int64(v);
}

/// Runs fn(writer) with a pretty (2-space indent) or compact writer; returns the text.
template <typename Fn>
std::string render(bool pretty, Fn&& fn) {
  rapidjson::StringBuffer buf;
  if (pretty) {
    rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buf);
    w.SetIndent(' ', 2);
    fn(w);
  } else {
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    fn(w);
  }
  return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace layerkit::jsonw
