/*
 * layerkit.h — the stable C ABI of layerkit.
 *
 * layerkit reads container image archives without a container engine:
 * `docker save` tars of every generation, OCI image layouts (directory or
 * tar), skopeo dir: layouts, each optionally compressed as a whole. It parses
 * manifests and configs, streams layers, verifies every digest and finds the
 * layers images share.
 *
 * CONVENTIONS (read these first)
 *
 *  Names.      Every symbol starts with lk_ / LK_. Terms follow the OCI image
 *              spec and Docker: blob, digest ("sha256:" + 64 hex), descriptor,
 *              manifest, index, config, layer, diff_id, chain_id, image ID (the
 *              config digest), reference ("name:tag").
 *  Status.     Every function that can fail returns an lk_status: LK_OK (0) on
 *              success, a negative LK_E* code on failure. Codes are stable:
 *              never renumbered, never reused; new ones are only appended.
 *              LK_DONE (1) is not an error: an iterator is exhausted.
 *  Messages.   After a failure, lk_last_error() returns a message naming what is
 *              wrong (an archive member, a JSON field, a layer) and why. It is
 *              per thread and never NULL. A successful call leaves it as it
 *              was, so read it only right after a failure; it stays valid until
 *              the next failing lk_ call on the same thread.
 *  Handles.    Opaque pointers. A function that creates one takes an out
 *              parameter `lk_x **out`; the caller owns the result and releases
 *              it with the matching lk_x_free(), named in each declaration.
 *              Every lk_x_free(NULL) is a no-op.
 *  Out params. On failure every pointer out parameter is set to NULL (and
 *              counts and lengths to 0), so nothing stale is left behind.
 *  Borrowed.   A `const char *` or `const lk_x *` returned through an out
 *              parameter is borrowed: the caller must not free it; it lives as
 *              long as the handle it came from (stated per function). Strings
 *              are NUL-terminated UTF-8 unless a length is also returned.
 *  Owned text. JSON documents are returned as `char *` that the caller frees
 *              with lk_string_free().
 *  Structs.    Every struct passed to layerkit starts with `size_t size`, which
 *              the caller sets to sizeof the struct it was compiled with (the
 *              inline lk_*_init() functions below do it). Fields may be
 *              appended in later versions; a caller built against an older
 *              header keeps working, because layerkit reads and writes only the
 *              first `size` bytes. A size this library does not know fails with
 *              LK_EINVAL: larger than its sizeof, or not a multiple of
 *              sizeof(size_t) (every version of every struct is one, as each
 *              starts with a size_t).
 *  Arguments.  Pointer arguments must not be NULL unless documented otherwise;
 *              a NULL one fails with LK_EINVAL. A function taking an lk_archive
 *              and an lk_image fails with LK_EINVAL when the image is not one
 *              of that archive's. Using a handle after its free is undefined
 *              behaviour, as in any C library.
 *  Threads.    A handle may be used by one thread at a time. Separate handles
 *              may be used on separate threads concurrently. Long operations may
 *              use worker threads internally; callbacks are then called from
 *              those threads, but never from two threads at once.
 *  Units.      Sizes are bytes (uint64_t or int64_t; -1 means unknown). Times
 *              are Unix seconds.
 *  Untrusted.  Archives are untrusted input: every bad input gets a status code,
 *              never a crash; limits (lk_limits) bound sizes, counts and depths.
 *
 * Sections below, in lifecycle order: version and errors; options; archive
 * (open, query, free); image; layers and their entries; history; verify;
 * dedup; JSON documents; the image store.
 */
#ifndef LAYERKIT_H
#define LAYERKIT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "layerkit/version.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) || defined(__clang__)
#define LK_API __attribute__((visibility("default")))
#else
#define LK_API
#endif

/* ======================================================================== */
/* Version and errors                                                       */
/* ======================================================================== */

/** The library's version, e.g. "0.1.0". Static storage; never NULL.
 *  Compare with LAYERKIT_VERSION_STRING to detect a header/library mismatch. */
LK_API const char *lk_version(void);

/** The library's version as MAJOR * 10000 + MINOR * 100 + PATCH. */
LK_API int lk_version_number(void);

typedef enum lk_status {
  LK_OK = 0,
  LK_DONE = 1,              /* not an error: an iterator has no more items */
  LK_EINVAL = -1,           /* a bad argument: NULL pointer, bad options size, index out of range */
  LK_EIO = -2,              /* the operating system refused a read or a write */
  LK_ENOTFOUND = -3,        /* a path, member, blob or image that must exist is absent */
  LK_EFORMAT = -4,          /* not an archive or layout layerkit knows */
  LK_ETRUNCATED = -5,       /* a tar, compressed stream or member ends early */
  LK_EDIGEST = -6,          /* content does not hash to the digest naming it */
  LK_ESIZE = -7,            /* content length differs from its descriptor's size */
  LK_ECOUNT = -8,           /* layers, diff_ids and history entries disagree */
  LK_ELIMIT = -9,           /* an lk_limits bound was exceeded */
  LK_EUNSUPPORTED = -10,    /* well-formed input using a feature layerkit lacks */
  LK_EINTERNAL = -11,       /* a bug in layerkit */
  LK_ECANCELLED = -12,      /* a progress callback asked to stop */
  LK_EMALFORMED = -13,      /* invalid JSON or tar structure, or a field of the wrong type */
  LK_EBADDIGEST = -14,      /* a digest string violating the OCI digest grammar */
  LK_EUNSAFEPATH = -15,     /* a member path leaving the archive, or a link loop */
  LK_EAMBIGUOUS = -16,      /* a choice (platform, image) matches several candidates */
  LK_ENOMEM = -17           /* out of memory */
} lk_status;

