package layerkit_test

// Layer entries (lk_layer_entries) against archive/tar: the layer members of
// the samples, layer tars written here with archive/tar (every entry type,
// PAX xattrs, whiteouts, large IDs), and layers damaged here (a cut, a
// garbage header) whose readable prefix archive/tar also reports.

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"layerkit.invalid/go/layerkit"
)

// readLayerTar reads the headers of a layer tar in order, up to the first
// error (returned alongside the entries before it).
func readLayerTar(b []byte) ([]*tar.Header, error) {
	tr := tar.NewReader(bytes.NewReader(b))
	var out []*tar.Header
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, h)
	}
}

var tarTypes = map[byte]byte{
	tar.TypeReg: '-', tar.TypeRegA: '-', tar.TypeDir: 'd', tar.TypeSymlink: 'l', tar.TypeLink: 'h',
	tar.TypeChar: 'c', tar.TypeBlock: 'b', tar.TypeFifo: 'p',
}

func tarPath(name string) string {
	for strings.HasPrefix(name, "./") {
		name = name[2:]
	}
	return strings.TrimLeft(name, "/")
}

// compareEntries checks layerkit's entries against archive/tar's headers.
func compareEntries(t *testing.T, where string, got []layerkit.Entry, want []*tar.Header) {
	t.Helper()
	if len(got) != len(want) {
		var names []string
		for _, e := range got {
			names = append(names, e.Path)
		}
		t.Fatalf("%s: %d entries %q, archive/tar reads %d", where, len(got), names, len(want))
	}
	for i, h := range want {
		e := got[i]
		typ, ok := tarTypes[h.Typeflag]
		if !ok {
			typ = '?'
		}
		if e.Path != tarPath(h.Name) || e.Type != typ {
			t.Errorf("%s entry %d: %q type %q; archive/tar: %q type %q", where, i, e.Path, e.Type, tarPath(h.Name), typ)
		}
		if e.Mode != uint32(h.Mode&0o7777) || e.UID != int64(h.Uid) || e.GID != int64(h.Gid) ||
			e.Uname != h.Uname || e.Gname != h.Gname {
			t.Errorf("%s %s: mode %o uid %d gid %d %q/%q; archive/tar: %o %d %d %q/%q", where, e.Path,
				e.Mode, e.UID, e.GID, e.Uname, e.Gname, h.Mode&0o7777, h.Uid, h.Gid, h.Uname, h.Gname)
		}
		if e.Mtime != h.ModTime.Unix() || !e.ModTime().Equal(h.ModTime.Truncate(time.Second)) {
			t.Errorf("%s %s: mtime %d; archive/tar %v", where, e.Path, e.Mtime, h.ModTime)
		}
		wantSize := uint64(0)
		if typ == '-' {
			wantSize = uint64(h.Size)
		}
		if e.Size != wantSize {
			t.Errorf("%s %s: size %d; archive/tar %d", where, e.Path, e.Size, wantSize)
		}
		wantLink := ""
		switch typ {
		case 'l':
			wantLink = h.Linkname
		case 'h':
			wantLink = tarPath(h.Linkname)
		}
		if e.Link != wantLink {
			t.Errorf("%s %s: link %q; archive/tar %q", where, e.Path, e.Link, wantLink)
		}
		if typ == 'c' || typ == 'b' {
			if e.DevMajor != uint32(h.Devmajor) || e.DevMinor != uint32(h.Devminor) {
				t.Errorf("%s %s: device %d,%d; archive/tar %d,%d", where, e.Path, e.DevMajor, e.DevMinor, h.Devmajor, h.Devminor)
			}
		}
		base := e.Path[strings.LastIndex(strings.TrimSuffix(e.Path, "/"), "/")+1:]
		if e.Opaque != (base == ".wh..wh..opq") || e.Whiteout != (!e.Opaque && strings.HasPrefix(base, ".wh.")) {
			t.Errorf("%s %s: whiteout %v opaque %v", where, e.Path, e.Whiteout, e.Opaque)
		}
		xattrs := map[string]string{}
		for k, v := range h.PAXRecords {
			if strings.HasPrefix(k, "SCHILY.xattr.") {
				xattrs[strings.TrimPrefix(k, "SCHILY.xattr.")] = v
			}
		}
		if len(e.Xattrs) != len(xattrs) {
			t.Errorf("%s %s: xattrs %q; archive/tar %q", where, e.Path, e.Xattrs, xattrs)
		}
		for k, v := range xattrs {
			if got, ok := e.Xattrs[k]; !ok || string(got) != v {
				t.Errorf("%s %s: xattr %s = %q; archive/tar %q", where, e.Path, k, got, v)
			}
		}
	}
}

