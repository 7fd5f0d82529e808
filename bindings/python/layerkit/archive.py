"""The Pythonic API over layerkit's C ABI: Archive, Image, verify, dedup.

Results are plain Python values copied out of the library (str, int, bool,
dict, list, frozen dataclasses), so they stay valid after the archive is
closed. Handles the C library hands out are freed by the call that made them,
or -- for the archive itself -- by Archive.close(), the ``with`` statement, or
a weakref.finalize when the Archive is garbage collected.
"""
import contextlib
import ctypes
import dataclasses
import json
import os
import threading
import weakref
from collections.abc import Mapping
from ctypes import byref, c_char_p, c_size_t, c_void_p, string_at
from typing import Dict, Optional, Tuple

from . import _capi
from ._capi import INT64_MIN, Status, StringList, lib
from .errors import ERRORS, CancelledError, MalformedError, check

__all__ = ["Archive", "Image", "ImageInfo", "Layer", "HistoryRow", "VerifyReport", "DedupResult", "DedupImage",
           "DedupLayer", "DedupTotals", "dedup", "default_limits", "LIMIT_FIELDS", "MATCH_OK",
           "MATCH_HISTORY_WITHOUT_LAYER", "MATCH_LAYER_WITHOUT_HISTORY"]

# lk_history_row.match
MATCH_OK = 0
MATCH_HISTORY_WITHOUT_LAYER = 1
MATCH_LAYER_WITHOUT_HISTORY = 2

# ---------------------------------------------------------------------------
# Conversions


def _s(value):
    """A borrowed C string (bytes or None) as str."""
    return value.decode("utf-8", "replace") if value else ""


def _size(value):
    """A byte count where -1 means unknown, as int or None."""
    return None if value < 0 else int(value)


def _cstr(value, what):
    """A str/bytes argument as NUL-free bytes for a `const char *`."""
    if isinstance(value, str):
        b = value.encode("utf-8")
    elif isinstance(value, bytes):
        b = value
    else:
        raise TypeError("%s must be str, not %s" % (what, type(value).__name__))
    if b"\0" in b:
        raise ValueError("%s must not contain a NUL character" % what)
    return b


def _path_bytes(path):
    if not isinstance(path, (str, bytes, os.PathLike)):
        raise TypeError("path must be str, bytes or os.PathLike, not %s" % type(path).__name__)
    b = os.fsencode(path)
    if b"\0" in b:
        raise ValueError("path must not contain a NUL character")
    if not b:
        raise ValueError("path must not be empty")
    return b


def _uint(value, bits, what):
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("%s must be an int, not %s" % (what, type(value).__name__))
    if value < 0 or value >= 1 << bits:
        raise ValueError("%s must be between 0 and %d, not %d" % (what, (1 << bits) - 1, value))
    return value


def _take_string(ptr):
    """An owned `char *` (JSON) as str; frees it with lk_string_free()."""
    try:
        return ctypes.string_at(ptr.value).decode("utf-8", "replace") if ptr.value else ""
    finally:
        lib.lk_string_free(ptr)


# ---------------------------------------------------------------------------
# Progress callbacks

_tls = threading.local()


