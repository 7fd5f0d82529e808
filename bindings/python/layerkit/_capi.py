"""The C ABI of layerkit (include/layerkit/layerkit.h), declared for ctypes.

This module only loads the shared library and declares it: the ctypes mirrors
of every public struct, the constants, and ONE table (``PROTOTYPES``) holding
the restype and argtypes of every exported function. The Pythonic API lives in
``layerkit.archive``; nothing here allocates or frees anything.

Library lookup, first hit wins:

1. a ``liblayerkit.so*`` (or ``liblayerkit*.dylib``) file beside this package;
2. the path in ``$LAYERKIT_LIBRARY`` (an error if set but not loadable);
3. ``ctypes.util.find_library("layerkit")``, then ``liblayerkit.so.0`` (the
   installed library, through the dynamic loader's search path).

The loaded library's ``lk_version_number()`` must have the major version this
binding supports (``SUPPORTED_MAJOR``) and be at least ``MIN_VERSION``;
otherwise importing ``layerkit`` raises ImportError.
"""
import ctypes
import ctypes.util
import enum
import glob
import os
from ctypes import (CFUNCTYPE, POINTER, Structure, c_char_p, c_int, c_int64, c_size_t, c_uint, c_uint32, c_uint64,
                    c_void_p)

SUPPORTED_MAJOR = 0          # lk_version_number() // 10000 this binding speaks
MIN_VERSION = 1 * 100 + 0    # 0.1.0: the first version with every function below


# ---------------------------------------------------------------------------
# Constants


class Status(enum.IntEnum):
    """lk_status: 0 success, 1 an exhausted iterator, negative codes failures."""
    OK = 0
    DONE = 1
    EINVAL = -1
    EIO = -2
    ENOTFOUND = -3
    EFORMAT = -4
    ETRUNCATED = -5
    EDIGEST = -6
    ESIZE = -7
    ECOUNT = -8
    ELIMIT = -9
    EUNSUPPORTED = -10
    EINTERNAL = -11
    ECANCELLED = -12
    EMALFORMED = -13
    EBADDIGEST = -14
    EUNSAFEPATH = -15
    EAMBIGUOUS = -16
    ENOMEM = -17


class StringList(enum.IntEnum):
    """lk_string_list: the string lists of an image (lk_image_strings)."""
    REFERENCES = 0
    ENV = 1
    CMD = 2
    ENTRYPOINT = 3
    EXPOSED_PORTS = 4
    VOLUMES = 5
    DIFF_IDS = 6
    LABEL_KEYS = 7
    LABEL_VALUES = 8
    HEALTHCHECK = 9


INT64_MIN = -(1 << 63)

# ---------------------------------------------------------------------------
# Opaque handles (never dereferenced from Python)


class lk_archive(Structure):
    pass


class lk_image(Structure):
    pass


class lk_layer_iter(Structure):
    pass


class lk_entry_iter(Structure):
    pass


class lk_history(Structure):
    pass


class lk_store(Structure):
    pass


class lk_plan(Structure):
    pass


class lk_verify_report(Structure):
    pass


class lk_dedup(Structure):
    pass


archive_p = POINTER(lk_archive)
image_p = POINTER(lk_image)
layer_iter_p = POINTER(lk_layer_iter)
entry_iter_p = POINTER(lk_entry_iter)
history_p = POINTER(lk_history)
store_p = POINTER(lk_store)
plan_p = POINTER(lk_plan)
verify_report_p = POINTER(lk_verify_report)
dedup_p = POINTER(lk_dedup)

# typedef int (*lk_progress_fn)(uint64_t done_bytes, uint64_t total_bytes, void *user_data);
lk_progress_fn = CFUNCTYPE(c_int, c_uint64, c_uint64, c_void_p)
NULL_PROGRESS = lk_progress_fn()  # a NULL function pointer

# ---------------------------------------------------------------------------
# Structs, field for field as in layerkit.h. Borrowed strings are c_char_p
# (ctypes copies them into bytes on read).


