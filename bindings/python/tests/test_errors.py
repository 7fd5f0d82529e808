"""Bad input and misuse: each raises the exception of its lk_status, with a
message, and nothing crashes. Expected outcomes come from the header's
definition of each code and from files made here with tarfile/hashlib."""
import ctypes
import io
import tarfile

import pytest

import builders
import layerkit
import oracle
from layerkit import _capi

HEADER_CODES = {  # layerkit.h: enum lk_status, the failures
    "EINVAL": -1, "EIO": -2, "ENOTFOUND": -3, "EFORMAT": -4, "ETRUNCATED": -5, "EDIGEST": -6, "ESIZE": -7,
    "ECOUNT": -8, "ELIMIT": -9, "EUNSUPPORTED": -10, "EINTERNAL": -11, "ECANCELLED": -12, "EMALFORMED": -13,
    "EBADDIGEST": -14, "EUNSAFEPATH": -15, "EAMBIGUOUS": -16, "ENOMEM": -17,
}


def test_one_exception_class_per_status_code():
    classes = set()
    for name, code in HEADER_CODES.items():
        cls = layerkit.ERRORS[code]
        assert issubclass(cls, layerkit.LayerkitError)
        assert cls.status == code
        classes.add(cls)
        n = layerkit.status_name(code)
        assert n and n != "unknown" and n == n.lower(), (name, n)
    assert len(classes) == len(HEADER_CODES)
    assert layerkit.DigestMismatchError.status == -6 and layerkit.status_name(-6) == "digest_mismatch"
    assert issubclass(layerkit.InvalidArgumentError, ValueError)
    assert issubclass(layerkit.NotFoundError, LookupError)
    assert layerkit.status_name(0) == "ok" and layerkit.status_name(1) == "done"
    assert layerkit.status_name(-1000) == "unknown"


