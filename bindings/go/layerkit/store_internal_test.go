package layerkit

import (
	"path/filepath"
	"runtime"
	"testing"
)

// Store calls leave the callback table empty too, whether they finished,
// were cancelled, or their OnEvent or progress callback panicked; an event
// for an unknown handle is dropped.
func TestStoreCallbacksLeaveTheTable(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	samples := filepath.Join(filepath.Dir(file), "..", "..", "..", "samples")
	s, err := OpenStore(filepath.Join(t.TempDir(), "store"), true)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	base := filepath.Join(samples, "base.docker-archive.tar")
	events := 0
	if _, err := s.Load(base, &LoadOptions{OnEvent: func(LoadEvent) { events++ }}); err != nil || events != 3 {
		t.Fatalf("load: %v, %d events", err, events)
	}
	s.Load(base, &LoadOptions{Progress: func(d, t uint64) bool { return false }, OnEvent: func(LoadEvent) {}})
	func() {
		defer func() { recover() }()
		s.Load(base, &LoadOptions{OnEvent: func(LoadEvent) { panic("x") }})
	}()
	func() {
		defer func() { recover() }()
		s.Verify(1, func(d, t uint64) bool { panic("y") })
	}()
	s.Verify(1, func(d, t uint64) bool { return false })
	if n := progressEntries(); n != 0 {
		t.Errorf("%d callbacks left in the table", n)
	}
	layerkitGoStoreEvent(0, nil, 0, nil, nil, 0, nil, 1<<40) // must not crash
}