class lk_limits(Structure):
    _fields_ = [
        ("size", c_size_t),
        ("manifest_json_bytes", c_uint64),
        ("json_bytes", c_uint64),
        ("json_depth", c_uint32),
        ("layers_per_image", c_uint32),
        ("images_per_archive", c_uint32),
        ("index_depth", c_uint32),
        ("members", c_uint64),
        ("entries_per_layer", c_uint64),
        ("layer_bytes", c_uint64),
        ("compression_ratio", c_uint32),
        ("symlink_hops", c_uint32),
        ("buffered_bytes", c_uint64),
    ]


class lk_open_options(Structure):
    _fields_ = [
        ("size", c_size_t),
        ("platform", c_char_p),
        ("platform_explicit", c_int),
        ("limits", lk_limits),
        ("progress", lk_progress_fn),
        ("progress_data", c_void_p),
    ]


class lk_image_info(Structure):
    _fields_ = [
        ("size", c_size_t),
        ("id", c_char_p),
        ("manifest_digest", c_char_p),
        ("manifest_media_type", c_char_p),
        ("config_media_type", c_char_p),
        ("created", c_char_p),
        ("author", c_char_p),
        ("architecture", c_char_p),
        ("os", c_char_p),
        ("os_version", c_char_p),
        ("variant", c_char_p),
        ("user", c_char_p),
        ("working_dir", c_char_p),
        ("stop_signal", c_char_p),
        ("artifact_type", c_char_p),
        ("index_path", c_char_p),
        ("layer_count", c_size_t),
        ("history_count", c_size_t),
        ("missing_count", c_size_t),
        ("complete", c_int),
        ("legacy_v1", c_int),
    ]


class lk_layer_info(Structure):
    _fields_ = [
        ("size", c_size_t),
        ("index", c_size_t),
        ("media_type", c_char_p),
        ("digest", c_char_p),
        ("blob_bytes", c_int64),
        ("diff_id", c_char_p),
        ("chain_id", c_char_p),
        ("member", c_char_p),
        ("compression", c_char_p),
        ("uncompressed_bytes", c_int64),
        ("content_bytes", c_int64),
        ("present", c_int),
        ("foreign", c_int),
        ("url_count", c_size_t),
    ]


class lk_entry(Structure):
    _fields_ = [
        ("size", c_size_t),
        ("path", c_char_p),
        ("type", c_int),
        ("mode", c_uint32),
        ("uid", c_int64),
        ("gid", c_int64),
        ("uname", c_char_p),
        ("gname", c_char_p),
        ("bytes", c_uint64),
        ("mtime", c_int64),
        ("link", c_char_p),
        ("dev_major", c_uint32),
        ("dev_minor", c_uint32),
        ("sparse", c_int),
        ("whiteout", c_int),
        ("opaque", c_int),
        ("xattr_count", c_size_t),
    ]


class lk_history_row(Structure):
    _fields_ = [
        ("size", c_size_t),
        ("id", c_char_p),
        ("created", c_char_p),
        ("created_unix", c_int64),
        ("created_by", c_char_p),
        ("comment", c_char_p),
        ("empty_layer", c_int),
        ("match", c_int),
        ("content_bytes", c_int64),
        ("layer_index", c_int64),
        ("diff_id", c_char_p),
        ("digest", c_char_p),
        ("chain_id", c_char_p),
        ("compressed_bytes", c_int64),
        ("uncompressed_bytes", c_int64),
    ]


class lk_verify_options(Structure):
    _fields_ = [
        ("size", c_size_t),
        ("image", c_char_p),
        ("threads", c_uint),
        ("progress", lk_progress_fn),
        ("progress_data", c_void_p),
    ]


class lk_problem(Structure):
    _fields_ = [
        ("size", c_size_t),
        ("image", c_char_p),
        ("layer", c_int64),
        ("member", c_char_p),
        ("kind", c_char_p),
        ("expected", c_char_p),
        ("actual", c_char_p),
        ("message", c_char_p),
    ]


class lk_dedup_totals(Structure):
    _fields_ = [
        ("size", c_size_t),
        ("total_bytes", c_uint64),
        ("unique_bytes", c_uint64),
        ("saved_bytes", c_uint64),
        ("image_count", c_size_t),
        ("layer_count", c_size_t),
    ]


