// layerkit/text.hpp — text rendered byte-for-byte the way the docker CLI renders it.
//
// `layerkit history` and `layerkit images` print what `docker history` and
// `docker images` print. Every function here reproduces one piece of Go code
// that the docker CLI runs; each comment names that code and says where its
// behaviour is surprising. The Go sources, as read for this module:
//
//   docker/go-units   size.go, duration.go          (HumanSize…, BytesSize, HumanDuration)
//   docker/cli        cli/command/image/formatter_history.go   (docker history columns)
//                     cli/command/formatter/image.go          (docker images columns)
//                     cli/command/formatter/displayutils.go   (Ellipsis)
//                     cli/command/formatter/formatter.go      (table = tabwriter(10, 1, 3, ' ', 0))
//                     cli/command/formatter/tabwriter/tabwriter.go  (docker's fork of Go's
//                       text/tabwriter, which measures cells with go-runewidth)
//   moby/moby         pkg/stringid/stringid.go   (TruncateID)
//   distribution/reference  normalize.go         (familiar repository names)
//   Go                time.Time.Format(time.RFC3339), time.Parse(time.RFC3339, …)
//
// Strings are UTF-8. Invalid UTF-8 is handled the way Go handles it: every
// byte that does not start a valid sequence is one rune, U+FFFD.
//
// Widths. Two width measures occur, because docker uses two libraries:
//   * Ellipsis (golang.org/x/text/width): a rune whose East Asian Width is
//     Wide (W) or Fullwidth (F) counts 2 columns, every other rune 1 —
//     including control characters and combining marks.
//   * The table writer (github.com/mattn/go-runewidth, non-CJK locale): C0/C1
//     controls, soft hyphen, other non-printing format characters and
//     combining marks (Mn, Me, variation selectors) count 0; W and F count 2;
//     everything else (ambiguous-width characters such as "…" included) 1.
//     go-runewidth measures grapheme clusters (a cluster takes the width of its
//     first non-zero-width rune); this module sums rune widths instead, which
//     differs only for clusters of several non-zero-width runes (emoji ZWJ
//     sequences, flag pairs, Hangul jamo sequences).
//   The W/F and combining tables are generated from Unicode 14.0 data, plus the
//   CJK blocks whose unassigned code points EastAsianWidth.txt defaults to W.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace layerkit::text {

// ---------------------------------------------------------------------------
// Sizes

/// Decimal size with `precision` significant digits, go-units
/// `HumanSizeWithPrecision(size, precision)`.
///
/// Units are bytes. The value is divided by 1000 while it is >= 1000 and a
/// larger unit exists (B, kB, MB, GB, TB, PB, EB, ZB, YB), then printed with
/// Go's `%.*g` directly followed by the unit, with no space. Go's %g is C's %g
/// (shortest of %e/%f, trailing zeros removed), so rounding can carry a value
/// to the next power of ten without changing the unit: 999999 -> "1e+03kB".
/// Values beyond 1000 YB stay in YB ("1e+04YB"). Negative values are never
/// divided ("-1.5e+03B"). Non-finite values print as Go does: "NaNB", "-InfB",
/// and "+InfYB" (+Inf is divided all the way to YB). `precision` must be >= 0;
/// a negative one is treated as 0 (Go would print the shortest form instead).
std::string human_size_with_precision(double bytes, int precision);

/// The SIZE column of `docker history` and `docker images`: go-units
/// `HumanSizeWithPrecision(float64(size), 3)`, i.e. human_size_with_precision(bytes, 3).
/// Examples: 0 -> "0B", 182964289 -> "183MB", 1000 -> "1kB", 1024 -> "1.02kB".
std::string human_size(double bytes);

/// Binary size, go-units `BytesSize(size)`: divides by 1024 while >= 1024
/// (B, KiB, MiB, GiB, TiB, PiB, EiB, ZiB, YiB) and prints `%.4g` plus the unit.
/// Examples: 1024 -> "1KiB", 3.42 * 2^30 -> "3.42GiB".
std::string bytes_size(double bytes);

// ---------------------------------------------------------------------------
// Durations and times

