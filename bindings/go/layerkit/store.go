package layerkit

/*
#cgo pkg-config: layerkit
#include <stdint.h>
#include <stdlib.h>
#include <layerkit/layerkit.h>

// Defined in progress.go (//export). The parameter types are the ones cgo
// writes into _cgo_export.h (char *, not const char *).
extern int layerkitGoProgress(uint64_t done, uint64_t total, uintptr_t handle);
extern void layerkitGoStoreEvent(int kind, char *image, size_t layer, char *diff_id, char *digest,
                                 uint64_t bytes, char *id, uintptr_t handle);

// The lk_progress_fn and lk_store_event_fn handed to C. user_data is an
// integer handle into the Go callback table, never a Go pointer.
static int lkgo_store_progress(uint64_t done, uint64_t total, void *user_data) {
	return layerkitGoProgress(done, total, (uintptr_t)user_data);
}

static void lkgo_store_event(const lk_store_event *e, void *user_data) {
	layerkitGoStoreEvent(e->kind, (char *)e->image, e->layer, (char *)e->diff_id, (char *)e->digest,
	                     e->bytes, (char *)e->id, (uintptr_t)user_data);
}

// The option structs are built here, on the C stack, so that Go memory never
// holds a handle cast to a pointer.
static lk_status lkgo_store_load(lk_store *s, const char *archive, const char *image, int has_open,
                                 const char *platform, int platform_explicit, const lk_limits *limits,
                                 uintptr_t open_h, uintptr_t h, int events, char **report) {
	lk_open_options oo;
	lk_store_load_options o;
	lk_store_load_options_init(&o);
	o.image = image;
	if (has_open) {
		lk_status st = lk_open_options_init(&oo, sizeof oo);
		if (st != LK_OK) return st;
		oo.platform = platform;
		oo.platform_explicit = platform_explicit;
		if (limits) {
			oo.limits = *limits;
			oo.limits.size = sizeof oo.limits;
		}
		if (open_h) {
			oo.progress = lkgo_store_progress;
			oo.progress_data = (void *)open_h;
		}
		o.open = &oo;
	}
	if (h) {
		o.progress = lkgo_store_progress;
		o.progress_data = (void *)h;
		if (events) {
			o.on_event = lkgo_store_event;
			o.event_data = (void *)h;
		}
	}
	return lk_store_load(s, archive, &o, report);
}

static lk_status lkgo_store_save(const lk_store *s, const char *const *refs, size_t n, const char *output,
                                 int format, const char *missing_from, uintptr_t h, char **report) {
	lk_store_save_options o;
	lk_store_save_options_init(&o);
	o.format = format;
	o.missing_from = missing_from;
	if (h) {
		o.progress = lkgo_store_progress;
		o.progress_data = (void *)h;
	}
	return lk_store_save(s, refs, n, output, &o, report);
}

static lk_status lkgo_store_verify(const lk_store *s, unsigned threads, uintptr_t h, int *ok, char **report) {
	return lk_store_verify(s, threads, h ? lkgo_store_progress : NULL, (void *)h, ok, report);
}

// A C array of n C strings (C memory, so C never holds Go memory).
static char **lkgo_strings_new(size_t n) { return (char **)calloc(n ? n : 1, sizeof(char *)); }
static void lkgo_strings_set(char **a, size_t i, char *s) { a[i] = s; }
static void lkgo_strings_free(char **a, size_t n) {
	if (!a) return;
	for (size_t i = 0; i < n; i++) free(a[i]);
	free(a);
}
*/
import "C"

import (
	"encoding/json"
	"math"
	"runtime"
	"strings"
	"sync"
	"unsafe"
)

// ---------------------------------------------------------------------------
// Store

// storeHandle owns the C store; separate from Store for the finalizer.
type storeHandle struct {
	mu sync.Mutex // the C library allows one thread per handle at a time
	c  *C.lk_store
}