class lk_dedup_image(Structure):
    _fields_ = [
        ("size", c_size_t),
        ("ref", c_char_p),
        ("id", c_char_p),
        ("bytes", c_uint64),
        ("shared_bytes", c_uint64),
        ("unique_bytes", c_uint64),
        ("layer_count", c_size_t),
    ]


class lk_dedup_layer(Structure):
    _fields_ = [
        ("size", c_size_t),
        ("diff_id", c_char_p),
        ("chain_id", c_char_p),
        ("bytes", c_uint64),
        ("image_count", c_size_t),
    ]


class lk_store_event(Structure):
    _fields_ = [
        ("size", c_size_t),
        ("kind", c_int),
        ("image", c_char_p),
        ("layer", c_size_t),
        ("diff_id", c_char_p),
        ("digest", c_char_p),
        ("bytes", c_uint64),
        ("id", c_char_p),
    ]


# typedef void (*lk_store_event_fn)(const lk_store_event *event, void *user_data);
lk_store_event_fn = CFUNCTYPE(None, POINTER(lk_store_event), c_void_p)


class lk_store_load_options(Structure):
    _fields_ = [
        ("size", c_size_t),
        ("image", c_char_p),
        ("open", POINTER(lk_open_options)),
        ("progress", lk_progress_fn),
        ("progress_data", c_void_p),
        ("on_event", lk_store_event_fn),
        ("event_data", c_void_p),
    ]


class lk_plan_layer(Structure):
    _fields_ = [
        ("size", c_size_t),
        ("index", c_size_t),
        ("diff_id", c_char_p),
        ("digest", c_char_p),
        ("chain_id", c_char_p),
        ("bytes", c_int64),
        ("exists_by_chain_id", c_int),
        ("exists_by_digest", c_int),
    ]


class lk_store_save_options(Structure):
    _fields_ = [
        ("size", c_size_t),
        ("format", c_int),
        ("missing_from", c_char_p),
        ("progress", lk_progress_fn),
        ("progress_data", c_void_p),
    ]


STRUCTS = (lk_limits, lk_open_options, lk_image_info, lk_layer_info, lk_entry, lk_history_row, lk_verify_options,
           lk_problem, lk_dedup_totals, lk_dedup_image, lk_dedup_layer, lk_store_event, lk_store_load_options,
           lk_plan_layer, lk_store_save_options)


def new(struct_type):
    """A zeroed struct with `size` set: the header's static inline lk_*_init()."""
    v = struct_type()
    v.size = ctypes.sizeof(struct_type)
    return v


# ---------------------------------------------------------------------------
# THE prototype table: every function layerkit.h exports, in header order.
# lk_status is an int. Owned `char *` out parameters (JSON, freed with
# lk_string_free) are POINTER(c_void_p) so the address survives for the free;
# ptr+length out parameters likewise; borrowed NUL-terminated strings are
# c_char_p.