class _Progress:
    """A Python callable (done, total) -> bool/None as an lk_progress_fn.

    Returning False (or 0) stops the operation, which then fails with
    CancelledError. An exception raised by the callable never crosses C: it is
    kept, the operation is stopped, and settle() re-raises it once the C call
    has returned. The CFUNCTYPE object lives as long as this object; use it as
    a context manager around the C call.
    """

    def __init__(self, fn, what):
        if fn is not None and not callable(fn):
            raise TypeError("%s: progress must be a callable (done, total) -> bool, or None; not %s"
                            % (what, type(fn).__name__))
        self._fn = fn
        self.error = None
        self.stopped = False
        self.c = _capi.lk_progress_fn(self._trampoline) if fn is not None else _capi.NULL_PROGRESS

    def _trampoline(self, done, total, _data):
        # Everything inside one try: even a KeyboardInterrupt delivered between
        # two bytecodes here must stop the operation, not vanish in ctypes.
        try:
            fn = self._fn
            if fn is None or self.error is not None or self.stopped:
                return 1
            depth = getattr(_tls, "callbacks", 0)
            _tls.callbacks = depth + 1
            try:
                result = fn(done, total)
            finally:
                _tls.callbacks = depth
            if result is not None and not result:
                self.stopped = True
                return 1
            return 0
        except BaseException as e:  # noqa: B902 -- nothing may cross the C frames
            if self.error is None:
                self.error = e
            return 1

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        # Break the cycle self -> CFUNCTYPE -> bound method -> self, drop the callable.
        self._fn = None
        self.c = None
        return False

    def settle(self, status, free_result):
        """After the C call: re-raises the callback's exception, or raises
        CancelledError if the callback said stop (even when the operation
        finished regardless), freeing what the call made; else check(status)."""
        if self.error is not None or (self.stopped and status >= 0):
            free_result()
            if self.error is not None:
                e, self.error = self.error, None
                raise e
            raise CancelledError(Status.ECANCELLED, "cancelled by the progress callback", "cancelled")
        check(status)


def _in_callback():
    return getattr(_tls, "callbacks", 0) > 0


# ---------------------------------------------------------------------------
# Value types


@dataclasses.dataclass(frozen=True)
class ImageInfo:
    """lk_image_info: scalar facts about an image ("" for an absent string)."""
    id: str
    manifest_digest: str
    manifest_media_type: str
    config_media_type: str
    created: str
    author: str
    architecture: str
    os: str
    os_version: str
    variant: str
    user: str
    working_dir: str
    stop_signal: str
    artifact_type: str
    index_path: str
    layer_count: int
    history_count: int
    missing_count: int
    complete: bool
    legacy_v1: bool


@dataclasses.dataclass(frozen=True)
class Layer:
    """One layer of an image, bottom first (lk_layer_info). Byte counts are None when unknown."""
    index: int
    digest: str               # blob digest ("" when unknown without reading)
    diff_id: str
    chain_id: str
    media_type: str
    member: str               # archive member holding the blob
    compression: str          # "none", "gzip", "zstd", ... ("" unless read_sizes)
    blob_bytes: Optional[int]
    uncompressed_bytes: Optional[int]
    content_bytes: Optional[int]  # Docker's layer size
    present: bool
    foreign: bool
    urls: Tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class Entry:
    """One tar entry of a layer, as `tar -tv` lists it (lk_entry)."""
    path: str                 # as stored, without a leading "./" or "/"
    type: str                 # "-" file, "d", "l" symlink, "h" hard link, "c", "b", "p", "s", "?"
    mode: int                 # permission bits with setuid/setgid/sticky (0o7777)
    uid: int
    gid: int
    uname: str
    gname: str
    bytes: int                # a regular file's size
    mtime: int                # Unix seconds
    link: str                 # symlink target or hard link target ("" otherwise)
    dev_major: int
    dev_minor: int
    sparse: bool
    whiteout: bool            # ".wh.<name>" (OCI layer.md)
    opaque: bool              # ".wh..wh..opq"
    xattrs: Dict[str, bytes]


def _read_entries(archive, image_ptr, layer_index):
    it = _capi.entry_iter_p()
    with archive._use() as h:
        check(lib.lk_layer_entries(h, image_ptr, layer_index, byref(it)))
    out = []
    try:
        while True:
            e = _capi.new(_capi.lk_entry)
            if check(lib.lk_entry_iter_next(it, byref(e))) == _capi.Status.DONE:
                break
            xattrs = {}
            for i in range(e.xattr_count):
                name, value, length = c_char_p(), c_void_p(), c_size_t()
                check(lib.lk_entry_iter_xattr(it, i, byref(name), byref(value), byref(length)))
                xattrs[_s(name.value)] = string_at(value, length.value) if length.value else b""
            out.append(Entry(path=_s(e.path), type=chr(e.type), mode=int(e.mode), uid=int(e.uid), gid=int(e.gid),
                             uname=_s(e.uname), gname=_s(e.gname), bytes=int(e.bytes), mtime=int(e.mtime),
                             link=_s(e.link), dev_major=int(e.dev_major), dev_minor=int(e.dev_minor),
                             sparse=bool(e.sparse), whiteout=bool(e.whiteout), opaque=bool(e.opaque),
                             xattrs=xattrs))
        problem = _s(lib.lk_entry_iter_tar_problem(it))
        status = lib.lk_entry_iter_status(it)
    finally:
        lib.lk_entry_iter_free(it)
    return out, problem, status