/// go-units `HumanDuration(d)`; `nanoseconds` is a Go time.Duration.
///
/// With s = trunc(d in seconds), m = trunc(d in minutes) and
/// round(d, u) = trunc(d/u + 0.5) computed in double precision:
///   s < 1 (also every negative d)   "Less than a second"
///   s == 1                          "1 second"
///   s < 60                          "<s> seconds"
///   m == 1                          "About a minute"
///   m < 60                          "<m> minutes"
///   round(d, 1h) == 1               "About an hour"
///   round(d, 1h) < 48               "<round(d,1h)> hours"
///   d < 14 days                     "<round(d, 24h)> days"
///   d < 60 days                     "<round(d, 7 days)> weeks"
///   d < 730 days                    "<round(d, 30 days)> months"
///   otherwise                       "<round(d, 365 days)> years"
/// E.g. 1h29m -> "About an hour", 1h31m -> "2 hours", 30 days -> "4 weeks".
std::string human_duration(std::int64_t nanoseconds);

/// Unix time of 2000-01-01T00:00:00Z. `docker history` prints "N/A" in the
/// CREATED column for a layer created at or before this instant.
inline constexpr std::int64_t history_epoch_unix = 946684800;

/// Unix time of Go's zero time.Time, 0001-01-01T00:00:00Z.
inline constexpr std::int64_t go_zero_time_unix = -62135596800;

/// The CREATED column of `docker history` (docker/cli
/// cli/command/image/formatter_history.go, historyContext.CreatedSince, human
/// mode): "N/A" when created_unix_seconds <= history_epoch_unix (this covers
/// an unset time, which the daemon reports as 0 or as Go's zero time);
/// otherwise HumanDuration(now - created) + " ago", e.g. "24 hours ago".
/// A creation time in the future gives "Less than a second ago".
///
/// Both arguments are Unix seconds. docker subtracts from a nanosecond-precise
/// clock; with whole seconds the duration is a whole number of seconds. Go's
/// Time.Sub saturates at ±292 years, and so does this function.
/// (Older docker/cli releases printed an empty cell instead of "N/A", and
/// older still printed the duration for any time.)
std::string created_since(std::int64_t created_unix_seconds, std::int64_t now_unix_seconds);

/// The CREATED column of `docker images` (docker/cli
/// cli/command/formatter/image.go): the template
/// `{{if .CreatedSince}}{{.CreatedSince}}{{else}}N/A{{end}}` around
/// imageContext.CreatedSince, which is "" only when time.Unix(created, 0) is
/// Go's zero time. So this returns "N/A" only for
/// created_unix_seconds == go_zero_time_unix, and otherwise
/// HumanDuration(now - created) + " ago" (for created == 0: "56 years ago" in
/// 2026). Unlike created_since there is no year-2000 cut-off.
std::string image_created_since(std::int64_t created_unix_seconds, std::int64_t now_unix_seconds);

/// Go `time.Unix(s, 0).Format(time.RFC3339)` in the process's local time zone
/// (the zone localtime_r uses: $TZ, else /etc/localtime). This is what
/// `docker history --human=false` prints in CREATED AT.
/// Form "YYYY-MM-DDTHH:MM:SS" followed by "Z" when the zone offset at that
/// instant is zero (whatever the zone is called) or "±hh:mm" otherwise.
/// Equivalent to rfc3339_at_offset(unix_seconds, <local UTC offset at
/// unix_seconds>); an instant localtime_r cannot convert is shown in UTC.
std::string rfc3339(std::int64_t unix_seconds);

/// Go `time.Unix(s, 0).In(time.FixedZone("", utc_offset_seconds)).Format(time.RFC3339)`.
/// The zone is "Z" when utc_offset_seconds == 0; otherwise Go converts the
/// offset to whole minutes truncating toward zero, takes the sign from that
/// (so -30 s prints "+00:00"), and prints "±hh:mm" of it modulo 60 hours.
/// Years are printed with at least four digits; a negative year gets a
/// leading '-' ("-0001"), as Go does. Dates are computed with std::chrono
/// civil-calendar arithmetic (proleptic Gregorian), independent of the C
/// library. Throws std::out_of_range when the date falls outside the years
/// -32767..32767 that std::chrono::year represents (|unix_seconds| beyond
/// about 9.7e11 after 1970 or 1.1e12 before).
std::string rfc3339_at_offset(std::int64_t unix_seconds, std::int32_t utc_offset_seconds);

