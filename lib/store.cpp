// store.cpp — the image store: layout, reading, load, plan, rm, gc, df, verify.
// (save is in store_save.cpp, the JSON documents in store_json.cpp.)
#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <set>

#include <rapidjson/writer.h>

#include <fmt/format.h>

#include "layerkit/verify.hpp"
#include "store_impl.hpp"
#include "store_tar.hpp"

namespace layerkit {

using storefs::FileLock;
using storefs::TempFile;
using storefs::join;

// ===========================================================================
// Small helpers

namespace {

std::string short_name(const Image& img) {
  if (!img.references.empty()) return img.references.front();
  if (!img.id().empty()) return img.id().short_hex();
  return "image " + img.index_path;
}

bool is_hex(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  });
}

}  // namespace

// OCI annotations.md grammar of org.opencontainers.image.ref.name:
//   ref ::= component ("/" component)*;  component ::= alphanum (separator alphanum)*
//   alphanum ::= [A-Za-z0-9]+;  separator ::= [-._:@+] | "--"
bool valid_reference(std::string_view r) {
  if (r.empty() || r.size() > 4096) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); };
  std::size_t i = 0;
  for (;;) {  // a component
    if (i >= r.size() || !alnum(r[i])) return false;
    while (i < r.size() && alnum(r[i])) ++i;
    while (i < r.size() && r[i] != '/') {
      if (r.compare(i, 2, "--") == 0) i += 2;
      else if (std::string_view("-._:@+").find(r[i]) != std::string_view::npos) ++i;
      else return false;
      if (i >= r.size() || !alnum(r[i])) return false;
      while (i < r.size() && alnum(r[i])) ++i;
    }
    if (i == r.size()) return true;
    ++i;  // '/'
  }
}

namespace {


[[noreturn]] void corrupt(Errc code, const std::string& root, std::string what) {
  if (what.rfind(root + ": ", 0) == 0) what.erase(0, root.size() + 2);  // the core names the layout already
  throw Error(code, fmt::format("store {}: {}; the store is damaged: run `layerkit store verify`", root, what));
}

}  // namespace

std::string qualified_reference(std::string_view ref) {
  std::string r(ref), digest, tag;
  if (auto at = r.find('@'); at != std::string::npos) {
    digest = r.substr(at);
    r = r.substr(0, at);
  }
  auto slash = r.rfind('/');
  auto colon = r.rfind(':');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
    tag = r.substr(colon);
    r = r.substr(0, colon);
  }
  std::string domain, rest;
  auto first = r.find('/');
  if (first == std::string::npos) {
    domain = "docker.io";
    rest = r;
  } else {
    std::string c = r.substr(0, first);
    bool is_domain = c == "localhost" || c.find('.') != std::string::npos || c.find(':') != std::string::npos ||
                     std::any_of(c.begin(), c.end(), [](char ch) { return ch >= 'A' && ch <= 'Z'; });
    if (is_domain) {
      domain = c;
      rest = r.substr(first + 1);
    } else {
      domain = "docker.io";
      rest = r;
    }
  }
  if (domain == "index.docker.io") domain = "docker.io";
  if (domain == "docker.io" && rest.find('/') == std::string::npos) rest = "library/" + rest;
  if (tag.empty() && digest.empty()) tag = ":latest";
  return domain + "/" + rest + tag + digest;
}

const Digest& StoreImage::manifest_digest() const {
  static const Digest none;
  return image.manifest ? image.manifest->digest : none;
}

// ===========================================================================
// Layer metadata records

LayerMeta meta_from_scan(const Digest& digest, const LayerScan& s) {
  LayerMeta m;
  m.digest = digest;
  m.diff_id = s.diff_id;
  m.compression = s.compression;
  m.size = s.blob_bytes;
  m.tar_bytes = s.tar_bytes;
  m.content_bytes = s.stats.content_bytes;
  m.entries = s.stats.entries;
  m.tar_ok = s.tar_ok;
  return m;
}

std::string meta_to_json(const LayerMeta& m) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("digest");
  w.String(m.digest.str().c_str());
  w.Key("diffID");
  w.String(m.diff_id.str().c_str());
  w.Key("compression");
  w.String(compression_name(m.compression));
  w.Key("size");
  w.Uint64(m.size);
  w.Key("uncompressedSize");
  w.Uint64(m.tar_bytes);
  w.Key("contentSize");
  w.Uint64(m.content_bytes);
  w.Key("entries");
  w.Uint64(m.entries);
  w.Key("tarOK");
  w.Bool(m.tar_ok);
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize()) + "\n";
}

std::optional<LayerMeta> meta_from_json(std::string_view text, const Digest& digest) {
  try {
    json::Document doc = json::parse(text, "layer metadata", 8);
    json::Path at{"layer metadata", ""};
    json::require_object(doc, at);
    LayerMeta m;
    m.digest = Digest::parse(json::req_string(doc, "digest", at));
    if (m.digest != digest) return std::nullopt;
    std::string diff = json::opt_string(doc, "diffID", at).value_or("");
    if (!diff.empty()) m.diff_id = Digest::parse(diff);
    std::string c = json::opt_string(doc, "compression", at).value_or("none");
    bool known = false;
    for (Compression k : {Compression::none, Compression::gzip, Compression::zstd, Compression::xz, Compression::bzip2})
      if (c == compression_name(k)) {
        m.compression = k;
        known = true;
      }
    if (!known) return std::nullopt;
    auto num = [&](const char* k) {
      auto v = json::opt_int(doc, k, at, 0, INT64_MAX);
      if (!v) throw Error(Errc::malformed, std::string(k) + " missing");
      return static_cast<std::uint64_t>(*v);
    };
    m.size = num("size");
    m.tar_bytes = num("uncompressedSize");
    m.content_bytes = num("contentSize");
    m.entries = num("entries");
    m.tar_ok = json::opt_bool(doc, "tarOK", at).value_or(true);
    return m;
  } catch (const Error&) {
    return std::nullopt;
  }
}

std::string oci_layer_media_type(Compression c, std::string_view what) {
  switch (c) {
    case Compression::none: return std::string(media::oci_layer);
    case Compression::gzip: return std::string(media::oci_layer) + "+gzip";
    case Compression::zstd: return std::string(media::oci_layer) + "+zstd";
    default:
      throw Error(Errc::unsupported, fmt::format("{}: a {}-compressed layer has no OCI media type; the store keeps "
                                                 "layers as they are and cannot describe this one",
                                                 what, compression_name(c)));
  }
}

// ===========================================================================
// index.json

std::vector<IndexEntry> parse_index_entries(std::string_view bytes, const Limits& limits) {
  json::Document doc = json::parse(bytes, "index.json", limits.json_depth);
  json::Path at{"index.json", ""};
  json::require_object(doc, at);
  std::vector<IndexEntry> out;
  const json::Value* list = json::find_non_null(doc, "manifests");
  if (!list) return out;
  json::Path lat = at.key("manifests");
  json::require_array(*list, lat);
  if (list->Size() > limits.images_per_archive)
    throw Error(Errc::limit_exceeded, fmt::format("index.json: more than {} entries", limits.images_per_archive));
  for (rapidjson::SizeType i = 0; i < list->Size(); ++i) {
    IndexEntry e;
    e.descriptor = parse_descriptor((*list)[i], lat.index(i), false);
    if (e.descriptor.size < 0)
      throw Error(Errc::malformed, fmt::format("{}: required field is missing", lat.index(i).key("size").str()));
    if (auto it = e.descriptor.annotations.find(std::string(annotation::ref_name));
        it != e.descriptor.annotations.end())
      e.ref_name = it->second;
    if (auto it = e.descriptor.annotations.find(std::string(annotation::containerd_name));
        it != e.descriptor.annotations.end())
      e.containerd_name = it->second;
    out.push_back(std::move(e));
  }
  return out;
}

namespace {
// Archive::find_image's leniency: a reference also matches without a
// "docker.io/library/", "docker.io/" or "localhost/" prefix.
std::string_view strip_ref_prefix(std::string_view r) {
  for (std::string_view p : {"docker.io/library/", "docker.io/", "localhost/"})
    if (r.substr(0, p.size()) == p) return r.substr(p.size());
  return r;
}
}  // namespace

bool entry_names(const IndexEntry& e, std::string_view ref, bool lenient) {
  if (ref.empty()) return false;
  if (e.ref_name == ref || e.containerd_name == ref) return true;
  if (!valid_reference(ref)) return false;
  std::string q = qualified_reference(ref);
  for (const std::string* n : {&e.ref_name, &e.containerd_name}) {
    if (n->empty()) continue;
    if (qualified_reference(*n) == q) return true;
    if (lenient && strip_ref_prefix(*n) == strip_ref_prefix(ref)) return true;
  }
  return false;
}

