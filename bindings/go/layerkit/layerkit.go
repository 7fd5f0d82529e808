package layerkit

/*
#cgo pkg-config: layerkit
#include <stdint.h>
#include <stdlib.h>
#include <layerkit/layerkit.h>

// Defined in progress.go (//export).
extern int layerkitGoProgress(uint64_t done, uint64_t total, uintptr_t handle);

// The lk_progress_fn handed to C. user_data is an integer handle into the Go
// callback table, never a Go pointer.
static int lkgo_progress(uint64_t done, uint64_t total, void *user_data) {
	return layerkitGoProgress(done, total, (uintptr_t)user_data);
}

static const char *lkgo_header_version(void) { return LAYERKIT_VERSION_STRING; }
static int lkgo_header_version_number(void) {
	return LAYERKIT_VERSION_MAJOR * 10000 + LAYERKIT_VERSION_MINOR * 100 + LAYERKIT_VERSION_PATCH;
}

static lk_status lkgo_default_limits(lk_limits *out) {
	lk_open_options o;
	lk_status st = lk_open_options_init(&o, sizeof o);
	if (st == LK_OK) *out = o.limits;
	return st;
}

// The option structs are built here, on the C stack, so that Go memory never
// holds the handle cast to a pointer.
static lk_status lkgo_open(const char *path, const char *platform, int platform_explicit,
                           const lk_limits *limits, uintptr_t h, lk_archive **out) {
	lk_open_options o;
	lk_status st = lk_open_options_init(&o, sizeof o);
	if (st != LK_OK) return st;
	o.platform = platform;
	o.platform_explicit = platform_explicit;
	if (limits) {
		o.limits = *limits;
		o.limits.size = sizeof o.limits;
	}
	if (h) {
		o.progress = lkgo_progress;
		o.progress_data = (void *)h;
	}
	return lk_archive_open(path, &o, out);
}

static lk_status lkgo_history(const lk_archive *a, const lk_image *img, int details, uintptr_t h,
                              lk_history **out) {
	return lk_image_history(a, img, details, h ? lkgo_progress : NULL, (void *)h, out);
}

static lk_status lkgo_verify(const lk_archive *a, const char *image, unsigned threads, uintptr_t h,
                             lk_verify_report **out) {
	lk_verify_options o;
	lk_verify_options_init(&o);
	o.image = image;
	o.threads = threads;
	if (h) {
		o.progress = lkgo_progress;
		o.progress_data = (void *)h;
	}
	return lk_verify(a, &o, out);
}

static lk_status lkgo_dedup_run(lk_dedup *d, unsigned threads, uintptr_t h) {
	return lk_dedup_run(d, threads, h ? lkgo_progress : NULL, (void *)h);
}

static const char *lkgo_string_at(const char *const *items, size_t i) { return items[i]; }
*/
import "C"

