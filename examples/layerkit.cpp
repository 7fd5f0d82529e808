// layerkit — the command-line tool: docker images / inspect / history, and
// verify and dedup, answered from image archives alone.
//
// Exit status: 0 success, 1 verification failed, 2 bad input or usage.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli_input.hpp"
#include "cli_options.hpp"
#include "cli_progress.hpp"
#include "layerkit/archive.hpp"
#include "layerkit/dedup.hpp"
#include "layerkit/error.hpp"
#include "layerkit/history.hpp"
#include "layerkit/report.hpp"
#include "layerkit/text.hpp"
#include "layerkit/verify.hpp"
#include "layerkit/version.h"
#include "store_cli.hpp"

using namespace layerkit;

namespace {

constexpr int kOk = 0, kFailed = 1, kUsage = 2;

const char* kMainHelp = R"(layerkit — read container image archives without a container engine

Usage:
  layerkit COMMAND [OPTIONS] ARCHIVE...
  layerkit COMMAND --help

Commands:
  images    list images (like `docker images`)
  inspect   print images' metadata as JSON (like `docker image inspect`)
  history   show an image's layer history (like `docker history`)
  verify    check every digest, size and count; exit 1 on any mismatch
  dedup     show the layers images share and the bytes sharing saves
  ls        list the entries of an image's layers (like `tar -tv`)
  store     a content-addressable image store: load, plan, save, ls, rm,
            gc, df, verify (see `layerkit store --help`)

ARCHIVE is any of: a `docker save` tar (Docker <= 24, Docker 25+, podman,
skopeo, go-containerregistry, kaniko, pre-1.10), an OCI image layout
directory or its tar (oci-archive), a skopeo dir: directory, each of the
tars optionally gzip-, zstd-, xz- or bzip2-compressed as a whole. The format
is recognised from the content, never from the file name. "-" (or a named
pipe) is read from standard input, e.g. `docker save app | layerkit images -`:
it is copied once to a temporary file in $TMPDIR (else /tmp), as `docker
load` does, and read from there.

Common options:
  --json               print JSON instead of a table
  --image REF          pick one image: a repo tag ("app:1.0"), an image ID or
                       unique ID prefix, a manifest digest, or @N (N-th image);
                       with several archives, those without it are passed
                       over (an error only when none has it)
  --platform OS/ARCH[/VARIANT]
                       the manifest to take from a multi-platform index
                       (default linux/amd64; "all" keeps every platform);
                       given explicitly, it also leaves out an image whose
                       config names another platform (docker-archive)
  --threads N          worker threads for reading layers (default: all cores)
  --limit NAME=VALUE   change a limit on untrusted input (repeatable); VALUE
                       takes K, M, G, T suffixes (powers of 1024). Names and
                       defaults: manifest_json_bytes=1M json_bytes=4M
                       json_depth=64 layers_per_image=1000
                       images_per_archive=10000 index_depth=8 members=1000000
                       entries_per_layer=10000000 layer_bytes=1T
                       compression_ratio=1000 symlink_hops=8
                       buffered_bytes=256M
  -h, --help           show help
  --version            print the version

Exit status: 0 success, 1 verification failed, 2 bad input or usage.
)";

const char* kImagesHelp = R"(Usage: layerkit images [OPTIONS] ARCHIVE...

List the images of one or more archives, one row per reference, newest
first, with the columns of `docker images`:

  REPOSITORY  TAG  IMAGE ID  CREATED  SIZE

IMAGE ID is the first 12 hex digits of the config digest; SIZE is Docker's
image size (the sum of its layers' content sizes, decimal units). Untagged
images show <none> <none>. Artifacts (OCI manifests whose config is not an
image config) are listed only with --all.
An archive that cannot be opened is reported on stderr, the others are
still listed, and the exit status is 2.

Options:
  --json            one JSON object per row: Repository, Tag, ID, Digest,
                    CreatedAt, CreatedSince, Size (bytes), Archive
  -q, --quiet       print image IDs only
  --no-trunc        print full image IDs
  -a, --all         include OCI artifacts and manifests whose config is
                    absent (their IMAGE ID shows <missing>)
  --image REF, --platform P, --threads N, --limit NAME=VALUE
                    (see `layerkit --help`)
)";

const char* kInspectHelp = R"(Usage: layerkit inspect [OPTIONS] ARCHIVE...

Print a JSON array with one object per image, with the keys of
`docker image inspect` that an archive can answer: Id, RepoTags,
RepoDigests, Parent, Comment, Created, Author, Config, Architecture,
Variant, Os, OsVersion, Size, RootFS {Type, Layers}; and beyond Docker:
Manifest, Layers [{MediaType, Digest, Size, DiffID, ChainID,
UncompressedSize, ContentSize, Compression, Foreign, Present, URLs}],
Missing [{What, Digest, Member}] and Archive {Path, Format}.
Sizes are integers in bytes. Reads every layer's tar headers.
An archive that cannot be opened is reported on stderr, the others are
still printed, and the exit status is 2.