/// Parses an RFC 3339 timestamp as Go `time.Parse(time.RFC3339, s)` does (and
/// hence as Go decodes the "created" fields of image configs), returning Unix
/// seconds rounded toward negative infinity (Go's Time.Unix()); the fraction
/// is read and discarded. Accepted: "YYYY-MM-DDTHH:MM:SS[.fff…](Z|±hh:mm)"
/// with any number of fraction digits, a valid day for the month, year
/// 0000-9999, hour 0-23, minute and second 0-59 (no leap second), an uppercase
/// 'T' and 'Z'. Also accepted, because Go's general parser accepts them (see
/// go.dev/issue/54580): a one-digit hour, ',' as fraction separator, and a zone
/// offset of up to 24 hours or 60 minutes. Anything else, including trailing
/// text, is std::nullopt.
/// Examples: "2015-03-04T21:38:56.769279623Z" -> 1425505136,
/// "2013-06-13T14:03:50.821769-07:00" -> 1371157430,
/// "0001-01-01T00:00:00Z" -> go_zero_time_unix.
std::optional<std::int64_t> parse_rfc3339(std::string_view s);

// ---------------------------------------------------------------------------
// Truncation and widths

/// docker/cli `formatter.Ellipsis(s, maxDisplayWidth)` (displayutils.go).
///
/// Width is measured with golang.org/x/text/width (W and F runes count 2, all
/// others 1; see the top of this file). Behaviour, exactly:
///   * max_display_width == 0: "".
///   * max_display_width == 1: the first rune of s, whatever its width ("" for
///     an empty s, where Go would panic).
///   * s is all one-byte runes (ASCII, or invalid bytes): s itself if its
///     length <= max, else its first max-1 runes followed by "…" (U+2026;
///     invalid bytes are re-encoded as U+FFFD).
///   * otherwise s itself if its width <= max, else the longest rune prefix of
///     width <= max-1 followed by "…" — but only when the rune that ends that
///     prefix is not the first to exceed max-1 on its own: when the first rune
///     alone is wider than max-1 (e.g. "你好…" with max 2), docker returns s
///     unchanged, and so does this function.
/// The history table truncates CREATED BY with max 45.
std::string ellipsis(std::string_view s, std::size_t max_display_width);

/// moby `stringid.TruncateID` (also docker/cli formatter.TruncateID): drops
/// everything up to and including the first ':' (so "sha256:" or any other
/// algorithm prefix), then keeps at most the first 12 bytes.
/// "sha256:4e38e38c8ce0b8d9…" -> "4e38e38c8ce0"; "1234" -> "1234".
std::string truncate_id(std::string_view id);

/// The CREATED BY column of `docker history`: every '\t' replaced by ' ', then,
/// when `truncate` (the default; `--no-trunc` turns it off), ellipsis(…, 45).
std::string history_created_by(std::string_view created_by, bool truncate = true);

/// Display width of s as docker's table writer measures a cell (go-runewidth
/// rune widths, summed; see the top of this file). "…" is 1, "本" is 2, a
/// combining acute accent is 0, an invalid byte is 1.
std::size_t display_width(std::string_view s);

/// The number of runes in s as Go's utf8.RuneCountInString counts them (each
/// invalid byte is one rune).
std::size_t rune_count(std::string_view s);

// ---------------------------------------------------------------------------
// Tables

/// An elastic-tabstop table writer: Go's text/tabwriter.Writer, as forked by
/// docker/cli (cli/command/formatter/tabwriter), with the same algorithm, flags
/// and output.
///
/// Input is a byte stream (write()) of cells: a cell is terminated by '\t'
/// (hard tab) or '\v' (soft tab); '\n' ends a line; '\f' ends a line and
/// flushes (forms a section break). A line's last cell — the text after its
/// last tab — belongs to no column and is never padded. Cells terminated by a
/// tab in the same column position on consecutive lines form a "column block";
/// each block is as wide as its widest cell plus `padding`, and at least
/// `minwidth`. A line with fewer cells ends the blocks of the columns it
/// lacks, so the same column index may have different widths in different
/// parts of the output. A line holding a single cell (no tab at all) ends
/// every block and is printed as is.
///
/// Cell width is display_width() in WidthMode::display (docker's fork, the
/// default) or rune_count() in WidthMode::runes (upstream Go text/tabwriter).
/// The two agree for ASCII and "…".
///
/// docker renders every table with minwidth 10, tabwidth 1, padding 3,
/// padchar ' ', no flags (formatter.go `tabwriter.NewWriter(out, 10, 1, 3, ' ', 0)`),
/// which is the default Options: for docker's layout, add_row() the header
/// cells and then each row's cells, and read str().
class TabWriter {
 public:
  /// Go's tabwriter flags, same meanings and bit values.
  enum Flag : unsigned {
    filter_html = 1u << 0,            ///< HTML tags have width 0 and entities width 1; both pass through
    strip_escape = 1u << 1,           ///< drop the escape bytes (0xff) around escaped text
    align_right = 1u << 2,            ///< pad on the left of a cell instead of the right
    discard_empty_columns = 1u << 3,  ///< columns made only of empty soft-tab ('\v') cells get width 0
    tab_indent = 1u << 4,             ///< pad leading empty cells with tabs whatever padchar is
    debug = 1u << 5,                  ///< print '|' between columns and "---\n" at each '\f'
  };