def test_not_an_archive(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("this is not a container image archive\n" * 100)
    with pytest.raises(layerkit.FormatError) as e:
        layerkit.Archive(text)
    assert e.value.status == -4 and e.value.name == "format_unknown"
    assert str(text) in e.value.message
    assert e.value.message in str(e.value)

    (tmp_path / "empty").write_bytes(b"")
    with pytest.raises(layerkit.FormatError):
        layerkit.Archive(tmp_path / "empty")
    (tmp_path / "dir").mkdir()
    with pytest.raises(layerkit.FormatError):
        layerkit.Archive(tmp_path / "dir")


def test_absent_path(tmp_path):
    with pytest.raises(layerkit.NotFoundError) as e:
        layerkit.Archive(tmp_path / "absent.tar")
    assert "absent.tar" in e.value.message
    assert isinstance(e.value, LookupError)


def test_truncated_copy_of_a_sample(samples, samples_expected, tmp_path):
    exp = samples_expected["base.docker-archive.tar"]
    src = samples / exp["file"]
    member = exp["layers"][0]["member"]
    offset, size = oracle.member_data_offsets(src)[member]
    cut = tmp_path / "base.cut.tar"
    with open(src, "rb") as f:
        cut.write_bytes(f.read(offset + size // 2))
    with pytest.raises(layerkit.TruncatedError) as e:
        layerkit.Archive(cut)
    assert e.value.status == layerkit.Status.ETRUNCATED
    assert member in e.value.message


def test_truncated_compressed_copy(samples, tmp_path):
    import gzip
    data = gzip.compress((samples / "base.docker-archive.tar").read_bytes(), mtime=0)
    cut = tmp_path / "base.cut.tar.gz"
    cut.write_bytes(data[: len(data) * 3 // 4])
    with pytest.raises(EOFError):
        gzip.decompress(cut.read_bytes())  # the oracle: the gzip stream ends early
    with pytest.raises(layerkit.TruncatedError):
        layerkit.Archive(cut)


def test_verify_reports_a_flipped_byte(samples, samples_expected, tmp_path):
    exp = samples_expected["base.docker-archive.tar"]
    src = samples / exp["file"]
    layer = exp["layers"][1]
    offset, size = oracle.member_data_offsets(src)[layer["member"]]
    # Flip a byte inside a file's content within the layer tar (its tar structure stays valid).
    with tarfile.open(fileobj=io.BytesIO(oracle.read_member(src, layer["member"]))) as inner:
        first_file = next(m for m in inner if m.isreg() and m.size > 0)
    where = offset + first_file.offset_data
    data = bytearray(src.read_bytes())
    data[where] ^= 0xFF
    bad = tmp_path / "base.flipped.tar"
    bad.write_bytes(bytes(data))
    damaged = bytes(data[offset:offset + size])

    with layerkit.Archive(bad) as a:
        report = a.verify()
    assert not report.ok
    assert report.problems
    for p in report.problems:
        assert p["layer"] == 1
        assert p["member"] == layer["member"]
        assert p["kind"] in ("diff_id", "blob_digest")
        assert p["expected"] == exp["diff_ids"][1]
        assert p["actual"] == oracle.sha256(damaged)
        assert p["message"]
    assert report.json()["OK"] is False


def test_error_kinds_from_crafted_archives(tmp_path):
    layer = builders.tar_bytes({"etc/hello": b"hello\n"})

    # Two image IDs sharing their first 4 hex digits: the prefix is ambiguous.
    c1, c2 = builders.ids_sharing_a_prefix([layer])
    p = builders.write_docker_archive(tmp_path / "two.tar", [
        {"config": c1, "tags": ["one:1"], "layers": [layer]},
        {"config": c2, "tags": ["two:1"], "layers": [layer]}])
    with layerkit.Archive(p) as a:
        prefix = builders.sha256(c1)[7:11]
        with pytest.raises(layerkit.AmbiguousError) as e:
            a.find_image(prefix)
        assert prefix in e.value.message
        assert a.find_image(builders.sha256(c1)).id == builders.sha256(c1)
        assert a.find_image(builders.sha256(c2)[7:19]).references == ["two:1"]
        assert a.verify().ok
        with pytest.raises(layerkit.AmbiguousError):
            a.verify(image=prefix)
        with pytest.raises(layerkit.NotFoundError):
            a.verify(image="three:1")

    # A layer path leaving the archive.
    p = builders.write_docker_archive(tmp_path / "unsafe.tar", [
        {"config": builders.config_for([layer]), "tags": ["u:1"], "layers": [layer], "layer_names": ["../../x.tar"]}])
    with pytest.raises(layerkit.UnsafePathError) as e:
        layerkit.Archive(p)
    assert "../../x.tar" in e.value.message

    # A digest violating the OCI grammar.
    d = builders.write_oci_layout(tmp_path / "oci", {"schemaVersion": 2, "manifests": [
        {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:NOTHEX", "size": 2}]}, {})
    with pytest.raises(layerkit.InvalidDigestError) as e:
        layerkit.Archive(d)
    assert "sha256:NOTHEX" in e.value.message

    # Invalid JSON, and JSON nested beyond the limit.
    with pytest.raises(layerkit.MalformedError) as e:
        layerkit.Archive(builders.write_docker_archive(tmp_path / "bad.tar", [], raw_manifest=b"[{"))
    assert "manifest.json" in e.value.message
    deep = builders.write_docker_archive(tmp_path / "deep.tar", [], raw_manifest=b"[" * 100 + b"]" * 100)
    with pytest.raises(layerkit.LimitExceededError):
        layerkit.Archive(deep)
    with pytest.raises(layerkit.MalformedError):
        layerkit.Archive(deep, limits={"json_depth": 200})  # deep enough now: an array of arrays is no manifest

    # Layers and diff_ids that disagree: a verify problem, not an exception.
    cfg = builders.config_for([layer, builders.tar_bytes({"x": b"y"})])
    p = builders.write_docker_archive(tmp_path / "count.tar", [{"config": cfg, "tags": ["c:1"], "layers": [layer]}])
    with layerkit.Archive(p) as a:
        report = a.verify()
    assert not report.ok and [q["kind"] for q in report.problems] == ["count"]


def test_limits(samples, samples_expected):
    app = samples / "app.docker-archive.tar"
    n = len(samples_expected["app.docker-archive.tar"]["layers"])
    with pytest.raises(layerkit.LimitExceededError) as e:
        layerkit.Archive(app, limits={"layers_per_image": n - 1})
    assert str(n - 1) in e.value.message
    with layerkit.Archive(app, limits={"layers_per_image": n}) as a:
        assert a.images[0].layer_count == n
    with pytest.raises(layerkit.LimitExceededError):
        layerkit.Archive(app, limits={"manifest_json_bytes": 16})
    defaults = layerkit.default_limits()
    assert set(defaults) == set(layerkit.LIMIT_FIELDS)
    assert defaults["json_depth"] == 64 and defaults["layers_per_image"] == 1000  # layerkit.h, in brackets


def test_wrong_types_raise_cleanly(samples):
    path = samples / "base.docker-archive.tar"
    for bad in (None, 123, 4.5, ["x"]):
        with pytest.raises(TypeError):
            layerkit.Archive(bad)
    for bad in ("", "a\0b"):
        with pytest.raises(ValueError):
            layerkit.Archive(bad)
    with pytest.raises(TypeError):
        layerkit.Archive(path, platform=3)
    with pytest.raises(ValueError):
        layerkit.Archive(path, platform="linux/\0amd64")
    with pytest.raises(TypeError):
        layerkit.Archive(path, limits={"no_such_limit": 1})
    with pytest.raises(TypeError):
        layerkit.Archive(path, limits=[("json_depth", 3)])
    with pytest.raises(TypeError):
        layerkit.Archive(path, limits={"json_depth": "3"})
    for bad in (-1, 1 << 32):
        with pytest.raises(ValueError):
            layerkit.Archive(path, limits={"json_depth": bad})
    with pytest.raises(TypeError):
        layerkit.Archive(path, progress=5)
    with layerkit.Archive(path) as a:
        with pytest.raises(TypeError):
            a.find_image(None)
        with pytest.raises(TypeError):
            a.find_image(0)
        with pytest.raises(ValueError):
            a.find_image("base\0:1.0")
        with pytest.raises(ValueError):
            a.verify(threads=-1)
        with pytest.raises(TypeError):
            a.verify(threads="2")
        with pytest.raises(TypeError):
            a.verify(image=3.0)
        with pytest.raises(IndexError):
            a.inspect(5)
        with pytest.raises(TypeError):
            a.verify(progress="not callable")
        # The raw table checks argument types too: no wild pointer reaches C.
        with pytest.raises(ctypes.ArgumentError):
            _capi.lib.lk_archive_image_count("not a handle", None)
        with pytest.raises(ctypes.ArgumentError):
            _capi.lib.lk_image_get_info(a._handle, None)  # an archive where an image is expected


def test_images_of_another_archive_are_refused(samples):
    with layerkit.Archive(samples / "base.docker-archive.tar") as b, \
            layerkit.Archive(samples / "app.docker-archive.tar") as a:
        with pytest.raises(ValueError):
            a.verify(image=b.images[0])
        with pytest.raises(ValueError):
            a.inspect(b.images[0])


def test_closed_archive(samples, samples_expected):
    exp = samples_expected["base.docker-archive.tar"]
    a = layerkit.Archive(samples / exp["file"])
    img = a.images[0]
    a.close()
    a.close()  # twice is fine
    assert a.closed and "closed" in repr(a)
    # Facts were copied out: still readable.
    assert img.id == exp["id"] and img.diff_ids == exp["diff_ids"]
    for call in (img.layers, img.history, img.verify, img.inspect, a.verify, a.inspect,
                 lambda: a.find_image(exp["ref"]), lambda: layerkit.dedup([img])):
        with pytest.raises(ValueError, match="closed"):
            call()


# ---------------------------------------------------------------------------
# The C ABI itself, through the raw table: NULL arguments and struct sizes.

NULL_CALLS = [  # (function, arguments with every pointer NULL)
    ("lk_open_options_init", (None, ctypes.sizeof(_capi.lk_open_options))),
    ("lk_archive_open", (None, None, None)),
    ("lk_archive_image_count", (None, None)),
    ("lk_archive_image", (None, 0, None)),
    ("lk_archive_find_image", (None, None, None)),
    ("lk_archive_warning_count", (None, None)),
    ("lk_archive_warning", (None, 0, None)),
    ("lk_image_get_info", (None, None)),
    ("lk_image_strings", (None, 0, None, None)),
    ("lk_image_config_json", (None, None, None)),
    ("lk_image_manifest_json", (None, None, None)),
    ("lk_image_layers", (None, None, 0, None)),
    ("lk_layer_iter_next", (None, None)),
    ("lk_layer_iter_url", (None, 0, None)),
    ("lk_layer_entries", (None, None, 0, None)),
    ("lk_entry_iter_next", (None, None)),
    ("lk_entry_iter_xattr", (None, 0, None, None, None)),
    ("lk_entry_iter_status", (None,)),
    ("lk_image_history", (None, None, 0, _capi.NULL_PROGRESS, None, None)),
    ("lk_history_count", (None, None)),
    ("lk_history_row_get", (None, 0, None)),
    ("lk_history_json", (None, 0, None)),
    ("lk_verify", (None, None, None)),
    ("lk_verify_report_problem_count", (None, None)),
    ("lk_verify_report_problem", (None, 0, None)),
    ("lk_verify_report_json", (None, None)),
    ("lk_dedup_new", (None,)),
    ("lk_dedup_add", (None, None, None, None)),
    ("lk_dedup_run", (None, 0, _capi.NULL_PROGRESS, None)),
    ("lk_dedup_get_totals", (None, None)),
    ("lk_dedup_get_image", (None, 0, None)),
    ("lk_dedup_get_layer", (None, 0, None)),
    ("lk_dedup_layer_image", (None, 0, 0, None)),
    ("lk_dedup_json", (None, None)),
    ("lk_inspect_json", (None, None, None)),
    ("lk_store_open", (None, 0, None)),
    ("lk_store_default_path", (None,)),
    ("lk_store_has_blob", (None, None, None)),
    ("lk_store_load", (None, None, None, None)),
    ("lk_store_plan", (None, None, None, None)),
    ("lk_plan_totals", (None, None, None, None)),
    ("lk_plan_layer_get", (None, 0, None)),
    ("lk_plan_json", (None, None)),
    ("lk_store_save", (None, None, 0, None, None, None)),
    ("lk_store_images_json", (None, None)),
    ("lk_store_remove", (None, None, 0, None)),
    ("lk_store_gc", (None, 0, None)),
    ("lk_store_df_json", (None, None)),
    ("lk_store_verify", (None, 0, _capi.NULL_PROGRESS, None, None, None)),
]


def test_null_arguments_fail_with_einval():
    """layerkit.h: 'a NULL one fails with LK_EINVAL', with a message."""
    lib = _capi.lib
    for name, args in NULL_CALLS:
        status = getattr(lib, name)(*args)
        message = lib.lk_last_error().decode()
        assert status == -1, (name, status)
        assert message, name
    # Every status-returning function of the table is covered above.
    status_fns = {n for n, restype, _ in _capi.PROTOTYPES if restype is ctypes.c_int} - {
        "lk_version_number", "lk_verify_report_ok"}
    assert status_fns == {n for n, _ in NULL_CALLS}
    # The frees are no-ops on NULL; the two queries answer harmlessly.
    for name in ("lk_archive_free", "lk_layer_iter_free", "lk_entry_iter_free", "lk_history_free",
                 "lk_verify_report_free", "lk_dedup_free", "lk_string_free", "lk_store_free", "lk_plan_free"):
        getattr(lib, name)(None)
    assert lib.lk_verify_report_ok(None) == 0
    assert lib.lk_archive_format(None) in (b"", None)


def test_null_out_parameters_on_a_real_archive(samples):
    lib = _capi.lib
    with layerkit.Archive(samples / "base.docker-archive.tar") as a:
        h, img = a._handle, a.images[0]._ptr
        calls = [
            ("lk_archive_image_count", (h, None)),
            ("lk_archive_image", (h, 0, None)),
            ("lk_archive_find_image", (h, b"@0", None)),
            ("lk_archive_find_image", (h, None, ctypes.byref(_capi.image_p()))),
            ("lk_archive_warning_count", (h, None)),
            ("lk_image_get_info", (img, None)),
            ("lk_image_strings", (img, 0, None, None)),
            ("lk_image_config_json", (img, None, None)),
            ("lk_image_layers", (h, img, 0, None)),
            ("lk_image_history", (h, img, 0, _capi.NULL_PROGRESS, None, None)),
            ("lk_verify", (h, None, None)),
            ("lk_inspect_json", (h, img, None)),
        ]
        for name, args in calls:
            assert getattr(lib, name)(*args) == -1, name
            assert lib.lk_last_error(), name
        # Out of range.
        out = _capi.image_p()
        assert lib.lk_archive_image(h, 99, ctypes.byref(out)) == -1 and not out
        assert lib.lk_image_strings(img, 99, ctypes.byref(ctypes.c_size_t()),
                                    ctypes.byref(ctypes.POINTER(ctypes.c_char_p)())) == -1


def test_struct_size_field(samples, samples_expected):
    """layerkit.h: a size this library does not know fails with LK_EINVAL; an
    older, shorter struct is filled up to its size only."""
    exp = samples_expected["base.docker-archive.tar"]
    lib = _capi.lib
    with layerkit.Archive(samples / exp["file"]) as a:
        img = a.images[0]._ptr
        for size in (0, 4, ctypes.sizeof(_capi.lk_image_info) + 8):
            info = _capi.lk_image_info()
            info.size = size
            assert lib.lk_image_get_info(img, ctypes.byref(info)) == -1, size
            assert lib.lk_last_error()
        # A caller that knows only the fields up to `created`.
        info = _capi.lk_image_info()
        info.size = _capi.lk_image_info.created.offset + ctypes.sizeof(ctypes.c_char_p)
        assert lib.lk_image_get_info(img, ctypes.byref(info)) == 0
        assert info.id.decode() == exp["id"]
        assert info.created is not None
        assert info.author is None and info.os is None and info.layer_count == 0  # untouched
        # lk_open_options without limits and progress (an older caller).
        opts = _capi.lk_open_options()
        opts.size = _capi.lk_open_options.limits.offset
        out = _capi.archive_p()
        assert lib.lk_archive_open(str(samples / exp["file"]).encode(), ctypes.byref(opts), ctypes.byref(out)) == 0
        lib.lk_archive_free(out)
        opts.size = ctypes.sizeof(_capi.lk_open_options) + 8
        assert lib.lk_archive_open(str(samples / exp["file"]).encode(), ctypes.byref(opts), ctypes.byref(out)) == -1
        assert not out
        vo = _capi.lk_verify_options()
        vo.size = ctypes.sizeof(vo) + 8
        rep = _capi.verify_report_p()
        assert lib.lk_verify(a._handle, ctypes.byref(vo), ctypes.byref(rep)) == -1 and not rep


def test_error_messages_are_per_thread(tmp_path):
    """layerkit.h: lk_last_error() is per thread; threads failing at once keep their own message."""
    import threading
    mixups = []

    def fail_often(k):
        path = tmp_path / ("absent-%d.tar" % k)
        for _ in range(200):
            try:
                layerkit.Archive(path)
            except layerkit.NotFoundError as e:
                if path.name not in e.message:
                    mixups.append((k, e.message))
    threads = [threading.Thread(target=fail_often, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not mixups