import (
	"math"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// Version is the version of the layerkit library loaded at run time, e.g. "0.1.0".
func Version() string { return C.GoString(C.lk_version()) }

// VersionNumber is the loaded library's version as MAJOR*10000 + MINOR*100 + PATCH.
func VersionNumber() int { return int(C.lk_version_number()) }

// HeaderVersion is the version of the layerkit.h this package was compiled
// against. A library older than the header may reject newer struct sizes
// (ErrInvalid); CheckVersion says so up front.
func HeaderVersion() string { return C.GoString(C.lkgo_header_version()) }

// CheckVersion returns an error wrapping ErrUnsupported when the loaded
// library is older than, or of another major version than, the header this
// package was built with.
func CheckVersion() error {
	lib, hdr := VersionNumber(), int(C.lkgo_header_version_number())
	if lib/10000 != hdr/10000 || lib < hdr {
		return newError("version", StatusUnsupported,
			"liblayerkit "+Version()+" is not compatible with layerkit.h "+HeaderVersion())
	}
	return nil
}

// ---------------------------------------------------------------------------
// Options

// Limits bound what an untrusted archive may make layerkit do. Start from
// DefaultLimits and change what you need: a zero field is a zero bound.
type Limits struct {
	ManifestJSONBytes uint64 // manifest.json
	JSONBytes         uint64 // any other JSON member
	JSONDepth         uint32 // JSON nesting
	LayersPerImage    uint32
	ImagesPerArchive  uint32
	IndexDepth        uint32 // nested image indexes
	Members           uint64 // entries of the outer archive
	EntriesPerLayer   uint64 // tar entries in one layer
	LayerBytes        uint64 // decompressed bytes of one layer
	CompressionRatio  uint32 // decompressed/compressed
	SymlinkHops       uint32 // links followed per member path
	BufferedBytes     uint64 // small members kept from a compressed archive
}

// DefaultLimits returns the library's defaults (lk_open_options_init).
func DefaultLimits() Limits {
	var l C.lk_limits
	if _, err := call("default limits", func() C.lk_status { return C.lkgo_default_limits(&l) }); err != nil {
		panic(err) // only if the library rejects its own struct size: a broken install
	}
	return Limits{
		ManifestJSONBytes: uint64(l.manifest_json_bytes),
		JSONBytes:         uint64(l.json_bytes),
		JSONDepth:         uint32(l.json_depth),
		LayersPerImage:    uint32(l.layers_per_image),
		ImagesPerArchive:  uint32(l.images_per_archive),
		IndexDepth:        uint32(l.index_depth),
		Members:           uint64(l.members),
		EntriesPerLayer:   uint64(l.entries_per_layer),
		LayerBytes:        uint64(l.layer_bytes),
		CompressionRatio:  uint32(l.compression_ratio),
		SymlinkHops:       uint32(l.symlink_hops),
		BufferedBytes:     uint64(l.buffered_bytes),
	}
}

func (l *Limits) toC() C.lk_limits {
	var c C.lk_limits
	c.size = C.size_t(unsafe.Sizeof(c))
	c.manifest_json_bytes = C.uint64_t(l.ManifestJSONBytes)
	c.json_bytes = C.uint64_t(l.JSONBytes)
	c.json_depth = C.uint32_t(l.JSONDepth)
	c.layers_per_image = C.uint32_t(l.LayersPerImage)
	c.images_per_archive = C.uint32_t(l.ImagesPerArchive)
	c.index_depth = C.uint32_t(l.IndexDepth)
	c.members = C.uint64_t(l.Members)
	c.entries_per_layer = C.uint64_t(l.EntriesPerLayer)
	c.layer_bytes = C.uint64_t(l.LayerBytes)
	c.compression_ratio = C.uint32_t(l.CompressionRatio)
	c.symlink_hops = C.uint32_t(l.SymlinkHops)
	c.buffered_bytes = C.uint64_t(l.BufferedBytes)
	return c
}

// OpenOptions are the options of Open; the zero value (or nil) is the defaults.
type OpenOptions struct {
	// Platform is the platform taken from a multi-platform index,
	// "os/arch[/variant]", or "all" for every manifest. Empty means
	// "linux/amd64", falling back to the only manifest of an index.
	Platform string
	// Limits replaces the default bounds when non-nil (see DefaultLimits).
	Limits *Limits
	// Progress follows the single pass over a compressed archive (bytes of
	// the file); it is not called for uncompressed archives or directories.
	Progress ProgressFunc
}

// ---------------------------------------------------------------------------
// Archive

var archiveSeq uint64

// archiveHandle owns the C archive. It is separate from Archive so that the
// Image -> handle references form no cycle with the finalizer's object.
type archiveHandle struct {
	mu  sync.Mutex // the C library allows one thread per handle at a time
	c   *C.lk_archive
	seq uint64 // lock order for Dedup
}

func (h *archiveHandle) free() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.c != nil {
		C.lk_archive_free(h.c)
		h.c = nil
	}
}

// Archive is an open archive or layout. Its images are read at Open.
type Archive struct {
	h        *archiveHandle
	path     string
	format   string
	images   []*Image
	warnings []string
}

// Open opens the archive or layout at path (a file or a directory),
// recognising its format from the content. opts may be nil.
func Open(path string, opts *OpenOptions) (*Archive, error) {
	if opts == nil {
		opts = &OpenOptions{}
	}
	op := "open " + path
	if err := noNUL(op, path, opts.Platform); err != nil {
		return nil, err
	}
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	var cplat *C.char
	explicit := C.int(0)
	if opts.Platform != "" {
		cplat = C.CString(opts.Platform)
		defer C.free(unsafe.Pointer(cplat))
		explicit = 1
	}
	var limits *C.lk_limits
	if opts.Limits != nil {
		l := opts.Limits.toC()
		limits = &l
	}
	pg := newProgress(opts.Progress)
	defer pg.release()
	var ca *C.lk_archive
	_, err := call(op, func() C.lk_status {
		return C.lkgo_open(cpath, cplat, explicit, limits, pg.cHandle(), &ca)
	})
	if pg.didPanic() {
		C.lk_archive_free(ca) // NULL-safe
		pg.repanic()
	}
	if err != nil {
		// Name the path unless the library's message already does.
		if e, ok := err.(*Error); ok && strings.Contains(e.Message, path) {
			e.Op = "open"
		}
		return nil, err
	}
	h := &archiveHandle{c: ca, seq: atomic.AddUint64(&archiveSeq, 1)}
	runtime.SetFinalizer(h, (*archiveHandle).free)
	a := &Archive{h: h, path: path, format: C.GoString(C.lk_archive_format(ca))}
	if err := a.load(op); err != nil {
		a.Close()
		return nil, err
	}
	return a, nil
}

