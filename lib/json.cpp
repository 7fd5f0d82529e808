#include "json.hpp"

#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <fmt/format.h>

#include "layerkit/error.hpp"

namespace layerkit::json {
namespace {

// Forwards SAX events to a Document while counting nesting, so a hostile
// document cannot make us build an arbitrarily deep tree.
template <typename Handler>
struct DepthLimiter {
  Handler& h;
  unsigned max_depth;
  unsigned depth = 0;
  bool too_deep = false;

  bool Null() { return h.Null(); }
  bool Bool(bool b) { return h.Bool(b); }
  bool Int(int i) { return h.Int(i); }
  bool Uint(unsigned i) { return h.Uint(i); }
  bool Int64(int64_t i) { return h.Int64(i); }
  bool Uint64(uint64_t i) { return h.Uint64(i); }
  bool Double(double d) { return h.Double(d); }
  bool RawNumber(const char* s, rapidjson::SizeType n, bool copy) { return h.RawNumber(s, n, copy); }
  bool String(const char* s, rapidjson::SizeType n, bool copy) { return h.String(s, n, copy); }
  bool Key(const char* s, rapidjson::SizeType n, bool copy) { return h.Key(s, n, copy); }
  bool enter() {
    if (++depth > max_depth) {
      too_deep = true;
      return false;
    }
    return true;
  }
  bool StartObject() { return enter() && h.StartObject(); }
  bool EndObject(rapidjson::SizeType n) {
    --depth;
    return h.EndObject(n);
  }
  bool StartArray() { return enter() && h.StartArray(); }
  bool EndArray(rapidjson::SizeType n) {
    --depth;
    return h.EndArray(n);
  }
};

}  // namespace

Document parse(std::string_view text, std::string_view what, unsigned max_depth) {
  Document doc;
  rapidjson::ParseResult result;
  bool too_deep = false;
  auto generator = [&](Document& handler) {
    rapidjson::Reader reader;
    rapidjson::MemoryStream ms(text.data(), text.size());
    rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream> is(ms);
    DepthLimiter<Document> limiter{handler, max_depth};
    // No kParseFullPrecisionFlag: layerkit reads no fractional number, and in
    // RapidJSON 1.1.0 that path loops or reads clz(0) on input like "0E098"
    // (upstream issue 1249, fixed after 1.1.0; found here by fuzz_json).
    constexpr unsigned flags = rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag;
    result = reader.Parse<flags>(is, limiter);
    too_deep = limiter.too_deep;
    return !result.IsError();
  };
  doc.Populate(generator);
  if (too_deep)
    throw Error(Errc::limit_exceeded,
                fmt::format("{}: JSON nesting deeper than the limit of {} levels", what, max_depth));
  if (result.IsError())
    throw Error(Errc::malformed, fmt::format("{}: invalid JSON at byte {}: {}", what, result.Offset(),
                                             rapidjson::GetParseError_En(result.Code())));
  return doc;
}

Path Path::key(std::string_view k) const {
  return Path{doc, path.empty() ? std::string(k) : fmt::format("{}.{}", path, k)};
}
Path Path::index(std::size_t i) const { return Path{doc, fmt::format("{}[{}]", path, i)}; }
std::string Path::str() const { return path.empty() ? doc : fmt::format("{}: {}", doc, path); }

const char* type_name(const Value& v) {
  switch (v.GetType()) {
    case rapidjson::kNullType: return "null";
    case rapidjson::kFalseType:
    case rapidjson::kTrueType: return "a boolean";
    case rapidjson::kObjectType: return "an object";
    case rapidjson::kArrayType: return "an array";
    case rapidjson::kStringType: return "a string";
    case rapidjson::kNumberType: return "a number";
  }
  return "an unknown type";
}

void fail_type(const Path& at, const char* expected, const Value& got) {
  throw Error(Errc::malformed, fmt::format("{}: expected {}, got {}", at.str(), expected, type_name(got)));
}

const Value* find(const Value& obj, std::string_view key) {
  if (!obj.IsObject()) return nullptr;
  const Value* found = nullptr;
  for (auto it = obj.MemberBegin(); it != obj.MemberEnd(); ++it) {
    if (std::string_view(it->name.GetString(), it->name.GetStringLength()) == key) found = &it->value;
  }
  return found;
}

const Value* find_non_null(const Value& obj, std::string_view key) {
  const Value* v = find(obj, key);
  return v && !v->IsNull() ? v : nullptr;
}

const Value& require_object(const Value& v, const Path& at) {
  if (!v.IsObject()) fail_type(at, "an object", v);
  return v;
}

const Value& require_array(const Value& v, const Path& at) {
  if (!v.IsArray()) fail_type(at, "an array", v);
  return v;
}

std::optional<std::string> opt_string(const Value& obj, std::string_view key, const Path& at) {
  const Value* v = find_non_null(obj, key);
  if (!v) return std::nullopt;
  if (!v->IsString()) fail_type(at.key(key), "a string", *v);
  return std::string(v->GetString(), v->GetStringLength());
}

std::string req_string(const Value& obj, std::string_view key, const Path& at) {
  auto s = opt_string(obj, key, at);
  if (!s) throw Error(Errc::malformed, fmt::format("{}: required field is missing", at.key(key).str()));
  return *s;
}

std::vector<std::string> string_array(const Value& obj, std::string_view key, const Path& at, bool* present) {
  std::vector<std::string> out;
  const Value* v = find_non_null(obj, key);
  if (present) *present = v != nullptr;
  if (!v) return out;
  Path p = at.key(key);
  if (!v->IsArray()) fail_type(p, "an array of strings", *v);
  out.reserve(v->Size());
  for (rapidjson::SizeType i = 0; i < v->Size(); ++i) {
    const Value& e = (*v)[i];
    if (!e.IsString()) fail_type(p.index(i), "a string", e);
    out.emplace_back(e.GetString(), e.GetStringLength());
  }
  return out;
}

std::optional<std::int64_t> opt_int(const Value& obj, std::string_view key, const Path& at, std::int64_t min,
                                    std::int64_t max) {
  const Value* v = find_non_null(obj, key);
  if (!v) return std::nullopt;
  Path p = at.key(key);
  if (!v->IsInt64()) {
    if (v->IsNumber())
      throw Error(Errc::malformed, fmt::format("{}: expected an integer in [{}, {}], got {}", p.str(), min, max,
                                               to_string(*v)));
    fail_type(p, "an integer", *v);
  }
  std::int64_t n = v->GetInt64();
  if (n < min || n > max)
    throw Error(Errc::malformed, fmt::format("{}: {} is out of range [{}, {}]", p.str(), n, min, max));
  return n;
}

std::optional<bool> opt_bool(const Value& obj, std::string_view key, const Path& at) {
  const Value* v = find_non_null(obj, key);
  if (!v) return std::nullopt;
  if (!v->IsBool()) fail_type(at.key(key), "a boolean", *v);
  return v->GetBool();
}

std::map<std::string, std::string> string_map(const Value& obj, std::string_view key, const Path& at) {
  std::map<std::string, std::string> out;
  const Value* v = find_non_null(obj, key);
  if (!v) return out;
  Path p = at.key(key);
  if (!v->IsObject()) fail_type(p, "an object of strings", *v);
  for (auto it = v->MemberBegin(); it != v->MemberEnd(); ++it) {
    std::string k(it->name.GetString(), it->name.GetStringLength());
    if (!it->value.IsString()) fail_type(p.key(k), "a string", it->value);
    out[k] = std::string(it->value.GetString(), it->value.GetStringLength());  // last one wins
  }
  return out;
}

std::vector<std::string> object_keys(const Value& obj, std::string_view key, const Path& at) {
  std::vector<std::string> out;
  const Value* v = find_non_null(obj, key);
  if (!v) return out;
  if (!v->IsObject()) fail_type(at.key(key), "an object", *v);
  for (auto it = v->MemberBegin(); it != v->MemberEnd(); ++it)
    out.emplace_back(it->name.GetString(), it->name.GetStringLength());
  return out;
}

std::string to_string(const Value& v) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  v.Accept(w);
  return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace layerkit::json