func (h *storeHandle) free() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.c != nil {
		C.lk_store_free(h.c)
		h.c = nil
	}
}

// Store is a content-addressable image store: an OCI image layout directory
// (oci-layout, index.json, blobs/sha256/...) that keeps each blob once.
// Loads write only the blobs the store lacks, verifying each digest while
// copying. Reports are the JSON documents `layerkit store ... --json` prints.
//
// A Store is safe for concurrent use: its calls are serialized. Separate
// Store values (even on one directory) run concurrently; the library's file
// lock serializes their writes.
type Store struct {
	h    *storeHandle
	path string
}

// DefaultStorePath is $XDG_DATA_HOME/layerkit/store, else
// ~/.local/share/layerkit/store.
func DefaultStorePath() (string, error) {
	var p *C.char
	if _, err := call("default store path", func() C.lk_status { return C.lk_store_default_path(&p) }); err != nil {
		return "", err
	}
	defer C.lk_string_free(p)
	return C.GoString(p), nil
}

// OpenStore opens the store in directory dir. With create, an absent or empty
// dir is accepted: the first load that commits creates the store, and until
// then it reads as empty (Remove finds no image, GC and Verify find nothing
// wrong). Errors wrap ErrNotFound (absent and !create), ErrIO
// (cannot read or write), ErrFormat (not a store or OCI layout),
// ErrMalformed (a damaged index.json) or ErrInvalid.
func OpenStore(dir string, create bool) (*Store, error) {
	op := "open store " + dir
	if err := noNUL(op, dir); err != nil {
		return nil, err
	}
	cdir := C.CString(dir)
	defer C.free(unsafe.Pointer(cdir))
	cc := C.int(0)
	if create {
		cc = 1
	}
	var cs *C.lk_store
	if _, err := call(op, func() C.lk_status { return C.lk_store_open(cdir, cc, &cs) }); err != nil {
		if e, ok := err.(*Error); ok && strings.Contains(e.Message, dir) {
			e.Op = "open store"
		}
		return nil, err
	}
	h := &storeHandle{c: cs}
	runtime.SetFinalizer(h, (*storeHandle).free)
	return &Store{h: h, path: C.GoString(C.lk_store_path(cs))}, nil
}

// Close releases the C store. Close is idempotent and always returns nil;
// methods called afterwards fail with ErrInvalid.
func (s *Store) Close() error {
	if s == nil || s.h == nil {
		return nil
	}
	s.h.free()
	runtime.SetFinalizer(s.h, nil)
	return nil
}

// Path is the store's directory (lk_store_path).
func (s *Store) Path() string { return s.path }

// acquire locks the store for one C call sequence; release with s.h.mu.Unlock.
func (s *Store) acquire(op string) (*C.lk_store, error) {
	if s == nil || s.h == nil {
		return nil, newError(op, StatusInvalid, "nil store")
	}
	s.h.mu.Lock()
	if s.h.c == nil {
		s.h.mu.Unlock()
		return nil, newError(op, StatusInvalid, "store is closed")
	}
	return s.h.c, nil
}

// takeString copies an owned C string into Go memory and frees it.
func takeString(p *C.char) string {
	defer C.lk_string_free(p) // NULL-safe
	return C.GoString(p)
}

// HasBlob reports whether the store holds the blob named by digest
// ("sha256:" + 64 hex). A digest violating the OCI grammar (e.g.
// "sha256:../../x") fails with ErrBadDigest.
func (s *Store) HasBlob(digest string) (bool, error) {
	op := "has blob " + digest
	if err := noNUL(op, digest); err != nil {
		return false, err
	}
	c, err := s.acquire(op)
	if err != nil {
		return false, err
	}
	defer s.h.mu.Unlock()
	cd := C.CString(digest)
	defer C.free(unsafe.Pointer(cd))
	var present C.int
	if _, err := call(op, func() C.lk_status { return C.lk_store_has_blob(c, cd, &present) }); err != nil {
		return false, err
	}
	runtime.KeepAlive(s.h)
	return present != 0, nil
}