json::Value index_descriptor_value(const Descriptor& d, const std::string& ref, const Platform* platform,
                                   json::Document::AllocatorType& a) {
  json::Value v(rapidjson::kObjectType);
  auto str = [&](std::string_view s) { return json::Value(s.data(), static_cast<rapidjson::SizeType>(s.size()), a); };
  v.AddMember("mediaType", str(d.media_type), a);
  v.AddMember("digest", str(d.digest.str()), a);
  v.AddMember("size", json::Value(static_cast<int64_t>(d.size)), a);
  if (!ref.empty()) {
    json::Value ann(rapidjson::kObjectType);
    ann.AddMember(str(annotation::containerd_name), str(qualified_reference(ref)), a);
    ann.AddMember(str(annotation::ref_name), str(ref), a);
    v.AddMember("annotations", ann, a);
  }
  if (platform) {
    json::Value p(rapidjson::kObjectType);
    p.AddMember("architecture", str(platform->architecture), a);
    p.AddMember("os", str(platform->os), a);
    if (!platform->variant.empty()) p.AddMember("variant", str(platform->variant), a);
    v.AddMember("platform", p, a);
  }
  return v;
}

std::string empty_index_json() {
  return fmt::format("{{\"schemaVersion\":2,\"mediaType\":\"{}\",\"manifests\":[]}}", media::oci_index);
}

std::optional<Platform> config_platform(const Image& img) {
  if (img.config.os.empty() || img.config.architecture.empty()) return std::nullopt;
  Platform p;
  p.os = img.config.os;
  p.architecture = img.config.architecture;
  p.variant = img.config.variant;
  return p;
}

void check_blob(const BlobCheck& c, const std::string& source_name) {
  const std::string source = source_name.empty() ? std::string() : source_name + ": ";
  if (!c.declared_digest.empty()) {
    if (!c.declared_digest.verifiable())
      throw Error(Errc::unsupported, fmt::format("{}{} is named by {}, an algorithm layerkit cannot verify", source,
                                                c.what, c.declared_digest.str()));
    if (c.actual_digest != c.declared_digest)
      throw Error(Errc::digest_mismatch, fmt::format("{}{} ({}) hashes to {}, expected {}", source, c.what,
                                                     c.member, c.actual_digest.str(), c.declared_digest.str()));
  }
  if (c.declared_size >= 0 && c.declared_size != c.actual_size)
    throw Error(Errc::size_mismatch, fmt::format("{}{} ({}) is {} bytes, its descriptor says {}", source, c.what,
                                                 c.member, c.actual_size, c.declared_size));
}

// ===========================================================================
// Store::Impl

std::string Store::Impl::blob_path(const Digest& d) const {
  if (!d.verifiable())
    throw Error(Errc::unsupported, fmt::format("{}: the store keeps sha256 and sha512 blobs only", d.str()));
  return join(root, fmt::format("blobs/{}/{}", d.algorithm_name(), d.encoded()));
}

std::string Store::Impl::meta_path(const Digest& d) const {
  return join(dot(), fmt::format("layers/{}/{}", d.algorithm_name(), d.encoded()));
}

