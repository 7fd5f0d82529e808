package layerkit_test

// The shared corpus (../shared/corpus or $LAYERKIT_CORPUS; skipped when
// absent): archives made by podman, skopeo, Docker, kaniko, buildx and
// go-containerregistry, each with the facts peer tools read back in
// expected/<name>.json. The same scenarios as the C++ and Python corpus
// tests, through the Go binding.

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"layerkit.invalid/go/layerkit"
)

// obj is one decoded expected JSON object; its accessors tolerate absence.
type obj map[string]interface{}

func (o obj) has(k string) bool { v, ok := o[k]; return ok && v != nil }
func (o obj) str(k string) string {
	s, _ := o[k].(string)
	return s
}
func (o obj) truthy(k string) bool {
	b, _ := o[k].(bool)
	return b
}
func (o obj) num(k string) int64 {
	f, _ := o[k].(float64)
	return int64(f)
}
func (o obj) obj(k string) obj {
	m, _ := o[k].(map[string]interface{})
	return obj(m)
}
func (o obj) list(k string) []interface{} {
	l, _ := o[k].([]interface{})
	return l
}
func (o obj) objs(k string) []obj {
	var out []obj
	for _, v := range o.list(k) {
		m, _ := v.(map[string]interface{})
		out = append(out, obj(m))
	}
	return out
}
func (o obj) strs(k string) []string {
	out := []string{}
	for _, v := range o.list(k) {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func loadExpected(t *testing.T, root, name string) obj {
	t.Helper()
	var o obj
	loadJSON(t, filepath.Join(root, "expected", name+".json"), &o)
	return o
}

func expectedNames(t *testing.T, root string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(root, "expected", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, strings.TrimSuffix(filepath.Base(f), ".json"))
	}
	sort.Strings(names)
	return names
}

// listingContentBytes is Docker's layer size from a `tar -tv`-style listing
// ("- 52 etc/group", "l 0 a -> b", "h 0 a -> b", "d 0 etc/"): see contentBytes.
func listingContentBytes(listing []string) (int64, bool) {
	size := map[string]int64{}
	for _, e := range listing {
		parts := strings.SplitN(e, " ", 3)
		if len(parts) != 3 {
			return 0, false
		}
		n, err := strconv.ParseInt(parts[1], 10, 64)
		if err != nil {
			return 0, false
		}
		name, target := parts[2], ""
		if parts[0] == "l" || parts[0] == "h" {
			i := strings.Index(name, " -> ")
			if i < 0 {
				return 0, false
			}
			name, target = name[:i], name[i+4:]
		}
		for strings.HasPrefix(name, "./") {
			name = name[2:]
		}
		name = strings.TrimRight(name, "/")
		switch parts[0] {
		case "-":
			size[name] = n
		case "l":
			size[name] = int64(len(target))
		default:
			size[name] = 0
		}
	}
	var total int64
	for _, n := range size {
		total += n
	}
	return total, true
}

func indexPath(ei obj) string {
	var parts []string
	for _, v := range ei.list("path") {
		if f, ok := v.(float64); ok {
			parts = append(parts, strconv.Itoa(int(f)))
		}
	}
	return strings.Join(parts, ".")
}

func TestCorpusArchives(t *testing.T) {
	root := corpusDir(t)
	checked := 0
	for _, name := range expectedNames(t, root) {
		exp := loadExpected(t, root, name)
		if exp.has("hostile") || exp.str("format") == "layer-tar" || exp.truthy("legacy_only") {
			continue
		}
		checked++
		t.Run(name, func(t *testing.T) {
			a := openT(t, filepath.Join(root, exp.str("path")), &layerkit.OpenOptions{Platform: "all"})
			if a.Format() != exp.str("format") {
				t.Errorf("Format() = %q, want %q", a.Format(), exp.str("format"))
			}
			eimgs := exp.objs("images")
			imgs := a.Images()
			if len(imgs) != len(eimgs) {
				t.Fatalf("%d images, want %d", len(imgs), len(eimgs))
			}
			peersOK := true
			for i, ei := range eimgs {
				if p := indexPath(ei); p != "" && imgs[i].IndexPath != p {
					t.Errorf("image %d: IndexPath %q, want %q", i, imgs[i].IndexPath, p)
				}
				checkCorpusImage(t, a, imgs[i], ei)
				if ei.has("skopeo_copy_check") && !ei.obj("skopeo_copy_check").truthy("ok") ||
					ei.has("diff_ids_match_config") && !ei.truthy("diff_ids_match_config") ||
					ei.has("manifest_digest_ok") && !ei.truthy("manifest_digest_ok") {
					peersOK = false
				}
			}
			// verify agrees with the peer tools where they all passed.
			if peersOK {
				r, err := a.Verify(layerkit.VerifyOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if !r.OK {
					t.Errorf("verify: %+v", r.Problems)
				}
			}
		})
	}
	if checked < 20 {
		t.Errorf("only %d corpus archives checked", checked)
	}
}

func checkCorpusImage(t *testing.T, a *layerkit.Archive, img *layerkit.Image, ei obj) {
	t.Helper()
	where := fmt.Sprintf("image %d (%s)", img.Index, img.IndexPath)
	if ei.truthy("missing") {
		if img.MissingCount == 0 || img.Complete {
			t.Errorf("%s: MissingCount %d Complete %v; its manifest is absent", where, img.MissingCount, img.Complete)
		}
		return
	}
	artifact := ei.truthy("artifact")
	if ct := ei.str("config_media_type"); ct != "" && ct != "application/vnd.oci.image.config.v1+json" &&
		ct != "application/vnd.docker.container.image.v1+json" {
		artifact = true
	}
	if (img.ArtifactType != "") != artifact {
		t.Errorf("%s: ArtifactType %q, artifact %v", where, img.ArtifactType, artifact)
	}
	wantID := ei.str("config_digest")
	if ei.has("config_descriptor") {
		wantID = ei.obj("config_descriptor").str("digest")
	}
	if img.ID != wantID {
		t.Errorf("%s: ID %s, want %s", where, img.ID, wantID)
	}
	if ei.has("config_size") && int64(len(img.ConfigJSON)) != ei.num("config_size") {
		t.Errorf("%s: %d config bytes, want %d", where, len(img.ConfigJSON), ei.num("config_size"))
	}
	if tags := ei.strs("repo_tags"); ei.has("repo_tags") &&
		(len(img.References) < len(tags) || !equalStrings(img.References[:len(tags)], tags)) {
		t.Errorf("%s: References %q, want %q first", where, img.References, tags)
	}
	if ei.has("ref_name") && !contains(img.References, ei.str("ref_name")) {
		t.Errorf("%s: References %q lack %q", where, img.References, ei.str("ref_name"))
	}
	if ei.has("manifest_digest") && img.ManifestDigest != ei.str("manifest_digest") {
		t.Errorf("%s: ManifestDigest %s, want %s", where, img.ManifestDigest, ei.str("manifest_digest"))
	}
	if ei.truthy("artifact") {
		return
	}
	if !equalStrings(img.DiffIDs, ei.strs("config_diff_ids")) {
		t.Errorf("%s: DiffIDs %q, want %q", where, img.DiffIDs, ei.strs("config_diff_ids"))
	}
	if img.Created != ei.str("created") || img.OS != ei.str("os") || img.Architecture != ei.str("architecture") {
		t.Errorf("%s: created/os/arch %q %q %q, want %q %q %q", where, img.Created, img.OS, img.Architecture,
			ei.str("created"), ei.str("os"), ei.str("architecture"))
	}
	if ei.has("num_layers") && int64(img.LayerCount) != ei.num("num_layers") {
		t.Errorf("%s: LayerCount %d, want %d", where, img.LayerCount, ei.num("num_layers"))
	}
	if c := ei.obj("config"); c != nil {
		if c.has("Env") && !equalStrings(img.Env, c.strs("Env")) {
			t.Errorf("%s: Env %q, want %q", where, img.Env, c.strs("Env"))
		}
		if c.has("Cmd") && !equalStrings(img.Cmd, c.strs("Cmd")) {
			t.Errorf("%s: Cmd %q, want %q", where, img.Cmd, c.strs("Cmd"))
		}
		if c.has("Entrypoint") && !equalStrings(img.Entrypoint, c.strs("Entrypoint")) {
			t.Errorf("%s: Entrypoint %q, want %q", where, img.Entrypoint, c.strs("Entrypoint"))
		}
		if c.has("WorkingDir") && img.WorkingDir != c.str("WorkingDir") || c.has("User") && img.User != c.str("User") {
			t.Errorf("%s: WorkingDir %q User %q, want %q %q", where, img.WorkingDir, img.User, c.str("WorkingDir"), c.str("User"))
		}
		if labels := c.obj("Labels"); labels != nil {
			if len(labels) != len(img.Labels) {
				t.Errorf("%s: Labels %v, want %v", where, img.Labels, labels)
			}
			for k, v := range labels {
				if img.Labels[k] != v {
					t.Errorf("%s: Labels[%q] = %q, want %v", where, k, img.Labels[k], v)
				}
			}
		}
		if ports := c.obj("ExposedPorts"); ports != nil {
			if len(ports) != len(img.ExposedPorts) {
				t.Errorf("%s: ExposedPorts %q, want %v", where, img.ExposedPorts, ports)
			}
			for _, p := range img.ExposedPorts {
				if _, ok := ports[p]; !ok {
					t.Errorf("%s: ExposedPorts has %q", where, p)
				}
			}
		}
		if hc := c.obj("Healthcheck"); hc != nil && !equalStrings(img.Healthcheck, hc.strs("Test")) {
			t.Errorf("%s: Healthcheck %q, want %q", where, img.Healthcheck, hc.strs("Test"))
		}
	}

	// Layers, with sizes read.
	els := ei.objs("layers")
	layers, err := a.Layers(img, true)
	if err != nil {
		t.Fatalf("%s: Layers: %v", where, err)
	}
	if len(layers) != len(els) {
		t.Fatalf("%s: %d layers, want %d", where, len(layers), len(els))
	}
	content := make([]int64, len(els)) // -1: the listing does not tell
	for j, el := range els {
		l := layers[j]
		content[j] = -1
		if el.truthy("missing") {
			if l.Present {
				t.Errorf("%s layer %d: Present, but the blob is absent", where, j)
			}
			continue
		}
		if !l.Present {
			t.Errorf("%s layer %d: not Present", where, j)
			continue
		}
		// An undeclared blob digest stays "" when only tar headers are read
		// (layerkit.h); History with layerDetails computes it (checked below).
		if l.Digest != el.str("digest") && l.Digest != "" {
			t.Errorf("%s layer %d: Digest %s, want %s", where, j, l.Digest, el.str("digest"))
		}
		if el.has("descriptor_digest") && (l.Digest != el.str("descriptor_digest") || l.BlobBytes != el.num("descriptor_size")) {
			t.Errorf("%s layer %d: Digest %s BlobBytes %d, descriptor %s %d", where, j, l.Digest, l.BlobBytes,
				el.str("descriptor_digest"), el.num("descriptor_size"))
		}
		if el.has("media_type") && l.MediaType != el.str("media_type") {
			t.Errorf("%s layer %d: MediaType %q, want %q", where, j, l.MediaType, el.str("media_type"))
		}
		if l.Compression != el.str("compression") {
			t.Errorf("%s layer %d: Compression %q, want %q", where, j, l.Compression, el.str("compression"))
		}
		if el.truthy("tar_ok") && l.UncompressedBytes != el.num("uncompressed_size") {
			t.Errorf("%s layer %d: UncompressedBytes %d, want %d", where, j, l.UncompressedBytes, el.num("uncompressed_size"))
		}
		if el.has("listing") && el.truthy("tar_ok") {
			if n, ok := listingContentBytes(el.strs("listing")); ok {
				content[j] = n
				if l.ContentBytes != n {
					t.Errorf("%s layer %d: ContentBytes %d, the tar listing gives %d", where, j, l.ContentBytes, n)
				}
			}
		}
	}

	// History, newest first: the config's entries reversed.
	hist := ei.objs("history")
	if img.HistoryCount != len(hist) {
		t.Errorf("%s: HistoryCount %d, want %d", where, img.HistoryCount, len(hist))
	}
	rows, err := a.History(img, true, nil)
	if err != nil {
		t.Fatalf("%s: History: %v", where, err)
	}
	diffIDs := ei.strs("config_diff_ids")
	for k, r := range rows {
		if r.LayerIndex < 0 || r.LayerIndex >= len(els) || els[r.LayerIndex].truthy("missing") {
			continue
		}
		// layerDetails: every present layer's blob digest, read if undeclared.
		if el := els[r.LayerIndex]; r.Digest != el.str("digest") {
			t.Errorf("%s row %d: Digest %s, want %s", where, k, r.Digest, el.str("digest"))
		}
	}
	if ei.truthy("history_matches_layers") && len(hist) > 0 {
		if len(rows) != len(hist) {
			t.Fatalf("%s: %d history rows, want %d", where, len(rows), len(hist))
		}
		for k, r := range rows {
			h := hist[len(hist)-1-k]
			if r.CreatedBy != h.str("created_by") || r.EmptyLayer != h.truthy("empty_layer") || r.Match != layerkit.MatchOK {
				t.Errorf("%s row %d: %q empty %v match %d; want %q empty %v", where, k, r.CreatedBy, r.EmptyLayer, r.Match,
					h.str("created_by"), h.truthy("empty_layer"))
			}
			if h.has("layer_index") {
				j := int(h.num("layer_index"))
				// The row carries the config's diff_id; layer_diff_id is what
				// the blob hashes to, the same unless the config lies.
				wantDiff := h.str("layer_diff_id")
				if !ei.truthy("diff_ids_match_config") && j < len(diffIDs) {
					wantDiff = diffIDs[j]
				}
				if r.LayerIndex != j || r.DiffID != wantDiff {
					t.Errorf("%s row %d: layer %d %s, want %d %s", where, k, r.LayerIndex, r.DiffID, j, wantDiff)
				}
				if j < len(content) && content[j] >= 0 && r.ContentBytes != content[j] {
					t.Errorf("%s row %d: ContentBytes %d, the tar listing gives %d", where, k, r.ContentBytes, content[j])
				}
			}
		}
	}
}

func TestCorpusTruncated(t *testing.T) {
	root := corpusDir(t)
	for _, name := range []string{"base.truncated.docker-archive", "app.truncated.docker-archive.tar.gz"} {
		exp := loadExpected(t, root, name)
		_, err := layerkit.Open(filepath.Join(root, exp.str("path")), &layerkit.OpenOptions{Platform: "all"})
		e := wantErr(t, name, err, layerkit.ErrTruncated)
		// Both are cut inside the busybox layer, the archive's first member.
		base := loadExpected(t, root, "base.podman.docker-archive")
		member := base.objs("images")[0].strs("layer_paths")[0]
		if !strings.Contains(e.Message, member) {
			t.Errorf("%s: message %q does not name %s", name, e.Message, member)
		}
	}
}

func TestCorpusFlippedByte(t *testing.T) {
	root := corpusDir(t)
	exp := loadExpected(t, root, "base.flipped-byte.docker-archive")
	path := filepath.Join(root, exp.str("path"))
	ei := exp.objs("images")[0]
	el := ei.objs("layers")[0]
	// What the flipped member really hashes to, by crypto/sha256 over archive/tar.
	actual := sha256Digest(readTar(t, path)[el.str("path")].Data)
	if actual != el.str("diff_id") {
		t.Fatalf("member hashes to %s; expected JSON says %s", actual, el.str("diff_id"))
	}
	a := openT(t, path, &layerkit.OpenOptions{Platform: "all"})
	r, err := a.Verify(layerkit.VerifyOptions{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	if r.OK || len(r.Problems) != 1 {
		t.Fatalf("OK %v, problems %+v; want exactly one", r.OK, r.Problems)
	}
	p := r.Problems[0]
	if p.Kind != "diff_id" || p.Layer != 0 || p.Member != el.str("path") || p.Expected != ei.strs("config_diff_ids")[0] || p.Actual != actual {
		t.Errorf("problem %+v", p)
	}
}

func TestCorpusMissingLayer(t *testing.T) {
	root := corpusDir(t)
	exp := loadExpected(t, root, "base.missing-layer.docker-archive")
	a := openT(t, filepath.Join(root, exp.str("path")), &layerkit.OpenOptions{Platform: "all"})
	if len(a.Images()) != 1 {
		t.Fatalf("%d images", len(a.Images()))
	}
	img := a.Images()[0]
	if img.MissingCount != 1 {
		t.Errorf("MissingCount %d, want 1", img.MissingCount)
	}
	layers, err := a.Layers(img, true)
	if err != nil || len(layers) != 2 {
		t.Fatalf("Layers: %d, %v", len(layers), err)
	}
	if !layers[0].Present || layers[1].Present || layers[1].Member != exp.objs("images")[0].strs("layer_paths")[1] {
		t.Errorf("layers %+v", layers)
	}
	r, err := a.Verify(layerkit.VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r.OK || len(r.Problems) != 1 || r.Problems[0].Kind != "missing" {
		t.Errorf("verify: OK %v %+v", r.OK, r.Problems)
	}
}

func TestCorpusNullManifest(t *testing.T) {
	root := corpusDir(t)
	exp := loadExpected(t, root, "ext.ggcr.null_manifest")
	_, err := layerkit.Open(filepath.Join(root, exp.str("path")), &layerkit.OpenOptions{Platform: "all"})
	e := wantErr(t, "manifest.json null", err, layerkit.ErrMalformed)
	if !strings.Contains(e.Message, "manifest.json") {
		t.Errorf("message %q does not name manifest.json", e.Message)
	}
}

func TestCorpusOpenProgress(t *testing.T) {
	root := corpusDir(t)
	exp := loadExpected(t, root, "app.podman.docker-archive.tar.gz")
	path := filepath.Join(root, exp.str("path"))
	st, err := os.Stat(path)
	if err != nil || st.Size() != exp.num("stored_size") {
		t.Fatalf("stat: %v; size %d, want %d", err, st.Size(), exp.num("stored_size"))
	}
	rec := &recorder{}
	a := openT(t, path, &layerkit.OpenOptions{Progress: rec.fn})
	if len(a.Images()) != 1 || rec.calls == 0 || rec.done != uint64(st.Size()) {
		t.Errorf("%d images; %d calls, last %d/%d; want done = %d", len(a.Images()), rec.calls, rec.done, rec.total, st.Size())
	}
	rec = &recorder{stopAfter: 2}
	_, err = layerkit.Open(path, &layerkit.OpenOptions{Progress: rec.fn})
	wantErr(t, "open cancelled", err, layerkit.ErrCancelled)
}

// The classic scenario on the corpus: base, runtime FROM base, app FROM
// runtime, as three podman archives and as one multi-image archive.
func TestCorpusDedup(t *testing.T) {
	root := corpusDir(t)
	type want struct {
		bytes  uint64
		images []string
	}
	byChain := map[string]*want{}
	var total uint64
	var inputs []layerkit.DedupInput
	for _, name := range []string{"base.podman.docker-archive", "runtime.podman.docker-archive", "app.podman.docker-archive"} {
		exp := loadExpected(t, root, name)
		path := filepath.Join(root, exp.str("path"))
		members := readTar(t, path)
		ei := exp.objs("images")[0]
		ref := ei.strs("repo_tags")[0]
		for j, c := range chainIDs(ei.strs("config_diff_ids")) {
			blob := members[ei.strs("layer_paths")[j]]
			if blob == nil {
				t.Fatalf("%s: no member %s", name, ei.strs("layer_paths")[j])
			}
			f, err := readLayer(t, blob.Data)
			if err != nil {
				t.Fatal(err)
			}
			if byChain[c] == nil {
				byChain[c] = &want{bytes: uint64(f.ContentBytes)}
			}
			byChain[c].images = append(byChain[c].images, ref)
			total += uint64(f.ContentBytes)
		}
		a := openT(t, path, nil)
		inputs = append(inputs, layerkit.DedupInput{Archive: a, Image: a.Images()[0]})
	}
	var unique uint64
	pattern := map[int]int{}
	for _, w := range byChain {
		unique += w.bytes
		pattern[len(w.images)]++
	}
	// CATALOG.md: 2 base layers in all three, 1 runtime layer in two, 4 app layers in one.
	if len(byChain) != 7 || pattern[3] != 2 || pattern[2] != 1 || pattern[1] != 4 {
		t.Fatalf("expected JSON gives %d chains, pattern %v", len(byChain), pattern)
	}
	check := func(what string, res *layerkit.DedupResult) {
		t.Helper()
		if res.TotalBytes != total || res.UniqueBytes != unique || res.SavedBytes != total-unique || len(res.Layers) != 7 || len(res.Images) != 3 {
			t.Errorf("%s: total %d unique %d saved %d, %d layers %d images; want %d %d %d, 7, 3", what,
				res.TotalBytes, res.UniqueBytes, res.SavedBytes, len(res.Layers), len(res.Images), total, unique, total-unique)
		}
		for _, l := range res.Layers {
			w := byChain[l.ChainID]
			if w == nil || l.Bytes != w.bytes || len(l.Images) != len(w.images) {
				t.Errorf("%s: layer %+v; want %+v", what, l, w)
				continue
			}
			for _, r := range w.images {
				if !contains(l.Images, r) {
					t.Errorf("%s: layer %s lacks %s", what, l.ChainID, r)
				}
			}
		}
	}
	res, err := layerkit.Dedup(inputs, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	check("three archives", res)

	exp := loadExpected(t, root, "base+runtime+app.podman-multi.docker-archive")
	multi := openT(t, filepath.Join(root, exp.str("path")), nil)
	inputs = nil
	for _, img := range multi.Images() {
		inputs = append(inputs, layerkit.DedupInput{Archive: multi, Image: img})
	}
	res, err = layerkit.Dedup(inputs, 3, nil)
	if err != nil {
		t.Fatal(err)
	}
	check("one multi-image archive", res)
}

// errors.Is distinguishes the kinds across the hostile corpus.
func TestCorpusErrorKindsAreDistinct(t *testing.T) {
	root := corpusDir(t)
	exp := loadExpected(t, root, "base.truncated.docker-archive")
	_, err := layerkit.Open(filepath.Join(root, exp.str("path")), nil)
	for _, other := range []error{layerkit.ErrMalformed, layerkit.ErrFormat, layerkit.ErrDigestMismatch, layerkit.ErrCancelled} {
		if errors.Is(err, other) {
			t.Errorf("%v also matches %v", err, other)
		}
	}
}
