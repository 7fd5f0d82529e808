// layerkit/history.hpp — `docker history` rows from an image's config history
// and its layers' sizes.
//
// Rows are newest first. Each config.history entry is one row; the i-th entry
// with empty_layer false describes layer i (OCI config.md "history"). The
// newest row carries the image ID, the others "<missing>", as the Docker
// daemon reports an image whose parents are not in its store. SIZE is Docker's
// layer size (LayerStats::content_bytes), read from tar headers only, bodies
// skipped by seeking wherever the input allows.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "layerkit/archive.hpp"

namespace layerkit {

struct HistoryRow {
  /// The image ID ("sha256:…") on the newest row, "<missing>" below.
  std::string id;
  std::string created;                       ///< as stored (RFC 3339); may be empty
  std::optional<std::int64_t> created_unix;  ///< seconds since the epoch; nullopt if unset or unparsable
  std::string created_by;                    ///< as stored (tabs kept)
  std::string comment;
  bool empty_layer = false;
  /// Docker's SIZE in bytes: the layer's content bytes, 0 for an empty_layer
  /// row; -1 when the layer cannot be read (absent, foreign, unreadable).
  std::int64_t size = 0;

  /// The layer this row describes (index into Image::layers), if any.
  std::optional<std::size_t> layer_index;
  /// How history and layers line up for this row:
  ///   ok            an empty_layer row, or a non-empty row with its layer;
  ///   no_layer      a non-empty history entry beyond the image's last layer;
  ///   no_history    a layer no history entry describes (shown as an extra row).
  enum class Match { ok, no_layer, no_history } match = Match::ok;

  // Layer details (meaningful when layer_index is set).
  Digest diff_id;
  Digest digest;                       ///< blob digest
  Digest chain_id;
  std::int64_t compressed_size = -1;   ///< stored blob bytes
  std::int64_t uncompressed_size = -1; ///< tar stream bytes
};

struct HistoryOptions {
  /// Also fill digest / uncompressed_size for layers whose blob digest the
  /// archive does not declare (reads those layers whole).
  bool layer_details = false;
  unsigned threads = 0;  ///< 0 = hardware threads
  ProgressFn progress;
};

/// The rows for one image of an opened archive. Throws only Errc::cancelled;
/// unreadable layers give size -1.
std::vector<HistoryRow> history(const Archive& archive, const Image& image, const HistoryOptions& options = {});

/// True when the rows' non-empty entries and the image's layers line up one to one.
bool history_matches_layers(const std::vector<HistoryRow>& rows);

}  // namespace layerkit