// load copies the warnings and every image into Go memory.
func (a *Archive) load(op string) error {
	c := a.h.c
	var n C.size_t
	if _, err := call(op, func() C.lk_status { return C.lk_archive_warning_count(c, &n) }); err != nil {
		return err
	}
	for i := C.size_t(0); i < n; i++ {
		var w *C.char
		if _, err := call(op, func() C.lk_status { return C.lk_archive_warning(c, i, &w) }); err != nil {
			return err
		}
		a.warnings = append(a.warnings, C.GoString(w))
	}
	if _, err := call(op, func() C.lk_status { return C.lk_archive_image_count(c, &n) }); err != nil {
		return err
	}
	for i := C.size_t(0); i < n; i++ {
		var ci *C.lk_image
		if _, err := call(op, func() C.lk_status { return C.lk_archive_image(c, i, &ci) }); err != nil {
			return err
		}
		img, err := newImage(op, a.h, int(i), ci)
		if err != nil {
			return err
		}
		a.images = append(a.images, img)
	}
	runtime.KeepAlive(a.h)
	return nil
}

// Close releases the C archive. Images taken from it stay readable (they are
// Go copies), but passing them to a method fails. Close is idempotent and
// always returns nil.
func (a *Archive) Close() error {
	if a == nil || a.h == nil {
		return nil
	}
	a.h.free()
	runtime.SetFinalizer(a.h, nil)
	return nil
}

// Path is the path given to Open.
func (a *Archive) Path() string { return a.path }

// Format is the archive's format: "docker-archive", "oci-layout",
// "oci-archive", "docker-dir" or "layer-tar".
func (a *Archive) Format() string { return a.format }

// Images are the archive's images, in archive order (manifest.json entries or
// index.json manifests). The slice is a copy; the *Image values are shared.
func (a *Archive) Images() []*Image {
	return append([]*Image(nil), a.images...)
}

// Warnings found at open, e.g. an index without a manifest for the platform.
func (a *Archive) Warnings() []string {
	return append([]string(nil), a.warnings...)
}

// acquire locks the archive for one C call sequence; release with a.h.mu.Unlock.
func (a *Archive) acquire(op string) (*C.lk_archive, error) {
	if a == nil || a.h == nil {
		return nil, newError(op, StatusInvalid, "nil archive")
	}
	a.h.mu.Lock()
	if a.h.c == nil {
		a.h.mu.Unlock()
		return nil, newError(op, StatusInvalid, "archive is closed")
	}
	return a.h.c, nil
}

func (a *Archive) checkImage(op string, img *Image) error {
	if img == nil {
		return newError(op, StatusInvalid, "nil image")
	}
	if img.h != a.h {
		return newError(op, StatusInvalid, "image "+img.Name()+" does not belong to archive "+a.path)
	}
	return nil
}

// FindImage finds an image by reference: a repo tag ("app:1.0", with or
// without "docker.io/" or "localhost/"), an image ID or unique prefix (4+
// hex), a manifest digest, or "@N". Errors wrap ErrNotFound, ErrAmbiguous or
// ErrInvalid.
func (a *Archive) FindImage(ref string) (*Image, error) {
	op := "find image " + ref
	if err := noNUL(op, ref); err != nil {
		return nil, err
	}
	c, err := a.acquire(op)
	if err != nil {
		return nil, err
	}
	defer a.h.mu.Unlock()
	cref := C.CString(ref)
	defer C.free(unsafe.Pointer(cref))
	var ci *C.lk_image
	if _, err := call(op, func() C.lk_status { return C.lk_archive_find_image(c, cref, &ci) }); err != nil {
		return nil, err
	}
	for _, img := range a.images {
		if img.c == ci {
			return img, nil
		}
	}
	return nil, newError(op, StatusInternal, "the library returned an image that is not in the archive")
}

// ---------------------------------------------------------------------------
// Image

