// oci.hpp (private) — the names the OCI image spec and Docker give to media
// types and annotations, and descriptor parsing (descriptor.md), shared by the
// format readers and the store.
#pragma once

#include <string_view>

#include "json.hpp"
#include "layerkit/image.hpp"

namespace layerkit {

namespace media {
constexpr std::string_view oci_layout_file = "{\"imageLayoutVersion\":\"1.0.0\"}";
constexpr std::string_view oci_index = "application/vnd.oci.image.index.v1+json";
constexpr std::string_view oci_manifest = "application/vnd.oci.image.manifest.v1+json";
constexpr std::string_view oci_config = "application/vnd.oci.image.config.v1+json";
constexpr std::string_view oci_layer = "application/vnd.oci.image.layer.v1.tar";
constexpr std::string_view oci_artifact_manifest = "application/vnd.oci.artifact.manifest.v1+json";
constexpr std::string_view docker_list = "application/vnd.docker.distribution.manifest.list.v2+json";
constexpr std::string_view docker_manifest = "application/vnd.docker.distribution.manifest.v2+json";
constexpr std::string_view docker_config = "application/vnd.docker.container.image.v1+json";
constexpr std::string_view docker_layer = "application/vnd.docker.image.rootfs.diff.tar";
constexpr std::string_view docker_layer_gzip = "application/vnd.docker.image.rootfs.diff.tar.gzip";
constexpr std::string_view docker_layer_zstd = "application/vnd.docker.image.rootfs.diff.tar.zstd";

inline bool is_index(std::string_view mt) { return mt == oci_index || mt == docker_list; }
inline bool is_manifest(std::string_view mt) {
  return mt == oci_manifest || mt == docker_manifest || mt == oci_artifact_manifest;
}
inline bool is_image_config(std::string_view mt) { return mt == oci_config || mt == docker_config; }
inline bool is_foreign_layer(std::string_view mt) {
  return mt.find("foreign") != std::string_view::npos || mt.find("nondistributable") != std::string_view::npos;
}
}  // namespace media

namespace annotation {
constexpr std::string_view ref_name = "org.opencontainers.image.ref.name";
constexpr std::string_view containerd_name = "io.containerd.image.name";
constexpr std::string_view reference_type = "vnd.docker.reference.type";
}  // namespace annotation

/// Parses a descriptor object (descriptor.md): mediaType, digest (validated),
/// size, urls, annotations, platform. Throws Error(malformed) naming `at`,
/// Error(invalid_digest). A missing size is malformed when `require_size`,
/// else -1.
Descriptor parse_descriptor(const json::Value& v, const json::Path& at, bool require_size = true);

}  // namespace layerkit
