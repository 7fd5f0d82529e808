/*
 * test_capi.c — the C ABI, tested in C99 against the public header only
 * (compiled with -Wall -Wextra -pedantic -Werror).
 *
 * Usage: test_capi ARCHIVE ID DIFF_ID[,DIFF_ID...] HISTORY_COUNT SCRATCH_DIR LAYER0_ENTRIES
 * The expected values come from samples/expected.json (read by peer tools);
 * run_capi.py passes them. SCRATCH_DIR receives a corrupted copy of ARCHIVE.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <layerkit/layerkit.h>

static int failures = 0;

#define CHECK(cond)                                                         \
  do {                                                                      \
    if (!(cond)) {                                                          \
      fprintf(stderr, "%s:%d: CHECK(%s) failed (last error: %s)\n", __FILE__, \
              __LINE__, #cond, lk_last_error());                            \
      ++failures;                                                           \
    }                                                                       \
  } while (0)

static int cancel_after_first(uint64_t done, uint64_t total, void *data) {
  int *calls = (int *)data;
  (void)done;
  (void)total;
  ++*calls;
  return 1; /* stop */
}

static int count_calls(uint64_t done, uint64_t total, void *data) {
  int *calls = (int *)data;
  (void)total;
  if (done > 0) ++*calls;
  return 0;
}

static void test_versions_and_errors(void) {
  CHECK(strcmp(lk_version(), LAYERKIT_VERSION_STRING) == 0);
  CHECK(lk_version_number() ==
        LAYERKIT_VERSION_MAJOR * 10000 + LAYERKIT_VERSION_MINOR * 100 + LAYERKIT_VERSION_PATCH);
  CHECK(lk_last_error() != NULL);
  /* Stable numbering: these values are the ABI. */
  CHECK(LK_OK == 0 && LK_DONE == 1 && LK_EINVAL == -1 && LK_EIO == -2 && LK_ENOTFOUND == -3);
  CHECK(LK_EFORMAT == -4 && LK_ETRUNCATED == -5 && LK_EDIGEST == -6 && LK_ESIZE == -7);
  CHECK(LK_ECOUNT == -8 && LK_ELIMIT == -9 && LK_EUNSUPPORTED == -10 && LK_EINTERNAL == -11);
  CHECK(LK_ECANCELLED == -12 && LK_EMALFORMED == -13 && LK_EBADDIGEST == -14);
  CHECK(LK_EUNSAFEPATH == -15 && LK_EAMBIGUOUS == -16 && LK_ENOMEM == -17);
  CHECK(strcmp(lk_status_name(LK_EDIGEST), "digest_mismatch") == 0);
  CHECK(strcmp(lk_status_name(LK_ETRUNCATED), "truncated") == 0);
  CHECK(strcmp(lk_status_name((lk_status)-999), "unknown") == 0);
}

static void test_null_handling(void) {
  lk_archive *a = (lk_archive *)1; /* must be reset to NULL on failure */
  size_t n = 77;
  lk_image_info info;
  CHECK(lk_archive_open(NULL, NULL, &a) == LK_EINVAL);
  CHECK(a == NULL);
  CHECK(strlen(lk_last_error()) > 0);
  CHECK(lk_archive_open("x", NULL, NULL) == LK_EINVAL);
  /* On failure counts are 0 too (the conventions at the top of layerkit.h). */
  CHECK(lk_archive_image_count(NULL, &n) == LK_EINVAL && n == 0);
  n = 77;
  CHECK(lk_archive_warning_count(NULL, &n) == LK_EINVAL && n == 0);
  n = 77;
  CHECK(lk_history_count(NULL, &n) == LK_EINVAL && n == 0);
  n = 77;
  CHECK(lk_verify_report_problem_count(NULL, &n) == LK_EINVAL && n == 0);
  lk_image_info_init(&info);
  CHECK(lk_image_get_info(NULL, &info) == LK_EINVAL);
  /* Every _free(NULL) is a no-op. */
  lk_archive_free(NULL);
  lk_layer_iter_free(NULL);
  lk_history_free(NULL);
  lk_verify_report_free(NULL);
  lk_dedup_free(NULL);
  lk_string_free(NULL);
}

