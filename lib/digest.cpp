#include "layerkit/digest.hpp"

#include <openssl/evp.h>

#include <fmt/format.h>

#include "layerkit/error.hpp"

namespace layerkit {
namespace {

bool is_lower_hex(std::string_view s) {
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

bool is_alg_component_char(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool is_alg_separator(char c) { return c == '+' || c == '.' || c == '_' || c == '-'; }
bool is_encoded_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '=' ||
         c == '_' || c == '-';
}

// Returns an empty string when valid, else the reason.
std::string check(std::string_view text, DigestAlgorithm& alg, std::size_t& colon) {
  if (text.empty()) return "empty digest";
  colon = text.find(':');
  if (colon == std::string_view::npos) return "no ':' between algorithm and encoded part";
  std::string_view a = text.substr(0, colon), e = text.substr(colon + 1);
  if (a.empty()) return "empty algorithm";
  if (e.empty()) return "empty encoded part";
  // algorithm: components of [a-z0-9]+ joined by single separators.
  bool prev_sep = true;
  for (char c : a) {
    if (is_alg_component_char(c)) {
      prev_sep = false;
    } else if (is_alg_separator(c) && !prev_sep) {
      prev_sep = true;
    } else {
      return fmt::format("invalid character {:?} in algorithm", std::string(1, c));
    }
  }
  if (prev_sep) return "algorithm ends with a separator";
  for (char c : e)
    if (!is_encoded_char(c)) return fmt::format("invalid character {:?} in encoded part", std::string(1, c));
  if (a == "sha256" || a == "sha512") {
    std::size_t want = a == "sha256" ? 64 : 128;
    if (!is_lower_hex(e)) return fmt::format("{} requires lowercase hex", a);
    if (e.size() != want) return fmt::format("{} requires {} hex characters, got {}", a, want, e.size());
    alg = a == "sha256" ? DigestAlgorithm::sha256 : DigestAlgorithm::sha512;
  } else {
    alg = DigestAlgorithm::unknown;
  }
  return {};
}

const EVP_MD* evp_of(DigestAlgorithm alg) {
  switch (alg) {
    case DigestAlgorithm::sha256: return EVP_sha256();
    case DigestAlgorithm::sha512: return EVP_sha512();
    default: throw Error(Errc::unsupported, "cannot hash with an unknown digest algorithm");
  }
}

}  // namespace

Digest Digest::parse(std::string_view text) {
  Digest d;
  std::string why = check(text, d.alg_, d.colon_);
  if (!why.empty()) {
    // Quote at most 80 characters of hostile input.
    std::string shown(text.substr(0, 80));
    throw Error(Errc::invalid_digest, fmt::format("invalid digest {:?}: {}", shown, why));
  }
  d.text_ = std::string(text);
  return d;
}

std::optional<Digest> Digest::try_parse(std::string_view text) noexcept {
  try {
    Digest d;
    if (!check(text, d.alg_, d.colon_).empty()) return std::nullopt;
    d.text_ = std::string(text);
    return d;
  } catch (...) {
    return std::nullopt;
  }
}

Digest Digest::from_bytes(DigestAlgorithm alg, const unsigned char* bytes, std::size_t n) {
  static const char hex[] = "0123456789abcdef";
  std::string s = alg == DigestAlgorithm::sha512 ? "sha512:" : "sha256:";
  for (std::size_t i = 0; i < n; ++i) {
    s.push_back(hex[bytes[i] >> 4]);
    s.push_back(hex[bytes[i] & 15]);
  }
  return parse(s);
}

std::string_view Digest::algorithm_name() const noexcept {
  return std::string_view(text_).substr(0, colon_);
}

std::string_view Digest::encoded() const noexcept {
  if (text_.empty()) return {};
  return std::string_view(text_).substr(colon_ + 1);
}

std::string Digest::short_hex(std::size_t n) const { return std::string(encoded().substr(0, n)); }

struct Hasher::Ctx {
  EVP_MD_CTX* md = nullptr;
  ~Ctx() { EVP_MD_CTX_free(md); }
};

Hasher::Hasher(DigestAlgorithm alg) : ctx_(std::make_unique<Ctx>()), alg_(alg) {
  ctx_->md = EVP_MD_CTX_new();
  if (!ctx_->md || EVP_DigestInit_ex(ctx_->md, evp_of(alg), nullptr) != 1)
    throw Error(Errc::internal, "OpenSSL: cannot initialise digest context");
}
Hasher::~Hasher() = default;
Hasher::Hasher(Hasher&&) noexcept = default;
Hasher& Hasher::operator=(Hasher&&) noexcept = default;

void Hasher::update(const void* data, std::size_t n) {
  if (n == 0) return;
  if (EVP_DigestUpdate(ctx_->md, data, n) != 1) throw Error(Errc::internal, "OpenSSL: digest update failed");
  bytes_ += n;
}

Digest Hasher::finish() {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx_->md, out, &len) != 1) throw Error(Errc::internal, "OpenSSL: digest final failed");
  return Digest::from_bytes(alg_, out, len);
}

Digest digest_of(std::string_view bytes, DigestAlgorithm alg) {
  Hasher h(alg);
  h.update(bytes.data(), bytes.size());
  return h.finish();
}

Digest next_chain_id(const Digest& parent, const Digest& diff_id) {
  if (parent.empty()) return diff_id;
  std::string s = parent.str() + " " + diff_id.str();
  return digest_of(s, DigestAlgorithm::sha256);
}

}  // namespace layerkit
