"""One exception class per lk_status failure code.

Every failure of a layerkit call raises a subclass of LayerkitError carrying

* ``status``  -- the lk_status code (a negative int, see ``layerkit.Status``);
* ``name``    -- its stable name from lk_status_name(), e.g. "digest_mismatch";
* ``message`` -- lk_last_error(): what is wrong (a member, a field, a layer) and why.

Some classes also derive from the matching built-in exception
(InvalidArgumentError is a ValueError, NotFoundError a LookupError,
OutOfMemoryError a MemoryError) so generic handlers keep working.
"""
from . import _capi
from ._capi import Status


class LayerkitError(Exception):
    """A layerkit call failed. Base of every exception below."""
    status = None

    def __init__(self, status, message, name=None):
        self.status = int(status)
        self.name = name if name is not None else status_name(status)
        self.message = message
        super().__init__("%s [%s]" % (message, self.name) if message else self.name)

    def __reduce__(self):
        return (self.__class__, (self.status, self.message, self.name))


class InvalidArgumentError(LayerkitError, ValueError):
    """LK_EINVAL: a bad argument: NULL pointer, bad options size, unknown image ref."""


class ReadError(LayerkitError):
    """LK_EIO: the operating system refused a read."""


class NotFoundError(LayerkitError, LookupError):
    """LK_ENOTFOUND: a path, member, blob or image that must exist is absent."""


class FormatError(LayerkitError):
    """LK_EFORMAT: not an archive or layout layerkit knows."""


class TruncatedError(LayerkitError):
    """LK_ETRUNCATED: a tar, compressed stream or member ends early."""


class DigestMismatchError(LayerkitError):
    """LK_EDIGEST: content does not hash to the digest naming it."""


class SizeMismatchError(LayerkitError):
    """LK_ESIZE: content length differs from its descriptor's size."""


class CountMismatchError(LayerkitError):
    """LK_ECOUNT: layers, diff_ids and history entries disagree."""


class LimitExceededError(LayerkitError):
    """LK_ELIMIT: an lk_limits bound was exceeded."""


class UnsupportedError(LayerkitError):
    """LK_EUNSUPPORTED: well-formed input using a feature layerkit lacks."""


class InternalError(LayerkitError):
    """LK_EINTERNAL: a bug in layerkit."""


class CancelledError(LayerkitError):
    """LK_ECANCELLED: a progress callback asked to stop."""


class MalformedError(LayerkitError):
    """LK_EMALFORMED: invalid JSON or tar structure, or a field of the wrong type."""


class InvalidDigestError(LayerkitError):
    """LK_EBADDIGEST: a digest string violating the OCI digest grammar."""


class UnsafePathError(LayerkitError):
    """LK_EUNSAFEPATH: a member path leaving the archive, or a link loop."""


class AmbiguousError(LayerkitError):
    """LK_EAMBIGUOUS: a choice (platform, image) matches several candidates."""


class OutOfMemoryError(LayerkitError, MemoryError):
    """LK_ENOMEM: out of memory."""


BadDigestError = InvalidDigestError  # the header's name for the code (LK_EBADDIGEST)

ERRORS = {
    Status.EINVAL: InvalidArgumentError,
    Status.EIO: ReadError,
    Status.ENOTFOUND: NotFoundError,
    Status.EFORMAT: FormatError,
    Status.ETRUNCATED: TruncatedError,
    Status.EDIGEST: DigestMismatchError,
    Status.ESIZE: SizeMismatchError,
    Status.ECOUNT: CountMismatchError,
    Status.ELIMIT: LimitExceededError,
    Status.EUNSUPPORTED: UnsupportedError,
    Status.EINTERNAL: InternalError,
    Status.ECANCELLED: CancelledError,
    Status.EMALFORMED: MalformedError,
    Status.EBADDIGEST: InvalidDigestError,
    Status.EUNSAFEPATH: UnsafePathError,
    Status.EAMBIGUOUS: AmbiguousError,
    Status.ENOMEM: OutOfMemoryError,
}

for _status, _cls in ERRORS.items():
    _cls.status = int(_status)
del _status, _cls


def status_name(status):
    """lk_status_name(): "ok", "digest_mismatch", ... ("unknown" for a code this library lacks)."""
    return _capi.lib.lk_status_name(int(status)).decode("ascii", "replace")


def error_from_status(status):
    """The exception for a failed call, its message taken from lk_last_error().
    Call it right after the failing call, on the same thread: the message is
    valid only until the next layerkit call there."""
    message = _capi.lib.lk_last_error().decode("utf-8", "replace")  # first: any lk_ call may replace it
    cls = ERRORS.get(status, LayerkitError)
    return cls(status, message, status_name(status))


def check(status):
    """Raises the matching exception unless `status` is LK_OK or LK_DONE; returns it."""
    if status < 0:
        raise error_from_status(status)
    return status