/** The message of the last failure on this thread ("" if none yet). Never
 *  NULL; valid until the next failing lk_ call on this thread (successful
 *  calls do not clear it). */
LK_API const char *lk_last_error(void);

/** A stable lower-case name for a status, e.g. "digest_mismatch". Static; never NULL. */
LK_API const char *lk_status_name(lk_status status);

/** Frees a string returned as `char **` by layerkit. lk_string_free(NULL) is a no-op. */
LK_API void lk_string_free(char *s);

/* ======================================================================== */
/* Options                                                                  */
/* ======================================================================== */

/** Progress of long work: bytes done and bytes expected in total (0 when
 *  unknown). Return 0 to continue, non-zero to stop: the operation then fails
 *  with LK_ECANCELLED and releases everything it allocated. */
typedef int (*lk_progress_fn)(uint64_t done_bytes, uint64_t total_bytes, void *user_data);

/** Bounds on untrusted input. Defaults (lk_open_options_init) in brackets. */
typedef struct lk_limits {
  size_t size;                      /* sizeof(lk_limits) */
  uint64_t manifest_json_bytes;     /* manifest.json [1 MiB] */
  uint64_t json_bytes;              /* any other JSON member [4 MiB] */
  uint32_t json_depth;              /* JSON nesting [64] */
  uint32_t layers_per_image;        /* [1000]; Docker's own limit is 125 */
  uint32_t images_per_archive;      /* [10000] */
  uint32_t index_depth;             /* nested image indexes [8] */
  uint64_t members;                 /* entries of the outer archive [1000000] */
  uint64_t entries_per_layer;       /* tar entries in one layer [10000000] */
  uint64_t layer_bytes;             /* decompressed bytes of one layer [1 TiB] */
  uint32_t compression_ratio;       /* decompressed/compressed [1000] */
  uint32_t symlink_hops;            /* links followed per member path [8] */
  uint64_t buffered_bytes;          /* small members kept from a compressed archive [256 MiB] */
} lk_limits;

typedef struct lk_open_options {
  size_t size;                 /* sizeof(lk_open_options) */
  /* The platform to take from a multi-platform index, "os/arch[/variant]";
   * "all" keeps every manifest; NULL means "linux/amd64". Copied by lk_archive_open. */
  const char *platform;
  /* Non-zero when `platform` was chosen by the user; a default platform falls
   * back to the only manifest present in an index. */
  int platform_explicit;
  lk_limits limits;
  /* Progress of the one pass over a compressed archive (bytes of the file); may be NULL. */
  lk_progress_fn progress;
  void *progress_data;
} lk_open_options;

/** Fills *opts with the defaults and sets opts->size and opts->limits.size.
 *  `size` is sizeof(lk_open_options) as the caller knows it.
 *  Errors: LK_EINVAL (NULL, or a size this library does not know). */
LK_API lk_status lk_open_options_init(lk_open_options *opts, size_t size);

/* ======================================================================== */
/* Archive: open, query, free                                               */
/* ======================================================================== */

typedef struct lk_archive lk_archive;
typedef struct lk_image lk_image;

/** Opens an archive or layout at `path` (a file, a directory, or a named pipe
 *  such as /dev/stdin, which is first copied to an unlinked temporary file in
 *  $TMPDIR, else /tmp), detecting its format from the content. `opts` may be
 *  NULL for the defaults. LK_EINVAL also for a device or other special file.
 *  On success *out is a new archive; free it with lk_archive_free().
 *  Errors: LK_EINVAL, LK_ENOTFOUND, LK_EIO, LK_EFORMAT, LK_ETRUNCATED,
 *  LK_EMALFORMED, LK_EBADDIGEST, LK_EUNSAFEPATH, LK_ELIMIT, LK_EAMBIGUOUS,
 *  LK_ECANCELLED, LK_ENOMEM. Absent blobs are not errors (see lk_image_info.missing_count). */
LK_API lk_status lk_archive_open(const char *path, const lk_open_options *opts, lk_archive **out);

/** Releases an archive and everything borrowed from it. NULL is a no-op. */
LK_API void lk_archive_free(lk_archive *archive);

/** The archive's format: "docker-archive", "oci-layout", "oci-archive",
 *  "docker-dir" or "layer-tar". Borrowed; lives as long as the archive. */
LK_API const char *lk_archive_format(const lk_archive *archive);