// LoadEventKind is what a LoadEvent reports.
type LoadEventKind int

const (
	EventLoading LoadEventKind = 0 // a layer blob the store lacks is being copied and verified ("Loading layer")
	EventExists  LoadEventKind = 1 // the store already has this layer blob ("Already exists")
	EventLoaded  LoadEventKind = 2 // an image and its references are committed ("Loaded image")
)

// String is "loading", "exists" or "loaded".
func (k LoadEventKind) String() string {
	switch k {
	case EventLoading:
		return "loading"
	case EventExists:
		return "exists"
	case EventLoaded:
		return "loaded"
	}
	return "kind(" + itoa(int(k)) + ")"
}

// LoadEvent is what Load reports as it goes, like the lines `docker load`
// prints.
type LoadEvent struct {
	Kind   LoadEventKind
	Image  string // the image's first reference, or its short ID
	Layer  int    // layer index (EventLoading, EventExists)
	DiffID string // EventLoading, EventExists
	Digest string // blob digest (EventLoading, EventExists); manifest digest (EventLoaded)
	Bytes  uint64 // blob bytes (EventLoading, EventExists)
	ID     string // image ID (EventLoaded)
}

// LoadOptions are the options of Load; nil or the zero value loads every
// image of the archive, opened with the defaults.
type LoadOptions struct {
	// Image loads only this image of the archive (FindImage syntax); "" = all.
	Image string
	// Open says how to open the archive (platform, limits, and a progress
	// over reading a compressed archive); nil = defaults.
	Open *OpenOptions
	// Progress follows the layer bytes read; false cancels (ErrCancelled),
	// and nothing is committed.
	Progress ProgressFunc
	// OnEvent receives each event, on the goroutine that called Load. It
	// must not call methods of the Store. If it panics, no further event is
	// delivered, the load is cancelled at its next progress call if one comes
	// before the commit, and the panic is re-raised once the C call has
	// returned. (The C event callback cannot stop a load: a panic at the last
	// layer's event, or at EventLoaded, which follows the commit, leaves the
	// images loaded.)
	OnEvent func(LoadEvent)
}

// Load loads the images of the archive at archivePath into the store,
// writing only the blobs it lacks and verifying each digest while copying:
// a blob that does not match never enters the store, and nothing is
// committed unless every image verifies. It returns the load report as JSON
// {Archive, Images: [{References, Id, ManifestDigest, ManifestSynthesized,
// Layers: [{Index, DiffID, Digest, Size, MediaType, Status}]}], BlobsWritten,
// BytesWritten, BytesExisting, Warnings}. opts may be nil.
func (s *Store) Load(archivePath string, opts *LoadOptions) (reportJSON string, err error) {
	if opts == nil {
		opts = &LoadOptions{}
	}
	op := "load " + archivePath
	platform := ""
	if opts.Open != nil {
		platform = opts.Open.Platform
	}
	if err := noNUL(op, archivePath, opts.Image, platform); err != nil {
		return "", err
	}
	c, err := s.acquire(op)
	if err != nil {
		return "", err
	}
	defer s.h.mu.Unlock()
	carchive := C.CString(archivePath)
	defer C.free(unsafe.Pointer(carchive))
	var cimage *C.char
	if opts.Image != "" {
		cimage = C.CString(opts.Image)
		defer C.free(unsafe.Pointer(cimage))
	}
	hasOpen := C.int(0)
	var cplat *C.char
	explicit := C.int(0)
	var limits *C.lk_limits
	var openPg *progress
	if o := opts.Open; o != nil {
		hasOpen = 1
		if o.Platform != "" {
			cplat = C.CString(o.Platform)
			defer C.free(unsafe.Pointer(cplat))
			explicit = 1
		}
		if o.Limits != nil {
			l := o.Limits.toC()
			limits = &l
		}
		openPg = newProgress(o.Progress)
		defer openPg.release()
	}
	// One entry for the progress and the events: a panic in OnEvent then
	// cancels at the next progress call.
	pg := newCallbacks(opts.Progress, opts.OnEvent)
	defer pg.release()
	events := C.int(0)
	if opts.OnEvent != nil {
		events = 1
	}
	var report *C.char
	_, err = call(op, func() C.lk_status {
		return C.lkgo_store_load(c, carchive, cimage, hasOpen, cplat, explicit, limits,
			openPg.cHandle(), pg.cHandle(), events, &report)
	})
	js := takeString(report) // freed before a re-panic
	openPg.repanic()
	pg.repanic()
	if err != nil {
		return "", err
	}
	runtime.KeepAlive(s.h)
	return js, nil
}

