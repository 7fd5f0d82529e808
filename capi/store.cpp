// The C ABI of the image store (layerkit/store.hpp): the same firewall as
// layerkit.cpp; reports cross as JSON strings the caller frees.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "capi_internal.hpp"
#include "layerkit/layerkit.h"
#include "layerkit/store.hpp"

using namespace layerkit;
using namespace layerkit::capi;

struct lk_store {
  Store store;
  explicit lk_store(Store s) : store(std::move(s)) {}
};

struct lk_plan {
  PullPlan plan;
  std::vector<lk_plan_layer> layers;
};

namespace {

std::vector<std::string> ref_list(const char* const* refs, std::size_t count, const char* what) {
  if (count && !refs) throw InvalidArgument{what};
  std::vector<std::string> out;
  for (std::size_t i = 0; i < count; ++i) {
    if (!refs[i]) throw InvalidArgument{what};
    out.emplace_back(refs[i]);
  }
  return out;
}

void set_json(char** out, const std::string& json) {
  if (out) *out = dup_string(json);
}

}  // namespace

extern "C" {

lk_status lk_store_open(const char* dir, int create, lk_store** out) {
  if (out) *out = nullptr;
  return guard([&] {
    need(dir, "lk_store_open: dir is NULL");
    need(out, "lk_store_open: out is NULL");
    StoreOptions o;
    o.create = create != 0;
    *out = new lk_store(Store::open(dir, o));
    return LK_OK;
  });
}

void lk_store_free(lk_store* store) { delete store; }

lk_status lk_store_default_path(char** path) {
  if (path) *path = nullptr;
  return guard([&] {
    need(path, "lk_store_default_path: path is NULL");
    *path = dup_string(Store::default_path());
    return LK_OK;
  });
}

const char* lk_store_path(const lk_store* store) { return store ? store->store.path().c_str() : ""; }

lk_status lk_store_has_blob(const lk_store* store, const char* digest, int* present) {
  if (present) *present = 0;
  return guard([&] {
    need(store, "lk_store_has_blob: store is NULL");
    need(digest, "lk_store_has_blob: digest is NULL");
    need(present, "lk_store_has_blob: present is NULL");
    *present = store->store.has_blob(Digest::parse(digest)) ? 1 : 0;
    return LK_OK;
  });
}

lk_status lk_store_load(lk_store* store, const char* archive, const lk_store_load_options* opts,
                        char** report_json) {
  if (report_json) *report_json = nullptr;
  return guard([&] {
    need(store, "lk_store_load: store is NULL");
    need(archive, "lk_store_load: archive is NULL");
    lk_store_load_options o;
    lk_store_load_options_init(&o);
    if (opts) copy_in(opts, o, "lk_store_load: opts->size is not sizeof(lk_store_load_options) of any known version");
    LoadOptions lo;
    if (o.image) lo.image = o.image;
    lo.open = open_options_from(o.open, "lk_store_load");
    lo.progress = wrap_progress(o.progress, o.progress_data);
    if (o.on_event) {
      lk_store_event_fn fn = o.on_event;
      void* data = o.event_data;
      lo.on_event = [fn, data](const LoadEvent& e) {
        lk_store_event c;
        std::memset(&c, 0, sizeof c);
        c.size = sizeof c;
        static_assert(int(LoadEvent::Kind::layer_loading) == LK_STORE_EVENT_LOADING_LAYER &&
                      int(LoadEvent::Kind::layer_exists) == LK_STORE_EVENT_LAYER_EXISTS &&
                      int(LoadEvent::Kind::image_loaded) == LK_STORE_EVENT_IMAGE_LOADED);
        c.kind = static_cast<int>(e.kind);
        c.image = e.image.c_str();
        c.layer = e.layer;
        c.diff_id = e.diff_id.str().c_str();
        c.digest = e.digest.str().c_str();
        c.bytes = e.bytes;
        c.id = e.id.str().c_str();
        fn(&c, data);
      };
    }
    LoadReport r = store->store.load(archive, lo);
    set_json(report_json, load_json(r));
    return LK_OK;
  });
}

lk_status lk_store_plan(const lk_store* store, const lk_archive* archive, const lk_image* image, lk_plan** out) {
  if (out) *out = nullptr;
  return guard([&] {
    need(store, "lk_store_plan: store is NULL");
    need(archive, "lk_store_plan: archive is NULL");
    need(image, "lk_store_plan: image is NULL");
    need(out, "lk_store_plan: out is NULL");
    need_own_image(archive, image, "lk_store_plan");
    auto p = std::make_unique<lk_plan>();
    p->plan = store->store.plan(archive->archive, *image->img);
    for (const PlanLayer& l : p->plan.layers) {
      lk_plan_layer c;
      lk_plan_layer_init(&c);
      c.index = l.index;
      c.diff_id = l.diff_id.str().c_str();
      c.digest = l.digest.str().c_str();
      c.chain_id = l.chain_id.str().c_str();
      c.bytes = l.size;
      c.exists_by_chain_id = l.exists_by_chain_id ? 1 : 0;
      c.exists_by_digest = l.exists_by_digest ? 1 : 0;
      p->layers.push_back(c);
    }
    *out = p.release();
    return LK_OK;
  });
}

lk_status lk_plan_totals(const lk_plan* plan, size_t* layers, uint64_t* present_bytes, uint64_t* transfer_bytes) {
  if (layers) *layers = 0;
  if (present_bytes) *present_bytes = 0;
  if (transfer_bytes) *transfer_bytes = 0;
  return guard([&] {
    need(plan, "lk_plan_totals: plan is NULL");
    if (layers) *layers = plan->layers.size();
    if (present_bytes) *present_bytes = plan->plan.present_bytes;
    if (transfer_bytes) *transfer_bytes = plan->plan.transfer_bytes;
    return LK_OK;
  });
}

lk_status lk_plan_layer_get(const lk_plan* plan, size_t index, lk_plan_layer* layer) {
  return guard([&] {
    need(plan, "lk_plan_layer_get: plan is NULL");
    if (index >= plan->layers.size()) throw InvalidArgument{"lk_plan_layer_get: index out of range"};
    copy_out(layer, plan->layers[index],
             "lk_plan_layer_get: layer is NULL or layer->size is not a known sizeof(lk_plan_layer)");
    return LK_OK;
  });
}

lk_status lk_plan_json(const lk_plan* plan, char** json) {
  if (json) *json = nullptr;
  return guard([&] {
    need(plan, "lk_plan_json: plan is NULL");
    need(json, "lk_plan_json: json is NULL");
    *json = dup_string(plan_json(plan->plan));
    return LK_OK;
  });
}

void lk_plan_free(lk_plan* plan) { delete plan; }

lk_status lk_store_save(const lk_store* store, const char* const* refs, size_t ref_count, const char* output,
                        const lk_store_save_options* opts, char** report_json) {
  if (report_json) *report_json = nullptr;
  return guard([&] {
    need(store, "lk_store_save: store is NULL");
    need(output, "lk_store_save: output is NULL");
    std::vector<std::string> names = ref_list(refs, ref_count, "lk_store_save: refs is NULL or holds NULL");
    lk_store_save_options o;
    lk_store_save_options_init(&o);
    if (opts) copy_in(opts, o, "lk_store_save: opts->size is not sizeof(lk_store_save_options) of any known version");
    SaveOptions so;
    switch (o.format) {
      case LK_SAVE_DOCKER_ARCHIVE: so.format = SaveFormat::docker_archive; break;
      case LK_SAVE_OCI_ARCHIVE: so.format = SaveFormat::oci_archive; break;
      case LK_SAVE_OCI_LAYOUT: so.format = SaveFormat::oci_layout; break;
      default: throw InvalidArgument{"lk_store_save: unknown opts->format"};
    }
    if (o.missing_from) so.missing_from = o.missing_from;
    so.progress = wrap_progress(o.progress, o.progress_data);
    SaveReport r = store->store.save(names, output, so);
    set_json(report_json, save_json(r));
    return LK_OK;
  });
}

lk_status lk_store_images_json(const lk_store* store, char** json) {
  if (json) *json = nullptr;
  return guard([&] {
    need(store, "lk_store_images_json: store is NULL");
    need(json, "lk_store_images_json: json is NULL");
    auto now = std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
    *json = dup_string(store_images_json(store->store.images(), now));
    return LK_OK;
  });
}

lk_status lk_store_remove(lk_store* store, const char* const* refs, size_t ref_count, char** report_json) {
  if (report_json) *report_json = nullptr;
  return guard([&] {
    need(store, "lk_store_remove: store is NULL");
    RemoveReport r = store->store.remove(ref_list(refs, ref_count, "lk_store_remove: refs is NULL or holds NULL"));
    set_json(report_json, remove_json(r));
    return LK_OK;
  });
}

lk_status lk_store_gc(lk_store* store, int dry_run, char** report_json) {
  if (report_json) *report_json = nullptr;
  return guard([&] {
    need(store, "lk_store_gc: store is NULL");
    GcOptions o;
    o.dry_run = dry_run != 0;
    set_json(report_json, gc_json(store->store.gc(o)));
    return LK_OK;
  });
}

lk_status lk_store_df_json(const lk_store* store, char** json) {
  if (json) *json = nullptr;
  return guard([&] {
    need(store, "lk_store_df_json: store is NULL");
    need(json, "lk_store_df_json: json is NULL");
    *json = dup_string(disk_usage_json(store->store.disk_usage()));
    return LK_OK;
  });
}

lk_status lk_store_verify(const lk_store* store, unsigned threads, lk_progress_fn progress, void* progress_data,
                          int* ok, char** report_json) {
  if (ok) *ok = 0;
  if (report_json) *report_json = nullptr;
  return guard([&] {
    need(store, "lk_store_verify: store is NULL");
    StoreVerifyOptions o;
    o.threads = threads;
    o.progress = wrap_progress(progress, progress_data);
    StoreVerifyReport r = store->store.verify(o);
    if (ok) *ok = r.ok ? 1 : 0;
    set_json(report_json, store_verify_json(r));
    return LK_OK;
  });
}

}  // extern "C"