_st = c_int
PROTOTYPES = (
    # version and errors
    ("lk_version", c_char_p, ()),
    ("lk_version_number", c_int, ()),
    ("lk_last_error", c_char_p, ()),
    ("lk_status_name", c_char_p, (c_int,)),
    ("lk_string_free", None, (c_void_p,)),
    # options
    ("lk_open_options_init", _st, (POINTER(lk_open_options), c_size_t)),
    # archive
    ("lk_archive_open", _st, (c_char_p, POINTER(lk_open_options), POINTER(archive_p))),
    ("lk_archive_free", None, (archive_p,)),
    ("lk_archive_format", c_char_p, (archive_p,)),
    ("lk_archive_image_count", _st, (archive_p, POINTER(c_size_t))),
    ("lk_archive_image", _st, (archive_p, c_size_t, POINTER(image_p))),
    ("lk_archive_find_image", _st, (archive_p, c_char_p, POINTER(image_p))),
    ("lk_archive_warning_count", _st, (archive_p, POINTER(c_size_t))),
    ("lk_archive_warning", _st, (archive_p, c_size_t, POINTER(c_char_p))),
    # image
    ("lk_image_get_info", _st, (image_p, POINTER(lk_image_info))),
    ("lk_image_strings", _st, (image_p, c_int, POINTER(c_size_t), POINTER(POINTER(c_char_p)))),
    ("lk_image_config_json", _st, (image_p, POINTER(c_void_p), POINTER(c_size_t))),
    ("lk_image_manifest_json", _st, (image_p, POINTER(c_void_p), POINTER(c_size_t))),
    # layers
    ("lk_image_layers", _st, (archive_p, image_p, c_int, POINTER(layer_iter_p))),
    ("lk_layer_iter_next", _st, (layer_iter_p, POINTER(lk_layer_info))),
    ("lk_layer_iter_url", _st, (layer_iter_p, c_size_t, POINTER(c_char_p))),
    ("lk_layer_iter_free", None, (layer_iter_p,)),
    ("lk_layer_entries", _st, (archive_p, image_p, c_size_t, POINTER(entry_iter_p))),
    ("lk_entry_iter_next", _st, (entry_iter_p, POINTER(lk_entry))),
    ("lk_entry_iter_xattr", _st, (entry_iter_p, c_size_t, POINTER(c_char_p), POINTER(c_void_p),
                                  POINTER(c_size_t))),
    ("lk_entry_iter_tar_problem", c_char_p, (entry_iter_p,)),
    ("lk_entry_iter_status", _st, (entry_iter_p,)),
    ("lk_entry_iter_free", None, (entry_iter_p,)),
    # history
    ("lk_image_history", _st, (archive_p, image_p, c_int, lk_progress_fn, c_void_p, POINTER(history_p))),
    ("lk_history_count", _st, (history_p, POINTER(c_size_t))),
    ("lk_history_row_get", _st, (history_p, c_size_t, POINTER(lk_history_row))),
    ("lk_history_json", _st, (history_p, c_int, POINTER(c_void_p))),
    ("lk_history_free", None, (history_p,)),
    # verify
    ("lk_verify", _st, (archive_p, POINTER(lk_verify_options), POINTER(verify_report_p))),
    ("lk_verify_report_ok", c_int, (verify_report_p,)),
    ("lk_verify_report_problem_count", _st, (verify_report_p, POINTER(c_size_t))),
    ("lk_verify_report_problem", _st, (verify_report_p, c_size_t, POINTER(lk_problem))),
    ("lk_verify_report_json", _st, (verify_report_p, POINTER(c_void_p))),
    ("lk_verify_report_free", None, (verify_report_p,)),
    # dedup
    ("lk_dedup_new", _st, (POINTER(dedup_p),)),
    ("lk_dedup_add", _st, (dedup_p, archive_p, image_p, c_char_p)),
    ("lk_dedup_run", _st, (dedup_p, c_uint, lk_progress_fn, c_void_p)),
    ("lk_dedup_get_totals", _st, (dedup_p, POINTER(lk_dedup_totals))),
    ("lk_dedup_get_image", _st, (dedup_p, c_size_t, POINTER(lk_dedup_image))),
    ("lk_dedup_get_layer", _st, (dedup_p, c_size_t, POINTER(lk_dedup_layer))),
    ("lk_dedup_layer_image", _st, (dedup_p, c_size_t, c_size_t, POINTER(c_char_p))),
    ("lk_dedup_json", _st, (dedup_p, POINTER(c_void_p))),
    ("lk_dedup_free", None, (dedup_p,)),
    # JSON documents
    ("lk_inspect_json", _st, (archive_p, image_p, POINTER(c_void_p))),
    # store
    ("lk_store_open", _st, (c_char_p, c_int, POINTER(store_p))),
    ("lk_store_free", None, (store_p,)),
    ("lk_store_default_path", _st, (POINTER(c_void_p),)),
    ("lk_store_path", c_char_p, (store_p,)),
    ("lk_store_has_blob", _st, (store_p, c_char_p, POINTER(c_int))),
    ("lk_store_load", _st, (store_p, c_char_p, POINTER(lk_store_load_options), POINTER(c_void_p))),
    ("lk_store_plan", _st, (store_p, archive_p, image_p, POINTER(plan_p))),
    ("lk_plan_totals", _st, (plan_p, POINTER(c_size_t), POINTER(c_uint64), POINTER(c_uint64))),
    ("lk_plan_layer_get", _st, (plan_p, c_size_t, POINTER(lk_plan_layer))),
    ("lk_plan_json", _st, (plan_p, POINTER(c_void_p))),
    ("lk_plan_free", None, (plan_p,)),
    ("lk_store_save", _st, (store_p, POINTER(c_char_p), c_size_t, c_char_p, POINTER(lk_store_save_options),
                            POINTER(c_void_p))),
    ("lk_store_images_json", _st, (store_p, POINTER(c_void_p))),
    ("lk_store_remove", _st, (store_p, POINTER(c_char_p), c_size_t, POINTER(c_void_p))),
    ("lk_store_gc", _st, (store_p, c_int, POINTER(c_void_p))),
    ("lk_store_df_json", _st, (store_p, POINTER(c_void_p))),
    ("lk_store_verify", _st, (store_p, c_uint, lk_progress_fn, c_void_p, POINTER(c_int), POINTER(c_void_p))),
)

