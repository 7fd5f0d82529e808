// lib/text.cpp — see include/layerkit/text.hpp for the behaviour and the Go code
// each function reproduces.
#include "layerkit/text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <limits>
#include <stdexcept>

namespace layerkit::text {
namespace {

// ---------------------------------------------------------------------------
// UTF-8, decoded as Go decodes it (unicode/utf8.DecodeRune): an invalid or
// truncated sequence, an overlong form, a surrogate or a value above U+10FFFF
// yields U+FFFD and consumes exactly one byte.

constexpr char32_t kRuneError = 0xFFFD;

struct Decoded {
  char32_t rune;
  std::size_t size;
};

Decoded decode_rune(std::string_view s, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char c0 = byte(0);
  if (c0 < 0x80) return {c0, 1};
  const Decoded bad{kRuneError, 1};
  const std::size_t left = s.size() - i;
  auto is_cont = [&](std::size_t k, unsigned char lo = 0x80, unsigned char hi = 0xBF) {
    return k < left && byte(k) >= lo && byte(k) <= hi;
  };
  if (c0 >= 0xC2 && c0 <= 0xDF) {
    if (!is_cont(1)) return bad;
    return {static_cast<char32_t>(((c0 & 0x1Fu) << 6) | (byte(1) & 0x3Fu)), 2};
  }
  if (c0 >= 0xE0 && c0 <= 0xEF) {
    const unsigned char lo = c0 == 0xE0 ? 0xA0 : 0x80;  // no overlong forms
    const unsigned char hi = c0 == 0xED ? 0x9F : 0xBF;  // no surrogates
    if (!is_cont(1, lo, hi) || !is_cont(2)) return bad;
    return {static_cast<char32_t>(((c0 & 0x0Fu) << 12) | ((byte(1) & 0x3Fu) << 6) | (byte(2) & 0x3Fu)), 3};
  }
  if (c0 >= 0xF0 && c0 <= 0xF4) {
    const unsigned char lo = c0 == 0xF0 ? 0x90 : 0x80;  // no overlong forms
    const unsigned char hi = c0 == 0xF4 ? 0x8F : 0xBF;  // nothing above U+10FFFF
    if (!is_cont(1, lo, hi) || !is_cont(2) || !is_cont(3)) return bad;
    return {static_cast<char32_t>(((c0 & 0x07u) << 18) | ((byte(1) & 0x3Fu) << 12) | ((byte(2) & 0x3Fu) << 6) |
                                  (byte(3) & 0x3Fu)),
            4};
  }
  return bad;
}

std::vector<char32_t> decode_all(std::string_view s) {
  std::vector<char32_t> runes;
  runes.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const Decoded d = decode_rune(s, i);
    runes.push_back(d.rune);
    i += d.size;
  }
  return runes;
}

void append_rune(std::string& out, char32_t r) {
  if (r < 0x80) {
    out += static_cast<char>(r);
  } else if (r < 0x800) {
    out += static_cast<char>(0xC0 | (r >> 6));
    out += static_cast<char>(0x80 | (r & 0x3F));
  } else if (r < 0x10000) {
    out += static_cast<char>(0xE0 | (r >> 12));
    out += static_cast<char>(0x80 | ((r >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (r & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (r >> 18));
    out += static_cast<char>(0x80 | ((r >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((r >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (r & 0x3F));
  }
}

std::string encode_runes(const std::vector<char32_t>& runes, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n && i < runes.size(); ++i) append_rune(out, runes[i]);
  return out;
}

// ---------------------------------------------------------------------------
// Width tables, generated from Unicode 14.0 data (Python unicodedata):
//   kWide      East_Asian_Width W or F, plus the CJK blocks that
//              EastAsianWidth.txt defaults to W when unassigned.
//   kCombining general category Mn or Me, names containing COMBINING,
//              variation selectors (go-runewidth script/generate.go's rule).
//   kNarrow    East_Asian_Width Na at or above U+0300.

struct Range {
  char32_t first, last;
};

// 121 ranges
constexpr Range kWide[] = {
    {0x1100, 0x115F}, {0x231A, 0x231B}, {0x2329, 0x232A}, {0x23E9, 0x23EC}, {0x23F0, 0x23F0},
    {0x23F3, 0x23F3}, {0x25FD, 0x25FE}, {0x2614, 0x2615}, {0x2648, 0x2653}, {0x267F, 0x267F},
    {0x2693, 0x2693}, {0x26A1, 0x26A1}, {0x26AA, 0x26AB}, {0x26BD, 0x26BE}, {0x26C4, 0x26C5},
    {0x26CE, 0x26CE}, {0x26D4, 0x26D4}, {0x26EA, 0x26EA}, {0x26F2, 0x26F3}, {0x26F5, 0x26F5},
    {0x26FA, 0x26FA}, {0x26FD, 0x26FD}, {0x2705, 0x2705}, {0x270A, 0x270B}, {0x2728, 0x2728},
    {0x274C, 0x274C}, {0x274E, 0x274E}, {0x2753, 0x2755}, {0x2757, 0x2757}, {0x2795, 0x2797},
    {0x27B0, 0x27B0}, {0x27BF, 0x27BF}, {0x2B1B, 0x2B1C}, {0x2B50, 0x2B50}, {0x2B55, 0x2B55},
    {0x2E80, 0x2E99}, {0x2E9B, 0x2EF3}, {0x2F00, 0x2FD5}, {0x2FF0, 0x2FFB}, {0x3000, 0x303E},
    {0x3041, 0x3096}, {0x3099, 0x30FF}, {0x3105, 0x312F}, {0x3131, 0x318E}, {0x3190, 0x31E3},
    {0x31F0, 0x321E}, {0x3220, 0x3247}, {0x3250, 0x4DBF}, {0x4E00, 0xA48C}, {0xA490, 0xA4C6},
    {0xA960, 0xA97C}, {0xAC00, 0xD7A3}, {0xF900, 0xFAFF}, {0xFE10, 0xFE19}, {0xFE30, 0xFE52},
    {0xFE54, 0xFE66}, {0xFE68, 0xFE6B}, {0xFF01, 0xFF60}, {0xFFE0, 0xFFE6}, {0x16FE0, 0x16FE4},
    {0x16FF0, 0x16FF1}, {0x17000, 0x187F7}, {0x18800, 0x18CD5}, {0x18D00, 0x18D08},
    {0x1AFF0, 0x1AFF3}, {0x1AFF5, 0x1AFFB}, {0x1AFFD, 0x1AFFE}, {0x1B000, 0x1B122},
    {0x1B150, 0x1B152}, {0x1B164, 0x1B167}, {0x1B170, 0x1B2FB}, {0x1F004, 0x1F004},
    {0x1F0CF, 0x1F0CF}, {0x1F18E, 0x1F18E}, {0x1F191, 0x1F19A}, {0x1F200, 0x1F202},
    {0x1F210, 0x1F23B}, {0x1F240, 0x1F248}, {0x1F250, 0x1F251}, {0x1F260, 0x1F265},
    {0x1F300, 0x1F320}, {0x1F32D, 0x1F335}, {0x1F337, 0x1F37C}, {0x1F37E, 0x1F393},
    {0x1F3A0, 0x1F3CA}, {0x1F3CF, 0x1F3D3}, {0x1F3E0, 0x1F3F0}, {0x1F3F4, 0x1F3F4},
    {0x1F3F8, 0x1F43E}, {0x1F440, 0x1F440}, {0x1F442, 0x1F4FC}, {0x1F4FF, 0x1F53D},
    {0x1F54B, 0x1F54E}, {0x1F550, 0x1F567}, {0x1F57A, 0x1F57A}, {0x1F595, 0x1F596},
    {0x1F5A4, 0x1F5A4}, {0x1F5FB, 0x1F64F}, {0x1F680, 0x1F6C5}, {0x1F6CC, 0x1F6CC},
    {0x1F6D0, 0x1F6D2}, {0x1F6D5, 0x1F6D7}, {0x1F6DD, 0x1F6DF}, {0x1F6EB, 0x1F6EC},
    {0x1F6F4, 0x1F6FC}, {0x1F7E0, 0x1F7EB}, {0x1F7F0, 0x1F7F0}, {0x1F90C, 0x1F93A},
    {0x1F93C, 0x1F945}, {0x1F947, 0x1F9FF}, {0x1FA70, 0x1FA74}, {0x1FA78, 0x1FA7C},
    {0x1FA80, 0x1FA86}, {0x1FA90, 0x1FAAC}, {0x1FAB0, 0x1FABA}, {0x1FAC0, 0x1FAC5},
    {0x1FAD0, 0x1FAD9}, {0x1FAE0, 0x1FAE7}, {0x1FAF0, 0x1FAF6}, {0x20000, 0x2FFFD},
    {0x30000, 0x3FFFD},
};
// 334 ranges
constexpr Range kCombining[] = {
    {0x0300, 0x036F}, {0x0483, 0x0489}, {0x0591, 0x05BD}, {0x05BF, 0x05BF}, {0x05C1, 0x05C2},
    {0x05C4, 0x05C5}, {0x05C7, 0x05C7}, {0x0610, 0x061A}, {0x064B, 0x065F}, {0x0670, 0x0670},
    {0x06D6, 0x06DC}, {0x06DF, 0x06E4}, {0x06E7, 0x06E8}, {0x06EA, 0x06ED}, {0x0711, 0x0711},
    {0x0730, 0x074A}, {0x07A6, 0x07B0}, {0x07EB, 0x07F3}, {0x07FD, 0x07FD}, {0x0816, 0x0819},
    {0x081B, 0x0823}, {0x0825, 0x0827}, {0x0829, 0x082D}, {0x0859, 0x085B}, {0x0898, 0x089F},
    {0x08CA, 0x08E1}, {0x08E3, 0x0902}, {0x093A, 0x093A}, {0x093C, 0x093C}, {0x0941, 0x0948},
    {0x094D, 0x094D}, {0x0951, 0x0957}, {0x0962, 0x0963}, {0x0981, 0x0981}, {0x09BC, 0x09BC},
    {0x09C1, 0x09C4}, {0x09CD, 0x09CD}, {0x09E2, 0x09E3}, {0x09FE, 0x09FE}, {0x0A01, 0x0A02},
    {0x0A3C, 0x0A3C}, {0x0A41, 0x0A42}, {0x0A47, 0x0A48}, {0x0A4B, 0x0A4D}, {0x0A51, 0x0A51},
    {0x0A70, 0x0A71}, {0x0A75, 0x0A75}, {0x0A81, 0x0A82}, {0x0ABC, 0x0ABC}, {0x0AC1, 0x0AC5},
    {0x0AC7, 0x0AC8}, {0x0ACD, 0x0ACD}, {0x0AE2, 0x0AE3}, {0x0AFA, 0x0AFF}, {0x0B01, 0x0B01},
    {0x0B3C, 0x0B3C}, {0x0B3F, 0x0B3F}, {0x0B41, 0x0B44}, {0x0B4D, 0x0B4D}, {0x0B55, 0x0B56},
    {0x0B62, 0x0B63}, {0x0B82, 0x0B82}, {0x0BC0, 0x0BC0}, {0x0BCD, 0x0BCD}, {0x0C00, 0x0C00},
    {0x0C04, 0x0C04}, {0x0C3C, 0x0C3C}, {0x0C3E, 0x0C40}, {0x0C46, 0x0C48}, {0x0C4A, 0x0C4D},
    {0x0C55, 0x0C56}, {0x0C62, 0x0C63}, {0x0C81, 0x0C81}, {0x0CBC, 0x0CBC}, {0x0CBF, 0x0CBF},
    {0x0CC6, 0x0CC6}, {0x0CCC, 0x0CCD}, {0x0CE2, 0x0CE3}, {0x0D00, 0x0D01}, {0x0D3B, 0x0D3C},
    {0x0D41, 0x0D44}, {0x0D4D, 0x0D4D}, {0x0D62, 0x0D63}, {0x0D81, 0x0D81}, {0x0DCA, 0x0DCA},
    {0x0DD2, 0x0DD4}, {0x0DD6, 0x0DD6}, {0x0E31, 0x0E31}, {0x0E34, 0x0E3A}, {0x0E47, 0x0E4E},
    {0x0EB1, 0x0EB1}, {0x0EB4, 0x0EBC}, {0x0EC8, 0x0ECD}, {0x0F18, 0x0F19}, {0x0F35, 0x0F35},
    {0x0F37, 0x0F37}, {0x0F39, 0x0F39}, {0x0F71, 0x0F7E}, {0x0F80, 0x0F84}, {0x0F86, 0x0F87},
    {0x0F8D, 0x0F97}, {0x0F99, 0x0FBC}, {0x0FC6, 0x0FC6}, {0x102D, 0x1030}, {0x1032, 0x1037},
    {0x1039, 0x103A}, {0x103D, 0x103E}, {0x1058, 0x1059}, {0x105E, 0x1060}, {0x1071, 0x1074},
    {0x1082, 0x1082}, {0x1085, 0x1086}, {0x108D, 0x108D}, {0x109D, 0x109D}, {0x135D, 0x135F},
    {0x1712, 0x1714}, {0x1732, 0x1733}, {0x1752, 0x1753}, {0x1772, 0x1773}, {0x17B4, 0x17B5},
    {0x17B7, 0x17BD}, {0x17C6, 0x17C6}, {0x17C9, 0x17D3}, {0x17DD, 0x17DD}, {0x180B, 0x180D},
    {0x180F, 0x180F}, {0x1885, 0x1886}, {0x18A9, 0x18A9}, {0x1920, 0x1922}, {0x1927, 0x1928},
    {0x1932, 0x1932}, {0x1939, 0x193B}, {0x1A17, 0x1A18}, {0x1A1B, 0x1A1B}, {0x1A56, 0x1A56},
    {0x1A58, 0x1A5E}, {0x1A60, 0x1A60}, {0x1A62, 0x1A62}, {0x1A65, 0x1A6C}, {0x1A73, 0x1A7C},
    {0x1A7F, 0x1A7F}, {0x1AB0, 0x1ACE}, {0x1B00, 0x1B03}, {0x1B34, 0x1B34}, {0x1B36, 0x1B3A},
    {0x1B3C, 0x1B3C}, {0x1B42, 0x1B42}, {0x1B6B, 0x1B73}, {0x1B80, 0x1B81}, {0x1BA2, 0x1BA5},
    {0x1BA8, 0x1BA9}, {0x1BAB, 0x1BAD}, {0x1BE6, 0x1BE6}, {0x1BE8, 0x1BE9}, {0x1BED, 0x1BED},
    {0x1BEF, 0x1BF1}, {0x1C2C, 0x1C33}, {0x1C36, 0x1C37}, {0x1CD0, 0x1CD2}, {0x1CD4, 0x1CE0},
    {0x1CE2, 0x1CE8}, {0x1CED, 0x1CED}, {0x1CF4, 0x1CF4}, {0x1CF8, 0x1CF9}, {0x1DC0, 0x1DFF},
    {0x20D0, 0x20F0}, {0x2CEF, 0x2CF1}, {0x2D7F, 0x2D7F}, {0x2DE0, 0x2DFF}, {0x302A, 0x302D},
    {0x3099, 0x309A}, {0xA66F, 0xA672}, {0xA674, 0xA67D}, {0xA69E, 0xA69F}, {0xA6F0, 0xA6F1},
    {0xA802, 0xA802}, {0xA806, 0xA806}, {0xA80B, 0xA80B}, {0xA825, 0xA826}, {0xA82C, 0xA82C},
    {0xA8C4, 0xA8C5}, {0xA8E0, 0xA8F1}, {0xA8FF, 0xA8FF}, {0xA926, 0xA92D}, {0xA947, 0xA951},
    {0xA980, 0xA982}, {0xA9B3, 0xA9B3}, {0xA9B6, 0xA9B9}, {0xA9BC, 0xA9BD}, {0xA9E5, 0xA9E5},
    {0xAA29, 0xAA2E}, {0xAA31, 0xAA32}, {0xAA35, 0xAA36}, {0xAA43, 0xAA43}, {0xAA4C, 0xAA4C},
    {0xAA7C, 0xAA7C}, {0xAAB0, 0xAAB0}, {0xAAB2, 0xAAB4}, {0xAAB7, 0xAAB8}, {0xAABE, 0xAABF},
    {0xAAC1, 0xAAC1}, {0xAAEC, 0xAAED}, {0xAAF6, 0xAAF6}, {0xABE5, 0xABE5}, {0xABE8, 0xABE8},
    {0xABED, 0xABED}, {0xFB1E, 0xFB1E}, {0xFE00, 0xFE0F}, {0xFE20, 0xFE2F}, {0x101FD, 0x101FD},
    {0x102E0, 0x102E0}, {0x10376, 0x1037A}, {0x10A01, 0x10A03}, {0x10A05, 0x10A06},
    {0x10A0C, 0x10A0F}, {0x10A38, 0x10A3A}, {0x10A3F, 0x10A3F}, {0x10AE5, 0x10AE6},
    {0x10D24, 0x10D27}, {0x10EAB, 0x10EAC}, {0x10F46, 0x10F50}, {0x10F82, 0x10F85},
    {0x11001, 0x11001}, {0x11038, 0x11046}, {0x11070, 0x11070}, {0x11073, 0x11074},
    {0x1107F, 0x11081}, {0x110B3, 0x110B6}, {0x110B9, 0x110BA}, {0x110C2, 0x110C2},
    {0x11100, 0x11102}, {0x11127, 0x1112B}, {0x1112D, 0x11134}, {0x11173, 0x11173},
    {0x11180, 0x11181}, {0x111B6, 0x111BE}, {0x111C9, 0x111CC}, {0x111CF, 0x111CF},
    {0x1122F, 0x11231}, {0x11234, 0x11234}, {0x11236, 0x11237}, {0x1123E, 0x1123E},
    {0x112DF, 0x112DF}, {0x112E3, 0x112EA}, {0x11300, 0x11301}, {0x1133B, 0x1133C},
    {0x11340, 0x11340}, {0x11366, 0x1136C}, {0x11370, 0x11374}, {0x11438, 0x1143F},
    {0x11442, 0x11444}, {0x11446, 0x11446}, {0x1145E, 0x1145E}, {0x114B3, 0x114B8},
    {0x114BA, 0x114BA}, {0x114BF, 0x114C0}, {0x114C2, 0x114C3}, {0x115B2, 0x115B5},
    {0x115BC, 0x115BD}, {0x115BF, 0x115C0}, {0x115DC, 0x115DD}, {0x11633, 0x1163A},
    {0x1163D, 0x1163D}, {0x1163F, 0x11640}, {0x116AB, 0x116AB}, {0x116AD, 0x116AD},
    {0x116B0, 0x116B5}, {0x116B7, 0x116B7}, {0x1171D, 0x1171F}, {0x11722, 0x11725},
    {0x11727, 0x1172B}, {0x1182F, 0x11837}, {0x11839, 0x1183A}, {0x1193B, 0x1193C},
    {0x1193E, 0x1193E}, {0x11943, 0x11943}, {0x119D4, 0x119D7}, {0x119DA, 0x119DB},
    {0x119E0, 0x119E0}, {0x11A01, 0x11A0A}, {0x11A33, 0x11A38}, {0x11A3B, 0x11A3E},
    {0x11A47, 0x11A47}, {0x11A51, 0x11A56}, {0x11A59, 0x11A5B}, {0x11A8A, 0x11A96},
    {0x11A98, 0x11A99}, {0x11C30, 0x11C36}, {0x11C38, 0x11C3D}, {0x11C3F, 0x11C3F},
    {0x11C92, 0x11CA7}, {0x11CAA, 0x11CB0}, {0x11CB2, 0x11CB3}, {0x11CB5, 0x11CB6},
    {0x11D31, 0x11D36}, {0x11D3A, 0x11D3A}, {0x11D3C, 0x11D3D}, {0x11D3F, 0x11D45},
    {0x11D47, 0x11D47}, {0x11D90, 0x11D91}, {0x11D95, 0x11D95}, {0x11D97, 0x11D97},
    {0x11EF3, 0x11EF4}, {0x16AF0, 0x16AF4}, {0x16B30, 0x16B36}, {0x16F4F, 0x16F4F},
    {0x16F8F, 0x16F92}, {0x16FE4, 0x16FE4}, {0x1BC9D, 0x1BC9E}, {0x1CF00, 0x1CF2D},
    {0x1CF30, 0x1CF46}, {0x1D165, 0x1D169}, {0x1D16D, 0x1D172}, {0x1D17B, 0x1D182},
    {0x1D185, 0x1D18B}, {0x1D1AA, 0x1D1AD}, {0x1D242, 0x1D244}, {0x1DA00, 0x1DA36},
    {0x1DA3B, 0x1DA6C}, {0x1DA75, 0x1DA75}, {0x1DA84, 0x1DA84}, {0x1DA9B, 0x1DA9F},
    {0x1DAA1, 0x1DAAF}, {0x1E000, 0x1E006}, {0x1E008, 0x1E018}, {0x1E01B, 0x1E021},
    {0x1E023, 0x1E024}, {0x1E026, 0x1E02A}, {0x1E130, 0x1E136}, {0x1E2AE, 0x1E2AE},
    {0x1E2EC, 0x1E2EF}, {0x1E8D0, 0x1E8D6}, {0x1E944, 0x1E94A}, {0xE0100, 0xE01EF},
};
// 2 ranges
constexpr Range kNarrow[] = {
    {0x27E6, 0x27ED}, {0x2985, 0x2986},
};

// go-runewidth's `nonprint` table.
constexpr Range kNonPrint[] = {
    {0x0000, 0x001F}, {0x007F, 0x009F}, {0x00AD, 0x00AD}, {0x070F, 0x070F}, {0x180B, 0x180E},
    {0x200B, 0x200F}, {0x2028, 0x202E}, {0x206A, 0x206F}, {0xD800, 0xDFFF}, {0xFEFF, 0xFEFF},
    {0xFFF9, 0xFFFB}, {0xFFFE, 0xFFFF},
};

template <std::size_t N>
bool in_table(char32_t r, const Range (&table)[N]) {
  const Range* end = table + N;
  const Range* it = std::lower_bound(table, end, r, [](const Range& a, char32_t v) { return a.last < v; });
  return it != end && it->first <= r;
}

// golang.org/x/text/width: EastAsianWide and EastAsianFullwidth are 2 columns.
int x_text_width(char32_t r) { return in_table(r, kWide) ? 2 : 1; }

// go-runewidth Condition.RuneWidth with EastAsianWidth == false.
int runewidth(char32_t r) {
  if (r > 0x10FFFF) return 0;
  if (r < 0x20) return 0;
  if ((r >= 0x7F && r <= 0x9F) || r == 0xAD) return 0;
  if (r < 0x300) return 1;
  if (in_table(r, kNarrow)) return 1;
  if (in_table(r, kNonPrint) || in_table(r, kCombining)) return 0;
  if (in_table(r, kWide)) return 2;
  return 1;
}

// ---------------------------------------------------------------------------
// Numbers

// Go's fmt "%.*g" for a float64: C's %g for finite values, "NaN", "+Inf", "-Inf" otherwise.
std::string go_g(double v, int precision) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return fmt::format("{:.{}g}", v, precision);
}

// go-units getSizeAndUnit + CustomSize.
std::string custom_size(double size, double base, const char* const* units, int nunits, int precision) {
  int i = 0;
  while (size >= base && i < nunits - 1) {
    size /= base;
    ++i;
  }
  return go_g(size, precision) + units[i];
}

constexpr const char* kDecimalUnits[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"};
constexpr const char* kBinaryUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"};

// ---------------------------------------------------------------------------
// Durations (Go time.Duration arithmetic)

constexpr std::int64_t kSecond = 1'000'000'000;
constexpr std::int64_t kMinute = 60 * kSecond;
constexpr std::int64_t kHour = 60 * kMinute;
constexpr std::int64_t kDay = 24 * kHour;
constexpr std::int64_t kWeek = 7 * kDay;
constexpr std::int64_t kMonth = 30 * kDay;
constexpr std::int64_t kYear = 365 * kDay;

// Duration.Seconds() / Duration.Minutes(): integer part plus fractional part.
double go_seconds(std::int64_t d) {
  return static_cast<double>(d / kSecond) + static_cast<double>(d % kSecond) / 1e9;
}
double go_minutes(std::int64_t d) {
  return static_cast<double>(d / kMinute) + static_cast<double>(d % kMinute) / (60 * 1e9);
}
// Go int(f): truncation toward zero (|f| here is far below 2^63).
std::int64_t go_int(double f) { return static_cast<std::int64_t>(f); }
// go-units roundDuration.
std::int64_t round_duration(std::int64_t d, std::int64_t unit) {
  return go_int(static_cast<double>(d) / static_cast<double>(unit) + 0.5);
}

// Go: time.Unix(now, 0).Sub(time.Unix(created, 0)), saturating like Time.Sub.
std::int64_t sub_seconds_as_duration(std::int64_t now, std::int64_t created) {
  constexpr std::int64_t max = std::numeric_limits<std::int64_t>::max();
  constexpr std::int64_t min = std::numeric_limits<std::int64_t>::min();
  std::int64_t secs = 0;
  if (__builtin_sub_overflow(now, created, &secs)) return now > created ? max : min;
  std::int64_t ns = 0;
  if (__builtin_mul_overflow(secs, kSecond, &ns)) return secs > 0 ? max : min;
  return ns;
}

// ---------------------------------------------------------------------------
// Calendar

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

// Go's appendInt(b, x, width): '-' for negatives, then digits zero-padded to width.
void append_go_int(std::string& out, std::int64_t x, int width) {
  if (x < 0) {
    out += '-';
    x = -x;
  }
  std::string digits = std::to_string(x);
  if (static_cast<int>(digits.size()) < width) out.append(static_cast<std::size_t>(width) - digits.size(), '0');
  out += digits;
}

std::int32_t local_utc_offset(std::int64_t unix_seconds) {
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  if (static_cast<std::int64_t>(t) != unix_seconds || localtime_r(&t, &tm) == nullptr) return 0;
  return static_cast<std::int32_t>(tm.tm_gmtoff);
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

// ---------------------------------------------------------------------------
// Sizes

std::string human_size_with_precision(double bytes, int precision) {
  return custom_size(bytes, 1000.0, kDecimalUnits, 9, std::max(precision, 0));
}

std::string human_size(double bytes) { return human_size_with_precision(bytes, 3); }

std::string bytes_size(double bytes) { return custom_size(bytes, 1024.0, kBinaryUnits, 9, 4); }

// ---------------------------------------------------------------------------
// Durations and times

std::string human_duration(std::int64_t d) {
  const std::int64_t seconds = go_int(go_seconds(d));
  if (seconds < 1) return "Less than a second";
  if (seconds == 1) return "1 second";
  if (seconds < 60) return fmt::format("{} seconds", seconds);
  const std::int64_t minutes = go_int(go_minutes(d));
  if (minutes == 1) return "About a minute";
  if (minutes < 60) return fmt::format("{} minutes", minutes);
  const std::int64_t hours = round_duration(d, kHour);
  if (hours == 1) return "About an hour";
  if (hours < 48) return fmt::format("{} hours", hours);
  if (d < 2 * kWeek) return fmt::format("{} days", round_duration(d, kDay));
  if (d < 2 * kMonth) return fmt::format("{} weeks", round_duration(d, kWeek));
  if (d < 2 * kYear) return fmt::format("{} months", round_duration(d, kMonth));
  return fmt::format("{} years", round_duration(d, kYear));
}

std::string created_since(std::int64_t created_unix_seconds, std::int64_t now_unix_seconds) {
  if (created_unix_seconds <= history_epoch_unix) return "N/A";
  return human_duration(sub_seconds_as_duration(now_unix_seconds, created_unix_seconds)) + " ago";
}

std::string image_created_since(std::int64_t created_unix_seconds, std::int64_t now_unix_seconds) {
  if (created_unix_seconds == go_zero_time_unix) return "N/A";
  return human_duration(sub_seconds_as_duration(now_unix_seconds, created_unix_seconds)) + " ago";
}

std::string rfc3339(std::int64_t unix_seconds) {
  return rfc3339_at_offset(unix_seconds, local_utc_offset(unix_seconds));
}

std::string rfc3339_at_offset(std::int64_t unix_seconds, std::int32_t utc_offset_seconds) {
  using namespace std::chrono;
  std::int64_t local = 0;
  if (__builtin_add_overflow(unix_seconds, static_cast<std::int64_t>(utc_offset_seconds), &local))
    throw std::out_of_range("rfc3339: time out of range");
  const std::int64_t day_count = floor_div(local, 86400);
  const std::int64_t second_of_day = local - day_count * 86400;
  static const std::int64_t min_days =
      sys_days{year::min() / January / 1}.time_since_epoch().count();
  static const std::int64_t max_days =
      sys_days{year::max() / December / 31}.time_since_epoch().count();
  if (day_count < min_days || day_count > max_days) throw std::out_of_range("rfc3339: year out of range");
  const year_month_day ymd{sys_days{days{day_count}}};

  std::string out;
  out.reserve(25);
  append_go_int(out, static_cast<int>(ymd.year()), 4);
  out += '-';
  append_go_int(out, static_cast<unsigned>(ymd.month()), 2);
  out += '-';
  append_go_int(out, static_cast<unsigned>(ymd.day()), 2);
  out += 'T';
  append_go_int(out, second_of_day / 3600, 2);
  out += ':';
  append_go_int(out, second_of_day / 60 % 60, 2);
  out += ':';
  append_go_int(out, second_of_day % 60, 2);
  // Go "Z07:00": 'Z' for a zero offset; otherwise the offset in whole minutes
  // (truncated toward zero, which also decides the sign) as ±hh:mm.
  if (utc_offset_seconds == 0) {
    out += 'Z';
  } else {
    std::int32_t zone = utc_offset_seconds / 60;
    if (zone < 0) {
      out += '-';
      zone = -zone;
    } else {
      out += '+';
    }
    zone %= 3600;  // as Go's appendFormatRFC3339 (only matters beyond 60 hours)
    append_go_int(out, zone / 60, 2);
    out += ':';
    append_go_int(out, zone % 60, 2);
  }
  return out;
}

std::optional<std::int64_t> parse_rfc3339(std::string_view s) {
  using namespace std::chrono;
  std::size_t i = 0;
  // Fixed-width decimal field.
  auto fixed = [&](std::size_t n, int& value) {
    if (i + n > s.size()) return false;
    value = 0;
    for (std::size_t k = 0; k < n; ++k) {
      if (!is_digit(s[i + k])) return false;
      value = value * 10 + (s[i + k] - '0');
    }
    i += n;
    return true;
  };
  auto literal = [&](char c) {
    if (i >= s.size() || s[i] != c) return false;
    ++i;
    return true;
  };

  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (!fixed(4, y) || !literal('-') || !fixed(2, mo) || !literal('-') || !fixed(2, d) || !literal('T'))
    return std::nullopt;
  // Hour: one or two digits (Go's "15" layout element).
  if (i >= s.size() || !is_digit(s[i])) return std::nullopt;
  h = s[i++] - '0';
  if (i < s.size() && is_digit(s[i])) h = h * 10 + (s[i++] - '0');
  if (!literal(':') || !fixed(2, mi) || !literal(':') || !fixed(2, sec)) return std::nullopt;
  // Fraction: '.' or ',' followed by at least one digit; read and discarded.
  if (i + 1 < s.size() && (s[i] == '.' || s[i] == ',') && is_digit(s[i + 1])) {
    i += 2;
    while (i < s.size() && is_digit(s[i])) ++i;
  }
  std::int64_t offset = 0;
  if (i < s.size() && s[i] == 'Z') {
    ++i;
  } else {
    if (i >= s.size() || (s[i] != '+' && s[i] != '-')) return std::nullopt;
    const bool negative = s[i++] == '-';
    int oh = 0, om = 0;
    if (!fixed(2, oh) || !literal(':') || !fixed(2, om)) return std::nullopt;
    if (oh > 24 || om > 60) return std::nullopt;
    offset = (static_cast<std::int64_t>(oh) * 60 + om) * 60;
    if (negative) offset = -offset;
  }
  if (i != s.size()) return std::nullopt;

  if (mo < 1 || mo > 12 || h > 23 || mi > 59 || sec > 59) return std::nullopt;
  const year_month ym{year{y}, month{static_cast<unsigned>(mo)}};
  const unsigned last_day = static_cast<unsigned>(year_month_day_last{ym / last}.day());
  if (d < 1 || static_cast<unsigned>(d) > last_day) return std::nullopt;
  const std::int64_t day_count =
      sys_days{ym / day{static_cast<unsigned>(d)}}.time_since_epoch().count();
  return day_count * 86400 + h * 3600 + mi * 60 + sec - offset;
}

// ---------------------------------------------------------------------------
// Truncation and widths

std::string ellipsis(std::string_view s, std::size_t max_display_width) {
  static constexpr std::string_view kEllipsis = "\xE2\x80\xA6";  // U+2026
  if (max_display_width == 0) return "";
  const std::vector<char32_t> rs = decode_all(s);
  if (max_display_width == 1) return encode_runes(rs, 1);

  if (s.size() == rs.size()) {  // every rune is one byte
    if (s.size() <= max_display_width) return std::string(s);
    return encode_runes(rs, max_display_width - 1) + std::string(kEllipsis);
  }

  std::vector<std::size_t> display;  // cumulative widths
  display.reserve(rs.size());
  std::size_t width = 0;
  for (char32_t r : rs) {
    width += static_cast<std::size_t>(x_text_width(r));
    display.push_back(width);
  }
  if (width <= max_display_width) return std::string(s);
  const std::size_t limit = max_display_width - 1;
  for (std::size_t i = 0; i + 1 < display.size(); ++i) {
    if (display[i] <= limit && display[i + 1] > limit) return encode_runes(rs, i + 1) + std::string(kEllipsis);
  }
  return std::string(s);
}

std::string truncate_id(std::string_view id) {
  if (const std::size_t colon = id.find(':'); colon != std::string_view::npos) id.remove_prefix(colon + 1);
  return std::string(id.substr(0, 12));
}

std::string history_created_by(std::string_view created_by, bool truncate) {
  std::string text(created_by);
  std::replace(text.begin(), text.end(), '\t', ' ');
  return truncate ? ellipsis(text, 45) : text;
}

std::size_t display_width(std::string_view s) {
  std::size_t width = 0;
  for (std::size_t i = 0; i < s.size();) {
    const Decoded d = decode_rune(s, i);
    width += static_cast<std::size_t>(runewidth(d.rune));
    i += d.size;
  }
  return width;
}

std::size_t rune_count(std::string_view s) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size(); ++n) i += decode_rune(s, i).size;
  return n;
}

// ---------------------------------------------------------------------------
// TabWriter: the algorithm of Go's text/tabwriter (docker/cli fork).

TabWriter::TabWriter() : TabWriter(Options{}) {}

TabWriter::TabWriter(const Options& options) : opt_(options) {
  if (opt_.minwidth < 0 || opt_.tabwidth < 0 || opt_.padding < 0)
    throw std::invalid_argument("TabWriter: negative minwidth, tabwidth, or padding");
  if (opt_.padchar == '\t') opt_.flags &= ~static_cast<unsigned>(align_right);  // tab padding is left-aligned
  reset();
}

void TabWriter::reset() {
  buf_.clear();
  pos_ = 0;
  cell_ = Cell{};
  end_char_ = 0;
  lines_.clear();
  widths_.clear();
  add_line();
}

void TabWriter::add_line() { lines_.emplace_back(); }

void TabWriter::append_text(std::string_view text) {
  buf_.append(text);
  cell_.size += text.size();
}

void TabWriter::update_width() {
  const std::string_view pending = std::string_view(buf_).substr(pos_);
  const std::size_t w = opt_.width_mode == WidthMode::display ? display_width(pending) : rune_count(pending);
  cell_.width += static_cast<int>(w);
  pos_ = buf_.size();
}

void TabWriter::start_escape(char ch) {
  switch (ch) {
    case escape: end_char_ = escape; break;
    case '<': end_char_ = '>'; break;
    case '&': end_char_ = ';'; break;
    default: break;
  }
}

void TabWriter::end_escape() {
  switch (end_char_) {
    case escape:
      update_width();
      if ((opt_.flags & strip_escape) == 0) cell_.width -= 2;  // the escape bytes were counted
      break;
    case '>': break;                 // tag: width 0
    case ';': ++cell_.width; break;  // entity: width 1
    default: break;
  }
  pos_ = buf_.size();
  end_char_ = 0;
}

std::size_t TabWriter::terminate_cell(bool htab) {
  cell_.htab = htab;
  std::vector<Cell>& line = lines_.back();
  line.push_back(cell_);
  cell_ = Cell{};
  return line.size();
}

void TabWriter::flush_pending() {
  if (cell_.size > 0) {
    if (end_char_ != 0) end_escape();  // an incomplete escape counts as complete
    terminate_cell(false);
  }
  format(0, 0, lines_.size());
  reset();
}

void TabWriter::flush() { flush_pending(); }

std::string TabWriter::str() const {
  TabWriter copy(*this);
  copy.flush_pending();
  return std::move(copy.out_);
}

void TabWriter::write(std::string_view bytes) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const char ch = bytes[i];
    if (end_char_ == 0) {
      switch (ch) {
        case '\t':
        case '\v':
        case '\n':
        case '\f': {
          append_text(bytes.substr(n, i - n));
          update_width();
          n = i + 1;
          const std::size_t ncells = terminate_cell(ch == '\t');
          if (ch == '\n' || ch == '\f') {
            add_line();
            // A '\f' always flushes; so does a line of one cell, which cannot
            // influence the formatting of the lines after it.
            if (ch == '\f' || ncells == 1) {
              flush_pending();
              if (ch == '\f' && (opt_.flags & debug) != 0) out_ += "---\n";
            }
          }
          break;
        }
        case escape:
          append_text(bytes.substr(n, i - n));
          update_width();
          n = i;
          if ((opt_.flags & strip_escape) != 0) ++n;
          start_escape(escape);
          break;
        case '<':
        case '&':
          if ((opt_.flags & filter_html) != 0) {
            append_text(bytes.substr(n, i - n));
            update_width();
            n = i;
            start_escape(ch);
          }
          break;
        default: break;
      }
    } else if (ch == end_char_) {
      std::size_t j = i + 1;
      if (ch == escape && (opt_.flags & strip_escape) != 0) j = i;
      append_text(bytes.substr(n, j - n));
      n = i + 1;
      end_escape();
    }
  }
  append_text(bytes.substr(n));
}

void TabWriter::add_row(const std::vector<std::string>& cells) {
  std::string line;
  for (std::size_t i = 0; i < cells.size(); ++i) {
    if (i > 0) line += '\t';
    line += cells[i];
  }
  line += '\n';
  write(line);
}

void TabWriter::write_padding(int textw, int cellw, bool use_tabs) {
  if (opt_.padchar == '\t' || use_tabs) {
    if (opt_.tabwidth == 0) return;  // tabs have no width: no padding possible
    cellw = (cellw + opt_.tabwidth - 1) / opt_.tabwidth * opt_.tabwidth;
    const int n = cellw - textw;
    if (n < 0) throw std::logic_error("TabWriter: internal error (negative padding)");
    out_.append(static_cast<std::size_t>((n + opt_.tabwidth - 1) / opt_.tabwidth), '\t');
    return;
  }
  if (cellw > textw) out_.append(static_cast<std::size_t>(cellw - textw), opt_.padchar);
}

std::size_t TabWriter::write_lines(std::size_t pos, std::size_t line0, std::size_t line1) {
  for (std::size_t i = line0; i < line1; ++i) {
    const std::vector<Cell>& line = lines_[i];
    bool use_tabs = (opt_.flags & tab_indent) != 0;  // pad leading empty cells with tabs
    for (std::size_t j = 0; j < line.size(); ++j) {
      const Cell& c = line[j];
      if (j > 0 && (opt_.flags & debug) != 0) out_ += '|';
      if (c.size == 0) {
        if (j < widths_.size()) write_padding(c.width, widths_[j], use_tabs);
      } else {
        use_tabs = false;
        if ((opt_.flags & align_right) == 0) {
          out_.append(buf_, pos, c.size);
          pos += c.size;
          if (j < widths_.size()) write_padding(c.width, widths_[j], false);
        } else {
          if (j < widths_.size()) write_padding(c.width, widths_[j], false);
          out_.append(buf_, pos, c.size);
          pos += c.size;
        }
      }
    }
    if (i + 1 == lines_.size()) {
      // The last buffered line has no newline yet: emit its pending text.
      out_.append(buf_, pos, cell_.size);
      pos += cell_.size;
    } else {
      out_ += '\n';
    }
  }
  return pos;
}

std::size_t TabWriter::format(std::size_t pos, std::size_t line0, std::size_t line1) {
  const std::size_t column = widths_.size();
  for (std::size_t self = line0; self < line1; ++self) {
    // The last cell of a line is not tab-terminated and belongs to no column.
    if (column + 1 >= lines_[self].size()) continue;

    // This line has a cell in `column`: print the lines before it, then
    // measure the block of consecutive lines that have one.
    pos = write_lines(pos, line0, self);
    line0 = self;

    int width = opt_.minwidth;
    bool discardable = true;  // every cell empty and soft-tab terminated
    for (; self < line1; ++self) {
      const std::vector<Cell>& line = lines_[self];
      if (column + 1 >= line.size()) break;
      const Cell& c = line[column];
      width = std::max(width, c.width + opt_.padding);
      if (c.width > 0 || c.htab) discardable = false;
    }
    if (discardable && (opt_.flags & discard_empty_columns) != 0) width = 0;

    // Format the columns to the right within this block, now that this
    // column's width is known.
    widths_.push_back(width);
    pos = format(pos, line0, self);
    widths_.pop_back();
    line0 = self;
  }
  return write_lines(pos, line0, line1);
}

// ---------------------------------------------------------------------------
// Image references

std::pair<std::string, std::string> split_repo_tag(std::string_view ref) {
  if (ref == "<none>:<none>" || ref == "<none>@<none>") return {"<none>", "<none>"};
  std::string_view name = ref.substr(0, ref.find('@'));
  std::string tag = "<none>";
  const std::size_t slash = name.rfind('/');
  const std::size_t colon = name.rfind(':');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    tag = std::string(name.substr(colon + 1));
    name = name.substr(0, colon);
  }

  // distribution/reference splitDockerDomain, then familiarizeName.
  const std::size_t first_slash = name.find('/');
  if (first_slash == std::string_view::npos) return {std::string(name), tag};  // "docker.io/library/<name>"
  const std::string_view maybe_domain = name.substr(0, first_slash);
  const std::string_view rest = name.substr(first_slash + 1);
  std::string_view domain = "docker.io";
  std::string_view remote = name;
  const bool has_upper = std::any_of(maybe_domain.begin(), maybe_domain.end(),
                                     [](char c) { return c >= 'A' && c <= 'Z'; });
  if (maybe_domain == "localhost" || maybe_domain.find_first_of(".:") != std::string_view::npos || has_upper) {
    domain = maybe_domain == "index.docker.io" ? std::string_view("docker.io") : maybe_domain;
    remote = rest;
  }
  if (domain != "docker.io") return {std::string(domain) + "/" + std::string(remote), tag};
  // Docker Hub: the domain is dropped, and "library/" before a one-component name.
  constexpr std::string_view library = "library/";
  if (remote.substr(0, library.size()) == library && remote.find('/', library.size()) == std::string_view::npos)
    remote.remove_prefix(library.size());
  return {std::string(remote), tag};
}

}  // namespace layerkit::text
