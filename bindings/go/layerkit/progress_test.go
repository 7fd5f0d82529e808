package layerkit_test

// Progress callbacks: called (possibly from C worker threads), cancel with
// ErrCancelled, panics recovered on the C side and re-raised after C returns,
// and archives usable from several goroutines.

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"layerkit.invalid/go/layerkit"
)

// recorder is a ProgressFunc that keeps what it was told. The C library
// never calls it from two threads at once; the binding's lock makes that
// visible to the race detector.
type recorder struct {
	calls       int
	done, total uint64
	stopAfter   int // cancel on this call (0 = never)
}

func (r *recorder) fn(done, total uint64) bool {
	r.calls++
	r.done, r.total = done, total
	return r.stopAfter == 0 || r.calls < r.stopAfter
}

func blobBytes(s sampleImage) (n uint64) {
	for _, l := range s.Layers {
		n += uint64(l.Bytes)
	}
	return n
}

func TestVerifyProgressAndCancel(t *testing.T) {
	s := sampleByFile(t, "app.docker-archive.tar")
	a := openT(t, filepath.Join(samplesDir(t), s.File), nil)
	for _, threads := range []int{1, 4} {
		rec := &recorder{}
		r, err := a.Verify(layerkit.VerifyOptions{Threads: threads, Progress: rec.fn})
		if err != nil || !r.OK {
			t.Fatalf("threads %d: %v, %+v", threads, err, r)
		}
		// Every layer blob read once: the total is their stored bytes (expected.json).
		if rec.calls == 0 || rec.total != blobBytes(s) || rec.done != rec.total {
			t.Errorf("threads %d: %d calls, last %d/%d; want done = total = %d", threads, rec.calls, rec.done, rec.total, blobBytes(s))
		}
		rec = &recorder{stopAfter: 1}
		_, err = a.Verify(layerkit.VerifyOptions{Threads: threads, Progress: rec.fn})
		wantErr(t, "verify cancelled", err, layerkit.ErrCancelled)
		if rec.calls != 1 {
			t.Errorf("threads %d: called %d times after cancelling", threads, rec.calls)
		}
	}
	// Usable after a cancel.
	if r, err := a.Verify(layerkit.VerifyOptions{}); err != nil || !r.OK {
		t.Errorf("verify after cancel: %v", err)
	}
}

func TestHistoryProgressAndCancel(t *testing.T) {
	s := sampleByFile(t, "app.oci-archive.tar")
	a := openT(t, filepath.Join(samplesDir(t), s.File), nil)
	img := a.Images()[0]
	rec := &recorder{}
	rows, err := a.History(img, true, rec.fn)
	if err != nil || len(rows) != s.HistoryCount {
		t.Fatalf("%d rows, %v", len(rows), err)
	}
	if rec.calls == 0 {
		t.Fatal("History never called progress")
	}
	rec = &recorder{stopAfter: 1}
	_, err = a.History(img, true, rec.fn)
	wantErr(t, "history cancelled", err, layerkit.ErrCancelled)
}

func TestDedupCancel(t *testing.T) {
	var inputs []layerkit.DedupInput
	for _, f := range []string{"base.docker-archive.tar", "runtime.docker-archive.tar", "app.docker-archive.tar"} {
		a := openT(t, filepath.Join(samplesDir(t), f), nil)
		inputs = append(inputs, layerkit.DedupInput{Archive: a, Image: a.Images()[0]})
	}
	rec := &recorder{stopAfter: 1}
	_, err := layerkit.Dedup(inputs, 4, rec.fn)
	wantErr(t, "dedup cancelled", err, layerkit.ErrCancelled)
	if _, err := layerkit.Dedup(inputs, 4, nil); err != nil {
		t.Errorf("dedup after cancel: %v", err)
	}
}

