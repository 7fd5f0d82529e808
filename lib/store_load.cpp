// store_load.cpp — Store::load: import an archive's images, copying and
// verifying only the blobs the store lacks, committing atomically.
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
  try {  // (absent: the store is initialised when this load commits)
    if (storefs::exists(s.index_path()))
      (void)parse_index_entries(storefs::read_file(s.index_path(), s.opts.limits.json_bytes, "index.json"),
                                s.opts.limits);
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

  std::optional<std::map<std::string, Digest>> stored_chains;  // chain_id -> blob, read when first needed
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
        // A thin archive: acceptable when the store has exactly this blob, or —
        // as `docker load` decides, by chain_id — the same layer on the same
        // layers, stored in another compression (save --missing-from leaves a
        // docker-archive's layer out on that ground).
        Digest d = l.descriptor.digest;
        if ((d.empty() || !have(d)) && l.chain_id) {
          if (!stored_chains) {
            stored_chains.emplace();
            if (storefs::exists(s.index_path()))
              for (const StoreImage& si : s.read_images(false, false))
                for (const StoreLayer& sl : si.layers)
                  if (sl.present && sl.chain_id) stored_chains->emplace(sl.chain_id->str(), sl.descriptor.digest);
          }
          if (auto it = stored_chains->find(l.chain_id->str()); it != stored_chains->end()) d = it->second;
        }
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
    // A layer taken from the store in another compression (a thin archive)
    // makes the archive's manifest name blobs the store does not have.
    bool same_blobs = true;
    for (std::size_t i = 0; i < img.layers.size() && i < t.loaded.layers.size(); ++i)
      if (!img.layers[i].descriptor.digest.empty() && img.layers[i].descriptor.digest != t.loaded.layers[i].digest)
        same_blobs = false;
    if (img.manifest && !img.manifest_json.empty() && same_blobs) {
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

  // 6. Commit: the layout files of a store not initialised yet (so that a
  // failed load leaves none, and a load killed from here on leaves an OCI
  // layout with at most unreferenced blobs), metadata, then blobs (layers,
  // configs, manifests), then index.json.
  s.write_layout();
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

  std::map<std::size_t, std::vector<MovedReference>> moved;  // by position in todo
  s.edit_index(
      [&](json::Document& doc) {
        moved.clear();  // the edit may run again on a fresh read of index.json
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
        for (std::size_t ti = 0; ti < todo.size(); ++ti) {
          const ImageToLoad& t = todo[ti];
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
              if (e.descriptor.digest != md.digest) moved[ti].push_back({ref, e.descriptor.digest});
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

  for (std::size_t ti = 0; ti < todo.size(); ++ti) {
    ImageToLoad& t = todo[ti];
    if (auto m = moved.find(ti); m != moved.end()) t.loaded.moved = m->second;
    LoadEvent e;
    e.moved = t.loaded.moved;
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

}  // namespace layerkit