Options:
  --image REF, --platform P, --threads N, --limit NAME=VALUE
                    (see `layerkit --help`)
  --json            accepted for symmetry (output is always JSON)
)";

const char* kHistoryHelp = R"(Usage: layerkit history [OPTIONS] ARCHIVE

Show the history of an image, newest first, exactly as `docker history`:

  IMAGE  CREATED  CREATED BY  SIZE  COMMENT

IMAGE is the 12-hex image ID on the newest row and <missing> below; CREATED
is "N units ago" ("N/A" before the year 2000); CREATED BY has tabs turned
into spaces and is cut to 45 columns with "…"; SIZE is the layer's content
size as Docker's store reports it (0B for rows that made no layer).
The archive must hold one image, or pick one with --image. A lone layer
tar has no history: list it with `layerkit ls`.

Options:
  -H, --human=BOOL  human-readable times and sizes (default true);
                    --human=false prints RFC 3339 times and byte counts
  --no-trunc        do not truncate CREATED BY or the image ID
  -q, --quiet       print the IDs only
  --layers          add each row's layer: diff_id, blob digest, compressed
                    and uncompressed bytes and chain_id; history entries and
                    layers that do not line up are shown as such
  --json            one JSON object per row: ID, CreatedAt, CreatedSince,
                    CreatedBy, Size (bytes), Comment; with --layers also
                    LayerIndex, DiffID, Digest, ChainID, CompressedSize,
                    UncompressedSize and Match ("ok", "no layer" for a
                    non-empty entry without a layer, "no history" for a
                    layer without an entry)
  --image REF, --platform P, --threads N, --limit NAME=VALUE
                    (see `layerkit --help`)
)";

const char* kVerifyHelp = R"(Usage: layerkit verify [OPTIONS] ARCHIVE...

Check an archive completely, reading each layer blob once (a layer shared by
several images is read once): the blob digest as stored, the diff_id after
decompression, every descriptor size, the config digest (the image ID), the
manifest and index digests, and the counts of layers, diff_ids and non-empty
history entries. Every mismatch is reported, each naming the image, the
layer, the archive member, the expected and the actual value.
A lone layer tar (no image) has nothing declaring its digests: verify prints
the blob digest and diff_id it computes and checks it is a complete tar.
An archive that cannot be opened is reported and the others still verified.
Shows progress on a terminal.

Exit status: 0 all verified, 1 a mismatch, 2 an archive could not be opened
(or bad usage).

Options:
  --json            {Archive, OK, LoneLayer, Images: [{Ref, Id, OK, Layers:
                    [{Index, Digest, DiffID, OK, Present, Foreign}]}],
                    Problems: [{Image, Layer, Member, Kind, Expected,
                    Actual, Message}], Notes}, or {Archive, OK: false,
                    Error: {Code, Message}} for one that cannot be opened;
                    an array of these for several archives
  -q, --quiet       no progress and no per-layer lines; problems only
  --image REF, --platform P, --threads N, --limit NAME=VALUE
                    (see `layerkit --help`)
)";

const char* kDedupHelp = R"(Usage: layerkit dedup [OPTIONS] ARCHIVE...

Compare the images of one or more archives: which layers (by chain_id, and by
diff_id) appear in which images; per image its size, shared size and unique
size (as `docker system df -v` counts them); in total the bytes as stored per
image, the unique bytes, and the bytes sharing saves. Each distinct layer is
read once (tar headers only).

Options:
  --json            {Images: [{Ref, Id, Size, SharedSize, UniqueSize,
                    Layers}], Layers: [{DiffID, ChainID, Size, Images}],
                    DiffIDs: [{DiffID, Size, Images}], TotalSize,
                    UniqueSize, SavedSize, Notes}
  --image REF       compare only this image of each archive
  --platform P, --threads N, --limit NAME=VALUE   (see `layerkit --help`)
)";

const char* kLsHelp = R"(Usage: layerkit ls [OPTIONS] ARCHIVE

List the tar entries of an image's layers, bottom layer first, one line per
entry as `tar -tv` prints it: mode (with setuid/setgid/sticky), owner, size
(or major,minor for a device node), modification time, path, and the link
target. Whiteouts (.wh.<name>) and opaque whiteouts (.wh..wh..opq) are listed
as stored and marked. Reads tar headers only (bodies are skipped by seeking
wherever the input allows). The archive must hold one image, or pick one with
--image; a lone layer tar is listed as layer 0.