/** Number of images (manifest.json entries, or index.json manifests). */
LK_API lk_status lk_archive_image_count(const lk_archive *archive, size_t *count);

/** The index-th image (0-based). *out is borrowed: it lives as long as the archive.
 *  Errors: LK_EINVAL (index out of range). */
LK_API lk_status lk_archive_image(const lk_archive *archive, size_t index, const lk_image **out);

/** Finds an image by reference: a repo tag ("app:1.0", with or without a
 *  "docker.io/" or "localhost/" prefix), an image ID or unique prefix (4+ hex),
 *  a manifest digest, or "@N". *out is borrowed (lives as long as the archive).
 *  Errors: LK_ENOTFOUND, LK_EAMBIGUOUS, LK_EINVAL. */
LK_API lk_status lk_archive_find_image(const lk_archive *archive, const char *ref, const lk_image **out);

/** Warnings found at open (e.g. an index without a manifest for the platform):
 *  *count of them; lk_archive_warning() returns the i-th, borrowed (archive lifetime). */
LK_API lk_status lk_archive_warning_count(const lk_archive *archive, size_t *count);
LK_API lk_status lk_archive_warning(const lk_archive *archive, size_t index, const char **out);

/* ======================================================================== */
/* Image                                                                    */
/* ======================================================================== */

/** Scalar facts about an image. Strings are borrowed (archive lifetime); an
 *  absent value is "" (never NULL). */
typedef struct lk_image_info {
  size_t size;                 /* sizeof(lk_image_info), set by the caller */
  const char *id;              /* image ID = config digest ("" if the config is absent) */
  const char *manifest_digest; /* "" when the archive has no manifest blob (docker-archive) */
  const char *manifest_media_type;
  const char *config_media_type;
  const char *created;         /* RFC 3339 as stored */
  const char *author;
  const char *architecture;
  const char *os;
  const char *os_version;
  const char *variant;
  const char *user;            /* config.User */
  const char *working_dir;     /* config.WorkingDir */
  const char *stop_signal;     /* config.StopSignal */
  const char *artifact_type;   /* non-empty for an OCI artifact (config not an image config) */
  const char *index_path;      /* position in the archive: "0", or "1.0" inside a nested index */
  size_t layer_count;
  size_t history_count;        /* config.history entries */
  size_t missing_count;        /* blobs this image needs that the archive lacks */
  int complete;                /* non-zero when manifest and config are present */
  int legacy_v1;               /* non-zero for a pre-1.10 docker-archive image */
} lk_image_info;

/** Zeroes *v and sets v->size: call before passing a lk_image_info to layerkit. */
static inline void lk_image_info_init(lk_image_info *v) {
  memset(v, 0, sizeof *v);
  v->size = sizeof *v;
}

/** Fills *info (info->size must be set). Errors: LK_EINVAL. */
LK_API lk_status lk_image_get_info(const lk_image *image, lk_image_info *info);

/** String lists of an image, for lk_image_strings(). */
typedef enum lk_string_list {
  LK_LIST_REFERENCES = 0,   /* repo tags / ref names */
  LK_LIST_ENV = 1,          /* config.Env, "NAME=value" */
  LK_LIST_CMD = 2,
  LK_LIST_ENTRYPOINT = 3,
  LK_LIST_EXPOSED_PORTS = 4, /* keys, e.g. "8080/tcp" */
  LK_LIST_VOLUMES = 5,       /* keys */
  LK_LIST_DIFF_IDS = 6,      /* rootfs.diff_ids, bottom first */
  LK_LIST_LABEL_KEYS = 7,    /* config.Labels keys, sorted */
  LK_LIST_LABEL_VALUES = 8,  /* config.Labels values, in LK_LIST_LABEL_KEYS order */
  LK_LIST_HEALTHCHECK = 9    /* config.Healthcheck.Test */
} lk_string_list;

/** *count strings and *items, an array of them; both borrowed (archive lifetime).
 *  An empty list gives *count 0 and a non-NULL *items. Errors: LK_EINVAL (unknown list). */
LK_API lk_status lk_image_strings(const lk_image *image, lk_string_list which, size_t *count,
                                  const char *const **items);

/** The config blob as stored (the image ID is its digest): *data and *length
 *  borrowed (archive lifetime); *length 0 when absent. */
LK_API lk_status lk_image_config_json(const lk_image *image, const char **data, size_t *length);

/** The manifest blob as stored; *length 0 when the archive has none (docker-archive). */
LK_API lk_status lk_image_manifest_json(const lk_image *image, const char **data, size_t *length);

/* ======================================================================== */
/* Layers                                                                   */
/* ======================================================================== */