@dataclasses.dataclass(frozen=True)
class HistoryRow:
    """One `docker history` row, newest first (lk_history_row). Byte counts are None when unknown."""
    id: str                   # the image ID on the newest row, "<missing>" below
    created: str
    created_unix: Optional[int]
    created_by: str
    comment: str
    empty_layer: bool
    content_bytes: Optional[int]  # docker's SIZE: 0 for empty_layer rows
    layer_index: Optional[int]
    match: int                # MATCH_OK, MATCH_HISTORY_WITHOUT_LAYER or MATCH_LAYER_WITHOUT_HISTORY
    diff_id: str
    digest: str
    chain_id: str
    compressed_bytes: Optional[int]
    uncompressed_bytes: Optional[int]


@dataclasses.dataclass(frozen=True)
class VerifyReport:
    """What Archive.verify() found. Mismatches are data here, not exceptions."""
    ok: bool
    problems: list            # dicts: image, layer (int or None), member, kind, expected, actual, message
    json_text: str = dataclasses.field(repr=False)

    def json(self):
        """The report as lk_verify_report_json() writes it: {OK, Images, Problems, Notes}."""
        return json.loads(self.json_text)

    def __bool__(self):
        return self.ok


@dataclasses.dataclass(frozen=True)
class DedupImage:
    ref: str
    id: str
    bytes: int
    shared_bytes: int
    unique_bytes: int
    layer_count: int


@dataclasses.dataclass(frozen=True)
class DedupLayer:
    diff_id: str
    chain_id: str
    bytes: int                # Docker's layer size
    images: Tuple[str, ...]   # refs of the images that have it


@dataclasses.dataclass(frozen=True)
class DedupTotals:
    total_bytes: int          # summed per image
    unique_bytes: int         # each distinct layer once
    saved_bytes: int          # total - unique
    image_count: int
    layer_count: int          # distinct layers by chain_id


@dataclasses.dataclass(frozen=True)
class DedupResult:
    images: list
    layers: list
    totals: DedupTotals
    json_text: str = dataclasses.field(repr=False)

    def json(self):
        """{Images, Layers, DiffIDs, TotalSize, UniqueSize, SavedSize, Notes}, as lk_dedup_json() writes it."""
        return json.loads(self.json_text)


# ---------------------------------------------------------------------------
# Limits

LIMIT_FIELDS = tuple(name for name, _ in _capi.lk_limits._fields_ if name != "size")
_LIMIT_BITS = {name: ctypes.sizeof(t) * 8 for name, t in _capi.lk_limits._fields_}


def _default_options():
    opts = _capi.lk_open_options()
    check(lib.lk_open_options_init(byref(opts), ctypes.sizeof(opts)))
    return opts


def default_limits():
    """The library's default lk_limits, as a dict {field: int}."""
    limits = _default_options().limits
    return {name: int(getattr(limits, name)) for name in LIMIT_FIELDS}


def _apply_limits(dst, limits):
    if not isinstance(limits, Mapping):
        raise TypeError("limits must be a mapping {field: int}, not %s" % type(limits).__name__)
    for name, value in limits.items():
        if name not in LIMIT_FIELDS:
            raise TypeError("unknown limit %r; known: %s" % (name, ", ".join(LIMIT_FIELDS)))
        setattr(dst, name, _uint(value, _LIMIT_BITS[name], "limits[%r]" % name))


# ---------------------------------------------------------------------------
# Archive


