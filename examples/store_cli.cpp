// `layerkit store ...` — the content-addressable image store from the command
// line: load, plan, save, ls, rm, gc, df, verify.
//
// Exit status: 0 success, 1 verification failed, 2 bad input or usage.
//
// Fault injection (for the crash tests only): LAYERKIT_STORE_CRASH_AT=POINT:N
// makes `store load` kill itself with SIGKILL at the N-th durability point
// named POINT ("staged", "committed", "index-written", "index-renamed"; see
// LoadOptions::checkpoint in layerkit/store.hpp).
#include "store_cli.hpp"

#include "cli_input.hpp"
#include "cli_options.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "cli_progress.hpp"
#include "layerkit/archive.hpp"
#include "layerkit/error.hpp"
#include "layerkit/store.hpp"
#include "layerkit/text.hpp"

using namespace layerkit;

namespace {

constexpr int kOk = 0, kFailed = 1, kUsage = 2;

const char* kStoreHelp = R"(layerkit store — a content-addressable image store with layer reuse

A layer the store already has is never stored again. The store is an OCI
image layout directory (oci-layout, index.json, blobs/sha256/...), which
skopeo (oci:DIR:REF), umoci and containerd read as it is.

Usage:
  layerkit store COMMAND [OPTIONS] [ARGS]
  layerkit store COMMAND --help

Commands:
  load     import the images of an archive, writing only the blobs the store
           lacks, each verified while it is copied (like `docker load`)
  plan     an offline `docker pull`: per layer of an archive's image,
           "Already exists" or "Pull", and the bytes to transfer
  save     write images as a docker-archive (Docker <= 24 and 25+), an OCI
           archive or an OCI layout; --missing-from writes a thin one
  ls       list the stored images (like `docker images`)
  rm       remove image references (blobs stay until gc)
  gc       remove unreferenced blobs and leftovers of interrupted writes
  df       size, shared size and unique size per image (`docker system df -v`)
  verify   re-hash every blob and check every reference; exit 1 on a problem

Common options:
  --store DIR    the store directory (default $XDG_DATA_HOME/layerkit/store,
                 else ~/.local/share/layerkit/store). Only load creates
                 it; before that, ls, df and plan see the default store as
                 empty, and a --store DIR that does not exist is not_found
                 (plan excepted: it plans a pull into a new store)
  --json         print JSON instead of text
  -h, --help     show help

Exit status: 0 success, 1 verification failed, 2 bad input or usage.
)";

const char* kLoadHelp = R"(Usage: layerkit store load [OPTIONS] ARCHIVE...

Import every image of each archive into the store, as `docker load` does.
Each layer blob the store lacks is copied and verified in one pass (blob
digest and diff_id); a blob that does not match never enters the store and
the error names it. A layer the store has is read and verified but not
written. All or nothing per archive: on any error the store is unchanged.
A thin archive (see `store save --missing-from`) loads when the store has
the layers it leaves out. ARCHIVE "-" reads standard input
(`docker save app | layerkit store load -`).

Prints, per layer, "<diff_id 12 hex>: Loading layer <size>" or
"<diff_id 12 hex>: Already exists", then "Loaded image: <ref>" per reference
("Loaded image ID: sha256:..." for an untagged image).

Options:
  -i, --input ARCHIVE  an archive (also accepted as an argument)
  --image REF          only this image of the archive
  --platform OS/ARCH[/VARIANT]
                       the manifest to take from a multi-platform index
  -q, --quiet          print only the "Loaded image" lines
  --limit NAME=VALUE   change a limit on reading the archive (repeatable;
                       names and defaults: see `layerkit --help`)
  --json               {Archive, Images: [{References, Id, ManifestDigest,
                       ManifestSynthesized, Layers: [{Index, DiffID, Digest,
                       Size, MediaType, Status}]}], BlobsWritten,
                       BytesWritten, BytesExisting, Warnings}
  --store DIR
)";

const char* kPlanHelp = R"(Usage: layerkit store plan [OPTIONS] ARCHIVE