static void test_bad_paths(const char *scratch) {
  lk_archive *a = NULL;
  char path[4096];
  FILE *f;
  CHECK(lk_archive_open("/nonexistent/layerkit/archive.tar", NULL, &a) == LK_ENOTFOUND);
  CHECK(strstr(lk_last_error(), "archive.tar") != NULL);
  snprintf(path, sizeof path, "%s/not-an-archive.txt", scratch);
  f = fopen(path, "w");
  CHECK(f != NULL);
  if (f) {
    fputs("hello, this is not a tar archive\n", f);
    fclose(f);
  }
  CHECK(lk_archive_open(path, NULL, &a) == LK_EFORMAT);
  CHECK(a == NULL);
}

static void test_options_size(const char *archive) {
  lk_open_options o;
  lk_archive *a = NULL;
  CHECK(lk_open_options_init(&o, sizeof o) == LK_OK);
  CHECK(o.size == sizeof o && o.limits.size == sizeof o.limits);
  CHECK(o.limits.manifest_json_bytes == 1u << 20);
  CHECK(o.limits.json_bytes == 4u << 20);
  /* A size from a newer header than this library knows is rejected. */
  o.size = sizeof o + 64;
  CHECK(lk_archive_open(archive, &o, &a) == LK_EINVAL);
  CHECK(a == NULL);
  CHECK(lk_open_options_init(&o, 0) == LK_EINVAL);
  /* A size that is no version's sizeof: it would end inside the platform pointer. */
  CHECK(lk_open_options_init(&o, sizeof(size_t) + 4) == LK_EINVAL);
  CHECK(lk_open_options_init(&o, sizeof o) == LK_OK);
  o.platform = "linux/amd64";
  o.size = sizeof(size_t) + 4;
  CHECK(lk_archive_open(archive, &o, &a) == LK_EINVAL && a == NULL);
  /* A smaller (older) size is accepted: only `size` and `platform` known. */
  CHECK(lk_open_options_init(&o, sizeof o) == LK_OK);
  o.size = sizeof(size_t) + sizeof(const char *);
  o.platform = "linux/amd64";
  CHECK(lk_archive_open(archive, &o, &a) == LK_OK);
  lk_archive_free(a);
  /* A tight limit is honoured: a manifest.json cap of 16 bytes. */
  CHECK(lk_open_options_init(&o, sizeof o) == LK_OK);
  o.limits.manifest_json_bytes = 16;
  a = NULL;
  CHECK(lk_archive_open(archive, &o, &a) == LK_ELIMIT);
  CHECK(strstr(lk_last_error(), "manifest.json") != NULL);
}

