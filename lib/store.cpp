// store.cpp — the image store: layout, reading, finding, plan, rm, gc, df.
// (load is in store_load.cpp, verify in store_verify.cpp, save in
// store_save.cpp, the JSON documents in store_json.cpp.)
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
  } catch (const Error& e) {
    if (e.code() != Errc::io) throw;
    throw Error(Errc::io, fmt::format("store {} cannot be written: {}", root, e.what()));
  }
}

void Store::Impl::write_layout(bool locked) const {
  if (storefs::exists(layout_path()) && storefs::exists(index_path())) return;
  try {
    std::optional<FileLock> lock;
    if (!locked) lock = FileLock::acquire(index_lock_path(), true, true);
    if (!storefs::exists(layout_path())) storefs::write_file_atomic(tmp(), layout_path(), media::oci_layout_file);
    if (!storefs::exists(index_path())) storefs::write_file_atomic(tmp(), index_path(), empty_index_json());
  } catch (const Error& e) {
    if (e.code() != Errc::io) throw;
    throw Error(Errc::io, fmt::format("store {} cannot be written: {}", root, e.what()));
  }
}

bool Store::Impl::not_created() const {
  return opts.create && !storefs::exists(index_path()) && !storefs::exists(layout_path());
}

void Store::Impl::edit_index(const std::function<void(json::Document&)>& edit,
                             const std::function<void(std::string_view)>& checkpoint) const {
  auto lock = FileLock::acquire(index_lock_path(), true, true);
  write_layout(true);
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
  if (not_created()) return {};
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
    if (!options.create) {
      // A first load writes the layout only when it commits: while one (or a
      // gc) holds the store's lock, it is a store being created, which reads
      // as empty until then (and verify or gc wait for that lock).
      bool busy = false;
      if (storefs::is_directory(impl->dot())) (void)FileLock::acquire(impl->lock_path(), true, false, false, &busy);
      if (!busy) throw Error(Errc::not_found, fmt::format("store {} is empty (`layerkit store load` fills it)", dir));
      impl->opts.create = true;
    }
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
  std::set<std::string> to_write;  // layer blobs a load would write, by digest
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
    // As Store::load decides: a blob it has with the expected size is not
    // written; one absent from the archive is never written (a thin archive).
    bool stored = pl.exists_by_digest && (l.descriptor.size < 0 ||
                                          storefs::file_size(impl_->blob_path(pl.digest)) == l.descriptor.size);
    if (l.present && !pl.digest.empty() && !stored && to_write.insert(pl.digest.str()).second) {
      pl.load_writes = true;
      ++p.write_blobs;
      p.write_bytes += static_cast<std::uint64_t>(pl.size);
    }
    p.layers.push_back(std::move(pl));
  }
  return p;
}

// ===========================================================================
// rm

RemoveReport Store::remove(const std::vector<std::string>& refs) {
  Impl& s = *impl_;
  if (refs.empty()) throw Error(Errc::invalid_argument, "rm: no image reference given");
  // A store not created yet has no image: each reference is "no image" below.
  const bool fresh = s.not_created();
  if (!fresh && !storefs::exists(s.index_path()))
    throw Error(Errc::not_found, fmt::format("store {}: index.json is absent", s.root));
  std::vector<IndexEntry> entries;
  try {
    if (!fresh)
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
  auto index_absent = [&] { return Error(Errc::not_found, fmt::format("store {}: index.json is absent", s.root)); };
  if (!storefs::exists(s.index_path()) && !s.not_created()) throw index_absent();
  // A store not created yet that no write has touched has nothing to sweep
  // (and gc does not create it).
  if (s.not_created() && !storefs::is_directory(s.dot())) return r;
  if (!o.dry_run) s.prepare_for_writing();
  auto main_lock = FileLock::acquire(s.lock_path(), true, !o.dry_run);
  auto index_lock = FileLock::acquire(s.index_lock_path(), true, !o.dry_run);
  // Decided under the locks: a load that created the store meanwhile is seen.
  // A store not created yet has no root: whatever a write left is a leftover.
  std::set<std::string> keep;
  if (storefs::exists(s.index_path())) {
    keep = s.reachable(true);
    if (!o.dry_run) s.write_layout(true);  // a missing oci-layout is restored, as a write would
  } else if (!s.not_created()) {
    throw index_absent();
  }
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
}  // namespace layerkit
