// The Archive object: opening (choosing the source), finding images, and
// reading layers — each blob at most once, cached, in parallel when asked.
#include "layerkit/archive.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "archive_impl.hpp"
#include "layer_scan.hpp"
#include "layerkit/error.hpp"

namespace layerkit {

LayerScan Archive::Impl::scan_member(const std::string& member, ScanDepth depth, DigestAlgorithm blob_alg,
                                     DigestAlgorithm diff_alg, const ProgressFn& progress) const {
  {
    std::lock_guard<std::mutex> lock(mu);
    auto it = scans.find(member);
    if (it != scans.end()) {
      const LayerScan& s = it->second;
      bool deep_enough = s.depth == ScanDepth::full || depth == ScanDepth::headers;
      bool algs_ok = depth == ScanDepth::headers ||
                     ((s.blob_digest.empty() || s.blob_digest.algorithm() == blob_alg) &&
                      (s.diff_id.empty() || s.diff_id.algorithm() == diff_alg));
      if (deep_enough && algs_ok) return s;
    }
  }
  ScanRequest req;
  req.depth = depth;
  req.blob_algorithm = blob_alg;
  req.diff_algorithm = diff_alg;
  req.limits = opts.limits;
  req.progress = progress;
  LayerScan s;
  if (member.empty()) {  // a layer-tar: the file itself
    req.what = path;
    s = scan_layer_file(path, depth, opts.limits, blob_alg, progress);
  } else {
    req.what = fmt::format("{}:{}", path, member);
    const Member& m = src->resolve(member, opts.limits.symlink_hops, req.what);
    if (src->streamed() && !m.buffered)
      throw Error(Errc::unsupported,
                  fmt::format("{}: needs {} hashing, but this compressed archive was read once with sha256", req.what,
                              blob_alg == DigestAlgorithm::sha512 ? "sha512" : "another"));
    auto r = src->open(m);
    s = scan_layer(*r, m.bytes, req);
  }
  std::lock_guard<std::mutex> lock(mu);
  auto& slot = scans[member];
  if (slot.depth != ScanDepth::full || s.depth == ScanDepth::full) slot = s;
  return s;
}

Archive::Archive(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Archive::Archive(Archive&&) noexcept = default;
Archive& Archive::operator=(Archive&&) noexcept = default;
Archive::~Archive() = default;

Archive Archive::open(const std::string& path, const OpenOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  impl->opts = options;
  if (!options.platform.empty() && options.platform != "all") (void)Platform::parse(options.platform);
  struct stat st;
  if (::stat(path.c_str(), &st) != 0)
    throw Error(errno == ENOENT || errno == ENOTDIR ? Errc::not_found : Errc::io,
                fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  if (S_ISDIR(st.st_mode)) {
    impl->src = open_directory_source(path, options.limits);
  } else {
    bool stream = S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode);  // `docker save app | layerkit ...`
    if (!S_ISREG(st.st_mode) && !stream)
      throw Error(Errc::invalid_argument, fmt::format("{}: not a file, directory or pipe", path));
    // A pipe can be read once and not seeked: work on a private copy of it.
    int fd = stream ? spool_stream(path, options.progress) : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw Error(Errc::io, fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
    unsigned char magic[8] = {};
    ssize_t got = ::pread(fd, magic, sizeof magic, 0);
    if (got <= 0) {
      int err = errno;
      ::close(fd);
      if (got < 0) throw Error(Errc::io, fmt::format("{}: read: {}", path, std::strerror(err)));
      throw Error(Errc::format_unknown, fmt::format("{}: empty {}: not an image archive", path, stream ? "stream" : "file"));
    }
    std::size_t have = static_cast<std::size_t>(got);
    impl->outer = sniff_compression(magic, have);
    if (impl->outer == Compression::none) {
      impl->src = open_indexed_tar_source(path, options.limits, fd);
    } else {
      Impl* raw = impl.get();
      // Read once: every member too big to keep is scanned as a layer as it passes.
      MemberVisitor visit = [raw](const Member& m, ByteReader& body) {
        ScanRequest req;
        req.depth = ScanDepth::full;
        req.limits = raw->opts.limits;
        req.what = fmt::format("{}:{}", raw->path, m.name);
        LayerScan s = scan_layer(body, m.bytes, req);
        raw->scans[m.name] = std::move(s);
      };
      impl->src = open_streamed_tar_source(path, impl->outer, options.limits, visit, options.progress, fd);
    }
  }
  try {
    read_archive(*impl);
  } catch (const Error& e) {
    // Name the archive, so that a message about one of several is clear.
    std::string_view msg = e.what();
    if (msg.substr(0, path.size()) == path) throw;
    throw Error(e.code(), fmt::format("{}: {}", path, msg));
  }
  return Archive(std::move(impl));
}

const std::string& Archive::path() const { return impl_->path; }
Format Archive::format() const { return impl_->format; }
Compression Archive::outer_compression() const { return impl_->outer; }
bool Archive::has_oci_layout() const { return impl_->oci_layout; }
bool Archive::legacy_v1() const { return impl_->legacy; }
const std::vector<Image>& Archive::images() const { return impl_->images; }
const std::optional<Layer>& Archive::loose_layer() const { return impl_->loose; }
const std::vector<BlobCheck>& Archive::blob_checks() const { return impl_->checks; }
const std::vector<std::string>& Archive::warnings() const { return impl_->warnings; }

namespace {

std::string_view strip_prefix(std::string_view r) {
  for (std::string_view p : {"docker.io/library/", "docker.io/", "localhost/"})
    if (r.substr(0, p.size()) == p) return r.substr(p.size());
  return r;
}

}  // namespace

const Image& Archive::find_image(std::string_view ref) const {
  const auto& imgs = impl_->images;
  if (ref.empty()) throw Error(Errc::invalid_argument, "empty image reference");
  if (ref[0] == '@') {
    std::size_t n = 0;
    auto [p, ec] = std::from_chars(ref.data() + 1, ref.data() + ref.size(), n);
    if (ec != std::errc() || p != ref.data() + ref.size())
      throw Error(Errc::invalid_argument, fmt::format("image {:?}: expected @N with a number N", std::string(ref)));
    if (n >= imgs.size())
      throw Error(Errc::not_found, fmt::format("image @{}: the archive has {} image{}", n, imgs.size(), imgs.size() == 1 ? "" : "s"));
    return imgs[n];
  }
  std::vector<const Image*> hits;
  auto add = [&](const Image& i) {
    if (std::find(hits.begin(), hits.end(), &i) == hits.end()) hits.push_back(&i);
  };
  for (const Image& i : imgs)
    for (const auto& r : i.references)
      if (r == ref) add(i);
  if (hits.empty())
    for (const Image& i : imgs)
      for (const auto& r : i.references)
        if (strip_prefix(r) == strip_prefix(ref)) add(i);
  if (hits.empty()) {
    std::string_view hex = ref.substr(0, 7) == "sha256:" ? ref.substr(7) : ref;
    bool is_hex = hex.size() >= 4 && std::all_of(hex.begin(), hex.end(), [](char c) {
                    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
                  });
    if (is_hex) {
      for (const Image& i : imgs) {
        if (!i.id().empty() && i.id().encoded().substr(0, hex.size()) == hex) add(i);
        if (i.manifest && i.manifest->digest.str() == ref) add(i);
      }
    }
  }
  if (hits.empty()) {
    std::vector<std::string> names;
    for (const Image& i : imgs) names.push_back(i.references.empty() ? i.id().short_hex() : i.references[0]);
    throw Error(Errc::not_found, fmt::format("no image {:?} in {} (images: {})", std::string(ref), impl_->path,
                                             names.empty() ? std::string("none") : fmt::format("{}", fmt::join(names, ", "))));
  }
  // The same image listed twice (two references to one manifest) is one answer.
  if (hits.size() > 1 && std::all_of(hits.begin(), hits.end(), [&](const Image* i) { return i->id() == hits[0]->id(); }))
    return *hits[0];
  if (hits.size() > 1)
    throw Error(Errc::ambiguous, fmt::format("image {:?} matches {} images in {}", std::string(ref), hits.size(),
                                             impl_->path));
  return *hits[0];
}

LayerScan Archive::scan(const Layer& layer, ScanDepth depth, const ProgressFn& progress) const {
  if (!layer.present)
    throw Error(Errc::not_found, fmt::format("layer {} ({}) is {} in {}", layer.index,
                                             layer.descriptor.digest.empty() ? layer.member : layer.descriptor.digest.str(),
                                             layer.foreign ? "foreign (not stored)" : "absent", impl_->path));
  DigestAlgorithm blob_alg = layer.descriptor.digest.verifiable() ? layer.descriptor.digest.algorithm()
                                                                   : DigestAlgorithm::sha256;
  DigestAlgorithm diff_alg = layer.diff_id && layer.diff_id->verifiable() ? layer.diff_id->algorithm()
                                                                          : DigestAlgorithm::sha256;
  return impl_->scan_member(layer.member, depth, blob_alg, diff_alg, progress);
}

bool Archive::read_once() const { return impl_->src && impl_->src->streamed(); }

namespace {

// Opens a present layer's stored bytes for one pass, with a request set up
// for it. `holder` keeps a file source alive for a layer-tar.
std::unique_ptr<ByteReader> open_layer_bytes(const Archive::Impl& impl, const Layer& layer, ScanRequest& req,
                                             std::unique_ptr<Source>& holder, std::uint64_t& bytes) {
  if (!layer.present)
    throw Error(Errc::not_found, fmt::format("layer {} ({}) is {} in {}", layer.index,
                                             layer.descriptor.digest.empty() ? layer.member : layer.descriptor.digest.str(),
                                             layer.foreign ? "foreign (not stored)" : "absent", impl.path));
  req.blob_algorithm = layer.descriptor.digest.verifiable() ? layer.descriptor.digest.algorithm()
                                                            : DigestAlgorithm::sha256;
  req.diff_algorithm = layer.diff_id && layer.diff_id->verifiable() ? layer.diff_id->algorithm()
                                                                    : DigestAlgorithm::sha256;
  req.limits = impl.opts.limits;
  if (layer.member.empty()) {  // a layer-tar: the file itself
    req.what = impl.path;
    std::string dir = ".", name = impl.path;
    if (auto slash = impl.path.rfind('/'); slash != std::string::npos) {
      dir = slash == 0 ? "/" : impl.path.substr(0, slash);
      name = impl.path.substr(slash + 1);
    }
    holder = open_directory_source(dir, impl.opts.limits);
    const Member& m = holder->resolve(name, impl.opts.limits.symlink_hops, impl.path);
    bytes = m.bytes;
    return holder->open(m);
  }
  req.what = fmt::format("{}:{}", impl.path, layer.member);
  const Member& m = impl.src->resolve(layer.member, impl.opts.limits.symlink_hops, req.what);
  if (impl.src->streamed() && !m.buffered)
    throw Error(Errc::unsupported,
                fmt::format("{}: a compressed archive is read once; decompress it to a file to read its layers again",
                            req.what));
  bytes = m.bytes;
  return impl.src->open(m);
}

}  // namespace

LayerScan Archive::copy_layer(const Layer& layer, const BlobSink& sink, const ProgressFn& progress) const {
  // Passes every byte read to the sink; never skips.
  class Tee final : public ByteReader {
   public:
    Tee(ByteReader& in, const BlobSink& sink) : in_(in), sink_(sink) {}
    std::size_t read(void* buf, std::size_t n) override {
      std::size_t got = in_.read(buf, n);
      if (got) sink_(buf, got);
      return got;
    }

   private:
    ByteReader& in_;
    const BlobSink& sink_;
  };
  ScanRequest req;
  req.depth = ScanDepth::full;
  req.progress = progress;
  std::unique_ptr<Source> holder;
  std::uint64_t bytes = 0;
  auto raw = open_layer_bytes(*impl_, layer, req, holder, bytes);
  Tee tee(*raw, sink);
  LayerScan s = scan_layer(tee, bytes, req);
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->scans[layer.member] = s;
  return s;
}

LayerScan Archive::list_layer(const Layer& layer, const EntryFn& on_entry) const {
  ScanRequest req;
  req.depth = ScanDepth::headers;
  req.on_entry = on_entry;
  std::unique_ptr<Source> holder;
  std::uint64_t bytes = 0;
  auto raw = open_layer_bytes(*impl_, layer, req, holder, bytes);
  return scan_layer(*raw, bytes, req);
}

std::vector<Archive::ScanResult> Archive::scan_many(const std::vector<const Layer*>& layers, ScanDepth depth,
                                                    unsigned threads, const ProgressFn& progress) const {
  std::vector<ScanResult> out(layers.size());
  // One job per distinct blob member.
  std::map<std::string, std::vector<std::size_t>> by_member;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    if (!layers[i]->present) {
      out[i].error = Errc::not_found;
      out[i].message = fmt::format("layer {} is {}", layers[i]->index, layers[i]->foreign ? "foreign" : "absent");
      continue;
    }
    by_member[layers[i]->member].push_back(i);
  }
  struct Job {
    const Layer* layer;
    std::vector<std::size_t> slots;
    std::uint64_t bytes;
  };
  std::vector<Job> jobs;
  std::uint64_t total = 0;
  for (auto& [member, slots] : by_member) {
    const Layer* l = layers[slots[0]];
    std::uint64_t bytes = 0;
    if (!member.empty()) {
      if (const Member* m = impl_->src->lookup(member)) bytes = m->bytes;
    }
    jobs.push_back({l, slots, bytes});
    total += bytes;
  }
  std::sort(jobs.begin(), jobs.end(), [](const Job& a, const Job& b) { return a.bytes > b.bytes; });
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  threads = std::min<unsigned>(threads, static_cast<unsigned>(std::max<std::size_t>(jobs.size(), 1)));

  std::mutex progress_mu;
  std::vector<std::uint64_t> done_per_job(jobs.size(), 0);
  std::uint64_t done_total = 0;
  std::atomic<bool> cancelled{false};
  std::atomic<std::size_t> next{0};
  auto worker = [&]() {
    for (;;) {
      std::size_t k = next.fetch_add(1);
      if (k >= jobs.size() || cancelled) return;
      const Job& job = jobs[k];
      ProgressFn per_job;
      if (progress) {
        per_job = [&, k](std::uint64_t done, std::uint64_t) {
          std::lock_guard<std::mutex> lock(progress_mu);
          if (done > done_per_job[k]) {
            done_total += done - done_per_job[k];
            done_per_job[k] = done;
          }
          if (!progress(done_total, total)) {
            cancelled = true;
            return false;
          }
          return !cancelled.load();
        };
      }
      ScanResult r;
      try {
        r.scan = scan(*job.layer, depth, per_job);
      } catch (const Error& e) {
        r.error = e.code();
        r.message = e.what();
        if (e.code() == Errc::cancelled) cancelled = true;
      } catch (const std::exception& e) {
        r.error = Errc::internal;
        r.message = e.what();
      }
      // A cached (or failed) blob still counts as done.
      if (progress && !cancelled) per_job(job.bytes, total);
      for (std::size_t slot : job.slots) out[slot] = r;
    }
  };
  if (threads <= 1) {
    worker();
  } else {
    std::vector<std::thread> pool;
    for (unsigned t = 0; t < threads; ++t) pool.emplace_back(worker);
    for (auto& t : pool) t.join();
  }
  if (cancelled) throw Error(Errc::cancelled, fmt::format("{}: cancelled", impl_->path));
  return out;
}

}  // namespace layerkit