// Image is one image of an archive: the scalar facts of lk_image_info, its
// string lists and its JSON blobs, all copied into Go memory at Open.
type Image struct {
	Index             int    // position in the archive (lk_archive_image)
	ID                string // image ID = config digest ("" if the config is absent)
	References        []string
	ManifestDigest    string // "" when the archive has no manifest blob (docker-archive)
	ManifestMediaType string
	ConfigMediaType   string
	Created           string // RFC 3339 as stored
	Author            string
	OS                string
	Architecture      string
	OSVersion         string
	Variant           string
	User              string   // config.User
	WorkingDir        string   // config.WorkingDir
	StopSignal        string   // config.StopSignal
	Env               []string // "NAME=value"
	Cmd               []string
	Entrypoint        []string
	ExposedPorts      []string // e.g. "8080/tcp"
	Volumes           []string
	Healthcheck       []string // config.Healthcheck.Test
	Labels            map[string]string
	DiffIDs           []string // rootfs.diff_ids, bottom first
	ArtifactType      string   // non-empty for an OCI artifact
	IndexPath         string   // position in the archive: "0", or "1.0" inside a nested index
	LayerCount        int
	HistoryCount      int // config.history entries
	MissingCount      int // blobs this image needs that the archive lacks
	Complete          bool
	LegacyV1          bool   // a pre-1.10 docker-archive image
	ConfigJSON        []byte // the config blob as stored; its digest is ID
	ManifestJSON      []byte // the manifest blob as stored; empty for docker-archive

	h *archiveHandle
	c *C.lk_image
}

// Name is the image's first reference, else its short ID, else "@Index".
func (i *Image) Name() string {
	switch {
	case len(i.References) > 0:
		return i.References[0]
	case len(i.ID) >= 19:
		return i.ID[7:19]
	case i.ID != "":
		return i.ID
	}
	return "@" + itoa(i.Index)
}

// CreatedTime parses Created (RFC 3339); the zero time when absent or invalid.
func (i *Image) CreatedTime() time.Time {
	t, err := time.Parse(time.RFC3339Nano, i.Created)
	if err != nil {
		return time.Time{}
	}
	return t
}

func newImage(op string, h *archiveHandle, index int, ci *C.lk_image) (*Image, error) {
	var info C.lk_image_info
	C.lk_image_info_init(&info)
	if _, err := call(op, func() C.lk_status { return C.lk_image_get_info(ci, &info) }); err != nil {
		return nil, err
	}
	img := &Image{
		Index:             index,
		ID:                C.GoString(info.id),
		ManifestDigest:    C.GoString(info.manifest_digest),
		ManifestMediaType: C.GoString(info.manifest_media_type),
		ConfigMediaType:   C.GoString(info.config_media_type),
		Created:           C.GoString(info.created),
		Author:            C.GoString(info.author),
		OS:                C.GoString(info.os),
		Architecture:      C.GoString(info.architecture),
		OSVersion:         C.GoString(info.os_version),
		Variant:           C.GoString(info.variant),
		User:              C.GoString(info.user),
		WorkingDir:        C.GoString(info.working_dir),
		StopSignal:        C.GoString(info.stop_signal),
		ArtifactType:      C.GoString(info.artifact_type),
		IndexPath:         C.GoString(info.index_path),
		LayerCount:        int(info.layer_count),
		HistoryCount:      int(info.history_count),
		MissingCount:      int(info.missing_count),
		Complete:          info.complete != 0,
		LegacyV1:          info.legacy_v1 != 0,
		h:                 h,
		c:                 ci,
	}
	lists := []struct {
		which C.lk_string_list
		dst   *[]string
	}{
		{C.LK_LIST_REFERENCES, &img.References},
		{C.LK_LIST_ENV, &img.Env},
		{C.LK_LIST_CMD, &img.Cmd},
		{C.LK_LIST_ENTRYPOINT, &img.Entrypoint},
		{C.LK_LIST_EXPOSED_PORTS, &img.ExposedPorts},
		{C.LK_LIST_VOLUMES, &img.Volumes},
		{C.LK_LIST_DIFF_IDS, &img.DiffIDs},
		{C.LK_LIST_HEALTHCHECK, &img.Healthcheck},
	}
	for _, l := range lists {
		s, err := imageStrings(op, ci, l.which)
		if err != nil {
			return nil, err
		}
		*l.dst = s
	}
	keys, err := imageStrings(op, ci, C.LK_LIST_LABEL_KEYS)
	if err != nil {
		return nil, err
	}
	values, err := imageStrings(op, ci, C.LK_LIST_LABEL_VALUES)
	if err != nil {
		return nil, err
	}
	if len(keys) != len(values) {
		return nil, newError(op, StatusInternal, "label keys and values differ in number")
	}
	img.Labels = make(map[string]string, len(keys))
	for k := range keys {
		img.Labels[keys[k]] = values[k]
	}
	var data *C.char
	var length C.size_t
	if _, err := call(op, func() C.lk_status { return C.lk_image_config_json(ci, &data, &length) }); err != nil {
		return nil, err
	}
	img.ConfigJSON = goBytes(data, length)
	if _, err := call(op, func() C.lk_status { return C.lk_image_manifest_json(ci, &data, &length) }); err != nil {
		return nil, err
	}
	img.ManifestJSON = goBytes(data, length)
	return img, nil
}

