// capi_internal.hpp (private) — what every file of the C ABI shares: the
// exception firewall, argument and struct-size checks, and the opaque structs
// that more than one file reaches into.
#pragma once

#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "layerkit/archive.hpp"
#include "layerkit/error.hpp"
#include "layerkit/layerkit.h"

namespace layerkit::capi {

// The per-thread message lk_last_error() returns.
inline std::string& last_error() {
  thread_local std::string message;
  return message;
}

inline lk_status fail(lk_status code, const std::string& message) {
  try {
    last_error() = message;
  } catch (...) {
    // Keep the previous message rather than fail while reporting a failure.
  }
  return code;
}

struct InvalidArgument {
  std::string what;  // owned: a message may be built from pieces that do not outlive the throw
};

// Runs the body, mapping every exception to a status and a message.
template <typename F>
lk_status guard(F&& body) noexcept {
  try {
    return body();
  } catch (const InvalidArgument& e) {
    return fail(LK_EINVAL, e.what);
  } catch (const Error& e) {
    return fail(static_cast<lk_status>(e.code()), e.what());
  } catch (const std::bad_alloc&) {
    return fail(LK_ENOMEM, "out of memory");
  } catch (const std::exception& e) {
    return fail(LK_EINTERNAL, std::string("internal error: ") + e.what());
  } catch (...) {
    return fail(LK_EINTERNAL, "internal error: unknown exception");
  }
}

template <typename T>
void need(const T* p, const char* what) {
  if (!p) throw InvalidArgument{what};
}

// Whether `size` can be sizeof(T) in some version of layerkit.h: no larger
// than ours, and a multiple of sizeof(size_t), since every version of every
// struct starts with a size_t (so is aligned to it). That also means a size
// never ends inside a pointer or 64-bit field.
template <typename T>
bool known_size(std::size_t size) {
  return size >= sizeof(size_t) && size <= sizeof(T) && size % alignof(size_t) == 0;
}

// Copies a caller's struct of `src->size` bytes over defaults in `dst`.
template <typename T>
void copy_in(const T* src, T& dst, const char* what) {
  if (!known_size<T>(src->size)) throw InvalidArgument{what};
  std::size_t keep = dst.size;
  std::memcpy(&dst, src, src->size);
  dst.size = keep;
}

// Copies `src` into the caller's struct, at most dst->size bytes; dst->size kept.
template <typename T>
void copy_out(T* dst, const T& src, const char* what) {
  if (!dst || !known_size<T>(dst->size)) throw InvalidArgument{what};
  std::size_t n = dst->size;
  std::memcpy(reinterpret_cast<char*>(dst) + sizeof(size_t), reinterpret_cast<const char*>(&src) + sizeof(size_t),
              n - sizeof(size_t));
}

inline ProgressFn wrap_progress(lk_progress_fn fn, void* data) {
  if (!fn) return {};
  return [fn, data](std::uint64_t done, std::uint64_t total) { return fn(done, total, data) == 0; };
}

inline char* dup_string(const std::string& s) {
  char* p = static_cast<char*>(std::malloc(s.size() + 1));
  if (!p) throw std::bad_alloc();
  std::memcpy(p, s.c_str(), s.size() + 1);
  return p;
}

inline Limits limits_from(const lk_limits& l) {
  Limits o;
  o.manifest_json_bytes = l.manifest_json_bytes;
  o.json_bytes = l.json_bytes;
  o.json_depth = l.json_depth;
  o.layers_per_image = l.layers_per_image;
  o.images_per_archive = l.images_per_archive;
  o.index_depth = l.index_depth;
  o.members = l.members;
  o.entries_per_layer = l.entries_per_layer;
  o.layer_bytes = l.layer_bytes;
  o.compression_ratio = l.compression_ratio;
  o.symlink_hops = l.symlink_hops;
  o.buffered_bytes = l.buffered_bytes;
  return o;
}

inline lk_limits limits_to(const Limits& o) {
  lk_limits l;
  std::memset(&l, 0, sizeof l);
  l.size = sizeof l;
  l.manifest_json_bytes = o.manifest_json_bytes;
  l.json_bytes = o.json_bytes;
  l.json_depth = o.json_depth;
  l.layers_per_image = o.layers_per_image;
  l.images_per_archive = o.images_per_archive;
  l.index_depth = o.index_depth;
  l.members = o.members;
  l.entries_per_layer = o.entries_per_layer;
  l.layer_bytes = o.layer_bytes;
  l.compression_ratio = o.compression_ratio;
  l.symlink_hops = o.symlink_hops;
  l.buffered_bytes = o.buffered_bytes;
  return l;
}

inline std::int64_t or_unknown(std::int64_t v) { return v < 0 ? -1 : v; }


/// Converts (a possibly older, smaller) lk_open_options to OpenOptions;
/// `opts` may be NULL. Throws InvalidArgument for an unknown struct size.
OpenOptions open_options_from(const lk_open_options* opts, const char* what);

}  // namespace layerkit::capi

struct lk_archive;

struct lk_image {
  const lk_archive* owner = nullptr;  // the archive whose images() holds img
  const layerkit::Image* img = nullptr;
  std::string manifest_digest, manifest_media_type;
  std::vector<std::string> lists[10];
  std::vector<const char*> list_ptrs[10];
  lk_image_info info{};
};

struct lk_archive {
  layerkit::Archive archive;
  std::vector<std::unique_ptr<lk_image>> images;
  explicit lk_archive(layerkit::Archive a) : archive(std::move(a)) {}
};

namespace layerkit::capi {
// An image handle passed with an archive must be one of that archive's: the
// core would otherwise read another archive's members by this one's index.
inline void need_own_image(const lk_archive* archive, const lk_image* image, const char* fn) {
  if (image && image->owner != archive)
    throw InvalidArgument{std::string(fn) + ": the image belongs to another archive"};
}
}  // namespace layerkit::capi

