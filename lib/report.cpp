#include "layerkit/report.hpp"

#include <rapidjson/document.h>

#include <fmt/format.h>

#include "json_write.hpp"
#include "layerkit/text.hpp"

namespace layerkit {
namespace {

using namespace jsonw;

// The "config" object of a config blob, re-emitted as stored.
template <typename W>
void raw_config(W& w, const Image& img) {
  if (img.config.config.json.empty()) {
    w.Null();
    return;
  }
  rapidjson::Document d;
  d.Parse(img.config.config.json.data(), img.config.config.json.size());
  if (d.HasParseError()) {
    w.Null();
    return;
  }
  d.Accept(w);
}

std::string repo_of(const std::string& ref) {
  // Strip a tag (after the last ':' following the last '/') or a digest.
  std::string r = ref.substr(0, ref.find('@'));
  auto slash = r.rfind('/');
  auto colon = r.rfind(':');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) r = r.substr(0, colon);
  return r;
}

}  // namespace

std::vector<Archive::ScanResult> scan_for_report(const Archive& archive, const std::vector<const Layer*>& layers,
                                                 unsigned threads, const ProgressFn& progress) {
  std::vector<const Layer*> by_depth[2];  // [0] tar headers, [1] every byte (undeclared digest)
  std::vector<std::pair<int, std::size_t>> where;
  for (const Layer* l : layers) {
    int d = l->present && l->descriptor.digest.empty() ? 1 : 0;
    where.emplace_back(d, by_depth[d].size());
    by_depth[d].push_back(l);
  }
  std::vector<Archive::ScanResult> results[2];
  results[1] = archive.scan_many(by_depth[1], ScanDepth::full, threads, progress);
  results[0] = archive.scan_many(by_depth[0], ScanDepth::headers, threads, progress);
  std::vector<Archive::ScanResult> out;
  out.reserve(layers.size());
  for (const auto& [d, k] : where) out.push_back(results[d][k]);
  return out;
}

std::int64_t image_size(const Archive& archive, const Image& image, unsigned threads) {
  std::vector<const Layer*> layers;
  for (const Layer& l : image.layers) layers.push_back(&l);
  std::int64_t total = 0;
  for (const auto& r : archive.scan_many(layers, ScanDepth::headers, threads))
    if (r.scan) total += static_cast<std::int64_t>(r.scan->stats.content_bytes);
  return total;
}