/** One layer, bottom first. Strings borrowed (lives as long as the iterator). */
typedef struct lk_layer_info {
  size_t size;                 /* sizeof(lk_layer_info), set by the caller */
  size_t index;                /* 0 = bottom layer */
  const char *media_type;
  const char *digest;          /* blob digest ("" when unknown without reading) */
  int64_t blob_bytes;          /* stored (compressed) bytes; -1 unknown */
  const char *diff_id;         /* "" when the config lists fewer diff_ids */
  const char *chain_id;        /* "" when a diff_id below is unknown */
  const char *member;          /* archive member holding the blob */
  const char *compression;     /* "none", "gzip", "zstd", ... ("" unless read) */
  int64_t uncompressed_bytes;  /* tar stream bytes; -1 unless read */
  int64_t content_bytes;       /* Docker's layer size; -1 unless read */
  int present;                 /* the blob is in the archive */
  int foreign;                 /* a foreign layer: blob elsewhere, at urls */
  size_t url_count;            /* foreign layers: lk_layer_iter_url() */
} lk_layer_info;

/** Zeroes *v and sets v->size: call before passing a lk_layer_info to layerkit. */
static inline void lk_layer_info_init(lk_layer_info *v) {
  memset(v, 0, sizeof *v);
  v->size = sizeof *v;
}

typedef struct lk_layer_iter lk_layer_iter;

/** Starts iterating an image's layers. With read_sizes non-zero, each present
 *  layer's tar headers are read first (bodies skipped where the input allows),
 *  filling compression, uncompressed_bytes and content_bytes — and a layer the
 *  archive does not name by digest (a docker-archive with compressed layers)
 *  is read whole so that `digest` is filled too; a layer that cannot be read
 *  leaves them unknown. Free with lk_layer_iter_free().
 *  `archive` must be the archive `image` came from.
 *  Errors: LK_EINVAL, LK_ENOMEM. */
LK_API lk_status lk_image_layers(const lk_archive *archive, const lk_image *image, int read_sizes,
                                 lk_layer_iter **out);

/** Fills *info with the next layer and returns LK_OK, or returns LK_DONE
 *  when there is none left. info->size must be set. */
LK_API lk_status lk_layer_iter_next(lk_layer_iter *iter, lk_layer_info *info);

/** The i-th url of the layer last returned by lk_layer_iter_next(); borrowed (iterator lifetime). */
LK_API lk_status lk_layer_iter_url(const lk_layer_iter *iter, size_t index, const char **out);

/** NULL is a no-op. */
LK_API void lk_layer_iter_free(lk_layer_iter *iter);

/** One tar entry of a layer, as `tar -tv` lists it. Strings borrowed
 *  (iterator lifetime). */
typedef struct lk_entry {
  size_t size;                 /* sizeof(lk_entry), set by the caller */
  const char *path;            /* as stored, without a leading "./" or "/" */
  int type;                    /* '-' file, 'd' dir, 'l' symlink, 'h' hard link, 'c' char device,
                                  'b' block device, 'p' FIFO, 's' socket, '?' other */
  uint32_t mode;               /* permission bits with setuid/setgid/sticky (07777) */
  int64_t uid;
  int64_t gid;
  const char *uname;           /* "" when the tar header has none */
  const char *gname;
  uint64_t bytes;              /* a regular file's size (logical size if sparse) */
  int64_t mtime;               /* Unix seconds */
  const char *link;            /* symlink target, or hard link target path; "" otherwise */
  uint32_t dev_major;          /* device nodes */
  uint32_t dev_minor;
  int sparse;                  /* a sparse file */
  int whiteout;                /* ".wh.<name>": deletes <name> from lower layers (OCI layer.md) */
  int opaque;                  /* ".wh..wh..opq": hides the directory's lower contents */
  size_t xattr_count;          /* extended attributes: lk_entry_iter_xattr() */
} lk_entry;

/** Zeroes *v and sets v->size: call before passing an lk_entry to layerkit. */
static inline void lk_entry_init(lk_entry *v) {
  memset(v, 0, sizeof *v);
  v->size = sizeof *v;
}

typedef struct lk_entry_iter lk_entry_iter;

/** Lists the tar entries of layer `layer_index` (0 = bottom) of `image`, or of
 *  a layer-tar archive's one loose layer when `image` is NULL. Reads the layer's
 *  tar headers now (bodies skipped by seeking where the input allows). Free
 *  with lk_entry_iter_free(). Errors: LK_EINVAL (index out of range, no loose
 *  layer), LK_ENOTFOUND (the layer is absent or foreign), LK_EIO,
 *  LK_ETRUNCATED, LK_ELIMIT, LK_EUNSUPPORTED (a large layer of a compressed,
 *  read-once archive), LK_ENOMEM. A layer that is not a complete tar lists
 *  the entries before the damage; lk_entry_iter_tar_problem() says why. */
LK_API lk_status lk_layer_entries(const lk_archive *archive, const lk_image *image, size_t layer_index,
                                  lk_entry_iter **out);
/** Fills *entry with the next entry and returns LK_OK, or returns LK_DONE. */
LK_API lk_status lk_entry_iter_next(lk_entry_iter *iter, lk_entry *entry);
/** The i-th extended attribute of the entry last returned: *name (NUL-terminated)
 *  and *value / *length (raw bytes); borrowed (iterator lifetime). */
LK_API lk_status lk_entry_iter_xattr(const lk_entry_iter *iter, size_t index, const char **name,
                                     const void **value, size_t *length);
