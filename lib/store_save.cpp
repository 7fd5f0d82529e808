// store_save.cpp — Store::save: docker-archive (readable by Docker <= 24 and
// 25+), oci-archive and OCI layout output, full or thin (--missing-from).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <memory>
#include <set>

#include <rapidjson/writer.h>

#include <fmt/format.h>

#include "layerkit/text.hpp"
#include "store_impl.hpp"
#include "store_tar.hpp"

namespace layerkit {

using storefs::join;

const char* save_format_name(SaveFormat f) noexcept {
  switch (f) {
    case SaveFormat::docker_archive: return "docker-archive";
    case SaveFormat::oci_archive: return "oci-archive";
    case SaveFormat::oci_layout: return "oci-layout";
  }
  return "unknown";
}

SaveFormat parse_save_format(std::string_view name) {
  if (name == "docker-archive" || name == "docker") return SaveFormat::docker_archive;
  if (name == "oci-archive") return SaveFormat::oci_archive;
  if (name == "oci-layout" || name == "oci") return SaveFormat::oci_layout;
  throw Error(Errc::invalid_argument, fmt::format("unknown save format {:?} (docker-archive, oci-archive, oci-layout)",
                                                  std::string(name)));
}

namespace {

// Where save writes: a tar (file or stdout) or a directory built aside.
class Sink {
 public:
  virtual ~Sink() = default;
  virtual void directory(const std::string& name) = 0;
  virtual void begin_file(const std::string& name, std::uint64_t size) = 0;
  virtual void write(const void* data, std::size_t n) = 0;
  virtual void end_file() = 0;
  void add_file(const std::string& name, std::string_view bytes) {
    begin_file(name, bytes.size());
    write(bytes.data(), bytes.size());
    end_file();
  }
  /// Makes the output durable and visible at its final path.
  virtual void commit() = 0;
};

class TarSink final : public Sink {
 public:
  explicit TarSink(const std::string& output) : output_(output) {
    if (output == "-") {
      tar_ = std::make_unique<storetar::TarWriter>(1, "standard output");
      return;
    }
    if (storefs::is_directory(output))
      throw Error(Errc::invalid_argument, fmt::format("{}: is a directory (the tar formats write a file)", output));
    std::string dir = storefs::parent_of(output);
    if (!storefs::is_directory(dir))
      throw Error(Errc::not_found, fmt::format("{}: directory {} does not exist", output, dir));
    tmp_.emplace(dir, "layerkit-save.tmp");
    tar_ = std::make_unique<storetar::TarWriter>(tmp_->fd(), output);
  }
  void directory(const std::string& name) override { tar_->add_directory(name); }
  void begin_file(const std::string& name, std::uint64_t size) override { tar_->begin_file(name, size); }
  void write(const void* data, std::size_t n) override { tar_->write(data, n); }
  void end_file() override { tar_->end_file(); }
  void commit() override {
    tar_->close();
    tar_.reset();
    if (tmp_) {
      tmp_->commit(output_);
      storefs::fsync_dir(storefs::parent_of(output_));
    }
  }

