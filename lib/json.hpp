// json.hpp (private) — RapidJSON reading with limits and typed errors.
//
// Every JSON member of an archive is read whole under a byte limit (the
// caller caps it before calling parse), parsed by RapidJSON's iterative
// (non-recursive) parser with a nesting-depth limit, and then read through the
// accessors below, which throw Error(Errc::malformed) naming the document and
// the field path: "manifest.json: [0].Layers[2]: expected a string, got a number".
// A key that occurs twice in one object resolves to its LAST occurrence, as
// Go's encoding/json (Docker, containerd, containers/image) does.
#pragma once

#include <rapidjson/document.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace layerkit::json {

using Value = rapidjson::Value;
using Document = rapidjson::Document;

/// Parses `text`. `what` names the document in messages. Throws
/// Error(malformed) on syntax errors (with the byte offset) and
/// Error(limit_exceeded) when nesting exceeds max_depth.
Document parse(std::string_view text, std::string_view what, unsigned max_depth);

/// Where a value sits, for messages: "manifest.json: [0].Layers[2]".
struct Path {
  std::string doc;   // e.g. "manifest.json" or "blob sha256:ab…"
  std::string path;  // e.g. "[0].Layers[2]"
  Path key(std::string_view k) const;
  Path index(std::size_t i) const;
  std::string str() const;
};

/// The JSON type name of v ("null", "a string", "an object", ...).
const char* type_name(const Value& v);

[[noreturn]] void fail_type(const Path& at, const char* expected, const Value& got);

/// The member `key` of object `obj` (last occurrence), or nullptr when absent.
const Value* find(const Value& obj, std::string_view key);
/// Like find(), but JSON null counts as absent.
const Value* find_non_null(const Value& obj, std::string_view key);

const Value& require_object(const Value& v, const Path& at);
const Value& require_array(const Value& v, const Path& at);

/// Optional string member: nullopt when absent or null; Error(malformed) when another type.
std::optional<std::string> opt_string(const Value& obj, std::string_view key, const Path& at);
/// Required string member.
std::string req_string(const Value& obj, std::string_view key, const Path& at);
/// Optional array of strings (absent/null = empty; nullopt only via `present`).
std::vector<std::string> string_array(const Value& obj, std::string_view key, const Path& at,
                                      bool* present = nullptr);
/// Optional integer member within [min, max]; Error(malformed) for non-integers or out of range.
std::optional<std::int64_t> opt_int(const Value& obj, std::string_view key, const Path& at,
                                    std::int64_t min, std::int64_t max);
/// Optional bool member.
std::optional<bool> opt_bool(const Value& obj, std::string_view key, const Path& at);
/// Optional object of string values (e.g. Labels, annotations), sorted by key.
std::map<std::string, std::string> string_map(const Value& obj, std::string_view key, const Path& at);
/// Keys of an optional object whose values are ignored (ExposedPorts, Volumes).
std::vector<std::string> object_keys(const Value& obj, std::string_view key, const Path& at);

/// Serialises v compactly (for raw sub-objects such as a config's "config").
std::string to_string(const Value& v);

}  // namespace layerkit::json
