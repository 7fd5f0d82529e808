package layerkit_test

// The repository's samples/ (always present): images, layers, history,
// verify, dedup and inspect against samples/expected.json (facts read back by
// skopeo and sha256sum), the config blobs read with archive/tar, and layer
// sizes computed with archive/tar.

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"layerkit.invalid/go/layerkit"
)

type sampleLayer struct {
	Member string `json:"member"`
	Bytes  int64  `json:"bytes"`
	Digest string `json:"digest"`
	Gzip   bool   `json:"gzip"`
}

type sampleImage struct {
	File           string        `json:"file"`
	Format         string        `json:"format"`
	Ref            string        `json:"ref"`
	FileSHA256     string        `json:"file_sha256"`
	ID             string        `json:"id"`
	ConfigMember   string        `json:"config_member"`
	ManifestDigest string        `json:"manifest_digest"`
	DiffIDs        []string      `json:"diff_ids"`
	Layers         []sampleLayer `json:"layers"`
	HistoryCount   int           `json:"history_count"`
	EmptyLayers    int           `json:"empty_layers"`
}

func loadSamples(t *testing.T) []sampleImage {
	t.Helper()
	var exp struct {
		Images []sampleImage `json:"images"`
	}
	loadJSON(t, filepath.Join(samplesDir(t), "expected.json"), &exp)
	if len(exp.Images) != 4 {
		t.Fatalf("samples/expected.json lists %d images, want 4", len(exp.Images))
	}
	return exp.Images
}

func sampleByFile(t *testing.T, file string) sampleImage {
	for _, s := range loadSamples(t) {
		if s.File == file {
			return s
		}
	}
	t.Fatalf("no sample %s in expected.json", file)
	return sampleImage{}
}