class Archive:
    """An image archive or layout, opened read-only.

    Archive(path, platform=None, limits=None, progress=None)

    * path: a docker save tar (optionally gzip/zstd/xz/bzip2 compressed as a
      whole), an OCI layout directory or tar, or a skopeo dir: directory.
    * platform: "os/arch[/variant]" to take from a multi-platform index, or
      "all"; None means linux/amd64, falling back to the only manifest.
    * limits: {field: int} overriding default_limits() (see LIMIT_FIELDS).
    * progress: callable (done_bytes, total_bytes) -> bool/None for the one
      pass over a compressed archive; return False to cancel (CancelledError).

    Raises a LayerkitError subclass (NotFoundError, FormatError,
    TruncatedError, ...) when the archive cannot be opened. Use it as a context
    manager, or call close(); otherwise the handle is freed when the object is
    garbage collected. A handle serves one call at a time: concurrent calls
    from several threads are serialized.
    """

    def __init__(self, path, platform=None, limits=None, progress=None):
        self._handle = None
        self._finalizer = None
        self._lock = threading.Lock()
        bpath = _path_bytes(path)
        self.path = os.fsdecode(bpath)
        opts = _default_options()
        if platform is not None:
            opts.platform = _cstr(platform, "platform")
            opts.platform_explicit = 1
        if limits is not None:
            _apply_limits(opts.limits, limits)
        handle = _capi.archive_p()
        with _Progress(progress, "Archive") as p:
            opts.progress = p.c
            status = lib.lk_archive_open(bpath, byref(opts), byref(handle))
            p.settle(status, lambda: lib.lk_archive_free(handle))
        self._handle = handle
        self._finalizer = weakref.finalize(self, lib.lk_archive_free, handle)

        self.format = _s(lib.lk_archive_format(handle))
        count = c_size_t()
        check(lib.lk_archive_image_count(handle, byref(count)))
        self._images = []
        self._by_address = {}
        for i in range(count.value):
            ptr = _capi.image_p()
            check(lib.lk_archive_image(handle, i, byref(ptr)))
            img = Image(self, i, ptr)
            self._images.append(img)
            self._by_address[ctypes.cast(ptr, c_void_p).value] = img
        check(lib.lk_archive_warning_count(handle, byref(count)))
        warnings = []
        for i in range(count.value):
            w = c_char_p()
            check(lib.lk_archive_warning(handle, i, byref(w)))
            warnings.append(_s(w.value))
        self._warnings = warnings

    # -- lifetime ----------------------------------------------------------

    @contextlib.contextmanager
    def _use(self):
        """Holds the archive for one C call; yields its handle."""
        _acquire(self._lock)
        try:
            if self._handle is None:
                raise ValueError("layerkit: the archive %r is closed" % self.path)
            yield self._handle
        finally:
            self._lock.release()

    def close(self):
        """Frees the archive. Images and results already read stay usable; calls
        that need the archive (layers, history, verify, inspect, dedup) then
        raise ValueError. Closing twice is a no-op."""
        if self._finalizer is None:
            return
        _acquire(self._lock)
        try:
            self._handle = None
            self._finalizer()
        finally:
            self._lock.release()

    @property
    def closed(self):
        return self._handle is None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def __repr__(self):
        state = "closed" if self.closed else "%d image(s)" % len(self._images)
        return "<layerkit.Archive %r %s, %s>" % (self.path, getattr(self, "format", "?"), state)

    # -- queries -----------------------------------------------------------

    @property
    def images(self):
        """The images (manifest.json entries, or index.json manifests), in archive order."""
        return list(self._images)

    @property
    def warnings(self):
        """Warnings found at open, e.g. an index without a manifest for the platform."""
        return list(self._warnings)

    def find_image(self, ref):
        """The image named by `ref`: a repo tag ("app:1.0", with or without
        "docker.io/" or "localhost/"), an image ID or unique prefix (4+ hex), a
        manifest digest, or "@N". Raises NotFoundError or AmbiguousError."""
        bref = _cstr(ref, "ref")
        with self._use() as h:
            ptr = _capi.image_p()
            check(lib.lk_archive_find_image(h, bref, byref(ptr)))
            return self._by_address[ctypes.cast(ptr, c_void_p).value]

    def _resolve(self, image):
        """None, an Image of this archive, an index, or a reference -> Image or None."""
        if image is None:
            return None
        if isinstance(image, Image):
            if image._archive is not self:
                raise ValueError("layerkit: %r belongs to another archive" % (image,))
            return image
        if isinstance(image, int) and not isinstance(image, bool):
            return self._images[image]
        if isinstance(image, (str, bytes)):
            return self.find_image(image)
        raise TypeError("image must be an Image, an index or a reference (str), not %s" % type(image).__name__)

    def verify(self, image=None, threads=0, progress=None):
        """Verifies every digest, size and count (each layer blob read once).

        image: None (all), an Image, an index, or a reference (find_image
        syntax). threads: worker threads, 0 = hardware threads. progress:
        callable (done_bytes, total_bytes) -> bool/None, return False to cancel.
        Returns a VerifyReport; mismatches are in report.problems, not raised.
        """
        opts = _capi.new(_capi.lk_verify_options)
        opts.threads = _uint(threads, 32, "threads")
        if image is not None:
            # Resolved here, so a reference fails (NotFoundError, AmbiguousError,
            # InvalidArgumentError for "") exactly as in find_image().
            opts.image = b"@%d" % self._resolve(image)._index
        report = _capi.verify_report_p()
        with self._use() as h, _Progress(progress, "verify") as p:
            opts.progress = p.c
            status = lib.lk_verify(h, byref(opts), byref(report))
            p.settle(status, lambda: lib.lk_verify_report_free(report))
        try:
            return _read_report(report)
        finally:
            lib.lk_verify_report_free(report)

    def inspect(self, image=None):
        """`docker image inspect` of one image (Image, index or reference) or of
        every image (None), parsed: a list of dicts. Reads each layer's tar headers."""
        img = self._resolve(image)
        out = c_void_p()
        with self._use() as h:
            check(lib.lk_inspect_json(h, img._ptr if img is not None else None, byref(out)))
        return json.loads(_take_string(out))


