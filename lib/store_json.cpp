// store_json.cpp — the JSON documents of the store (store.hpp).
#include <algorithm>

#include "json_write.hpp"
#include "layerkit/store.hpp"
#include "layerkit/text.hpp"

namespace layerkit {

using jsonw::digest_or_null;
using jsonw::key;
using jsonw::put;
using jsonw::render;
using jsonw::strings;

std::string load_json(const LoadReport& r, bool pretty) {
  return render(pretty, [&](auto& w) {
    w.StartObject();
    key(w, "Archive");
    put(w, r.archive);
    key(w, "Images");
    w.StartArray();
    for (const LoadedImage& i : r.images) {
      w.StartObject();
      key(w, "References");
      strings(w, i.references);
      key(w, "Id");
      digest_or_null(w, i.id);
      key(w, "ManifestDigest");
      digest_or_null(w, i.manifest.digest);
      key(w, "ManifestSynthesized");
      w.Bool(i.manifest_synthesized);
      key(w, "MovedReferences");
      w.StartArray();
      for (const MovedReference& m : i.moved) {
        w.StartObject();
        key(w, "Reference");
        put(w, m.reference);
        key(w, "PreviousManifest");
        digest_or_null(w, m.previous_manifest);
        w.EndObject();
      }
      w.EndArray();
      key(w, "Layers");
      w.StartArray();
      for (const LoadedLayer& l : i.layers) {
        w.StartObject();
        key(w, "Index");
        w.Uint64(l.index);
        key(w, "DiffID");
        digest_or_null(w, l.diff_id);
        key(w, "Digest");
        digest_or_null(w, l.digest);
        key(w, "Size");
        w.Uint64(l.size);
        key(w, "MediaType");
        put(w, l.media_type);
        key(w, "Status");
        put(w, l.existed ? "Already exists" : "Loading layer");
        w.EndObject();
      }
      w.EndArray();
      w.EndObject();
    }
    w.EndArray();
    key(w, "BlobsWritten");
    w.Uint64(r.blobs_written);
    key(w, "BytesWritten");
    w.Uint64(r.bytes_written);
    key(w, "BytesExisting");
    w.Uint64(r.bytes_existing);
    key(w, "Warnings");
    strings(w, r.warnings);
    w.EndObject();
  });
}

std::string plan_json(const PullPlan& p, bool pretty) {
  return render(pretty, [&](auto& w) {
    w.StartObject();
    key(w, "Image");
    put(w, p.image);
    key(w, "Id");
    digest_or_null(w, p.id);
    key(w, "Layers");
    w.StartArray();
    for (const PlanLayer& l : p.layers) {
      w.StartObject();
      key(w, "Index");
      w.Uint64(l.index);
      key(w, "DiffID");
      digest_or_null(w, l.diff_id);
      key(w, "Digest");
      digest_or_null(w, l.digest);
      key(w, "ChainID");
      digest_or_null(w, l.chain_id);
      key(w, "Size");
      w.Int64(l.size);
      key(w, "Status");
      put(w, l.status());
      key(w, "ExistsByChainID");
      w.Bool(l.exists_by_chain_id);
      key(w, "ExistsByDigest");
      w.Bool(l.exists_by_digest);
      w.EndObject();
    }
    w.EndArray();
    key(w, "PresentBytes");
    w.Uint64(p.present_bytes);
    key(w, "TransferBytes");
    w.Uint64(p.transfer_bytes);
    key(w, "WriteBlobs");
    w.Uint64(p.write_blobs);
    key(w, "WriteBytes");
    w.Uint64(p.write_bytes);
    w.EndObject();
  });
}

std::string save_json(const SaveReport& r, bool pretty) {
  return render(pretty, [&](auto& w) {
    w.StartObject();
    key(w, "Output");
    put(w, r.output);
    key(w, "Format");
    put(w, save_format_name(r.format));
    key(w, "Images");
    w.StartArray();
    for (const SavedImage& i : r.images) {
      w.StartObject();
      key(w, "References");
      strings(w, i.references);
      key(w, "Id");
      digest_or_null(w, i.id);
      key(w, "ManifestDigest");
      digest_or_null(w, i.manifest.digest);
      key(w, "Layers");
      w.StartArray();
      for (const SavedLayer& l : i.layers) {
        w.StartObject();
        key(w, "Index");
        w.Uint64(l.index);
        key(w, "Digest");
        digest_or_null(w, l.digest);
        key(w, "DiffID");
        digest_or_null(w, l.diff_id);
        key(w, "Size");
        w.Uint64(l.size);
        key(w, "Omitted");
        w.Bool(l.omitted);
        w.EndObject();
      }
      w.EndArray();
      w.EndObject();
    }
    w.EndArray();
    key(w, "BlobsWritten");
    w.Uint64(r.blobs_written);
    key(w, "BytesWritten");
    w.Uint64(r.bytes_written);
    key(w, "BytesOmitted");
    w.Uint64(r.bytes_omitted);
    w.EndObject();
  });
}

std::string store_images_json(const std::vector<StoreImage>& images, std::int64_t now_unix, bool pretty) {
  std::vector<const StoreImage*> order;
  for (const StoreImage& i : images) order.push_back(&i);
  std::stable_sort(order.begin(), order.end(), [](const StoreImage* a, const StoreImage* b) {
    return text::parse_rfc3339(a->image.config.created).value_or(INT64_MIN) >
           text::parse_rfc3339(b->image.config.created).value_or(INT64_MIN);
  });
  return render(pretty, [&](auto& w) {
    w.StartArray();
    for (const StoreImage* i : order) {
      auto [repo, tag] = text::split_repo_tag(i->reference.empty() ? "<none>:<none>" : i->reference);
      auto created = text::parse_rfc3339(i->image.config.created);
      w.StartObject();
      key(w, "Repository");
      put(w, repo);
      key(w, "Tag");
      put(w, tag);
      key(w, "ID");
      put(w, i->id().empty() ? std::string("<missing>") : text::truncate_id(i->id().str()));
      key(w, "Id");
      digest_or_null(w, i->id());
      key(w, "Digest");
      digest_or_null(w, i->manifest_digest());
      key(w, "CreatedAt");
      put(w, i->image.config.created);
      key(w, "CreatedSince");
      put(w, created ? text::image_created_since(*created, now_unix) : std::string("N/A"));
      key(w, "Size");
      w.Int64(i->size);
      key(w, "Layers");
      w.Uint64(i->layers.size());
      key(w, "Reference");
      put(w, i->reference);
      w.EndObject();
    }
    w.EndArray();
  });
}

std::string remove_json(const RemoveReport& r, bool pretty) {
  return render(pretty, [&](auto& w) {
    w.StartObject();
    key(w, "Untagged");
    strings(w, r.untagged);
    key(w, "Deleted");
    w.StartArray();
    for (const Digest& d : r.deleted) put(w, d.str());
    w.EndArray();
    w.EndObject();
  });
}

std::string gc_json(const GcReport& r, bool pretty) {
  return render(pretty, [&](auto& w) {
    w.StartObject();
    key(w, "DryRun");
    w.Bool(r.dry_run);
    key(w, "Blobs");
    w.StartArray();
    for (const auto& b : r.blobs) {
      w.StartObject();
      key(w, "Path");
      put(w, b.path);
      key(w, "Digest");
      digest_or_null(w, b.digest);
      key(w, "Size");
      w.Uint64(b.bytes);
      w.EndObject();
    }
    w.EndArray();
    key(w, "TempFiles");
    w.StartArray();
    for (const auto& t : r.temp_files) {
      w.StartObject();
      key(w, "Path");
      put(w, t.path);
      key(w, "Size");
      w.Uint64(t.bytes);
      w.EndObject();
    }
    w.EndArray();
    key(w, "MetadataRemoved");
    w.Uint64(r.metadata_removed);
    key(w, "BytesRemoved");
    w.Uint64(r.bytes_removed);
    w.EndObject();
  });
}

std::string disk_usage_json(const DiskUsage& u, bool pretty) {
  return render(pretty, [&](auto& w) {
    w.StartObject();
    key(w, "Images");
    w.StartArray();
    for (const DiskUsageImage& i : u.images) {
      auto [repo, tag] = text::split_repo_tag(i.reference.empty() ? "<none>:<none>" : i.reference);
      w.StartObject();
      key(w, "Repository");
      put(w, repo);
      key(w, "Tag");
      put(w, tag);
      key(w, "Reference");
      put(w, i.reference);
      key(w, "ID");
      put(w, i.id.empty() ? std::string("<missing>") : text::truncate_id(i.id.str()));
      key(w, "Id");
      digest_or_null(w, i.id);
      key(w, "ManifestDigest");
      digest_or_null(w, i.manifest_digest);
      key(w, "CreatedAt");
      put(w, i.created);
      key(w, "Layers");
      w.Uint64(i.layers);
      key(w, "Size");
      w.Uint64(i.size);
      key(w, "SharedSize");
      w.Uint64(i.shared_size);
      key(w, "UniqueSize");
      w.Uint64(i.unique_size);
      key(w, "BlobBytes");
      w.Uint64(i.blob_bytes);
      w.EndObject();
    }
    w.EndArray();
    key(w, "DistinctImages");
    w.Uint64(u.distinct_images);
    key(w, "DistinctLayers");
    w.Uint64(u.distinct_layers);
    key(w, "ContentSize");
    w.Uint64(u.content_size);
    key(w, "TotalSize");
    w.Uint64(u.total_size);
    key(w, "Blobs");
    w.Uint64(u.blobs);
    key(w, "BlobBytes");
    w.Uint64(u.blob_bytes);
    key(w, "UnreferencedBlobs");
    w.Uint64(u.unreferenced_blobs);
    key(w, "UnreferencedBytes");
    w.Uint64(u.unreferenced_bytes);
    key(w, "TempFiles");
    w.Uint64(u.temp_files);
    key(w, "TempBytes");
    w.Uint64(u.temp_bytes);
    w.EndObject();
  });
}

std::string store_verify_json(const StoreVerifyReport& r, bool pretty) {
  return render(pretty, [&](auto& w) {
    w.StartObject();
    key(w, "OK");
    w.Bool(r.ok);
    key(w, "Images");
    w.Uint64(r.images);
    key(w, "Blobs");
    w.Uint64(r.blobs);
    key(w, "Bytes");
    w.Uint64(r.bytes);
    key(w, "Problems");
    w.StartArray();
    for (const StoreProblem& p : r.problems) {
      w.StartObject();
      key(w, "Kind");
      put(w, p.kind);
      key(w, "Path");
      put(w, p.path);
      key(w, "Expected");
      put(w, p.expected);
      key(w, "Actual");
      put(w, p.actual);
      key(w, "Message");
      put(w, p.message);
      w.EndObject();
    }
    w.EndArray();
    key(w, "Leftovers");
    strings(w, r.leftovers);
    key(w, "Notes");
    strings(w, r.notes);
    w.EndObject();
  });
}

}  // namespace layerkit