 private:
  std::string output_;
  std::optional<storefs::TempFile> tmp_;
  std::unique_ptr<storetar::TarWriter> tar_;
};

void remove_tree(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return;
  if (S_ISDIR(st.st_mode)) {
    for (const std::string& name : storefs::list_dir(path)) remove_tree(join(path, name));
    ::rmdir(path.c_str());
  } else {
    ::unlink(path.c_str());
  }
}

class DirSink final : public Sink {
 public:
  explicit DirSink(const std::string& output) : output_(output) {
    while (output_.size() > 1 && output_.back() == '/') output_.pop_back();
    if (storefs::exists(output_)) {
      if (!storefs::is_directory(output_))
        throw Error(Errc::invalid_argument, fmt::format("{}: exists and is not a directory", output_));
      if (!storefs::list_dir(output_).empty())
        throw Error(Errc::invalid_argument,
                    fmt::format("{}: the directory is not empty (an OCI layout is written to a new directory)", output_));
    }
    std::string parent = storefs::parent_of(output_);
    if (!storefs::is_directory(parent))
      throw Error(Errc::not_found, fmt::format("{}: directory {} does not exist", output_, parent));
    tmp_ = fmt::format("{}.{}-{}.tmp", output_, ::getpid(), storefs::random_hex());
    if (::mkdir(tmp_.c_str(), 0755) != 0) storefs::throw_errno("create directory", tmp_, errno, true);
  }
  ~DirSink() override {
    if (!tmp_.empty()) remove_tree(tmp_);
  }
  void directory(const std::string& name) override {
    std::string p = join(tmp_, name);
    while (!p.empty() && p.back() == '/') p.pop_back();
    if (::mkdir(p.c_str(), 0755) != 0 && errno != EEXIST) storefs::throw_errno("create directory", p, errno, true);
    dirs_.push_back(p);
  }
  void begin_file(const std::string& name, std::uint64_t) override {
    path_ = join(tmp_, name);
    fd_ = storefs::Fd(::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (!fd_) storefs::throw_errno("create", path_, errno, true);
  }
  void write(const void* data, std::size_t n) override { storefs::write_all(fd_.get(), data, n, path_); }
  void end_file() override {
    if (::fsync(fd_.get()) != 0) storefs::throw_errno("fsync", path_, errno, true);
    fd_.close();
  }
  void commit() override {
    for (auto it = dirs_.rbegin(); it != dirs_.rend(); ++it) storefs::fsync_dir(*it);
    storefs::fsync_dir(tmp_);
    if (::rename(tmp_.c_str(), output_.c_str()) != 0) storefs::throw_errno("rename into", output_, errno, true);
    tmp_.clear();
    storefs::fsync_dir(storefs::parent_of(output_));
  }

 private:
  std::string output_, tmp_, path_;
  storefs::Fd fd_;
  std::vector<std::string> dirs_;
};

std::string blob_name(const Digest& d) { return fmt::format("blobs/{}/{}", d.algorithm_name(), d.encoded()); }

// What a thin archive's target has.
struct Target {
  std::set<std::string> chains, digests;
};

Target read_target(const std::string& path, const OpenOptions& open) {
  Target t;
  OpenOptions oo = open;
  oo.platform = "all";
  Archive a = Archive::open(path, oo);
  for (const Image& img : a.images())
    for (const Layer& l : img.layers) {
      if (!l.present) continue;
      if (l.chain_id) t.chains.insert(l.chain_id->str());
      if (!l.descriptor.digest.empty()) t.digests.insert(l.descriptor.digest.str());
    }
  if (storefs::is_directory(path)) {  // a layout: every blob it holds counts, as a content store
    std::string blobs = join(path, "blobs");
    for (const std::string& alg : storefs::list_dir(blobs))
      for (const std::string& name : storefs::list_dir(join(blobs, alg))) t.digests.insert(alg + ":" + name);
  }
  return t;
}

struct Out {
  const StoreImage* si = nullptr;
  std::vector<std::string> refs;
};

}  // namespace

SaveReport Store::save(const std::vector<std::string>& refs, const std::string& output, const SaveOptions& o) const {
  const Impl& s = *impl_;
  if (refs.empty()) throw Error(Errc::invalid_argument, "save: no image reference given");
  if (output.empty()) throw Error(Errc::invalid_argument, "save: no output given");
  if (output == "-" && o.format == SaveFormat::oci_layout)
    throw Error(Errc::invalid_argument, "save: an OCI layout is a directory and cannot go to standard output");
  // Shared: gc (exclusive) cannot remove a blob while it is copied.
  auto lock = storefs::FileLock::acquire(s.lock_path(), false, false);
  std::vector<StoreImage> imgs = s.read_images(false, true);

  // Which images, with which references (manifest order of first mention).
  std::vector<Out> outs;
  auto out_for = [&](const StoreImage& si) -> Out& {
    for (Out& x : outs)
      if (x.si->manifest_digest() == si.manifest_digest()) return x;
    outs.push_back({&si, {}});
    return outs.back();
  };
  for (const std::string& ref : refs) {
    std::vector<StoreImage> hits = find_images(imgs, ref, s.root);
    for (const StoreImage& h : hits) {
      const StoreImage* si = nullptr;
      for (const StoreImage& x : imgs)
        if (x.index_path == h.index_path) si = &x;
      if (!si) continue;
      if (!si->image.complete() || !si->image.manifest)
        throw Error(Errc::not_found, fmt::format("store {}: {}: manifest or config is absent; run `layerkit store "
                                                 "verify`",
                                                 s.root, ref));
      if (!si->image.artifact_type.empty())
        throw Error(Errc::unsupported, fmt::format("{}: an OCI artifact, not an image", ref));
      Out& x = out_for(*si);
      IndexEntry e;
      e.ref_name = h.reference;
      e.containerd_name = h.containerd_name;
      bool by_name = !h.reference.empty() && entry_names(e, ref, true);
      if (by_name && std::find(x.refs.begin(), x.refs.end(), h.reference) == x.refs.end()) x.refs.push_back(h.reference);
    }
  }

  std::optional<Target> target;
  if (!o.missing_from.empty()) target = read_target(o.missing_from, o.target_open);

  SaveReport rep;
  rep.output = output;
  rep.format = o.format;
  struct BlobOut {
    Digest digest;
    std::uint64_t size = 0;
    const std::string* bytes = nullptr;  // JSON blobs from memory (hashed when the store was read)
  };
  std::vector<BlobOut> blobs;
  std::set<std::string> seen;
  std::uint64_t total = 0;
  auto add_blob = [&](const Digest& d, std::uint64_t size, const std::string* bytes) {
    if (!seen.insert(d.str()).second) return;
    blobs.push_back({d, size, bytes});
    total += size;
  };
  for (const Out& x : outs) {
    const StoreImage& si = *x.si;
    SavedImage img;
    img.references = x.refs;
    img.id = si.id();
    img.manifest = *si.image.manifest;
    for (const StoreLayer& l : si.layers) {
      SavedLayer sl;
      sl.index = l.index;
      sl.digest = l.descriptor.digest;
      sl.diff_id = l.diff_id.value_or(Digest());
      sl.size = static_cast<std::uint64_t>(std::max<std::int64_t>(l.descriptor.size, 0));
      if (target) {
        sl.omitted = o.format == SaveFormat::docker_archive ? (l.chain_id && target->chains.count(l.chain_id->str()))
                                                            : target->digests.count(l.descriptor.digest.str()) > 0;
      }
      if (sl.omitted) {
        rep.bytes_omitted += sl.size;
      } else {
        if (!l.present)
          throw Error(Errc::not_found, fmt::format("store {}: layer {} of {} ({}) is absent from blobs/; run `layerkit "
                                                   "store verify`",
                                                   s.root, l.index, x.refs.empty() ? si.id().short_hex() : x.refs[0],
                                                   l.descriptor.digest.str()));
        add_blob(l.descriptor.digest, sl.size, nullptr);
      }
      img.layers.push_back(std::move(sl));
    }
    add_blob(si.id(), si.image.config_json.size(), &si.image.config_json);
    add_blob(si.image.manifest->digest, si.image.manifest_json.size(), &si.image.manifest_json);
    rep.images.push_back(std::move(img));
  }

  // The small documents.
  json::Document index;
  index.SetObject();
  auto& a = index.GetAllocator();
  index.AddMember("schemaVersion", 2, a);
  index.AddMember("mediaType", json::Value(media::oci_index.data(), a), a);
  json::Value list(rapidjson::kArrayType);
  for (const Out& x : outs) {
    Descriptor md = *x.si->image.manifest;
    md.size = static_cast<std::int64_t>(x.si->image.manifest_json.size());
    if (md.media_type.empty()) md.media_type = std::string(media::oci_manifest);
    auto pl = config_platform(x.si->image);
    if (x.refs.empty()) list.PushBack(index_descriptor_value(md, "", pl ? &*pl : nullptr, a), a);
    for (const std::string& r : x.refs) list.PushBack(index_descriptor_value(md, r, pl ? &*pl : nullptr, a), a);
  }
  index.AddMember("manifests", list, a);
  std::string index_json = json::to_string(index);

  std::string manifest_json, repositories_json;
  if (o.format == SaveFormat::docker_archive) {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    std::map<std::string, std::map<std::string, std::string>> repos;
    w.StartArray();
    for (const Out& x : outs) {
      const StoreImage& si = *x.si;
      w.StartObject();
      w.Key("Config");
      w.String(blob_name(si.id()).c_str());
      w.Key("RepoTags");
      if (x.refs.empty()) {
        w.Null();
      } else {
        w.StartArray();
        for (const std::string& r : x.refs) w.String(r.c_str());
        w.EndArray();
      }
      w.Key("Layers");
      w.StartArray();
      for (const StoreLayer& l : si.layers) w.String(blob_name(l.descriptor.digest).c_str());
      w.EndArray();
      w.Key("LayerSources");
      w.StartObject();
      std::set<std::string> keys;
      for (const StoreLayer& l : si.layers) {
        if (!l.diff_id || !keys.insert(l.diff_id->str()).second) continue;
        w.Key(l.diff_id->str().c_str());
        w.StartObject();
        w.Key("mediaType");
        w.String(l.descriptor.media_type.c_str());
        w.Key("size");
        w.Int64(l.descriptor.size);
        w.Key("digest");
        w.String(l.descriptor.digest.str().c_str());
        w.EndObject();
      }
      w.EndObject();
      w.EndObject();
      // Docker <= 24's `repositories`: familiar repository -> tag -> top layer ID.
      std::string top = si.layers.empty() ? std::string(si.id().encoded()) : std::string(si.layers.back().descriptor.digest.encoded());
      for (const std::string& r : x.refs) {
        auto [repo, tag] = text::split_repo_tag(r);
        if (tag != "<none>") repos[repo][tag] = top;
      }
    }
    w.EndArray();
    manifest_json = std::string(buf.GetString(), buf.GetSize()) + "\n";
    if (!repos.empty()) {
      rapidjson::StringBuffer rb;
      rapidjson::Writer<rapidjson::StringBuffer> rw(rb);
      rw.StartObject();
      for (const auto& [repo, tags] : repos) {
        rw.Key(repo.c_str());
        rw.StartObject();
        for (const auto& [tag, id] : tags) {
          rw.Key(tag.c_str());
          rw.String(id.c_str());
        }
        rw.EndObject();
      }
      rw.EndObject();
      repositories_json = std::string(rb.GetString(), rb.GetSize()) + "\n";
    }
  }

  // Write: blobs (each re-hashed on its way out), then the documents.
  std::unique_ptr<Sink> sink;
  if (o.format == SaveFormat::oci_layout) sink = std::make_unique<DirSink>(output);
  else sink = std::make_unique<TarSink>(output);
  std::set<std::string> algs;
  sink->directory("blobs/");
  std::uint64_t done = 0;
  std::vector<char> buf(1 << 20);
  for (const BlobOut& b : blobs) {
    std::string alg(b.digest.algorithm_name());
    if (algs.insert(alg).second) sink->directory("blobs/" + alg + "/");
    if (b.bytes) {
      sink->add_file(blob_name(b.digest), *b.bytes);
    } else {
      std::string path = s.blob_path(b.digest);
      storefs::Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
      if (!fd) storefs::throw_errno("open", path, errno);
      struct stat st;
      if (::fstat(fd.get(), &st) != 0) storefs::throw_errno("stat", path, errno);
      if (static_cast<std::uint64_t>(st.st_size) != b.size)
        throw Error(Errc::size_mismatch,
                    fmt::format("store {}: blob {} is {} bytes, its descriptor says {}; run `layerkit store verify`",
                                s.root, b.digest.str(), st.st_size, b.size));
      sink->begin_file(blob_name(b.digest), b.size);
      Hasher h(b.digest.algorithm());
      std::uint64_t got = 0;
      for (;;) {
        ssize_t n = ::read(fd.get(), buf.data(), std::min<std::uint64_t>(buf.size(), b.size - got));
        if (n < 0) {
          if (errno == EINTR) continue;
          storefs::throw_errno("read", path, errno);
        }
        if (n == 0) break;
        h.update(buf.data(), static_cast<std::size_t>(n));
        sink->write(buf.data(), static_cast<std::size_t>(n));
        got += static_cast<std::uint64_t>(n);
        if (o.progress && !o.progress(done + got, total)) throw Error(Errc::cancelled, "save: cancelled");
        if (got == b.size) break;
      }
      if (got != b.size)
        throw Error(Errc::truncated, fmt::format("store {}: blob {} ended after {} of {} bytes", s.root,
                                                 b.digest.str(), got, b.size));
      Digest actual = h.finish();
      if (actual != b.digest)
        throw Error(Errc::digest_mismatch,
                    fmt::format("store {}: blob {} hashes to {}; the store is damaged: run `layerkit store verify` "
                                "(nothing was written)",
                                s.root, b.digest.str(), actual.str()));
      sink->end_file();
    }
    done += b.size;
    rep.blobs_written += 1;
    rep.bytes_written += b.size;
  }
  sink->add_file("index.json", index_json);
  if (o.format == SaveFormat::docker_archive) sink->add_file("manifest.json", manifest_json);
  sink->add_file("oci-layout", std::string(media::oci_layout_file));
  if (!repositories_json.empty()) sink->add_file("repositories", repositories_json);
  sink->commit();
  return rep;
}

}  // namespace layerkit