/** "" when the layer is a complete tar, else why not; borrowed (iterator lifetime). */
LK_API const char *lk_entry_iter_tar_problem(const lk_entry_iter *iter);
/** LK_OK when the layer is a complete tar, else what `layerkit ls` fails with:
 *  LK_ETRUNCATED (it ends early; for a lone layer tar, image NULL, also when
 *  it has no end-of-archive marker, which an image's digests would otherwise
 *  vouch for), LK_ELIMIT (a header beyond libarchive's bounds, a zstd window
 *  too large) or LK_EMALFORMED. LK_EINVAL for NULL. */
LK_API lk_status lk_entry_iter_status(const lk_entry_iter *iter);
/** NULL is a no-op. */
LK_API void lk_entry_iter_free(lk_entry_iter *iter);

/* ======================================================================== */
/* History                                                                  */
/* ======================================================================== */

/* lk_history_row.match: how a history entry and a layer line up. */
#define LK_MATCH_OK 0                    /* an entry and its layer (or an empty_layer entry) */
#define LK_MATCH_NO_LAYER 1              /* a non-empty history entry without a layer left */
#define LK_MATCH_NO_HISTORY 2            /* a layer without a history entry left */

/** One `docker history` row, newest first. Strings borrowed (history lifetime). */
typedef struct lk_history_row {
  size_t size;                 /* sizeof(lk_history_row), set by the caller */
  const char *id;              /* the image ID on the newest row, "<missing>" below */
  const char *created;         /* as stored (RFC 3339); may be "" */
  int64_t created_unix;        /* Unix seconds; INT64_MIN when unset or unparsable */
  const char *created_by;      /* as stored (tabs kept) */
  const char *comment;
  int empty_layer;             /* the entry made no layer */
  int match;                   /* LK_MATCH_OK, LK_MATCH_NO_LAYER or LK_MATCH_NO_HISTORY */
  int64_t content_bytes;       /* docker's SIZE; 0 for empty_layer rows, -1 if unreadable */
  int64_t layer_index;         /* the row's layer, or -1 */
  const char *diff_id;         /* "" when no layer */
  const char *digest;          /* blob digest, "" when no layer */
  const char *chain_id;
  int64_t compressed_bytes;    /* -1 unknown */
  int64_t uncompressed_bytes;  /* -1 unknown */
} lk_history_row;

/** Zeroes *v and sets v->size: call before passing a lk_history_row to layerkit. */
static inline void lk_history_row_init(lk_history_row *v) {
  memset(v, 0, sizeof *v);
  v->size = sizeof *v;
}

typedef struct lk_history lk_history;

/** Computes an image's history rows (reads each layer's tar headers once).
 *  With layer_details non-zero, layers whose blob digest the archive does not
 *  declare are read whole to fill it. Free with lk_history_free().
 *  Errors: LK_EINVAL, LK_ECANCELLED (progress returned non-zero), LK_ENOMEM. */
LK_API lk_status lk_image_history(const lk_archive *archive, const lk_image *image, int layer_details,
                                  lk_progress_fn progress, void *progress_data, lk_history **out);
LK_API lk_status lk_history_count(const lk_history *history, size_t *count);
/** Fills *row with the index-th row (row->size must be set). Errors: LK_EINVAL. */
LK_API lk_status lk_history_row_get(const lk_history *history, size_t index, lk_history_row *row);
/** `docker history --format json` rows (see layerkit/report.hpp); CreatedSince
 *  ("N units ago") is relative to the current time. *json owned: lk_string_free(). */
LK_API lk_status lk_history_json(const lk_history *history, int layers, char **json);
/** NULL is a no-op. */
LK_API void lk_history_free(lk_history *history);

/* ======================================================================== */
/* Verify                                                                   */
/* ======================================================================== */

typedef struct lk_verify_options {
  size_t size;                /* sizeof(lk_verify_options) */
  const char *image;          /* only this image (lk_archive_find_image syntax); NULL or "" = all */
  unsigned threads;           /* worker threads; 0 = hardware threads */
  lk_progress_fn progress;    /* per layer bytes read: (done, total over all layers); may be NULL */
  void *progress_data;
} lk_verify_options;

/** Zeroes *v and sets v->size: call before passing a lk_verify_options to layerkit. */
static inline void lk_verify_options_init(lk_verify_options *v) {
  memset(v, 0, sizeof *v);
  v->size = sizeof *v;
}

/** One mismatch. Strings borrowed (report lifetime). */
typedef struct lk_problem {
  size_t size;                /* sizeof(lk_problem), set by the caller */
  const char *image;          /* reference or short image ID */
  int64_t layer;              /* layer index, or -1 */
  const char *member;         /* archive member */
  const char *kind;           /* "blob_digest", "diff_id", "size", "config_digest",
                                 "manifest_digest", "count", "missing", "unreadable", "unverifiable",
                                 "tar" (a lone layer tar that is not complete); see
                                 layerkit/verify.hpp */
  const char *expected;
  const char *actual;
  const char *message;        /* all of the above in one line */
} lk_problem;