func TestSamplesEntries(t *testing.T) {
	for _, name := range []string{"base", "runtime", "app"} {
		s := sampleByFile(t, name+".docker-archive.tar")
		t.Run(s.File, func(t *testing.T) {
			members := readTar(t, filepath.Join(samplesDir(t), s.File))
			a := openT(t, filepath.Join(samplesDir(t), s.File), nil)
			img := a.Images()[0]
			types := map[byte]int{}
			for i, l := range s.Layers {
				want, err := readLayerTar(members[l.Member].Data)
				if err != nil {
					t.Fatalf("archive/tar: layer %d: %v", i, err)
				}
				got, err := a.Entries(img, i)
				if err != nil {
					t.Fatalf("Entries(%d): %v", i, err)
				}
				compareEntries(t, s.File+" layer "+strconv.Itoa(i), got, want)
				for _, e := range got {
					types[e.Type]++
				}
			}
			if name == "runtime" && (types['l'] == 0 || types['h'] == 0) {
				t.Errorf("the runtime sample has a symlink and a hard link (archive/tar); types %v", types)
			}
			if _, err := a.Entries(img, len(s.Layers)); !errors.Is(err, layerkit.ErrInvalid) {
				t.Errorf("Entries(out of range): %v, want ErrInvalid", err)
			}
			if _, err := a.Entries(img, -1); !errors.Is(err, layerkit.ErrInvalid) {
				t.Errorf("Entries(-1): %v, want ErrInvalid", err)
			}
			if _, err := a.LooseEntries(); !errors.Is(err, layerkit.ErrInvalid) {
				t.Errorf("LooseEntries on a %s: %v, want ErrInvalid", a.Format(), err)
			}
		})
	}
}

func TestEntriesMisuse(t *testing.T) {
	a := openT(t, filepath.Join(samplesDir(t), "base.docker-archive.tar"), nil)
	b := openT(t, filepath.Join(samplesDir(t), "app.docker-archive.tar"), nil)
	if _, err := a.Entries(b.Images()[0], 0); !errors.Is(err, layerkit.ErrInvalid) {
		t.Errorf("an image of another archive: %v, want ErrInvalid", err)
	}
	if _, err := a.Entries(nil, 0); !errors.Is(err, layerkit.ErrInvalid) {
		t.Errorf("nil image: %v, want ErrInvalid", err)
	}
	img := a.Images()[0]
	a.Close()
	if _, err := a.Entries(img, 0); !errors.Is(err, layerkit.ErrInvalid) {
		t.Errorf("closed archive: %v, want ErrInvalid", err)
	}
	if _, err := a.LooseEntries(); !errors.Is(err, layerkit.ErrInvalid) {
		t.Errorf("closed archive, LooseEntries: %v, want ErrInvalid", err)
	}
}

