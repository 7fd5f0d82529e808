// cli_progress.hpp — the CLI's progress line on stderr, shown only when
// stderr is a terminal, at most ten times a second, erased when done.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>

#include "layerkit/options.hpp"
#include "layerkit/text.hpp"

namespace cli {

class Progress {
 public:
  Progress(const char* what, bool enabled) : what_(what), on_(enabled && ::isatty(2)) {}
  ~Progress() { done(); }
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  /// A callback for the library, or an empty one when nothing is shown.
  layerkit::ProgressFn fn() {
    if (!on_) return {};
    return [this](std::uint64_t done, std::uint64_t total) {
      auto now = std::chrono::steady_clock::now();
      if (now - last_ < std::chrono::milliseconds(100) && done < total) return true;
      last_ = now;
      using layerkit::text::human_size;
      if (total)
        std::fprintf(stderr, "\r%s %s / %s (%d%%)   ", what_, human_size(double(done)).c_str(),
                     human_size(double(total)).c_str(), int(std::min(done, total) * 100 / total));
      else
        std::fprintf(stderr, "\r%s %s   ", what_, human_size(double(done)).c_str());
      shown_ = true;
      return true;
    };
  }

  /// Erases the line (before printing results).
  void done() {
    if (shown_) std::fprintf(stderr, "\r\033[K");
    shown_ = false;
  }

 private:
  const char* what_;
  bool on_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point last_{};
};

}  // namespace cli