Options:
  --layer N         only the N-th layer (0 = bottom)
  --json            [{Layer, Digest, DiffID, Entries: [{Path, Type, Mode, Uid,
                    Gid, Uname, Gname, Size, Mtime, Link, DevMajor, DevMinor,
                    Sparse, Xattrs {name: hex value}, Whiteout, Opaque}]}]
  --image REF, --platform P, --limit NAME=VALUE   (see `layerkit --help`)
)";

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Args {
  std::string command;
  std::vector<std::string> archives;
  bool json = false, help = false, quiet = false, no_trunc = false, all = false, layers = false;
  std::optional<std::size_t> layer;
  std::vector<std::pair<std::string, std::uint64_t>> limits;
  bool human = true;
  std::string image;
  std::string platform = "linux/amd64";
  bool platform_explicit = false;
  unsigned threads = 0;
  std::vector<std::pair<std::string, std::string>> given;  // (canonical name, as spelled), for the per-command check
};

bool parse_bool(const std::string& opt, const std::string& v) {
  if (v == "true" || v == "1" || v == "t" || v == "TRUE" || v == "True") return true;
  if (v == "false" || v == "0" || v == "f" || v == "FALSE" || v == "False") return false;
  throw UsageError(fmt::format("{}: invalid boolean {:?}", opt, v));
}

Args parse_args(int argc, char** argv) {
  Args a;
  std::vector<std::string> words(argv + 1, argv + argc);
  std::size_t i = 0;
  auto value = [&](const std::string& opt, std::optional<std::string> inline_value) {
    if (inline_value) return *inline_value;
    if (i + 1 >= words.size()) throw UsageError(fmt::format("{} needs a value", opt));
    return words[++i];
  };
  // A boolean flag takes its value only after '=' (docker's --no-trunc=false),
  // so "-H false" would take "false" for an archive: say so instead.
  auto flag = [&](const std::string& opt, const std::optional<std::string>& inline_value) {
    if (inline_value) return parse_bool(opt, *inline_value);
    if (i + 1 < words.size() && (words[i + 1] == "true" || words[i + 1] == "false"))
      throw UsageError(fmt::format("{} takes its value after '=': {}={}", opt, opt, words[i + 1]));
    return true;
  };
  // std::stoul accepts "-1" and wraps it: only plain digits are a count.
  auto count = [](const std::string& v, unsigned long max) {
    if (v.empty() || v.size() > 20 || v.find_first_not_of("0123456789") != std::string::npos)
      throw std::invalid_argument(v);
    unsigned long n = std::stoul(v);
    if (n > max) throw std::out_of_range(v);
    return n;
  };
  bool only_files = false;
  for (; i < words.size(); ++i) {
    std::string w = words[i];
    if (only_files || w.empty() || w[0] != '-' || w == "-") {
      if (a.command.empty()) a.command = w;
      else a.archives.push_back(w);
      continue;
    }
    if (w == "--") {
      only_files = true;
      continue;
    }
    std::optional<std::string> inl;
    std::string name = w;
    if (auto eq = w.find('='); eq != std::string::npos && (w.rfind("--", 0) == 0 || eq == 2)) {
      name = w.substr(0, eq);
      inl = w.substr(eq + 1);
    }
    static const std::map<std::string, std::string> canonical = {
        {"-h", "--help"}, {"-q", "--quiet"}, {"-a", "--all"}, {"-H", "--human"}, {"--format", "--json"}};
    auto c = canonical.find(name);
    a.given.emplace_back(c == canonical.end() ? name : c->second, name);
    if (name == "-h" || name == "--help") a.help = true;
    else if (name == "--json") a.json = inl ? parse_bool(name, *inl) : true;
    else if (name == "--format") {
      std::string f = value(name, inl);
      if (f != "json") throw UsageError("--format: only \"json\" is supported (or use --json)");
      a.json = true;
    } else if (name == "-q" || name == "--quiet") a.quiet = flag(name, inl);
    else if (name == "--no-trunc") a.no_trunc = flag(name, inl);
    else if (name == "-a" || name == "--all") a.all = flag(name, inl);
    else if (name == "--layers") a.layers = flag(name, inl);
    else if (name == "-H" || name == "--human") a.human = flag(name, inl);
    else if (name == "--image") a.image = value(name, inl);
    else if (name == "--platform") {
      try {
        a.platform = cli::check_platform(value(name, inl));
      } catch (const std::invalid_argument& e) {
        throw UsageError(e.what());
      }
      a.platform_explicit = true;
    } else if (name == "--threads") {
      std::string v = value(name, inl);
      try {
        a.threads = static_cast<unsigned>(count(v, 1024));
      } catch (const std::exception&) {
        throw UsageError(fmt::format("--threads: expected a number from 0 to 1024, got {:?}", v));
      }
    } else if (name == "--limit") {
      try {
        a.limits.push_back(cli::parse_limit(value(name, inl)));
      } catch (const std::invalid_argument& e) {
        throw UsageError(e.what());
      }
    } else if (name == "--layer") {
      std::string v = value(name, inl);
      try {
        a.layer = count(v, ULONG_MAX);
      } catch (const std::exception&) {
        throw UsageError(fmt::format("--layer: expected a layer index (0 = bottom), got {:?}", v));
      }
    } else if (name == "--version") {
      a.command = "version";
    } else {
      throw UsageError(fmt::format("unknown option {:?}", w));
    }
  }
  return a;
}

