// A bounds-checked cursor over the binary format (spec 5.1, 5.2): LEB128 integers with the
// testsuite's error texts for overlong or overflowing encodings.
#pragma once
#include <cstdint>
#include <cstring>
#include <string>

#include "environ/module.h"

namespace wasmo {

class Reader {
 public:
  Reader(const uint8_t *data, size_t begin, size_t end) : data_(data), pos_(begin), end_(end) {}

  size_t pos() const { return pos_; }
  size_t end() const { return end_; }
  bool atEnd() const { return pos_ >= end_; }

  uint8_t u8() {
    if (pos_ >= end_) malformed(eofMessage_);
    return data_[pos_++];
  }
  uint32_t u32() { return static_cast<uint32_t>(unsignedLeb(32)); }
  uint64_t u64() { return unsignedLeb(64); }
  int32_t s32() { return static_cast<int32_t>(signedLeb(32)); }
  int64_t s64() { return signedLeb(64); }
  /** A block type's s33 (spec 5.4.1). */
  int64_t s33() { return signedLeb(33); }
  uint32_t fixed32() {
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) v |= static_cast<uint32_t>(u8()) << (8 * i);
    return v;
  }
  uint64_t fixed64() {
    uint64_t lo = fixed32();
    return lo | (static_cast<uint64_t>(fixed32()) << 32);
  }
  void skip(size_t n) {
    if (end_ - pos_ < n) malformed(eofMessage_);
    pos_ += n;
  }
  /** A name (spec 5.2.4): a byte vector that must be valid UTF-8. */
  std::string name() {
    uint32_t n = u32();
    if (end_ - pos_ < n) malformed(eofMessage_);
    std::string s(reinterpret_cast<const char *>(data_ + pos_), n);
    pos_ += n;
    if (!validUtf8(s)) malformed("malformed UTF-8 encoding");
    return s;
  }
  /** Inside a section or function the spec's text for running out of bytes differs. */
  void setEofMessage(const char *m) { eofMessage_ = m; }

 private:
  uint64_t unsignedLeb(unsigned bits) {
    uint64_t result = 0;
    for (unsigned shift = 0;; shift += 7) {
      uint8_t b = u8();
      if (shift + 7 >= bits && shift < 64) {
        // The last byte may only carry the bits that remain (spec 5.2.2).
        if (b & 0x80) malformed("integer representation too long");
        unsigned remaining = bits - shift;
        if (remaining < 7 && (b >> remaining) != 0) malformed("integer too large");
      }
      result |= static_cast<uint64_t>(b & 0x7F) << shift;
      if (!(b & 0x80)) return result;
    }
  }
  int64_t signedLeb(unsigned bits) {
    int64_t result = 0;
    unsigned shift = 0;
    uint8_t b;
    for (;; shift += 7) {
      b = u8();
      if (shift + 7 >= bits) {
        if (b & 0x80) malformed("integer representation too long");
        // The unused bits of the last byte must all equal the sign bit (spec 5.2.2).
        unsigned remaining = bits - shift;  // 1..7
        int sign = (b >> (remaining - 1)) & 1;
        uint8_t unused = static_cast<uint8_t>((b & 0x7F) >> remaining);
        uint8_t expected = sign ? static_cast<uint8_t>(0x7F >> remaining) : 0;
        if (unused != expected) malformed("integer too large");
      }
      result |= static_cast<int64_t>(static_cast<uint64_t>(b & 0x7F) << shift);
      if (!(b & 0x80)) break;
    }
    shift += 7;
    if (shift < 64 && (b & 0x40)) result |= static_cast<int64_t>(~uint64_t{0} << shift);
    return result;
  }
  static bool validUtf8(const std::string &s) {
    size_t i = 0, n = s.size();
    while (i < n) {
      uint8_t c = static_cast<uint8_t>(s[i]);
      size_t len;
      uint32_t cp;
      if (c < 0x80) { i++; continue; }
      if ((c & 0xE0) == 0xC0) { len = 2; cp = c & 0x1F; }
      else if ((c & 0xF0) == 0xE0) { len = 3; cp = c & 0x0F; }
      else if ((c & 0xF8) == 0xF0) { len = 4; cp = c & 0x07; }
      else return false;
      if (i + len > n) return false;
      for (size_t k = 1; k < len; k++) {
        uint8_t cc = static_cast<uint8_t>(s[i + k]);
        if ((cc & 0xC0) != 0x80) return false;
        cp = (cp << 6) | (cc & 0x3F);
      }
      if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
          (cp >= 0xD800 && cp <= 0xDFFF))
        return false;
      i += len;
    }
    return true;
  }

  const uint8_t *data_;
  size_t pos_, end_;
  const char *eofMessage_ = "unexpected end";
};

}  // namespace wasmo