What `docker pull` of the archive's image would do against the store, layer
by layer, bottom up, reading only JSON: STATUS is "Already exists" when the
store has the layer by chain_id (as Docker's layer store decides), else
"Pull" with the blob size. BY DIGEST says whether the store has the blob
itself (as containerd's content store decides). Then the bytes present and
the bytes to transfer.

The store keeps blobs by digest, so `store load` of the archive writes every
layer blob the store lacks by digest (with its size), even a layer the store
has by chain_id in another compression. When that differs from the pull,
"Load would write: N layer blobs, SIZE" says so. These count layer blobs
only, each distinct digest once; the config and manifest (small JSON blobs,
the manifest synthesized for a docker-archive) that a load may also write
are not counted.

Options:
  --image REF          the image, when the archive holds several
  --platform OS/ARCH[/VARIANT]
  --no-trunc           full digests
  --limit NAME=VALUE   change a limit on reading the archive (repeatable;
                       names and defaults: see `layerkit --help`)
  --json               {Image, Id, Layers: [{Index, DiffID, Digest, ChainID,
                       Size, Status, ExistsByChainID, ExistsByDigest}],
                       PresentBytes, TransferBytes, WriteBlobs, WriteBytes}
                       (WriteBlobs, WriteBytes: the layer blobs a load
                       writes, as above)
  --store DIR
)";

const char* kSaveHelp = R"(Usage: layerkit store save -o OUTPUT [OPTIONS] REF...

Write images of the store to OUTPUT, atomically (a temporary file or
directory, fsync, rename). Every blob is re-hashed as it is copied.
An image named by reference is saved with it; one named by ID untagged.

Formats (--format):
  docker-archive  (default) a `docker save` tar that Docker <= 24 and
                  Docker 25+ load: manifest.json + repositories + an OCI
                  layout (oci-layout, index.json, blobs/sha256/...)
  oci-archive     an OCI image layout as a tar
  oci-layout      an OCI image layout directory (OUTPUT must not exist or
                  be empty); "oci" for short

Options:
  -o, --output PATH      the file ("-" for standard output) or directory
  --format FORMAT        see above
  --missing-from TARGET  a thin archive: only the layer blobs TARGET lacks
                         (a store or OCI layout directory, or any archive),
                         with complete manifests and configs. A layer counts
                         as present by chain_id for a docker-archive (what
                         `docker load` checks), by blob digest for the OCI
                         formats (what containerd and skopeo check)
  --limit NAME=VALUE     change a limit on reading TARGET when it is an
                         archive (repeatable; names and defaults: see
                         `layerkit --help`)
  -q, --quiet            no summary (and no progress), errors only
  --json                 {Output, Format, Images: [{References, Id,
                         ManifestDigest, Layers: [{Index, Digest, DiffID,
                         Size, Omitted}]}], BlobsWritten, BytesWritten,
                         BytesOmitted}
  --store DIR
)";

const char* kLsHelp = R"(Usage: layerkit store ls [OPTIONS]

List the stored images, one row per reference, newest first, with the
columns of `docker images`: REPOSITORY TAG IMAGE ID CREATED SIZE (Docker's
image size: the sum of its layers' content sizes).

Options:
  -q, --quiet    image IDs only
  --no-trunc     full image IDs
  --digests      add the manifest digest
  --json         [{Repository, Tag, ID, Id, Digest, CreatedAt, CreatedSince,
                 Size, Layers, Reference}]
  --store DIR
)";

const char* kRmHelp = R"(Usage: layerkit store rm [OPTIONS] REF...

Remove references from the store's index: by reference, that one; by image
ID (or unique prefix) or manifest digest, every reference of the image.
Prints "Untagged: <ref>" per reference and "Deleted: <image ID>" for each
image no reference keeps. The blobs stay until `layerkit store gc`.

Options:
  --json         {Untagged: [refs], Deleted: [image IDs]}
  --store DIR
)";

const char* kGcHelp = R"(Usage: layerkit store gc [OPTIONS]

Mark and sweep: keep every blob reachable from index.json (indexes,
manifests, configs, layers), delete every other file under blobs/, the
temporary files of interrupted writes and orphaned layer records. Waits for
running loads. Refuses (exit 2, nothing removed) when a reachable manifest
is missing or corrupt: `layerkit store rm` that image first.

