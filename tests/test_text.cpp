// Tests for layerkit/text.hpp. Every expected value comes from outside this
// code: the Go test tables, golden files and sources named next to each
// table (docker/go-units, docker/cli, moby/moby, distribution/reference,
// golang/go), or, where stated, an independent oracle (GNU date for Unix
// times, glibc printf for C's %g).
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "layerkit/text.hpp"

namespace text = layerkit::text;

namespace {

constexpr std::int64_t kSec = 1'000'000'000;
constexpr std::int64_t kMin = 60 * kSec;
constexpr std::int64_t kHour = 60 * kMin;
constexpr std::int64_t kDay = 24 * kHour;
constexpr std::int64_t kWeek = 7 * kDay;
constexpr std::int64_t kMonth = 30 * kDay;
constexpr std::int64_t kYear = 365 * kDay;

// Sets TZ for the lifetime of the object and restores it afterwards.
class ScopedTZ {
 public:
  explicit ScopedTZ(const char* tz) {
    if (const char* old = std::getenv("TZ")) old_ = old;
    setenv("TZ", tz, 1);
    tzset();
  }
  ~ScopedTZ() {
    if (old_) {
      setenv("TZ", old_->c_str(), 1);
    } else {
      unsetenv("TZ");
    }
    tzset();
  }
  ScopedTZ(const ScopedTZ&) = delete;
  ScopedTZ& operator=(const ScopedTZ&) = delete;

 private:
  std::optional<std::string> old_;
};

std::string table(const std::vector<std::vector<std::string>>& rows) {
  text::TabWriter w;  // docker's settings: minwidth 10, tabwidth 1, padding 3, ' ', no flags
  for (const auto& r : rows) w.add_row(r);
  return w.str();
}

}  // namespace

// ---------------------------------------------------------------------------
// Sizes

TEST_CASE("human_size_with_precision(…, 4) = go-units HumanSize") {
  // docker/go-units size_test.go, TestHumanSize.
  CHECK(text::human_size_with_precision(1000, 4) == "1kB");
  CHECK(text::human_size_with_precision(1024, 4) == "1.024kB");
  CHECK(text::human_size_with_precision(1000000, 4) == "1MB");
  CHECK(text::human_size_with_precision(1048576, 4) == "1.049MB");
  CHECK(text::human_size_with_precision(2 * 1000 * 1000, 4) == "2MB");
  CHECK(text::human_size_with_precision(3.42e9, 4) == "3.42GB");
  CHECK(text::human_size_with_precision(5.372e12, 4) == "5.372TB");
  CHECK(text::human_size_with_precision(2.22e15, 4) == "2.22PB");
  CHECK(text::human_size_with_precision(1e28, 4) == "1e+04YB");  // 10000000000000*PB
}

TEST_CASE("bytes_size = go-units BytesSize") {
  // docker/go-units size_test.go, TestBytesSize.
  const double KiB = 1024, MiB = KiB * 1024, GiB = MiB * 1024, TiB = GiB * 1024, PiB = TiB * 1024;
  CHECK(text::bytes_size(1024) == "1KiB");
  CHECK(text::bytes_size(1024 * 1024) == "1MiB");
  CHECK(text::bytes_size(1048576) == "1MiB");
  CHECK(text::bytes_size(2 * MiB) == "2MiB");
  CHECK(text::bytes_size(3.42 * GiB) == "3.42GiB");
  CHECK(text::bytes_size(5.372 * TiB) == "5.372TiB");
  CHECK(text::bytes_size(2.22 * PiB) == "2.22PiB");
  CHECK(text::bytes_size(KiB * KiB * KiB * KiB * KiB * PiB) == "1.049e+06YiB");
}

TEST_CASE("human_size = HumanSizeWithPrecision(size, 3), docker's SIZE column") {
  // docker/cli cli/command/image/formatter_history_test.go, TestHistoryContext_Size.
  CHECK(text::human_size(182964289) == "183MB");
  // docker/cli cli/command/image/testdata/history-command-success.simple.golden (Size 0).
  CHECK(text::human_size(0) == "0B");
}

