"""layerkit: read container image archives -- docker save tars, OCI layouts,
skopeo dir: -- verify their digests, print docker-style history and find the
layers images share. A ctypes binding over layerkit's stable C ABI
(liblayerkit.so.0); standard library only.

    import layerkit

    with layerkit.Archive("app.tar") as a:
        for image in a.images:
            print(image.references, image.id)
            for row in image.history():
                print(row.id[:19], row.content_bytes, row.created_by[:60])
        report = a.verify()
        print("ok" if report.ok else report.problems)

See README.md beside this package for how the shared library is found.
"""
from ._capi import SUPPORTED_MAJOR, Status, StringList, library_path, version, version_number
from .archive import (LIMIT_FIELDS, MATCH_HISTORY_WITHOUT_LAYER, MATCH_LAYER_WITHOUT_HISTORY, MATCH_OK, Archive,
                      DedupImage, DedupLayer, DedupResult, DedupTotals, Entry, HistoryRow, Image, ImageInfo, Layer,
                      VerifyReport, dedup, default_limits)
from .store import Store
from .store import default_path as default_store_path
from .errors import (ERRORS, AmbiguousError, BadDigestError, CancelledError, CountMismatchError, DigestMismatchError,
                     FormatError, InternalError, InvalidArgumentError, InvalidDigestError, LayerkitError,
                     LimitExceededError, MalformedError, NotFoundError, OutOfMemoryError, ReadError,
                     SizeMismatchError, TruncatedError, UnsafePathError, UnsupportedError, status_name)

__version__ = "0.1.0"  # the binding's own version; the library's is `version`

__all__ = [
    # library
    "version", "version_number", "library_path", "SUPPORTED_MAJOR", "Status", "StringList", "status_name",
    # API
    "Archive", "Image", "ImageInfo", "Layer", "Entry", "HistoryRow", "VerifyReport", "DedupResult", "DedupImage",
    "DedupLayer", "DedupTotals", "dedup", "default_limits", "LIMIT_FIELDS", "MATCH_OK",
    "MATCH_HISTORY_WITHOUT_LAYER", "MATCH_LAYER_WITHOUT_HISTORY", "Store", "default_store_path",
    # errors
    "ERRORS", "LayerkitError", "InvalidArgumentError", "ReadError", "NotFoundError", "FormatError", "TruncatedError",
    "DigestMismatchError", "SizeMismatchError", "CountMismatchError", "LimitExceededError", "UnsupportedError",
    "InternalError", "CancelledError", "MalformedError", "InvalidDigestError", "BadDigestError", "UnsafePathError",
    "AmbiguousError", "OutOfMemoryError",
]