# ---------------------------------------------------------------------------
# Loading


def _beside_package():
    here = os.path.dirname(os.path.abspath(__file__))
    found = sorted(glob.glob(os.path.join(here, "liblayerkit.so*")) + glob.glob(os.path.join(here, "liblayerkit*.dylib")))
    # Prefer the soname (liblayerkit.so.0), then the dev link, then anything else.
    found.sort(key=lambda p: (os.path.basename(p) != "liblayerkit.so.%d" % SUPPORTED_MAJOR,
                              os.path.basename(p) != "liblayerkit.so", p))
    return found


def _load():
    """(CDLL, where it came from); ImportError when no library loads."""
    tried = []
    for path in _beside_package():
        try:
            return ctypes.CDLL(path), path
        except OSError as e:
            tried.append("%s: %s" % (path, e))
    env = os.environ.get("LAYERKIT_LIBRARY")
    if env:
        try:
            return ctypes.CDLL(env), env
        except OSError as e:
            raise ImportError("layerkit: cannot load $LAYERKIT_LIBRARY=%s: %s" % (env, e)) from None
    names = []
    found = ctypes.util.find_library("layerkit")
    if found:
        names.append(found)
    names.append("liblayerkit.so.%d" % SUPPORTED_MAJOR)
    for name in names:
        try:
            return ctypes.CDLL(name), name
        except OSError as e:
            tried.append("%s: %s" % (name, e))
    raise ImportError("layerkit: cannot find the layerkit shared library (tried: %s). Put liblayerkit.so.%d beside "
                      "the layerkit package, set $LAYERKIT_LIBRARY to its path, or install it where the dynamic "
                      "loader finds it." % ("; ".join(tried) or "nothing found", SUPPORTED_MAJOR))


def _declare(cdll, where):
    missing = []
    for name, restype, argtypes in PROTOTYPES:
        try:
            fn = getattr(cdll, name)
        except AttributeError:
            missing.append(name)
            continue
        fn.restype = restype
        fn.argtypes = list(argtypes)
    if missing:
        raise ImportError("layerkit: %s lacks %s: not a layerkit library this binding supports"
                          % (where, ", ".join(missing)))


def _check_version(cdll, where):
    try:
        cdll.lk_version_number.restype = c_int
        cdll.lk_version_number.argtypes = []
        cdll.lk_version.restype = c_char_p
        cdll.lk_version.argtypes = []
    except AttributeError:
        raise ImportError("layerkit: %s has no lk_version_number(): not a layerkit library" % where) from None
    number = cdll.lk_version_number()
    text = (cdll.lk_version() or b"?").decode("ascii", "replace")
    if number // 10000 != SUPPORTED_MAJOR or number < MIN_VERSION:
        raise ImportError("layerkit: %s is version %s (lk_version_number %d); this binding supports %d.x from "
                          "%d.%d.%d" % (where, text, number, SUPPORTED_MAJOR, SUPPORTED_MAJOR,
                                        MIN_VERSION // 100 % 100, MIN_VERSION % 100))
    return number, text


lib, library_path = _load()
version_number, version = _check_version(lib, library_path)
_declare(lib, library_path)