TEST_CASE("human_size prints Go's %.3g, which is C's %g (glibc printf as oracle)") {
  // Go's fmt documents %g as "%e for large exponents, %f otherwise" with the
  // precision counting significant digits and trailing zeros removed — C's %g.
  // go-units' "1e+04YB" above pins the exponent form. Compare against glibc
  // printf on values around every unit boundary, including the rounding
  // carries such as 999999 -> "1e+03kB".
  const char* units[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"};
  const double bases[] = {1, 9.99, 9.995, 99.95, 99.949, 123.456, 999, 999.4, 999.5, 999.999};
  for (int u = 0; u < 9; ++u) {
    for (double b : bases) {
      const double size = b * std::pow(1000.0, u);
      // Divide exactly as go-units does to know the unit and value printed.
      double v = size;
      int i = 0;
      while (v >= 1000 && i < 8) {
        v /= 1000;
        ++i;
      }
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.3g%s", v, units[i]);
      CAPTURE(size);
      CHECK(text::human_size(size) == buf);
    }
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3g", 999999.0 / 1000);
  CHECK(text::human_size(999999) == std::string(buf) + "kB");
  CHECK(text::human_size(999999) == "1e+03kB");
}

TEST_CASE("human_size of non-finite values uses Go's spellings") {
  // golang/go src/fmt/fmt_test.go: {"%f", posInf, "+Inf"}, {"%.1f", negInf, "-Inf"},
  // and "% f" of NaN is " NaN" (so plain NaN is "NaN"); %g shares that code.
  // go-units divides +Inf down to the last unit; NaN and -Inf are never divided.
  CHECK(text::human_size(std::numeric_limits<double>::infinity()) == "+InfYB");
  CHECK(text::human_size(-std::numeric_limits<double>::infinity()) == "-InfB");
  CHECK(text::human_size(std::numeric_limits<double>::quiet_NaN()) == "NaNB");
}

// ---------------------------------------------------------------------------
// Durations

TEST_CASE("human_duration = go-units HumanDuration (TestHumanDuration)") {
  // docker/go-units duration_test.go, TestHumanDuration, in the revision that
  // tests the rounding HumanDuration (roundDuration) which docker/cli vendors
  // (docker/cli vendor/github.com/docker/go-units/duration.go).
  struct Case {
    std::int64_t d;
    const char* want;
  };
  const Case cases[] = {
      {450 * kSec / 1000, "Less than a second"},
      {1 * kSec, "1 second"},
      {45 * kSec, "45 seconds"},
      {46 * kSec, "46 seconds"},
      {59 * kSec, "59 seconds"},
      {60 * kSec, "About a minute"},
      {1 * kMin, "About a minute"},
      {3 * kMin, "3 minutes"},
      {35 * kMin, "35 minutes"},
      {35 * kMin + 40 * kSec, "35 minutes"},
      {45 * kMin, "45 minutes"},
      {45 * kMin + 40 * kSec, "45 minutes"},
      {46 * kMin, "46 minutes"},
      {59 * kMin, "59 minutes"},
      {1 * kHour, "About an hour"},
      {1 * kHour + 29 * kMin, "About an hour"},
      {1 * kHour + 31 * kMin, "2 hours"},
      {1 * kHour + 59 * kMin, "2 hours"},
      {3 * kHour, "3 hours"},
      {3 * kHour + 29 * kMin, "3 hours"},
      {3 * kHour + 31 * kMin, "4 hours"},
      {3 * kHour + 59 * kMin, "4 hours"},
      {3 * kHour + 60 * kMin, "4 hours"},
      {24 * kHour, "24 hours"},
      {1 * kDay + 12 * kHour, "36 hours"},
      {2 * kDay, "2 days"},
      {7 * kDay, "7 days"},
      {13 * kDay + 5 * kHour, "13 days"},
      {2 * kDay + 17 * kHour, "3 days"},
      {13 * kDay + 12 * kHour, "14 days"},
      {2 * kWeek, "2 weeks"},
      {2 * kWeek + 4 * kDay, "3 weeks"},
      {3 * kWeek, "3 weeks"},
      {3 * kWeek + 6 * kDay, "4 weeks"},
      {4 * kWeek, "4 weeks"},
      {4 * kWeek + 3 * kDay, "4 weeks"},
      {1 * kMonth, "4 weeks"},
      {8 * kWeek + 3 * kDay, "8 weeks"},
      {1 * kMonth + 2 * kWeek, "6 weeks"},
      {2 * kMonth, "2 months"},
      {2 * kMonth + 2 * kWeek, "2 months"},
      {3 * kMonth, "3 months"},
      {3 * kMonth + 1 * kWeek, "3 months"},
      {3 * kMonth + 20 * kDay, "4 months"},
      {5 * kMonth + 2 * kWeek, "5 months"},
      {13 * kMonth, "13 months"},
      {23 * kMonth, "23 months"},
      {24 * kMonth, "24 months"},
      {24 * kMonth + 2 * kWeek, "2 years"},
      {3 * kYear + 2 * kMonth, "3 years"},
      {3 * kYear + 8 * kMonth, "4 years"},
      {3 * kYear + 200 * kDay, "4 years"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.d);
    CHECK(text::human_duration(c.d) == c.want);
  }
}

TEST_CASE("human_duration = go-units HumanDuration (ExampleHumanDuration output)") {
  // docker/go-units duration_test.go (same revision), ExampleHumanDuration and
  // its "// Output:" block.
  struct Case {
    std::int64_t d;
    const char* want;
  };
  const Case cases[] = {
      {450 * kSec / 1000, "Less than a second"},
      {47 * kSec, "47 seconds"},
      {1 * kMin, "About a minute"},
      {3 * kMin, "3 minutes"},
      {35 * kMin, "35 minutes"},
      {35 * kMin + 40 * kSec, "35 minutes"},
      {1 * kHour, "About an hour"},
      {1 * kHour + 45 * kMin, "2 hours"},
      {3 * kHour, "3 hours"},
      {3 * kHour + 59 * kMin, "4 hours"},
      {3 * kHour + 60 * kMin, "4 hours"},
      {24 * kHour, "24 hours"},
      {24 * kHour + 12 * kHour, "36 hours"},
      {2 * 24 * kHour, "2 days"},
      {7 * 24 * kHour, "7 days"},
      {13 * 24 * kHour + 5 * kHour, "13 days"},
      {2 * 7 * 24 * kHour, "2 weeks"},
      {2 * 7 * 24 * kHour + 4 * 24 * kHour, "3 weeks"},
      {3 * 7 * 24 * kHour, "3 weeks"},
      {4 * 7 * 24 * kHour, "4 weeks"},
      {4 * 7 * 24 * kHour + 3 * 24 * kHour, "4 weeks"},
      {1 * 30 * 24 * kHour, "4 weeks"},
      {1 * 30 * 24 * kHour + 2 * 7 * 24 * kHour, "6 weeks"},
      {2 * 30 * 24 * kHour, "2 months"},
      {3 * 30 * 24 * kHour + 1 * 7 * 24 * kHour, "3 months"},
      {5 * 30 * 24 * kHour + 2 * 7 * 24 * kHour, "5 months"},
      {13 * 30 * 24 * kHour, "13 months"},
      {23 * 30 * 24 * kHour, "23 months"},
      {24 * 30 * 24 * kHour, "24 months"},
      {24 * 30 * 24 * kHour + 2 * 7 * 24 * kHour, "2 years"},
      {3 * 365 * 24 * kHour + 2 * 30 * 24 * kHour, "3 years"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.d);
    CHECK(text::human_duration(c.d) == c.want);
  }
}

TEST_CASE("human_duration of negative durations") {
  // go-units duration.go: `if seconds := int(d.Seconds()); seconds < 1` — every
  // negative duration is "Less than a second" (docker/cli golden
  // history-command-success.simple.golden shows "Less than a second ago").
  CHECK(text::human_duration(-1) == "Less than a second");
  CHECK(text::human_duration(-5 * kYear) == "Less than a second");
  CHECK(text::human_duration(std::numeric_limits<std::int64_t>::min()) == "Less than a second");
}

// ---------------------------------------------------------------------------
// CREATED columns

TEST_CASE("created_since = docker history CREATED (formatter_history.go)") {
  // Unix times from GNU date (`date -u -d … +%s`):
  const std::int64_t now = 1777593600;       // 2026-05-01T00:00:00Z
  const std::int64_t old17 = 1241136000;     // 2009-05-01T00:00:00Z, now.AddDate(-17, 0, 0)
  const std::int64_t y2000 = 946684800;      // 2000-01-01T00:00:00Z
  const std::int64_t d1980 = 342699780;      // 1980-11-10T10:23:00Z
  const std::int64_t d2005 = 1127795820;     // 2005-09-27T04:37:00Z
  const std::int64_t zero = -62135596800;    // 0001-01-01T00:00:00Z

  // docker/cli cli/command/image/formatter_history_test.go, TestHistoryContext_CreatedSince:
  // now.AddDate(0, 0, -7) -> "7 days ago".
  CHECK(text::created_since(now - 7 * 86400, now) == "7 days ago");
  // ... TestHistoryContext_Table: now.AddDate(0, 0, -1) -> "24 hours ago",
  // now.AddDate(-17, 0, 0) -> "17 years ago".
  CHECK(text::created_since(now - 86400, now) == "24 hours ago");
  CHECK(text::created_since(old17, now) == "17 years ago");
  // docker/cli golden history-command-success.simple.golden: Created = time.Now().
  CHECK(text::created_since(now, now) == "Less than a second ago");

  // docker/cli cli/command/image/formatter_history.go (current): `if c.h.Created
  // <= epoch { return "N/A" }` with epoch = time.Date(2000, 1, 1, …, UTC).Unix();
  // its test cases: the zero time and a time before 2000 are not displayed.
  CHECK(text::history_epoch_unix == y2000);
  CHECK(text::created_since(0, now) == "N/A");
  CHECK(text::created_since(zero, now) == "N/A");
  CHECK(text::created_since(d1980, now) == "N/A");
  CHECK(text::created_since(y2000, now) == "N/A");  // "<=": the epoch itself
  CHECK(text::created_since(y2000 + 1, now) == "26 years ago");
  // "A time after 2000 is displayed": 2005-09-27 is 20.6 years before now.
  CHECK(text::created_since(d2005, now) == "21 years ago");
}

TEST_CASE("image_created_since = docker images CREATED (formatter/image.go)") {
  const std::int64_t now = 1777593600;  // 2026-05-01T00:00:00Z (GNU date)
  // {{if .CreatedSince}}…{{else}}N/A{{end}}; CreatedSince is "" only when
  // time.Unix(created, 0).IsZero(), i.e. at 0001-01-01T00:00:00Z.
  CHECK(text::go_zero_time_unix == -62135596800);  // GNU date -d 0001-01-01
  CHECK(text::image_created_since(text::go_zero_time_unix, now) == "N/A");
  // Unix 0 is not Go's zero time: 56 years of 365 days (HumanDuration's year).
  CHECK(text::image_created_since(0, now) == "56 years ago");
  CHECK(text::image_created_since(now - 7 * 86400, now) == "7 days ago");
  // Go's Time.Sub saturates at maxDuration (about 292 years, go-units rounds).
  CHECK(text::image_created_since(text::go_zero_time_unix + 1, now) == "292 years ago");
}

// ---------------------------------------------------------------------------
// Times

TEST_CASE("rfc3339_at_offset = Go Time.Format(time.RFC3339)") {
  // golang/go src/time/format_test.go, rfc3339Formats (Unix times from GNU date).
  CHECK(text::rfc3339_at_offset(1221681866, 0) == "2008-09-17T20:04:26Z");
  CHECK(text::rfc3339_at_offset(779850266, -18000) == "1994-09-17T20:04:26-05:00");
  CHECK(text::rfc3339_at_offset(977777706, 15600) == "2000-12-26T01:15:06+04:20");
  // ... formatTests: Unix(0, 1233810057012345600) in PST -> "2009-02-04T21:00:57-08:00".
  CHECK(text::rfc3339_at_offset(1233810057, -8 * 3600) == "2009-02-04T21:00:57-08:00");
  // docker/cli formatter_history_test.go: 2009-11-10T23:00:00Z in UTC.
  CHECK(text::rfc3339_at_offset(1257894000, 0) == "2009-11-10T23:00:00Z");
  CHECK(text::rfc3339_at_offset(-62135596800, 0) == "0001-01-01T00:00:00Z");
}

TEST_CASE("rfc3339_at_offset: the sign comes from the offset in whole minutes") {
  // golang/go src/time/format_rfc3339.go appendFormatRFC3339: 'Z' only for a
  // zero offset; otherwise `zone := offset / 60` (truncated) and
  // `if zone < 0 { '-' } else { '+' }` — so -30 s prints "+00:00", and the
  // seconds of an offset are dropped.
  CHECK(text::rfc3339_at_offset(0, -30) == "1969-12-31T23:59:30+00:00");
  CHECK(text::rfc3339_at_offset(0, -90) == "1969-12-31T23:58:30-00:01");
  CHECK(text::rfc3339_at_offset(0, 3600 + 59) == "1970-01-01T01:00:59+01:00");
  // ... and `zone %= 3600` (minutes) before printing hours and minutes.
  CHECK(text::rfc3339_at_offset(0, 61 * 3600) == "1970-01-03T13:00:00+01:00");
}

TEST_CASE("rfc3339_at_offset years outside 1..9999, as Go's TestFormatShortYear") {
  // golang/go src/time/format_test.go, TestFormatShortYear: "%04d" of the year,
  // with a '-' in front of negative years ("-0001"). Unix times: year 1 from
  // GNU date; year 0 is a leap year (366 days) and year -1 is not (365 days)
  // in the proleptic Gregorian calendar; 10000-01-01 is one day after
  // 9999-12-31 (GNU date: 253402214400).
  const std::int64_t y1 = -62135596800;
  const std::int64_t y0 = y1 - 366 * 86400;
  const std::int64_t ym1 = y0 - 365 * 86400;
  CHECK(text::rfc3339_at_offset(y0, 0) == "0000-01-01T00:00:00Z");
  CHECK(text::rfc3339_at_offset(ym1, 0) == "-0001-01-01T00:00:00Z");
  CHECK(text::rfc3339_at_offset(253402214400 + 86400, 0) == "10000-01-01T00:00:00Z");
  CHECK(text::rfc3339_at_offset(253402300799, 0) == "9999-12-31T23:59:59Z");
  CHECK_THROWS_AS(text::rfc3339_at_offset(std::numeric_limits<std::int64_t>::max(), 0), std::out_of_range);
}

TEST_CASE("rfc3339 uses the local zone") {
  {
    // docker/cli cli/command/image/testdata/history-command-success.non-human.golden
    // is produced with TZ=UTC: 2017-01-01T12:00:03Z (GNU date: 1483272003).
    ScopedTZ tz("UTC");
    CHECK(text::rfc3339(1483272003) == "2017-01-01T12:00:03Z");
  }
  {
    // golang/go format_test.go formatTests, in the US Pacific zone (POSIX rule,
    // no tzdata needed): "2009-02-04T21:00:57-08:00".
    ScopedTZ tz("PST8PDT,M3.2.0,M11.1.0");
    CHECK(text::rfc3339(1233810057) == "2009-02-04T21:00:57-08:00");
  }
  {
    // GNU date: TZ=Asia/Kolkata date -d @0 +%FT%T%:z -> 1970-01-01T05:30:00+05:30.
    ScopedTZ tz("IST-5:30");
    CHECK(text::rfc3339(0) == "1970-01-01T05:30:00+05:30");
  }
}

TEST_CASE("parse_rfc3339 accepts image-config timestamps") {
  // Unix times from GNU date (`date -u -d <text> +%s`).
  CHECK(text::parse_rfc3339("2026-11-30T00:40:56.243425417Z") == 1795999256);
  CHECK(text::parse_rfc3339("2015-03-04T21:38:56.769279623Z") == 1425505136);
  CHECK(text::parse_rfc3339("2013-06-13T14:03:50.821769-07:00") == 1371157430);
  CHECK(text::parse_rfc3339("0001-01-01T00:00:00Z") == -62135596800);
  CHECK(text::parse_rfc3339("1970-01-01T00:00:00Z") == 0);
  CHECK(text::parse_rfc3339("9999-12-31T23:59:59Z") == 253402300799);
  // golang/go format_test.go parseTests, RFC3339 rows (Thu Feb 4 21:00:57 PST 2010).
  CHECK(text::parse_rfc3339("2010-02-04T21:00:57-08:00") == 1265346057);
  CHECK(text::parse_rfc3339("2010-02-04T21:00:57.012345678-08:00") == 1265346057);
  // Go's Time.Unix() rounds toward negative infinity: a fraction never adds a second.
  CHECK(text::parse_rfc3339("1969-12-31T23:59:59.999999999Z") == -1);
}

TEST_CASE("parse_rfc3339 validates the day of the month as Go does") {
  // golang/go format_test.go, dayOutOfRangeTests (there in ANSIC form).
  struct Case {
    const char* date;
    bool ok;
  };
  const Case cases[] = {
      {"2010-01-99", false}, {"2010-01-31", true},  {"2010-01-32", false}, {"2012-02-28", true},
      {"2012-02-29", true},  {"2010-02-29", false}, {"2010-03-31", true},  {"2010-03-32", false},
      {"2010-04-30", true},  {"2010-04-31", false}, {"2010-05-31", true},  {"2010-05-32", false},
      {"2010-06-30", true},  {"2010-06-31", false}, {"2010-07-31", true},  {"2010-07-32", false},
      {"2010-08-31", true},  {"2010-08-32", false}, {"2010-09-30", true},  {"2010-09-31", false},
      {"2010-10-31", true},  {"2010-10-32", false}, {"2010-11-30", true},  {"2010-11-31", false},
      {"2010-12-31", true},  {"2010-12-32", false}, {"2010-12-00", false},
  };
  for (const Case& c : cases) {
    const std::string s = std::string(c.date) + "T21:00:57Z";
    CAPTURE(s);
    CHECK(text::parse_rfc3339(s).has_value() == c.ok);
  }
}

TEST_CASE("parse_rfc3339 has Go's laxities and rejects the rest") {
  // Go's time.Parse(RFC3339) falls back to its layout parser, which accepts a
  // one-digit hour, ',' before the fraction and zone offsets up to 24 hours or
  // 60 minutes ("The range test use > rather than >=, as some people do write
  // offsets of 24 hours or 60 minutes", golang/go src/time/format.go;
  // go.dev/issue/54580; parseStrictRFC3339's extra checks are disabled by
  // `case true: return t, nil`, so json decoding is the same).
  CHECK(text::parse_rfc3339("2010-02-04T1:00:57Z") == 1265245257);  // GNU date 2010-02-04T01:00:57Z
  CHECK(text::parse_rfc3339("2010-02-04T21:00:57,5Z") == 1265317257);  // GNU date …T21:00:57Z
  CHECK(text::parse_rfc3339("2010-02-04T21:00:57+24:00") == 1265317257 - 24 * 3600);
  CHECK(text::parse_rfc3339("2010-02-04T21:00:57+23:60") == 1265317257 - 24 * 3600);
  CHECK(text::parse_rfc3339("2010-02-04T21:00:57-00:00") == 1265317257);
  // Rejected by Go: offset hour 25; 't'/'z' in lower case; second 60 ("second
  // out of range"); hour 24; month 13; a missing zone; trailing text; a '.'
  // without digits; a short year; garbage.
  const char* bad[] = {
      "2010-02-04T21:00:57+25:00",   "2010-02-04t21:00:57Z", "2010-02-04T21:00:57z",
      "2016-12-31T23:59:60Z",        "2010-02-04T24:00:00Z", "2010-13-04T21:00:57Z",
      "2010-02-04T21:00:57",         "2010-02-04T21:00:57Z ", "2010-02-04T21:00:57.Z",
      "210-02-04T21:00:57Z",         "2010-02-04T21:00:57+0800", "2010-02-04",
      "",                            "garbage",               "2010-02-04T21:0:57Z",
  };
  for (const char* s : bad) {
    CAPTURE(s);
    CHECK_FALSE(text::parse_rfc3339(s).has_value());
  }
}

// ---------------------------------------------------------------------------
// Truncation and widths

TEST_CASE("ellipsis = docker/cli formatter.Ellipsis") {
  // docker/cli cli/command/formatter/displayutils_test.go, TestEllipsis.
  struct Case {
    const char* source;
    std::size_t width;
    const char* expected;
  };
  const Case cases[] = {
      {"t🐳ststring", 0, ""},
      {"t🐳ststring", 1, "t"},
      {"t🐳ststring", 2, "t…"},
      {"t🐳ststring", 6, "t🐳st…"},
      {"t🐳ststring", 20, "t🐳ststring"},
      {"你好世界teststring", 0, ""},
      {"你好世界teststring", 1, "你"},
      {"你好世界teststring", 3, "你…"},
      {"你好世界teststring", 6, "你好…"},
      {"你好世界teststring", 20, "你好世界teststring"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.source);
    CAPTURE(c.width);
    CHECK(text::ellipsis(c.source, c.width) == c.expected);
  }
}

TEST_CASE("ellipsis quirk: a first rune wider than max-1 returns the input") {
  // docker/cli displayutils.go: the loop looks for i with display[i] <= max-1 <
  // display[i+1]; when the first rune alone exceeds max-1 there is none and
  // Ellipsis ends with `return s`.
  CHECK(text::ellipsis("你好世界teststring", 2) == "你好世界teststring");
}

TEST_CASE("history_created_by = docker history CREATED BY") {
  // docker/cli cli/command/image/formatter_history_test.go, TestHistoryContext_CreatedBy.
  const std::string with_tabs =
      "/bin/sh -c apt-key adv --keyserver hkp://pgp.mit.edu:80\t--recv-keys "
      "573BFD6B3D8FBC641079A6ABABF5BD827BD9BF62\t&& echo \"deb http://nginx.org/packages/mainline/debian/ "
      "jessie nginx\" >> /etc/apt/sources.list  && apt-get update  && apt-get install "
      "--no-install-recommends --no-install-suggests -y       ca-certificates       "
      "nginx=${NGINX_VERSION}       nginx-module-xslt       nginx-module-geoip       "
      "nginx-module-image-filter       nginx-module-perl       nginx-module-njs       gettext-base  && "
      "rm -rf /var/lib/apt/lists/*";
  const std::string expected =
      "/bin/sh -c apt-key adv --keyserver hkp://pgp.mit.edu:80 --recv-keys "
      "573BFD6B3D8FBC641079A6ABABF5BD827BD9BF62 && echo \"deb http://nginx.org/packages/mainline/debian/ "
      "jessie nginx\" >> /etc/apt/sources.list  && apt-get update  && apt-get install "
      "--no-install-recommends --no-install-suggests -y       ca-certificates       "
      "nginx=${NGINX_VERSION}       nginx-module-xslt       nginx-module-geoip       "
      "nginx-module-image-filter       nginx-module-perl       nginx-module-njs       gettext-base  && "
      "rm -rf /var/lib/apt/lists/*";
  CHECK(text::history_created_by(with_tabs, false) == expected);
  // Trunc: Ellipsis(expected, 45): 44 bytes and "…".
  CHECK(text::history_created_by(with_tabs, true) == "/bin/sh -c apt-key adv --keyserver hkp://pgp…");
  // ... TestHistoryContext_Table, expectedTrunc row 1.
  CHECK(text::history_created_by("/bin/bash ls && npm i && npm run test && karma -c karma.conf.js start && "
                                 "npm start && more commands here && the list goes on") ==
        "/bin/bash ls && npm i && npm run test && kar…");
}

TEST_CASE("truncate_id = moby stringid.TruncateID") {
  // moby/moby pkg/stringid/stringid_test.go.
  CHECK(text::truncate_id("90435eec5c4e124e741ef731e118be2fc799a68aba0466ec17717f24ce2ae6a2") == "90435eec5c4e");
  CHECK(text::truncate_id("sha256:4e38e38c8ce0b8d9041a9c4fefe786631d1416225e13b0bfe8cfa2321aec4bba") ==
        "4e38e38c8ce0");
  CHECK(text::truncate_id("") == "");
  CHECK(text::truncate_id("1234") == "1234");
  // docker/cli golden history-command-success.simple.golden: ID "1234567890123456789".
  CHECK(text::truncate_id("1234567890123456789") == "123456789012");
}

TEST_CASE("display_width and rune_count") {
  // docker/cli tabwriter_test.go test "11" pads "本" as two columns and "本本本"
  // as six (go-runewidth); upstream Go's test "11" counts them as 1 and 3 runes.
  CHECK(text::display_width("本") == 2);
  CHECK(text::display_width("本本本") == 6);
  CHECK(text::rune_count("本本本") == 3);
  // docker/cli history tables align "kar…" in a 45-column cell: "…" is 1 wide.
  CHECK(text::display_width("…") == 1);
  CHECK(text::display_width("/bin/bash ls && npm i && npm run test && kar…") == 45);
  // tabwriter test "12a": "èèèè" (precomposed U+00E8) is 4 columns.
  CHECK(text::display_width("èèèè") == 4);
  // Go decodes each invalid byte as one rune (U+FFFD).
  CHECK(text::rune_count("a\xff\xfe" "b") == 4);
}

TEST_CASE("display_width = go-runewidth widths (EastAsianWidth=false)") {
  // mattn/go-runewidth runewidth_test.go, runewidthtests (the `out` column,
  // EastAsianWidth=false), one rune at a time.
  struct Case {
    const char* in;
    std::size_t out;
  };
  const Case runes[] = {
      {"世", 2}, {"界", 2}, {"ｾ", 1}, {"ｶ", 1}, {"ｲ", 1}, {"☆", 1}, {"☺", 1},
      {"☻", 1},  {"♥", 1},  {"♦", 1}, {"♣", 1}, {"♠", 1}, {"♂", 1}, {"♀", 1},
      {"♪", 1},  {"♫", 1},  {"☼", 1}, {"↕", 1}, {"‼", 1}, {"↔", 1}, {"\x01", 0},
      {"\u0300", 0}, {"\u2028", 0}, {"\u2029", 0}, {"a", 1}, {"⟦", 1}, {"👁", 1},
  };
  for (const Case& c : runes) {
    CAPTURE(c.in);
    CHECK(text::display_width(c.in) == c.out);
  }
  CHECK(text::display_width(std::string_view("\0", 1)) == 0);  // {'\x00', 0, …}
  // ... stringwidthtests (`out` column) and TestStringWidthInvalid.
  CHECK(text::display_width("■㈱の世界①") == 10);
  CHECK(text::display_width("スター☆") == 7);
  CHECK(text::display_width("つのだ☆HIRO") == 11);
  CHECK(text::display_width(std::string_view("こんにちわ\0世界", 22)) == 14);
  // ... TestZeroWidthJoiner, the cases where summing rune widths agrees with
  // go-runewidth's grapheme clusters. (It does not for "👩\u200d🍳" (2),
  // "👨\u200d👨" (2), "👨\u200d👨\u200d👧" (2), "🏳️\u200d🌈" (1) and
  // "あ👩\u200d🍳い" (6): a documented deviation of display_width.)
  CHECK(text::display_width("👩") == 2);
  CHECK(text::display_width("👩\u200d") == 2);
  CHECK(text::display_width("\u200d🍳") == 2);
  CHECK(text::display_width("あ\u200d🍳い") == 6);
  CHECK(text::display_width("あ\u200dい") == 4);
}

// ---------------------------------------------------------------------------
// TabWriter

namespace {

struct TabCase {
  const char* name;
  int minwidth, tabwidth, padding;
  char padchar;
  unsigned flags;
  std::string src, expected;
};

using TW = text::TabWriter;

// docker/cli cli/command/formatter/tabwriter/tabwriter_test.go `tests` (a copy
// of golang/go src/text/tabwriter/tabwriter_test.go), except case "11", whose
// expected output differs between the two and is tested separately below.
const std::vector<TabCase>& go_tab_cases() {
  static const std::vector<TabCase> cases = {
      {"1a", 8, 0, 1, '.', 0, "", ""},
      {"1a debug", 8, 0, 1, '.', TW::debug, "", ""},
      {"1b esc stripped", 8, 0, 1, '.', TW::strip_escape, "\xff\xff", ""},
      {"1b esc", 8, 0, 1, '.', 0, "\xff\xff", "\xff\xff"},
      {"1c esc stripped", 8, 0, 1, '.', TW::strip_escape, "\xff\t\xff", "\t"},
      {"1c esc", 8, 0, 1, '.', 0, "\xff\t\xff", "\xff\t\xff"},
      {"1d esc stripped", 8, 0, 1, '.', TW::strip_escape, "\xff\"foo\t\n\tbar\"\xff", "\"foo\t\n\tbar\""},
      {"1d esc", 8, 0, 1, '.', 0, "\xff\"foo\t\n\tbar\"\xff", "\xff\"foo\t\n\tbar\"\xff"},
      {"1e esc stripped", 8, 0, 1, '.', TW::strip_escape, "abc\xff\tdef", "abc\tdef"},
      {"1e esc", 8, 0, 1, '.', 0, "abc\xff\tdef", "abc\xff\tdef"},
      {"2", 8, 0, 1, '.', 0, "\n\n\n", "\n\n\n"},
      {"3", 8, 0, 1, '.', 0, "a\nb\nc", "a\nb\nc"},
      {"4a", 8, 0, 1, '.', 0, "\t", ""},
      {"4b", 8, 0, 1, '.', TW::align_right, "\t", ""},
      {"5", 8, 0, 1, '.', 0, "*\t*", "*.......*"},
      {"5b", 8, 0, 1, '.', 0, "*\t*\n", "*.......*\n"},
      {"5c", 8, 0, 1, '.', 0, "*\t*\t", "*.......*"},
      {"5c debug", 8, 0, 1, '.', TW::debug, "*\t*\t", "*.......|*"},
      {"5d", 8, 0, 1, '.', TW::align_right, "*\t*\t", ".......**"},
      {"6", 8, 0, 1, '.', 0, "\t\n", "........\n"},
      {"7a", 8, 0, 1, '.', 0, "a) foo", "a) foo"},
      {"7b", 8, 0, 1, ' ', 0, "b) foo\tbar", "b) foo  bar"},
      {"7c", 8, 0, 1, '.', 0, "c) foo\tbar\t", "c) foo..bar"},
      {"7d", 8, 0, 1, '.', 0, "d) foo\tbar\n", "d) foo..bar\n"},
      {"7e", 8, 0, 1, '.', 0, "e) foo\tbar\t\n", "e) foo..bar.....\n"},
      {"7f", 8, 0, 1, '.', TW::filter_html, "f) f&lt;o\t<b>bar</b>\t\n", "f) f&lt;o..<b>bar</b>.....\n"},
      {"7g", 8, 0, 1, '.', TW::filter_html, "g) f&lt;o\t<b>bar</b>\t non-terminated entity &amp",
       "g) f&lt;o..<b>bar</b>..... non-terminated entity &amp"},
      {"7g debug", 8, 0, 1, '.', TW::filter_html | TW::debug,
       "g) f&lt;o\t<b>bar</b>\t non-terminated entity &amp",
       "g) f&lt;o..|<b>bar</b>.....| non-terminated entity &amp"},
      {"8", 8, 0, 1, '*', 0, "Hello, world!\n", "Hello, world!\n"},
      {"9a", 1, 0, 0, '.', 0,
       "1\t2\t3\t4\n"
       "11\t222\t3333\t44444\n",
       "1.2..3...4\n"
       "11222333344444\n"},
      {"9b", 1, 0, 0, '.', TW::filter_html,
       "1\t2<!---\f--->\t3\t4\n"
       "11\t222\t3333\t44444\n",
       "1.2<!---\f--->..3...4\n"
       "11222333344444\n"},
      {"9c", 1, 0, 0, '.', 0,
       "1\t2\t3\t4\f"
       "11\t222\t3333\t44444\n",
       "1234\n"
       "11222333344444\n"},
      {"9c debug", 1, 0, 0, '.', TW::debug,
       "1\t2\t3\t4\f"
       "11\t222\t3333\t44444\n",
       "1|2|3|4\n"
       "---\n"
       "11|222|3333|44444\n"},
      {"10a", 5, 0, 0, '.', 0, "1\t2\t3\t4\n", "1....2....3....4\n"},
      {"10b", 5, 0, 0, '.', 0, "1\t2\t3\t4\t\n", "1....2....3....4....\n"},
      {"12a", 8, 0, 1, ' ', TW::align_right,
       "a\tè\tc\t\n"
       "aa\tèèè\tcccc\tddddd\t\n"
       "aaa\tèèèè\t\n",
       "       a       è       c\n"
       "      aa     èèè    cccc   ddddd\n"
       "     aaa    èèèè\n"},
      {"12b", 2, 0, 0, ' ', 0,
       "a\tb\tc\n"
       "aa\tbbb\tcccc\n"
       "aaa\tbbbb\n",
       "a  b  c\n"
       "aa bbbcccc\n"
       "aaabbbb\n"},
      {"12c", 8, 0, 1, '_', 0,
       "a\tb\tc\n"
       "aa\tbbb\tcccc\n"
       "aaa\tbbbb\n",
       "a_______b_______c\n"
       "aa______bbb_____cccc\n"
       "aaa_____bbbb\n"},
      {"13a", 4, 0, 1, '-', 0,
       "4444\t日本語\t22\t1\t333\n"
       "999999999\t22\n"
       "7\t22\n"
       "\t\t\t88888888\n"
       "\n"
       "666666\t666666\t666666\t4444\n"
       "1\t1\t999999999\t0000000000\n",
       "4444------日本語-22--1---333\n"
       "999999999-22\n"
       "7---------22\n"
       "------------------88888888\n"
       "\n"
       "666666-666666-666666----4444\n"
       "1------1------999999999-0000000000\n"},
      {"13b", 4, 0, 3, '.', 0,
       "4444\t333\t22\t1\t333\n"
       "999999999\t22\n"
       "7\t22\n"
       "\t\t\t88888888\n"
       "\n"
       "666666\t666666\t666666\t4444\n"
       "1\t1\t999999999\t0000000000\n",
       "4444........333...22...1...333\n"
       "999999999...22\n"
       "7...........22\n"
       "....................88888888\n"
       "\n"
       "666666...666666...666666......4444\n"
       "1........1........999999999...0000000000\n"},
      {"13c", 8, 8, 1, '\t', TW::filter_html,
       "4444\t333\t22\t1\t333\n"
       "999999999\t22\n"
       "7\t22\n"
       "\t\t\t88888888\n"
       "\n"
       "666666\t666666\t666666\t4444\n"
       "1\t1\t<font color=red attr=日本語>999999999</font>\t0000000000\n",
       "4444\t\t333\t22\t1\t333\n"
       "999999999\t22\n"
       "7\t\t22\n"
       "\t\t\t\t88888888\n"
       "\n"
       "666666\t666666\t666666\t\t4444\n"
       "1\t1\t<font color=red attr=日本語>999999999</font>\t0000000000\n"},
      {"14", 1, 0, 2, ' ', TW::align_right,
       ".0\t.3\t2.4\t-5.1\t\n"
       "23.0\t12345678.9\t2.4\t-989.4\t\n"
       "5.1\t12.0\t2.4\t-7.0\t\n"
       ".0\t0.0\t332.0\t8908.0\t\n"
       ".0\t-.3\t456.4\t22.1\t\n"
       ".0\t1.2\t44.4\t-13.3\t\t",
       "    .0          .3    2.4    -5.1\n"
       "  23.0  12345678.9    2.4  -989.4\n"
       "   5.1        12.0    2.4    -7.0\n"
       "    .0         0.0  332.0  8908.0\n"
       "    .0         -.3  456.4    22.1\n"
       "    .0         1.2   44.4   -13.3"},
      {"14 debug", 1, 0, 2, ' ', TW::align_right | TW::debug,
       ".0\t.3\t2.4\t-5.1\t\n"
       "23.0\t12345678.9\t2.4\t-989.4\t\n"
       "5.1\t12.0\t2.4\t-7.0\t\n"
       ".0\t0.0\t332.0\t8908.0\t\n"
       ".0\t-.3\t456.4\t22.1\t\n"
       ".0\t1.2\t44.4\t-13.3\t\t",
       "    .0|          .3|    2.4|    -5.1|\n"
       "  23.0|  12345678.9|    2.4|  -989.4|\n"
       "   5.1|        12.0|    2.4|    -7.0|\n"
       "    .0|         0.0|  332.0|  8908.0|\n"
       "    .0|         -.3|  456.4|    22.1|\n"
       "    .0|         1.2|   44.4|   -13.3|"},
      {"15a", 4, 0, 0, '.', 0, "a\t\tb", "a.......b"},
      {"15b", 4, 0, 0, '.', TW::discard_empty_columns, "a\t\tb", "a.......b"},
      {"15c", 4, 0, 0, '.', TW::discard_empty_columns, "a\v\vb", "a...b"},
      {"15d", 4, 0, 0, '.', TW::align_right | TW::discard_empty_columns, "a\v\vb", "...ab"},
      {"16a", 100, 100, 0, '\t', 0,
       "a\tb\t\td\n"
       "a\tb\t\td\te\n"
       "a\n"
       "a\tb\tc\td\n"
       "a\tb\tc\td\te\n",
       "a\tb\t\td\n"
       "a\tb\t\td\te\n"
       "a\n"
       "a\tb\tc\td\n"
       "a\tb\tc\td\te\n"},
      {"16b", 100, 100, 0, '\t', TW::discard_empty_columns,
       "a\vb\v\vd\n"
       "a\vb\v\vd\ve\n"
       "a\n"
       "a\vb\vc\vd\n"
       "a\vb\vc\vd\ve\n",
       "a\tb\td\n"
       "a\tb\td\te\n"
       "a\n"
       "a\tb\tc\td\n"
       "a\tb\tc\td\te\n"},
      {"16b debug", 100, 100, 0, '\t', TW::discard_empty_columns | TW::debug,
       "a\vb\v\vd\n"
       "a\vb\v\vd\ve\n"
       "a\n"
       "a\vb\vc\vd\n"
       "a\vb\vc\vd\ve\n",
       "a\t|b\t||d\n"
       "a\t|b\t||d\t|e\n"
       "a\n"
       "a\t|b\t|c\t|d\n"
       "a\t|b\t|c\t|d\t|e\n"},
      {"16c", 100, 100, 0, '\t', TW::discard_empty_columns,
       "a\tb\t\td\n"
       "a\tb\t\td\te\n"
       "a\n"
       "a\tb\tc\td\n"
       "a\tb\tc\td\te\n",
       "a\tb\t\td\n"
       "a\tb\t\td\te\n"
       "a\n"
       "a\tb\tc\td\n"
       "a\tb\tc\td\te\n"},
      {"16c debug", 100, 100, 0, '\t', TW::discard_empty_columns | TW::debug,
       "a\tb\t\td\n"
       "a\tb\t\td\te\n"
       "a\n"
       "a\tb\tc\td\n"
       "a\tb\tc\td\te\n",
       "a\t|b\t|\t|d\n"
       "a\t|b\t|\t|d\t|e\n"
       "a\n"
       "a\t|b\t|c\t|d\n"
       "a\t|b\t|c\t|d\t|e\n"},
  };
  return cases;
}

// Like the Go test's check(): write all at once, byte by byte, and in
// Fibonacci-sized slices; each must produce the expected output.
void check_tab(const TabCase& c, TW::WidthMode mode) {
  TW::Options o;
  o.minwidth = c.minwidth;
  o.tabwidth = c.tabwidth;
  o.padding = c.padding;
  o.padchar = c.padchar;
  o.flags = c.flags;
  o.width_mode = mode;
  CAPTURE(c.name);
  {
    TW w(o);
    w.write(c.src);
    CHECK(w.str() == c.expected);  // str() does not modify…
    w.flush();
    CHECK(w.output() == c.expected);  // …and flush() gives the same
  }
  {
    TW w(o);
    for (char ch : c.src) w.write(std::string_view(&ch, 1));
    w.flush();
    CHECK(w.output() == c.expected);
  }
  {
    TW w(o);
    const std::string_view src = c.src;
    for (std::size_t i = 0, d = 0; i < src.size();) {
      w.write(src.substr(i, d));
      i += d;
      d += 1;
      if (i + d > src.size()) d = src.size() - i;
    }
    w.flush();
    CHECK(w.output() == c.expected);
  }
}

}  // namespace

TEST_CASE("TabWriter reproduces Go's tabwriter test table (docker fork, display widths)") {
  for (const TabCase& c : go_tab_cases()) check_tab(c, TW::WidthMode::display);
}

TEST_CASE("TabWriter reproduces Go's tabwriter test table (upstream, rune widths)") {
  for (const TabCase& c : go_tab_cases()) check_tab(c, TW::WidthMode::runes);
}

TEST_CASE("TabWriter test 11: wide characters") {
  const std::string src =
      "本\tb\tc\n"
      "aa\t本本本\tcccc\tddddd\n"
      "aaa\tbbbb\n";
  // docker/cli cli/command/formatter/tabwriter/tabwriter_test.go, "11" (go-runewidth).
  check_tab({"11 docker", 8, 0, 1, '.', 0, src,
             "本......b.......c\n"
             "aa......本本本..cccc....ddddd\n"
             "aaa.....bbbb\n"},
            TW::WidthMode::display);
  // golang/go src/text/tabwriter/tabwriter_test.go, "11" (rune counts).
  check_tab({"11 go", 8, 0, 1, '.', 0, src,
             "本.......b.......c\n"
             "aa......本本本.....cccc....ddddd\n"
             "aaa.....bbbb\n"},
            TW::WidthMode::runes);
}

TEST_CASE("TabWriter rejects negative settings like Go's Init") {
  TW::Options o;
  o.padding = -1;
  CHECK_THROWS_AS(TW{o}, std::invalid_argument);
}

TEST_CASE("docker history tables (golden files)") {
  // docker/cli cli/command/image/testdata/history-command-success.simple.golden
  // (ID 1234567890123456789, Created now, CreatedBy "", Size 0, Comment "none").
  const std::int64_t now = 1777593600;
  CHECK(table({{"IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT"},
               {text::truncate_id("1234567890123456789"), text::created_since(now, now),
                text::history_created_by(""), text::human_size(0), "none"}}) ==
        "IMAGE          CREATED                  CREATED BY   SIZE      COMMENT\n"
        "123456789012   Less than a second ago                0B        none\n");
  // ... history-command-success.platform.golden: no comment, so the padded
  // SIZE cell leaves trailing spaces and the empty last cell adds none.
  CHECK(table({{"IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT"},
               {text::truncate_id("1234567890123456789"), text::created_since(now, now),
                text::history_created_by(""), text::human_size(0), ""}}) ==
        "IMAGE          CREATED                  CREATED BY   SIZE      COMMENT\n"
        "123456789012   Less than a second ago                0B        \n");
  // ... history-command-success.non-human.golden (--human=false, TZ=UTC): CREATED
  // AT is RFC 3339 and SIZE the plain byte count.
  ScopedTZ tz("UTC");
  CHECK(table({{"IMAGE", "CREATED AT", "CREATED BY", "SIZE", "COMMENT"},
               {text::truncate_id("abcdef"), text::rfc3339(1483272003), text::history_created_by("rose"), "0",
                "new history item!"}}) ==
        "IMAGE     CREATED AT             CREATED BY   SIZE      COMMENT\n"
        "abcdef    2017-01-01T12:00:03Z   rose         0         new history item!\n");
}

TEST_CASE("docker history table (formatter_history_test.go TestHistoryContext_Table)") {
  // docker/cli cli/command/image/formatter_history_test.go (the revision with
  // imageID5/imageID6). In that revision CreatedSince of Created 0 was "", so
  // imageID5's cell is given as "" here; current docker prints "N/A" (see the
  // created_since test).
  const std::int64_t now = 1777593600;     // 2026-05-01T00:00:00Z (GNU date)
  const std::int64_t day_ago = now - 86400;  // time.Now().AddDate(0, 0, -1)
  const std::int64_t old17 = 1241136000;   // time.Now().AddDate(-17, 0, 0): 2009-05-01 (GNU date)
  const std::string long_cmd =
      "/bin/bash ls && npm i && npm run test && karma -c karma.conf.js start && npm start && more commands "
      "here && the list goes on";
  struct Item {
    const char* id;
    std::string created;
    std::string created_by;
  };
  const Item items[] = {
      {"imageID1", text::created_since(day_ago, now), long_cmd},
      {"imageID2", text::created_since(day_ago, now), "/bin/bash echo"},
      {"imageID3", text::created_since(day_ago, now), "/bin/bash ls"},
      {"imageID4", text::created_since(day_ago, now), "/bin/bash grep"},
      {"imageID5", "", "/bin/bash echo"},
      {"imageID6", text::created_since(old17, now), "/bin/bash echo"},
  };
  for (bool trunc : {true, false}) {
    std::vector<std::vector<std::string>> rows = {{"IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT"}};
    for (const Item& it : items)
      rows.push_back({trunc ? text::truncate_id(it.id) : std::string(it.id), it.created,
                      text::history_created_by(it.created_by, trunc), text::human_size(182964289), "Hi"});
    const std::string got = table(rows);
    if (trunc) {
      CHECK(got ==
            "IMAGE      CREATED        CREATED BY                                      SIZE      COMMENT\n"
            "imageID1   24 hours ago   /bin/bash ls && npm i && npm run test && kar…   183MB     Hi\n"
            "imageID2   24 hours ago   /bin/bash echo                                  183MB     Hi\n"
            "imageID3   24 hours ago   /bin/bash ls                                    183MB     Hi\n"
            "imageID4   24 hours ago   /bin/bash grep                                  183MB     Hi\n"
            "imageID5                  /bin/bash echo                                  183MB     Hi\n"
            "imageID6   17 years ago   /bin/bash echo                                  183MB     Hi\n");
    } else {
      CHECK(got ==
            "IMAGE      CREATED        CREATED BY                                                                 "
            "                                                    SIZE      COMMENT\n"
            "imageID1   24 hours ago   /bin/bash ls && npm i && npm run test && karma -c karma.conf.js start && "
            "npm start && more commands here && the list goes on   183MB     Hi\n"
            "imageID2   24 hours ago   /bin/bash echo                                                             "
            "                                                    183MB     Hi\n"
            "imageID3   24 hours ago   /bin/bash ls                                                               "
            "                                                    183MB     Hi\n"
            "imageID4   24 hours ago   /bin/bash grep                                                             "
            "                                                    183MB     Hi\n"
            "imageID5                  /bin/bash echo                                                             "
            "                                                    183MB     Hi\n"
            "imageID6   17 years ago   /bin/bash echo                                                             "
            "                                                    183MB     Hi\n");
    }
  }
}

// ---------------------------------------------------------------------------
// Image references

TEST_CASE("split_repo_tag: familiar names (distribution/reference TestParseRepositoryInfo)") {
  // distribution/reference normalize_test.go, TestParseRepositoryInfo: every
  // spelling (familiar, full, ambiguous) has the familiar name given. docker
  // images prints that name as REPOSITORY and the tag as TAG
  // (docker/cli cli/command/formatter/image.go).
  struct Case {
    const char* familiar;
    std::vector<const char*> spellings;
  };
  const Case cases[] = {
      {"fooo/bar", {"fooo/bar", "docker.io/fooo/bar", "index.docker.io/fooo/bar"}},
      {"ubuntu", {"ubuntu", "docker.io/library/ubuntu", "library/ubuntu"}},
      {"nonlibrary/ubuntu", {"nonlibrary/ubuntu", "docker.io/nonlibrary/ubuntu"}},
      {"other/library", {"other/library", "docker.io/other/library"}},
      {"127.0.0.1:8000/private/moonbase", {"127.0.0.1:8000/private/moonbase"}},
      {"127.0.0.1:8000/privatebase", {"127.0.0.1:8000/privatebase"}},
      {"example.com/private/moonbase", {"example.com/private/moonbase"}},
      {"example.com/privatebase", {"example.com/privatebase"}},
      {"example.com:8000/private/moonbase", {"example.com:8000/private/moonbase"}},
      {"example.com:8000/privatebasee", {"example.com:8000/privatebasee"}},
      {"ubuntu-12.04-base",
       {"ubuntu-12.04-base", "docker.io/library/ubuntu-12.04-base", "index.docker.io/library/ubuntu-12.04-base"}},
      {"foo", {"foo", "docker.io/library/foo", "docker.io/foo"}},
      {"library/foo/bar", {"library/foo/bar", "docker.io/library/foo/bar"}},
      {"store/foo/bar", {"store/foo/bar", "docker.io/store/foo/bar"}},
      {"Foo/bar", {"Foo/bar"}},
      {"FOO/bar", {"FOO/bar"}},
  };
  for (const Case& c : cases) {
    for (const char* s : c.spellings) {
      CAPTURE(s);
      CHECK(text::split_repo_tag(std::string(s) + ":1.0") ==
            std::pair<std::string, std::string>(c.familiar, "1.0"));
      // Without a tag: docker would skip such a RepoTags entry; TAG is "<none>".
      CHECK(text::split_repo_tag(s) == std::pair<std::string, std::string>(c.familiar, "<none>"));
    }
  }
}

TEST_CASE("split_repo_tag: tags, digests, registries with ports, dangling") {
  using P = std::pair<std::string, std::string>;
  // distribution/reference normalize_test.go TestParseReferenceWithTagAndDigest:
  // "busybox:latest@sha256:…" is tagged ("latest") and named "busybox".
  CHECK(text::split_repo_tag("busybox:latest@sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa") ==
        P("busybox", "latest"));
  // TestParseAnyReference: "redis@sha256:…" is docker.io/library/redis; docker/cli
  // image.go shows digest-only references with TAG "<none>".
  CHECK(text::split_repo_tag("redis@sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c") ==
        P("redis", "<none>"));
  CHECK(text::split_repo_tag(
            "docker.io/dmcgowan/myapp@sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c") ==
        P("dmcgowan/myapp", "<none>"));
  // TestNormalizedSplitHostname: "test.com:8080/foo" has domain test.com:8080,
  // "test-com:8080/foo" domain test-com:8080 (the ':' marks a domain, not a tag).
  CHECK(text::split_repo_tag("test.com:8080/foo") == P("test.com:8080/foo", "<none>"));
  CHECK(text::split_repo_tag("test-com:8080/foo:v2") == P("test-com:8080/foo", "v2"));
  CHECK(text::split_repo_tag("test_com/foo:1") == P("test_com/foo", "1"));
  // distribution/reference normalize.go splitDockerDomain: "localhost is a
  // reserved namespace and always considered a domain".
  CHECK(text::split_repo_tag("localhost/corpus/base:1.0") == P("localhost/corpus/base", "1.0"));
  // docker/cli image.go isDangling: "<none>:<none>" / "<none>@<none>" rows.
  CHECK(text::split_repo_tag("<none>:<none>") == P("<none>", "<none>"));
  CHECK(text::split_repo_tag("<none>@<none>") == P("<none>", "<none>"));
}