std::int64_t now_unix() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

using cli::Progress;

Archive open_archive(const Args& a, const std::string& path) {
  OpenOptions o;
  cli::apply_limits(o.limits, a.limits);
  o.platform = a.platform;
  o.platform_explicit = a.platform_explicit;
  Progress p("reading", !a.quiet && !a.json);
  o.progress = p.fn();
  std::string file = cli::archive_path(path);
  if (file.empty()) throw UsageError(cli::kStdinIsTerminal);
  Archive ar = Archive::open(file, o);
  for (const auto& w : ar.warnings()) std::fprintf(stderr, "layerkit: %s: warning: %s\n", path.c_str(), w.c_str());
  return ar;
}

void report_error(const Error& e) { std::fprintf(stderr, "layerkit: %s [%s]\n", e.what(), errc_name(e.code())); }

// Opens every archive of a multi-archive command. One that cannot be opened
// is reported and skipped, so the others still answer; `failed` makes the
// exit status 2 at the end.
std::vector<Archive> open_all(const Args& a, bool& failed) {
  std::vector<Archive> out;
  out.reserve(a.archives.size());
  for (const auto& p : a.archives) {
    try {
      out.push_back(open_archive(a, p));
    } catch (const Error& e) {
      report_error(e);
      failed = true;
    }
  }
  return out;
}

std::vector<const Image*> pick_images(const Archive& ar, const Args& a, bool include_all) {
  std::vector<const Image*> out;
  if (!a.image.empty()) {
    out.push_back(&ar.find_image(a.image));
    return out;
  }
  for (const Image& i : ar.images())
    if (include_all || (i.artifact_type.empty() && i.complete())) out.push_back(&i);
  return out;
}

// The images each archive contributes, in order. With --image over several
// archives, one without that image contributes none; only when none has it is
// that an error (not_found), as it is for a single archive.
std::vector<std::vector<const Image*>> pick_images_each(const std::vector<Archive>& archives, const Args& a,
                                                        bool include_all) {
  std::vector<std::vector<const Image*>> out;
  bool found = false;
  for (const Archive& ar : archives) {
    try {
      out.push_back(pick_images(ar, a, include_all));
      found = true;
    } catch (const Error& e) {
      if (e.code() != Errc::not_found || a.image.empty() || archives.size() == 1) throw;
      out.emplace_back();
    }
  }
  if (!found && !archives.empty() && !a.image.empty())
    throw Error(Errc::not_found, fmt::format("no image {:?} in any of the {} archives", a.image, archives.size()));
  return out;
}

std::string size_cell(std::int64_t bytes, bool human) {
  if (bytes < 0) return "?";
  return human ? text::human_size(double(bytes)) : std::to_string(bytes);
}

int cmd_images(const Args& a) {
  bool failed = false;
  std::vector<Archive> archives = open_all(a, failed);
  const int status = failed ? kUsage : kOk;
  if (archives.empty()) return status;  // nothing opened: the errors are the whole answer
  struct Row {
    const Archive* ar;
    const Image* img;
    std::int64_t size;
    std::optional<std::int64_t> created;
  };
  std::vector<Row> rows;
  auto picked = pick_images_each(archives, a, a.all);
  for (std::size_t k = 0; k < archives.size(); ++k) {
    for (const Image* img : picked[k]) {
      rows.push_back({&archives[k], img, image_size(archives[k], *img, a.threads),
                      text::parse_rfc3339(img->config.created)});
    }
  }
  // Newest first, as docker sorts.
  std::stable_sort(rows.begin(), rows.end(), [](const Row& x, const Row& y) {
    return x.created.value_or(INT64_MIN) > y.created.value_or(INT64_MIN);
  });
  std::int64_t now = now_unix();
  if (a.json) {
    std::vector<const Archive*> ars;
    std::vector<const Image*> imgs;
    std::vector<std::int64_t> sizes;
    for (const Row& r : rows) {
      ars.push_back(r.ar);
      imgs.push_back(r.img);
      sizes.push_back(r.size);
    }
    fmt::print("{}\n", images_json(ars, imgs, sizes, now));
    return status;
  }
  auto id_of = [&](const Image& img) {
    if (img.id().empty()) return std::string("<missing>");
    return a.no_trunc ? img.id().str() : text::truncate_id(img.id().str());
  };
  if (a.quiet) {
    for (const Row& r : rows) fmt::print("{}\n", id_of(*r.img));
    return status;
  }
  text::TabWriter tw;
  tw.add_row({"REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"});
  for (const Row& r : rows) {
    std::vector<std::string> refs = r.img->references;
    if (refs.empty()) refs.push_back("<none>:<none>");
    std::string created = r.created ? text::image_created_since(*r.created, now) : "N/A";
    for (const auto& ref : refs) {
      auto [repo, tag] = text::split_repo_tag(ref);
      tw.add_row({repo, tag, id_of(*r.img), created, text::human_size(double(r.size))});
    }
  }
  fmt::print("{}", tw.str());
  return status;
}