def _acquire(lock):
    # From inside a progress callback the archive may be busy with the very call
    # that runs the callback: waiting would deadlock, so refuse instead.
    if _in_callback():
        if not lock.acquire(blocking=False):
            raise RuntimeError("layerkit: an archive cannot be used from a progress callback of a call on it")
    else:
        lock.acquire()


def _read_report(report):
    problems = []
    count = c_size_t()
    check(lib.lk_verify_report_problem_count(report, byref(count)))
    for i in range(count.value):
        p = _capi.new(_capi.lk_problem)
        check(lib.lk_verify_report_problem(report, i, byref(p)))
        problems.append({
            "image": _s(p.image),
            "layer": None if p.layer < 0 else int(p.layer),
            "member": _s(p.member),
            "kind": _s(p.kind),
            "expected": _s(p.expected),
            "actual": _s(p.actual),
            "message": _s(p.message),
        })
    ok = bool(lib.lk_verify_report_ok(report))
    out = c_void_p()
    check(lib.lk_verify_report_json(report, byref(out)))
    return VerifyReport(ok=ok, problems=problems, json_text=_take_string(out))


# ---------------------------------------------------------------------------
# Image


class Image:
    """One image of an Archive (from Archive.images or Archive.find_image()).

    Its facts are copied out when the archive opens, so they stay readable
    after close(); layers(), history(), verify() and inspect() need the archive
    open.
    """

    def __init__(self, archive, index, ptr):
        self._archive = archive
        self._index = index
        self._ptr = ptr
        info = _capi.new(_capi.lk_image_info)
        check(lib.lk_image_get_info(ptr, byref(info)))
        fields = {}
        for f in dataclasses.fields(ImageInfo):
            v = getattr(info, f.name)
            fields[f.name] = _s(v) if f.type is str else (bool(v) if f.type is bool else int(v))
        self._info = ImageInfo(**fields)
        self._lists = {which: self._strings(which) for which in StringList}
        self._config_json = self._blob(lib.lk_image_config_json)
        self._manifest_json = self._blob(lib.lk_image_manifest_json)

    def _strings(self, which):
        count = c_size_t()
        items = ctypes.POINTER(c_char_p)()
        check(lib.lk_image_strings(self._ptr, int(which), byref(count), byref(items)))
        return [_s(items[i]) for i in range(count.value)]

    def _blob(self, fn):
        data = c_void_p()
        length = c_size_t()
        check(fn(self._ptr, byref(data), byref(length)))
        return ctypes.string_at(data.value, length.value) if length.value else b""

    def __repr__(self):
        name = self.references[0] if self.references else (self.id[:19] or "#%d" % self._index)
        return "<layerkit.Image %s %s/%s, %d layers>" % (name, self.os, self.architecture, self.layer_count)

    # -- facts -------------------------------------------------------------

    archive = property(lambda self: self._archive, doc="The Archive this image belongs to.")
    index = property(lambda self: self._index, doc="Position in archive.images.")
    info = property(lambda self: self._info, doc="Every lk_image_info field, as an ImageInfo.")
    id = property(lambda self: self._info.id, doc='Image ID = config digest ("" if the config is absent).')
    manifest_digest = property(lambda self: self._info.manifest_digest)
    manifest_media_type = property(lambda self: self._info.manifest_media_type)
    config_media_type = property(lambda self: self._info.config_media_type)
    created = property(lambda self: self._info.created, doc="RFC 3339, as stored.")
    author = property(lambda self: self._info.author)
    architecture = property(lambda self: self._info.architecture)
    os = property(lambda self: self._info.os)
    os_version = property(lambda self: self._info.os_version)
    variant = property(lambda self: self._info.variant)
    user = property(lambda self: self._info.user)
    working_dir = property(lambda self: self._info.working_dir)
    stop_signal = property(lambda self: self._info.stop_signal)
    artifact_type = property(lambda self: self._info.artifact_type)
    index_path = property(lambda self: self._info.index_path)
    layer_count = property(lambda self: self._info.layer_count)
    history_count = property(lambda self: self._info.history_count)
    missing_count = property(lambda self: self._info.missing_count)
    complete = property(lambda self: self._info.complete)
    legacy_v1 = property(lambda self: self._info.legacy_v1)

    references = property(lambda self: list(self._lists[StringList.REFERENCES]), doc="Repo tags / ref names.")
    env = property(lambda self: list(self._lists[StringList.ENV]), doc='config.Env, "NAME=value".')
    cmd = property(lambda self: list(self._lists[StringList.CMD]))
    entrypoint = property(lambda self: list(self._lists[StringList.ENTRYPOINT]))
    exposed_ports = property(lambda self: list(self._lists[StringList.EXPOSED_PORTS]), doc='e.g. ["8080/tcp"].')
    volumes = property(lambda self: list(self._lists[StringList.VOLUMES]))
    diff_ids = property(lambda self: list(self._lists[StringList.DIFF_IDS]), doc="rootfs.diff_ids, bottom first.")
    healthcheck = property(lambda self: list(self._lists[StringList.HEALTHCHECK]), doc="config.Healthcheck.Test.")

    @property
    def labels(self):
        """config.Labels as a dict."""
        return dict(zip(self._lists[StringList.LABEL_KEYS], self._lists[StringList.LABEL_VALUES]))

    @property
    def config_json(self):
        """The config blob as stored (bytes; the image ID is its digest); b"" when absent."""
        return self._config_json

    @property
    def manifest_json(self):
        """The manifest blob as stored (bytes); b"" when the archive has none (docker-archive)."""
        return self._manifest_json

    @property
    def config(self):
        """The config blob parsed, or None when absent."""
        return json.loads(self._config_json) if self._config_json else None

    @property
    def manifest(self):
        """The manifest blob parsed, or None when absent."""
        return json.loads(self._manifest_json) if self._manifest_json else None

    # -- operations --------------------------------------------------------

    def layers(self, read_sizes=False):
        """An iterator over the image's layers (Layer), bottom first. With
        read_sizes, each present layer's tar headers are read first to fill
        compression, uncompressed_bytes and content_bytes."""
        out = []
        it = _capi.layer_iter_p()
        with self._archive._use() as h:
            check(lib.lk_image_layers(h, self._ptr, 1 if read_sizes else 0, byref(it)))
        try:
            while True:
                info = _capi.new(_capi.lk_layer_info)
                if check(lib.lk_layer_iter_next(it, byref(info))) == _capi.Status.DONE:
                    break
                urls = []
                for i in range(info.url_count):
                    u = c_char_p()
                    check(lib.lk_layer_iter_url(it, i, byref(u)))
                    urls.append(_s(u.value))
                out.append(Layer(index=int(info.index), digest=_s(info.digest), diff_id=_s(info.diff_id),
                                 chain_id=_s(info.chain_id), media_type=_s(info.media_type), member=_s(info.member),
                                 compression=_s(info.compression), blob_bytes=_size(info.blob_bytes),
                                 uncompressed_bytes=_size(info.uncompressed_bytes),
                                 content_bytes=_size(info.content_bytes), present=bool(info.present),
                                 foreign=bool(info.foreign), urls=tuple(urls)))
        finally:
            lib.lk_layer_iter_free(it)
        return iter(out)

    def entries(self, layer_index):
        """The tar entries of the layer at layer_index (0 = bottom), as a list
        of Entry, read from tar headers only. Raises MalformedError or
        TruncatedError (with the entries listed so far in .entries) when the
        layer is not a complete tar."""
        out, problem, status = _read_entries(self._archive, self._ptr, int(layer_index))
        if status != 0:
            err = ERRORS.get(status, MalformedError)(status, "layer %d is not a complete tar: %s" % (layer_index,
                                                                                                  problem))
            err.entries = out
            raise err
        return out

    def _with_history(self, layer_details, progress, read):
        hist = _capi.history_p()
        with self._archive._use() as h, _Progress(progress, "history") as p:
            status = lib.lk_image_history(h, self._ptr, 1 if layer_details else 0, p.c, None, byref(hist))
            p.settle(status, lambda: lib.lk_history_free(hist))
        try:
            return read(hist)
        finally:
            lib.lk_history_free(hist)

    def history(self, layer_details=False, progress=None):
        """The `docker history` rows, newest first (a list of HistoryRow).

        layer_details: also read whole the layers whose blob digest the
        archive does not declare. progress: callable (done, total) ->
        bool/None; return False to cancel (CancelledError)."""
        def read(hist):
            count = c_size_t()
            check(lib.lk_history_count(hist, byref(count)))
            rows = []
            for i in range(count.value):
                r = _capi.new(_capi.lk_history_row)
                check(lib.lk_history_row_get(hist, i, byref(r)))
                rows.append(HistoryRow(
                    id=_s(r.id), created=_s(r.created),
                    created_unix=None if r.created_unix == INT64_MIN else int(r.created_unix),
                    created_by=_s(r.created_by), comment=_s(r.comment), empty_layer=bool(r.empty_layer),
                    content_bytes=_size(r.content_bytes),
                    layer_index=None if r.layer_index < 0 else int(r.layer_index), match=int(r.match),
                    diff_id=_s(r.diff_id), digest=_s(r.digest), chain_id=_s(r.chain_id),
                    compressed_bytes=_size(r.compressed_bytes), uncompressed_bytes=_size(r.uncompressed_bytes)))
            return rows
        return self._with_history(layer_details, progress, read)

    def history_json(self, layers=False, layer_details=False, progress=None):
        """`docker history --format json` rows, parsed (a list of dicts); with
        layers, each row also has its layer's digests and sizes."""
        def read(hist):
            out = c_void_p()
            check(lib.lk_history_json(hist, 1 if layers else 0, byref(out)))
            return json.loads(_take_string(out))
        return self._with_history(layer_details, progress, read)

    def verify(self, threads=0, progress=None):
        """archive.verify(image=self, ...)."""
        return self._archive.verify(image=self, threads=threads, progress=progress)

    def inspect(self):
        """`docker image inspect` of this image, parsed (one dict)."""
        return self._archive.inspect(self)[0]


