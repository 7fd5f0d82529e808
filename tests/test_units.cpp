// Unit tests of the small modules: digest, json, member paths, platforms,
// archive-internal link resolution. Expected values come from the specs they
// implement (FIPS 180-2 test vectors, the OCI descriptor.md digest grammar and
// examples, Go's encoding/json duplicate-key rule), never from layerkit.
#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "json.hpp"
#include "layerkit/digest.hpp"
#include "layerkit/error.hpp"
#include "layerkit/image.hpp"
#include "source.hpp"

using namespace layerkit;

namespace {

Errc code_of(auto&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.code();
  }
  return Errc::ok;
}

}  // namespace

TEST_CASE("digest: the OCI descriptor.md examples parse") {
  // descriptor.md "Digests": example digest strings.
  Digest a = Digest::parse("sha256:6c3c624b58dbbcd3c0dd82b4c53f04194d1247c6eebdaab7c610cf7d66709b3b");
  CHECK(a.algorithm() == DigestAlgorithm::sha256);
  CHECK(a.verifiable());
  CHECK(a.algorithm_name() == "sha256");
  CHECK(a.encoded() == "6c3c624b58dbbcd3c0dd82b4c53f04194d1247c6eebdaab7c610cf7d66709b3b");
  CHECK(a.short_hex() == "6c3c624b58db");
  // Registered-but-other and unregistered algorithms are well formed, not verifiable.
  Digest m = Digest::parse("multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8");
  CHECK_FALSE(m.verifiable());
  CHECK(m.algorithm_name() == "multihash+base58");
  Digest b = Digest::parse("sha256+b64u:LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564");
  CHECK_FALSE(b.verifiable());
  // sha512: 128 lowercase hex.
  CHECK(Digest::parse("sha512:" + std::string(128, 'a')).algorithm() == DigestAlgorithm::sha512);
}

TEST_CASE("digest: strings that break the grammar are rejected before any use") {
  for (const char* bad : {
           "",                                              // empty
           "sha256",                                        // no ':'
           ":abc",                                          // empty algorithm
           "sha256:",                                       // empty encoded
           "sha256:../../etc/passwd",                       // '.' and '/' are not in encoded
           "sha256:ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789",  // uppercase
           "sha256:abc",                                    // wrong length
           "sha512:abcdef",                                 // wrong length
           "SHA256:6c3c624b58dbbcd3c0dd82b4c53f04194d1247c6eebdaab7c610cf7d66709b3b",  // uppercase algorithm
           "sha256+:abc",                                   // trailing separator
           "sha256++x:abc",                                 // two separators in a row
           "sha256:abc def",                                // space
           "sha256:6c3c624b58dbbcd3c0dd82b4c53f04194d1247c6eebdaab7c610cf7d66709b3\n",  // newline
       }) {
    CAPTURE(std::string(bad));
    CHECK(code_of([&] { Digest::parse(bad); }) == Errc::invalid_digest);
    CHECK_FALSE(Digest::try_parse(bad).has_value());
  }
}

TEST_CASE("digest: hashing matches the FIPS 180-2 test vectors") {
  // FIPS 180-2 appendix B.1 / C.1 ("abc") and the empty message.
  CHECK(digest_of("abc").str() == "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(digest_of("").str() == "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(digest_of("abc", DigestAlgorithm::sha512).str() ==
        "sha512:ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd"
        "454d4423643ce80e2a9ac94fa54ca49f");
  // B.3: one million 'a', fed in uneven pieces.
  Hasher h;
  std::string chunk(997, 'a');
  std::size_t left = 1000000;
  while (left) {
    std::size_t n = std::min(left, chunk.size());
    h.update(chunk.data(), n);
    left -= n;
  }
  CHECK(h.bytes() == 1000000);
  CHECK(h.finish().str() == "sha256:cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("digest: chain IDs follow OCI config.md") {
  // ChainID(L0) = DiffID(L0); ChainID(L0|L1) = SHA256(ChainID(L0) + " " + DiffID(L1)).
  Digest l0 = digest_of("layer zero"), l1 = digest_of("layer one");
  CHECK(next_chain_id(Digest(), l0) == l0);
  CHECK(next_chain_id(l0, l1) == digest_of(l0.str() + " " + l1.str()));
}

TEST_CASE("member paths are normalised and never climb out of the archive") {
  std::string out;
  CHECK(normalise_member_path("./manifest.json", out));
  CHECK(out == "manifest.json");
  CHECK(normalise_member_path("/blobs//sha256/./ab", out));
  CHECK(out == "blobs/sha256/ab");
  CHECK(normalise_member_path("a/b/../c", out));
  CHECK(out == "a/c");
  CHECK_FALSE(normalise_member_path("../etc/passwd", out));
  CHECK_FALSE(normalise_member_path("a/../../x", out));
}

TEST_CASE("json: duplicate keys resolve to the last, as Go's encoding/json does") {
  auto doc = json::parse(R"({"Config": "a.json", "Config": "b.json"})", "manifest.json", 16);
  json::Path at{"manifest.json", ""};
  CHECK(json::req_string(doc, "Config", at) == "b.json");
}

TEST_CASE("json: nesting beyond the limit is limit_exceeded, without recursion") {
  std::string deep(100000, '[');
  deep += std::string(100000, ']');
  CHECK(code_of([&] { json::parse(deep, "config", 64); }) == Errc::limit_exceeded);
  std::string ok = std::string(64, '[') + std::string(64, ']');
  CHECK(code_of([&] { json::parse(ok, "config", 64); }) == Errc::ok);
}

TEST_CASE("json: syntax errors and wrong types name the document and the field") {
  try {
    json::parse("{\"a\": [1, 2,}", "index.json", 16);
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.code() == Errc::malformed);
    CHECK(std::string(e.what()).find("index.json") != std::string::npos);
  }
  auto doc = json::parse(R"([{"Layers": ["a", 3]}])", "manifest.json", 16);
  json::Path at{"manifest.json", "[0]"};
  try {
    json::string_array(doc[0], "Layers", at);
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.code() == Errc::malformed);
    CHECK(std::string(e.what()) == "manifest.json: [0].Layers[1]: expected a string, got a number");
  }
  auto num = json::parse(R"({"size": -5, "big": 1e300})", "blob", 16);
  json::Path root{"blob", ""};
  CHECK(code_of([&] { json::opt_int(num, "size", root, 0, INT64_MAX); }) == Errc::malformed);
  CHECK(code_of([&] { json::opt_int(num, "big", root, 0, INT64_MAX); }) == Errc::malformed);
  CHECK(code_of([&] { json::parse("{} trailing", "x", 4); }) == Errc::malformed);
  CHECK(code_of([&] { json::parse("\"\xff\xfe\"", "x", 4); }) == Errc::malformed);  // not UTF-8
}