int cmd_inspect(const Args& a) {
  // One JSON array over all archives.
  std::string out = "[";
  bool first = true;
  bool failed = false;
  std::vector<Archive> archives = open_all(a, failed);
  if (archives.empty()) return kUsage;  // nothing opened: the errors are the whole answer
  auto picked = pick_images_each(archives, a, true);
  for (std::size_t k = 0; k < archives.size(); ++k) {
    if (picked[k].empty() && !a.image.empty()) continue;
    std::string part = inspect_json(archives[k], picked[k], true, a.threads);
    // Splice the array's elements into the combined array.
    std::string inner = part.substr(1, part.size() - 2);
    while (!inner.empty() && (inner.back() == '\n' || inner.back() == ' ')) inner.pop_back();
    while (!inner.empty() && inner.front() == '\n') inner.erase(0, 1);
    if (inner.empty()) continue;
    out += first ? "\n" : ",\n";
    out += inner;
    first = false;
  }
  out += first ? "]" : "\n]";
  fmt::print("{}\n", out);
  return failed ? kUsage : kOk;
}

const Image& single_image(const Archive& ar, const Args& a) {
  if (!a.image.empty()) return ar.find_image(a.image);
  auto imgs = pick_images(ar, a, false);
  if (imgs.size() == 1) return *imgs[0];
  if (imgs.empty())
    throw Error(Errc::not_found, fmt::format("{}: no image{}", ar.path(),
                                             a.platform_explicit ? " for platform " + a.platform : ""));
  std::string names;
  for (const Image* i : imgs)
    names += (names.empty() ? "" : ", ") + (i->references.empty() ? i->id().short_hex() : i->references[0]);
  throw Error(Errc::ambiguous,
              fmt::format("{} holds {} images ({}); choose one with --image", ar.path(), imgs.size(), names));
}

int cmd_history(const Args& a) {
  if (a.archives.size() != 1) throw UsageError("history takes exactly one ARCHIVE");
  Archive ar = open_archive(a, a.archives[0]);
  if (ar.loose_layer())
    throw Error(Errc::not_found, fmt::format("{}: a lone layer tar, no image and so no history (list its "
                                             "entries with `layerkit ls {}`)", ar.path(), ar.path()));
  const Image& img = single_image(ar, a);
  HistoryOptions ho;
  ho.layer_details = a.layers;
  ho.threads = a.threads;
  Progress p("reading layers", !a.quiet);
  ho.progress = p.fn();
  auto rows = history(ar, img, ho);
  p.done();
  std::int64_t now = now_unix();
  for (const auto& r : rows)
    if (r.layer_index && r.size < 0)
      std::fprintf(stderr, "layerkit: warning: layer %zu cannot be read (SIZE shows ?): absent, foreign or damaged\n",
                   *r.layer_index);
  if (!history_matches_layers(rows))
    std::fprintf(stderr, "layerkit: warning: %s: history entries and layers do not line up (%zu layers, %zu non-empty history entries)\n",
                 img.display_name().empty() ? img.id().short_hex().c_str() : img.display_name().c_str(),
                 img.layers.size(), img.config.non_empty_history());
  if (a.json) {
    fmt::print("{}\n", history_json(rows, a.layers, now));
    return kOk;
  }
  auto id_cell = [&](const HistoryRow& r) {
    if (r.id == "<missing>" || a.no_trunc) return r.id;
    return text::truncate_id(r.id);
  };
  if (a.quiet) {
    for (const auto& r : rows) fmt::print("{}\n", id_cell(r));
    return kOk;
  }
  text::TabWriter tw;
  std::vector<std::string> head = {"IMAGE", a.human ? "CREATED" : "CREATED AT", "CREATED BY", "SIZE", "COMMENT"};
  if (a.layers) {
    for (const char* h : {"LAYER", "DIFF ID", "DIGEST", "COMPRESSED", "UNCOMPRESSED", "CHAIN ID"}) head.push_back(h);
  }
  tw.add_row(head);
  auto short_digest = [&](const Digest& d) {
    if (d.empty()) return std::string("-");
    return a.no_trunc ? d.str() : d.short_hex();
  };
  for (const auto& r : rows) {
    std::string created;
    if (a.human) created = r.created_unix ? text::created_since(*r.created_unix, now) : "N/A";
    else created = r.created_unix ? text::rfc3339(*r.created_unix) : r.created;
    std::vector<std::string> cells = {id_cell(r), created, text::history_created_by(r.created_by, !a.no_trunc),
                                      size_cell(r.size, a.human), r.comment};
    if (a.layers) {
      std::string layer = r.layer_index ? std::to_string(*r.layer_index) : "-";
      if (r.match == HistoryRow::Match::no_layer) layer = "NO LAYER";
      if (r.match == HistoryRow::Match::no_history) layer += " (NO HISTORY)";
      cells.push_back(layer);
      cells.push_back(short_digest(r.diff_id));
      cells.push_back(short_digest(r.digest));
      cells.push_back(r.layer_index ? size_cell(r.compressed_size, a.human) : "-");
      cells.push_back(r.layer_index ? size_cell(r.uncompressed_size, a.human) : "-");
      cells.push_back(short_digest(r.chain_id));
    }
    tw.add_row(cells);
  }
  fmt::print("{}", tw.str());
  return kOk;
}