static void test_archive(const char *archive, const char *id, const char *diff_ids, long history_count) {
  lk_archive *a = NULL;
  const lk_image *img = NULL;
  lk_image_info info;
  lk_layer_iter *it = NULL;
  lk_layer_info li;
  lk_history *h = NULL;
  lk_history_row row;
  size_t n = 0, i, count = 0;
  const char *const *items = NULL;
  char *json = NULL;
  char ids[4096];
  char *tok;

  if (lk_archive_open(archive, NULL, &a) != LK_OK) {
    CHECK(!"open failed");
    return;
  }
  CHECK(strcmp(lk_archive_format(a), "docker-archive") == 0);
  CHECK(lk_archive_image_count(a, &n) == LK_OK && n == 1);
  CHECK(lk_archive_image(a, 1, &img) == LK_EINVAL && img == NULL);
  CHECK(lk_archive_image(a, 0, &img) == LK_OK);
  lk_image_info_init(&info);
  CHECK(lk_image_get_info(img, &info) == LK_OK);
  CHECK(strcmp(info.id, id) == 0);
  CHECK((long)info.history_count == history_count);
  CHECK(info.complete == 1);

  /* diff_ids, in order, as the peer tools listed them. */
  CHECK(lk_image_strings(img, LK_LIST_DIFF_IDS, &count, &items) == LK_OK);
  strncpy(ids, diff_ids, sizeof ids - 1);
  ids[sizeof ids - 1] = '\0';
  i = 0;
  for (tok = strtok(ids, ","); tok; tok = strtok(NULL, ","), ++i) CHECK(i < count && strcmp(items[i], tok) == 0);
  CHECK(i == count);
  CHECK(info.layer_count == count);
  CHECK(lk_image_strings(img, (lk_string_list)42, &count, &items) == LK_EINVAL);

  /* Layers: uncompressed docker-archive layers, digest = diff_id. */
  CHECK(lk_image_layers(a, img, 1, &it) == LK_OK);
  lk_layer_info_init(&li);
  i = 0;
  while (lk_layer_iter_next(it, &li) == LK_OK) {
    CHECK(li.index == i);
    CHECK(li.present == 1 && li.foreign == 0);
    CHECK(strcmp(li.digest, li.diff_id) == 0);
    CHECK(strcmp(li.compression, "none") == 0);
    CHECK(li.uncompressed_bytes == li.blob_bytes);
    CHECK(li.content_bytes >= 0 && li.content_bytes <= li.uncompressed_bytes);
    ++i;
  }
  CHECK(i == info.layer_count);
  CHECK(lk_layer_iter_next(it, &li) == LK_DONE);
  lk_layer_iter_free(it);

  /* An older caller's smaller struct is filled only up to its size. */
  {
    lk_layer_info small;
    lk_layer_info_init(&small);
    small.size = sizeof(size_t) + sizeof(size_t); /* size + index only */
    small.media_type = (const char *)0x1;
    CHECK(lk_image_layers(a, img, 0, &it) == LK_OK);
    CHECK(lk_layer_iter_next(it, &small) == LK_OK);
    CHECK(small.media_type == (const char *)0x1); /* untouched */
    small.size = sizeof(lk_layer_info) + 8;
    CHECK(lk_layer_iter_next(it, &small) == LK_EINVAL);
    lk_layer_iter_free(it);
  }

  /* History: newest first, the image ID on top. */
  CHECK(lk_image_history(a, img, 0, NULL, NULL, &h) == LK_OK);
  CHECK(lk_history_count(h, &n) == LK_OK && (long)n == history_count);
  lk_history_row_init(&row);
  CHECK(lk_history_row_get(h, 0, &row) == LK_OK);
  CHECK(strcmp(row.id, id) == 0);
  CHECK(lk_history_row_get(h, n, &row) == LK_EINVAL);
  CHECK(lk_history_json(h, 1, &json) == LK_OK && json && strstr(json, "\"CreatedBy\"") != NULL);
  lk_string_free(json);
  lk_history_free(h);

  /* Inspect JSON carries the ID. */
  CHECK(lk_inspect_json(a, NULL, &json) == LK_OK && json && strstr(json, id) != NULL);
  lk_string_free(json);

  /* find by reference prefix-stripped and by ID prefix */
  CHECK(lk_archive_find_image(a, id + 7, &img) == LK_OK);
  CHECK(lk_archive_find_image(a, "no-such-image:1", &img) == LK_ENOTFOUND && img == NULL);

  /* Verify passes; progress is reported; a callback that stops cancels. */
  {
    lk_verify_report *r = NULL;
    lk_verify_options vo;
    int calls = 0;
    lk_verify_options_init(&vo);
    vo.progress = count_calls;
    vo.progress_data = &calls;
    CHECK(lk_verify(a, &vo, &r) == LK_OK);
    CHECK(lk_verify_report_ok(r) == 1);
    CHECK(calls > 0);
    CHECK(lk_verify_report_problem_count(r, &n) == LK_OK && n == 0);
    CHECK(lk_verify_report_json(r, &json) == LK_OK && strstr(json, "\"OK\": true") != NULL);
    lk_string_free(json);
    lk_verify_report_free(r);

  }
  lk_archive_free(a);

  /* A callback that asks to stop ends the operation with LK_ECANCELLED. */
  {
    lk_verify_report *r = (lk_verify_report *)1;
    lk_verify_options vo;
    int calls = 0;
    a = NULL;
    CHECK(lk_archive_open(archive, NULL, &a) == LK_OK);
    lk_verify_options_init(&vo);
    vo.progress = cancel_after_first;
    vo.progress_data = &calls;
    CHECK(lk_verify(a, &vo, &r) == LK_ECANCELLED);
    CHECK(r == NULL);
    CHECK(calls >= 1);
    CHECK(strstr(lk_last_error(), "cancelled") != NULL);
    lk_archive_free(a);
  }
}

