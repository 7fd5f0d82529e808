package layerkit_test

// Layer entries over the shared corpus (skipped when absent), against what
// GNU tar listed for each layer in expected/<name>.json: the entry count, the
// types, the first entries, whiteouts, hard links and, where recorded, the
// whole `tar -tv` listing ("type size path[ -> target]"). Lone layer tars go
// through LooseEntries.

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"layerkit.invalid/go/layerkit"
)

// normPath drops what tar listings and layerkit may differ on: leading "./"
// and "/" ("./" and "/" themselves become "").
func normPath(p string) string {
	for {
		switch {
		case strings.HasPrefix(p, "./"):
			p = p[2:]
		case p == ".":
			p = ""
		case strings.HasPrefix(p, "/"):
			p = p[1:]
		default:
			return p
		}
	}
}

func checkCorpusEntries(t *testing.T, where string, got []layerkit.Entry, err error, el obj) {
	t.Helper()
	if !el.truthy("tar_ok") {
		// GNU tar could not list it: layerkit says why, with what it read.
		if !errors.Is(err, layerkit.ErrMalformed) && !errors.Is(err, layerkit.ErrTruncated) {
			t.Errorf("%s: not a tar for GNU tar (%q); got %v, want ErrMalformed or ErrTruncated", where, el.strs("tar_messages"), err)
		}
		if int64(len(got)) != el.num("entries") {
			t.Errorf("%s: %d entries before the damage, GNU tar listed %d", where, len(got), el.num("entries"))
		}
		return
	}
	if err != nil {
		t.Errorf("%s: %v", where, err)
		return
	}
	if int64(len(got)) != el.num("entries") {
		t.Errorf("%s: %d entries, want %d", where, len(got), el.num("entries"))
		return
	}
	types := map[string]int64{}
	var whiteouts []string
	var hardlinks [][2]string
	var listing []string
	for _, e := range got {
		types[string(e.Type)]++
		if e.Whiteout || e.Opaque {
			whiteouts = append(whiteouts, normPath(e.Path))
		}
		line := fmt.Sprintf("%c %d %s", e.Type, e.Size, normPath(e.Path))
		switch e.Type {
		case layerkit.TypeHardLink:
			hardlinks = append(hardlinks, [2]string{normPath(e.Path), normPath(e.Link)})
			line += " -> " + normPath(e.Link)
		case layerkit.TypeSymlink:
			line += " -> " + e.Link
		}
		listing = append(listing, line)
	}
	want := el.obj("entry_types")
	if len(want) != len(types) {
		t.Errorf("%s: types %v, want %v", where, types, want)
	}
	for k := range want {
		if types[k] != want.num(k) {
			t.Errorf("%s: %d entries of type %q, want %d", where, types[k], k, want.num(k))
		}
	}
	for i, p := range el.strs("first_entries") {
		if normPath(got[i].Path) != normPath(p) {
			t.Errorf("%s: entry %d is %q, want %q", where, i, got[i].Path, p)
		}
	}
	var wantWh []string
	for _, p := range el.strs("whiteouts") {
		wantWh = append(wantWh, normPath(p))
	}
	if !equalStrings(whiteouts, wantWh) && !(len(whiteouts) == 0 && len(wantWh) == 0) {
		t.Errorf("%s: whiteouts %q, want %q", where, whiteouts, wantWh)
	}
	// hardlinks: [path, target], possibly only the first ones.
	for i, v := range el.list("hardlinks") {
		pair, _ := v.([]interface{})
		if len(pair) != 2 || i >= len(hardlinks) {
			t.Errorf("%s: hard link %d: %v; layerkit has %d", where, i, v, len(hardlinks))
			break
		}
		p, _ := pair[0].(string)
		target, _ := pair[1].(string)
		if hardlinks[i] != [2]string{normPath(p), normPath(target)} {
			t.Errorf("%s: hard link %d %q, want %q -> %q", where, i, hardlinks[i], p, target)
		}
	}
	if el.has("listing") {
		var wantList []string
		for _, line := range el.strs("listing") {
			parts := strings.SplitN(line, " ", 3)
			if len(parts) != 3 {
				t.Fatalf("%s: listing line %q", where, line)
			}
			name := parts[2]
			if parts[0] == "l" || parts[0] == "h" {
				if i := strings.Index(name, " -> "); i >= 0 {
					target := name[i+4:]
					if parts[0] == "h" {
						target = normPath(target)
					}
					name = normPath(name[:i]) + " -> " + target
				}
			} else {
				name = normPath(name)
			}
			wantList = append(wantList, parts[0]+" "+parts[1]+" "+name)
		}
		if !equalStrings(listing, wantList) {
			t.Errorf("%s: listing\n%q\nwant\n%q", where, listing, wantList)
		}
	}
}

func TestCorpusEntries(t *testing.T) {
	root := corpusDir(t)
	layersChecked, loose := 0, 0
	for _, name := range expectedNames(t, root) {
		exp := loadExpected(t, root, name)
		if exp.has("hostile") || exp.truthy("legacy_only") {
			continue
		}
		t.Run(name, func(t *testing.T) {
			a := openT(t, filepath.Join(root, exp.str("path")), &layerkit.OpenOptions{Platform: "all"})
			if exp.str("format") == "layer-tar" {
				got, err := a.LooseEntries()
				checkCorpusEntries(t, "loose layer", got, err, exp.obj("layer"))
				loose++
				return
			}
			compressed := exp.str("outer_compression") != "" && exp.str("outer_compression") != "none"
			imgs := a.Images()
			eimgs := exp.objs("images")
			if len(imgs) != len(eimgs) {
				t.Fatalf("%d images, want %d", len(imgs), len(eimgs))
			}
			for i, ei := range eimgs {
				for j, el := range ei.objs("layers") {
					if el.truthy("missing") || !el.has("entries") {
						continue
					}
					got, err := a.Entries(imgs[i], j)
					if compressed && errors.Is(err, layerkit.ErrUnsupported) {
						continue // documented: a large layer of a read-once (compressed) archive
					}
					checkCorpusEntries(t, fmt.Sprintf("image %d layer %d", i, j), got, err, el)
					layersChecked++
				}
			}
		})
	}
	if layersChecked < 50 || loose < 3 {
		t.Errorf("only %d corpus layers and %d lone layer tars checked", layersChecked, loose)
	}
}
