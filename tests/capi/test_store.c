/*
 * test_store.c — the store's C ABI, in C99 against the public header only:
 * the classic scenario (load base; plan runtime; load runtime; plan app; save
 * app thin against a store holding base; verify; gc; df).
 *
 * Usage: test_store SCRATCH_DIR BASE RUNTIME APP APP_DIFF_IDS(comma-separated)
 * run_capi.py passes the sample archives and the diff_ids samples/expected.json
 * holds (read back by peer tools).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <layerkit/layerkit.h>

static int failures = 0;

#define CHECK(cond)                                                                                            \
  do {                                                                                                         \
    if (!(cond)) {                                                                                             \
      fprintf(stderr, "%s:%d: CHECK(%s) failed (last error: %s)\n", __FILE__, __LINE__, #cond, lk_last_error()); \
      ++failures;                                                                                              \
    }                                                                                                          \
  } while (0)

static int loading = 0, existing = 0, loaded = 0;

static void on_event(const lk_store_event *e, void *data) {
  (void)data;
  if (e->kind == LK_STORE_EVENT_LOADING_LAYER) ++loading;
  if (e->kind == LK_STORE_EVENT_LAYER_EXISTS) ++existing;
  if (e->kind == LK_STORE_EVENT_IMAGE_LOADED) ++loaded;
}

/* Plans `archive` against the store: counts of layers existing by chain_id. */
static void plan(lk_store *s, const char *archive, size_t want_exist, size_t want_layers, const char *diff_ids) {
  lk_archive *a = NULL;
  const lk_image *img = NULL;
  lk_plan *p = NULL;
  size_t layers = 0, exist = 0, i;
  uint64_t present = 0, transfer = 0, sum_present = 0;
  char ids[4096];
  char *tok;
  CHECK(lk_archive_open(archive, NULL, &a) == LK_OK);
  CHECK(lk_archive_image(a, 0, &img) == LK_OK);
  {
    lk_archive *other = NULL; /* the image of one handle with another: refused */
    CHECK(lk_archive_open(archive, NULL, &other) == LK_OK);
    CHECK(lk_store_plan(s, other, img, &p) == LK_EINVAL && p == NULL);
    lk_archive_free(other);
  }
  CHECK(lk_store_plan(s, a, img, &p) == LK_OK);
  layers = 7, present = 7, transfer = 7;
  CHECK(lk_plan_totals(NULL, &layers, &present, &transfer) == LK_EINVAL);
  CHECK(layers == 0 && present == 0 && transfer == 0); /* outputs are 0 on failure */
  CHECK(lk_plan_totals(p, &layers, &present, &transfer) == LK_OK);
  CHECK(layers == want_layers);
  if (diff_ids) {
    strncpy(ids, diff_ids, sizeof ids - 1);
    ids[sizeof ids - 1] = '\0';
    tok = strtok(ids, ",");
  } else {
    tok = NULL;
  }
  for (i = 0; i < layers; ++i) {
    lk_plan_layer l;
    lk_plan_layer_init(&l);
    CHECK(lk_plan_layer_get(p, i, &l) == LK_OK);
    CHECK(l.index == i);
    if (tok) {
      CHECK(strcmp(l.diff_id, tok) == 0);
      tok = strtok(NULL, ",");
    }
    /* The classic scenario: the bottom layers exist, the rest are pulled. */
    CHECK(l.exists_by_chain_id == (i < want_exist));
    if (l.exists_by_chain_id) {
      ++exist;
      sum_present += (uint64_t)l.bytes;
    }
  }
  CHECK(exist == want_exist);
  CHECK(present == sum_present);
  lk_plan_free(p);
  lk_archive_free(a);
}

int main(int argc, char **argv) {
  char dir[4096], base_only[4096], thin[4096];
  lk_store *s = NULL, *b = NULL;
  lk_store_load_options lo;
  lk_store_save_options so;
  char *json = NULL;
  int ok = 0, present = 0;
  const char *ref = "localhost/layerkit-sample/app:1.0";
  if (argc != 6) {
    fprintf(stderr, "usage: %s SCRATCH BASE RUNTIME APP APP_DIFF_IDS\n", argv[0]);
    return 2;
  }
  snprintf(dir, sizeof dir, "%s/store", argv[1]);
  snprintf(base_only, sizeof base_only, "%s/base-only", argv[1]);
  snprintf(thin, sizeof thin, "%s/app-thin.tar", argv[1]);

  /* Absent store without create: not found. */
  CHECK(lk_store_open(dir, 0, &s) == LK_ENOTFOUND && s == NULL);
  CHECK(lk_store_open(dir, 1, &s) == LK_OK);
  CHECK(strcmp(lk_store_path(s), dir) == 0);

  lk_store_load_options_init(&lo);
  lo.on_event = on_event;
  CHECK(lk_store_load(s, argv[2], &lo, &json) == LK_OK);
  CHECK(json != NULL && strstr(json, "layerkit-sample/base:1.0") != NULL);
  lk_string_free(json);
  CHECK(loading == 2 && existing == 0 && loaded == 1);

  plan(s, argv[3], 2, 3, NULL);               /* runtime against {base}: 2 exist, 1 to pull */
  loading = existing = loaded = 0;
  CHECK(lk_store_load(s, argv[3], &lo, NULL) == LK_OK);
  CHECK(loading == 1 && existing == 2 && loaded == 1);
  plan(s, argv[4], 3, 6, argv[5]);            /* app against {runtime}: 3 exist, 3 to pull */
  CHECK(lk_store_load(s, argv[4], NULL, NULL) == LK_OK);

  /* A thin docker-archive of app for a store holding only base. */
  CHECK(lk_store_open(base_only, 1, &b) == LK_OK);
  CHECK(lk_store_load(b, argv[2], NULL, NULL) == LK_OK);
  lk_store_save_options_init(&so);
  so.missing_from = base_only;
  CHECK(lk_store_save(s, &ref, 1, thin, &so, &json) == LK_OK);
  CHECK(json != NULL);
  lk_string_free(json);
  /* ... which the base store then loads, reusing its layers. */
  loading = existing = loaded = 0;
  CHECK(lk_store_load(b, thin, &lo, NULL) == LK_OK);
  CHECK(existing == 2 && loading == 4 && loaded == 1);
  CHECK(lk_store_verify(b, 0, NULL, NULL, &ok, NULL) == LK_OK && ok == 1);

  CHECK(lk_store_verify(s, 0, NULL, NULL, &ok, &json) == LK_OK && ok == 1);
  lk_string_free(json);
  CHECK(lk_store_df_json(s, &json) == LK_OK && strstr(json, "SharedSize") != NULL);
  lk_string_free(json);
  CHECK(lk_store_images_json(s, &json) == LK_OK && strstr(json, ref) != NULL);
  lk_string_free(json);
  CHECK(lk_store_has_blob(s, "sha256:../../x", &present) == LK_EBADDIGEST && present == 0);
  CHECK(lk_store_remove(s, &ref, 1, NULL) == LK_OK);
  CHECK(lk_store_gc(s, 0, &json) == LK_OK);
  lk_string_free(json);
  CHECK(lk_store_load(s, "/nonexistent/archive.tar", NULL, NULL) == LK_ENOTFOUND);
  lk_store_free(b);
  lk_store_free(s);
  lk_store_free(NULL);
  lk_plan_free(NULL);
  if (failures) {
    fprintf(stderr, "%d check(s) failed\n", failures);
    return 1;
  }
  printf("test_store: all checks passed\n");
  return 0;
}
