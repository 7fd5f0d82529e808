// The C ABI: a thin firewall over the C++ core. Every entry point checks its
// arguments, calls the core, and catches everything; no exception and no C++
// type crosses the boundary. Each opaque struct wraps one core object plus the
// C strings borrowed from it.
#include "layerkit/layerkit.h"

#include "capi_internal.hpp"

#include <chrono>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <vector>

#include "layerkit/archive.hpp"
#include "layerkit/dedup.hpp"
#include "layerkit/error.hpp"
#include "layerkit/history.hpp"
#include "layerkit/report.hpp"
#include "layerkit/verify.hpp"

using namespace layerkit;
using namespace layerkit::capi;

// ---------------------------------------------------------------------------
// Opaque structs

struct lk_layer_iter {
  struct Entry {
    std::string media_type, digest, diff_id, chain_id, member, compression;
    std::vector<std::string> urls;
    lk_layer_info info{};
  };
  std::vector<Entry> entries;
  std::size_t next = 0;
  const Entry* current = nullptr;
};

struct lk_entry_iter {
  struct Entry {
    LayerEntry e;
    lk_entry c{};
  };
  std::vector<Entry> entries;
  std::string tar_problem;
  lk_status tar_status = LK_OK;
  std::size_t next = 0;
  const Entry* current = nullptr;
};

struct lk_history {
  std::vector<HistoryRow> rows;
  std::vector<lk_history_row> c_rows;
};

struct lk_verify_report {
  VerifyReport report;
};

struct lk_dedup {
  std::vector<DedupInput> inputs;
  std::vector<std::unique_ptr<std::string>> refs;
  std::optional<DedupReport> report;
  std::vector<std::string> image_ids;
};

namespace {

std::unique_ptr<lk_image> wrap_image(const Image& img) {
  auto w = std::make_unique<lk_image>();
  w->img = &img;
  if (img.manifest) {
    w->manifest_digest = img.manifest->digest.str();
    w->manifest_media_type = img.manifest->media_type;
  }
  const ContainerConfig& cc = img.config.config;
  w->lists[LK_LIST_REFERENCES] = img.references;
  w->lists[LK_LIST_ENV] = cc.env;
  w->lists[LK_LIST_CMD] = cc.cmd;
  w->lists[LK_LIST_ENTRYPOINT] = cc.entrypoint;
  w->lists[LK_LIST_EXPOSED_PORTS] = cc.exposed_ports;
  w->lists[LK_LIST_VOLUMES] = cc.volumes;
  for (const Digest& d : img.config.diff_ids) w->lists[LK_LIST_DIFF_IDS].push_back(d.str());
  for (const auto& [k, v] : cc.labels) {
    w->lists[LK_LIST_LABEL_KEYS].push_back(k);
    w->lists[LK_LIST_LABEL_VALUES].push_back(v);
  }
  if (cc.healthcheck) w->lists[LK_LIST_HEALTHCHECK] = cc.healthcheck->test;
  for (int i = 0; i < 10; ++i) {
    for (const auto& s : w->lists[i]) w->list_ptrs[i].push_back(s.c_str());
    w->list_ptrs[i].push_back(nullptr);  // a non-NULL array even when empty
  }
  lk_image_info& in = w->info;
  in.size = sizeof in;
  in.id = img.id().str().c_str();
  in.manifest_digest = w->manifest_digest.c_str();
  in.manifest_media_type = w->manifest_media_type.c_str();
  in.config_media_type = img.config_descriptor.media_type.c_str();
  in.created = img.config.created.c_str();
  in.author = img.config.author.c_str();
  in.architecture = img.config.architecture.c_str();
  in.os = img.config.os.c_str();
  in.os_version = img.config.os_version.c_str();
  in.variant = img.config.variant.c_str();
  in.user = cc.user.c_str();
  in.working_dir = cc.working_dir.c_str();
  in.stop_signal = cc.stop_signal.c_str();
  in.artifact_type = img.artifact_type.c_str();
  in.index_path = img.index_path.c_str();
  in.layer_count = img.layers.size();
  in.history_count = img.config.history.size();
  in.missing_count = img.missing.size();
  in.complete = img.complete() ? 1 : 0;
  in.legacy_v1 = img.legacy_v1 ? 1 : 0;
  return w;
}

const lk_image* wrapper_of(const lk_archive* a, const Image* img) {
  for (const auto& w : a->images)
    if (w->img == img) return w.get();
  throw Error(Errc::internal, "image wrapper not found");
}

}  // namespace