static void test_corrupt(const char *archive, const char *scratch) {
  /* Flip one byte in the middle of the first member's body (offset 512 + 100):
   * the first layer of a podman docker-archive. */
  char path[4096];
  FILE *in = fopen(archive, "rb"), *out;
  long size;
  char *buf;
  lk_archive *a = NULL;
  lk_verify_report *r = NULL;
  lk_problem p;
  size_t n = 0;
  snprintf(path, sizeof path, "%s/corrupt.tar", scratch);
  CHECK(in != NULL);
  if (!in) return;
  fseek(in, 0, SEEK_END);
  size = ftell(in);
  fseek(in, 0, SEEK_SET);
  buf = (char *)malloc((size_t)size);
  CHECK(fread(buf, 1, (size_t)size, in) == (size_t)size);
  fclose(in);
  buf[612] ^= 0x20;
  out = fopen(path, "wb");
  CHECK(out != NULL);
  if (!out) {
    free(buf);
    return;
  }
  fwrite(buf, 1, (size_t)size, out);
  fclose(out);
  free(buf);

  CHECK(lk_archive_open(path, NULL, &a) == LK_OK);
  CHECK(lk_verify(a, NULL, &r) == LK_OK);
  CHECK(lk_verify_report_ok(r) == 0);
  CHECK(lk_verify_report_problem_count(r, &n) == LK_OK && n == 1);
  lk_problem_init(&p);
  CHECK(lk_verify_report_problem(r, 0, &p) == LK_OK);
  CHECK(strcmp(p.kind, "diff_id") == 0);
  CHECK(p.layer == 0);
  CHECK(strlen(p.expected) == 71 && strlen(p.actual) == 71 && strcmp(p.expected, p.actual) != 0);
  lk_verify_report_free(r);
  lk_archive_free(a);

  /* Truncated: cut inside the first member's body. */
  snprintf(path, sizeof path, "%s/truncated.tar", scratch);
  in = fopen(archive, "rb");
  out = fopen(path, "wb");
  if (in && out) {
    char chunk[1024];
    size_t got = fread(chunk, 1, sizeof chunk, in);
    fwrite(chunk, 1, got, out);
  }
  if (in) fclose(in);
  if (out) fclose(out);
  a = NULL;
  CHECK(lk_archive_open(path, NULL, &a) == LK_ETRUNCATED);
  CHECK(a == NULL);
}

static void test_entries(const char *archive, long layer0_entries) {
  lk_archive *a = NULL;
  const lk_image *img = NULL;
  lk_entry_iter *it = NULL;
  lk_entry e;
  long n = 0;
  CHECK(lk_archive_open(archive, NULL, &a) == LK_OK);
  CHECK(lk_archive_image(a, 0, &img) == LK_OK);
  CHECK(lk_layer_entries(a, img, 0, &it) == LK_OK);
  lk_entry_init(&e);
  while (lk_entry_iter_next(it, &e) == LK_OK) {
    CHECK(e.path != NULL && e.path[0] != '/');
    CHECK(e.type == '-' || e.type == 'd' || e.type == 'l' || e.type == 'h');
    ++n;
  }
  CHECK(n == layer0_entries);
  CHECK(strcmp(lk_entry_iter_tar_problem(it), "") == 0);
  lk_entry_iter_free(it);
  it = (lk_entry_iter *)1;
  CHECK(lk_layer_entries(a, img, 999, &it) == LK_EINVAL && it == NULL);
  CHECK(lk_layer_entries(a, NULL, 0, &it) == LK_EINVAL && it == NULL); /* not a layer tar */
  lk_archive_free(a);
}

/* The bottom layer alone, as a lone layer tar (image NULL), whole and cut
 * right after its last entry (run_capi.py writes both with Python's tarfile):
 * the cut one lists the same entries, then reports LK_ETRUNCATED, as `ls`. */