Options:
  -n, --dry-run  show what would be removed, remove nothing
  --json         {DryRun, Blobs: [{Path, Digest, Size}], TempFiles: [{Path,
                 Size}], MetadataRemoved, BytesRemoved}
  --store DIR
)";

const char* kDfHelp = R"(Usage: layerkit store df [OPTIONS]

Disk usage, like `docker system df -v`: per image (one row per reference)
its SIZE (the sum of its layers' content sizes), SHARED SIZE (the part in
layers, by chain_id, that another image of the store also has) and UNIQUE
SIZE (the rest), plus the stored bytes of its blobs; then the whole store:
content size with each layer once, blob bytes on disk, and what gc would
free. Only the store's images count as "other images": an image whose newest
history entry made no layer keeps its unique size (docker counts hidden
intermediate images and shows 0B there).

Options:
  -v, --verbose  accepted for symmetry with docker (the table is always shown)
  --json         {Images: [{Repository, Tag, Reference, ID, Id,
                 ManifestDigest, CreatedAt, Layers, Size, SharedSize,
                 UniqueSize, BlobBytes}], DistinctImages, DistinctLayers,
                 ContentSize, TotalSize, Blobs, BlobBytes,
                 UnreferencedBlobs, UnreferencedBytes, TempFiles, TempBytes}
  --store DIR
)";

const char* kVerifyHelp = R"(Usage: layerkit store verify [OPTIONS]

Check the whole store: oci-layout and index.json; every manifest, config and
layer they reach (each blob re-hashed, each layer decompressed to check its
diff_id, layer counts against diff_ids); every other blob against its name;
layerkit's layer records against their blobs; files that do not belong.
Leftovers of interrupted writes (temporary files, unreferenced blobs) are
listed apart: they do not make the store inconsistent, gc removes them.
Waits for running loads. Exits 1 when anything is wrong.

