// A bounds-checked cursor over the binary format (spec 5.1, 5.2): LEB128 integers with the
// testsuite's error texts for overlong or overflowing encodings.
#pragma once
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>

#include "environ/module.h"

namespace wasmo {

class Reader {
 public:
  /** Reads [begin, end) of `data`, inside content declared to end at `limit` (a section or a
   *  function body). As the reference interpreter's decode.ml reads, the limit does not stop reads:
   *  content is read from the whole input and its size checked afterwards. */
  Reader(const uint8_t *data, size_t begin, size_t limit, size_t end)
      : data_(data), pos_(begin), limit_(limit), end_(end) {}

  size_t pos() const { return pos_; }
  size_t limit() const { return limit_; }
  size_t end() const { return end_; }
  bool atEnd() const { return pos_ >= end_; }
  /** The next byte, or -1 at the end of the input. */
  int peek() const { return pos_ < end_ ? data_[pos_] : -1; }

  uint8_t u8() {
    if (pos_ >= end_) malformed("unexpected end of section or function");
    return data_[pos_++];
  }
  /** A type code or a function type's form: decode.ml reads them as s7, so a continuation bit is
   *  "integer representation too long" before the code itself is looked at. */
  uint8_t typeCode() {
    uint8_t b = u8();
    if (b & 0x80) malformed("integer representation too long");
    return b;
  }
  // Most integers in code are one byte: that case inline, which no check of unsignedLeb and
  // signedLeb can fail, the rest out of line.
  uint32_t u32() {
    if (pos_ < end_ && data_[pos_] < 0x80) return data_[pos_++];
    return static_cast<uint32_t>(unsignedLeb(32));
  }
  uint64_t u64() { return unsignedLeb(64); }
  int32_t s32() {
    if (pos_ < end_ && data_[pos_] < 0x80) return oneByteSigned(data_[pos_++]);
    return static_cast<int32_t>(signedLeb(32));
  }
  int64_t s64() {
    if (pos_ < end_ && data_[pos_] < 0x80) return oneByteSigned(data_[pos_++]);
    return signedLeb(64);
  }
  /** A block type's s33 (spec 5.4.1). */
  int64_t s33() { return signedLeb(33); }
  /** A vector length or byte count (decode.ml's len32): it cannot exceed what is left of the
   *  input, counted from the start of the length itself (binary.wast: a too-short export section). */
  uint32_t len() {
    size_t start = pos_;
    uint32_t n = u32();
    if (n > end_ - start) malformed("length out of bounds");
    return n;
  }
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
    if (end_ - pos_ < n) malformed("unexpected end of section or function");
    pos_ += n;
  }
  /** A name (spec 5.2.4): a byte vector that must be valid UTF-8. */
  std::string name() {
    uint32_t n = len();
    size_t begin = pos_;
    skip(n);
    std::string s(reinterpret_cast<const char *>(data_ + begin), n);
    if (!validUtf8(s)) malformed("malformed UTF-8 encoding");
    return s;
  }