// PlanLayer is one layer of a pull plan, bottom first.
type PlanLayer struct {
	Index           int
	DiffID          string
	Digest          string // blob digest
	ChainID         string
	Bytes           int64 // blob bytes a pull transfers
	ExistsByChainID bool  // Docker's rule: "Already exists"
	ExistsByDigest  bool  // containerd's rule
}

// Plan is an offline `docker pull`: which layers of an image the store
// already has.
type Plan struct {
	Image         string // the image's first reference, or its short ID
	ID            string // image ID
	Layers        []PlanLayer
	PresentBytes  uint64 // blob bytes of the layers present by chain ID
	TransferBytes uint64 // blob bytes a pull would transfer
	// WriteBlobs and WriteBytes count the layer blobs a load of the archive
	// would write (the store lacks them by digest) and their bytes.
	WriteBlobs int
	WriteBytes uint64
	// JSON is the plan as JSON {Image, Id, Layers: [{Index, DiffID, Digest,
	// ChainID, Size, Status, ExistsByChainID, ExistsByDigest}],
	// PresentBytes, TransferBytes, WriteBlobs, WriteBytes}.
	JSON string
}

// Plan says which layers of img (an image of a) the store already has. img
// nil means a's first image.
func (s *Store) Plan(a *Archive, img *Image) (*Plan, error) {
	const op = "plan"
	c, err := s.acquire(op)
	if err != nil {
		return nil, err
	}
	defer s.h.mu.Unlock()
	// Lock order: the store, then the archive.
	ca, err := a.acquire(op)
	if err != nil {
		return nil, err
	}
	defer a.h.mu.Unlock()
	if img == nil {
		if len(a.images) == 0 {
			return nil, newError(op, StatusInvalid, "archive "+a.path+" has no image")
		}
		img = a.images[0]
	}
	if err := a.checkImage(op, img); err != nil {
		return nil, err
	}
	var p *C.lk_plan
	if _, err := call(op, func() C.lk_status { return C.lk_store_plan(c, ca, img.c, &p) }); err != nil {
		return nil, err
	}
	defer C.lk_plan_free(p)
	var n C.size_t
	var present, transfer C.uint64_t
	if _, err := call(op, func() C.lk_status { return C.lk_plan_totals(p, &n, &present, &transfer) }); err != nil {
		return nil, err
	}
	out := &Plan{
		Layers:        make([]PlanLayer, 0, int(n)),
		PresentBytes:  uint64(present),
		TransferBytes: uint64(transfer),
	}
	for i := C.size_t(0); i < n; i++ {
		var l C.lk_plan_layer
		C.lk_plan_layer_init(&l)
		if _, err := call(op, func() C.lk_status { return C.lk_plan_layer_get(p, i, &l) }); err != nil {
			return nil, err
		}
		out.Layers = append(out.Layers, PlanLayer{
			Index:           int(l.index),
			DiffID:          C.GoString(l.diff_id),
			Digest:          C.GoString(l.digest),
			ChainID:         C.GoString(l.chain_id),
			Bytes:           int64(l.bytes),
			ExistsByChainID: l.exists_by_chain_id != 0,
			ExistsByDigest:  l.exists_by_digest != 0,
		})
	}
	var js *C.char
	if _, err := call(op, func() C.lk_status { return C.lk_plan_json(p, &js) }); err != nil {
		return nil, err
	}
	out.JSON = takeString(js)
	// The image's name and ID are only in the JSON.
	var doc struct {
		Image      string `json:"Image"`
		ID         string `json:"Id"`
		WriteBlobs int    `json:"WriteBlobs"`
		WriteBytes uint64 `json:"WriteBytes"`
	}
	if err := json.Unmarshal([]byte(out.JSON), &doc); err != nil {
		return nil, newError(op, StatusInternal, "the library's plan JSON does not parse: "+err.Error())
	}
	out.Image, out.ID = doc.Image, doc.ID
	out.WriteBlobs, out.WriteBytes = doc.WriteBlobs, doc.WriteBytes
	runtime.KeepAlive(s.h)
	runtime.KeepAlive(a.h)
	return out, nil
}