  enum class WidthMode {
    display,  ///< go-runewidth display columns (docker/cli's fork)
    runes,    ///< code points (Go's text/tabwriter)
  };

  struct Options {
    int minwidth = 10;  ///< minimal column width, padding included
    int tabwidth = 1;   ///< columns per '\t' when padding with tabs
    int padding = 3;    ///< added to the widest cell of a column block
    char padchar = ' ';  ///< padding byte; '\t' pads with tabs and disables align_right
    unsigned flags = 0;  ///< OR of Flag values
    WidthMode width_mode = WidthMode::display;
  };

  /// The escape byte: text between two 0xff bytes is one opaque piece of a
  /// cell (its tabs and newlines do not break cells).
  static constexpr char escape = '\xff';

  /// docker's table settings: Options{} (10, 1, 3, ' ', 0, display widths).
  TabWriter();
  /// Throws std::invalid_argument when minwidth, tabwidth or padding is negative.
  explicit TabWriter(const Options& options);

  /// Appends bytes, like Go's Writer.Write. Complete lines may be formatted
  /// and moved to the output at once (after a single-cell line or '\f'); the
  /// rest waits for later lines or flush().
  void write(std::string_view bytes);

  /// Writes the cells joined by '\t', then '\n'. Cells are written raw: a cell
  /// containing '\t', '\v', '\n', '\f' or 0xff changes the table structure,
  /// just as it would in docker (which replaces tabs in CREATED BY itself).
  void add_row(const std::vector<std::string>& cells);

  /// Formats everything buffered (an unterminated escape counts as closed),
  /// like Go's Writer.Flush. Later writes start new column blocks.
  void flush();

  /// The output so far plus what flush() would produce now; does not modify
  /// the writer (it formats a copy).
  std::string str() const;

  /// The output produced so far by write() and flush(), without pending lines.
  const std::string& output() const noexcept { return out_; }

 private:
  struct Cell {
    std::size_t size = 0;  // bytes of the cell in buf_
    int width = 0;         // display width (or rune count)
    bool htab = false;     // terminated by '\t'
  };

  void reset();
  void add_line();
  void append_text(std::string_view text);
  void update_width();
  void start_escape(char ch);
  void end_escape();
  std::size_t terminate_cell(bool htab);
  void flush_pending();
  std::size_t format(std::size_t pos, std::size_t line0, std::size_t line1);
  std::size_t write_lines(std::size_t pos, std::size_t line0, std::size_t line1);
  void write_padding(int textw, int cellw, bool use_tabs);

  Options opt_;
  std::string buf_;
  std::size_t pos_ = 0;
  Cell cell_;
  char end_char_ = 0;
  std::vector<std::vector<Cell>> lines_;
  std::vector<int> widths_;
  std::string out_;
};

// ---------------------------------------------------------------------------
// Image references

/// The REPOSITORY and TAG cells `docker images` shows for one reference from
/// an image's RepoTags or RepoDigests (docker/cli formatter/image.go, which
/// parses with distribution/reference ParseNormalizedNamed and prints
/// FamiliarName and Tag):
///   * "<none>:<none>" and "<none>@<none>" (dangling) -> ("<none>", "<none>").
///   * A digest ("@…") is dropped; a tag is the text after the last ':' that
///     follows the last '/'; with no tag, TAG is "<none>" (as docker shows
///     digest-only references: "x@sha256:…" -> ("x", "<none>")).
///   * REPOSITORY is the familiar name: a first path component that is
///     "localhost", contains '.' or ':', or has an uppercase letter is a
///     registry domain and is kept; "index.docker.io" and "docker.io" are
///     Docker Hub and removed, and so is "library/" before a one-component
///     Hub name. "docker.io/library/ubuntu:22.04" -> ("ubuntu", "22.04"),
///     "localhost/corpus/base:1.0" -> ("localhost/corpus/base", "1.0"),
///     "host:5000/x" -> ("host:5000/x", "<none>").
/// The reference is not validated. (docker itself omits a RepoTags entry that
/// has no tag; the "<none>" above is for callers that list such entries.)
std::pair<std::string, std::string> split_repo_tag(std::string_view ref);

}  // namespace layerkit::text