 private:
  // LEB128 (spec 5.2.2) in the order of decode.ml's vuN and vsN: the bits a last byte may not
  // carry are "integer too large" before a byte past the last one is "integer representation too
  // long" (binary-leb128.wast).
  // A one-byte signed LEB128: 7 bits, bit 6 the sign.
  static int32_t oneByteSigned(uint8_t b) { return (b & 0x40) ? static_cast<int32_t>(b) - 0x80 : b; }
  [[gnu::noinline]] uint64_t unsignedLeb(int bits) {
    uint64_t result = 0;
    for (int shift = 0;; shift += 7) {
      int remaining = bits - shift;
      if (remaining <= 0) malformed("integer representation too long");
      uint8_t b = u8();
      if (remaining < 7 && (b & 0x7F) >= (1 << remaining)) malformed("integer too large");
      result |= static_cast<uint64_t>(b & 0x7F) << shift;
      if (!(b & 0x80)) return result;
    }
  }
  [[gnu::noinline]] int64_t signedLeb(int bits) {
    uint64_t result = 0;
    for (int shift = 0;; shift += 7) {
      int remaining = bits - shift;
      if (remaining <= 0) malformed("integer representation too long");
      uint8_t b = u8();
      if (remaining < 7) {
        // The sign bit and the unused bits above it must all be equal.
        int mask = (0x7F << (remaining - 1)) & 0x7F;
        if ((b & mask) != 0 && (b & mask) != mask) malformed("integer too large");
      }
      result |= static_cast<uint64_t>(b & 0x7F) << shift;
      if (!(b & 0x80)) {
        if (shift + 7 < 64 && (b & 0x40)) result |= ~uint64_t{0} << (shift + 7);
        return static_cast<int64_t>(result);
      }
    }
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
  size_t pos_, limit_, end_;
};

/** The proposal beyond WebAssembly 2.0 whose instruction starts with `byte` (an opcode or a
 *  prefix), named as "not supported yet: …" says it; nullptr for 2.0's own bytes and unused ones
 *  (which stay "illegal opcode"). spec/binary/format.ts PROPOSAL_OPCODES refuses the same bytes
 *  with the same names. */
constexpr const char *proposalOf(uint8_t byte) {
  switch (byte) {
    case 0x06: case 0x07: case 0x08: case 0x09: case 0x0A: case 0x18: case 0x19: case 0x1F:
      return kExceptionHandling;
    case 0x12: case 0x13: case 0x15: return "tail calls";
    case 0x14: case 0xD4: case 0xD5: case 0xD6: return "typed function references";
    case 0xD3: case 0xFB: return "garbage collection";
    case 0xFE: return "threads (atomics)";
    default: return nullptr;
  }
}

/** What a first byte of an instruction is: an opcode of the table on its own, a prefix, a
 *  proposal's opcode (proposalOf) or an illegal byte. One look-up per instruction, where two
 *  switches over the whole table were. */
enum class OpByte : uint8_t { Op, Prefix, Proposal, Illegal };
inline constexpr std::array<OpByte, 256> kOpBytes = [] {
  std::array<OpByte, 256> kinds{};
  for (unsigned b = 0; b < 256; b++) {
    kinds[b] = proposalOf(static_cast<uint8_t>(b)) ? OpByte::Proposal
               : b == 0xFC || b == 0xFD            ? OpByte::Prefix
               : knownOp(b)                        ? OpByte::Op
                                                   : OpByte::Illegal;
  }
  return kinds;
}();

[[noreturn]] inline void illegalOpcode(uint8_t byte, std::optional<uint32_t> sub) {
  // Named in hex as the reference names it (binary.wast expects "illegal opcode ff").
  char text[40];
  if (sub) std::snprintf(text, sizeof text, "illegal opcode %02x %02x", unsigned{byte}, unsigned{*sub});
  else std::snprintf(text, sizeof text, "illegal opcode %02x", unsigned{byte});
  malformed(text);
}

/** An opcode (spec 5.4): a byte, or 0xFC or 0xFD and a u32 sub-opcode; one the table lacks is malformed;
 *  a proposal's opcode is unsupported (proposalOf).
 *  As decode.ml reads, no instruction starts past the sized content, but the `end` or `else` that
 *  closes a block may lie beyond it, the size being checked afterwards (binary.wast: a missing
 *  `end` takes the next section's id 0x0b and is a "section size mismatch"). */
inline Op readOp(Reader &r) {
  if (r.pos() >= r.limit() && r.peek() != 0x0B && r.peek() != 0x05)
    malformed("unexpected end of section or function");
  uint8_t byte = r.u8();
  switch (kOpBytes[byte]) {
    case OpByte::Op: return static_cast<Op>(byte);
    case OpByte::Proposal: unsupported(proposalOf(byte));
    case OpByte::Illegal: illegalOpcode(byte, std::nullopt);
    case OpByte::Prefix: break;
  }
  // A prefix and a u32 sub-opcode; the table has none past 0xFF.
  uint32_t sub = r.u32();
  uint64_t code = sub > 0xFF ? UINT64_MAX : (uint64_t{byte} << 8) | sub;
  if (!knownOp(code)) illegalOpcode(byte, sub);
  return static_cast<Op>(code);
}

}  // namespace wasmo