# ---------------------------------------------------------------------------
# Dedup


def _dedup_entry(item):
    """An item of dedup()'s list -> (archive, image, ref bytes)."""
    if isinstance(item, Image):
        archive, image, ref = item._archive, item, None
    elif isinstance(item, (tuple, list)) and len(item) in (2, 3) and isinstance(item[0], Archive):
        archive, image, ref = item[0], item[1], (item[2] if len(item) == 3 else None)
    elif isinstance(item, (tuple, list)) and len(item) in (1, 2) and isinstance(item[0], Image):
        archive, image, ref = item[0]._archive, item[0], (item[1] if len(item) == 2 else None)
    else:
        raise TypeError("dedup: each item must be an Image, (image, ref), (archive, image) or "
                        "(archive, image, ref); got %r" % (item,))
    image = archive._resolve(image)
    if image is None:
        raise TypeError("dedup: no image in %r" % (item,))
    if ref is None:
        ref = image.references[0] if image.references else image.id
    return archive, image, _cstr(ref, "ref")


@contextlib.contextmanager
def _use_all(archives):
    """Holds several archives (in a fixed order, so two calls cannot deadlock)."""
    with contextlib.ExitStack() as stack:
        handles = {}
        for a in sorted(archives, key=id):
            handles[id(a)] = stack.enter_context(a._use())
        yield handles


