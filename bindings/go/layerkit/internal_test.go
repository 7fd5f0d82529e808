package layerkit

import (
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

func progressEntries() int {
	progressTable.Lock()
	defer progressTable.Unlock()
	return len(progressTable.m)
}

// Every registered callback leaves the handle table when its call returns,
// whether it finished, was cancelled or panicked.
func TestProgressTableEmptiesAfterCalls(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	path := filepath.Join(filepath.Dir(file), "..", "..", "..", "samples", "app.docker-archive.tar")
	a, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	a.Verify(VerifyOptions{Progress: func(d, t uint64) bool { return true }})
	a.Verify(VerifyOptions{Progress: func(d, t uint64) bool { return false }})
	func() {
		defer func() { recover() }()
		a.Verify(VerifyOptions{Progress: func(d, t uint64) bool { panic("x") }})
	}()
	if n := progressEntries(); n != 0 {
		t.Errorf("%d callbacks left in the table", n)
	}
	// An unknown handle cancels rather than calling anything.
	if layerkitGoProgress(1, 2, 1<<40) != 1 {
		t.Errorf("unknown handle did not cancel")
	}
}

// The finalizer frees the C archive once no Archive or Image refers to it.
func TestFinalizerFreesHandle(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	path := filepath.Join(filepath.Dir(file), "..", "..", "..", "samples", "base.docker-archive.tar")
	freed := make(chan struct{})
	func() {
		a, err := Open(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		h := a.h
		// Replace the real finalizer by one that also reports.
		runtime.SetFinalizer(h, nil)
		runtime.SetFinalizer(h, func(h *archiveHandle) {
			h.free()
			close(freed)
		})
	}()
	deadline := time.After(5 * time.Second)
	for {
		runtime.GC()
		select {
		case <-freed:
			return
		case <-deadline:
			t.Fatal("the archive handle was never finalized")
		case <-time.After(10 * time.Millisecond):
		}
	}
}
