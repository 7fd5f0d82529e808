/*
 * classic.c — the classic scenario through layerkit's C ABI: list the images of
 * a base, a runtime and an app archive (each built FROM the previous one),
 * print each one's history, then the layers they share.
 *
 *   cc classic.c $(pkg-config --cflags --libs layerkit) -o classic
 *   ./classic base.tar runtime.tar app.tar
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <layerkit/layerkit.h>

static int report(lk_status st, const char *what) {
  if (st == LK_OK) return 0;
  fprintf(stderr, "classic: %s: %s [%s]\n", what, lk_last_error(), lk_status_name(st));
  return 1;
}

int main(int argc, char **argv) {
  lk_archive *archives[16] = {NULL};
  lk_dedup *dedup = NULL;
  int n = argc - 1, i, rc = 1;
  size_t k;
  if (n < 1 || n > 16) {
    fprintf(stderr, "usage: %s ARCHIVE... (at most 16)\n", argv[0]);
    return 2;
  }
  if (report(lk_dedup_new(&dedup), "lk_dedup_new")) return 1;

  for (i = 0; i < n; ++i) {
    size_t count = 0;
    if (report(lk_archive_open(argv[i + 1], NULL, &archives[i]), argv[i + 1])) goto out;
    if (report(lk_archive_image_count(archives[i], &count), "lk_archive_image_count")) goto out;
    printf("%s (%s): %zu image(s)\n", argv[i + 1], lk_archive_format(archives[i]), count);
    for (k = 0; k < count; ++k) {
      const lk_image *img = NULL;
      lk_image_info info;
      const char *const *refs = NULL;
      size_t nrefs = 0, rows = 0, r;
      lk_history *hist = NULL;
      lk_image_info_init(&info);
      if (report(lk_archive_image(archives[i], k, &img), "lk_archive_image")) goto out;
      if (report(lk_image_get_info(img, &info), "lk_image_get_info")) goto out;
      if (report(lk_image_strings(img, LK_LIST_REFERENCES, &nrefs, &refs), "lk_image_strings")) goto out;
      printf("  image %s  id %.19s  %s/%s  %zu layers\n", nrefs ? refs[0] : "<none>", info.id, info.os,
             info.architecture, info.layer_count);
      if (report(lk_image_history(archives[i], img, 0, NULL, NULL, &hist), "lk_image_history")) goto out;
      lk_history_count(hist, &rows);
      for (r = 0; r < rows; ++r) {
        lk_history_row row;
        lk_history_row_init(&row);
        lk_history_row_get(hist, r, &row);
        printf("    %-12.12s %10" PRId64 " B  %.60s\n", row.id[0] == '<' ? row.id : row.id + 7, row.content_bytes,
               row.created_by);
      }
      lk_history_free(hist);
      if (report(lk_dedup_add(dedup, archives[i], img, nrefs ? refs[0] : info.id), "lk_dedup_add")) goto out;
    }
  }

  if (report(lk_dedup_run(dedup, 0, NULL, NULL), "lk_dedup_run")) goto out;
  {
    lk_dedup_totals totals;
    lk_dedup_totals_init(&totals);
    lk_dedup_get_totals(dedup, &totals);
    printf("\nlayers (by chain_id) and the images that share them:\n");
    for (k = 0; k < totals.layer_count; ++k) {
      lk_dedup_layer layer;
      size_t j;
      lk_dedup_layer_init(&layer);
      lk_dedup_get_layer(dedup, k, &layer);
      printf("  %.19s  %10" PRIu64 " B  in %zu:", layer.chain_id, layer.bytes, layer.image_count);
      for (j = 0; j < layer.image_count; ++j) {
        const char *ref = NULL;
        lk_dedup_layer_image(dedup, k, j, &ref);
        printf(" %s", ref);
      }
      printf("\n");
    }
    printf("total %" PRIu64 " B, unique %" PRIu64 " B, saved by sharing %" PRIu64 " B\n", totals.total_bytes,
           totals.unique_bytes, totals.saved_bytes);
  }
  rc = 0;

out:
  lk_dedup_free(dedup);
  for (i = 0; i < n; ++i) lk_archive_free(archives[i]);
  return rc;
}