def dedup(items, threads=0, progress=None):
    """Which layers the images share, and the bytes sharing saves.

    items: a list of Image, (image, ref), (archive, image) or (archive, image,
    ref), where image is an Image, an index or a reference of that archive and
    ref the name to report it under (default: its first reference, else its
    ID). Each distinct layer is read once (tar headers only).
    Returns a DedupResult: .images, .layers (by chain_id), .totals, .json().
    """
    entries = [_dedup_entry(x) for x in items]
    threads = _uint(threads, 32, "threads")
    archives = list({id(a): a for a, _, _ in entries}.values())
    d = _capi.dedup_p()
    check(lib.lk_dedup_new(byref(d)))
    try:
        with _use_all(archives) as handles:
            for a, img, ref in entries:
                check(lib.lk_dedup_add(d, handles[id(a)], img._ptr, ref))
            with _Progress(progress, "dedup") as p:
                status = lib.lk_dedup_run(d, threads, p.c, None)
                p.settle(status, lambda: None)  # the lk_dedup is freed below
            return _read_dedup(d)
    finally:
        lib.lk_dedup_free(d)


def _read_dedup(d):
    t = _capi.new(_capi.lk_dedup_totals)
    check(lib.lk_dedup_get_totals(d, byref(t)))
    totals = DedupTotals(total_bytes=int(t.total_bytes), unique_bytes=int(t.unique_bytes),
                         saved_bytes=int(t.saved_bytes), image_count=int(t.image_count),
                         layer_count=int(t.layer_count))
    images = []
    for i in range(totals.image_count):
        c = _capi.new(_capi.lk_dedup_image)
        check(lib.lk_dedup_get_image(d, i, byref(c)))
        images.append(DedupImage(ref=_s(c.ref), id=_s(c.id), bytes=int(c.bytes), shared_bytes=int(c.shared_bytes),
                                 unique_bytes=int(c.unique_bytes), layer_count=int(c.layer_count)))
    layers = []
    for i in range(totals.layer_count):
        c = _capi.new(_capi.lk_dedup_layer)
        check(lib.lk_dedup_get_layer(d, i, byref(c)))
        refs = []
        for j in range(c.image_count):
            r = c_char_p()
            check(lib.lk_dedup_layer_image(d, i, j, byref(r)))
            refs.append(_s(r.value))
        layers.append(DedupLayer(diff_id=_s(c.diff_id), chain_id=_s(c.chain_id), bytes=int(c.bytes),
                                 images=tuple(refs)))
    out = c_void_p()
    check(lib.lk_dedup_json(d, byref(out)))
    return DedupResult(images=images, layers=layers, totals=totals, json_text=_take_string(out))