bool Store::Impl::has_blob(const Digest& d) const {
  if (d.empty() || !d.verifiable()) return false;
  struct stat st;
  return ::stat(blob_path(d).c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::optional<LayerMeta> Store::Impl::read_meta(const Digest& d) const {
  if (d.empty() || !d.verifiable()) return std::nullopt;
  try {
    std::string text = storefs::read_file(meta_path(d), 64 * 1024, "layer metadata");
    return meta_from_json(text, d);
  } catch (const Error&) {
    return std::nullopt;
  }
}

void Store::Impl::prepare_for_writing() const {
  try {
    storefs::make_dirs(root);
    storefs::make_dirs(tmp());
    storefs::make_dirs(join(dot(), "layers"));
    { TempFile probe(tmp(), "probe"); }  // fail now, not after reading a whole archive
    if (storefs::exists(layout_path()) && storefs::exists(index_path())) return;
    auto lock = FileLock::acquire(index_lock_path(), true, true);
    if (!storefs::exists(layout_path())) storefs::write_file_atomic(tmp(), layout_path(), media::oci_layout_file);
    if (!storefs::exists(index_path())) storefs::write_file_atomic(tmp(), index_path(), empty_index_json());
  } catch (const Error& e) {
    if (e.code() != Errc::io) throw;
    throw Error(Errc::io, fmt::format("store {} cannot be written: {}", root, e.what()));
  }
}

void Store::Impl::edit_index(const std::function<void(json::Document&)>& edit,
                             const std::function<void(std::string_view)>& checkpoint) const {
  auto lock = FileLock::acquire(index_lock_path(), true, true);
  std::string bytes = storefs::read_file(index_path(), opts.limits.json_bytes, "index.json");
  // Never rewrite an index we cannot read whole: that would lose its entries.
  try {
    (void)parse_index_entries(bytes, opts.limits);
  } catch (const Error& e) {
    corrupt(e.code(), root, e.what());
  }
  json::Document doc = json::parse(bytes, "index.json", opts.limits.json_depth);
  edit(doc);
  std::string out = json::to_string(doc);
  TempFile t(tmp(), "index");
  t.write(out);
  t.finish();
  if (checkpoint) checkpoint("index-written");
  t.commit(index_path());
  if (checkpoint) checkpoint("index-renamed");
  storefs::fsync_dir(root);
}

std::vector<StoreImage> Store::Impl::read_images(bool sizes, bool strict) const {
  if (opts.create && !storefs::exists(index_path()) && !storefs::exists(layout_path())) return {};  // not created yet
  if (!storefs::exists(index_path()))
    throw Error(Errc::not_found, fmt::format("store {}: index.json is absent (is this a store? `layerkit store "
                                             "load` creates one)",
                                             root));
  for (int attempt = 0;; ++attempt) {
    std::string before = storefs::read_file(index_path(), opts.limits.json_bytes, "index.json");
    std::vector<IndexEntry> entries;
    try {
      entries = parse_index_entries(before, opts.limits);
    } catch (const Error& e) {
      corrupt(e.code(), root, e.what());
    }
    OpenOptions oo;
    oo.platform = "all";
    oo.limits = opts.limits;
    std::optional<Archive> opened;
    try {
      opened.emplace(Archive::open(root, oo));
    } catch (const Error& e) {
      corrupt(e.code(), root, e.what());
    }
    Archive& ar = *opened;
    std::string after = storefs::read_file(index_path(), opts.limits.json_bytes, "index.json");
    if (before != after) {
      if (attempt < 16) continue;
      throw Error(Errc::io, fmt::format("store {}: index.json keeps changing while it is read", root));
    }
    if (strict) {
      for (const BlobCheck& c : ar.blob_checks()) {
        try {
          check_blob(c, "");
        } catch (const Error& e) {
          corrupt(e.code(), root, e.what());
        }
      }
    }
    std::map<std::string, std::int64_t> size_cache;
    std::vector<StoreImage> out;
    for (const Image& img : ar.images()) {
      StoreImage si;
      si.index_path = img.index_path;
      std::size_t top = std::strtoul(img.index_path.c_str(), nullptr, 10);
      if (top < entries.size()) {
        si.containerd_name = entries[top].containerd_name;
        si.reference = entries[top].reference();
      }
      si.image = img;
      si.image.references.clear();
      if (!si.reference.empty()) si.image.references.push_back(si.reference);
      std::int64_t total = 0;
      for (const Layer& l : img.layers) {
        StoreLayer sl;
        sl.index = l.index;
        sl.descriptor = l.descriptor;
        sl.diff_id = l.diff_id;
        sl.chain_id = l.chain_id;
        sl.present = l.present;
        if (l.descriptor.size > 0) si.blob_bytes += static_cast<std::uint64_t>(l.descriptor.size);
        if (sizes && l.present && l.descriptor.digest.verifiable()) {
          const std::string key = l.descriptor.digest.str();
          auto it = size_cache.find(key);
          if (it == size_cache.end()) {
            std::int64_t v = -1;
            if (auto m = read_meta(l.descriptor.digest)) {
              v = static_cast<std::int64_t>(m->content_bytes);
            } else {
              try {
                v = static_cast<std::int64_t>(
                    scan_layer_file(blob_path(l.descriptor.digest), ScanDepth::headers, opts.limits)
                        .stats.content_bytes);
              } catch (const Error&) {
                v = -1;
              }
            }
            it = size_cache.emplace(key, v).first;
          }
          sl.content_size = it->second;
        }
        if (sl.content_size > 0) total += sl.content_size;
        si.layers.push_back(std::move(sl));
      }
      si.size = sizes ? total : -1;
      out.push_back(std::move(si));
    }
    return out;
  }
}

std::set<std::string> Store::Impl::reachable(bool strict) const {
  std::string bytes = storefs::read_file(index_path(), opts.limits.json_bytes, "index.json");
  std::vector<IndexEntry> entries;
  try {
    entries = parse_index_entries(bytes, opts.limits);
  } catch (const Error& e) {
    corrupt(e.code(), root, e.what());
  }
  std::set<std::string> seen;
  std::function<void(const Descriptor&, const std::string&, unsigned)> walk = [&](const Descriptor& d,
                                                                                  const std::string& what,
                                                                                  unsigned depth) {
    if (!seen.insert(d.digest.str()).second) return;
    // Layers and configs are leaves. Anything else may refer to blobs: a
    // manifest or index whose descriptor names another media type is still
    // walked (gc must never remove what is reachable), if it reads as one.
    bool known = media::is_index(d.media_type) || media::is_manifest(d.media_type);
    bool leaf = d.media_type.find(".layer.") != std::string::npos ||
                d.media_type.find("rootfs.diff") != std::string::npos ||
                d.media_type.find("config") != std::string::npos ||
                d.media_type.find("container.image") != std::string::npos;
    if (leaf) return;
    if (!known) {
      if (!d.digest.verifiable() || !storefs::exists(blob_path(d.digest)) || d.size < 0 ||
          static_cast<std::uint64_t>(d.size) > opts.limits.json_bytes)
        return;
      try {
        json::Document probe = json::parse(storefs::read_file(blob_path(d.digest), opts.limits.json_bytes, what), what,
                                           opts.limits.json_depth);
        // A manifest's "config" is a descriptor (an image config's is not).
        auto is_desc = [](const json::Value& v) { return v.IsObject() && v.HasMember("digest") && v["digest"].IsString(); };
        bool manifest_like = probe.IsObject() &&
                             ((probe.HasMember("manifests") && probe["manifests"].IsArray()) ||
                              (probe.HasMember("config") && is_desc(probe["config"])) ||
                              (probe.HasMember("blobs") && probe["blobs"].IsArray()));
        if (!manifest_like) return;
      } catch (const Error&) {
        return;  // not JSON: a leaf
      }
    }
    if (depth > opts.limits.index_depth) {
      if (strict) throw Error(Errc::limit_exceeded, what + ": indexes nested too deep");
      return;
    }
    if (!d.digest.verifiable()) {
      if (strict) throw Error(Errc::unsupported, what + ": " + d.digest.str() + " cannot be verified");
      return;
    }
    std::string path = blob_path(d.digest);
    if (!storefs::exists(path)) {
      if (strict)
        throw Error(Errc::not_found,
                    fmt::format("{} ({}) is absent from blobs/; remove the image that needs it with `layerkit store "
                                "rm` first",
                                what, d.digest.str()));
      return;
    }
    try {
      std::string body = storefs::read_file(path, opts.limits.json_bytes, what);
      Digest actual = digest_of(body, d.digest.algorithm());
      if (actual != d.digest)
        throw Error(Errc::digest_mismatch,
                    fmt::format("{} (blobs/{}/{}) hashes to {}", what, d.digest.algorithm_name(), d.digest.encoded(),
                                actual.str()));
      json::Document doc = json::parse(body, what, opts.limits.json_depth);
      json::Path at{what, ""};
      json::require_object(doc, at);
      for (const char* k : {"manifests", "layers", "blobs"}) {
        if (const json::Value* list = json::find_non_null(doc, k)) {
          json::require_array(*list, at.key(k));
          for (rapidjson::SizeType i = 0; i < list->Size(); ++i) {
            Descriptor c = parse_descriptor((*list)[i], at.key(k).index(i), false);
            walk(c, fmt::format("{} {}[{}]", what, k, i), depth + 1);
          }
        }
      }
      for (const char* k : {"config", "subject"}) {
        if (const json::Value* c = json::find_non_null(doc, k))
          walk(parse_descriptor(*c, at.key(k), false), fmt::format("{} {}", what, k), depth + 1);
      }
    } catch (const Error&) {
      if (strict) throw;
    }
  };
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const IndexEntry& e = entries[i];
    std::string what = fmt::format("index.json manifests[{}]", i);
    if (!e.reference().empty()) what += " (" + e.reference() + ")";
    try {
      walk(e.descriptor, what, 0);
    } catch (const Error& err) {
      corrupt(err.code(), root, err.what());
    }
  }
  return seen;
}

// ===========================================================================
// Store: open, paths, queries

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Store::Store(Store&&) noexcept = default;
Store& Store::operator=(Store&&) noexcept = default;
Store::~Store() = default;

const std::string& Store::path() const { return impl_->root; }

std::string Store::default_path() {
  const char* xdg = std::getenv("XDG_DATA_HOME");
  if (xdg && *xdg == '/') return join(xdg, "layerkit/store");
  std::string home;
  if (const char* h = std::getenv("HOME"); h && *h) home = h;
  if (home.empty()) {
    if (struct passwd* pw = ::getpwuid(::getuid()); pw && pw->pw_dir) home = pw->pw_dir;
  }
  if (home.empty())
    throw Error(Errc::invalid_argument, "no default store: neither $XDG_DATA_HOME nor a home directory is set");
  return join(home, ".local/share/layerkit/store");
}

Store Store::open(const std::string& dir, const StoreOptions& options) {
  if (dir.empty()) throw Error(Errc::invalid_argument, "empty store path");
  auto impl = std::make_unique<Impl>();
  impl->root = dir;
  while (impl->root.size() > 1 && impl->root.back() == '/') impl->root.pop_back();
  impl->opts = options;
  if (!storefs::exists(impl->root)) {
    if (!options.create)
      throw Error(Errc::not_found, fmt::format("store {} does not exist (`layerkit store load` creates it)", dir));
    return Store(std::move(impl));  // created by the first write
  }
  if (!storefs::is_directory(impl->root))
    throw Error(Errc::format_unknown, fmt::format("store {} is not a directory", dir));
  if (!storefs::exists(impl->index_path()) && !storefs::exists(impl->layout_path())) {
    for (const auto& name : storefs::list_dir(impl->root))  // (another process may be creating the store)
      if (name != ".layerkit" && name != "oci-layout" && name != "index.json" && name != "blobs")
        throw Error(Errc::format_unknown,
                    fmt::format("store {} is neither empty nor an OCI image layout (no index.json, no oci-layout; it "
                                "holds {:?})",
                                dir, name));
    if (!options.create)
      throw Error(Errc::not_found, fmt::format("store {} is empty (`layerkit store load` fills it)", dir));
  }
  return Store(std::move(impl));
}

bool Store::has_blob(const Digest& digest) const { return impl_->has_blob(digest); }

std::vector<StoreImage> Store::images(bool sizes) const { return impl_->read_images(sizes, true); }

std::vector<StoreImage> find_images(const std::vector<StoreImage>& imgs, std::string_view ref, const std::string& root) {
  std::vector<StoreImage> hits;
  if (ref.empty()) throw Error(Errc::invalid_argument, "empty image reference");
  // 1. a reference: exactly (or fully qualified), else without a registry prefix
  for (bool lenient : {false, true}) {
    std::set<std::string> names;
    for (const StoreImage& si : imgs) {
      IndexEntry e;
      e.ref_name = si.reference;
      e.containerd_name = si.containerd_name;
      if (!si.reference.empty() && entry_names(e, ref, lenient)) {
        hits.push_back(si);
        names.insert(si.reference);
      }
    }
    if (names.size() > 1 && lenient) {
      std::string list;
      for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
      throw Error(Errc::ambiguous, fmt::format("image {:?} matches {} references in store {}: {}", std::string(ref),
                                               names.size(), root, list));
    }
    if (!hits.empty()) return hits;
  }
  // 2. a manifest digest or an image ID (or a unique ID prefix)
  std::string_view hex = ref;
  if (hex.substr(0, 7) == "sha256:") hex = hex.substr(7);
  if (auto d = Digest::try_parse(ref)) {
    for (const StoreImage& si : imgs)
      if (si.manifest_digest() == *d) hits.push_back(si);
    if (!hits.empty()) return hits;
  }
  if (hex.size() >= 4 && is_hex(hex)) {
    std::set<std::string> ids;
    for (const StoreImage& si : imgs)
      if (!si.id().empty() && si.id().algorithm() == DigestAlgorithm::sha256 && si.id().encoded().substr(0, hex.size()) == hex)
        ids.insert(si.id().str());
    if (ids.size() > 1)
      throw Error(Errc::ambiguous, fmt::format("image {:?} matches {} images in store {}", std::string(ref),
                                               ids.size(), root));
    for (const StoreImage& si : imgs)
      if (!ids.empty() && si.id().str() == *ids.begin()) hits.push_back(si);
    if (!hits.empty()) return hits;
  }
  std::vector<std::string> names;
  for (const StoreImage& si : imgs) names.push_back(si.reference.empty() ? si.id().short_hex() : si.reference);
  std::string list;
  for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
  throw Error(Errc::not_found, fmt::format("no image {:?} in store {} (images: {})", std::string(ref), root,
                                           list.empty() ? std::string("none") : list));
}

std::vector<StoreImage> Store::find(std::string_view ref) const {
  return find_images(impl_->read_images(false, true), ref, impl_->root);
}

// ===========================================================================
// load

namespace {

// What one load has decided and staged, before anything is committed.
struct Staged {
  TempFile file;
  std::optional<LayerMeta> meta;  // layers
  int order = 0;                   // 0 layers, 1 configs, 2 manifests
};

struct ImageToLoad {
  const Image* img = nullptr;
  std::size_t pos = 0;  // position in Archive::images()
  std::string name;
  LoadedImage loaded;
  std::optional<Platform> platform;
};

void check_scan(const LayerScan& sc, const Layer& l, const std::string& where) {
  if (!l.descriptor.digest.empty() && sc.blob_digest != l.descriptor.digest)
    throw Error(Errc::digest_mismatch, fmt::format("{}: blob hashes to {}, expected {}; nothing was loaded", where,
                                                   sc.blob_digest.str(), l.descriptor.digest.str()));
  if (l.descriptor.size >= 0 && sc.blob_bytes != static_cast<std::uint64_t>(l.descriptor.size))
    throw Error(Errc::size_mismatch, fmt::format("{}: blob is {} bytes, its descriptor says {}; nothing was loaded",
                                                 where, sc.blob_bytes, l.descriptor.size));
  if (l.diff_id) {
    if (sc.diff_id.empty())
      throw Error(Errc::malformed, fmt::format("{}: the blob does not decompress ({}); nothing was loaded", where,
                                               sc.tar_problem.empty() ? "unknown compression" : sc.tar_problem));
    if (sc.diff_id != *l.diff_id)
      throw Error(Errc::digest_mismatch,
                  fmt::format("{}: tar stream hashes to {}, the config's diff_id is {}; nothing was loaded", where,
                              sc.diff_id.str(), l.diff_id->str()));
  }
}

// Checks that a manifest stored byte for byte names what was verified.
void check_manifest_matches(const std::string& bytes, const Digest& config, const std::vector<LoadedLayer>& layers,
                            const std::string& what, const Limits& limits) {
  json::Document doc = json::parse(bytes, what, limits.json_depth);
  json::Path at{what, ""};
  json::require_object(doc, at);
  const json::Value* c = json::find_non_null(doc, "config");
  if (!c) throw Error(Errc::malformed, fmt::format("{}: required field is missing", at.key("config").str()));
  Descriptor cd = parse_descriptor(*c, at.key("config"), false);
  if (cd.digest != config)
    throw Error(Errc::digest_mismatch,
                fmt::format("{}: names config {}, but the image's config is {}", what, cd.digest.str(), config.str()));
  const json::Value* ls = json::find_non_null(doc, "layers");
  std::size_t n = ls ? (json::require_array(*ls, at.key("layers")), ls->Size()) : 0;
  if (n != layers.size())
    throw Error(Errc::count_mismatch,
                fmt::format("{}: lists {} layers, the archive {} layers", what, n, layers.size()));
  for (rapidjson::SizeType i = 0; i < n; ++i) {
    Descriptor ld = parse_descriptor((*ls)[i], at.key("layers").index(i), false);
    if (ld.digest != layers[i].digest)
      throw Error(Errc::digest_mismatch, fmt::format("{}: layer {} is {}, but the archive's layer {} is {}", what, i,
                                                     ld.digest.str(), i, layers[i].digest.str()));
  }
}

std::string synthesize_manifest(const Image& img, const std::vector<LoadedLayer>& layers) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  auto desc = [&](std::string_view mt, const Digest& d, std::uint64_t size) {
    w.StartObject();
    w.Key("mediaType");
    w.String(mt.data(), static_cast<rapidjson::SizeType>(mt.size()));
    w.Key("digest");
    w.String(d.str().c_str());
    w.Key("size");
    w.Uint64(size);
    w.EndObject();
  };
  w.StartObject();
  w.Key("schemaVersion");
  w.Int(2);
  w.Key("mediaType");
  w.String(media::oci_manifest.data(), static_cast<rapidjson::SizeType>(media::oci_manifest.size()));
  w.Key("config");
  desc(media::oci_config, img.id(), img.config_json.size());
  w.Key("layers");
  w.StartArray();
  for (const LoadedLayer& l : layers) desc(l.media_type, l.digest, l.size);
  w.EndArray();
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

// The media type the store's index gives a manifest: the manifest's own
// "mediaType" when it has one (an archive's descriptor may say otherwise),
// else the archive's descriptor, else an OCI image manifest.
std::string manifest_media_type(const std::string& bytes, const Descriptor* declared, const Limits& limits) {
  try {
    json::Document doc = json::parse(bytes, "manifest", limits.json_depth);
    if (doc.IsObject()) {
      json::Path at{"manifest", ""};
      if (auto mt = json::opt_string(doc, "mediaType", at); mt && !mt->empty()) return *mt;
    }
  } catch (const Error&) {
  }
  if (declared && media::is_manifest(declared->media_type)) return declared->media_type;
  return std::string(media::oci_manifest);
}

}  // namespace

LoadReport Store::load(const std::string& archive_path, const LoadOptions& o) {
  Impl& s = *impl_;
  LoadReport rep;
  rep.archive = archive_path;
  auto event = [&](const LoadEvent& e) {
    if (o.on_event) o.on_event(e);
  };
  auto checkpoint = [&](std::string_view p) {
    if (o.checkpoint) o.checkpoint(p);
  };

  // 1. The archive: open (a read-once archive is read and scanned whole here).
  Archive ar = Archive::open(archive_path, o.open);
  if (ar.format() == Format::layer_tar)
    throw Error(Errc::unsupported, fmt::format("{}: a lone layer tar has no image to load", archive_path));
  if (ar.legacy_v1())
    throw Error(Errc::unsupported,
                fmt::format("{}: a pre-1.10 docker-archive has no image config (its IDs are v1 IDs) and cannot be "
                            "stored as an OCI image",
                            archive_path));
  std::vector<ImageToLoad> todo;
  const std::vector<Image>& all = ar.images();
  if (!o.image.empty()) {
    const Image& img = ar.find_image(o.image);
    todo.push_back({&img, static_cast<std::size_t>(&img - all.data()), short_name(img), {}, {}});
  } else {
    for (std::size_t i = 0; i < all.size(); ++i)
      if (all[i].artifact_type.empty()) todo.push_back({&all[i], i, short_name(all[i]), {}, {}});
  }
  if (todo.empty()) throw Error(Errc::not_found, fmt::format("{}: no image to load", archive_path));

  // 2. Everything that needs no store: JSON digests, counts, references.
  for (const BlobCheck& c : ar.blob_checks()) {
    bool mine = c.image_path.empty();
    for (const ImageToLoad& t : todo) mine = mine || c.image_path == t.img->index_path;
    if (mine) check_blob(c, archive_path);
  }
  for (const ImageToLoad& t : todo) {
    const Image& img = *t.img;
    if (!img.artifact_type.empty())
      throw Error(Errc::unsupported, fmt::format("{}: {} is an OCI artifact ({}), not an image", archive_path, t.name,
                                                 img.artifact_type));
    if (!img.complete()) {
      std::string what = "config";
      for (const MissingBlob& m : img.missing)
        if (m.what == "config" || m.what == "manifest") what = m.what + " " + (m.digest.empty() ? m.member : m.digest.str());
      throw Error(Errc::not_found, fmt::format("{}: {}: {} is absent from the archive", archive_path, t.name, what));
    }
    if (!img.id().verifiable())
      throw Error(Errc::unsupported, fmt::format("{}: {}: config digest {} cannot be verified", archive_path, t.name,
                                                 img.id().str()));
    Digest cfg_actual = digest_of(img.config_json, img.id().algorithm());
    if (cfg_actual != img.id())
      throw Error(Errc::digest_mismatch, fmt::format("{}: {}: config ({}) hashes to {}, expected {}", archive_path,
                                                     t.name, img.config_member, cfg_actual.str(), img.id().str()));
    if (img.layers.size() != img.config.diff_ids.size())
      throw Error(Errc::count_mismatch,
                  fmt::format("{}: {}: the image has {} layers, its config {} diff_ids", archive_path, t.name,
                              img.layers.size(), img.config.diff_ids.size()));
    for (const Layer& l : img.layers) {
      if (l.foreign)
        throw Error(Errc::unsupported,
                    fmt::format("{}: {}: layer {} is a foreign layer (its blob lives at {}); the store keeps only "
                                "distributable layers",
                                archive_path, t.name, l.index, l.descriptor.urls.empty() ? "an URL" : l.descriptor.urls[0]));
      if (!l.descriptor.digest.empty() && !l.descriptor.digest.verifiable())
        throw Error(Errc::unsupported, fmt::format("{}: {}: layer {} digest {} cannot be verified", archive_path,
                                                   t.name, l.index, l.descriptor.digest.str()));
    }
    for (const std::string& r : img.references)
      if (!valid_reference(r))
        throw Error(Errc::malformed, fmt::format("{}: {}: invalid reference format {:?}", archive_path, t.name, r));
  }

  // 3. The store, whose index must be readable before anything is written.
  s.prepare_for_writing();
  auto shared_lock = FileLock::acquire(s.lock_path(), false, true);
  try {
    (void)parse_index_entries(storefs::read_file(s.index_path(), s.opts.limits.json_bytes, "index.json"), s.opts.limits);
  } catch (const Error& e) {
    corrupt(e.code(), s.root, e.what());
  }

  // 4. Does any layer need copying? A read-once archive then needs a seekable copy.
  auto known_digest = [&](const Archive& a, const Layer& l) -> Digest {
    if (!l.descriptor.digest.empty()) return l.descriptor.digest;
    if (a.read_once() && l.present) return a.scan(l, ScanDepth::full).blob_digest;  // cached at open
    return {};
  };
  bool needs_copy = false;
  std::uint64_t total_bytes = 0;
  for (const ImageToLoad& t : todo)
    for (const Layer& l : t.img->layers) {
      if (!l.present) continue;
      Digest d = known_digest(ar, l);
      if (d.empty() || !s.has_blob(d) ||
          (l.descriptor.size >= 0 && storefs::file_size(s.blob_path(d)) != l.descriptor.size))
        needs_copy = true;
      if (l.descriptor.size > 0) total_bytes += static_cast<std::uint64_t>(l.descriptor.size);
    }
  std::optional<Archive> seekable;
  std::optional<TempFile> decompressed;
  if (needs_copy && ar.read_once()) {
    decompressed.emplace(s.tmp(), "archive");
    storetar::decompress_file(archive_path, ar.outer_compression(), decompressed->fd(), decompressed->path(),
                              o.open.limits.layer_bytes, {});
    decompressed->finish();
    OpenOptions oo = o.open;
    oo.progress = {};
    seekable.emplace(Archive::open(decompressed->path(), oo));
    if (seekable->images().size() != all.size())
      throw Error(Errc::internal, fmt::format("{}: decompressed copy reads differently", archive_path));
  }
  const Archive& src = seekable ? *seekable : ar;

  // 5. Copy and verify, staging every blob the store lacks.
  std::map<std::string, Staged> staged;
  std::map<std::string, LayerMeta> metas;  // records to (re)write for blobs already present
  std::uint64_t done_before = 0;
  auto progress_for = [&](std::uint64_t base) -> ProgressFn {
    if (!o.progress) return {};
    return [&o, base, total_bytes](std::uint64_t done, std::uint64_t) { return o.progress(base + done, total_bytes); };
  };
  // A store blob counts when it is there with the expected size: a damaged
  // (truncated) one is replaced by the verified copy.
  auto have = [&](const Digest& d, std::int64_t size = -1) {
    if (staged.count(d.str())) return true;
    if (!s.has_blob(d)) return false;
    return size < 0 || storefs::file_size(s.blob_path(d)) == size;
  };

  for (ImageToLoad& t : todo) {
    const Image& img = *t.img;
    const Image& simg = src.images()[t.pos];
    t.loaded.references = img.references;
    t.loaded.id = img.id();
    t.platform = config_platform(img);
    for (const Layer& l : img.layers) {
      const std::string where = fmt::format("{}: {} layer {} ({})", archive_path, t.name, l.index,
                                            l.member.empty() ? l.descriptor.digest.str() : l.member);
      LoadedLayer ll;
      ll.index = l.index;
      ll.diff_id = l.diff_id.value_or(Digest());
      std::optional<LayerMeta> meta;
      if (!l.present) {
        // A thin archive: acceptable when the store has exactly this blob.
        const Digest& d = l.descriptor.digest;
        if (d.empty() || !have(d))
          throw Error(Errc::not_found,
                      fmt::format("{}: the blob {} is absent from the archive, and the store does not have it; "
                                  "nothing was loaded",
                                  where, d.empty() ? std::string("(digest unknown)") : d.str()));
        if (auto it = staged.find(d.str()); it != staged.end()) meta = it->second.meta;
        if (!meta) meta = s.read_meta(d);
        if (!meta) {  // a blob some other tool stored: read it once to know it
          LayerScan sc = scan_layer_file(s.blob_path(d), ScanDepth::full, o.open.limits, d.algorithm());
          if (sc.blob_digest != d) corrupt(Errc::digest_mismatch, s.root, fmt::format("blob {} hashes to {}", d.str(), sc.blob_digest.str()));
          meta = meta_from_scan(d, sc);
          metas[d.str()] = *meta;
        }
        if (l.diff_id && meta->diff_id != *l.diff_id)
          throw Error(Errc::digest_mismatch,
                      fmt::format("{}: the store's blob {} has diff_id {}, the config says {}; nothing was loaded",
                                  where, d.str(), meta->diff_id.str(), l.diff_id->str()));
        ll.digest = d;
        ll.existed = true;
      } else {
        Digest d = known_digest(ar, l);
        if (!d.empty() && have(d, l.descriptor.size)) {
          // Already there: verify the archive's copy all the same, write nothing.
          LayerScan sc = ar.read_once() ? ar.scan(l, ScanDepth::full)
                                        : src.scan(simg.layers[l.index], ScanDepth::full, progress_for(done_before));
          check_scan(sc, l, where);
          if (!sc.tar_ok) rep.warnings.push_back(fmt::format("{}: not a complete tar: {}", where, sc.tar_problem));
          meta = meta_from_scan(d, sc);
          if (!staged.count(d.str()) && !s.read_meta(d)) metas[d.str()] = *meta;
          ll.digest = d;
          ll.existed = true;
        } else {
          TempFile tf(s.tmp(), "blob");
          LayerScan sc = src.copy_layer(
              simg.layers[l.index], [&](const void* p, std::size_t n) { tf.write(p, n); }, progress_for(done_before));
          check_scan(sc, l, where);
          if (!sc.tar_ok) rep.warnings.push_back(fmt::format("{}: not a complete tar: {}", where, sc.tar_problem));
          if (d.empty()) d = sc.blob_digest;
          meta = meta_from_scan(d, sc);
          ll.digest = d;
          if (have(d, static_cast<std::int64_t>(sc.blob_bytes))) {
            ll.existed = true;  // a blob named only after reading it, which the store had
            if (!staged.count(d.str()) && !s.read_meta(d)) metas[d.str()] = *meta;
          } else {
            if (s.has_blob(d))
              rep.warnings.push_back(fmt::format("store blob {} had the wrong size: replaced by the verified copy from {}",
                                                 d.str(), archive_path));
            tf.finish();
            checkpoint("staged");
            staged.emplace(d.str(), Staged{std::move(tf), meta, 0});
          }
        }
      }
      if (l.descriptor.size > 0) done_before += static_cast<std::uint64_t>(l.descriptor.size);
      ll.size = meta->size;
      ll.media_type = !l.descriptor.media_type.empty() && img.manifest && !img.manifest_json.empty()
                          ? l.descriptor.media_type
                          : oci_layer_media_type(meta->compression, where);
      if (ll.existed) rep.bytes_existing += ll.size;
      LoadEvent e;
      e.kind = ll.existed ? LoadEvent::Kind::layer_exists : LoadEvent::Kind::layer_loading;
      e.image = t.name;
      e.layer = l.index;
      e.diff_id = ll.diff_id;
      e.digest = ll.digest;
      e.bytes = ll.size;
      event(e);
      t.loaded.layers.push_back(std::move(ll));
    }

    // Config, byte for byte (its digest is the image ID).
    if (!have(img.id(), static_cast<std::int64_t>(img.config_json.size()))) {
      TempFile tf(s.tmp(), "blob");
      tf.write(img.config_json);
      tf.finish();
      checkpoint("staged");
      staged.emplace(img.id().str(), Staged{std::move(tf), std::nullopt, 1});
    }
    // Manifest: as the archive has it, or synthesized (deterministically).
    std::string manifest;
    Descriptor md;
    if (img.manifest && !img.manifest_json.empty()) {
      manifest = img.manifest_json;
      md = *img.manifest;
      md.media_type = manifest_media_type(manifest, &md, o.open.limits);
      check_manifest_matches(manifest, img.id(), t.loaded.layers, fmt::format("{}: manifest of {}", archive_path, t.name),
                             o.open.limits);
    } else {
      manifest = synthesize_manifest(img, t.loaded.layers);
      md.media_type = std::string(media::oci_manifest);
      md.digest = digest_of(manifest);
      t.loaded.manifest_synthesized = true;
    }
    md.size = static_cast<std::int64_t>(manifest.size());
    md.annotations.clear();
    md.platform.reset();
    md.urls.clear();
    if (digest_of(manifest, md.digest.algorithm()) != md.digest)
      throw Error(Errc::digest_mismatch, fmt::format("{}: manifest of {} does not hash to {}", archive_path, t.name,
                                                     md.digest.str()));
    if (!have(md.digest, static_cast<std::int64_t>(manifest.size()))) {
      TempFile tf(s.tmp(), "blob");
      tf.write(manifest);
      tf.finish();
      checkpoint("staged");
      staged.emplace(md.digest.str(), Staged{std::move(tf), std::nullopt, 2});
    }
    t.loaded.manifest = md;
  }

  // 6. Commit: metadata, then blobs (layers, configs, manifests), then index.json.
  std::set<std::string> dirs;
  auto write_meta = [&](const LayerMeta& m) {
    std::string p = s.meta_path(m.digest);
    std::string dir = storefs::parent_of(p);
    if (!dirs.count(dir)) {
      storefs::make_dirs(dir);
      dirs.insert(dir);
    }
    TempFile tf(s.tmp(), "meta");
    tf.write(meta_to_json(m));
    tf.commit(p);
  };
  for (auto& [d, st] : staged)
    if (st.meta) write_meta(*st.meta);
  for (auto& [d, m] : metas) write_meta(m);
  for (const std::string& dir : dirs) storefs::fsync_dir(dir);
  std::set<std::string> blob_dirs;
  for (int order = 0; order < 3; ++order) {
    for (auto& [ds, st] : staged) {
      if (st.order != order) continue;
      Digest d = Digest::parse(ds);
      std::string p = s.blob_path(d);
      std::string dir = storefs::parent_of(p);
      if (!blob_dirs.count(dir)) {
        storefs::make_dirs(dir);
        blob_dirs.insert(dir);
      }
      rep.blobs_written += 1;
      rep.bytes_written += st.file.bytes();
      st.file.commit(p);  // a concurrent load may have put the same bytes there: rename replaces them atomically
      checkpoint("committed");
    }
    // Blobs must be durable before anything refers to them.
    for (const std::string& dir : blob_dirs) storefs::fsync_dir(dir);
  }

  s.edit_index(
      [&](json::Document& doc) {
        auto& a = doc.GetAllocator();
        if (!doc.HasMember("schemaVersion")) doc.AddMember("schemaVersion", 2, a);
        json::Value* list = doc.HasMember("manifests") ? &doc["manifests"] : nullptr;
        if (!list) {
          doc.AddMember("manifests", json::Value(rapidjson::kArrayType), a);
          list = &doc["manifests"];
        } else if (!list->IsArray()) {
          list->SetArray();
        }
        auto entry_at = [&](rapidjson::SizeType i) {
          IndexEntry e;
          const json::Value& v = (*list)[i];
          e.descriptor.digest = Digest::try_parse(v.HasMember("digest") && v["digest"].IsString()
                                                      ? v["digest"].GetString()
                                                      : "")
                                    .value_or(Digest());
          if (v.HasMember("annotations") && v["annotations"].IsObject()) {
            const json::Value& an = v["annotations"];
            if (an.HasMember(annotation::ref_name.data()) && an[annotation::ref_name.data()].IsString())
              e.ref_name = an[annotation::ref_name.data()].GetString();
            if (an.HasMember(annotation::containerd_name.data()) && an[annotation::containerd_name.data()].IsString())
              e.containerd_name = an[annotation::containerd_name.data()].GetString();
          }
          return e;
        };
        auto referenced = [&](const Digest& d) {
          for (rapidjson::SizeType i = 0; i < list->Size(); ++i)
            if (entry_at(i).descriptor.digest == d) return true;
          return false;
        };
        auto append = [&](const Descriptor& md, const std::string& ref, const std::optional<Platform>& pl) {
          list->PushBack(index_descriptor_value(md, ref, pl ? &*pl : nullptr, a), a);
        };
        for (const ImageToLoad& t : todo) {
          const Descriptor& md = t.loaded.manifest;
          for (const std::string& ref : t.loaded.references) {
            bool present = false;
            std::vector<Descriptor> displaced;
            for (rapidjson::SizeType i = 0; i < list->Size();) {
              IndexEntry e = entry_at(i);
              if (!entry_names(e, ref)) {
                ++i;
                continue;
              }
              if (e.descriptor.digest == md.digest && !present) {
                present = true;
                ++i;
                continue;
              }
              // The reference moves to the new image; the old one stays, untagged
              // (as `docker load` leaves it), unless another entry keeps it.
              Descriptor old;
              const json::Value& v = (*list)[i];
              old.digest = e.descriptor.digest;
              old.media_type = v.HasMember("mediaType") && v["mediaType"].IsString() ? v["mediaType"].GetString() : "";
              old.size = v.HasMember("size") && v["size"].IsInt64() ? v["size"].GetInt64() : -1;
              list->Erase(list->Begin() + i);
              if (e.descriptor.digest != md.digest && !old.digest.empty() && old.size >= 0) displaced.push_back(old);
            }
            if (!present) append(md, ref, t.platform);
            for (const Descriptor& old : displaced)
              if (!referenced(old.digest)) append(old, "", std::nullopt);
          }
          if (t.loaded.references.empty()) {
            if (!referenced(md.digest)) append(md, "", t.platform);
          } else {
            // A tagged entry supersedes an untagged one of the same manifest.
            for (rapidjson::SizeType i = 0; i < list->Size();) {
              IndexEntry e = entry_at(i);
              if (e.descriptor.digest == md.digest && e.reference().empty()) list->Erase(list->Begin() + i);
              else ++i;
            }
          }
        }
      },
      checkpoint);

  for (ImageToLoad& t : todo) {
    LoadEvent e;
    e.kind = LoadEvent::Kind::image_loaded;
    e.image = t.name;
    e.references = t.loaded.references;
    e.id = t.loaded.id;
    e.digest = t.loaded.manifest.digest;
    event(e);
    rep.images.push_back(std::move(t.loaded));
  }
  return rep;
}

// ===========================================================================
// plan

PullPlan Store::plan(const Archive& archive, const Image& image) const {
  PullPlan p;
  p.image = short_name(image);
  p.id = image.id();
  std::vector<StoreImage> imgs = impl_->read_images(false, true);
  std::set<std::string> chains;
  for (const StoreImage& si : imgs)
    for (const StoreLayer& sl : si.layers)
      if (sl.present && sl.chain_id) chains.insert(sl.chain_id->str());
  for (const Layer& l : image.layers) {
    PlanLayer pl;
    pl.index = l.index;
    if (l.diff_id) pl.diff_id = *l.diff_id;
    if (l.chain_id) pl.chain_id = *l.chain_id;
    pl.digest = l.descriptor.digest;
    pl.size = l.descriptor.size;
    if ((pl.digest.empty() || pl.size < 0) && l.present) {  // named only by its bytes (legacy compressed layers)
      LayerScan sc = archive.scan(l, ScanDepth::full);
      if (pl.digest.empty()) pl.digest = sc.blob_digest;
      if (pl.size < 0) pl.size = static_cast<std::int64_t>(sc.blob_bytes);
    }
    if (pl.size < 0) pl.size = 0;
    pl.exists_by_chain_id = l.chain_id && chains.count(l.chain_id->str()) > 0;
    pl.exists_by_digest = impl_->has_blob(pl.digest);
    (pl.exists_by_chain_id ? p.present_bytes : p.transfer_bytes) += static_cast<std::uint64_t>(pl.size);
    p.layers.push_back(std::move(pl));
  }
  return p;
}

// ===========================================================================
// rm

RemoveReport Store::remove(const std::vector<std::string>& refs) {
  Impl& s = *impl_;
  if (refs.empty()) throw Error(Errc::invalid_argument, "rm: no image reference given");
  if (!storefs::exists(s.index_path()))
    throw Error(Errc::not_found, fmt::format("store {}: index.json is absent", s.root));
  std::vector<IndexEntry> entries;
  try {
    entries = parse_index_entries(storefs::read_file(s.index_path(), s.opts.limits.json_bytes, "index.json"),
                                  s.opts.limits);
  } catch (const Error& e) {
    corrupt(e.code(), s.root, e.what());
  }
  // Resolve everything first: a bad reference removes nothing.
  std::vector<std::string> by_name;
  std::set<std::string> by_manifest;
  std::map<std::string, Digest> id_of_manifest;
  std::optional<std::vector<StoreImage>> view;
  auto get_view = [&]() -> const std::vector<StoreImage>& {
    if (!view) view = s.read_images(false, false);
    return *view;
  };
  for (const std::string& ref : refs) {
    bool named = std::any_of(entries.begin(), entries.end(), [&](const IndexEntry& e) { return entry_names(e, ref); });
    if (named) {
      by_name.push_back(ref);
      continue;
    }
    std::set<std::string> lenient;
    for (const IndexEntry& e : entries)
      if (!e.reference().empty() && entry_names(e, ref, true)) lenient.insert(e.reference());
    if (lenient.size() == 1) {
      by_name.push_back(*lenient.begin());
      continue;
    }
    if (lenient.size() > 1) {
      std::string list;
      for (const auto& n : lenient) list += (list.empty() ? "" : ", ") + n;
      throw Error(Errc::ambiguous, fmt::format("image {:?} matches {} references in store {}: {}", ref,
                                               lenient.size(), s.root, list));
    }
    if (auto d = Digest::try_parse(ref)) {
      bool hit = false;
      for (const IndexEntry& e : entries)
        if (e.descriptor.digest == *d) {
          by_manifest.insert(d->str());
          hit = true;
        }
      if (hit) continue;
    }
    for (const StoreImage& si : find_images(get_view(), ref, s.root)) by_manifest.insert(si.manifest_digest().str());
  }
  try {
    for (const StoreImage& si : get_view()) id_of_manifest[si.manifest_digest().str()] = si.id();
  } catch (const Error&) {
    // IDs are only for the report; a store too damaged to read them is still edited.
  }
  RemoveReport r;
  std::set<std::string> touched;
  s.prepare_for_writing();
  s.edit_index([&](json::Document& doc) {
    if (!doc.HasMember("manifests") || !doc["manifests"].IsArray()) return;
    json::Value& list = doc["manifests"];
    std::vector<IndexEntry> now = parse_index_entries(json::to_string(doc), s.opts.limits);
    // Erase from the end so positions stay valid.
    for (std::size_t k = now.size(); k-- > 0;) {
      const IndexEntry& e = now[k];
      bool hit = by_manifest.count(e.descriptor.digest.str()) > 0;
      for (const std::string& ref : by_name) hit = hit || entry_names(e, ref);
      if (!hit) continue;
      if (!e.reference().empty()) r.untagged.push_back(e.reference());
      touched.insert(e.descriptor.digest.str());
      list.Erase(list.Begin() + static_cast<rapidjson::SizeType>(k));
    }
    std::reverse(r.untagged.begin(), r.untagged.end());
    std::vector<IndexEntry> after = parse_index_entries(json::to_string(doc), s.opts.limits);
    for (const std::string& m : touched) {
      bool still = std::any_of(after.begin(), after.end(), [&](const IndexEntry& e) { return e.descriptor.digest.str() == m; });
      if (still) continue;
      auto it = id_of_manifest.find(m);
      r.deleted.push_back(it != id_of_manifest.end() && !it->second.empty() ? it->second : Digest::parse(m));
    }
  });
  return r;
}

// ===========================================================================
// gc

GcReport Store::gc(const GcOptions& o) {
  Impl& s = *impl_;
  GcReport r;
  r.dry_run = o.dry_run;
  if (!storefs::exists(s.index_path()))
    throw Error(Errc::not_found, fmt::format("store {}: index.json is absent", s.root));
  if (!o.dry_run) s.prepare_for_writing();
  auto main_lock = FileLock::acquire(s.lock_path(), true, !o.dry_run);
  auto index_lock = FileLock::acquire(s.index_lock_path(), true, !o.dry_run);
  std::set<std::string> keep = s.reachable(true);
  std::set<std::string> touched;
  auto remove_file = [&](const std::string& path) {
    if (o.dry_run) return;
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) storefs::throw_errno("remove", path, errno, true);
    touched.insert(storefs::parent_of(path));
  };
  std::string blobs = join(s.root, "blobs");
  for (const std::string& alg : storefs::list_dir(blobs)) {
    std::string adir = join(blobs, alg);
    if (!storefs::is_directory(adir)) {
      std::int64_t size = storefs::file_size(adir);
      r.blobs.push_back({"blobs/" + alg, Digest(), static_cast<std::uint64_t>(std::max<std::int64_t>(size, 0))});
      remove_file(adir);
      continue;
    }
    for (const std::string& name : storefs::list_dir(adir)) {
      std::string text = alg + ":" + name;
      if (keep.count(text)) continue;
      std::string p = join(adir, name);
      if (storefs::is_directory(p)) continue;  // not ours to judge
      std::int64_t size = storefs::file_size(p);
      r.blobs.push_back({"blobs/" + alg + "/" + name, Digest::try_parse(text).value_or(Digest()),
                         static_cast<std::uint64_t>(std::max<std::int64_t>(size, 0))});
      remove_file(p);
    }
  }
  for (const std::string& name : storefs::list_dir(s.tmp())) {
    std::string p = join(s.tmp(), name);
    std::int64_t size = storefs::file_size(p);
    r.temp_files.push_back({".layerkit/tmp/" + name, Digest(), static_cast<std::uint64_t>(std::max<std::int64_t>(size, 0))});
    remove_file(p);
  }
  std::string layers = join(s.dot(), "layers");
  for (const std::string& alg : storefs::list_dir(layers)) {
    for (const std::string& name : storefs::list_dir(join(layers, alg))) {
      auto d = Digest::try_parse(alg + ":" + name);
      bool orphan = !d || !d->verifiable() || !keep.count(d->str()) || !storefs::exists(s.blob_path(*d));
      if (!orphan) continue;
      ++r.metadata_removed;
      remove_file(join(join(layers, alg), name));
    }
  }
  for (const auto& b : r.blobs) r.bytes_removed += b.bytes;
  for (const auto& t : r.temp_files) r.bytes_removed += t.bytes;
  for (const std::string& dir : touched) storefs::fsync_dir(dir);
  return r;
}

