package layerkit_test

// The image store through Go: the classic scenario on the samples (base,
// runtime FROM base, app FROM runtime) with the diff_ids, digests, sizes and
// image IDs of samples/expected.json (read back by peer tools), chain IDs
// computed per the OCI spec, and every blob file hashed with crypto/sha256.

import (
	"archive/tar"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"layerkit.invalid/go/layerkit"
)

func openStoreT(t *testing.T, dir string) *layerkit.Store {
	t.Helper()
	s, err := layerkit.OpenStore(dir, true)
	if err != nil {
		t.Fatalf("OpenStore(%s): %v", dir, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

type storeImage struct {
	Reference string
	Id        string
	Layers    int
}

func storeImages(t *testing.T, s *layerkit.Store) []storeImage {
	t.Helper()
	js, err := s.ImagesJSON()
	if err != nil {
		t.Fatal(err)
	}
	var out []storeImage
	if err := json.Unmarshal([]byte(js), &out); err != nil {
		t.Fatalf("ImagesJSON: %v\n%s", err, js)
	}
	return out
}

// checkBlobFiles hashes every file under blobs/sha256 with crypto/sha256:
// each must hash to its name. It returns the digests found.
func checkBlobFiles(t *testing.T, storeDir string) map[string]bool {
	t.Helper()
	dir := filepath.Join(storeDir, "blobs", "sha256")
	files, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	for _, f := range files {
		if f.IsDir() {
			continue
		}
		d := fileDigest(t, filepath.Join(dir, f.Name()))
		if d != "sha256:"+f.Name() {
			t.Errorf("blob file %s hashes to %s", f.Name(), d)
		}
		found[d] = true
	}
	return found
}

// loadEvents loads an archive of the samples, recording events and progress.
func loadEvents(t *testing.T, s *layerkit.Store, file string) ([]layerkit.LoadEvent, *recorder, string) {
	t.Helper()
	var events []layerkit.LoadEvent
	rec := &recorder{}
	js, err := s.Load(filepath.Join(samplesDir(t), file), &layerkit.LoadOptions{
		OnEvent:  func(e layerkit.LoadEvent) { events = append(events, e) },
		Progress: rec.fn,
	})
	if err != nil {
		t.Fatalf("Load(%s): %v", file, err)
	}
	return events, rec, js
}

// checkLoad compares a load's events with expected.json: one layer event per
// layer (EventExists for the first `existing`), then EventLoaded.
func checkLoad(t *testing.T, events []layerkit.LoadEvent, rec *recorder, report string, s sampleImage, existing int) {
	t.Helper()
	if len(events) != len(s.Layers)+1 {
		t.Fatalf("%s: %d events %+v, want %d", s.File, len(events), events, len(s.Layers)+1)
	}
	for i, l := range s.Layers {
		e := events[i]
		kind := layerkit.EventLoading
		if i < existing {
			kind = layerkit.EventExists
		}
		if e.Kind != kind || e.Layer != i || e.DiffID != s.DiffIDs[i] || e.Digest != l.Digest ||
			e.Bytes != uint64(l.Bytes) || e.Image != s.Ref || e.ID != "" {
			t.Errorf("%s event %d = %+v; want %v layer %d diff_id %s digest %s bytes %d image %s", s.File, i, e,
				kind, i, s.DiffIDs[i], l.Digest, l.Bytes, s.Ref)
		}
	}
	last := events[len(events)-1]
	if last.Kind != layerkit.EventLoaded || last.ID != s.ID || last.Image != s.Ref || !strings.HasPrefix(last.Digest, "sha256:") {
		t.Errorf("%s: last event %+v; want loaded, ID %s", s.File, last, s.ID)
	}
	if layerkit.EventLoading.String() != "loading" || layerkit.EventExists.String() != "exists" || last.Kind.String() != "loaded" {
		t.Errorf("kind names %q %q %q", layerkit.EventLoading, layerkit.EventExists, last.Kind)
	}
	// Every layer blob is read once (verified even when it exists).
	if rec.calls == 0 || rec.done != blobBytes(s) || rec.total != blobBytes(s) {
		t.Errorf("%s: %d progress calls, last %d/%d; want %d", s.File, rec.calls, rec.done, rec.total, blobBytes(s))
	}
	var doc struct {
		Images []struct {
			Id         string
			References []string
			Layers     []struct {
				DiffID, Digest string
				Size           int64
			}
		}
		BytesExisting int64
	}
	if err := json.Unmarshal([]byte(report), &doc); err != nil {
		t.Fatalf("%s: report: %v", s.File, err)
	}
	if len(doc.Images) != 1 || doc.Images[0].Id != s.ID || !contains(doc.Images[0].References, s.Ref) ||
		len(doc.Images[0].Layers) != len(s.Layers) {
		t.Fatalf("%s: report %s", s.File, report)
	}
	var existingBytes int64
	for i, l := range doc.Images[0].Layers {
		if l.DiffID != s.DiffIDs[i] || l.Digest != s.Layers[i].Digest || l.Size != s.Layers[i].Bytes {
			t.Errorf("%s: report layer %d %+v", s.File, i, l)
		}
		if i < existing {
			existingBytes += s.Layers[i].Bytes
		}
	}
	if doc.BytesExisting != existingBytes {
		t.Errorf("%s: BytesExisting %d, want %d", s.File, doc.BytesExisting, existingBytes)
	}
}

func checkPlan(t *testing.T, st *layerkit.Store, s sampleImage, present int) {
	t.Helper()
	a := openT(t, filepath.Join(samplesDir(t), s.File), nil)
	p, err := st.Plan(a, a.Images()[0])
	if err != nil {
		t.Fatal(err)
	}
	chains := chainIDs(s.DiffIDs)
	if len(p.Layers) != len(s.Layers) || p.ID != s.ID || p.Image != s.Ref {
		t.Fatalf("plan of %s: %d layers, ID %s, Image %s", s.File, len(p.Layers), p.ID, p.Image)
	}
	var presentBytes, transfer uint64
	for i, l := range p.Layers {
		want := layerkit.PlanLayer{Index: i, DiffID: s.DiffIDs[i], Digest: s.Layers[i].Digest, ChainID: chains[i],
			Bytes: s.Layers[i].Bytes, ExistsByChainID: i < present, ExistsByDigest: i < present}
		if l != want {
			t.Errorf("plan of %s, layer %d = %+v, want %+v", s.File, i, l, want)
		}
		if i < present {
			presentBytes += uint64(s.Layers[i].Bytes)
		} else {
			transfer += uint64(s.Layers[i].Bytes)
		}
	}
	if p.PresentBytes != presentBytes || p.TransferBytes != transfer {
		t.Errorf("plan of %s: present %d transfer %d, want %d %d", s.File, p.PresentBytes, p.TransferBytes, presentBytes, transfer)
	}
	// Same blobs as the store's (one compression throughout): a load writes what a pull transfers.
	if p.WriteBlobs != len(s.Layers)-present || p.WriteBytes != transfer {
		t.Errorf("plan of %s: writes %d blobs, %d bytes; want %d, %d", s.File, p.WriteBlobs, p.WriteBytes, len(s.Layers)-present, transfer)
	}
	var doc struct {
		Id     string
		Layers []struct{ ChainID, Status string }
	}
	if err := json.Unmarshal([]byte(p.JSON), &doc); err != nil || doc.Id != s.ID || len(doc.Layers) != len(s.Layers) {
		t.Fatalf("plan JSON: %v\n%s", err, p.JSON)
	}
	for i, l := range doc.Layers {
		status := "Pull"
		if i < present {
			status = "Already exists"
		}
		if l.ChainID != chains[i] || l.Status != status {
			t.Errorf("plan JSON layer %d: %+v, want %s %s", i, l, chains[i], status)
		}
	}
	// nil: the archive's first image.
	if p2, err := st.Plan(a, nil); err != nil || p2.ID != s.ID || len(p2.Layers) != len(p.Layers) {
		t.Errorf("Plan(a, nil): %+v, %v", p2, err)
	}
}

func TestStoreClassicScenario(t *testing.T) {
	base := sampleByFile(t, "base.docker-archive.tar")
	runtime := sampleByFile(t, "runtime.docker-archive.tar")
	app := sampleByFile(t, "app.docker-archive.tar")
	dir := filepath.Join(t.TempDir(), "store")
	s := openStoreT(t, dir)
	if s.Path() != dir {
		t.Errorf("Path() = %q, want %q", s.Path(), dir)
	}
	if imgs := storeImages(t, s); len(imgs) != 0 {
		t.Fatalf("a new store lists %+v", imgs)
	}

	events, rec, report := loadEvents(t, s, base.File)
	checkLoad(t, events, rec, report, base, 0)

	checkPlan(t, s, runtime, 2)
	events, rec, report = loadEvents(t, s, runtime.File)
	checkLoad(t, events, rec, report, runtime, 2)

	checkPlan(t, s, app, 3)
	events, rec, report = loadEvents(t, s, app.File)
	checkLoad(t, events, rec, report, app, 3)

	// Loading again: every layer exists, and the image is still listed once.
	events, rec, report = loadEvents(t, s, app.File)
	checkLoad(t, events, rec, report, app, len(app.Layers))

	imgs := storeImages(t, s)
	if len(imgs) != 3 {
		t.Fatalf("ImagesJSON: %+v", imgs)
	}
	for i, smp := range []sampleImage{base, runtime, app} {
		if imgs[i].Reference != smp.Ref || imgs[i].Id != smp.ID || imgs[i].Layers != len(smp.Layers) {
			t.Errorf("image %d: %+v, want %s %s %d layers", i, imgs[i], smp.Ref, smp.ID, len(smp.Layers))
		}
	}

	rec = &recorder{}
	ok, vjs, err := s.Verify(2, rec.fn)
	if err != nil || !ok {
		t.Fatalf("Verify: ok %v, %v\n%s", ok, err, vjs)
	}
	if rec.calls == 0 {
		t.Errorf("Verify never called progress")
	}

	// Every blob file hashes to its name; the layers and configs are there.
	found := checkBlobFiles(t, dir)
	for _, smp := range []sampleImage{base, runtime, app} {
		for _, want := range append([]string{smp.ID}, smp.DiffIDs...) {
			has, err := s.HasBlob(want)
			if err != nil || !has || !found[want] {
				t.Errorf("HasBlob(%s) = %v, %v; file present %v", want, has, err, found[want])
			}
		}
	}
	if has, err := s.HasBlob("sha256:" + strings.Repeat("0", 64)); err != nil || has {
		t.Errorf("HasBlob(zeros) = %v, %v", has, err)
	}
	var df struct{ DistinctImages, DistinctLayers int }
	if js, err := s.DFJSON(); err != nil || json.Unmarshal([]byte(js), &df) != nil || df.DistinctImages != 3 || df.DistinctLayers != 6 {
		t.Errorf("DFJSON: %v %+v", err, df)
	}

	// Save app, re-open it: the same image.
	out := filepath.Join(t.TempDir(), "app.tar")
	rec = &recorder{}
	sjs, err := s.Save([]string{app.Ref}, out, &layerkit.SaveOptions{Progress: rec.fn})
	if err != nil {
		t.Fatal(err)
	}
	if rec.calls == 0 || !strings.Contains(sjs, app.ID) {
		t.Errorf("Save: %d progress calls, report %s", rec.calls, sjs)
	}
	a := openT(t, out, nil)
	if a.Format() != "docker-archive" || len(a.Images()) != 1 || a.Images()[0].ID != app.ID ||
		!equalStrings(a.Images()[0].DiffIDs, app.DiffIDs) || !contains(a.Images()[0].References, app.Ref) {
		t.Fatalf("saved archive: %s with %d images, first %+v", a.Format(), len(a.Images()), a.Images()[0])
	}
	if r, err := a.Verify(layerkit.VerifyOptions{}); err != nil || !r.OK {
		t.Errorf("saved archive: verify %v %+v", err, r)
	}
	// archive/tar sees a docker-archive: manifest.json naming the config.
	var manifest []struct{ Config string }
	m := readTar(t, out)["manifest.json"]
	if m == nil || json.Unmarshal(m.Data, &manifest) != nil || len(manifest) != 1 ||
		!strings.Contains(manifest[0].Config, strings.TrimPrefix(app.ID, "sha256:")) {
		t.Errorf("saved manifest.json: %+v", manifest)
	}

	// OCI formats.
	for _, f := range []string{"oci-archive", "oci-layout"} {
		out := filepath.Join(t.TempDir(), "app."+f)
		if _, err := s.Save([]string{app.Ref}, out, &layerkit.SaveOptions{Format: f}); err != nil {
			t.Fatalf("Save %s: %v", f, err)
		}
		a := openT(t, out, nil)
		if a.Format() != f || len(a.Images()) != 1 || a.Images()[0].ID != app.ID {
			t.Errorf("Save %s: re-opened as %s, %d images", f, a.Format(), len(a.Images()))
		}
	}

	// A thin archive: the layers base has are left out.
	thin := filepath.Join(t.TempDir(), "thin.tar")
	tjs, err := s.Save([]string{app.Ref}, thin, &layerkit.SaveOptions{MissingFrom: filepath.Join(samplesDir(t), base.File)})
	if err != nil {
		t.Fatal(err)
	}
	var thinDoc struct {
		Images       []struct{ Layers []struct{ Omitted bool } }
		BytesOmitted int64
	}
	if err := json.Unmarshal([]byte(tjs), &thinDoc); err != nil || len(thinDoc.Images) != 1 {
		t.Fatalf("thin save report: %v\n%s", err, tjs)
	}
	for i, l := range thinDoc.Images[0].Layers {
		if l.Omitted != (i < len(base.Layers)) {
			t.Errorf("thin save: layer %d omitted %v", i, l.Omitted)
		}
	}
	if thinDoc.BytesOmitted != blobBytesInt(base) {
		t.Errorf("thin save: BytesOmitted %d, want %d", thinDoc.BytesOmitted, blobBytesInt(base))
	}
	members := readTar(t, thin)
	for _, l := range base.Layers {
		for name, m := range members {
			if m.Header.Typeflag == tar.TypeReg && sha256Digest(m.Data) == l.Digest {
				t.Errorf("thin archive holds base layer %s as %s", l.Digest, name)
			}
		}
	}

	// Remove app, gc: its own layers go, the shared ones stay.
	if _, err := s.Remove("no-such-image:0"); !errors.Is(err, layerkit.ErrNotFound) {
		t.Errorf("Remove(unknown): %v, want ErrNotFound", err)
	}
	if _, err := s.Remove(); !errors.Is(err, layerkit.ErrInvalid) {
		t.Errorf("Remove(): %v, want ErrInvalid", err)
	}
	rjs, err := s.Remove(app.Ref)
	if err != nil || !strings.Contains(rjs, app.Ref) {
		t.Fatalf("Remove: %v %s", err, rjs)
	}
	if imgs := storeImages(t, s); len(imgs) != 2 {
		t.Errorf("after Remove: %+v", imgs)
	}
	var gc struct {
		DryRun bool
		Blobs  []struct{ Digest string }
	}
	gjs, err := s.GC(true)
	if err != nil || json.Unmarshal([]byte(gjs), &gc) != nil || !gc.DryRun {
		t.Fatalf("GC(dry run): %v %s", err, gjs)
	}
	for _, d := range app.DiffIDs[len(runtime.DiffIDs):] {
		if has, _ := s.HasBlob(d); !has {
			t.Errorf("a dry run removed %s", d)
		}
	}
	gjs, err = s.GC(false)
	if err != nil || json.Unmarshal([]byte(gjs), &gc) != nil || gc.DryRun {
		t.Fatalf("GC: %v %s", err, gjs)
	}
	removed := map[string]bool{}
	for _, b := range gc.Blobs {
		removed[b.Digest] = true
	}
	for i, l := range app.Layers {
		has, err := s.HasBlob(l.Digest)
		own := i >= len(runtime.Layers)
		if err != nil || has == own || removed[l.Digest] != own {
			t.Errorf("after gc: layer %d (own %v): HasBlob %v %v, in report %v", i, own, has, err, removed[l.Digest])
		}
	}
	if !removed[app.ID] {
		t.Errorf("gc kept the app's config %s", app.ID)
	}
	if ok, js, err := s.Verify(0, nil); err != nil || !ok {
		t.Errorf("Verify after gc: %v %v %s", ok, err, js)
	}
	checkBlobFiles(t, dir)
}

func blobBytesInt(s sampleImage) int64 { return int64(blobBytes(s)) }

func TestStoreErrors(t *testing.T) {
	dir := t.TempDir()
	_, err := layerkit.OpenStore(filepath.Join(dir, "absent"), false)
	wantErr(t, "absent store, create=false", err, layerkit.ErrNotFound)
	if _, err := os.Stat(filepath.Join(dir, "absent")); !os.IsNotExist(err) {
		t.Errorf("OpenStore(create=false) created the directory: %v", err)
	}
	text := filepath.Join(dir, "notes")
	os.Mkdir(text, 0o755)
	os.WriteFile(filepath.Join(text, "a.txt"), []byte("not a store"), 0o644)
	// layerkit.h: LK_EFORMAT for "not a store or layout".
	_, err = layerkit.OpenStore(text, false)
	wantErr(t, "a directory that is not a store", err, layerkit.ErrFormat)

	s := openStoreT(t, filepath.Join(dir, "store"))
	_, err = s.HasBlob("sha256:../../x")
	wantErr(t, "HasBlob(sha256:../../x)", err, layerkit.ErrBadDigest)
	_, err = s.HasBlob("sha256")
	wantErr(t, "HasBlob(sha256)", err, layerkit.ErrBadDigest)

	_, err = s.Load(filepath.Join(dir, "absent.tar"), nil)
	wantErr(t, "Load(absent)", err, layerkit.ErrNotFound)
	_, err = s.Load(filepath.Join(samplesDir(t), "base.docker-archive.tar"), &layerkit.LoadOptions{Image: "no-such:0"})
	wantErr(t, "Load(unknown image)", err, layerkit.ErrNotFound)
	_, err = s.Save(nil, filepath.Join(dir, "o.tar"), nil)
	wantErr(t, "Save(no refs)", err, layerkit.ErrInvalid)
	_, err = s.Save([]string{"x"}, filepath.Join(dir, "o.tar"), &layerkit.SaveOptions{Format: "zip"})
	wantErr(t, "Save(format zip)", err, layerkit.ErrInvalid)
	_, err = s.Save([]string{"no-such:0"}, filepath.Join(dir, "o.tar"), nil)
	wantErr(t, "Save(unknown ref)", err, layerkit.ErrNotFound)
	if _, err := os.Stat(filepath.Join(dir, "o.tar")); !os.IsNotExist(err) {
		t.Errorf("a failed Save left its output: %v", err)
	}
	_, _, err = s.Verify(-1, nil)
	wantErr(t, "Verify(-1)", err, layerkit.ErrInvalid)

	// Load with the open options: a platform, and the limits.
	lim := layerkit.DefaultLimits()
	lim.LayersPerImage = 1
	_, err = s.Load(filepath.Join(samplesDir(t), "base.docker-archive.tar"), &layerkit.LoadOptions{
		Open: &layerkit.OpenOptions{Limits: &lim}})
	wantErr(t, "Load with 1 layer per image", err, layerkit.ErrLimit)
	if _, err := s.Load(filepath.Join(samplesDir(t), "base.docker-archive.tar"), &layerkit.LoadOptions{
		Open: &layerkit.OpenOptions{Platform: "linux/amd64"}, Image: "@0"}); err != nil {
		t.Errorf("Load with a platform: %v", err)
	}

	// Plan misuse.
	a := openT(t, filepath.Join(samplesDir(t), "runtime.docker-archive.tar"), nil)
	b := openT(t, filepath.Join(samplesDir(t), "app.docker-archive.tar"), nil)
	_, err = s.Plan(a, b.Images()[0])
	wantErr(t, "Plan with an image of another archive", err, layerkit.ErrInvalid)
	_, err = s.Plan(nil, nil)
	wantErr(t, "Plan(nil archive)", err, layerkit.ErrInvalid)

	// A closed store.
	s.Close()
	s.Close()
	_, err = s.HasBlob("sha256:" + strings.Repeat("0", 64))
	wantErr(t, "closed store", err, layerkit.ErrInvalid)
	_, err = s.ImagesJSON()
	wantErr(t, "closed store", err, layerkit.ErrInvalid)
	_, err = s.Plan(a, nil)
	wantErr(t, "closed store", err, layerkit.ErrInvalid)
	var nilStore *layerkit.Store
	_, err = nilStore.DFJSON()
	wantErr(t, "nil store", err, layerkit.ErrInvalid)
}

func TestDefaultStorePath(t *testing.T) {
	xdg := t.TempDir()
	t.Setenv("XDG_DATA_HOME", xdg)
	p, err := layerkit.DefaultStorePath()
	if err != nil || p != filepath.Join(xdg, "layerkit", "store") {
		t.Errorf("DefaultStorePath() = %q, %v; want %s", p, err, filepath.Join(xdg, "layerkit", "store"))
	}
	t.Setenv("XDG_DATA_HOME", "")
	t.Setenv("HOME", "/home/someone")
	if p, err := layerkit.DefaultStorePath(); err != nil || p != "/home/someone/.local/share/layerkit/store" {
		t.Errorf("DefaultStorePath() without XDG_DATA_HOME = %q, %v", p, err)
	}
}

// A corrupted blob: Verify reports it (ok false), it is not an error.
func TestStoreVerifyFindsCorruption(t *testing.T) {
	base := sampleByFile(t, "base.docker-archive.tar")
	dir := filepath.Join(t.TempDir(), "store")
	s := openStoreT(t, dir)
	if _, err := s.Load(filepath.Join(samplesDir(t), base.File), nil); err != nil {
		t.Fatal(err)
	}
	blob := filepath.Join(dir, "blobs", "sha256", strings.TrimPrefix(base.Layers[1].Digest, "sha256:"))
	os.Chmod(blob, 0o644)
	f, err := os.OpenFile(blob, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteAt([]byte{'X'}, 100)
	f.Close()
	ok, js, err := s.Verify(1, nil)
	if err != nil || ok {
		t.Fatalf("Verify of a corrupted store: ok %v, %v", ok, err)
	}
	if !strings.Contains(js, base.Layers[1].Digest) {
		t.Errorf("the report does not name %s:\n%s", base.Layers[1].Digest, js)
	}
	// Save re-hashes: it refuses the corrupt blob and leaves nothing.
	out := filepath.Join(t.TempDir(), "o.tar")
	_, err = s.Save([]string{base.Ref}, out, nil)
	wantErr(t, "Save of a corrupt blob", err, layerkit.ErrDigestMismatch)
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a failed Save left %s", out)
	}
}

func TestStoreCancel(t *testing.T) {
	base := sampleByFile(t, "base.docker-archive.tar")
	dir := filepath.Join(t.TempDir(), "store")
	s := openStoreT(t, dir)
	path := filepath.Join(samplesDir(t), base.File)

	var events []layerkit.LoadEvent
	rec := &recorder{stopAfter: 1}
	_, err := s.Load(path, &layerkit.LoadOptions{Progress: rec.fn, OnEvent: func(e layerkit.LoadEvent) { events = append(events, e) }})
	wantErr(t, "load cancelled", err, layerkit.ErrCancelled)
	if rec.calls != 1 {
		t.Errorf("progress called %d times after cancelling", rec.calls)
	}
	for _, e := range events {
		if e.Kind == layerkit.EventLoaded {
			t.Errorf("a cancelled load reported %+v", e)
		}
	}
	// Nothing committed.
	if imgs := storeImages(t, s); len(imgs) != 0 {
		t.Errorf("a cancelled load left images %+v", imgs)
	}
	for _, l := range base.Layers {
		if has, _ := s.HasBlob(l.Digest); has {
			t.Errorf("a cancelled load left blob %s", l.Digest)
		}
	}

	// Cancelling the archive's open (OpenOptions.Progress, over a gzip copy).
	gz := filepath.Join(t.TempDir(), "base.tar.gz")
	writeGzip(t, path, gz)
	rec = &recorder{stopAfter: 1}
	_, err = s.Load(gz, &layerkit.LoadOptions{Open: &layerkit.OpenOptions{Progress: rec.fn}})
	wantErr(t, "load cancelled while opening", err, layerkit.ErrCancelled)
	rec = &recorder{}
	if _, err := s.Load(gz, &layerkit.LoadOptions{Open: &layerkit.OpenOptions{Progress: rec.fn}}); err != nil || rec.calls == 0 {
		t.Fatalf("load of a gzip archive: %v, %d open progress calls", err, rec.calls)
	}

	rec = &recorder{stopAfter: 1}
	out := filepath.Join(t.TempDir(), "o.tar")
	_, err = s.Save([]string{base.Ref}, out, &layerkit.SaveOptions{Progress: rec.fn})
	wantErr(t, "save cancelled", err, layerkit.ErrCancelled)
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a cancelled Save left %s", out)
	}
	rec = &recorder{stopAfter: 1}
	_, _, err = s.Verify(1, rec.fn)
	wantErr(t, "store verify cancelled", err, layerkit.ErrCancelled)
	if ok, _, err := s.Verify(0, nil); err != nil || !ok {
		t.Errorf("Verify after cancels: %v %v", ok, err)
	}
}

func writeGzip(t *testing.T, src, dst string) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	f, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	zw := gzip.NewWriter(f)
	if _, err := io.Copy(zw, in); err != nil {
		t.Fatal(err)
	}
	zw.Close()
	f.Close()
}

// A panic in OnEvent does not unwind through C: it is recovered, the load is
// cancelled at its next progress point (nothing committed), and the same
// value is panicked again after the call.
func TestStoreEventPanic(t *testing.T) {
	base := sampleByFile(t, "base.docker-archive.tar")
	s := openStoreT(t, filepath.Join(t.TempDir(), "store"))
	path := filepath.Join(samplesDir(t), base.File)
	for _, withProgress := range []bool{false, true} {
		calls := 0
		var progress layerkit.ProgressFunc
		if withProgress {
			progress = func(done, total uint64) bool { return true }
		}
		func() {
			defer func() {
				if r := recover(); r == nil || r.(*boom).n != 7 {
					t.Errorf("recovered %#v, want the callback's *boom", r)
				}
			}()
			s.Load(path, &layerkit.LoadOptions{Progress: progress, OnEvent: func(e layerkit.LoadEvent) {
				calls++
				panic(&boom{7})
			}})
			t.Errorf("Load returned instead of panicking")
		}()
		if calls != 1 {
			t.Errorf("OnEvent called %d times; events after a panic must be dropped", calls)
		}
		if imgs := storeImages(t, s); len(imgs) != 0 {
			t.Errorf("a load whose OnEvent panicked committed %+v", imgs)
		}
	}
	// A panic at EventLoaded comes after the commit: the image is there, and
	// the panic still reaches the caller.
	func() {
		defer func() {
			if r := recover(); r != "loaded boom" {
				t.Errorf("recovered %#v", r)
			}
		}()
		s.Load(path, &layerkit.LoadOptions{OnEvent: func(e layerkit.LoadEvent) {
			if e.Kind == layerkit.EventLoaded {
				panic("loaded boom")
			}
		}})
	}()
	if imgs := storeImages(t, s); len(imgs) != 1 || imgs[0].Id != base.ID {
		t.Errorf("after a panic at EventLoaded: %+v", imgs)
	}
	// Progress panics too, in Save and Verify.
	func() {
		defer func() {
			if r := recover(); r != "save boom" {
				t.Errorf("Save: recovered %#v", r)
			}
		}()
		s.Save([]string{base.Ref}, filepath.Join(t.TempDir(), "o.tar"), &layerkit.SaveOptions{
			Progress: func(done, total uint64) bool { panic("save boom") }})
	}()
	func() {
		defer func() {
			if r := recover(); r != "verify boom" {
				t.Errorf("Verify: recovered %#v", r)
			}
		}()
		s.Verify(2, func(done, total uint64) bool { panic("verify boom") })
	}()
	// The store was unlocked while the panics unwound.
	if ok, _, err := s.Verify(0, nil); err != nil || !ok {
		t.Errorf("Verify after panics: %v %v", ok, err)
	}
}

// Several goroutines on one Store (serialized by the binding) and on two
// Store values of one directory (serialized by the library's lock).
func TestStoreConcurrentUse(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	shared := openStoreT(t, dir)
	other := openStoreT(t, dir)
	files := []string{"base.docker-archive.tar", "runtime.docker-archive.tar", "app.docker-archive.tar"}
	done := make(chan error, 6)
	for g := 0; g < 6; g++ {
		go func(g int) {
			s := shared
			if g%2 == 1 {
				s = other
			}
			_, err := s.Load(filepath.Join(samplesDir(t), files[g%3]), nil)
			if err == nil {
				_, err = s.ImagesJSON()
			}
			done <- err
		}(g)
	}
	for g := 0; g < 6; g++ {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
	if imgs := storeImages(t, shared); len(imgs) != 3 {
		t.Errorf("%d images after concurrent loads: %+v", len(imgs), imgs)
	}
	if ok, js, err := shared.Verify(0, nil); err != nil || !ok {
		t.Errorf("Verify: %v %v %s", ok, err, js)
	}
	checkBlobFiles(t, dir)
}