static void test_lone_layer(const char *scratch, long layer0_entries) {
  static const char *names[] = {"layer0.tar", "layer0-cut.tar"};
  int k;
  for (k = 0; k < 2; ++k) {
    char path[4096];
    lk_archive *a = NULL;
    lk_entry_iter *it = NULL;
    lk_entry e;
    size_t images = 99;
    long n = 0;
    snprintf(path, sizeof path, "%s/%s", scratch, names[k]);
    CHECK(lk_archive_open(path, NULL, &a) == LK_OK);
    CHECK(lk_archive_image_count(a, &images) == LK_OK && images == 0);
    CHECK(lk_layer_entries(a, NULL, 0, &it) == LK_OK);
    lk_entry_init(&e);
    while (lk_entry_iter_next(it, &e) == LK_OK) ++n;
    CHECK(n == layer0_entries);
    if (k == 0) {
      CHECK(lk_entry_iter_status(it) == LK_OK && strcmp(lk_entry_iter_tar_problem(it), "") == 0);
    } else {
      CHECK(lk_entry_iter_status(it) == LK_ETRUNCATED);
      CHECK(strstr(lk_entry_iter_tar_problem(it), "end-of-archive marker") != NULL);
    }
    lk_entry_iter_free(it);
    lk_archive_free(a);
  }
}

/* An image handle belongs to its archive: passing it with another archive
 * (here a second open of the same file) is LK_EINVAL, never a read of the
 * wrong archive's members. */
static void test_foreign_image(const char *archive) {
  lk_archive *a = NULL, *b = NULL;
  const lk_image *img = NULL;
  lk_layer_iter *it = (lk_layer_iter *)1;
  lk_entry_iter *eit = (lk_entry_iter *)1;
  lk_history *h = (lk_history *)1;
  lk_dedup *d = NULL;
  char *json = (char *)1;
  CHECK(lk_archive_open(archive, NULL, &a) == LK_OK);
  CHECK(lk_archive_open(archive, NULL, &b) == LK_OK);
  CHECK(lk_archive_image(a, 0, &img) == LK_OK);
  CHECK(lk_image_layers(b, img, 0, &it) == LK_EINVAL && it == NULL);
  CHECK(strstr(lk_last_error(), "another archive") != NULL);
  CHECK(lk_layer_entries(b, img, 0, &eit) == LK_EINVAL && eit == NULL);
  CHECK(lk_image_history(b, img, 0, NULL, NULL, &h) == LK_EINVAL && h == NULL);
  CHECK(lk_inspect_json(b, img, &json) == LK_EINVAL && json == NULL);
  CHECK(lk_dedup_new(&d) == LK_OK);
  CHECK(lk_dedup_add(d, b, img, "x") == LK_EINVAL);
  CHECK(lk_dedup_add(d, a, img, "x") == LK_OK);
  lk_dedup_free(d);
  lk_archive_free(b);
  lk_archive_free(a);
}

static void test_struct_sizes(void) {
  /* LP64 layouts of the public structs: a change here is an ABI break
   * (the abidiff check says the same from the built library). */
  if (sizeof(void *) != 8) return;
  CHECK(sizeof(lk_limits) == 80);
  CHECK(sizeof(lk_open_options) == 120);
  CHECK(sizeof(lk_image_info) == 160);
  CHECK(sizeof(lk_layer_info) == 104);
  CHECK(sizeof(lk_history_row) == 112);
  CHECK(sizeof(lk_verify_options) == 40);
  CHECK(sizeof(lk_problem) == 64);
  CHECK(sizeof(lk_dedup_totals) == 48);
  CHECK(sizeof(lk_dedup_image) == 56);
  CHECK(sizeof(lk_dedup_layer) == 40);
  CHECK(sizeof(lk_entry) == 112);
}

int main(int argc, char **argv) {
  if (argc != 7) {
    fprintf(stderr, "usage: %s ARCHIVE ID DIFF_IDS HISTORY_COUNT SCRATCH_DIR LAYER0_ENTRIES\n", argv[0]);
    return 2;
  }
  test_versions_and_errors();
  test_null_handling();
  test_bad_paths(argv[5]);
  test_options_size(argv[1]);
  test_archive(argv[1], argv[2], argv[3], strtol(argv[4], NULL, 10));
  test_corrupt(argv[1], argv[5]);
  test_entries(argv[1], strtol(argv[6], NULL, 10));
  test_lone_layer(argv[5], strtol(argv[6], NULL, 10));
  test_foreign_image(argv[1]);
  test_struct_sizes();
  if (failures) {
    fprintf(stderr, "%d check(s) failed\n", failures);
    return 1;
  }
  printf("test_capi: all checks passed\n");
  return 0;
}