std::string inspect_json(const Archive& archive, const std::vector<const Image*>& images, bool pretty,
                         unsigned threads) {
  std::vector<const Layer*> all;
  for (const Image* i : images)
    for (const Layer& l : i->layers) all.push_back(&l);
  auto scans = scan_for_report(archive, all, threads);
  return render(pretty, [&](auto& w) {
    w.StartArray();
    std::size_t k = 0;
    for (const Image* img : images) {
      const ImageConfig& c = img->config;
      std::int64_t size = 0;
      for (std::size_t j = 0; j < img->layers.size(); ++j)
        if (scans[k + j].scan) size += static_cast<std::int64_t>(scans[k + j].scan->stats.content_bytes);
      w.StartObject();
      key(w, "Id");
      digest_or_null(w, img->id());
      key(w, "RepoTags");
      strings(w, img->references);
      key(w, "RepoDigests");
      w.StartArray();
      if (img->manifest)
        for (const auto& r : img->references) {
          std::string repo = repo_of(r);
          if (!repo.empty()) put(w, fmt::format("{}@{}", repo, img->manifest->digest.str()));
        }
      w.EndArray();
      key(w, "Parent");
      put(w, "");
      key(w, "Comment");
      put(w, c.history.empty() ? std::string() : c.history.back().comment);
      key(w, "Created");
      put(w, c.created);
      key(w, "Author");
      put(w, c.author);
      key(w, "Config");
      raw_config(w, *img);
      key(w, "Architecture");
      put(w, c.architecture);
      key(w, "Variant");
      put(w, c.variant);
      key(w, "Os");
      put(w, c.os);
      key(w, "OsVersion");
      put(w, c.os_version);
      key(w, "Size");
      w.Int64(size);
      key(w, "RootFS");
      w.StartObject();
      key(w, "Type");
      put(w, c.rootfs_type);
      key(w, "Layers");
      w.StartArray();
      for (const Digest& d : c.diff_ids) put(w, d.str());
      w.EndArray();
      w.EndObject();
      key(w, "Manifest");
      if (img->manifest) {
        w.StartObject();
        key(w, "MediaType");
        put(w, img->manifest->media_type);
        key(w, "Digest");
        put(w, img->manifest->digest.str());
        key(w, "Size");
        w.Int64(img->manifest->size);
        w.EndObject();
      } else {
        w.Null();
      }
      key(w, "Layers");
      w.StartArray();
      for (const Layer& l : img->layers) {
        const auto& s = scans[k++].scan;
        w.StartObject();
        key(w, "MediaType");
        put(w, l.descriptor.media_type);
        key(w, "Digest");
        digest_or_null(w, !l.descriptor.digest.empty() ? l.descriptor.digest
                                                       : (s ? s->blob_digest : Digest()));
        key(w, "Size");
        int_or_null(w, l.descriptor.size >= 0 ? l.descriptor.size
                                               : (s ? static_cast<std::int64_t>(s->blob_bytes) : -1));
        key(w, "DiffID");
        digest_or_null(w, l.diff_id ? *l.diff_id : Digest());
        key(w, "ChainID");
        digest_or_null(w, l.chain_id ? *l.chain_id : Digest());
        key(w, "UncompressedSize");
        int_or_null(w, s ? static_cast<std::int64_t>(s->tar_bytes) : -1);
        key(w, "ContentSize");
        int_or_null(w, s ? static_cast<std::int64_t>(s->stats.content_bytes) : -1);
        key(w, "Compression");
        if (s) put(w, compression_name(s->compression));
        else w.Null();
        key(w, "Foreign");
        w.Bool(l.foreign);
        key(w, "Present");
        w.Bool(l.present);
        key(w, "URLs");
        strings(w, l.descriptor.urls);
        w.EndObject();
      }
      w.EndArray();
      key(w, "Missing");
      w.StartArray();
      for (const MissingBlob& m : img->missing) {
        w.StartObject();
        key(w, "What");
        put(w, m.what);
        key(w, "Digest");
        digest_or_null(w, m.digest);
        key(w, "Member");
        put(w, m.member);
        w.EndObject();
      }
      w.EndArray();
      if (!img->artifact_type.empty()) {
        key(w, "ArtifactType");
        put(w, img->artifact_type);
      }
      key(w, "Archive");
      w.StartObject();
      key(w, "Path");
      put(w, archive.path());
      key(w, "Format");
      put(w, format_name(archive.format()));
      w.EndObject();
      w.EndObject();
    }
    w.EndArray();
  });
}

std::string images_json(const std::vector<const Archive*>& archives, const std::vector<const Image*>& images,
                        const std::vector<std::int64_t>& sizes, std::int64_t now_unix, bool pretty) {
  return render(pretty, [&](auto& w) {
    w.StartArray();
    for (std::size_t i = 0; i < images.size(); ++i) {
      const Image& img = *images[i];
      auto created = text::parse_rfc3339(img.config.created);
      std::vector<std::string> refs = img.references;
      if (refs.empty()) refs.push_back("<none>:<none>");
      for (const std::string& r : refs) {
        auto [repo, tag] = text::split_repo_tag(r);
        w.StartObject();
        key(w, "Repository");
        put(w, repo);
        key(w, "Tag");
        put(w, tag);
        key(w, "ID");
        put(w, img.id().empty() ? std::string("<missing>") : text::truncate_id(img.id().str()));
        key(w, "Digest");
        put(w, img.manifest ? img.manifest->digest.str() : std::string("<none>"));
        key(w, "CreatedAt");
        put(w, img.config.created);
        key(w, "CreatedSince");
        put(w, created ? text::image_created_since(*created, now_unix) : std::string("N/A"));
        key(w, "Size");
        w.Int64(sizes[i]);
        key(w, "Archive");
        put(w, archives[i]->path());
        w.EndObject();
      }
    }
    w.EndArray();
  });
}