int cmd_verify(const Args& a) {
  int status = kOk;
  bool image_found = false;
  std::vector<std::string> json_parts;
  for (const auto& path : a.archives) {
    std::optional<Archive> ar;
    try {
      ar.emplace(open_archive(a, path));
    } catch (const Error& e) {
      // Not even openable: the worst outcome, but the other archives still get verified.
      report_error(e);
      status = kUsage;
      if (a.json) json_parts.push_back(open_error_json(path, e));
      continue;
    }
    if (!a.image.empty() && a.archives.size() > 1) {
      // As for images: an archive without the image has nothing to verify.
      try {
        ar->find_image(a.image);
        image_found = true;
      } catch (const Error& e) {
        if (e.code() != Errc::not_found) throw;
        if (!a.json) fmt::print("{}: no image {:?}, skipped\n", path, a.image);
        continue;
      }
    }
    VerifyOptions vo;
    vo.image = a.image;
    vo.threads = a.threads;
    Progress p("verifying", !a.quiet && !a.json);
    vo.progress = p.fn();
    VerifyReport rep;
    try {
      rep = verify(*ar, vo);
    } catch (const Error& e) {
      // e.g. --image names an image this archive lacks: the others still get verified.
      p.done();
      report_error(e);
      status = kUsage;
      if (a.json) json_parts.push_back(open_error_json(path, e));
      continue;
    }
    p.done();
    if (!rep.ok && status == kOk) status = kFailed;
    if (a.json) {
      json_parts.push_back(verify_json(rep));
      continue;
    }
    if (!a.quiet) {
      for (const VerifiedImage& vi : rep.images) {
        fmt::print("{} {} ({})\n", vi.ok ? "ok  " : "FAIL", vi.ref.empty() ? "<untagged>" : vi.ref,
                   vi.id.empty() ? std::string("<no config>") : vi.id.short_hex());
        for (const VerifiedLayer& l : vi.layers) {
          std::string state = l.ok ? "ok  " : "FAIL";
          std::string detail = l.foreign && !l.present ? "foreign layer (not in the archive)"
                               : !l.present            ? "absent"
                                                       : fmt::format("digest {}  diff_id {}", l.digest.short_hex(),
                                                                     l.diff_id.empty() ? "-" : l.diff_id.short_hex());
          fmt::print("  {} layer {:<3} {}\n", state, l.index, detail);
        }
      }
      if (rep.lone_layer)
        fmt::print("lone layer tar (no image, nothing declares its digests)\n  digest  {}\n  diff_id {}\n",
                   rep.lone_layer->digest.empty() ? "-" : rep.lone_layer->digest.str(),
                   rep.lone_layer->diff_id.empty() ? "-" : rep.lone_layer->diff_id.str());
      for (const auto& n : rep.notes) fmt::print("note: {}\n", n);
    }
    for (const Problem& pr : rep.problems) fmt::print("problem [{}]: {}\n", pr.kind, pr.message);
    std::string verdict = !rep.ok ? fmt::format("{} problem{}", rep.problems.size(), rep.problems.size() == 1 ? "" : "s")
                          : rep.lone_layer ? "a complete layer tar, no image"
                                           : "verified";
    fmt::print("{}: {}\n", path, verdict);
  }
  if (!a.image.empty() && a.archives.size() > 1 && !image_found) {
    report_error(Error(Errc::not_found, fmt::format("no image {:?} in any of the {} archives", a.image,
                                                    a.archives.size())));
    status = kUsage;
  }
  if (a.json) {
    if (a.archives.size() == 1) {
      fmt::print("{}\n", json_parts.at(0));
    } else {
      // An array of the pretty objects, indented one level as PrettyWriter would.
      std::string out = "[";
      for (std::size_t k = 0; k < json_parts.size(); ++k) {
        out += k ? ",\n  " : "\n  ";
        for (char c : json_parts[k]) out += c == '\n' ? std::string("\n  ") : std::string(1, c);
      }
      fmt::print("{}\n", json_parts.empty() ? "[]" : out + "\n]");
    }
  }
  return status;
}

// `tar -tv` style mode string: type letter then rwx triplets with s/S/t/T.
std::string mode_string(const LayerEntry& e) {
  std::string m(10, '-');
  m[0] = e.type == '-' || e.type == 'h' ? '-' : e.type;
  if (e.type == 'h') m[0] = 'h';
  const char* rwx = "rwxrwxrwx";
  for (int i = 0; i < 9; ++i)
    if (e.mode & (0400u >> i)) m[1 + i] = rwx[i];
  auto special = [&](unsigned bit, int pos, char on, char off) {
    if (e.mode & bit) m[pos] = m[pos] == 'x' ? on : off;
  };
  special(04000, 3, 's', 'S');
  special(02000, 6, 's', 'S');
  special(01000, 9, 't', 'T');
  return m;
}

