package layerkit_test

// Bad input, made in t.TempDir() from the samples with the Go standard
// library: not an archive, truncated, a flipped byte; misuse of the API.

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"layerkit.invalid/go/layerkit"
)

func wantErr(t *testing.T, what string, err, target error) *layerkit.Error {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: got %v, want an error wrapping %v", what, err, target)
	}
	var e *layerkit.Error
	if !errors.As(err, &e) {
		t.Fatalf("%s: %T is not a *layerkit.Error", what, err)
	}
	if e.Error() == "" || !strings.Contains(e.Error(), e.Status.String()) {
		t.Errorf("%s: Error() = %q", what, e.Error())
	}
	return e
}

func TestOpenNotAnArchive(t *testing.T) {
	dir := t.TempDir()
	text := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(text, []byte("hello, not a container image\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := layerkit.Open(text, nil)
	e := wantErr(t, "text file", err, layerkit.ErrFormat)
	if e.Message == "" {
		t.Errorf("no message from lk_last_error()")
	}
	_, err = layerkit.Open(empty, nil)
	wantErr(t, "empty directory", err, layerkit.ErrFormat)
	_, err = layerkit.Open(filepath.Join(dir, "absent.tar"), nil)
	wantErr(t, "absent file", err, layerkit.ErrNotFound)
	if errors.Is(err, layerkit.ErrFormat) {
		t.Errorf("ErrNotFound also matches ErrFormat")
	}
}

func TestOpenTruncatedSample(t *testing.T) {
	s := sampleByFile(t, "base.docker-archive.tar")
	src := filepath.Join(samplesDir(t), s.File)
	members := readTar(t, src)
	first := members[s.Layers[0].Member]
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	// Cut inside the first layer member's body.
	cut := first.DataOffset + first.Header.Size/2
	path := filepath.Join(t.TempDir(), "base.truncated.tar")
	if err := os.WriteFile(path, data[:cut], 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = layerkit.Open(path, nil)
	e := wantErr(t, "truncated tar", err, layerkit.ErrTruncated)
	if !strings.Contains(e.Message, s.Layers[0].Member) {
		t.Errorf("message %q does not name member %s", e.Message, s.Layers[0].Member)
	}
}

func TestOpenTruncatedCompressedSample(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(samplesDir(t), "base.docker-archive.tar"))
	if err != nil {
		t.Fatal(err)
	}
	// The archive gzip-compressed as a whole, then cut.
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(data)
	zw.Close()
	path := filepath.Join(t.TempDir(), "base.truncated.tar.gz")
	if err := os.WriteFile(path, gz.Bytes()[:gz.Len()/2], 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = layerkit.Open(path, nil)
	wantErr(t, "truncated tar.gz", err, layerkit.ErrTruncated)
}

// flipFirstFileByte flips the first content byte of the first non-empty
// regular file inside the first layer member, keeping every tar header valid.
func flipFirstFileByte(t *testing.T, data []byte, layer *tarMember) {
	t.Helper()
	cr := &countingReader{r: bytes.NewReader(layer.Data)}
	tr := tar.NewReader(cr)
	for {
		h, err := tr.Next()
		if err != nil {
			t.Fatalf("no regular file in the layer: %v", err)
		}
		if h.Typeflag == tar.TypeReg && h.Size > 0 {
			off := layer.DataOffset + cr.n
			data[off] ^= 0xff
			return
		}
		io.Copy(io.Discard, tr)
	}
}

func TestVerifyFlippedByteSample(t *testing.T) {
	s := sampleByFile(t, "base.docker-archive.tar")
	src := filepath.Join(samplesDir(t), s.File)
	members := readTar(t, src)
	path := filepath.Join(t.TempDir(), "base.flipped.tar")
	data := copyFile(t, src, path)
	flipFirstFileByte(t, data, members[s.Layers[0].Member])
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	flipped := readTar(t, path)[s.Layers[0].Member].Data
	actual := sha256Digest(flipped)
	if actual == s.DiffIDs[0] {
		t.Fatal("the flip did not change the layer")
	}

	a := openT(t, path, nil) // the tar structure is intact: it opens
	r, err := a.Verify(layerkit.VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r.OK || len(r.Problems) != 1 {
		t.Fatalf("OK %v, problems %+v; want exactly one", r.OK, r.Problems)
	}
	p := r.Problems[0]
	if p.Kind != "diff_id" || p.Layer != 0 || p.Member != s.Layers[0].Member || p.Expected != s.DiffIDs[0] || p.Actual != actual {
		t.Errorf("problem %+v; want kind diff_id, layer 0, member %s, expected %s, actual %s", p, s.Layers[0].Member, s.DiffIDs[0], actual)
	}
	if !strings.Contains(p.Message, s.Layers[0].Member) {
		t.Errorf("message %q does not name the member", p.Message)
	}
	if !strings.Contains(r.JSON(), actual) {
		t.Errorf("JSON() lacks the actual digest")
	}
	// Only layer 0 is wrong: the history still lists both layers.
	if rows, err := a.History(a.Images()[0], false, nil); err != nil || len(rows) != s.HistoryCount {
		t.Errorf("History: %d rows, %v", len(rows), err)
	}
}

func TestLimits(t *testing.T) {
	d := layerkit.DefaultLimits()
	// The defaults layerkit.h documents.
	if d.LayersPerImage != 1000 || d.ManifestJSONBytes != 1<<20 || d.JSONDepth != 64 || d.SymlinkHops != 8 {
		t.Errorf("DefaultLimits() = %+v", d)
	}
	s := sampleByFile(t, "app.docker-archive.tar")
	path := filepath.Join(samplesDir(t), s.File)
	l := d
	l.LayersPerImage = uint32(len(s.Layers) - 1)
	_, err := layerkit.Open(path, &layerkit.OpenOptions{Limits: &l})
	wantErr(t, "LayersPerImage below the layer count", err, layerkit.ErrLimit)
	l.LayersPerImage = uint32(len(s.Layers))
	openT(t, path, &layerkit.OpenOptions{Limits: &l})
}

func TestMisuse(t *testing.T) {
	base := openT(t, filepath.Join(samplesDir(t), "base.docker-archive.tar"), nil)
	app := openT(t, filepath.Join(samplesDir(t), "app.docker-archive.tar"), nil)
	baseImg, appImg := base.Images()[0], app.Images()[0]

	_, err := base.Layers(appImg, false)
	wantErr(t, "image of another archive", err, layerkit.ErrInvalid)
	_, err = base.History(nil, false, nil)
	wantErr(t, "nil image", err, layerkit.ErrInvalid)
	_, err = layerkit.Dedup([]layerkit.DedupInput{{Archive: base, Image: appImg}}, 0, nil)
	wantErr(t, "dedup of a foreign image", err, layerkit.ErrInvalid)
	_, err = layerkit.Dedup([]layerkit.DedupInput{{Archive: base, Image: baseImg}}, -1, nil)
	wantErr(t, "dedup threads -1", err, layerkit.ErrInvalid)

	// A NUL byte would cut the string in C: refused, not taken for a shorter one.
	path := filepath.Join(samplesDir(t), "base.docker-archive.tar")
	_, err = layerkit.Open(path+"\x00/elsewhere", nil)
	wantErr(t, "Open with a NUL in the path", err, layerkit.ErrInvalid)
	_, err = base.FindImage("@0\x00junk")
	wantErr(t, "FindImage with a NUL", err, layerkit.ErrInvalid)
	_, err = base.Verify(layerkit.VerifyOptions{Image: "@0\x00junk"})
	wantErr(t, "Verify with a NUL in Image", err, layerkit.ErrInvalid)
	_, err = layerkit.OpenStore(t.TempDir()+"/s\x00junk", true)
	wantErr(t, "OpenStore with a NUL", err, layerkit.ErrInvalid)

	// Dedup with nothing to compare: an empty result, not an error.
	res, err := layerkit.Dedup(nil, 0, nil)
	if err != nil || res.TotalBytes != 0 || len(res.Layers) != 0 {
		t.Errorf("Dedup(nil) = %+v, %v", res, err)
	}

	if err := base.Close(); err != nil {
		t.Fatal(err)
	}
	base.Close() // idempotent
	// The Go copies stay readable after Close...
	if baseImg.ID == "" || base.Format() != "docker-archive" {
		t.Errorf("copies lost after Close")
	}
	// ...but the C handle is gone.
	_, err = base.Layers(baseImg, false)
	wantErr(t, "Layers after Close", err, layerkit.ErrInvalid)
	_, err = base.FindImage("@0")
	wantErr(t, "FindImage after Close", err, layerkit.ErrInvalid)
	_, err = base.Verify(layerkit.VerifyOptions{})
	wantErr(t, "Verify after Close", err, layerkit.ErrInvalid)
	_, err = base.InspectJSON(nil)
	wantErr(t, "InspectJSON after Close", err, layerkit.ErrInvalid)
	_, err = layerkit.Dedup([]layerkit.DedupInput{{Archive: app, Image: appImg}, {Archive: base, Image: baseImg}}, 0, nil)
	wantErr(t, "Dedup after Close", err, layerkit.ErrInvalid)
	// The other archive is untouched.
	if _, err := app.Verify(layerkit.VerifyOptions{}); err != nil {
		t.Error(err)
	}
}