// ===========================================================================
// df

DiskUsage Store::disk_usage() const {
  Impl& s = *impl_;
  DiskUsage u;
  std::vector<StoreImage> imgs = s.read_images(true, true);
  // Distinct images are distinct manifests; a layer is a chain_id.
  std::map<std::string, const StoreImage*> by_manifest;
  for (const StoreImage& si : imgs) by_manifest.emplace(si.manifest_digest().str(), &si);
  std::map<std::string, std::size_t> users;
  std::map<std::string, std::uint64_t> chain_size;
  for (const auto& [m, si] : by_manifest) {
    std::set<std::string> mine;
    for (const StoreLayer& l : si->layers) {
      std::string key = l.chain_id ? l.chain_id->str() : "blob " + l.descriptor.digest.str();
      if (mine.insert(key).second) ++users[key];
      chain_size[key] = static_cast<std::uint64_t>(std::max<std::int64_t>(l.content_size, 0));
    }
    u.total_size += static_cast<std::uint64_t>(std::max<std::int64_t>(si->size, 0));
  }
  u.distinct_images = by_manifest.size();
  u.distinct_layers = chain_size.size();
  for (const auto& [k, v] : chain_size) u.content_size += v;
  for (const StoreImage& si : imgs) {
    DiskUsageImage di;
    di.reference = si.reference;
    di.id = si.id();
    di.manifest_digest = si.manifest_digest();
    di.created = si.image.config.created;
    di.layers = si.layers.size();
    di.blob_bytes = si.blob_bytes;
    std::set<std::string> counted;
    for (const StoreLayer& l : si.layers) {
      std::string key = l.chain_id ? l.chain_id->str() : "blob " + l.descriptor.digest.str();
      if (!counted.insert(key).second) continue;
      std::uint64_t size = static_cast<std::uint64_t>(std::max<std::int64_t>(l.content_size, 0));
      di.size += size;
      if (users[key] > 1) di.shared_size += size;
    }
    di.unique_size = di.size - di.shared_size;
    u.images.push_back(std::move(di));
  }
  std::set<std::string> keep;
  if (storefs::exists(s.index_path())) keep = s.reachable(false);
  std::string blobs = join(s.root, "blobs");
  for (const std::string& alg : storefs::list_dir(blobs)) {
    for (const std::string& name : storefs::list_dir(join(blobs, alg))) {
      std::int64_t size = storefs::file_size(join(join(blobs, alg), name));
      if (size < 0) continue;
      ++u.blobs;
      u.blob_bytes += static_cast<std::uint64_t>(size);
      if (!keep.count(alg + ":" + name)) {
        ++u.unreferenced_blobs;
        u.unreferenced_bytes += static_cast<std::uint64_t>(size);
      }
    }
  }
  for (const std::string& name : storefs::list_dir(s.tmp())) {
    std::int64_t size = storefs::file_size(join(s.tmp(), name));
    ++u.temp_files;
    u.temp_bytes += static_cast<std::uint64_t>(std::max<std::int64_t>(size, 0));
  }
  return u;
}