Options:
  -q, --quiet    problems only
  --threads N    worker threads for hashing (default: all cores)
  --json         {OK, Images, Blobs, Bytes, Problems: [{Kind, Path, Expected,
                 Actual, Message}], Leftovers, Notes}
  --store DIR
)";

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A usage error whose message names the store command itself ("store ls does
// not take ..."): printed without the "store: " prefix.
struct CommandUsageError : UsageError {
  using UsageError::UsageError;
};

struct Args {
  std::string command;
  std::vector<std::string> args;
  std::string store, image, platform = "linux/amd64", output, format = "docker-archive", missing_from;
  bool platform_explicit = false, json = false, help = false, quiet = false, no_trunc = false, dry_run = false,
       digests = false;
  unsigned threads = 0;
  std::vector<std::pair<std::string, std::uint64_t>> limits;
  std::vector<std::pair<std::string, std::string>> given;  // (canonical name, as spelled), for the per-command check
};

bool parse_bool(const std::string& opt, const std::string& v) {
  if (v == "true" || v == "1") return true;
  if (v == "false" || v == "0") return false;
  throw UsageError(fmt::format("{}: invalid boolean {:?}", opt, v));
}

Args parse_args(int argc, char** argv) {
  Args a;
  std::vector<std::string> words(argv + 1, argv + argc);  // argv[0] is "store"
  std::size_t i = 0;
  auto value = [&](const std::string& opt, const std::optional<std::string>& inl) {
    if (inl) return *inl;
    if (i + 1 >= words.size()) throw UsageError(fmt::format("{} needs a value", opt));
    return words[++i];
  };
  bool only_args = false;
  for (; i < words.size(); ++i) {
    const std::string& w = words[i];
    if (only_args || w.empty() || w[0] != '-' || w == "-") {
      if (a.command.empty()) a.command = w;
      else a.args.push_back(w);
      continue;
    }
    if (w == "--") {
      only_args = true;
      continue;
    }
    std::optional<std::string> inl;
    std::string name = w;
    if (auto eq = w.find('='); eq != std::string::npos && w.rfind("--", 0) == 0) {
      name = w.substr(0, eq);
      inl = w.substr(eq + 1);
    }
    static const std::map<std::string, std::string> canonical = {
        {"-h", "--help"},     {"-q", "--quiet"},   {"-o", "--output"},
        {"-i", "--input"},    {"-n", "--dry-run"}, {"-v", "--verbose"}};
    auto c = canonical.find(name);
    a.given.emplace_back(c == canonical.end() ? name : c->second, name);
    if (name == "-h" || name == "--help") a.help = true;
    else if (name == "--json") a.json = inl ? parse_bool(name, *inl) : true;
    else if (name == "--store") a.store = value(name, inl);
    else if (name == "--image") a.image = value(name, inl);
    else if (name == "--platform") {
      try {
        a.platform = cli::check_platform(value(name, inl));
      } catch (const std::invalid_argument& e) {
        throw UsageError(e.what());
      }
      a.platform_explicit = true;
    } else if (name == "-o" || name == "--output") a.output = value(name, inl);
    else if (name == "-i" || name == "--input") a.args.push_back(value(name, inl));
    else if (name == "--format") a.format = value(name, inl);
    else if (name == "--missing-from") a.missing_from = value(name, inl);
    else if (name == "-q" || name == "--quiet") a.quiet = true;
    else if (name == "--no-trunc") a.no_trunc = true;
    else if (name == "--digests") a.digests = true;
    else if (name == "-n" || name == "--dry-run") a.dry_run = true;
    else if (name == "-v" || name == "--verbose") {
    } else if (name == "--threads") {
      std::string v = value(name, inl);
      try {
        std::size_t used = 0;
        unsigned long n = std::stoul(v, &used);
        if (used != v.size() || n > 1024) throw std::invalid_argument(v);
        a.threads = static_cast<unsigned>(n);
      } catch (const std::exception&) {
        throw UsageError(fmt::format("--threads: expected a number from 0 to 1024, got {:?}", v));
      }
    } else if (name == "--limit") {
      try {
        a.limits.push_back(cli::parse_limit(value(name, inl)));
      } catch (const std::invalid_argument& e) {
        throw UsageError(e.what());
      }
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

std::string store_path(const Args& a) { return a.store.empty() ? Store::default_path() : a.store; }

// `create` lets a store not created yet read as empty (it is made only on the
// first write). ls and df allow that for the default store only, as a fresh
// engine lists nothing; a --store that does not exist is more likely a typo.
Store open_store(const Args& a, bool create = false) {
  StoreOptions so;
  so.create = create;
  return Store::open(store_path(a), so);
}

OpenOptions open_options(const Args& a) {
  OpenOptions o;
  o.platform = a.platform;
  o.platform_explicit = a.platform_explicit;
  cli::apply_limits(o.limits, a.limits);
  return o;
}

std::string hex12(const Digest& d, bool no_trunc = false) {
  if (d.empty()) return "-";
  return no_trunc ? d.str() : d.short_hex();
}

// LAYERKIT_STORE_CRASH_AT=POINT:N — see the top of this file.
std::function<void(std::string_view)> crash_hook() {
  const char* spec = std::getenv("LAYERKIT_STORE_CRASH_AT");
  if (!spec || !*spec) return {};
  std::string s = spec;
  auto colon = s.rfind(':');
  std::string point = colon == std::string::npos ? s : s.substr(0, colon);
  long n = colon == std::string::npos ? 1 : std::strtol(s.c_str() + colon + 1, nullptr, 10);
  auto count = std::make_shared<long>(0);
  return [point, n, count](std::string_view p) {
    if (p == point && ++*count == n) {
      std::fflush(stdout);
      ::kill(::getpid(), SIGKILL);
    }
  };
}

// ---------------------------------------------------------------------------

int cmd_load(const Args& a) {
  if (a.args.empty()) throw UsageError("load needs an ARCHIVE");
  Store store = open_store(a, true);
  std::string json_out;
  for (const std::string& path : a.args) {
    LoadOptions o;
    o.image = a.image;
    o.open = open_options(a);
    Progress open_p("reading", !a.json);
    o.open.progress = open_p.fn();
    Progress p("loading", !a.json);
    o.progress = p.fn();
    o.checkpoint = crash_hook();
    if (!a.json) {
      o.on_event = [&](const LoadEvent& e) {
        open_p.done();
        p.done();
        switch (e.kind) {
          case LoadEvent::Kind::layer_loading:
            if (!a.quiet) fmt::print("{}: Loading layer  {}\n", e.diff_id.short_hex(), text::human_size(double(e.bytes)));
            break;
          case LoadEvent::Kind::layer_exists:
            if (!a.quiet) fmt::print("{}: Already exists\n", e.diff_id.short_hex());
            break;
          case LoadEvent::Kind::image_loaded:
            for (const MovedReference& m : e.moved)
              fmt::print("The image {} already exists, moving the name from the old one (manifest {}), "
                         "which stays untagged\n",
                         m.reference, m.previous_manifest.short_hex());
            if (e.references.empty()) fmt::print("Loaded image ID: {}\n", e.id.str());
            for (const auto& r : e.references) fmt::print("Loaded image: {}\n", r);
            break;
        }
        std::fflush(stdout);
      };
    }
    std::string file = cli::archive_path(path);
    if (file.empty()) throw UsageError(cli::kStdinIsTerminal);
    LoadReport rep = store.load(file, o);
    p.done();
    for (const auto& w : rep.warnings) std::fprintf(stderr, "layerkit: warning: %s\n", w.c_str());
    if (a.json) {
      if (a.args.size() == 1) json_out = load_json(rep);
      else json_out += (json_out.empty() ? "[" : ",") + load_json(rep, false);
    }
  }
  if (a.json) fmt::print("{}{}\n", json_out, a.args.size() == 1 ? "" : "]");
  return kOk;
}

int cmd_plan(const Args& a) {
  if (a.args.size() != 1) throw UsageError("plan takes exactly one ARCHIVE");
  Store store = open_store(a, true);  // planning a pull into a new store is a question worth answering
  OpenOptions oo = open_options(a);
  Progress op("reading", !a.json);
  oo.progress = op.fn();
  std::string file = cli::archive_path(a.args[0]);
  if (file.empty()) throw UsageError(cli::kStdinIsTerminal);
  Archive ar = Archive::open(file, oo);
  op.done();
  const Image* img = nullptr;
  if (!a.image.empty()) {
    img = &ar.find_image(a.image);
  } else {
    std::vector<const Image*> imgs;
    for (const Image& i : ar.images())
      if (i.artifact_type.empty() && i.complete()) imgs.push_back(&i);
    if (imgs.empty()) throw Error(Errc::not_found, fmt::format("{}: no image", ar.path()));
    if (imgs.size() > 1) {
      std::string names;
      for (const Image* i : imgs)
        names += (names.empty() ? "" : ", ") + (i->references.empty() ? i->id().short_hex() : i->references[0]);
      throw Error(Errc::ambiguous, fmt::format("{} holds {} images ({}); choose one with --image", ar.path(),
                                               imgs.size(), names));
    }
    img = imgs[0];
  }
  PullPlan plan = store.plan(ar, *img);  // a store not created yet is empty (and stays uncreated)
  if (a.json) {
    fmt::print("{}\n", plan_json(plan));
    return kOk;
  }
  fmt::print("{} ({}) against store {}\n", plan.image, plan.id.short_hex(), store.path());
  text::TabWriter tw;
  tw.add_row({"LAYER", "DIGEST", "DIFF ID", "SIZE", "STATUS", "BY DIGEST"});
  std::size_t exist = 0, rewritten = 0;
  for (const PlanLayer& l : plan.layers) {
    if (l.exists_by_chain_id && l.load_writes) ++rewritten;
    tw.add_row({std::to_string(l.index), hex12(l.digest, a.no_trunc), hex12(l.diff_id, a.no_trunc),
                text::human_size(double(l.size)), l.status(), l.exists_by_digest ? "yes" : "no"});
    if (l.exists_by_chain_id) ++exist;
  }
  fmt::print("{}", tw.str());
  std::size_t pull = plan.layers.size() - exist;
  fmt::print("Already exists: {} layer{}, {}\nTo pull:        {} layer{}, {}\n", exist, exist == 1 ? "" : "s",
             text::human_size(double(plan.present_bytes)), pull, pull == 1 ? "" : "s",
             text::human_size(double(plan.transfer_bytes)));
  // The store is keyed by blob digest: a layer it has by chain_id in another
  // compression is written again by a load. Say so when that differs.
  if (plan.write_blobs != pull || plan.write_bytes != plan.transfer_bytes)
    fmt::print("Load would write: {} layer blob{}, {}{}\n", plan.write_blobs, plan.write_blobs == 1 ? "" : "s",
               text::human_size(double(plan.write_bytes)),
               rewritten == 0 ? std::string()
                              : fmt::format(" (the store has {} of these layers as other blobs)", rewritten));
  return kOk;
}

int cmd_save(const Args& a) {
  if (a.args.empty()) throw UsageError("save needs at least one image REF");
  if (a.output.empty()) throw UsageError("save needs -o OUTPUT");
  if (a.output == "-" && ::isatty(1))  // as docker save does: a tar is no use on a screen
    throw UsageError("refusing to write an archive to a terminal: redirect standard output or use -o FILE");
  Store store = open_store(a);
  SaveOptions o;
  try {
    o.format = parse_save_format(a.format);
  } catch (const Error& e) {
    throw UsageError(e.what());
  }
  o.missing_from = a.missing_from;
  o.target_open = open_options(a);
  Progress p("writing", !a.json && !a.quiet && a.output != "-");
  o.progress = p.fn();
  SaveReport rep = store.save(a.args, a.output, o);
  p.done();
  if (a.json) {
    fmt::print(a.output == "-" ? stderr : stdout, "{}\n", save_json(rep));
    return kOk;
  }
  if (a.quiet) return kOk;
  std::FILE* out = a.output == "-" ? stderr : stdout;
  std::size_t omitted = 0;
  for (const SavedImage& i : rep.images)
    for (const SavedLayer& l : i.layers) omitted += l.omitted;
  for (const SavedImage& i : rep.images) {
    std::string name = i.references.empty() ? i.id.str() : i.references.front();
    for (std::size_t k = 1; k < i.references.size(); ++k) name += ", " + i.references[k];
    fmt::print(out, "Saved image: {}\n", name);
  }
  fmt::print(out, "Wrote {} ({}): {} blob{}, {}", rep.output == "-" ? "standard output" : rep.output,
             save_format_name(rep.format), rep.blobs_written,
             rep.blobs_written == 1 ? "" : "s", text::human_size(double(rep.bytes_written)));
  if (!a.missing_from.empty())
    fmt::print(out, "; {} layer{} ({}) left out: {} has them", omitted, omitted == 1 ? "" : "s",
               text::human_size(double(rep.bytes_omitted)), a.missing_from);
  fmt::print(out, "\n");
  return kOk;
}

int cmd_ls(const Args& a) {
  if (!a.args.empty()) throw UsageError("ls takes no arguments");
  Store store = open_store(a, a.store.empty());
  std::vector<StoreImage> imgs = store.images(!a.quiet);
  std::int64_t now = now_unix();
  if (a.json) {
    fmt::print("{}\n", store_images_json(imgs, now));
    return kOk;
  }
  std::stable_sort(imgs.begin(), imgs.end(), [](const StoreImage& x, const StoreImage& y) {
    return text::parse_rfc3339(x.image.config.created).value_or(INT64_MIN) >
           text::parse_rfc3339(y.image.config.created).value_or(INT64_MIN);
  });
  auto id_of = [&](const StoreImage& i) {
    if (i.id().empty()) return std::string("<missing>");
    return a.no_trunc ? i.id().str() : text::truncate_id(i.id().str());
  };
  if (a.quiet) {
    for (const StoreImage& i : imgs) fmt::print("{}\n", id_of(i));
    return kOk;
  }
  text::TabWriter tw;
  std::vector<std::string> head = {"REPOSITORY", "TAG"};
  if (a.digests) head.push_back("DIGEST");
  for (const char* h : {"IMAGE ID", "CREATED", "SIZE"}) head.push_back(h);
  tw.add_row(head);
  for (const StoreImage& i : imgs) {
    auto [repo, tag] = text::split_repo_tag(i.reference.empty() ? "<none>:<none>" : i.reference);
    auto created = text::parse_rfc3339(i.image.config.created);
    std::vector<std::string> row = {repo, tag};
    if (a.digests) row.push_back(i.manifest_digest().empty() ? "<none>" : i.manifest_digest().str());
    row.push_back(id_of(i));
    row.push_back(created ? text::image_created_since(*created, now) : "N/A");
    row.push_back(text::human_size(double(std::max<std::int64_t>(i.size, 0))));
    tw.add_row(row);
  }
  fmt::print("{}", tw.str());
  return kOk;
}

int cmd_rm(const Args& a) {
  if (a.args.empty()) throw UsageError("rm needs at least one image REF");
  Store store = open_store(a);
  RemoveReport r = store.remove(a.args);
  if (a.json) {
    fmt::print("{}\n", remove_json(r));
    return kOk;
  }
  for (const auto& u : r.untagged) fmt::print("Untagged: {}\n", u);
  for (const auto& d : r.deleted) fmt::print("Deleted: {}\n", d.str());
  return kOk;
}

int cmd_gc(const Args& a) {
  if (!a.args.empty()) throw UsageError("gc takes no arguments");
  Store store = open_store(a);
  GcOptions o;
  o.dry_run = a.dry_run;
  GcReport r = store.gc(o);
  if (a.json) {
    fmt::print("{}\n", gc_json(r));
    return kOk;
  }
  const char* verb = r.dry_run ? "would delete" : "deleted";
  for (const auto& b : r.blobs) fmt::print("{}: {} ({})\n", verb, b.path, text::human_size(double(b.bytes)));
  for (const auto& t : r.temp_files) fmt::print("{}: {} ({})\n", verb, t.path, text::human_size(double(t.bytes)));
  if (r.metadata_removed)
    fmt::print("{}: {} layer record{}\n", verb, r.metadata_removed, r.metadata_removed == 1 ? "" : "s");
  fmt::print("Total {} space: {}\n", r.dry_run ? "reclaimable" : "reclaimed", text::human_size(double(r.bytes_removed)));
  return kOk;
}

int cmd_df(const Args& a) {
  if (!a.args.empty()) throw UsageError("df takes no arguments");
  Store store = open_store(a, a.store.empty());
  DiskUsage u = store.disk_usage();
  if (a.json) {
    fmt::print("{}\n", disk_usage_json(u));
    return kOk;
  }
  std::int64_t now = now_unix();
  fmt::print("Images space usage:\n\n");
  text::TabWriter tw;
  tw.add_row({"REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE", "SHARED SIZE", "UNIQUE SIZE", "BLOBS"});
  for (const DiskUsageImage& i : u.images) {
    auto [repo, tag] = text::split_repo_tag(i.reference.empty() ? "<none>:<none>" : i.reference);
    auto created = text::parse_rfc3339(i.created);
    tw.add_row({repo, tag, i.id.empty() ? "<missing>" : text::truncate_id(i.id.str()),
                created ? text::image_created_since(*created, now) : "N/A", text::human_size(double(i.size)),
                text::human_size(double(i.shared_size)), text::human_size(double(i.unique_size)),
                text::human_size(double(i.blob_bytes))});
  }
  fmt::print("{}\n", tw.str());
  fmt::print("Images:  {} ({} distinct), {} distinct layers\n", u.images.size(), u.distinct_images, u.distinct_layers);
  fmt::print("Content: {} with each layer once; {} if each image were stored alone (sharing saves {})\n",
             text::human_size(double(u.content_size)), text::human_size(double(u.total_size)),
             text::human_size(double(u.total_size - std::min(u.total_size, u.content_size))));
  fmt::print("Blobs:   {} file{}, {} on disk; unreferenced {} ({}), temporary files {} ({}): `layerkit store gc` "
             "frees {}\n",
             u.blobs, u.blobs == 1 ? "" : "s", text::human_size(double(u.blob_bytes)), u.unreferenced_blobs,
             text::human_size(double(u.unreferenced_bytes)), u.temp_files, text::human_size(double(u.temp_bytes)),
             text::human_size(double(u.unreferenced_bytes + u.temp_bytes)));
  return kOk;
}

int cmd_verify(const Args& a) {
  if (!a.args.empty()) throw UsageError("verify takes no arguments");
  Store store = open_store(a);
  StoreVerifyOptions o;
  o.threads = a.threads;
  Progress p("verifying", !a.quiet && !a.json);
  o.progress = p.fn();
  StoreVerifyReport r = store.verify(o);
  p.done();
  if (a.json) {
    fmt::print("{}\n", store_verify_json(r));
    return r.ok ? kOk : kFailed;
  }
  for (const StoreProblem& pr : r.problems) fmt::print("problem [{}]: {}\n", pr.kind, pr.message);
  if (!a.quiet) {
    for (const auto& l : r.leftovers) fmt::print("leftover: {}\n", l);
    for (const auto& n : r.notes) fmt::print("note: {}\n", n);
  }
  fmt::print("store {}: {} ({} image entr{}, {} blob{}, {})\n", store.path(),
             r.ok ? "verified" : fmt::format("{} problem{}", r.problems.size(), r.problems.size() == 1 ? "" : "s"),
             r.images, r.images == 1 ? "y" : "ies", r.blobs, r.blobs == 1 ? "" : "s",
             text::human_size(double(r.bytes)));
  return r.ok ? kOk : kFailed;
}

}  // namespace

int store_main(int argc, char** argv) {
  Args a;
  try {
    a = parse_args(argc, argv);
    struct Command {
      int (*run)(const Args&);
      const char* help;
      std::vector<std::string> options;  // beyond --help, --json and --store; each listed in `help`
    };
    static const std::map<std::string, Command> commands = {
        {"load", {cmd_load, kLoadHelp, {"--input", "--image", "--platform", "--quiet", "--limit"}}},
        {"plan", {cmd_plan, kPlanHelp, {"--image", "--platform", "--no-trunc", "--limit"}}},
        {"save", {cmd_save, kSaveHelp, {"--output", "--format", "--missing-from", "--quiet", "--limit"}}},
        {"ls", {cmd_ls, kLsHelp, {"--quiet", "--no-trunc", "--digests"}}},
        {"rm", {cmd_rm, kRmHelp, {}}},
        {"gc", {cmd_gc, kGcHelp, {"--dry-run"}}},
        {"df", {cmd_df, kDfHelp, {"--verbose"}}},
        {"verify", {cmd_verify, kVerifyHelp, {"--quiet", "--threads"}}},
    };
    if (a.command.empty() || a.command == "help") {
      if (!a.args.empty() && commands.count(a.args[0])) {
        fmt::print("{}", commands.at(a.args[0]).help);
        return kOk;
      }
      bool asked = a.help || a.command == "help";
      fmt::print(asked ? stdout : stderr, "{}", kStoreHelp);
      return asked ? kOk : kUsage;
    }
    auto it = commands.find(a.command);
    if (it == commands.end())
      throw UsageError(fmt::format("unknown store command {:?} (try `layerkit store --help`)", a.command));
    const Command& cmd = it->second;
    if (a.help) {
      fmt::print("{}", cmd.help);
      return kOk;
    }
    for (const auto& [o, spelled] : a.given) {
      static const std::vector<std::string> everywhere = {"--help", "--json", "--store"};
      if (std::find(everywhere.begin(), everywhere.end(), o) == everywhere.end() &&
          std::find(cmd.options.begin(), cmd.options.end(), o) == cmd.options.end())
        throw CommandUsageError(fmt::format("store {} does not take {} (see `layerkit store {} --help`)", a.command,
                                            spelled, a.command));
    }
    return cmd.run(a);
  } catch (const CommandUsageError& e) {
    std::fprintf(stderr, "layerkit: %s [usage]\n", e.what());
    return kUsage;
  } catch (const UsageError& e) {
    std::fprintf(stderr, "layerkit: store: %s [usage]\n", e.what());
    return kUsage;
  } catch (const Error& e) {
    std::fprintf(stderr, "layerkit: store %s: %s [%s]\n", a.command.c_str(), e.what(), errc_name(e.code()));
    return kUsage;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "layerkit: store: internal error: %s\n", e.what());
    return kUsage;
  }
}