namespace layerkit::capi {

OpenOptions open_options_from(const lk_open_options* opts, const char* what) {
  lk_open_options o;
  std::memset(&o, 0, sizeof o);
  o.size = sizeof o;
  o.limits = limits_to(Limits{});
  std::string bad_size = std::string(what) + ": opts->size is not sizeof(lk_open_options) of any known version";
  if (opts) copy_in(opts, o, bad_size.c_str());
  OpenOptions oo;
  if (o.platform) oo.platform = o.platform;
  oo.platform_explicit = o.platform_explicit != 0;
  if (opts && opts->size >= offsetof(lk_open_options, limits) + sizeof(size_t)) {
    if (!known_size<lk_limits>(o.limits.size))
      throw InvalidArgument{"opts->limits.size is not sizeof(lk_limits) of any known version"};
    lk_limits merged = limits_to(Limits{});
    std::memcpy(&merged, &o.limits, o.limits.size);
    oo.limits = limits_from(merged);
  }
  oo.progress = wrap_progress(o.progress, o.progress_data);
  return oo;
}

}  // namespace layerkit::capi

// ---------------------------------------------------------------------------
// Version and errors

extern "C" {

const char* lk_version(void) { return LAYERKIT_VERSION_STRING; }

int lk_version_number(void) {
  return LAYERKIT_VERSION_MAJOR * 10000 + LAYERKIT_VERSION_MINOR * 100 + LAYERKIT_VERSION_PATCH;
}

const char* lk_last_error(void) { return last_error().c_str(); }

const char* lk_status_name(lk_status status) {
  int code = 0;  // a C caller may pass any int
  std::memcpy(&code, &status, sizeof code);
  if (code == LK_OK) return "ok";
  if (code == LK_DONE) return "done";
  if (code == LK_ENOMEM) return "out_of_memory";
  if (code < 0 && code >= LK_EAMBIGUOUS) return errc_name(static_cast<Errc>(code));
  return "unknown";
}

void lk_string_free(char* s) { std::free(s); }

// ---------------------------------------------------------------------------
// Options

lk_status lk_open_options_init(lk_open_options* opts, size_t size) {
  return guard([&] {
    need(opts, "lk_open_options_init: opts is NULL");
    if (!known_size<lk_open_options>(size))
      throw InvalidArgument{"lk_open_options_init: size is not sizeof(lk_open_options) of any known version"};
    lk_open_options d;
    std::memset(&d, 0, sizeof d);
    d.size = size;
    d.limits = limits_to(Limits{});
    std::memcpy(opts, &d, size);
    return LK_OK;
  });
}

// ---------------------------------------------------------------------------
// Archive

lk_status lk_archive_open(const char* path, const lk_open_options* opts, lk_archive** out) {
  if (out) *out = nullptr;
  return guard([&] {
    need(path, "lk_archive_open: path is NULL");
    need(out, "lk_archive_open: out is NULL");
    OpenOptions oo = open_options_from(opts, "lk_archive_open");
    auto a = std::make_unique<lk_archive>(Archive::open(path, oo));
    for (const Image& img : a->archive.images()) {
      a->images.push_back(wrap_image(img));
      a->images.back()->owner = a.get();
    }
    *out = a.release();
    return LK_OK;
  });
}

void lk_archive_free(lk_archive* archive) { delete archive; }

const char* lk_archive_format(const lk_archive* archive) {
  return archive ? format_name(archive->archive.format()) : "";
}

lk_status lk_archive_image_count(const lk_archive* archive, size_t* count) {
  if (count) *count = 0;
  return guard([&] {
    need(archive, "lk_archive_image_count: archive is NULL");
    need(count, "lk_archive_image_count: count is NULL");
    *count = archive->images.size();
    return LK_OK;
  });
}

lk_status lk_archive_image(const lk_archive* archive, size_t index, const lk_image** out) {
  if (out) *out = nullptr;
  return guard([&] {
    need(archive, "lk_archive_image: archive is NULL");
    need(out, "lk_archive_image: out is NULL");
    if (index >= archive->images.size()) throw InvalidArgument{"lk_archive_image: index out of range"};
    *out = archive->images[index].get();
    return LK_OK;
  });
}

lk_status lk_archive_find_image(const lk_archive* archive, const char* ref, const lk_image** out) {
  if (out) *out = nullptr;
  return guard([&] {
    need(archive, "lk_archive_find_image: archive is NULL");
    need(ref, "lk_archive_find_image: ref is NULL");
    need(out, "lk_archive_find_image: out is NULL");
    *out = wrapper_of(archive, &archive->archive.find_image(ref));
    return LK_OK;
  });
}

lk_status lk_archive_warning_count(const lk_archive* archive, size_t* count) {
  if (count) *count = 0;
  return guard([&] {
    need(archive, "lk_archive_warning_count: archive is NULL");
    need(count, "lk_archive_warning_count: count is NULL");
    *count = archive->archive.warnings().size();
    return LK_OK;
  });
}

lk_status lk_archive_warning(const lk_archive* archive, size_t index, const char** out) {
  if (out) *out = nullptr;
  return guard([&] {
    need(archive, "lk_archive_warning: archive is NULL");
    need(out, "lk_archive_warning: out is NULL");
    if (index >= archive->archive.warnings().size()) throw InvalidArgument{"lk_archive_warning: index out of range"};
    *out = archive->archive.warnings()[index].c_str();
    return LK_OK;
  });
}

// ---------------------------------------------------------------------------
// Image

lk_status lk_image_get_info(const lk_image* image, lk_image_info* info) {
  return guard([&] {
    need(image, "lk_image_get_info: image is NULL");
    copy_out(info, image->info, "lk_image_get_info: info is NULL or info->size is not a known sizeof(lk_image_info)");
    return LK_OK;
  });
}

lk_status lk_image_strings(const lk_image* image, lk_string_list which, size_t* count, const char* const** items) {
  if (count) *count = 0;
  if (items) *items = nullptr;
  return guard([&] {
    need(image, "lk_image_strings: image is NULL");
    need(count, "lk_image_strings: count is NULL");
    need(items, "lk_image_strings: items is NULL");
    // A C caller may pass any int: read it as one, never as the C++ enum.
    int w = 0;
    std::memcpy(&w, &which, sizeof w);
    if (w < 0 || w >= 10) throw InvalidArgument{"lk_image_strings: unknown list"};
    *count = image->lists[w].size();
    *items = image->list_ptrs[w].data();
    return LK_OK;
  });
}

lk_status lk_image_config_json(const lk_image* image, const char** data, size_t* length) {
  if (data) *data = nullptr;
  if (length) *length = 0;
  return guard([&] {
    need(image, "lk_image_config_json: image is NULL");
    need(data, "lk_image_config_json: data is NULL");
    need(length, "lk_image_config_json: length is NULL");
    *data = image->img->config_json.c_str();
    *length = image->img->config_json.size();
    return LK_OK;
  });
}

lk_status lk_image_manifest_json(const lk_image* image, const char** data, size_t* length) {
  if (data) *data = nullptr;
  if (length) *length = 0;
  return guard([&] {
    need(image, "lk_image_manifest_json: image is NULL");
    need(data, "lk_image_manifest_json: data is NULL");
    need(length, "lk_image_manifest_json: length is NULL");
    *data = image->img->manifest_json.c_str();
    *length = image->img->manifest_json.size();
    return LK_OK;
  });
}

// ---------------------------------------------------------------------------
// Layers

lk_status lk_image_layers(const lk_archive* archive, const lk_image* image, int read_sizes, lk_layer_iter** out) {
  if (out) *out = nullptr;
  return guard([&] {
    need(archive, "lk_image_layers: archive is NULL");
    need(image, "lk_image_layers: image is NULL");
    need(out, "lk_image_layers: out is NULL");
    need_own_image(archive, image, "lk_image_layers");
    const Image& img = *image->img;
    std::vector<Archive::ScanResult> scans;
    if (read_sizes) {
      std::vector<const Layer*> layers;
      for (const Layer& l : img.layers) layers.push_back(&l);
      scans = scan_for_report(archive->archive, layers);
    }
    auto it = std::make_unique<lk_layer_iter>();
    it->entries.resize(img.layers.size());
    for (std::size_t i = 0; i < img.layers.size(); ++i) {
      const Layer& l = img.layers[i];
      auto& e = it->entries[i];
      e.media_type = l.descriptor.media_type;
      e.digest = l.descriptor.digest.str();
      e.diff_id = l.diff_id ? l.diff_id->str() : "";
      e.chain_id = l.chain_id ? l.chain_id->str() : "";
      e.member = l.member;
      e.urls = l.descriptor.urls;
      lk_layer_info& in = e.info;
      in.size = sizeof in;
      in.index = i;
      in.blob_bytes = or_unknown(l.descriptor.size);
      in.uncompressed_bytes = -1;
      in.content_bytes = -1;
      in.present = l.present ? 1 : 0;
      in.foreign = l.foreign ? 1 : 0;
      in.url_count = e.urls.size();
      if (read_sizes && scans[i].scan) {
        const LayerScan& s = *scans[i].scan;
        e.compression = compression_name(s.compression);
        in.uncompressed_bytes = static_cast<std::int64_t>(s.tar_bytes);
        in.content_bytes = static_cast<std::int64_t>(s.stats.content_bytes);
        if (e.digest.empty() && !s.blob_digest.empty()) e.digest = s.blob_digest.str();
        if (in.blob_bytes < 0) in.blob_bytes = static_cast<std::int64_t>(s.blob_bytes);
      }
      in.media_type = e.media_type.c_str();
      in.digest = e.digest.c_str();
      in.diff_id = e.diff_id.c_str();
      in.chain_id = e.chain_id.c_str();
      in.member = e.member.c_str();
      in.compression = e.compression.c_str();
    }
    *out = it.release();
    return LK_OK;
  });
}

lk_status lk_layer_iter_next(lk_layer_iter* iter, lk_layer_info* info) {
  return guard([&] {
    need(iter, "lk_layer_iter_next: iter is NULL");
    if (iter->next >= iter->entries.size()) {
      iter->current = nullptr;
      return LK_DONE;
    }
    const auto& e = iter->entries[iter->next];
    copy_out(info, e.info, "lk_layer_iter_next: info is NULL or info->size is not a known sizeof(lk_layer_info)");
    iter->current = &e;
    ++iter->next;
    return LK_OK;
  });
}

lk_status lk_layer_iter_url(const lk_layer_iter* iter, size_t index, const char** out) {
  if (out) *out = nullptr;
  return guard([&] {
    need(iter, "lk_layer_iter_url: iter is NULL");
    need(out, "lk_layer_iter_url: out is NULL");
    if (!iter->current) throw InvalidArgument{"lk_layer_iter_url: no current layer (call lk_layer_iter_next first)"};
    if (index >= iter->current->urls.size()) throw InvalidArgument{"lk_layer_iter_url: index out of range"};
    *out = iter->current->urls[index].c_str();
    return LK_OK;
  });
}

void lk_layer_iter_free(lk_layer_iter* iter) { delete iter; }

lk_status lk_layer_entries(const lk_archive* archive, const lk_image* image, size_t layer_index,
                           lk_entry_iter** out) {
  if (out) *out = nullptr;
  return guard([&] {
    need(archive, "lk_layer_entries: archive is NULL");
    need(out, "lk_layer_entries: out is NULL");
    need_own_image(archive, image, "lk_layer_entries");
    const Layer* layer = nullptr;
    if (image) {
      if (layer_index >= image->img->layers.size()) throw InvalidArgument{"lk_layer_entries: layer index out of range"};
      layer = &image->img->layers[layer_index];
    } else {
      if (!archive->archive.loose_layer() || layer_index != 0)
        throw InvalidArgument{"lk_layer_entries: image is NULL but the archive is not a lone layer tar (or index != 0)"};
      layer = &*archive->archive.loose_layer();
    }
    auto it = std::make_unique<lk_entry_iter>();
    LayerScan s = archive->archive.list_layer(*layer, [&](const LayerEntry& e) { it->entries.push_back({e, {}}); });
    if (!s.tar_ok) {
      it->tar_problem = s.tar_problem;
      it->tar_status = static_cast<lk_status>(s.tar_error);
    } else if (!image && !s.missing_end_marker.empty()) {
      // As `layerkit ls`: nothing vouches for a lone tar, so no end marker means cut.
      it->tar_problem = s.missing_end_marker;
      it->tar_status = LK_ETRUNCATED;
    }
    for (auto& x : it->entries) {
      lk_entry& c = x.c;
      std::memset(&c, 0, sizeof c);
      c.size = sizeof c;
      c.path = x.e.path.c_str();
      c.type = x.e.type;
      c.mode = x.e.mode;
      c.uid = x.e.uid;
      c.gid = x.e.gid;
      c.uname = x.e.uname.c_str();
      c.gname = x.e.gname.c_str();
      c.bytes = x.e.bytes;
      c.mtime = x.e.mtime;
      c.link = x.e.link.c_str();
      c.dev_major = x.e.dev_major;
      c.dev_minor = x.e.dev_minor;
      c.sparse = x.e.sparse ? 1 : 0;
      c.whiteout = x.e.whiteout ? 1 : 0;
      c.opaque = x.e.opaque ? 1 : 0;
      c.xattr_count = x.e.xattrs.size();
    }
    *out = it.release();
    return LK_OK;
  });
}

lk_status lk_entry_iter_next(lk_entry_iter* iter, lk_entry* entry) {
  return guard([&] {
    need(iter, "lk_entry_iter_next: iter is NULL");
    if (iter->next >= iter->entries.size()) {
      iter->current = nullptr;
      return LK_DONE;
    }
    const auto& x = iter->entries[iter->next];
    copy_out(entry, x.c, "lk_entry_iter_next: entry is NULL or entry->size is not a known sizeof(lk_entry)");
    iter->current = &x;
    ++iter->next;
    return LK_OK;
  });
}

lk_status lk_entry_iter_xattr(const lk_entry_iter* iter, size_t index, const char** name, const void** value,
                              size_t* length) {
  if (name) *name = nullptr;
  if (value) *value = nullptr;
  if (length) *length = 0;
  return guard([&] {
    need(iter, "lk_entry_iter_xattr: iter is NULL");
    need(name, "lk_entry_iter_xattr: name is NULL");
    need(value, "lk_entry_iter_xattr: value is NULL");
    need(length, "lk_entry_iter_xattr: length is NULL");
    if (!iter->current) throw InvalidArgument{"lk_entry_iter_xattr: no current entry (call lk_entry_iter_next first)"};
    if (index >= iter->current->e.xattrs.size()) throw InvalidArgument{"lk_entry_iter_xattr: index out of range"};
    const auto& [n, v] = iter->current->e.xattrs[index];
    *name = n.c_str();
    *value = v.data();
    *length = v.size();
    return LK_OK;
  });
}

const char* lk_entry_iter_tar_problem(const lk_entry_iter* iter) { return iter ? iter->tar_problem.c_str() : ""; }

lk_status lk_entry_iter_status(const lk_entry_iter* iter) {
  if (!iter) return fail(LK_EINVAL, "lk_entry_iter_status: iter is NULL");
  return iter->tar_status;
}

void lk_entry_iter_free(lk_entry_iter* iter) { delete iter; }

// ---------------------------------------------------------------------------
// History

lk_status lk_image_history(const lk_archive* archive, const lk_image* image, int layer_details,
                           lk_progress_fn progress, void* progress_data, lk_history** out) {
  if (out) *out = nullptr;
  return guard([&] {
    need(archive, "lk_image_history: archive is NULL");
    need(image, "lk_image_history: image is NULL");
    need(out, "lk_image_history: out is NULL");
    need_own_image(archive, image, "lk_image_history");
    HistoryOptions ho;
    ho.layer_details = layer_details != 0;
    ho.progress = wrap_progress(progress, progress_data);
    auto h = std::make_unique<lk_history>();
    h->rows = history(archive->archive, *image->img, ho);
    for (const HistoryRow& r : h->rows) {
      lk_history_row c;
      std::memset(&c, 0, sizeof c);
      c.size = sizeof c;
      c.id = r.id.c_str();
      c.created = r.created.c_str();
      c.created_unix = r.created_unix ? *r.created_unix : INT64_MIN;
      c.created_by = r.created_by.c_str();
      c.comment = r.comment.c_str();
      c.empty_layer = r.empty_layer ? 1 : 0;
      c.content_bytes = r.size;
      c.layer_index = r.layer_index ? static_cast<std::int64_t>(*r.layer_index) : -1;
      static_assert(int(HistoryRow::Match::no_layer) == LK_MATCH_NO_LAYER &&
                    int(HistoryRow::Match::no_history) == LK_MATCH_NO_HISTORY && LK_MATCH_OK == 0);
      c.match = static_cast<int>(r.match);
      c.diff_id = r.diff_id.str().c_str();
      c.digest = r.digest.str().c_str();
      c.chain_id = r.chain_id.str().c_str();
      c.compressed_bytes = r.layer_index ? or_unknown(r.compressed_size) : -1;
      c.uncompressed_bytes = r.layer_index ? or_unknown(r.uncompressed_size) : -1;
      h->c_rows.push_back(c);
    }
    *out = h.release();
    return LK_OK;
  });
}

lk_status lk_history_count(const lk_history* history, size_t* count) {
  if (count) *count = 0;
  return guard([&] {
    need(history, "lk_history_count: history is NULL");
    need(count, "lk_history_count: count is NULL");
    *count = history->rows.size();
    return LK_OK;
  });
}

lk_status lk_history_row_get(const lk_history* history, size_t index, lk_history_row* row) {
  return guard([&] {
    need(history, "lk_history_row_get: history is NULL");
    if (index >= history->c_rows.size()) throw InvalidArgument{"lk_history_row_get: index out of range"};
    copy_out(row, history->c_rows[index],
             "lk_history_row_get: row is NULL or row->size is not a known sizeof(lk_history_row)");
    return LK_OK;
  });
}

lk_status lk_history_json(const lk_history* history, int layers, char** json) {
  if (json) *json = nullptr;
  return guard([&] {
    need(history, "lk_history_json: history is NULL");
    need(json, "lk_history_json: json is NULL");
    auto now = std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
    *json = dup_string(history_json(history->rows, layers != 0, now));
    return LK_OK;
  });
}

void lk_history_free(lk_history* history) { delete history; }

// ---------------------------------------------------------------------------
// Verify

lk_status lk_verify(const lk_archive* archive, const lk_verify_options* opts, lk_verify_report** out) {
  if (out) *out = nullptr;
  return guard([&] {
    need(archive, "lk_verify: archive is NULL");
    need(out, "lk_verify: out is NULL");
    lk_verify_options o;
    lk_verify_options_init(&o);
    if (opts) copy_in(opts, o, "lk_verify: opts->size is not sizeof(lk_verify_options) of any known version");
    VerifyOptions vo;
    if (o.image) vo.image = o.image;
    vo.threads = o.threads;
    vo.progress = wrap_progress(o.progress, o.progress_data);
    auto r = std::make_unique<lk_verify_report>();
    r->report = verify(archive->archive, vo);
    *out = r.release();
    return LK_OK;
  });
}

int lk_verify_report_ok(const lk_verify_report* report) { return report && report->report.ok ? 1 : 0; }

lk_status lk_verify_report_problem_count(const lk_verify_report* report, size_t* count) {
  if (count) *count = 0;
  return guard([&] {
    need(report, "lk_verify_report_problem_count: report is NULL");
    need(count, "lk_verify_report_problem_count: count is NULL");
    *count = report->report.problems.size();
    return LK_OK;
  });
}

lk_status lk_verify_report_problem(const lk_verify_report* report, size_t index, lk_problem* problem) {
  return guard([&] {
    need(report, "lk_verify_report_problem: report is NULL");
    if (index >= report->report.problems.size())
      throw InvalidArgument{"lk_verify_report_problem: index out of range"};
    const Problem& p = report->report.problems[index];
    lk_problem c;
    std::memset(&c, 0, sizeof c);
    c.size = sizeof c;
    c.image = p.image.c_str();
    c.layer = p.layer ? static_cast<std::int64_t>(*p.layer) : -1;
    c.member = p.member.c_str();
    c.kind = p.kind.c_str();
    c.expected = p.expected.c_str();
    c.actual = p.actual.c_str();
    c.message = p.message.c_str();
    copy_out(problem, c, "lk_verify_report_problem: problem is NULL or problem->size is not a known sizeof(lk_problem)");
    return LK_OK;
  });
}

lk_status lk_verify_report_json(const lk_verify_report* report, char** json) {
  if (json) *json = nullptr;
  return guard([&] {
    need(report, "lk_verify_report_json: report is NULL");
    need(json, "lk_verify_report_json: json is NULL");
    *json = dup_string(verify_json(report->report));
    return LK_OK;
  });
}

void lk_verify_report_free(lk_verify_report* report) { delete report; }

// ---------------------------------------------------------------------------
// Dedup

lk_status lk_dedup_new(lk_dedup** out) {
  if (out) *out = nullptr;
  return guard([&] {
    need(out, "lk_dedup_new: out is NULL");
    *out = new lk_dedup();
    return LK_OK;
  });
}

lk_status lk_dedup_add(lk_dedup* dedup, const lk_archive* archive, const lk_image* image, const char* ref) {
  return guard([&] {
    need(dedup, "lk_dedup_add: dedup is NULL");
    need(archive, "lk_dedup_add: archive is NULL");
    need(image, "lk_dedup_add: image is NULL");
    need(ref, "lk_dedup_add: ref is NULL");
    need_own_image(archive, image, "lk_dedup_add");
    dedup->inputs.push_back({&archive->archive, image->img, ref});
    return LK_OK;
  });
}

lk_status lk_dedup_run(lk_dedup* dedup, unsigned threads, lk_progress_fn progress, void* progress_data) {
  return guard([&] {
    need(dedup, "lk_dedup_run: dedup is NULL");
    DedupOptions o;
    o.threads = threads;
    o.progress = wrap_progress(progress, progress_data);
    dedup->report = layerkit::dedup(dedup->inputs, o);
    dedup->image_ids.clear();
    for (const DedupImage& i : dedup->report->images) dedup->image_ids.push_back(i.id.str());
    return LK_OK;
  });
}

namespace {
const DedupReport& ran(const lk_dedup* d, const char* what) {
  if (!d) throw InvalidArgument{what};
  if (!d->report) throw InvalidArgument{"lk_dedup: call lk_dedup_run() first"};
  return *d->report;
}
}  // namespace

lk_status lk_dedup_get_totals(const lk_dedup* dedup, lk_dedup_totals* totals) {
  return guard([&] {
    const DedupReport& r = ran(dedup, "lk_dedup_get_totals: dedup is NULL");
    lk_dedup_totals c;
    lk_dedup_totals_init(&c);
    c.total_bytes = r.total_size;
    c.unique_bytes = r.unique_size;
    c.saved_bytes = r.saved_size;
    c.image_count = r.images.size();
    c.layer_count = r.layers.size();
    copy_out(totals, c, "lk_dedup_get_totals: totals is NULL or totals->size is not a known size");
    return LK_OK;
  });
}

lk_status lk_dedup_get_image(const lk_dedup* dedup, size_t index, lk_dedup_image* image) {
  return guard([&] {
    const DedupReport& r = ran(dedup, "lk_dedup_get_image: dedup is NULL");
    if (index >= r.images.size()) throw InvalidArgument{"lk_dedup_get_image: index out of range"};
    const DedupImage& i = r.images[index];
    lk_dedup_image c;
    lk_dedup_image_init(&c);
    c.ref = i.ref.c_str();
    c.id = dedup->image_ids[index].c_str();
    c.bytes = i.size;
    c.shared_bytes = i.shared_size;
    c.unique_bytes = i.unique_size;
    c.layer_count = i.layers;
    copy_out(image, c, "lk_dedup_get_image: image is NULL or image->size is not a known size");
    return LK_OK;
  });
}

lk_status lk_dedup_get_layer(const lk_dedup* dedup, size_t index, lk_dedup_layer* layer) {
  return guard([&] {
    const DedupReport& r = ran(dedup, "lk_dedup_get_layer: dedup is NULL");
    if (index >= r.layers.size()) throw InvalidArgument{"lk_dedup_get_layer: index out of range"};
    const DedupLayer& l = r.layers[index];
    lk_dedup_layer c;
    lk_dedup_layer_init(&c);
    c.diff_id = l.diff_id.str().c_str();
    c.chain_id = l.chain_id.str().c_str();
    c.bytes = l.size;
    c.image_count = l.images.size();
    copy_out(layer, c, "lk_dedup_get_layer: layer is NULL or layer->size is not a known size");
    return LK_OK;
  });
}

lk_status lk_dedup_layer_image(const lk_dedup* dedup, size_t layer, size_t index, const char** ref) {
  if (ref) *ref = nullptr;
  return guard([&] {
    const DedupReport& r = ran(dedup, "lk_dedup_layer_image: dedup is NULL");
    need(ref, "lk_dedup_layer_image: ref is NULL");
    if (layer >= r.layers.size() || index >= r.layers[layer].images.size())
      throw InvalidArgument{"lk_dedup_layer_image: index out of range"};
    *ref = r.layers[layer].images[index].c_str();
    return LK_OK;
  });
}

lk_status lk_dedup_json(const lk_dedup* dedup, char** json) {
  if (json) *json = nullptr;
  return guard([&] {
    const DedupReport& r = ran(dedup, "lk_dedup_json: dedup is NULL");
    need(json, "lk_dedup_json: json is NULL");
    *json = dup_string(dedup_json(r));
    return LK_OK;
  });
}

void lk_dedup_free(lk_dedup* dedup) { delete dedup; }

// ---------------------------------------------------------------------------
// JSON documents

lk_status lk_inspect_json(const lk_archive* archive, const lk_image* image, char** json) {
  if (json) *json = nullptr;
  return guard([&] {
    need(archive, "lk_inspect_json: archive is NULL");
    need(json, "lk_inspect_json: json is NULL");
    need_own_image(archive, image, "lk_inspect_json");
    std::vector<const Image*> imgs;
    if (image) imgs.push_back(image->img);
    else
      for (const auto& w : archive->images) imgs.push_back(w->img);
    *json = dup_string(inspect_json(archive->archive, imgs));
    return LK_OK;
  });
}

}  // extern "C"