// imageStrings copies one lk_string_list; never nil.
func imageStrings(op string, ci *C.lk_image, which C.lk_string_list) ([]string, error) {
	var n C.size_t
	var items **C.char
	if _, err := call(op, func() C.lk_status { return C.lk_image_strings(ci, which, &n, &items) }); err != nil {
		return nil, err
	}
	out := make([]string, int(n))
	for i := range out {
		out[i] = C.GoString(C.lkgo_string_at(items, C.size_t(i)))
	}
	return out, nil
}

// goBytes copies length bytes at p; an empty, non-nil slice when length is 0.
func goBytes(p *C.char, length C.size_t) []byte {
	if length == 0 || p == nil {
		return []byte{}
	}
	return append([]byte(nil), unsafe.Slice((*byte)(unsafe.Pointer(p)), int(length))...)
}

// ---------------------------------------------------------------------------
// Layers

// Layer is one layer of an image, bottom first. Sizes are bytes, -1 when
// unknown.
type Layer struct {
	Index             int
	MediaType         string
	Digest            string // blob digest ("" when unknown without reading)
	BlobBytes         int64  // stored (compressed) bytes
	DiffID            string // "" when the config lists fewer diff_ids
	ChainID           string // "" when a diff_id below is unknown
	Member            string // archive member holding the blob
	Compression       string // "none", "gzip", "zstd", ... ("" unless read)
	UncompressedBytes int64  // tar stream bytes; -1 unless read
	ContentBytes      int64  // Docker's layer size; -1 unless read
	Present           bool   // the blob is in the archive
	Foreign           bool   // a foreign layer: blob elsewhere, at URLs
	URLs              []string
}

// Layers lists an image's layers, bottom first. With readSizes, each present
// layer's tar headers are read first to fill Compression, UncompressedBytes
// and ContentBytes (and Digest where the archive does not declare it).
func (a *Archive) Layers(img *Image, readSizes bool) ([]Layer, error) {
	const op = "layers"
	c, err := a.acquire(op)
	if err != nil {
		return nil, err
	}
	defer a.h.mu.Unlock()
	if err := a.checkImage(op, img); err != nil {
		return nil, err
	}
	rs := C.int(0)
	if readSizes {
		rs = 1
	}
	var it *C.lk_layer_iter
	if _, err := call(op, func() C.lk_status { return C.lk_image_layers(c, img.c, rs, &it) }); err != nil {
		return nil, err
	}
	defer C.lk_layer_iter_free(it)
	out := []Layer{}
	for {
		var info C.lk_layer_info
		C.lk_layer_info_init(&info)
		st, err := call(op, func() C.lk_status { return C.lk_layer_iter_next(it, &info) })
		if err != nil {
			return nil, err
		}
		if st == StatusDone {
			break
		}
		l := Layer{
			Index:             int(info.index),
			MediaType:         C.GoString(info.media_type),
			Digest:            C.GoString(info.digest),
			BlobBytes:         int64(info.blob_bytes),
			DiffID:            C.GoString(info.diff_id),
			ChainID:           C.GoString(info.chain_id),
			Member:            C.GoString(info.member),
			Compression:       C.GoString(info.compression),
			UncompressedBytes: int64(info.uncompressed_bytes),
			ContentBytes:      int64(info.content_bytes),
			Present:           info.present != 0,
			Foreign:           info.foreign != 0,
			URLs:              []string{},
		}
		for u := C.size_t(0); u < info.url_count; u++ {
			var s *C.char
			if _, err := call(op, func() C.lk_status { return C.lk_layer_iter_url(it, u, &s) }); err != nil {
				return nil, err
			}
			l.URLs = append(l.URLs, C.GoString(s))
		}
		out = append(out, l)
	}
	runtime.KeepAlive(a.h)
	return out, nil
}

// ---------------------------------------------------------------------------
// History

// HistoryMatch says how a history row lines up with the image's layers.
type HistoryMatch int

const (
	MatchOK        HistoryMatch = 0 // consistent
	MatchNoLayer   HistoryMatch = 1 // a history entry claiming a layer the image lacks
	MatchNoHistory HistoryMatch = 2 // a layer without a history entry
)

// HistoryRow is one `docker history` row, newest first. Sizes are bytes.
type HistoryRow struct {
	ID                string    // the image ID on the newest row, "<missing>" below
	Created           string    // as stored (RFC 3339); may be ""
	CreatedTime       time.Time // zero when unset or unparsable
	CreatedBy         string    // as stored (tabs kept)
	Comment           string
	EmptyLayer        bool  // the entry made no layer
	ContentBytes      int64 // docker's SIZE; 0 for empty_layer rows, -1 if unreadable
	LayerIndex        int   // the row's layer, or -1
	Match             HistoryMatch
	DiffID            string // "" when no layer
	Digest            string // blob digest, "" when no layer
	ChainID           string
	CompressedBytes   int64 // -1 unknown
	UncompressedBytes int64 // -1 unknown
}

