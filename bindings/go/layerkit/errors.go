package layerkit

/*
#cgo pkg-config: layerkit
#include <layerkit/layerkit.h>
*/
import "C"

import (
	"fmt"
	"runtime"
	"strings"
)

// Status is an lk_status code of the C ABI. Codes are stable: never
// renumbered, never reused. A negative Status is an error; it implements the
// error interface, so the Err* variables below can be used with errors.Is.
type Status int

// The statuses of layerkit.h, by their C names.
const (
	StatusOK             Status = C.LK_OK
	StatusDone           Status = C.LK_DONE // not an error: an iterator is exhausted
	StatusInvalid        Status = C.LK_EINVAL
	StatusIO             Status = C.LK_EIO
	StatusNotFound       Status = C.LK_ENOTFOUND
	StatusFormat         Status = C.LK_EFORMAT
	StatusTruncated      Status = C.LK_ETRUNCATED
	StatusDigestMismatch Status = C.LK_EDIGEST
	StatusSize           Status = C.LK_ESIZE
	StatusCount          Status = C.LK_ECOUNT
	StatusLimit          Status = C.LK_ELIMIT
	StatusUnsupported    Status = C.LK_EUNSUPPORTED
	StatusInternal       Status = C.LK_EINTERNAL
	StatusCancelled      Status = C.LK_ECANCELLED
	StatusMalformed      Status = C.LK_EMALFORMED
	StatusBadDigest      Status = C.LK_EBADDIGEST
	StatusUnsafePath     Status = C.LK_EUNSAFEPATH
	StatusAmbiguous      Status = C.LK_EAMBIGUOUS
	StatusNoMem          Status = C.LK_ENOMEM
)

// Sentinel errors, one per failure status. Every error this package returns
// wraps exactly one of them: test with errors.Is(err, layerkit.ErrTruncated).
var (
	ErrInvalid        error = StatusInvalid        // a bad argument: closed archive, foreign image, unknown ref syntax
	ErrIO             error = StatusIO             // the operating system refused a read
	ErrNotFound       error = StatusNotFound       // a path, member, blob or image that must exist is absent
	ErrFormat         error = StatusFormat         // not an archive or layout layerkit knows
	ErrTruncated      error = StatusTruncated      // a tar, compressed stream or member ends early
	ErrDigestMismatch error = StatusDigestMismatch // content does not hash to the digest naming it
	ErrSize           error = StatusSize           // content length differs from its descriptor's size
	ErrCount          error = StatusCount          // layers, diff_ids and history entries disagree
	ErrLimit          error = StatusLimit          // a Limits bound was exceeded
	ErrUnsupported    error = StatusUnsupported    // well-formed input using a feature layerkit lacks
	ErrInternal       error = StatusInternal       // a bug in layerkit
	ErrCancelled      error = StatusCancelled      // a progress callback asked to stop
	ErrMalformed      error = StatusMalformed      // invalid JSON or tar structure, or a field of the wrong type
	ErrBadDigest      error = StatusBadDigest      // a digest string violating the OCI digest grammar
	ErrUnsafePath     error = StatusUnsafePath     // a member path leaving the archive, or a link loop
	ErrAmbiguous      error = StatusAmbiguous      // a choice (platform, image) matches several candidates
	ErrNoMem          error = StatusNoMem          // out of memory
)

// String returns the C library's stable lower-case name of the status, e.g.
// "digest_mismatch" (lk_status_name).
func (s Status) String() string {
	return C.GoString(C.lk_status_name(C.lk_status(s)))
}

// Error makes a Status usable as a sentinel error value.
func (s Status) Error() string { return "layerkit: " + s.String() }

// Error is the error every failing call returns: the status, the operation
// that failed, and the C library's message naming what is wrong and why.
type Error struct {
	Status  Status // the lk_status code; errors.Is(err, Status) matches it
	Op      string // the Go operation, e.g. "open base.tar" or "verify"
	Message string // lk_last_error() of the failing C call ("" if it gave none)
}

func (e *Error) Error() string {
	msg := e.Message
	if msg == "" {
		msg = e.Status.String()
	}
	s := "layerkit: "
	if e.Op != "" {
		s += e.Op + ": "
	}
	return s + msg + " [" + e.Status.String() + "]"
}

// Unwrap returns the Status, so that errors.Is(err, ErrX) works.
func (e *Error) Unwrap() error { return e.Status }

// newError is a failure detected on the Go side (no C message to read).
func newError(op string, s Status, msg string) *Error {
	return &Error{Status: s, Op: op, Message: msg}
}

// noNUL refuses strings that C would cut at a NUL byte (a path or reference
// meaning something else than the caller wrote), as Python's ctypes does.
func noNUL(op string, strs ...string) error {
	for _, s := range strs {
		if strings.IndexByte(s, 0) >= 0 {
			return newError(op, StatusInvalid, fmt.Sprintf("%q contains a NUL byte", s))
		}
	}
	return nil
}

// call runs one C call on a locked OS thread and, when it fails, reads
// lk_last_error() on that same thread (the message is per thread and only
// valid until the next lk_ call there). Non-negative statuses (LK_OK,
// LK_DONE) are returned with a nil error.
func call(op string, f func() C.lk_status) (Status, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	st := Status(f())
	if st < 0 {
		return st, &Error{Status: st, Op: op, Message: C.GoString(C.lk_last_error())}
	}
	return st, nil
}
