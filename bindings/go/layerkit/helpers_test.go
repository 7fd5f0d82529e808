package layerkit_test

// Test helpers. Every value a test asserts comes from outside layerkit: the
// expected JSON written by peer tools (samples/expected.json, the corpus's
// expected/*.json), crypto/sha256 over the files, and archive/tar reads of
// the archives themselves.

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// repoRoot is the layerkit checkout: this file is bindings/go/layerkit/.
func repoRoot(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cannot locate the test source")
	}
	root, err := filepath.Abs(filepath.Join(filepath.Dir(file), "..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func samplesDir(t testing.TB) string { return filepath.Join(repoRoot(t), "samples") }

// corpusDir is $LAYERKIT_CORPUS, else ../shared/corpus beside the checkout;
// the test is skipped, saying so, when neither holds an expected/ folder.
func corpusDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("LAYERKIT_CORPUS")
	if dir == "" {
		dir = filepath.Join(repoRoot(t), "..", "shared", "corpus")
	}
	if st, err := os.Stat(filepath.Join(dir, "expected")); err != nil || !st.IsDir() {
		t.Skip("skipped: needs the shared corpus (../shared/corpus beside the checkout, or $LAYERKIT_CORPUS)")
	}
	return dir
}

func sha256Digest(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func fileDigest(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256Digest(b)
}

// chainIDs per the OCI image spec (config.md, ChainID):
// ChainID(L0) = DiffID(L0); ChainID(Ln) = sha256(ChainID(Ln-1) + " " + DiffID(Ln)).
func chainIDs(diffIDs []string) []string {
	out := make([]string, len(diffIDs))
	for i, d := range diffIDs {
		if i == 0 {
			out[i] = d
		} else {
			out[i] = sha256Digest([]byte(out[i-1] + " " + d))
		}
	}
	return out
}

func loadJSON(t testing.TB, path string, v interface{}) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// tarMember is one member of an outer archive, read with archive/tar.
type tarMember struct {
	Header     *tar.Header
	DataOffset int64 // where its body starts in the file
	Data       []byte
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// readTar reads every member of an uncompressed tar file, with body offsets.
func readTar(t testing.TB, path string) map[string]*tarMember {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return readTarBytes(t, b)
}

func readTarBytes(t testing.TB, b []byte) map[string]*tarMember {
	t.Helper()
	cr := &countingReader{r: bytes.NewReader(b)}
	tr := tar.NewReader(cr)
	out := map[string]*tarMember{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("archive/tar: %v", err)
		}
		m := &tarMember{Header: h, DataOffset: cr.n}
		if m.Data, err = io.ReadAll(tr); err != nil {
			t.Fatalf("archive/tar: %s: %v", h.Name, err)
		}
		out[strings.TrimPrefix(h.Name, "./")] = m
	}
	return out
}

// layerFacts are what a layer blob holds, read with compress/gzip and archive/tar.
type layerFacts struct {
	Compression       string // "none" or "gzip"
	DiffID            string // sha256 of the uncompressed tar stream
	UncompressedBytes int64
	ContentBytes      int64 // Docker's layer size, see contentBytes
}

var errZstd = errors.New("zstd layer: not readable with the Go standard library")

func readLayer(t testing.TB, blob []byte) (layerFacts, error) {
	t.Helper()
	f := layerFacts{Compression: "none"}
	stream := blob
	switch {
	case len(blob) >= 2 && blob[0] == 0x1f && blob[1] == 0x8b:
		f.Compression = "gzip"
		zr, err := gzip.NewReader(bytes.NewReader(blob))
		if err != nil {
			return f, err
		}
		if stream, err = io.ReadAll(zr); err != nil {
			return f, err
		}
	case len(blob) >= 4 && bytes.Equal(blob[:4], []byte{0x28, 0xb5, 0x2f, 0xfd}):
		return f, errZstd
	}
	f.DiffID = sha256Digest(stream)
	f.UncompressedBytes = int64(len(stream))
	n, err := contentBytes(stream)
	f.ContentBytes = n
	return f, err
}

// contentBytes is Docker's layer size, as its graphdriver reports it for the
// extracted layer (directory.Size): the apparent size of every regular file,
// a symlink counting the length of its target, a hard link and a directory
// counting nothing, and a path written twice counting its last version.
func contentBytes(layerTar []byte) (int64, error) {
	tr := tar.NewReader(bytes.NewReader(layerTar))
	size := map[string]int64{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, err
		}
		name := h.Name
		for strings.HasPrefix(name, "./") {
			name = name[2:]
		}
		name = strings.TrimRight(name, "/")
		var n int64
		switch h.Typeflag {
		case tar.TypeReg, tar.TypeRegA:
			n = h.Size
		case tar.TypeSymlink:
			n = int64(len(h.Linkname))
		}
		size[name] = n
	}
	var total int64
	for _, n := range size {
		total += n
	}
	return total, nil
}

func copyFile(t testing.TB, src, dst string) []byte {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return b
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// imageConfig is the part of an image config (OCI config.md / Docker) the
// tests compare, decoded with encoding/json from the stored config blob.
type imageConfig struct {
	Created      string `json:"created"`
	Author       string `json:"author"`
	Architecture string `json:"architecture"`
	OS           string `json:"os"`
	Config       struct {
		User         string                 `json:"User"`
		Env          []string               `json:"Env"`
		Cmd          []string               `json:"Cmd"`
		Entrypoint   []string               `json:"Entrypoint"`
		WorkingDir   string                 `json:"WorkingDir"`
		Labels       map[string]string      `json:"Labels"`
		ExposedPorts map[string]interface{} `json:"ExposedPorts"`
		Healthcheck  *struct {
			Test []string `json:"Test"`
		} `json:"Healthcheck"`
	} `json:"config"`
	RootFS struct {
		DiffIDs []string `json:"diff_ids"`
	} `json:"rootfs"`
	History []struct {
		Created    string `json:"created"`
		CreatedBy  string `json:"created_by"`
		Comment    string `json:"comment"`
		EmptyLayer bool   `json:"empty_layer"`
	} `json:"history"`
}