// A lone layer tar written with archive/tar, with every type a tar can
// carry, PAX xattrs (binary values), whiteouts and IDs beyond ustar's range.
func TestLooseEntriesWrittenByArchiveTar(t *testing.T) {
	mt := time.Unix(1700000000, 0)
	capability := "\x01\x00\x00\x02\x00\x20\x00\x00\x00\x00\xff\x00"
	headers := []*tar.Header{
		{Typeflag: tar.TypeDir, Name: "etc/", Mode: 0o755, ModTime: mt, Uname: "root", Gname: "root"},
		{Typeflag: tar.TypeReg, Name: "etc/motd", Mode: 0o644, Size: 12, ModTime: mt, Uid: 3000000, Gid: 3000001, Uname: "far", Gname: "away"},
		{Typeflag: tar.TypeReg, Name: "usr/bin/ping", Mode: 0o4755, Size: 5, ModTime: mt, PAXRecords: map[string]string{
			"SCHILY.xattr.security.capability": capability, "SCHILY.xattr.user.note": "hello"}},
		{Typeflag: tar.TypeDir, Name: "tmp/", Mode: 0o1777, ModTime: mt},
		{Typeflag: tar.TypeSymlink, Name: "usr/bin/p", Linkname: "ping", Mode: 0o777, ModTime: mt},
		{Typeflag: tar.TypeLink, Name: "usr/bin/ping6", Linkname: "usr/bin/ping", Mode: 0o4755, ModTime: mt},
		{Typeflag: tar.TypeChar, Name: "dev/null", Mode: 0o666, Devmajor: 1, Devminor: 3, ModTime: mt},
		{Typeflag: tar.TypeBlock, Name: "dev/sda", Mode: 0o660, Devmajor: 8, Devminor: 0, ModTime: mt},
		{Typeflag: tar.TypeFifo, Name: "run/fifo", Mode: 0o600, ModTime: mt},
		{Typeflag: tar.TypeReg, Name: "var/.wh.cache", Mode: 0o600, ModTime: mt},
		{Typeflag: tar.TypeReg, Name: "opt/.wh..wh..opq", Mode: 0o600, ModTime: mt},
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, h := range headers {
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Size > 0 {
			tw.Write(bytes.Repeat([]byte{'x'}, int(h.Size)))
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "layer.tar")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	want, err := readLayerTar(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	a := openT(t, path, nil)
	if a.Format() != "layer-tar" || len(a.Images()) != 0 {
		t.Fatalf("Format() %q with %d images, want a layer-tar", a.Format(), len(a.Images()))
	}
	got, err := a.LooseEntries()
	if err != nil {
		t.Fatal(err)
	}
	compareEntries(t, "layer.tar", got, want)
	byPath := map[string]layerkit.Entry{}
	for _, e := range got {
		byPath[e.Path] = e
	}
	// The facts written above, spelled out.
	if e := byPath["usr/bin/ping"]; string(e.Xattrs["security.capability"]) != capability || e.Mode != 0o4755 ||
		e.FileMode() != fs.ModeSetuid|0o755 {
		t.Errorf("usr/bin/ping: %+v, FileMode %v", e, e.FileMode())
	}
	if e := byPath["etc/motd"]; e.UID != 3000000 || e.GID != 3000001 || e.Uname != "far" || e.Size != 12 || e.Xattrs != nil {
		t.Errorf("etc/motd: %+v", e)
	}
	if e := byPath["dev/null"]; e.Type != layerkit.TypeCharDev || e.DevMajor != 1 || e.DevMinor != 3 ||
		e.FileMode() != fs.ModeDevice|fs.ModeCharDevice|0o666 {
		t.Errorf("dev/null: %+v", e)
	}
	if e := byPath["tmp/"]; e.FileMode() != fs.ModeDir|fs.ModeSticky|0o777 {
		t.Errorf("tmp/: FileMode %v", e.FileMode())
	}
	if e := byPath["run/fifo"]; e.Type != layerkit.TypeFIFO || e.FileMode().Type() != fs.ModeNamedPipe {
		t.Errorf("run/fifo: %+v", e)
	}
	if !byPath["var/.wh.cache"].Whiteout || !byPath["opt/.wh..wh..opq"].Opaque || byPath["opt/.wh..wh..opq"].Whiteout {
		t.Errorf("whiteouts: %+v %+v", byPath["var/.wh.cache"], byPath["opt/.wh..wh..opq"])
	}
	if !byPath["etc/motd"].ModTime().Equal(mt) {
		t.Errorf("ModTime %v, want %v", byPath["etc/motd"].ModTime(), mt)
	}
	if _, err := a.Entries(nil, 0); !errors.Is(err, layerkit.ErrInvalid) {
		t.Errorf("Entries(nil image): %v, want ErrInvalid", err)
	}
}

// damagedSample rewrites the base sample with archive/tar, replacing the
// body of its first layer member with damage(layer).
func damagedSample(t *testing.T, damage func([]byte) []byte) (path string, layer []byte) {
	t.Helper()
	s := sampleByFile(t, "base.docker-archive.tar")
	src, err := os.Open(filepath.Join(samplesDir(t), s.File))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var buf bytes.Buffer
	tr, tw := tar.NewReader(src), tar.NewWriter(&buf)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if h.Name == s.Layers[0].Member {
			data = damage(data)
			layer = data
			h.Size = int64(len(data))
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		tw.Write(data)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if layer == nil {
		t.Fatalf("no member %s", s.Layers[0].Member)
	}
	path = filepath.Join(t.TempDir(), "base.damaged.tar")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, layer
}

// thirdHeader is the offset of the third header of a layer whose first
// entries are plain ustar headers: the end of the second entry's body.
func thirdHeader(t *testing.T, layer []byte) int64 {
	t.Helper()
	hs, err := readLayerTar(layer)
	if err != nil || len(hs) < 3 {
		t.Fatalf("the sample layer: %d entries, %v", len(hs), err)
	}
	pad := func(n int64) int64 { return (n + 511) / 512 * 512 }
	return 512 + pad(hs[0].Size) + 512 + pad(hs[1].Size)
}

func TestEntriesOfDamagedLayers(t *testing.T) {
	for _, c := range []struct {
		name   string
		damage func(t *testing.T, b []byte) []byte
		want   error
	}{
		{"cut in a header", func(t *testing.T, b []byte) []byte { return b[:thirdHeader(t, b)+100] }, layerkit.ErrTruncated},
		{"garbage header", func(t *testing.T, b []byte) []byte {
			b = append([]byte(nil), b...)
			off := thirdHeader(t, b)
			copy(b[off:off+512], bytes.Repeat([]byte{0xff}, 512))
			return b
		}, layerkit.ErrMalformed},
	} {
		t.Run(c.name, func(t *testing.T) {
			path, layer := damagedSample(t, func(b []byte) []byte { return c.damage(t, b) })
			want, tarErr := readLayerTar(layer)
			if tarErr == nil || len(want) != 2 {
				t.Fatalf("archive/tar reads %d entries and %v from the damaged layer; want 2 and an error", len(want), tarErr)
			}
			a := openT(t, path, nil)
			got, err := a.Entries(a.Images()[0], 0)
			e := wantErr(t, c.name, err, c.want)
			if !strings.Contains(e.Message, "not a complete tar") {
				t.Errorf("message %q", e.Message)
			}
			// The entries before the damage come with the error.
			compareEntries(t, c.name, got, want)
			// The other layer is intact.
			if _, err := a.Entries(a.Images()[0], 1); err != nil {
				t.Errorf("layer 1: %v", err)
			}
		})
	}
}