std::string history_json(const std::vector<HistoryRow>& rows, bool layers, std::int64_t now_unix, bool pretty) {
  return render(pretty, [&](auto& w) {
    w.StartArray();
    for (const HistoryRow& r : rows) {
      w.StartObject();
      key(w, "ID");
      put(w, r.id);
      key(w, "CreatedAt");
      put(w, r.created_unix ? text::rfc3339(*r.created_unix) : r.created);
      key(w, "CreatedSince");
      put(w, r.created_unix ? text::created_since(*r.created_unix, now_unix) : std::string("N/A"));
      key(w, "CreatedBy");
      put(w, r.created_by);
      key(w, "Size");
      int_or_null(w, r.size);
      key(w, "Comment");
      put(w, r.comment);
      if (layers) {
        key(w, "LayerIndex");
        if (r.layer_index) w.Uint64(*r.layer_index);
        else w.Null();
        key(w, "DiffID");
        digest_or_null(w, r.diff_id);
        key(w, "Digest");
        digest_or_null(w, r.digest);
        key(w, "ChainID");
        digest_or_null(w, r.chain_id);
        key(w, "CompressedSize");
        int_or_null(w, r.layer_index ? r.compressed_size : -1);
        key(w, "UncompressedSize");
        int_or_null(w, r.layer_index ? r.uncompressed_size : -1);
        key(w, "Match");
        put(w, r.match == HistoryRow::Match::ok ? "ok"
               : r.match == HistoryRow::Match::no_layer ? "no layer"
                                                          : "no history");
      }
      w.EndObject();
    }
    w.EndArray();
  });
}

std::string verify_json(const VerifyReport& report, bool pretty) {
  return render(pretty, [&](auto& w) {
    w.StartObject();
    key(w, "Archive");
    put(w, report.archive);
    key(w, "OK");
    w.Bool(report.ok);
    key(w, "LoneLayer");
    if (report.lone_layer) {
      w.StartObject();
      key(w, "Digest");
      digest_or_null(w, report.lone_layer->digest);
      key(w, "DiffID");
      digest_or_null(w, report.lone_layer->diff_id);
      key(w, "OK");
      w.Bool(report.lone_layer->ok);
      w.EndObject();
    } else {
      w.Null();
    }
    key(w, "Images");
    w.StartArray();
    for (const VerifiedImage& i : report.images) {
      w.StartObject();
      key(w, "Ref");
      put(w, i.ref);
      key(w, "Id");
      digest_or_null(w, i.id);
      key(w, "OK");
      w.Bool(i.ok);
      key(w, "Layers");
      w.StartArray();
      for (const VerifiedLayer& l : i.layers) {
        w.StartObject();
        key(w, "Index");
        w.Uint64(l.index);
        key(w, "Digest");
        digest_or_null(w, l.digest);
        key(w, "DiffID");
        digest_or_null(w, l.diff_id);
        key(w, "OK");
        w.Bool(l.ok);
        key(w, "Present");
        w.Bool(l.present);
        key(w, "Foreign");
        w.Bool(l.foreign);
        w.EndObject();
      }
      w.EndArray();
      w.EndObject();
    }
    w.EndArray();
    key(w, "Problems");
    w.StartArray();
    for (const Problem& p : report.problems) {
      w.StartObject();
      key(w, "Image");
      put(w, p.image);
      key(w, "Layer");
      if (p.layer) w.Uint64(*p.layer);
      else w.Null();
      key(w, "Member");
      put(w, p.member);
      key(w, "Kind");
      put(w, p.kind);
      key(w, "Expected");
      put(w, p.expected);
      key(w, "Actual");
      put(w, p.actual);
      key(w, "Message");
      put(w, p.message);
      w.EndObject();
    }
    w.EndArray();
    key(w, "Notes");
    strings(w, report.notes);
    w.EndObject();
  });
}