/** Zeroes *v and sets v->size: call before passing a lk_problem to layerkit. */
static inline void lk_problem_init(lk_problem *v) {
  memset(v, 0, sizeof *v);
  v->size = sizeof *v;
}

typedef struct lk_verify_report lk_verify_report;

/** Verifies the archive (see layerkit/verify.hpp): each layer blob read once,
 *  both digests, every size and count; every mismatch reported. `opts` may be
 *  NULL. Mismatches are NOT errors: the call returns LK_OK and the report says
 *  what is wrong. Free with lk_verify_report_free().
 *  Errors: LK_EINVAL, LK_ENOTFOUND / LK_EAMBIGUOUS (opts->image), LK_ECANCELLED, LK_ENOMEM. */
LK_API lk_status lk_verify(const lk_archive *archive, const lk_verify_options *opts, lk_verify_report **out);
/** Non-zero when nothing is wrong. */
LK_API int lk_verify_report_ok(const lk_verify_report *report);
LK_API lk_status lk_verify_report_problem_count(const lk_verify_report *report, size_t *count);
/** Fills *problem (problem->size must be set). Errors: LK_EINVAL. */
LK_API lk_status lk_verify_report_problem(const lk_verify_report *report, size_t index, lk_problem *problem);
/** The whole report as JSON {OK, Images, Problems, Notes}; *json owned: lk_string_free(). */
LK_API lk_status lk_verify_report_json(const lk_verify_report *report, char **json);
/** NULL is a no-op. */
LK_API void lk_verify_report_free(lk_verify_report *report);

/* ======================================================================== */
/* Dedup                                                                    */
/* ======================================================================== */

typedef struct lk_dedup lk_dedup;

/** A new, empty comparison. Free with lk_dedup_free(). Errors: LK_ENOMEM. */
LK_API lk_status lk_dedup_new(lk_dedup **out);
/** Adds an image under the name `ref` (copied). The archive is borrowed: it
 *  must outlive the lk_dedup. Errors: LK_EINVAL. */
LK_API lk_status lk_dedup_add(lk_dedup *dedup, const lk_archive *archive, const lk_image *image, const char *ref);
/** Compares the images added so far (each distinct layer read once, tar headers
 *  only). Progress is over the stored bytes of every layer read, across all
 *  archives. Errors: LK_EINVAL, LK_ECANCELLED, LK_ENOMEM. */
LK_API lk_status lk_dedup_run(lk_dedup *dedup, unsigned threads, lk_progress_fn progress, void *progress_data);

typedef struct lk_dedup_totals {
  size_t size;                /* sizeof(lk_dedup_totals), set by the caller */
  uint64_t total_bytes;       /* summed per image */
  uint64_t unique_bytes;      /* each distinct layer once */
  uint64_t saved_bytes;       /* total - unique */
  size_t image_count;
  size_t layer_count;         /* distinct layers by chain_id */
} lk_dedup_totals;

typedef struct lk_dedup_image {
  size_t size;                /* sizeof(lk_dedup_image), set by the caller */
  const char *ref;
  const char *id;
  uint64_t bytes, shared_bytes, unique_bytes;
  size_t layer_count;
} lk_dedup_image;

typedef struct lk_dedup_layer {
  size_t size;                /* sizeof(lk_dedup_layer), set by the caller */
  const char *diff_id;
  const char *chain_id;
  uint64_t bytes;             /* Docker's layer size */
  size_t image_count;         /* images that have it: lk_dedup_layer_image() */
} lk_dedup_layer;

/** Zero the struct and set its size: call before passing one to layerkit. */
static inline void lk_dedup_totals_init(lk_dedup_totals *v) {
  memset(v, 0, sizeof *v);
  v->size = sizeof *v;
}
static inline void lk_dedup_image_init(lk_dedup_image *v) {
  memset(v, 0, sizeof *v);
  v->size = sizeof *v;
}
static inline void lk_dedup_layer_init(lk_dedup_layer *v) {
  memset(v, 0, sizeof *v);
  v->size = sizeof *v;
}

/** Results of the last lk_dedup_run(); strings borrowed (until the next run or free).
 *  Errors: LK_EINVAL (not run yet, index out of range). */
LK_API lk_status lk_dedup_get_totals(const lk_dedup *dedup, lk_dedup_totals *totals);
LK_API lk_status lk_dedup_get_image(const lk_dedup *dedup, size_t index, lk_dedup_image *image);
LK_API lk_status lk_dedup_get_layer(const lk_dedup *dedup, size_t index, lk_dedup_layer *layer);
LK_API lk_status lk_dedup_layer_image(const lk_dedup *dedup, size_t layer, size_t index, const char **ref);
/** {Images, Layers, DiffIDs, TotalSize, UniqueSize, SavedSize, Notes}; *json owned: lk_string_free(). */
LK_API lk_status lk_dedup_json(const lk_dedup *dedup, char **json);
/** NULL is a no-op. */
LK_API void lk_dedup_free(lk_dedup *dedup);

/* ======================================================================== */
/* JSON documents                                                           */
/* ======================================================================== */

