#include "layerkit/image.hpp"

#include <fmt/format.h>

#include "json.hpp"
#include "layerkit/error.hpp"

namespace layerkit {
namespace {

std::string normalise_arch(const std::string& a) {
  if (a == "x86_64" || a == "x86-64") return "amd64";
  if (a == "aarch64") return "arm64";
  if (a == "i386" || a == "i686") return "386";
  return a;
}

// Docker's strslice: a JSON string or an array of strings.
std::vector<std::string> strslice(const json::Value& obj, std::string_view key, const json::Path& at,
                                  bool& present) {
  const json::Value* v = json::find_non_null(obj, key);
  present = v != nullptr;
  if (v && v->IsString()) return {std::string(v->GetString(), v->GetStringLength())};
  return json::string_array(obj, key, at);
}

constexpr std::int64_t kMaxI64 = INT64_MAX;

}  // namespace

Platform Platform::parse(const std::string& text) {
  Platform p;
  auto a = text.find('/');
  if (a == std::string::npos || a == 0)
    throw Error(Errc::invalid_argument, fmt::format("platform {:?}: expected os/arch[/variant]", text));
  p.os = text.substr(0, a);
  auto b = text.find('/', a + 1);
  p.architecture = text.substr(a + 1, b == std::string::npos ? std::string::npos : b - a - 1);
  if (b != std::string::npos) p.variant = text.substr(b + 1);
  if (p.architecture.empty() || p.variant.find('/') != std::string::npos)
    throw Error(Errc::invalid_argument, fmt::format("platform {:?}: expected os/arch[/variant]", text));
  return p;
}

std::string Platform::str() const {
  return variant.empty() ? fmt::format("{}/{}", os, architecture) : fmt::format("{}/{}/{}", os, architecture, variant);
}

bool Platform::satisfies(const Platform& wanted) const {
  if (os != wanted.os || normalise_arch(architecture) != normalise_arch(wanted.architecture)) return false;
  return wanted.variant.empty() || variant == wanted.variant;
}

std::size_t ImageConfig::non_empty_history() const {
  std::size_t n = 0;
  for (const auto& h : history) n += h.empty_layer ? 0 : 1;
  return n;
}

std::string Image::display_name() const { return references.empty() ? std::string() : references.front(); }

ImageConfig parse_image_config(std::string_view text, std::string_view what, unsigned max_depth,
                               std::uint32_t max_layers) {
  json::Document doc = json::parse(text, what, max_depth);
  json::Path root{std::string(what), ""};
  json::require_object(doc, root);
  ImageConfig c;
  c.created = json::opt_string(doc, "created", root).value_or("");
  c.author = json::opt_string(doc, "author", root).value_or("");
  c.architecture = json::opt_string(doc, "architecture", root).value_or("");
  c.os = json::opt_string(doc, "os", root).value_or("");
  c.os_version = json::opt_string(doc, "os.version", root).value_or("");
  c.variant = json::opt_string(doc, "variant", root).value_or("");

  if (const json::Value* cfg = json::find_non_null(doc, "config")) {
    json::Path at = root.key("config");
    json::require_object(*cfg, at);
    ContainerConfig& cc = c.config;
    cc.user = json::opt_string(*cfg, "User", at).value_or("");
    cc.exposed_ports = json::object_keys(*cfg, "ExposedPorts", at);
    cc.env = json::string_array(*cfg, "Env", at);
    cc.entrypoint = strslice(*cfg, "Entrypoint", at, cc.has_entrypoint);
    cc.cmd = strslice(*cfg, "Cmd", at, cc.has_cmd);
    cc.volumes = json::object_keys(*cfg, "Volumes", at);
    cc.working_dir = json::opt_string(*cfg, "WorkingDir", at).value_or("");
    cc.labels = json::string_map(*cfg, "Labels", at);
    cc.stop_signal = json::opt_string(*cfg, "StopSignal", at).value_or("");
    if (const json::Value* hc = json::find_non_null(*cfg, "Healthcheck")) {
      json::Path hat = at.key("Healthcheck");
      json::require_object(*hc, hat);
      Healthcheck h;
      h.test = json::string_array(*hc, "Test", hat);
      h.interval_ns = json::opt_int(*hc, "Interval", hat, 0, kMaxI64).value_or(0);
      h.timeout_ns = json::opt_int(*hc, "Timeout", hat, 0, kMaxI64).value_or(0);
      h.start_period_ns = json::opt_int(*hc, "StartPeriod", hat, 0, kMaxI64).value_or(0);
      h.start_interval_ns = json::opt_int(*hc, "StartInterval", hat, 0, kMaxI64).value_or(0);
      h.retries = json::opt_int(*hc, "Retries", hat, 0, kMaxI64).value_or(0);
      cc.healthcheck = std::move(h);
    }
    cc.json = json::to_string(*cfg);
  }

  if (const json::Value* rootfs = json::find_non_null(doc, "rootfs")) {
    json::Path at = root.key("rootfs");
    json::require_object(*rootfs, at);
    c.rootfs_type = json::opt_string(*rootfs, "type", at).value_or("");
    auto ids = json::string_array(*rootfs, "diff_ids", at);
    if (ids.size() > max_layers)
      throw Error(Errc::limit_exceeded, fmt::format("{}: {} diff_ids, over the limit of {} layers per image",
                                                    at.key("diff_ids").str(), ids.size(), max_layers));
    for (std::size_t i = 0; i < ids.size(); ++i) {
      try {
        c.diff_ids.push_back(Digest::parse(ids[i]));
      } catch (const Error& e) {
        throw Error(e.code(), fmt::format("{}: {}", at.key("diff_ids").index(i).str(), e.what()));
      }
    }
  }

  if (const json::Value* hist = json::find_non_null(doc, "history")) {
    json::Path at = root.key("history");
    json::require_array(*hist, at);
    if (hist->Size() > 16 * static_cast<rapidjson::SizeType>(max_layers) + 1024)
      throw Error(Errc::limit_exceeded, fmt::format("{}: {} history entries is over the limit", at.str(), hist->Size()));
    for (rapidjson::SizeType i = 0; i < hist->Size(); ++i) {
      const json::Value& h = (*hist)[i];
      json::Path hat = at.index(i);
      json::require_object(h, hat);
      HistoryEntry e;
      e.created = json::opt_string(h, "created", hat).value_or("");
      e.created_by = json::opt_string(h, "created_by", hat).value_or("");
      e.author = json::opt_string(h, "author", hat).value_or("");
      e.comment = json::opt_string(h, "comment", hat).value_or("");
      e.empty_layer = json::opt_bool(h, "empty_layer", hat).value_or(false);
      c.history.push_back(std::move(e));
    }
  }
  return c;
}

void compute_chain_ids(std::vector<Layer>& layers) {
  Digest chain;
  bool broken = false;
  for (Layer& l : layers) {
    if (broken || !l.diff_id) {
      broken = true;
      l.chain_id.reset();
      continue;
    }
    chain = next_chain_id(chain, *l.diff_id);
    l.chain_id = chain;
  }
}

}  // namespace layerkit