std::string open_error_json(const std::string& archive, const Error& error, bool pretty) {
  return render(pretty, [&](auto& w) {
    w.StartObject();
    key(w, "Archive");
    put(w, archive);
    key(w, "OK");
    w.Bool(false);
    key(w, "Error");
    w.StartObject();
    key(w, "Code");
    put(w, std::string(errc_name(error.code())));
    key(w, "Message");
    put(w, std::string(error.what()));
    w.EndObject();
    w.EndObject();
  });
}

std::string dedup_json(const DedupReport& report, bool pretty) {
  return render(pretty, [&](auto& w) {
    w.StartObject();
    key(w, "Images");
    w.StartArray();
    for (const DedupImage& i : report.images) {
      w.StartObject();
      key(w, "Ref");
      put(w, i.ref);
      key(w, "Id");
      digest_or_null(w, i.id);
      key(w, "Size");
      w.Uint64(i.size);
      key(w, "SharedSize");
      w.Uint64(i.shared_size);
      key(w, "UniqueSize");
      w.Uint64(i.unique_size);
      key(w, "Layers");
      w.Uint64(i.layers);
      w.EndObject();
    }
    w.EndArray();
    auto layer_list = [&](const std::vector<DedupLayer>& v, bool chain) {
      w.StartArray();
      for (const DedupLayer& l : v) {
        w.StartObject();
        key(w, "DiffID");
        digest_or_null(w, l.diff_id);
        if (chain) {
          key(w, "ChainID");
          digest_or_null(w, l.chain_id);
        }
        key(w, "Size");
        w.Uint64(l.size);
        key(w, "Images");
        strings(w, l.images);
        w.EndObject();
      }
      w.EndArray();
    };
    key(w, "Layers");
    layer_list(report.layers, true);
    key(w, "DiffIDs");
    layer_list(report.diff_ids, false);
    key(w, "TotalSize");
    w.Uint64(report.total_size);
    key(w, "UniqueSize");
    w.Uint64(report.unique_size);
    key(w, "SavedSize");
    w.Uint64(report.saved_size);
    key(w, "Notes");
    strings(w, report.notes);
    w.EndObject();
  });
}

std::string entries_json(const std::vector<std::pair<const Layer*, std::vector<LayerEntry>>>& layers, bool pretty) {
  return render(pretty, [&](auto& w) {
    constexpr std::string_view hex = "0123456789abcdef";
    w.StartArray();
    for (const auto& [layer, entries] : layers) {
      w.StartObject();
      key(w, "Layer");
      w.Uint64(layer->index);
      key(w, "Digest");
      digest_or_null(w, layer->descriptor.digest);
      key(w, "DiffID");
      digest_or_null(w, layer->diff_id ? *layer->diff_id : Digest());
      key(w, "Entries");
      w.StartArray();
      for (const LayerEntry& e : entries) {
        w.StartObject();
        key(w, "Path");
        put(w, e.path);
        key(w, "Type");
        put(w, std::string(1, e.type));
        key(w, "Mode");
        w.Uint(e.mode);
        key(w, "Uid");
        w.Int64(e.uid);
        key(w, "Gid");
        w.Int64(e.gid);
        key(w, "Uname");
        put(w, e.uname);
        key(w, "Gname");
        put(w, e.gname);
        key(w, "Size");
        w.Uint64(e.bytes);
        key(w, "Mtime");
        w.Int64(e.mtime);
        key(w, "Link");
        put(w, e.link);
        key(w, "DevMajor");
        w.Uint(e.dev_major);
        key(w, "DevMinor");
        w.Uint(e.dev_minor);
        key(w, "Sparse");
        w.Bool(e.sparse);
        key(w, "Xattrs");
        w.StartObject();
        for (const auto& [name, value] : e.xattrs) {
          std::string h;
          for (unsigned char c : value) {
            h.push_back(hex[c >> 4]);
            h.push_back(hex[c & 15]);
          }
          key(w, name);
          put(w, h);
        }
        w.EndObject();
        key(w, "Whiteout");
        w.Bool(e.whiteout);
        key(w, "Opaque");
        w.Bool(e.opaque);
        w.EndObject();
      }
      w.EndArray();
      w.EndObject();
    }
    w.EndArray();
  });
}

}  // namespace layerkit