/** `docker image inspect` for one image (`image` non-NULL) or every image of
 *  the archive (`image` NULL), as a JSON array (see layerkit/report.hpp).
 *  Reads each layer's tar headers. *json owned: lk_string_free().
 *  Errors: LK_EINVAL, LK_ENOMEM. */
LK_API lk_status lk_inspect_json(const lk_archive *archive, const lk_image *image, char **json);

/* ======================================================================== */
/* Store: a content-addressable image store (an OCI image layout directory)  */
/* ======================================================================== */
/*
 * The store keeps images as an OCI image layout (oci-layout, index.json,
 * blobs/sha256/...) that every peer tool reads, writing only the blobs it
 * lacks and verifying each while copying. Writes are atomic (temp file, fsync,
 * rename, fsync of the directory); concurrent loads are serialised by a lock.
 * See layerkit/store.hpp for the full semantics. Reports come as JSON (owned:
 * lk_string_free), with the keys of the CLI's `layerkit store ... --json`.
 */

typedef struct lk_store lk_store;

/** Opens the store in directory `dir`. With `create` non-zero an absent or
 *  empty directory is accepted: it is initialised (oci-layout, index.json) by
 *  the first load that commits (a failed load leaves at most .layerkit/), and
 *  until then reads, lk_store_remove, lk_store_gc and lk_store_verify see an
 *  empty store. Free with
 *  lk_store_free().
 *  Errors: LK_EINVAL, LK_ENOTFOUND (absent and create == 0), LK_EIO (cannot
 *  read or write, e.g. a read-only store), LK_EFORMAT (not a store or layout),
 *  LK_EMALFORMED (a damaged index.json), LK_ENOMEM. */
LK_API lk_status lk_store_open(const char *dir, int create, lk_store **out);
/** NULL is a no-op. */
LK_API void lk_store_free(lk_store *store);
/** The default store directory: $XDG_DATA_HOME/layerkit/store, else
 *  ~/.local/share/layerkit/store. *path owned: lk_string_free(). */
LK_API lk_status lk_store_default_path(char **path);
/** The store's directory; borrowed (store lifetime). "" for NULL. */
LK_API const char *lk_store_path(const lk_store *store);
/** *present = 1 when the store holds the blob named by `digest`.
 *  Errors: LK_EINVAL, LK_EBADDIGEST. */
LK_API lk_status lk_store_has_blob(const lk_store *store, const char *digest, int *present);

/* lk_store_event.kind */
#define LK_STORE_EVENT_LOADING_LAYER 0   /* "Loading layer": the store lacked it */
#define LK_STORE_EVENT_LAYER_EXISTS 1    /* "Already exists" */
#define LK_STORE_EVENT_IMAGE_LOADED 2    /* "Loaded image" */

/** What load reports as it goes, like `docker load`. Strings borrowed for the
 *  duration of the callback. */
typedef struct lk_store_event {
  size_t size;                 /* sizeof(lk_store_event) */
  int kind;                    /* LK_STORE_EVENT_LOADING_LAYER, _LAYER_EXISTS or _IMAGE_LOADED */
  const char *image;           /* the image's first reference, or its short ID */
  size_t layer;                /* layer index (kinds 0 and 1) */
  const char *diff_id;         /* kinds 0 and 1 */
  const char *digest;          /* blob digest (kinds 0, 1); manifest digest (kind 2) */
  uint64_t bytes;              /* blob bytes (kinds 0, 1) */
  const char *id;              /* image ID (kind 2) */
} lk_store_event;

typedef void (*lk_store_event_fn)(const lk_store_event *event, void *user_data);

typedef struct lk_store_load_options {
  size_t size;                 /* sizeof(lk_store_load_options) */
  const char *image;           /* only this image of the archive; NULL = all */
  const lk_open_options *open; /* how to open the archive; NULL = defaults */
  lk_progress_fn progress;     /* over the archive bytes read; may be NULL */
  void *progress_data;
  lk_store_event_fn on_event;  /* may be NULL; called on the calling thread */
  void *event_data;
} lk_store_load_options;

/** Zeroes *v and sets v->size: call before passing it to layerkit. */
static inline void lk_store_load_options_init(lk_store_load_options *v) {
  memset(v, 0, sizeof *v);
  v->size = sizeof *v;
}

/** Loads every image of the archive at `archive` (or opts->image) into the
 *  store, writing only the blobs it lacks and verifying each digest while
 *  copying: a blob that does not match never enters the store. Nothing is
 *  committed unless every image verifies. `opts` and `report_json` may be
 *  NULL; *report_json is {Images: [{Ref, Id, References, Layers: [...]}], ...}.
 *  Errors: the lk_archive_open() errors, LK_ENOTFOUND (a blob absent from
 *  the archive that the store lacks too; opts->image matching nothing),
 *  LK_EDIGEST, LK_ESIZE, LK_ECOUNT, LK_EIO (cannot write), LK_ECANCELLED,
 *  LK_ENOMEM. */
LK_API lk_status lk_store_load(lk_store *store, const char *archive, const lk_store_load_options *opts,
                               char **report_json);