func openT(t testing.TB, path string, opts *layerkit.OpenOptions) *layerkit.Archive {
	t.Helper()
	a, err := layerkit.Open(path, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

// sampleFacts reads the sample's members with archive/tar: the config, and
// each layer's facts, in expected.json's order.
func sampleFacts(t *testing.T, s sampleImage) (members map[string]*tarMember, cfg imageConfig, layers []layerFacts) {
	t.Helper()
	members = readTar(t, filepath.Join(samplesDir(t), s.File))
	cm, ok := members[s.ConfigMember]
	if !ok {
		t.Fatalf("%s: no member %s", s.File, s.ConfigMember)
	}
	if err := json.Unmarshal(cm.Data, &cfg); err != nil {
		t.Fatalf("%s: config: %v", s.File, err)
	}
	for _, l := range s.Layers {
		m, ok := members[l.Member]
		if !ok {
			t.Fatalf("%s: no member %s", s.File, l.Member)
		}
		f, err := readLayer(t, m.Data)
		if err != nil {
			t.Fatalf("%s: %s: %v", s.File, l.Member, err)
		}
		layers = append(layers, f)
	}
	return members, cfg, layers
}

func TestVersion(t *testing.T) {
	if layerkit.Version() != layerkit.HeaderVersion() {
		t.Errorf("library %s, header %s", layerkit.Version(), layerkit.HeaderVersion())
	}
	if err := layerkit.CheckVersion(); err != nil {
		t.Error(err)
	}
	if n := layerkit.VersionNumber(); n <= 0 {
		t.Errorf("VersionNumber() = %d", n)
	}
}

func TestStatusNames(t *testing.T) {
	// Names are the C library's stable ones (lk_status_name).
	for st, name := range map[layerkit.Status]string{
		layerkit.StatusOK: "ok", layerkit.StatusDone: "done",
		layerkit.StatusDigestMismatch: "digest_mismatch", layerkit.StatusTruncated: "truncated",
		layerkit.StatusCancelled: "cancelled", layerkit.StatusNoMem: "out_of_memory",
		layerkit.StatusFormat: "format_unknown", layerkit.StatusAmbiguous: "ambiguous",
	} {
		if st.String() != name {
			t.Errorf("Status(%d).String() = %q, want %q", int(st), st.String(), name)
		}
	}
	all := []error{layerkit.ErrInvalid, layerkit.ErrIO, layerkit.ErrNotFound, layerkit.ErrFormat,
		layerkit.ErrTruncated, layerkit.ErrDigestMismatch, layerkit.ErrSize, layerkit.ErrCount,
		layerkit.ErrLimit, layerkit.ErrUnsupported, layerkit.ErrInternal, layerkit.ErrCancelled,
		layerkit.ErrMalformed, layerkit.ErrBadDigest, layerkit.ErrUnsafePath, layerkit.ErrAmbiguous,
		layerkit.ErrNoMem}
	seen := map[string]bool{}
	for _, e := range all {
		name := e.(layerkit.Status).String()
		if name == "unknown" || seen[name] {
			t.Errorf("%v: name %q unknown or repeated", e, name)
		}
		seen[name] = true
	}
}

func TestSamplesImages(t *testing.T) {
	for _, s := range loadSamples(t) {
		s := s
		t.Run(s.File, func(t *testing.T) {
			path := filepath.Join(samplesDir(t), s.File)
			if got := fileDigest(t, path); got != "sha256:"+s.FileSHA256 {
				t.Fatalf("%s hashes to %s, expected.json says %s: the sample changed", s.File, got, s.FileSHA256)
			}
			members, cfg, _ := sampleFacts(t, s)
			a := openT(t, path, nil)
			if a.Format() != s.Format {
				t.Errorf("Format() = %q, want %q", a.Format(), s.Format)
			}
			if len(a.Warnings()) != 0 {
				t.Errorf("Warnings() = %q", a.Warnings())
			}
			imgs := a.Images()
			if len(imgs) != 1 {
				t.Fatalf("%d images, want 1", len(imgs))
			}
			img := imgs[0]
			if img.ID != s.ID || sha256Digest(img.ConfigJSON) != s.ID {
				t.Errorf("ID %s, config hashes to %s; want %s", img.ID, sha256Digest(img.ConfigJSON), s.ID)
			}
			if string(img.ConfigJSON) != string(members[s.ConfigMember].Data) {
				t.Errorf("ConfigJSON differs from member %s", s.ConfigMember)
			}
			if !contains(img.References, s.Ref) {
				t.Errorf("References %q lack %q", img.References, s.Ref)
			}
			if !equalStrings(img.DiffIDs, s.DiffIDs) || !equalStrings(cfg.RootFS.DiffIDs, s.DiffIDs) {
				t.Errorf("DiffIDs %q, want %q", img.DiffIDs, s.DiffIDs)
			}
			if img.LayerCount != len(s.Layers) || img.HistoryCount != s.HistoryCount {
				t.Errorf("LayerCount %d HistoryCount %d, want %d %d", img.LayerCount, img.HistoryCount, len(s.Layers), s.HistoryCount)
			}
			if !img.Complete || img.MissingCount != 0 || img.LegacyV1 || img.ArtifactType != "" {
				t.Errorf("Complete %v MissingCount %d LegacyV1 %v ArtifactType %q", img.Complete, img.MissingCount, img.LegacyV1, img.ArtifactType)
			}
			// Manifest: OCI archives store one; docker-archive does not.
			if s.ManifestDigest != "" {
				if img.ManifestDigest != s.ManifestDigest || sha256Digest(img.ManifestJSON) != s.ManifestDigest {
					t.Errorf("ManifestDigest %s (blob hashes to %s), want %s", img.ManifestDigest, sha256Digest(img.ManifestJSON), s.ManifestDigest)
				}
				m := members["blobs/sha256/"+strings.TrimPrefix(s.ManifestDigest, "sha256:")]
				if m == nil || string(m.Data) != string(img.ManifestJSON) {
					t.Errorf("ManifestJSON differs from the manifest blob")
				}
			} else if img.ManifestDigest != "" || len(img.ManifestJSON) != 0 {
				t.Errorf("docker-archive: ManifestDigest %q, %d manifest bytes", img.ManifestDigest, len(img.ManifestJSON))
			}
			// Config fields, against the config blob decoded by encoding/json.
			if img.Created != cfg.Created || img.OS != cfg.OS || img.Architecture != cfg.Architecture || img.Author != cfg.Author {
				t.Errorf("Created/OS/Architecture/Author = %q %q %q %q, config says %q %q %q %q",
					img.Created, img.OS, img.Architecture, img.Author, cfg.Created, cfg.OS, cfg.Architecture, cfg.Author)
			}
			if want, _ := time.Parse(time.RFC3339Nano, cfg.Created); !img.CreatedTime().Equal(want) {
				t.Errorf("CreatedTime() = %v, want %v", img.CreatedTime(), want)
			}
			c := cfg.Config
			if !equalStrings(img.Env, c.Env) || !equalStrings(img.Cmd, c.Cmd) || !equalStrings(img.Entrypoint, c.Entrypoint) {
				t.Errorf("Env %q Cmd %q Entrypoint %q; config %q %q %q", img.Env, img.Cmd, img.Entrypoint, c.Env, c.Cmd, c.Entrypoint)
			}
			if img.User != c.User || img.WorkingDir != c.WorkingDir {
				t.Errorf("User %q WorkingDir %q; config %q %q", img.User, img.WorkingDir, c.User, c.WorkingDir)
			}
			if len(img.Labels) != len(c.Labels) {
				t.Errorf("Labels %v; config %v", img.Labels, c.Labels)
			}
			for k, v := range c.Labels {
				if img.Labels[k] != v {
					t.Errorf("Labels[%q] = %q, config %q", k, img.Labels[k], v)
				}
			}
			if len(img.ExposedPorts) != len(c.ExposedPorts) {
				t.Errorf("ExposedPorts %q; config %v", img.ExposedPorts, c.ExposedPorts)
			}
			for _, p := range img.ExposedPorts {
				if _, ok := c.ExposedPorts[p]; !ok {
					t.Errorf("ExposedPorts has %q, config does not", p)
				}
			}
			if c.Healthcheck != nil && !equalStrings(img.Healthcheck, c.Healthcheck.Test) {
				t.Errorf("Healthcheck %q; config %q", img.Healthcheck, c.Healthcheck.Test)
			}
			// FindImage by tag, by short ID, by position: the same *Image.
			for _, ref := range []string{s.Ref, s.ID[7:19], s.ID, "@0"} {
				got, err := a.FindImage(ref)
				if err != nil || got != img {
					t.Errorf("FindImage(%q) = %v, %v", ref, got, err)
				}
			}
			if _, err := a.FindImage("no-such-image:0"); !errors.Is(err, layerkit.ErrNotFound) {
				t.Errorf("FindImage(unknown): %v, want ErrNotFound", err)
			}
		})
	}
}

func TestSamplesLayers(t *testing.T) {
	for _, s := range loadSamples(t) {
		s := s
		t.Run(s.File, func(t *testing.T) {
			members, _, facts := sampleFacts(t, s)
			a := openT(t, filepath.Join(samplesDir(t), s.File), nil)
			img := a.Images()[0]
			chains := chainIDs(s.DiffIDs)
			for _, readSizes := range []bool{false, true} {
				layers, err := a.Layers(img, readSizes)
				if err != nil {
					t.Fatal(err)
				}
				if len(layers) != len(s.Layers) {
					t.Fatalf("readSizes=%v: %d layers, want %d", readSizes, len(layers), len(s.Layers))
				}
				for i, l := range layers {
					e := s.Layers[i]
					if sha256Digest(members[e.Member].Data) != e.Digest {
						t.Fatalf("member %s does not hash to %s", e.Member, e.Digest)
					}
					if l.Index != i || l.Digest != e.Digest || l.Member != e.Member || l.BlobBytes != e.Bytes ||
						l.DiffID != s.DiffIDs[i] || l.ChainID != chains[i] || !l.Present || l.Foreign || len(l.URLs) != 0 {
						t.Errorf("readSizes=%v layer %d = %+v, want digest %s member %s bytes %d diff_id %s chain_id %s",
							readSizes, i, l, e.Digest, e.Member, e.Bytes, s.DiffIDs[i], chains[i])
					}
					if facts[i].DiffID != s.DiffIDs[i] {
						t.Errorf("layer %d: uncompressed stream hashes to %s, config says %s", i, facts[i].DiffID, s.DiffIDs[i])
					}
					if !readSizes {
						if l.Compression != "" || l.UncompressedBytes != -1 || l.ContentBytes != -1 {
							t.Errorf("layer %d unread: compression %q uncompressed %d content %d", i, l.Compression, l.UncompressedBytes, l.ContentBytes)
						}
						continue
					}
					if l.Compression != facts[i].Compression || l.UncompressedBytes != facts[i].UncompressedBytes ||
						l.ContentBytes != facts[i].ContentBytes {
						t.Errorf("layer %d: compression %q uncompressed %d content %d; archive/tar says %q %d %d", i,
							l.Compression, l.UncompressedBytes, l.ContentBytes,
							facts[i].Compression, facts[i].UncompressedBytes, facts[i].ContentBytes)
					}
					if (facts[i].Compression == "gzip") != e.Gzip {
						t.Errorf("layer %d: gzip %v, expected.json says %v", i, facts[i].Compression == "gzip", e.Gzip)
					}
				}
			}
		})
	}
}

func TestSamplesHistory(t *testing.T) {
	for _, s := range loadSamples(t) {
		s := s
		t.Run(s.File, func(t *testing.T) {
			_, cfg, facts := sampleFacts(t, s)
			a := openT(t, filepath.Join(samplesDir(t), s.File), nil)
			img := a.Images()[0]
			chains := chainIDs(s.DiffIDs)
			for _, details := range []bool{false, true} {
				rows, err := a.History(img, details, nil)
				if err != nil {
					t.Fatal(err)
				}
				if len(rows) != s.HistoryCount || len(cfg.History) != s.HistoryCount {
					t.Fatalf("%d rows, config %d entries, want %d", len(rows), len(cfg.History), s.HistoryCount)
				}
				empty := 0
				layer := len(s.DiffIDs) - 1 // newest first: the top layer comes first
				for k, r := range rows {
					h := cfg.History[len(cfg.History)-1-k]
					wantID := "<missing>"
					if k == 0 {
						wantID = s.ID
					}
					if r.ID != wantID || r.CreatedBy != h.CreatedBy || r.Comment != h.Comment || r.Created != h.Created ||
						r.EmptyLayer != h.EmptyLayer || r.Match != layerkit.MatchOK {
						t.Errorf("row %d = %+v; config history entry %+v", k, r, h)
					}
					if want, _ := time.Parse(time.RFC3339Nano, h.Created); !r.CreatedTime.Equal(want.Truncate(time.Second)) {
						t.Errorf("row %d CreatedTime %v, want %v", k, r.CreatedTime, want)
					}
					if r.EmptyLayer {
						empty++
						if r.LayerIndex != -1 || r.ContentBytes != 0 || r.DiffID != "" {
							t.Errorf("empty row %d: layer %d size %d diff_id %q", k, r.LayerIndex, r.ContentBytes, r.DiffID)
						}
						continue
					}
					if r.LayerIndex != layer || r.DiffID != s.DiffIDs[layer] || r.ChainID != chains[layer] ||
						r.ContentBytes != facts[layer].ContentBytes {
						t.Errorf("row %d: layer %d diff_id %s chain_id %s size %d; want layer %d %s %s %d", k,
							r.LayerIndex, r.DiffID, r.ChainID, r.ContentBytes, layer, s.DiffIDs[layer], chains[layer], facts[layer].ContentBytes)
					}
					if r.Digest != s.Layers[layer].Digest || r.CompressedBytes != s.Layers[layer].Bytes ||
						r.UncompressedBytes != facts[layer].UncompressedBytes {
						t.Errorf("details=%v row %d: digest %s compressed %d uncompressed %d; want %s %d %d", details, k,
							r.Digest, r.CompressedBytes, r.UncompressedBytes, s.Layers[layer].Digest, s.Layers[layer].Bytes, facts[layer].UncompressedBytes)
					}
					layer--
				}
				if empty != s.EmptyLayers || layer != -1 {
					t.Errorf("%d empty rows, want %d; %d layers without a row", empty, s.EmptyLayers, layer+1)
				}
			}
			js, err := a.HistoryJSON(img, false)
			if err != nil {
				t.Fatal(err)
			}
			var doc []struct {
				ID        string `json:"ID"`
				CreatedBy string `json:"CreatedBy"`
				Size      int64  `json:"Size"`
			}
			if err := json.Unmarshal([]byte(js), &doc); err != nil {
				t.Fatalf("HistoryJSON: %v\n%s", err, js)
			}
			if len(doc) != s.HistoryCount || doc[0].ID != s.ID || doc[0].CreatedBy != cfg.History[len(cfg.History)-1].CreatedBy {
				t.Errorf("HistoryJSON: %d rows, first %+v", len(doc), doc[0])
			}
		})
	}
}

func TestSamplesVerify(t *testing.T) {
	for _, s := range loadSamples(t) {
		s := s
		t.Run(s.File, func(t *testing.T) {
			a := openT(t, filepath.Join(samplesDir(t), s.File), nil)
			for _, opts := range []layerkit.VerifyOptions{{}, {Threads: 1}, {Threads: 4, Image: s.Ref}} {
				r, err := a.Verify(opts)
				if err != nil {
					t.Fatalf("%+v: %v", opts, err)
				}
				if !r.OK || len(r.Problems) != 0 {
					t.Errorf("%+v: OK %v, problems %+v", opts, r.OK, r.Problems)
				}
				var doc struct {
					OK     bool
					Images []struct{ Id string }
				}
				if err := json.Unmarshal([]byte(r.JSON()), &doc); err != nil {
					t.Fatalf("JSON(): %v", err)
				}
				if !doc.OK || len(doc.Images) != 1 || doc.Images[0].Id != s.ID {
					t.Errorf("JSON(): %s", r.JSON())
				}
			}
			if _, err := a.Verify(layerkit.VerifyOptions{Image: "no-such-image:0"}); !errors.Is(err, layerkit.ErrNotFound) {
				t.Errorf("Verify(unknown image): %v, want ErrNotFound", err)
			}
			if _, err := a.Verify(layerkit.VerifyOptions{Threads: -1}); !errors.Is(err, layerkit.ErrInvalid) {
				t.Errorf("Verify(Threads -1): %v, want ErrInvalid", err)
			}
		})
	}
}

func TestSamplesInspect(t *testing.T) {
	for _, s := range loadSamples(t) {
		s := s
		t.Run(s.File, func(t *testing.T) {
			a := openT(t, filepath.Join(samplesDir(t), s.File), nil)
			for _, img := range []*layerkit.Image{nil, a.Images()[0]} {
				js, err := a.InspectJSON(img)
				if err != nil {
					t.Fatal(err)
				}
				var doc []struct {
					Id       string
					RepoTags []string
					Os       string
					RootFS   struct{ Layers []string }
				}
				if err := json.Unmarshal([]byte(js), &doc); err != nil {
					t.Fatalf("InspectJSON: %v", err)
				}
				if len(doc) != 1 || doc[0].Id != s.ID || !contains(doc[0].RepoTags, s.Ref) || !equalStrings(doc[0].RootFS.Layers, s.DiffIDs) {
					t.Errorf("InspectJSON: %s", js)
				}
			}
		})
	}
}

// The classic scenario: base, runtime FROM base, app FROM runtime.
func TestSamplesDedup(t *testing.T) {
	files := []string{"base.docker-archive.tar", "runtime.docker-archive.tar", "app.docker-archive.tar", "app.oci-archive.tar"}
	refs := []string{"base", "runtime", "app", ""} // "" -> Image.Name()
	var inputs []layerkit.DedupInput
	// Expected, from expected.json and archive/tar: per chain ID its size and images.
	type want struct {
		diffID string
		bytes  uint64
		images []string
	}
	byChain := map[string]*want{}
	var order []string
	var total uint64
	imageBytes := map[string]uint64{}
	imageChains := map[string][]string{}
	for k, f := range files {
		s := sampleByFile(t, f)
		_, _, facts := sampleFacts(t, s)
		a := openT(t, filepath.Join(samplesDir(t), f), nil)
		img := a.Images()[0]
		inputs = append(inputs, layerkit.DedupInput{Archive: a, Image: img, Ref: refs[k]})
		ref := refs[k]
		if ref == "" {
			ref = s.Ref
		}
		for i, c := range chainIDs(s.DiffIDs) {
			w := byChain[c]
			if w == nil {
				w = &want{diffID: s.DiffIDs[i], bytes: uint64(facts[i].ContentBytes)}
				byChain[c] = w
				order = append(order, c)
			}
			w.images = append(w.images, ref)
			total += uint64(facts[i].ContentBytes)
			imageBytes[ref] += uint64(facts[i].ContentBytes)
			imageChains[ref] = append(imageChains[ref], c)
		}
	}
	var unique uint64
	for _, w := range byChain {
		unique += w.bytes
	}

	var calls int
	res, err := layerkit.Dedup(inputs, 2, func(done, total uint64) bool { calls++; return true })
	if err != nil {
		t.Fatal(err)
	}
	if res.TotalBytes != total || res.UniqueBytes != unique || res.SavedBytes != total-unique {
		t.Errorf("total %d unique %d saved %d; want %d %d %d", res.TotalBytes, res.UniqueBytes, res.SavedBytes, total, unique, total-unique)
	}
	if len(res.Layers) != 6 || len(byChain) != 6 {
		t.Fatalf("%d layers (expected.json: %d), want 6", len(res.Layers), len(byChain))
	}
	for _, l := range res.Layers {
		w := byChain[l.ChainID]
		if w == nil {
			t.Errorf("unexpected layer %+v", l)
			continue
		}
		got := append([]string(nil), l.Images...)
		if l.DiffID != w.diffID || l.Bytes != w.bytes || len(got) != len(w.images) {
			t.Errorf("layer %s: %+v; want diff_id %s bytes %d images %q", l.ChainID, l, w.diffID, w.bytes, w.images)
		}
		for _, r := range w.images {
			if !contains(got, r) {
				t.Errorf("layer %s lacks image %s: %q", l.ChainID, r, got)
			}
		}
	}
	// Shared: the two base layers in all four images, the runtime layer in
	// three; the three app layers only in the two app images.
	counts := map[int]int{}
	for _, c := range order {
		counts[len(byChain[c].images)]++
	}
	if counts[4] != 2 || counts[3] != 1 || counts[2] != 3 {
		t.Errorf("sharing pattern from expected.json: %v", counts)
	}
	if len(res.Images) != 4 {
		t.Fatalf("%d images", len(res.Images))
	}
	for _, im := range res.Images {
		if im.Bytes != imageBytes[im.Ref] || im.LayerCount != len(imageChains[im.Ref]) || im.SharedBytes+im.UniqueBytes != im.Bytes {
			t.Errorf("image %+v; want bytes %d layers %d", im, imageBytes[im.Ref], len(imageChains[im.Ref]))
		}
		var uniq uint64
		for _, c := range imageChains[im.Ref] {
			if len(byChain[c].images) == 1 {
				uniq += byChain[c].bytes
			}
		}
		if im.UniqueBytes != uniq {
			t.Errorf("image %s: unique %d, want %d", im.Ref, im.UniqueBytes, uniq)
		}
	}
	var doc struct{ TotalSize, UniqueSize, SavedSize uint64 }
	if err := json.Unmarshal([]byte(res.JSON()), &doc); err != nil || doc.TotalSize != total || doc.UniqueSize != unique {
		t.Errorf("JSON(): %v %+v", err, doc)
	}
	if calls == 0 {
		t.Errorf("progress never called")
	}
}