// SaveOptions are the options of Save; nil or the zero value writes a
// docker-archive.
type SaveOptions struct {
	// Format is "docker-archive" (the default when ""; loads in every
	// Docker), "oci-archive" (an OCI layout as a tar) or "oci-layout" (a
	// directory).
	Format string
	// MissingFrom, when set, is a store, layout or archive: only the layers
	// it lacks are written (a thin archive).
	MissingFrom string
	// Progress follows the blob bytes written; false cancels (ErrCancelled)
	// and nothing is left at the output.
	Progress ProgressFunc
}

var saveFormats = map[string]C.int{
	"":               C.LK_SAVE_DOCKER_ARCHIVE,
	"docker-archive": C.LK_SAVE_DOCKER_ARCHIVE,
	"oci-archive":    C.LK_SAVE_OCI_ARCHIVE,
	"oci-layout":     C.LK_SAVE_OCI_LAYOUT,
}

// cStrings copies list into a C array of C strings; free with
// C.lkgo_strings_free(arr, n). An empty list gives a one-slot array (never
// read: the count is 0).
func cStrings(list []string) (**C.char, C.size_t) {
	n := C.size_t(len(list))
	arr := C.lkgo_strings_new(n)
	if arr == nil {
		panic("layerkit: out of C memory")
	}
	for i, s := range list {
		C.lkgo_strings_set(arr, C.size_t(i), C.CString(s))
	}
	return arr, n
}

// Save writes the images named by refs (references, IDs or digests, as the
// store resolves them) to output ("-" = standard output, not for
// "oci-layout"), re-hashing every blob; nothing is left at output when a blob
// is corrupt. It returns the save report as JSON {Output, Format, Images,
// BlobsWritten, BytesWritten, BytesOmitted}. Errors wrap ErrInvalid (no
// refs, unknown format), ErrNotFound (a ref), ErrDigestMismatch, ErrIO or
// ErrCancelled. opts may be nil.
func (s *Store) Save(refs []string, output string, opts *SaveOptions) (reportJSON string, err error) {
	if opts == nil {
		opts = &SaveOptions{}
	}
	op := "save " + output
	if err := noNUL(op, append([]string{output, opts.MissingFrom}, refs...)...); err != nil {
		return "", err
	}
	format, ok := saveFormats[opts.Format]
	if !ok {
		return "", newError(op, StatusInvalid, "unknown format "+opts.Format+
			` (want "docker-archive", "oci-archive" or "oci-layout")`)
	}
	c, err := s.acquire(op)
	if err != nil {
		return "", err
	}
	defer s.h.mu.Unlock()
	arr, n := cStrings(refs)
	defer C.lkgo_strings_free(arr, n)
	cout := C.CString(output)
	defer C.free(unsafe.Pointer(cout))
	var cmissing *C.char
	if opts.MissingFrom != "" {
		cmissing = C.CString(opts.MissingFrom)
		defer C.free(unsafe.Pointer(cmissing))
	}
	pg := newProgress(opts.Progress)
	defer pg.release()
	var report *C.char
	_, err = call(op, func() C.lk_status {
		return C.lkgo_store_save(c, arr, n, cout, format, cmissing, pg.cHandle(), &report)
	})
	js := takeString(report)
	pg.repanic()
	if err != nil {
		return "", err
	}
	runtime.KeepAlive(s.h)
	return js, nil
}