/** One layer of a pull plan, bottom first. Strings borrowed (plan lifetime). */
typedef struct lk_plan_layer {
  size_t size;                 /* sizeof(lk_plan_layer) */
  size_t index;
  const char *diff_id;
  const char *digest;          /* blob digest */
  const char *chain_id;
  int64_t bytes;               /* blob bytes a pull transfers */
  int exists_by_chain_id;      /* Docker's rule: "Already exists" */
  int exists_by_digest;        /* containerd's rule */
} lk_plan_layer;

/** Zeroes *v and sets v->size. */
static inline void lk_plan_layer_init(lk_plan_layer *v) {
  memset(v, 0, sizeof *v);
  v->size = sizeof *v;
}

typedef struct lk_plan lk_plan;

/** An offline `docker pull`: which layers of `image` (of `archive`) the store
 *  already has. Free with lk_plan_free(). Errors: LK_EINVAL, LK_EIO, LK_ENOMEM. */
LK_API lk_status lk_store_plan(const lk_store *store, const lk_archive *archive, const lk_image *image, lk_plan **out);
/** Layer count and the byte totals: present (by chain_id) and to transfer. */
LK_API lk_status lk_plan_totals(const lk_plan *plan, size_t *layers, uint64_t *present_bytes, uint64_t *transfer_bytes);
/** Fills *layer (layer->size must be set). Errors: LK_EINVAL. */
LK_API lk_status lk_plan_layer_get(const lk_plan *plan, size_t index, lk_plan_layer *layer);
/** {Image, Id, Layers: [{Index, DiffID, Digest, ChainID, Size, Status, ExistsByChainID,
 *  ExistsByDigest}], PresentBytes, TransferBytes, WriteBlobs, WriteBytes}: WriteBlobs and
 *  WriteBytes count the layer blobs (and their bytes) a load of this archive would write,
 *  those the store lacks by digest; *json owned: lk_string_free(). */
LK_API lk_status lk_plan_json(const lk_plan *plan, char **json);
/** NULL is a no-op. */
LK_API void lk_plan_free(lk_plan *plan);

typedef enum lk_save_format {
  LK_SAVE_DOCKER_ARCHIVE = 0,  /* manifest.json + repositories + OCI layout blobs (Docker <= 24 and 25+ load it) */
  LK_SAVE_OCI_ARCHIVE = 1,     /* an OCI image layout as a tar */
  LK_SAVE_OCI_LAYOUT = 2       /* an OCI image layout directory */
} lk_save_format;

typedef struct lk_store_save_options {
  size_t size;                 /* sizeof(lk_store_save_options) */
  int format;                  /* an lk_save_format */
  const char *missing_from;    /* NULL, or a store/layout/archive: write only the layers it lacks */
  lk_progress_fn progress;     /* over the blob bytes written; may be NULL */
  void *progress_data;
} lk_store_save_options;

/** Zeroes *v and sets v->size (format LK_SAVE_DOCKER_ARCHIVE). */
static inline void lk_store_save_options_init(lk_store_save_options *v) {
  memset(v, 0, sizeof *v);
  v->size = sizeof *v;
}

/** Writes the images named by `refs` (ref_count of them) to `output` ("-" =
 *  standard output), re-hashing every blob; nothing is left at `output` when
 *  a blob is corrupt. `opts` and `report_json` may be NULL.
 *  Errors: LK_EINVAL, LK_ENOTFOUND (a ref), LK_EDIGEST, LK_EIO, LK_ECANCELLED, LK_ENOMEM. */
LK_API lk_status lk_store_save(const lk_store *store, const char *const *refs, size_t ref_count, const char *output,
                               const lk_store_save_options *opts, char **report_json);
/** Every image of the store, as `layerkit store ls --json`; *json owned. */
LK_API lk_status lk_store_images_json(const lk_store *store, char **json);
/** Removes references (blobs stay until lk_store_gc). *report_json may be NULL.
 *  Errors: LK_EINVAL, LK_ENOTFOUND, LK_EIO. */
LK_API lk_status lk_store_remove(lk_store *store, const char *const *refs, size_t ref_count, char **report_json);
/** Removes unreferenced blobs and leftovers (mark and sweep); dry_run non-zero
 *  only reports. *report_json may be NULL. Errors: LK_EINVAL, LK_EIO. */
LK_API lk_status lk_store_gc(lk_store *store, int dry_run, char **report_json);
/** Like `docker system df -v`: per image its size, shared and unique size; *json owned. */
LK_API lk_status lk_store_df_json(const lk_store *store, char **json);
/** Re-hashes every blob and checks every reference: *ok = 1 when consistent;
 *  *report_json (may be NULL) lists problems, leftovers and notes.
 *  Errors: LK_EINVAL, LK_EIO, LK_ECANCELLED, LK_ENOMEM. */
LK_API lk_status lk_store_verify(const lk_store *store, unsigned threads, lk_progress_fn progress, void *progress_data,
                                 int *ok, char **report_json);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* LAYERKIT_H */
