// store_verify.cpp — Store::verify: re-hash every blob, check every
// reference, and tell problems from removable leftovers.
#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <set>
#include <tuple>

#include <rapidjson/writer.h>

#include <fmt/format.h>

#include "layerkit/verify.hpp"
#include "store_impl.hpp"
#include "store_tar.hpp"

namespace layerkit {

using storefs::FileLock;
using storefs::TempFile;
using storefs::join;


// ===========================================================================
// verify

StoreVerifyReport Store::verify(const StoreVerifyOptions& o) const {
  Impl& s = *impl_;
  StoreVerifyReport r;
  bool busy = false;
  auto lock = FileLock::acquire(s.lock_path(), true, false, o.wait, &busy);
  if (busy) throw Error(Errc::io, fmt::format("store {} is busy (a load or gc is running)", s.root));
  auto problem = [&](std::string kind, std::string path, std::string expected, std::string actual,
                     std::string message) {
    r.ok = false;
    r.problems.push_back({std::move(kind), std::move(path), std::move(expected), std::move(actual), std::move(message)});
  };

  // A store opened with create that no write has initialised yet is an empty
  // store: nothing to check but leftovers (decided under the lock, which a
  // load holds until it has committed).
  const bool fresh = s.not_created();

  // oci-layout
  if (!fresh) {
    try {
      std::string bytes = storefs::read_file(s.layout_path(), 4096, "oci-layout");
      json::Document doc = json::parse(bytes, "oci-layout", 4);
      json::Path at{"oci-layout", ""};
      json::require_object(doc, at);
      std::string v = json::opt_string(doc, "imageLayoutVersion", at).value_or("");
      if (v.empty() || v[0] != '1')
        problem("layout", "oci-layout", "1.x", v, fmt::format("oci-layout: imageLayoutVersion {:?} is not 1.x", v));
    } catch (const Error& e) {
      problem("layout", "oci-layout", "", "", e.what());
    }
  }

  // index.json, and everything it reaches (the core's verify over the layout)
  std::set<std::string> hashed;                     // blobs already hashed (by digest text)
  std::map<std::string, std::pair<Digest, std::uint64_t>> layer_facts;  // digest -> diff_id, content bytes
  std::set<std::string> referenced;
  bool referenced_known = false;
  bool index_ok = false;
  if (fresh) {
    referenced_known = true;  // nothing is referenced: any blob is a leftover
  } else {
    try {
      std::string bytes = storefs::read_file(s.index_path(), s.opts.limits.json_bytes, "index.json");
      r.images = parse_index_entries(bytes, s.opts.limits).size();
      index_ok = true;
    } catch (const Error& e) {
      problem("index", "index.json", "", "", fmt::format("index.json: {}", e.what()));
    }
  }
  if (index_ok) {
    try {
      OpenOptions oo;
      oo.platform = "all";
      oo.limits = s.opts.limits;
      Archive ar = Archive::open(s.root, oo);
      VerifyOptions vo;
      vo.threads = o.threads;
      vo.progress = o.progress;
      VerifyReport vr = layerkit::verify(ar, vo);
      // One report per defect: the core reports a layer per image, so a blob
      // shared by several images would be reported once per image; and a
      // blob that does not hash to its digest has corrupt bytes, whose
      // diff_id (or failure to decompress) is a consequence, not a second
      // defect. (A size mismatch stays: it tells a truncated blob.)
      std::set<std::string> corrupt_members;
      for (const Problem& p : vr.problems)
        if (p.kind == "blob_digest") corrupt_members.insert(p.member);
      std::set<std::tuple<std::string, std::string, std::string, std::string>> reported;
      for (const Problem& p : vr.problems) {
        if (p.layer && corrupt_members.count(p.member) && (p.kind == "diff_id" || p.kind == "unreadable")) continue;
        if (p.layer && !reported.emplace(p.kind, p.member, p.expected, p.actual).second) continue;
        if (p.kind == "count") {
          // Layers vs diff_ids must agree; a history that does not line up is Docker's business.
          bool layers_ok = false;
          for (const Image& img : ar.images())
            if (img.complete() && img.layers.size() == img.config.diff_ids.size() && p.member == img.config_member)
              layers_ok = true;
          if (layers_ok) {
            r.notes.push_back(p.message);
            continue;
          }
        }
        problem(p.kind, p.member, p.expected, p.actual, p.message);
      }
      for (const std::string& n : vr.notes) r.notes.push_back(n);
      for (const BlobCheck& c : ar.blob_checks())
        if (!c.declared_digest.empty()) hashed.insert(c.declared_digest.str());
      for (const Image& img : ar.images()) {
        for (const Layer& l : img.layers) {
          if (!l.present || l.descriptor.digest.empty()) continue;
          try {
            LayerScan sc = ar.scan(l, ScanDepth::headers);  // cached by verify's full pass
            if (sc.depth != ScanDepth::full || !l.descriptor.digest.verifiable()) continue;
            // Hashed against its digest by verify, which reported a mismatch:
            // not hashed again below "against its name".
            hashed.insert(l.descriptor.digest.str());
            if (sc.blob_digest == l.descriptor.digest)
              layer_facts[l.descriptor.digest.str()] = {sc.diff_id, sc.stats.content_bytes};
          } catch (const Error&) {
          }
        }
      }
    } catch (const Error& e) {
      if (e.code() == Errc::cancelled) throw;  // the caller asked to stop: not a finding about the store
      std::string what = e.what();
      if (what.rfind(s.root + ": ", 0) == 0) what.erase(0, s.root.size() + 2);
      problem("unreadable", "index.json", "", "", what);
    }
    try {
      referenced = s.reachable(true);
      referenced_known = true;
    } catch (const Error&) {
      r.notes.push_back("an index or manifest is missing or unreadable: unreferenced blobs cannot be told apart");
    }
  }

  // Every file under blobs/: a digest name, the bytes it names.
  std::string blobs = join(s.root, "blobs");
  if (!fresh && !storefs::is_directory(blobs)) problem("layout", "blobs", "", "", "blobs/ is absent");
  for (const std::string& alg : storefs::list_dir(blobs)) {
    std::string adir = join(blobs, alg);
    if (!storefs::is_directory(adir)) {
      problem("stray", "blobs/" + alg, "", "", fmt::format("blobs/{}: a file where an algorithm directory belongs", alg));
      continue;
    }
    for (const std::string& name : storefs::list_dir(adir)) {
      std::string rel = "blobs/" + alg + "/" + name;
      std::string p = join(adir, name);
      auto d = Digest::try_parse(alg + ":" + name);
      if (!d || !storefs::exists(p) || storefs::is_directory(p)) {
        problem("stray", rel, "", "", fmt::format("{}: not a blob (its name is not a digest)", rel));
        continue;
      }
      std::int64_t size = storefs::file_size(p);
      ++r.blobs;
      r.bytes += static_cast<std::uint64_t>(std::max<std::int64_t>(size, 0));
      if (referenced_known && !referenced.count(d->str()))
        r.leftovers.push_back(fmt::format("{}: unreferenced blob, {} bytes (`layerkit store gc` removes it)", rel, size));
      if (hashed.count(d->str())) continue;
      if (!d->verifiable()) {
        r.notes.push_back(fmt::format("{}: algorithm {} cannot be verified", rel, alg));
        continue;
      }
      try {
        storefs::Fd fd(::open(p.c_str(), O_RDONLY | O_CLOEXEC));
        if (!fd) storefs::throw_errno("open", p, errno);
        Hasher h(d->algorithm());
        std::vector<char> buf(1 << 20);
        for (;;) {
          ssize_t n = ::read(fd.get(), buf.data(), buf.size());
          if (n < 0) {
            if (errno == EINTR) continue;
            storefs::throw_errno("read", p, errno);
          }
          if (n == 0) break;
          h.update(buf.data(), static_cast<std::size_t>(n));
        }
        Digest actual = h.finish();
        if (actual != *d)
          problem("blob_digest", rel, d->str(), actual.str(),
                  fmt::format("{}: hashes to {}, its name says {}", rel, actual.str(), d->str()));
      } catch (const Error& e) {
        problem("unreadable", rel, "", "", e.what());
      }
    }
  }

  // Layer metadata: each record agrees with its blob.
  std::string layers = join(s.dot(), "layers");
  for (const std::string& alg : storefs::list_dir(layers)) {
    for (const std::string& name : storefs::list_dir(join(layers, alg))) {
      std::string rel = ".layerkit/layers/" + alg + "/" + name;
      auto d = Digest::try_parse(alg + ":" + name);
      if (!d || !d->verifiable()) {
        problem("metadata", rel, "", "", fmt::format("{}: not a layer record (its name is not a digest)", rel));
        continue;
      }
      if (!s.has_blob(*d)) {
        r.leftovers.push_back(fmt::format("{}: record of an absent blob (`layerkit store gc` removes it)", rel));
        continue;
      }
      std::optional<LayerMeta> m;
      try {
        m = meta_from_json(storefs::read_file(join(join(layers, alg), name), 64 * 1024, "layer metadata"), *d);
      } catch (const Error&) {
      }
      if (!m) {
        problem("metadata", rel, "", "", fmt::format("{}: not a valid layer record", rel));
        continue;
      }
      auto it = layer_facts.find(d->str());
      if (it == layer_facts.end()) continue;
      if (m->diff_id != it->second.first)
        problem("metadata", rel, it->second.first.str(), m->diff_id.str(),
                fmt::format("{}: records diff_id {}, the blob's tar stream hashes to {}", rel, m->diff_id.str(),
                            it->second.first.str()));
      if (m->content_bytes != it->second.second)
        problem("metadata", rel, std::to_string(it->second.second), std::to_string(m->content_bytes),
                fmt::format("{}: records a content size of {} bytes, the blob has {}", rel, m->content_bytes,
                            it->second.second));
    }
  }

  // Leftovers of interrupted writes.
  for (const std::string& name : storefs::list_dir(s.tmp())) {
    std::int64_t size = storefs::file_size(join(s.tmp(), name));
    r.leftovers.push_back(fmt::format(".layerkit/tmp/{}: temporary file of an interrupted write, {} bytes "
                                      "(never used; `layerkit store gc` removes it)",
                                      name, size));
  }
  return r;
}


}  // namespace layerkit