// History computes the image's `docker history` rows, newest first (reading
// each layer's tar headers once). With layerDetails, layers whose blob digest
// the archive does not declare are read whole to fill Digest. progress may be
// nil; returning false from it cancels (ErrCancelled).
func (a *Archive) History(img *Image, layerDetails bool, progress ProgressFunc) ([]HistoryRow, error) {
	rows, _, err := a.history(img, layerDetails, progress, false)
	return rows, err
}

// HistoryJSON returns `docker history --format json` rows; with layerDetails
// each row also carries its layer's digests and sizes.
func (a *Archive) HistoryJSON(img *Image, layerDetails bool) (string, error) {
	_, js, err := a.history(img, layerDetails, nil, true)
	return js, err
}

func (a *Archive) history(img *Image, layerDetails bool, progress ProgressFunc, wantJSON bool) ([]HistoryRow, string, error) {
	const op = "history"
	c, err := a.acquire(op)
	if err != nil {
		return nil, "", err
	}
	defer a.h.mu.Unlock()
	if err := a.checkImage(op, img); err != nil {
		return nil, "", err
	}
	details := C.int(0)
	if layerDetails {
		details = 1
	}
	pg := newProgress(progress)
	defer pg.release()
	var hist *C.lk_history
	_, err = call(op, func() C.lk_status { return C.lkgo_history(c, img.c, details, pg.cHandle(), &hist) })
	defer C.lk_history_free(hist) // NULL-safe; also runs while a re-panic unwinds
	pg.repanic()
	if err != nil {
		return nil, "", err
	}
	if wantJSON {
		var js *C.char
		if _, err := call(op, func() C.lk_status { return C.lk_history_json(hist, details, &js) }); err != nil {
			return nil, "", err
		}
		defer C.lk_string_free(js)
		return nil, C.GoString(js), nil
	}
	var n C.size_t
	if _, err := call(op, func() C.lk_status { return C.lk_history_count(hist, &n) }); err != nil {
		return nil, "", err
	}
	rows := make([]HistoryRow, 0, int(n))
	for i := C.size_t(0); i < n; i++ {
		var r C.lk_history_row
		C.lk_history_row_init(&r)
		if _, err := call(op, func() C.lk_status { return C.lk_history_row_get(hist, i, &r) }); err != nil {
			return nil, "", err
		}
		row := HistoryRow{
			ID:                C.GoString(r.id),
			Created:           C.GoString(r.created),
			CreatedBy:         C.GoString(r.created_by),
			Comment:           C.GoString(r.comment),
			EmptyLayer:        r.empty_layer != 0,
			ContentBytes:      int64(r.content_bytes),
			LayerIndex:        int(r.layer_index),
			Match:             HistoryMatch(r.match),
			DiffID:            C.GoString(r.diff_id),
			Digest:            C.GoString(r.digest),
			ChainID:           C.GoString(r.chain_id),
			CompressedBytes:   int64(r.compressed_bytes),
			UncompressedBytes: int64(r.uncompressed_bytes),
		}
		if int64(r.created_unix) != math.MinInt64 {
			row.CreatedTime = time.Unix(int64(r.created_unix), 0).UTC()
		}
		rows = append(rows, row)
	}
	runtime.KeepAlive(a.h)
	return rows, "", nil
}

// ---------------------------------------------------------------------------
// Verify

// VerifyOptions are the options of Verify; the zero value verifies every
// image with as many threads as the hardware has.
type VerifyOptions struct {
	Image    string       // only this image (FindImage syntax); "" = all
	Threads  int          // worker threads; 0 = hardware threads
	Progress ProgressFunc // bytes read over all layers; may be nil
}

// Problem is one mismatch found by Verify.
type Problem struct {
	Image    string // reference or short image ID
	Layer    int    // layer index, or -1
	Member   string // archive member
	Kind     string // "blob_digest", "diff_id", "size", "config_digest", "manifest_digest", "count", "missing", "unreadable", "unverifiable", "tar"
	Expected string
	Actual   string
	Message  string // all of the above in one line
}

// VerifyReport is what Verify found. Mismatches are not errors: they are
// Problems of a report whose OK is false.
type VerifyReport struct {
	OK       bool
	Problems []Problem
	json     string
}

// JSON is the whole report as JSON {OK, Images, Problems, Notes}.
func (r *VerifyReport) JSON() string { return r.json }