int cmd_ls(const Args& a) {
  if (a.archives.size() != 1) throw UsageError("ls takes exactly one ARCHIVE");
  Archive ar = open_archive(a, a.archives[0]);
  std::vector<const Layer*> layers;
  if (ar.loose_layer()) {
    layers.push_back(&*ar.loose_layer());
  } else {
    const Image& img = single_image(ar, a);
    for (const Layer& l : img.layers) layers.push_back(&l);
  }
  if (a.layer) {
    if (*a.layer >= layers.size())
      throw Error(Errc::invalid_argument,
                  fmt::format("--layer {}: the image has {} layers (0 to {})", *a.layer, layers.size(),
                              layers.empty() ? 0 : layers.size() - 1));
    layers = {layers[*a.layer]};
  }
  std::vector<std::pair<const Layer*, std::vector<LayerEntry>>> listed;
  std::optional<Error> damaged;  // like tar -t: list what is there, then fail
  for (const Layer* l : layers) {
    std::vector<LayerEntry> entries;
    LayerScan s = ar.list_layer(*l, [&](const LayerEntry& e) { entries.push_back(e); });
    if (!s.tar_ok && !damaged) {
      damaged.emplace(s.tar_error,
                      fmt::format("{}: layer {} ({}) is not a complete tar: {}", ar.path(), l->index,
                                  l->member.empty() ? ar.path() : l->member, s.tar_problem));
    } else if (!s.missing_end_marker.empty() && ar.loose_layer() && !damaged) {
      // Nothing vouches for a lone tar's bytes: without its end marker it may be cut.
      damaged.emplace(Errc::truncated, fmt::format("{}: not a complete tar: {}", ar.path(), s.missing_end_marker));
    } else if (!s.missing_end_marker.empty()) {
      std::fprintf(stderr, "layerkit: warning: %s: layer %zu (%s): %s\n", ar.path().c_str(), l->index,
                   l->member.c_str(), s.missing_end_marker.c_str());
    }
    listed.emplace_back(l, std::move(entries));
  }
  if (a.json) {
    fmt::print("{}\n", entries_json(listed));
    if (damaged) throw *damaged;
    return kOk;
  }
  for (const auto& [l, entries] : listed) {
    // A lone layer tar declares no digest (`layerkit verify` computes them).
    std::string name = !l->descriptor.digest.empty() ? l->descriptor.digest.str()
                       : !l->member.empty()          ? l->member
                                                     : ar.path() + " (a lone layer tar)";
    fmt::print("layer {}  {}{}\n", l->index, name,
               l->diff_id && *l->diff_id != l->descriptor.digest ? "  diff_id " + l->diff_id->str() : "");
    for (const LayerEntry& e : entries) {
      std::string owner = fmt::format("{}/{}", e.uname.empty() ? std::to_string(e.uid) : e.uname,
                                      e.gname.empty() ? std::to_string(e.gid) : e.gname);
      std::string size = e.type == 'c' || e.type == 'b' ? fmt::format("{},{}", e.dev_major, e.dev_minor)
                                                        : std::to_string(e.bytes);
      std::string when = text::rfc3339(e.mtime);
      std::string tail;
      if (e.type == 'l') tail = " -> " + e.link;
      if (e.type == 'h') tail = " link to " + e.link;
      if (e.whiteout) tail += "  (whiteout)";
      if (e.opaque) tail += "  (opaque whiteout)";
      if (e.sparse) tail += "  (sparse)";
      if (!e.xattrs.empty()) tail += fmt::format("  ({} xattr{})", e.xattrs.size(), e.xattrs.size() == 1 ? "" : "s");
      fmt::print("{} {:<17} {:>10} {} {}{}\n", mode_string(e), owner, size, when, e.path, tail);
    }
  }
  if (damaged) throw *damaged;
  return kOk;
}