// ===========================================================================
// verify

StoreVerifyReport Store::verify(const StoreVerifyOptions& o) const {
  Impl& s = *impl_;
  StoreVerifyReport r;
  bool busy = false;
  auto lock = FileLock::acquire(s.lock_path(), true, false, o.wait, &busy);
  if (busy) throw Error(Errc::io, fmt::format("store {} is busy (a load or gc is running)", s.root));
  auto problem = [&](std::string kind, std::string path, std::string expected, std::string actual,
                     std::string message) {
    r.ok = false;
    r.problems.push_back({std::move(kind), std::move(path), std::move(expected), std::move(actual), std::move(message)});
  };

  // oci-layout
  try {
    std::string bytes = storefs::read_file(s.layout_path(), 4096, "oci-layout");
    json::Document doc = json::parse(bytes, "oci-layout", 4);
    json::Path at{"oci-layout", ""};
    json::require_object(doc, at);
    std::string v = json::opt_string(doc, "imageLayoutVersion", at).value_or("");
    if (v.empty() || v[0] != '1')
      problem("layout", "oci-layout", "1.x", v, fmt::format("oci-layout: imageLayoutVersion {:?} is not 1.x", v));
  } catch (const Error& e) {
    problem("layout", "oci-layout", "", "", e.what());
  }

  // index.json, and everything it reaches (the core's verify over the layout)
  std::set<std::string> hashed;                     // blobs already hashed (by digest text)
  std::map<std::string, std::pair<Digest, std::uint64_t>> layer_facts;  // digest -> diff_id, content bytes
  std::set<std::string> referenced;
  bool referenced_known = false;
  bool index_ok = false;
  try {
    std::string bytes = storefs::read_file(s.index_path(), s.opts.limits.json_bytes, "index.json");
    r.images = parse_index_entries(bytes, s.opts.limits).size();
    index_ok = true;
  } catch (const Error& e) {
    problem("index", "index.json", "", "", fmt::format("index.json: {}", e.what()));
  }
  if (index_ok) {
    try {
      OpenOptions oo;
      oo.platform = "all";
      oo.limits = s.opts.limits;
      Archive ar = Archive::open(s.root, oo);
      VerifyOptions vo;
      vo.threads = o.threads;
      vo.progress = o.progress;
      VerifyReport vr = layerkit::verify(ar, vo);
      for (const Problem& p : vr.problems) {
        if (p.kind == "count") {
          // Layers vs diff_ids must agree; a history that does not line up is Docker's business.
          bool layers_ok = false;
          for (const Image& img : ar.images())
            if (img.complete() && img.layers.size() == img.config.diff_ids.size() && p.member == img.config_member)
              layers_ok = true;
          if (layers_ok) {
            r.notes.push_back(p.message);
            continue;
          }
        }
        problem(p.kind, p.member, p.expected, p.actual, p.message);
      }
      for (const std::string& n : vr.notes) r.notes.push_back(n);
      for (const BlobCheck& c : ar.blob_checks())
        if (!c.declared_digest.empty()) hashed.insert(c.declared_digest.str());
      for (const Image& img : ar.images()) {
        for (const Layer& l : img.layers) {
          if (!l.present || l.descriptor.digest.empty()) continue;
          try {
            LayerScan sc = ar.scan(l, ScanDepth::headers);  // cached by verify's full pass
            if (sc.depth == ScanDepth::full && sc.blob_digest == l.descriptor.digest) {
              hashed.insert(l.descriptor.digest.str());
              layer_facts[l.descriptor.digest.str()] = {sc.diff_id, sc.stats.content_bytes};
            }
          } catch (const Error&) {
          }
        }
      }
    } catch (const Error& e) {
      if (e.code() == Errc::cancelled) throw;  // the caller asked to stop: not a finding about the store
      std::string what = e.what();
      if (what.rfind(s.root + ": ", 0) == 0) what.erase(0, s.root.size() + 2);
      problem("unreadable", "index.json", "", "", what);
    }
    try {
      referenced = s.reachable(true);
      referenced_known = true;
    } catch (const Error&) {
      r.notes.push_back("an index or manifest is missing or unreadable: unreferenced blobs cannot be told apart");
    }
  }

  // Every file under blobs/: a digest name, the bytes it names.
  std::string blobs = join(s.root, "blobs");
  if (!storefs::is_directory(blobs)) problem("layout", "blobs", "", "", "blobs/ is absent");
  for (const std::string& alg : storefs::list_dir(blobs)) {
    std::string adir = join(blobs, alg);
    if (!storefs::is_directory(adir)) {
      problem("stray", "blobs/" + alg, "", "", fmt::format("blobs/{}: a file where an algorithm directory belongs", alg));
      continue;
    }
    for (const std::string& name : storefs::list_dir(adir)) {
      std::string rel = "blobs/" + alg + "/" + name;
      std::string p = join(adir, name);
      auto d = Digest::try_parse(alg + ":" + name);
      if (!d || !storefs::exists(p) || storefs::is_directory(p)) {
        problem("stray", rel, "", "", fmt::format("{}: not a blob (its name is not a digest)", rel));
        continue;
      }
      std::int64_t size = storefs::file_size(p);
      ++r.blobs;
      r.bytes += static_cast<std::uint64_t>(std::max<std::int64_t>(size, 0));
      if (referenced_known && !referenced.count(d->str()))
        r.leftovers.push_back(fmt::format("{}: unreferenced blob, {} bytes (`layerkit store gc` removes it)", rel, size));
      if (hashed.count(d->str())) continue;
      if (!d->verifiable()) {
        r.notes.push_back(fmt::format("{}: algorithm {} cannot be verified", rel, alg));
        continue;
      }
      try {
        storefs::Fd fd(::open(p.c_str(), O_RDONLY | O_CLOEXEC));
        if (!fd) storefs::throw_errno("open", p, errno);
        Hasher h(d->algorithm());
        std::vector<char> buf(1 << 20);
        for (;;) {
          ssize_t n = ::read(fd.get(), buf.data(), buf.size());
          if (n < 0) {
            if (errno == EINTR) continue;
            storefs::throw_errno("read", p, errno);
          }
          if (n == 0) break;
          h.update(buf.data(), static_cast<std::size_t>(n));
        }
        Digest actual = h.finish();
        if (actual != *d)
          problem("blob_digest", rel, d->str(), actual.str(),
                  fmt::format("{}: hashes to {}, its name says {}", rel, actual.str(), d->str()));
      } catch (const Error& e) {
        problem("unreadable", rel, "", "", e.what());
      }
    }
  }

  // Layer metadata: each record agrees with its blob.
  std::string layers = join(s.dot(), "layers");
  for (const std::string& alg : storefs::list_dir(layers)) {
    for (const std::string& name : storefs::list_dir(join(layers, alg))) {
      std::string rel = ".layerkit/layers/" + alg + "/" + name;
      auto d = Digest::try_parse(alg + ":" + name);
      if (!d || !d->verifiable()) {
        problem("metadata", rel, "", "", fmt::format("{}: not a layer record (its name is not a digest)", rel));
        continue;
      }
      if (!s.has_blob(*d)) {
        r.leftovers.push_back(fmt::format("{}: record of an absent blob (`layerkit store gc` removes it)", rel));
        continue;
      }
      std::optional<LayerMeta> m;
      try {
        m = meta_from_json(storefs::read_file(join(join(layers, alg), name), 64 * 1024, "layer metadata"), *d);
      } catch (const Error&) {
      }
      if (!m) {
        problem("metadata", rel, "", "", fmt::format("{}: not a valid layer record", rel));
        continue;
      }
      auto it = layer_facts.find(d->str());
      if (it == layer_facts.end()) continue;
      if (m->diff_id != it->second.first)
        problem("metadata", rel, it->second.first.str(), m->diff_id.str(),
                fmt::format("{}: records diff_id {}, the blob's tar stream hashes to {}", rel, m->diff_id.str(),
                            it->second.first.str()));
      if (m->content_bytes != it->second.second)
        problem("metadata", rel, std::to_string(it->second.second), std::to_string(m->content_bytes),
                fmt::format("{}: records a content size of {} bytes, the blob has {}", rel, m->content_bytes,
                            it->second.second));
    }
  }

  // Leftovers of interrupted writes.
  for (const std::string& name : storefs::list_dir(s.tmp())) {
    std::int64_t size = storefs::file_size(join(s.tmp(), name));
    r.leftovers.push_back(fmt::format(".layerkit/tmp/{}: temporary file of an interrupted write, {} bytes "
                                      "(never used; `layerkit store gc` removes it)",
                                      name, size));
  }
  return r;
}

}  // namespace layerkit