// ImagesJSON lists every image of the store, as `layerkit store ls --json`:
// [{Repository, Tag, ID, Id, Digest, CreatedAt, CreatedSince, Size, Layers,
// Reference}].
func (s *Store) ImagesJSON() (string, error) {
	return s.jsonCall("images", func(c *C.lk_store, js **C.char) C.lk_status { return C.lk_store_images_json(c, js) })
}

// DFJSON is like `docker system df -v`: per image its size, shared and
// unique size, as JSON.
func (s *Store) DFJSON() (string, error) {
	return s.jsonCall("df", func(c *C.lk_store, js **C.char) C.lk_status { return C.lk_store_df_json(c, js) })
}

// GC removes unreferenced blobs and leftovers (mark and sweep); with dryRun
// it only reports. It returns the report as JSON {DryRun, Blobs, TempFiles,
// MetadataRemoved, BytesRemoved}.
func (s *Store) GC(dryRun bool) (string, error) {
	dr := C.int(0)
	if dryRun {
		dr = 1
	}
	return s.jsonCall("gc", func(c *C.lk_store, js **C.char) C.lk_status { return C.lk_store_gc(c, dr, js) })
}

// Remove removes references (the blobs stay until GC). A bad reference
// removes nothing: errors wrap ErrNotFound or ErrInvalid (no refs). It
// returns the report as JSON {Untagged, Deleted}.
func (s *Store) Remove(refs ...string) (string, error) {
	arr, n := cStrings(refs)
	defer C.lkgo_strings_free(arr, n)
	return s.jsonCall("remove", func(c *C.lk_store, js **C.char) C.lk_status {
		return C.lk_store_remove(c, arr, n, js)
	})
}

func (s *Store) jsonCall(op string, f func(*C.lk_store, **C.char) C.lk_status) (string, error) {
	c, err := s.acquire(op)
	if err != nil {
		return "", err
	}
	defer s.h.mu.Unlock()
	var js *C.char
	if _, err := call(op, func() C.lk_status { return f(c, &js) }); err != nil {
		return "", err
	}
	runtime.KeepAlive(s.h)
	return takeString(js), nil
}

// Verify re-hashes every blob and checks every reference. ok is true when
// the store is consistent; reportJSON lists problems, leftovers and notes.
// threads 0 means hardware threads; progress may be nil (false cancels:
// ErrCancelled). err is non-nil only when the check could not run.
func (s *Store) Verify(threads int, progress ProgressFunc) (ok bool, reportJSON string, err error) {
	const op = "store verify"
	if threads < 0 || uint64(threads) > math.MaxUint32 {
		return false, "", newError(op, StatusInvalid, "threads out of range")
	}
	c, err := s.acquire(op)
	if err != nil {
		return false, "", err
	}
	defer s.h.mu.Unlock()
	pg := newProgress(progress)
	defer pg.release()
	var cok C.int
	var report *C.char
	_, err = call(op, func() C.lk_status {
		return C.lkgo_store_verify(c, C.uint(threads), pg.cHandle(), &cok, &report)
	})
	js := takeString(report)
	pg.repanic()
	if err == nil && pg.wasCancelled() {
		// The library fails with LK_ECANCELLED when the callback stops it;
		// should a stop arrive after its last check, keep the ProgressFunc
		// contract (false cancels with ErrCancelled) all the same.
		err = newError(op, StatusCancelled, "cancelled by the progress callback")
	}
	if err != nil {
		return false, "", err
	}
	runtime.KeepAlive(s.h)
	return cok != 0, js, nil
}