func TestOpenProgressOnCompressedArchive(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(samplesDir(t), "app.docker-archive.tar"))
	if err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(data)
	zw.Close()
	path := filepath.Join(t.TempDir(), "app.docker-archive.tar.gz")
	if err := os.WriteFile(path, gz.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	a := openT(t, path, &layerkit.OpenOptions{Progress: rec.fn})
	if len(a.Images()) != 1 {
		t.Fatalf("%d images", len(a.Images()))
	}
	if rec.calls == 0 || rec.done != uint64(gz.Len()) {
		t.Errorf("%d calls, last %d/%d; want done = %d (the file's bytes)", rec.calls, rec.done, rec.total, gz.Len())
	}
	rec = &recorder{stopAfter: 1}
	_, err = layerkit.Open(path, &layerkit.OpenOptions{Progress: rec.fn})
	wantErr(t, "open cancelled", err, layerkit.ErrCancelled)
}

type boom struct{ n int }

func TestCallbackPanicIsRaisedAfterC(t *testing.T) {
	a := openT(t, filepath.Join(samplesDir(t), "app.docker-archive.tar"), nil)
	for _, threads := range []int{1, 4} {
		calls := 0
		func() {
			defer func() {
				r := recover()
				if b, ok := r.(*boom); !ok || b.n != 42 {
					t.Errorf("threads %d: recovered %#v, want the callback's *boom", threads, r)
				}
			}()
			a.Verify(layerkit.VerifyOptions{Threads: threads, Progress: func(done, total uint64) bool {
				calls++
				panic(&boom{42})
			}})
			t.Errorf("threads %d: Verify returned instead of panicking", threads)
		}()
		if calls != 1 {
			t.Errorf("threads %d: callback called %d times; the panic must cancel", threads, calls)
		}
	}
	// The archive was unlocked and its report freed while the panic unwound.
	if r, err := a.Verify(layerkit.VerifyOptions{}); err != nil || !r.OK {
		t.Errorf("verify after a panic: %v", err)
	}
	func() {
		defer func() {
			if r := recover(); r != "history boom" {
				t.Errorf("History: recovered %#v", r)
			}
		}()
		a.History(a.Images()[0], true, func(done, total uint64) bool { panic("history boom") })
	}()
	func() {
		defer func() {
			if r := recover(); r != "dedup boom" {
				t.Errorf("Dedup: recovered %#v", r)
			}
		}()
		layerkit.Dedup([]layerkit.DedupInput{{Archive: a, Image: a.Images()[0]}}, 2,
			func(done, total uint64) bool { panic("dedup boom") })
	}()
	if _, err := a.Layers(a.Images()[0], true); err != nil {
		t.Errorf("Layers after panics: %v", err)
	}
}

// Several goroutines on one archive (serialized by the binding) and on
// separate archives (concurrent in C), with callbacks from C worker threads.
func TestConcurrentUse(t *testing.T) {
	s := sampleByFile(t, "app.docker-archive.tar")
	path := filepath.Join(samplesDir(t), s.File)
	shared := openT(t, path, nil)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			a := shared
			if g%2 == 1 {
				own, err := layerkit.Open(path, nil)
				if err != nil {
					errs <- err
					return
				}
				defer own.Close()
				a = own
			}
			for i := 0; i < 5; i++ {
				rec := &recorder{}
				r, err := a.Verify(layerkit.VerifyOptions{Threads: 3, Progress: rec.fn})
				if err != nil {
					errs <- err
					return
				}
				if !r.OK || rec.done != blobBytes(s) {
					t.Errorf("goroutine %d: OK %v, progress %d/%d", g, r.OK, rec.done, rec.total)
				}
				rows, err := a.History(a.Images()[0], false, nil)
				if err != nil || len(rows) != s.HistoryCount {
					t.Errorf("goroutine %d: %d rows, %v", g, len(rows), err)
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// Archives dropped without Close are freed by the finalizer; nothing crashes.
func TestFinalizer(t *testing.T) {
	path := filepath.Join(samplesDir(t), "base.docker-archive.tar")
	var keep []*layerkit.Image
	for i := 0; i < 50; i++ {
		a, err := layerkit.Open(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		keep = append(keep, a.Images()[0]) // an Image outlives its Archive value
	}
	runtime.GC()
	runtime.GC()
	for _, img := range keep {
		if img.ID == "" || len(img.DiffIDs) != 2 {
			t.Fatalf("image copy damaged: %+v", img)
		}
	}
}