int cmd_dedup(const Args& a) {
  std::vector<Archive> archives;
  archives.reserve(a.archives.size());
  for (const auto& p : a.archives) archives.push_back(open_archive(a, p));  // a total needs every archive
  std::vector<DedupInput> inputs;
  std::map<std::string, int> seen;
  auto picked = pick_images_each(archives, a, false);
  for (std::size_t k = 0; k < archives.size(); ++k) {
    const Archive& ar = archives[k];
    for (const Image* img : picked[k]) {
      std::string ref = img->references.empty() ? img->id().short_hex() : img->references[0];
      if (int n = seen[ref]++) ref += fmt::format(" ({})", n + 1);
      inputs.push_back({&ar, img, ref});
    }
  }
  DedupOptions o;
  o.threads = a.threads;
  Progress p("reading layers", !a.json);
  o.progress = p.fn();
  DedupReport r = dedup(inputs, o);
  p.done();
  if (a.json) {
    fmt::print("{}\n", dedup_json(r));
    return kOk;
  }
  text::TabWriter lt;
  lt.add_row({"CHAIN ID", "DIFF ID", "SIZE", "IMAGES", "SHARED BY"});
  for (const DedupLayer& l : r.layers) {
    std::string imgs;
    for (const auto& s : l.images) imgs += (imgs.empty() ? "" : ", ") + s;
    lt.add_row({l.chain_id.empty() ? "-" : l.chain_id.short_hex(), l.diff_id.empty() ? "-" : l.diff_id.short_hex(),
                text::human_size(double(l.size)), std::to_string(l.images.size()), imgs});
  }
  fmt::print("{}\n", lt.str());
  text::TabWriter it;
  it.add_row({"IMAGE", "IMAGE ID", "LAYERS", "SIZE", "SHARED SIZE", "UNIQUE SIZE"});
  for (const DedupImage& i : r.images)
    it.add_row({i.ref, i.id.short_hex(), std::to_string(i.layers), text::human_size(double(i.size)),
                text::human_size(double(i.shared_size)), text::human_size(double(i.unique_size))});
  fmt::print("{}\n", it.str());
  fmt::print("Total size (each image alone): {}\nUnique size (each layer once):  {}\nSaved by sharing:               {}\n",
             text::human_size(double(r.total_size)), text::human_size(double(r.unique_size)),
             text::human_size(double(r.saved_size)));
  for (const auto& n : r.notes) fmt::print("note: {}\n", n);
  return kOk;
}

}  // namespace

int main(int argc, char** argv) {
  // `layerkit store ...` has its own options: hand it the rest of the line.
  for (int i = 1; i < argc; ++i) {
    if (argv[i][0] == '-') continue;
    if (std::strcmp(argv[i], "store") == 0) return store_main(argc - i, argv + i);
    break;
  }
  Args a;
  try {
    a = parse_args(argc, argv);
    struct Command {
      int (*run)(const Args&);
      const char* help;
      bool one_archive;
      std::vector<std::string> options;  // beyond --help, --json, --limit, --platform, --image
    };
    static const std::map<std::string, Command> commands = {
        {"images", {cmd_images, kImagesHelp, false, {"--quiet", "--no-trunc", "--all", "--threads"}}},
        {"inspect", {cmd_inspect, kInspectHelp, false, {"--threads"}}},
        {"history", {cmd_history, kHistoryHelp, true, {"--quiet", "--no-trunc", "--human", "--layers", "--threads"}}},
        {"verify", {cmd_verify, kVerifyHelp, false, {"--quiet", "--threads"}}},
        {"dedup", {cmd_dedup, kDedupHelp, false, {"--threads"}}},
        {"ls", {cmd_ls, kLsHelp, true, {"--layer"}}},
    };
    if (a.command == "version") {
      fmt::print("layerkit {}\n", LAYERKIT_VERSION_STRING);
      return kOk;
    }
    if (a.command.empty() || a.command == "help") {
      if (!a.archives.empty() && commands.count(a.archives[0])) {
        fmt::print("{}", commands.at(a.archives[0]).help);
        return kOk;
      }
      fmt::print(a.help || a.command == "help" ? stdout : stderr, "{}", kMainHelp);
      return a.help || a.command == "help" ? kOk : kUsage;
    }
    auto it = commands.find(a.command);
    if (it == commands.end()) throw UsageError(fmt::format("unknown command {:?} (try `layerkit --help`)", a.command));
    const Command& cmd = it->second;
    if (a.help) {
      fmt::print("{}", cmd.help);
      return kOk;
    }
    for (const auto& [o, spelled] : a.given) {
      static const std::vector<std::string> everywhere = {"--help", "--json", "--limit", "--platform", "--image",
                                                          "--version"};
      if (std::find(everywhere.begin(), everywhere.end(), o) == everywhere.end() &&
          std::find(cmd.options.begin(), cmd.options.end(), o) == cmd.options.end())
        throw UsageError(fmt::format("{} does not take {} (see `layerkit {} --help`)", a.command, spelled, a.command));
    }
    if (cmd.one_archive && a.archives.size() != 1)
      throw UsageError(fmt::format("{} takes exactly one ARCHIVE, got {}", a.command, a.archives.size()));
    if (a.archives.empty()) throw UsageError(fmt::format("{} needs at least one ARCHIVE", a.command));
    if (std::count(a.archives.begin(), a.archives.end(), "-") > 1)
      throw UsageError("ARCHIVE \"-\" (standard input) can be given only once");
    return cmd.run(a);
  } catch (const UsageError& e) {
    std::fprintf(stderr, "layerkit: %s [usage]\n", e.what());
    return kUsage;
  } catch (const Error& e) {
    report_error(e);
    return kUsage;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "layerkit: internal error: %s\n", e.what());
    return kUsage;
  }
}