// Verify reads each layer blob once and checks both digests, every size and
// every count. It returns an error only when it could not run (bad option,
// unknown image, cancelled): mismatches are in the report.
func (a *Archive) Verify(opts VerifyOptions) (*VerifyReport, error) {
	const op = "verify"
	if opts.Threads < 0 || uint64(opts.Threads) > math.MaxUint32 {
		return nil, newError(op, StatusInvalid, "Threads out of range")
	}
	if err := noNUL(op, opts.Image); err != nil {
		return nil, err
	}
	c, err := a.acquire(op)
	if err != nil {
		return nil, err
	}
	defer a.h.mu.Unlock()
	var cimage *C.char
	if opts.Image != "" {
		cimage = C.CString(opts.Image)
		defer C.free(unsafe.Pointer(cimage))
	}
	pg := newProgress(opts.Progress)
	defer pg.release()
	var rep *C.lk_verify_report
	_, err = call(op, func() C.lk_status {
		return C.lkgo_verify(c, cimage, C.uint(opts.Threads), pg.cHandle(), &rep)
	})
	defer C.lk_verify_report_free(rep) // NULL-safe; also runs while a re-panic unwinds
	pg.repanic()
	if err != nil {
		return nil, err
	}
	out := &VerifyReport{OK: C.lk_verify_report_ok(rep) != 0, Problems: []Problem{}}
	var n C.size_t
	if _, err := call(op, func() C.lk_status { return C.lk_verify_report_problem_count(rep, &n) }); err != nil {
		return nil, err
	}
	for i := C.size_t(0); i < n; i++ {
		var p C.lk_problem
		C.lk_problem_init(&p)
		if _, err := call(op, func() C.lk_status { return C.lk_verify_report_problem(rep, i, &p) }); err != nil {
			return nil, err
		}
		out.Problems = append(out.Problems, Problem{
			Image:    C.GoString(p.image),
			Layer:    int(p.layer),
			Member:   C.GoString(p.member),
			Kind:     C.GoString(p.kind),
			Expected: C.GoString(p.expected),
			Actual:   C.GoString(p.actual),
			Message:  C.GoString(p.message),
		})
	}
	var js *C.char
	if _, err := call(op, func() C.lk_status { return C.lk_verify_report_json(rep, &js) }); err != nil {
		return nil, err
	}
	out.json = C.GoString(js)
	C.lk_string_free(js)
	runtime.KeepAlive(a.h)
	return out, nil
}

// ---------------------------------------------------------------------------
// Dedup

// DedupInput is one image to compare, named Ref in the result ("" = the
// image's Name()).
type DedupInput struct {
	Archive *Archive
	Image   *Image
	Ref     string
}

// DedupImage is one compared image. Bytes are Docker's layer sizes summed.
type DedupImage struct {
	Ref         string
	ID          string
	Bytes       uint64
	SharedBytes uint64 // in layers another image also has
	UniqueBytes uint64 // in layers only this image has
	LayerCount  int
}

// DedupLayer is one distinct layer, by chain ID, with the images that have it.
type DedupLayer struct {
	DiffID  string
	ChainID string
	Bytes   uint64   // Docker's layer size
	Images  []string // refs of the images that have it
}

// DedupResult is what Dedup found.
type DedupResult struct {
	TotalBytes  uint64 // summed per image
	UniqueBytes uint64 // each distinct layer once
	SavedBytes  uint64 // TotalBytes - UniqueBytes
	Images      []DedupImage
	Layers      []DedupLayer
	json        string
}

// JSON is the result as JSON {Images, Layers, DiffIDs, TotalSize, UniqueSize, SavedSize, Notes}.
func (r *DedupResult) JSON() string { return r.json }