TEST_CASE("json: a zero with a huge exponent is zero (RapidJSON issue 1249, found by fuzz_json)") {
  // RFC 8259 grammar: 0E098 is the number 0. RapidJSON 1.1.0's full-precision
  // path loops or reads clz(0) here; the sanitizer build turns that into a failure.
  for (const char* text : {"0E098", "0e100", "[0.0e-400, -0E308]"}) {
    CAPTURE(text);
    auto doc = json::parse(text, "config", 4);
    const auto& v = doc.IsArray() ? doc[0] : static_cast<const json::Value&>(doc);
    REQUIRE(v.IsNumber());
    CHECK(v.GetDouble() == 0.0);
  }
}

TEST_CASE("platforms: parsing and matching as containerd normalises architectures") {
  Platform p = Platform::parse("linux/arm64/v8");
  CHECK(p.os == "linux");
  CHECK(p.architecture == "arm64");
  CHECK(p.variant == "v8");
  CHECK(p.str() == "linux/arm64/v8");
  CHECK(code_of([] { Platform::parse("linux"); }) == Errc::invalid_argument);
  CHECK(code_of([] { Platform::parse("linux/"); }) == Errc::invalid_argument);
  CHECK(code_of([] { Platform::parse("a/b/c/d"); }) == Errc::invalid_argument);
  Platform have{"linux", "x86_64", "", ""};
  CHECK(have.satisfies(Platform::parse("linux/amd64")));
  CHECK_FALSE(have.satisfies(Platform::parse("linux/arm64")));
  CHECK(Platform{"linux", "arm", "v7", ""}.satisfies(Platform::parse("linux/arm")));
  CHECK_FALSE(Platform{"linux", "arm", "v6", ""}.satisfies(Platform::parse("linux/arm/v7")));
}

TEST_CASE("links inside an archive are followed inside it only, with a hop limit") {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("layerkit-links-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "blobs");
  std::ofstream(dir / "blobs/real") << "content";
  fs::create_symlink("real", dir / "blobs/alias");         // relative, inside
  fs::create_symlink("/blobs/real", dir / "absolute");     // absolute: the host's filesystem
  fs::create_symlink("../../outside", dir / "escape");     // leaves the archive
  fs::create_symlink("loop-b", dir / "loop-a");
  fs::create_symlink("loop-a", dir / "loop-b");
  fs::create_symlink("blobs", dir / "dirlink");            // a link in a parent directory
  Limits lim;
  auto src = open_directory_source(dir.string(), lim);
  CHECK(src->resolve("blobs/alias", 8, "t").name == "blobs/real");
  CHECK(code_of([&] { src->resolve("absolute", 8, "t"); }) == Errc::unsafe_path);
  CHECK(src->resolve("dirlink/real", 8, "t").name == "blobs/real");
  CHECK(code_of([&] { src->resolve("escape", 8, "t"); }) == Errc::unsafe_path);
  CHECK(code_of([&] { src->resolve("loop-a", 8, "t"); }) == Errc::unsafe_path);
  CHECK(code_of([&] { src->resolve("blobs/alias", 0, "t"); }) == Errc::unsafe_path);
  CHECK(code_of([&] { src->resolve("blobs/none", 8, "t"); }) == Errc::not_found);
  CHECK(code_of([&] { src->resolve("../x", 8, "t"); }) == Errc::unsafe_path);
  CHECK(code_of([&] { src->resolve("blobs", 8, "t"); }) == Errc::malformed);  // not a regular file
  CHECK(src->read_all(src->resolve("blobs/alias", 8, "t"), 100, "t") == "content");
  CHECK(code_of([&] { src->read_all(src->resolve("blobs/alias", 8, "t"), 3, "t"); }) == Errc::limit_exceeded);
  fs::remove_all(dir);
}
