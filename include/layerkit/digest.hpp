// layerkit/digest.hpp — the Digest value type and a streaming Hasher.
//
// Follows the OCI image spec, descriptor.md "Digests":
//   digest     ::= algorithm ":" encoded
//   algorithm  ::= component (separator component)*   component ::= [a-z0-9]+
//   separator  ::= [+._-]                              encoded   ::= [a-zA-Z0-9=_-]+
// and the registered algorithms: sha256 (64 lowercase hex) and sha512 (128
// lowercase hex). A well-formed digest of another algorithm parses but is not
// verifiable (verifiable() == false): the spec says such content cannot be
// checked, not that it is invalid. Every digest is validated before anything
// uses it, in particular before it becomes a path (blobs/<alg>/<encoded>):
// no valid digest contains '/', '.' or NUL in its encoded part.
//
// Hashing uses OpenSSL EVP.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace layerkit {

enum class DigestAlgorithm { sha256, sha512, unknown };

class Digest {
 public:
  /// An empty digest (empty() is true); it compares unequal to every parsed one.
  Digest() = default;

  /// Parses "algorithm:encoded". Throws Error(Errc::invalid_digest) naming the
  /// text and the rule it breaks (uppercase hex, wrong length, empty, bad char).
  static Digest parse(std::string_view text);
  /// Like parse(), but returns std::nullopt instead of throwing.
  static std::optional<Digest> try_parse(std::string_view text) noexcept;
  /// A digest from an algorithm and raw hash bytes (hex-encodes them).
  static Digest from_bytes(DigestAlgorithm alg, const unsigned char* bytes, std::size_t n);

  bool empty() const noexcept { return text_.empty(); }
  DigestAlgorithm algorithm() const noexcept { return alg_; }
  /// True for sha256 and sha512: content can be hashed and compared.
  bool verifiable() const noexcept { return alg_ != DigestAlgorithm::unknown; }
  /// "sha256"; a view into this object.
  std::string_view algorithm_name() const noexcept;
  /// The hex (or other encoded) part; a view into this object.
  std::string_view encoded() const noexcept;
  /// The whole "algorithm:encoded" text.
  const std::string& str() const noexcept { return text_; }
  /// The first n characters of encoded(): docker's short image ID (n = 12).
  std::string short_hex(std::size_t n = 12) const;

  friend bool operator==(const Digest& a, const Digest& b) noexcept { return a.text_ == b.text_; }
  friend bool operator<(const Digest& a, const Digest& b) noexcept { return a.text_ < b.text_; }

 private:
  std::string text_;
  std::size_t colon_ = 0;
  DigestAlgorithm alg_ = DigestAlgorithm::unknown;
};

/// Streaming hash over bytes, for one algorithm (sha256 or sha512).
/// Not copyable; movable. finish() may be called once.
class Hasher {
 public:
  explicit Hasher(DigestAlgorithm alg = DigestAlgorithm::sha256);
  ~Hasher();
  Hasher(Hasher&&) noexcept;
  Hasher& operator=(Hasher&&) noexcept;
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;

  void update(const void* data, std::size_t bytes);
  /// Total bytes passed to update() so far.
  std::uint64_t bytes() const noexcept { return bytes_; }
  Digest finish();
  DigestAlgorithm algorithm() const noexcept { return alg_; }

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
  DigestAlgorithm alg_;
  std::uint64_t bytes_ = 0;
};

/// Digest of a whole in-memory byte string.
Digest digest_of(std::string_view bytes, DigestAlgorithm alg = DigestAlgorithm::sha256);

/// OCI config.md "Layer ChainID": ChainID(L0) = DiffID(L0);
/// ChainID(L0..n) = sha256(ChainID(L0..n-1) + " " + DiffID(Ln)).
Digest next_chain_id(const Digest& parent_chain_id, const Digest& diff_id);

}  // namespace layerkit
