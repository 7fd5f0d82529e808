#include "layerkit/history.hpp"

#include <algorithm>

#include "layerkit/text.hpp"

namespace layerkit {

std::vector<HistoryRow> history(const Archive& archive, const Image& image, const HistoryOptions& options) {
  // Read every layer's headers once (in parallel), deeper where details need it.
  bool need_full = false;
  if (options.layer_details)
    for (const Layer& l : image.layers)
      if (l.present && l.descriptor.digest.empty()) need_full = true;
  std::vector<const Layer*> layers;
  for (const Layer& l : image.layers) layers.push_back(&l);
  auto scans = archive.scan_many(layers, need_full ? ScanDepth::full : ScanDepth::headers, options.threads,
                                 options.progress);

  auto fill_layer = [&](HistoryRow& row, std::size_t i) {
    const Layer& l = image.layers[i];
    row.layer_index = i;
    if (l.diff_id) row.diff_id = *l.diff_id;
    if (l.chain_id) row.chain_id = *l.chain_id;
    row.digest = l.descriptor.digest;
    const auto& s = scans[i].scan;
    if (!s) {
      row.size = -1;
      row.compressed_size = l.descriptor.size;
      return;
    }
    row.size = static_cast<std::int64_t>(s->stats.content_bytes);
    if (row.digest.empty()) row.digest = s->blob_digest;
    row.compressed_size = static_cast<std::int64_t>(s->blob_bytes);
    row.uncompressed_size = static_cast<std::int64_t>(s->tar_bytes);
  };

  std::vector<HistoryRow> rows;  // oldest first, reversed at the end
  std::size_t next_layer = 0;
  for (const HistoryEntry& h : image.config.history) {
    HistoryRow row;
    row.id = "<missing>";
    row.created = h.created;
    row.created_unix = text::parse_rfc3339(h.created);
    row.created_by = h.created_by;
    row.comment = h.comment;
    row.empty_layer = h.empty_layer;
    if (!h.empty_layer) {
      if (next_layer < image.layers.size()) {
        fill_layer(row, next_layer++);
      } else {
        row.match = HistoryRow::Match::no_layer;
        row.size = -1;
      }
    }
    rows.push_back(std::move(row));
  }
  // Layers no history entry describes (a config without history, or too few entries).
  for (; next_layer < image.layers.size(); ++next_layer) {
    HistoryRow row;
    row.id = "<missing>";
    row.match = HistoryRow::Match::no_history;
    fill_layer(row, next_layer);
    rows.push_back(std::move(row));
  }
  std::reverse(rows.begin(), rows.end());
  if (!rows.empty()) rows.front().id = image.id().str();
  return rows;
}

bool history_matches_layers(const std::vector<HistoryRow>& rows) {
  return std::all_of(rows.begin(), rows.end(), [](const HistoryRow& r) { return r.match == HistoryRow::Match::ok; });
}

}  // namespace layerkit
