package layerkit

// This file holds the //export functions of the package; its preamble must hold
// declarations only (cgo copies it into the generated export file).

/*
#include <stddef.h>
#include <stdint.h>
*/
import "C"

import (
	"sync"
)

// ProgressFunc receives the bytes done and the bytes expected in total (0
// when unknown). Return true to continue, false to cancel: the call then
// fails with an error wrapping ErrCancelled. It may run on a C worker thread,
// never on two threads at once.
type ProgressFunc func(done, total uint64) bool

// progress is one registered callback (a ProgressFunc, and for Store.Load
// an event callback too). C sees only its integer handle.
type progress struct {
	fn        ProgressFunc    // may be nil when onEvent is set
	onEvent   func(LoadEvent) // Store.Load events; nil otherwise
	handle    uintptr
	mu        sync.Mutex // callbacks come from C threads; guards the fields below
	cancelled bool
	panicked  bool
	panicVal  interface{}
}

// The handle table: C's user_data is a key of it, never a Go pointer.
var progressTable = struct {
	sync.Mutex
	next uintptr
	m    map[uintptr]*progress
}{m: map[uintptr]*progress{}}

// newProgress registers fn and returns its entry; nil (handle 0: no
// callback) when fn is nil. Pair with release.
func newProgress(fn ProgressFunc) *progress {
	return newCallbacks(fn, nil)
}

// newCallbacks registers a progress callback and an event callback under one
// handle, so that a panic in either cancels at the next progress call; nil
// when both are nil.
func newCallbacks(fn ProgressFunc, onEvent func(LoadEvent)) *progress {
	if fn == nil && onEvent == nil {
		return nil
	}
	p := &progress{fn: fn, onEvent: onEvent}
	progressTable.Lock()
	defer progressTable.Unlock()
	for {
		progressTable.next++
		if progressTable.next == 0 {
			continue // 0 means "no callback"
		}
		if _, used := progressTable.m[progressTable.next]; !used {
			break
		}
	}
	p.handle = progressTable.next
	progressTable.m[p.handle] = p
	return p
}

// cHandle is the user_data value handed to C (0 for no callback).
func (p *progress) cHandle() C.uintptr_t {
	if p == nil {
		return 0
	}
	return C.uintptr_t(p.handle)
}

// release removes the entry from the table. The C call using it has returned.
func (p *progress) release() {
	if p == nil {
		return
	}
	progressTable.Lock()
	delete(progressTable.m, p.handle)
	progressTable.Unlock()
}

// panicked reports whether the callback panicked during the C call.
func (p *progress) didPanic() bool {
	if p == nil {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.panicked
}

// wasCancelled reports whether the callback asked to stop (returned false
// or panicked) during the C call.
func (p *progress) wasCancelled() bool {
	if p == nil {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cancelled
}

// repanic re-raises, on the caller's goroutine, a panic the callback raised
// on the C side. Call it after the C call has returned and its results are
// freed.
func (p *progress) repanic() {
	if p == nil {
		return
	}
	p.mu.Lock()
	panicked, v := p.panicked, p.panicVal
	p.mu.Unlock()
	if panicked {
		panic(v)
	}
}

func lookupProgress(h uintptr) *progress {
	progressTable.Lock()
	defer progressTable.Unlock()
	return progressTable.m[h]
}

// layerkitGoProgress is the Go side of the C trampoline lkgo_progress
// (lk_progress_fn). It returns 0 to continue, 1 to cancel. A panic in the
// user's callback is recovered here, so that it never unwinds through C
// frames; the call is cancelled and the panic re-raised by repanic.
//
//export layerkitGoProgress
func layerkitGoProgress(done, total C.uint64_t, handle C.uintptr_t) C.int {
	p := lookupProgress(uintptr(handle))
	if p == nil {
		return 1 // unknown handle: stop rather than guess
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cancelled {
		return 1
	}
	if p.fn == nil {
		return 0 // registered for its events only
	}
	goOn := false
	if !p.run(func() { goOn = p.fn(uint64(done), uint64(total)) }) || !goOn {
		p.cancelled = true
		return 1
	}
	return 0
}

// run calls f (a user callback; p.mu held) and reports whether it returned.
// A panic in f (possibly with a nil value) stops here, as it must not unwind
// through C frames: it is kept for repanic and cancels the call.
func (p *progress) run(f func()) (returned bool) {
	defer func() {
		if returned {
			return
		}
		p.panicVal = recover()
		p.panicked = true
		p.cancelled = true
	}()
	f()
	return true
}

// layerkitGoStoreEvent is the Go side of the C trampoline lkgo_store_event
// (lk_store_event_fn), called on the thread of the lk_store_load call. The
// strings are borrowed for the duration of the call: they are copied first.
// A panic in the user's callback is recovered here (it must not unwind
// through C frames): later events are dropped, the next progress call
// cancels the load, and repanic re-raises the panic after the call.
//
//export layerkitGoStoreEvent
func layerkitGoStoreEvent(kind C.int, image *C.char, layer C.size_t, diffID, digest *C.char,
	bytes C.uint64_t, id *C.char, handle C.uintptr_t) {
	p := lookupProgress(uintptr(handle))
	if p == nil || p.onEvent == nil {
		return
	}
	ev := LoadEvent{
		Kind:   LoadEventKind(kind),
		Image:  C.GoString(image),
		Layer:  int(layer),
		DiffID: C.GoString(diffID),
		Digest: C.GoString(digest),
		Bytes:  uint64(bytes),
		ID:     C.GoString(id),
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.panicked {
		return
	}
	p.run(func() { p.onEvent(ev) })
}
