"""The image store (lk_store_*): an OCI image layout directory that keeps each
layer once. Reports are the same JSON documents `layerkit store ... --json`
prints, parsed into dicts and lists."""
import ctypes
import json
import os
import threading
import weakref
from ctypes import byref, c_char_p, c_int, c_size_t, c_uint64, c_void_p

from . import _capi
from .archive import Archive, Image, _acquire, _cstr, _path_bytes, _Progress, _s, _take_string
from .errors import check

lib = _capi.lib

FORMATS = {"docker-archive": 0, "oci-archive": 1, "oci-layout": 2}


def default_path():
    """$XDG_DATA_HOME/layerkit/store, else ~/.local/share/layerkit/store."""
    out = c_void_p()
    check(lib.lk_store_default_path(byref(out)))
    return _take_string(out)


def _refs(refs):
    if isinstance(refs, (str, bytes)):
        refs = [refs]
    arr = (c_char_p * len(refs))(*[_cstr(r, "reference") for r in refs])
    return arr, len(refs)


class Store:
    """Store(path, create=True): opens an image store directory. With create,
    an absent one reads as empty and is made by the first load.

    A context manager; close() frees it. Calls on one Store are serialized."""

    def __init__(self, path, create=True):
        self._lock = threading.Lock()
        handle = _capi.store_p()
        check(lib.lk_store_open(_path_bytes(path), 1 if create else 0, byref(handle)))
        self._handle = handle
        self._finalizer = weakref.finalize(self, lib.lk_store_free, handle)
        self.path = os.fsdecode(_path_bytes(path))

    def _use(self):
        store = self

        class _Held:
            def __enter__(self):
                _acquire(store._lock)
                if store._handle is None:
                    store._lock.release()
                    raise ValueError("layerkit: the store %r is closed" % store.path)
                return store._handle

            def __exit__(self, *exc):
                store._lock.release()
        return _Held()

    def close(self):
        if self._finalizer is not None and self._finalizer.alive:
            with self._use():
                self._finalizer()
            self._handle = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def has_blob(self, digest):
        present = c_int()
        with self._use() as h:
            check(lib.lk_store_has_blob(h, _cstr(digest, "digest"), byref(present)))
        return bool(present.value)

    def load(self, archive, image=None, on_event=None, progress=None):
        """Loads the images of the archive at `archive` (a path). on_event:
        callable(dict) receiving {Kind: "loading"|"exists"|"loaded", Image,
        Layer, DiffID, Digest, Bytes, Id} as `docker load` prints lines.
        Returns the load report (dict)."""
        opts = _capi.new(_capi.lk_store_load_options)
        if image is not None:
            opts.image = _cstr(image, "image")
        kinds = ("loading", "exists", "loaded")
        errors = []

        def trampoline(event, _data):
            try:
                e = event.contents
                on_event({"Kind": kinds[e.kind], "Image": _s(e.image), "Layer": int(e.layer),
                          "DiffID": _s(e.diff_id), "Digest": _s(e.digest), "Bytes": int(e.bytes), "Id": _s(e.id)})
            except BaseException as ex:  # noqa: B902 -- nothing may cross C; re-raised below
                errors.append(ex)
        cb = _capi.lk_store_event_fn(trampoline) if on_event is not None else _capi.lk_store_event_fn()
        opts.on_event = cb
        out = c_void_p()
        with self._use() as h, _Progress(progress, "Store.load") as p:
            opts.progress = p.c
            status = lib.lk_store_load(h, _path_bytes(archive), byref(opts), byref(out))
            p.settle(status, lambda: None)
        if errors:
            raise errors[0]
        return json.loads(_take_string(out))

    def plan(self, archive, image=None):
        """An offline `docker pull` of `image` (an Image, or a reference in the
        Archive `archive`) against this store: the plan JSON as a dict."""
        if not isinstance(archive, Archive):
            raise TypeError("plan: archive must be a layerkit.Archive")
        img = image if isinstance(image, Image) else (archive.find_image(image) if image else archive.images[0])
        p = _capi.plan_p()
        with self._use() as h, archive._use() as a:
            check(lib.lk_store_plan(h, a, img._ptr, byref(p)))
        try:
            out = c_void_p()
            check(lib.lk_plan_json(p, byref(out)))
            return json.loads(_take_string(out))
        finally:
            lib.lk_plan_free(p)

    def save(self, refs, output, format="docker-archive", missing_from=None, progress=None):
        """Writes images to `output` (a path, or "-" for stdout). format:
        "docker-archive", "oci-archive" or "oci-layout". missing_from: a store,
        layout or archive whose layers are left out (a thin archive)."""
        if format not in FORMATS:
            raise ValueError("save: format must be one of %s" % ", ".join(FORMATS))
        arr, n = _refs(refs)
        opts = _capi.new(_capi.lk_store_save_options)
        opts.format = FORMATS[format]
        if missing_from is not None:
            opts.missing_from = _path_bytes(missing_from)
        out = c_void_p()
        with self._use() as h, _Progress(progress, "Store.save") as p:
            opts.progress = p.c
            status = lib.lk_store_save(h, arr, n, _path_bytes(output), byref(opts), byref(out))
            p.settle(status, lambda: None)
        return json.loads(_take_string(out))

    def images(self):
        out = c_void_p()
        with self._use() as h:
            check(lib.lk_store_images_json(h, byref(out)))
        return json.loads(_take_string(out))

    def remove(self, refs):
        arr, n = _refs(refs)
        out = c_void_p()
        with self._use() as h:
            check(lib.lk_store_remove(h, arr, n, byref(out)))
        return json.loads(_take_string(out))

    def gc(self, dry_run=False):
        out = c_void_p()
        with self._use() as h:
            check(lib.lk_store_gc(h, 1 if dry_run else 0, byref(out)))
        return json.loads(_take_string(out))

    def df(self):
        out = c_void_p()
        with self._use() as h:
            check(lib.lk_store_df_json(h, byref(out)))
        return json.loads(_take_string(out))

    def verify(self, threads=0, progress=None):
        """Re-hashes every blob and checks every reference: (ok, report dict)."""
        ok = c_int()
        out = c_void_p()
        with self._use() as h, _Progress(progress, "Store.verify") as p:
            status = lib.lk_store_verify(h, threads, p.c, None, byref(ok), byref(out))
            p.settle(status, lambda: None)
        return bool(ok.value), json.loads(_take_string(out))