// Dedup compares images, possibly from several archives: which layers they
// share and the bytes sharing saves. Each distinct layer is read once (tar
// headers only). threads 0 means hardware threads; progress may be nil.
func Dedup(inputs []DedupInput, threads int, progress ProgressFunc) (*DedupResult, error) {
	const op = "dedup"
	if threads < 0 || uint64(threads) > math.MaxUint32 {
		return nil, newError(op, StatusInvalid, "threads out of range")
	}
	// Lock every distinct archive, in Open order, for the whole comparison.
	var handles []*archiveHandle
	seen := map[*archiveHandle]bool{}
	for k, in := range inputs {
		if in.Archive == nil || in.Archive.h == nil {
			return nil, newError(op, StatusInvalid, "input "+itoa(k)+": nil archive")
		}
		if err := in.Archive.checkImage(op, in.Image); err != nil {
			return nil, err
		}
		if !seen[in.Archive.h] {
			seen[in.Archive.h] = true
			handles = append(handles, in.Archive.h)
		}
	}
	sort.Slice(handles, func(i, j int) bool { return handles[i].seq < handles[j].seq })
	for _, h := range handles {
		h.mu.Lock()
		defer h.mu.Unlock()
		if h.c == nil {
			return nil, newError(op, StatusInvalid, "archive is closed")
		}
	}

	var d *C.lk_dedup
	if _, err := call(op, func() C.lk_status { return C.lk_dedup_new(&d) }); err != nil {
		return nil, err
	}
	defer C.lk_dedup_free(d)
	for _, in := range inputs {
		ref := in.Ref
		if ref == "" {
			ref = in.Image.Name()
		}
		if err := noNUL(op, ref); err != nil {
			return nil, err
		}
		cref := C.CString(ref)
		_, err := call(op, func() C.lk_status { return C.lk_dedup_add(d, in.Archive.h.c, in.Image.c, cref) })
		C.free(unsafe.Pointer(cref))
		if err != nil {
			return nil, err
		}
	}
	pg := newProgress(progress)
	defer pg.release()
	_, err := call(op, func() C.lk_status { return C.lkgo_dedup_run(d, C.uint(threads), pg.cHandle()) })
	pg.repanic() // the deferred lk_dedup_free and unlocks run while it unwinds
	if err != nil {
		return nil, err
	}

	var t C.lk_dedup_totals
	C.lk_dedup_totals_init(&t)
	if _, err := call(op, func() C.lk_status { return C.lk_dedup_get_totals(d, &t) }); err != nil {
		return nil, err
	}
	res := &DedupResult{
		TotalBytes:  uint64(t.total_bytes),
		UniqueBytes: uint64(t.unique_bytes),
		SavedBytes:  uint64(t.saved_bytes),
		Images:      []DedupImage{},
		Layers:      []DedupLayer{},
	}
	for i := C.size_t(0); i < t.image_count; i++ {
		var ci C.lk_dedup_image
		C.lk_dedup_image_init(&ci)
		if _, err := call(op, func() C.lk_status { return C.lk_dedup_get_image(d, i, &ci) }); err != nil {
			return nil, err
		}
		res.Images = append(res.Images, DedupImage{
			Ref:         C.GoString(ci.ref),
			ID:          C.GoString(ci.id),
			Bytes:       uint64(ci.bytes),
			SharedBytes: uint64(ci.shared_bytes),
			UniqueBytes: uint64(ci.unique_bytes),
			LayerCount:  int(ci.layer_count),
		})
	}
	for i := C.size_t(0); i < t.layer_count; i++ {
		var cl C.lk_dedup_layer
		C.lk_dedup_layer_init(&cl)
		if _, err := call(op, func() C.lk_status { return C.lk_dedup_get_layer(d, i, &cl) }); err != nil {
			return nil, err
		}
		l := DedupLayer{
			DiffID:  C.GoString(cl.diff_id),
			ChainID: C.GoString(cl.chain_id),
			Bytes:   uint64(cl.bytes),
			Images:  make([]string, 0, int(cl.image_count)),
		}
		for j := C.size_t(0); j < cl.image_count; j++ {
			var ref *C.char
			if _, err := call(op, func() C.lk_status { return C.lk_dedup_layer_image(d, i, j, &ref) }); err != nil {
				return nil, err
			}
			l.Images = append(l.Images, C.GoString(ref))
		}
		res.Layers = append(res.Layers, l)
	}
	var js *C.char
	if _, err := call(op, func() C.lk_status { return C.lk_dedup_json(d, &js) }); err != nil {
		return nil, err
	}
	res.json = C.GoString(js)
	C.lk_string_free(js)
	for _, h := range handles {
		runtime.KeepAlive(h)
	}
	return res, nil
}

// ---------------------------------------------------------------------------
// JSON documents

// InspectJSON returns `docker image inspect` for img, or for every image of
// the archive when img is nil, as a JSON array. It reads each layer's tar
// headers.
func (a *Archive) InspectJSON(img *Image) (string, error) {
	const op = "inspect"
	c, err := a.acquire(op)
	if err != nil {
		return "", err
	}
	defer a.h.mu.Unlock()
	var ci *C.lk_image
	if img != nil {
		if err := a.checkImage(op, img); err != nil {
			return "", err
		}
		ci = img.c
	}
	var js *C.char
	if _, err := call(op, func() C.lk_status { return C.lk_inspect_json(c, ci, &js) }); err != nil {
		return "", err
	}
	defer C.lk_string_free(js)
	runtime.KeepAlive(a.h)
	return C.GoString(js), nil
}

func itoa(i int) string { return strconv.Itoa(i) }
