// 128-bit SIMD on singlepass (spec 4.3.4, 4.4.3, 4.4.7), with SSE4.1 (SSSE3 included). Included by
// singlepass.cpp inside its namespace: these are Singlepass members. Operands come to the scratch
// registers xmm0 and xmm1 (xmm8..xmm11 hold temporaries: no operand lives there), and the result
// goes to an operand register. With AVX (where the CPU has it and the compile may use it: avx_), the
// instructions below that go through WASMO_V take their VEX forms (Intel SDM vol. 2, 2.3): the
// destination is a third register, so binary3 and unary3 read operands in the registers they live in
// and write the result straight into a register of its own, without the copies through xmm0 and xmm1
// the two-operand SSE forms need. Only VEX.128 forms: they zero bits 255:128 of their destination,
// so wasm code never leaves the upper halves of the ymm registers dirty, and needs no vzeroupper
// where it returns to or calls C (Intel Optimization Reference Manual, "Mixing AVX code with SSE
// code": the transition penalty and the rule to issue VZEROUPPER concern a dirty upper state, which
// only 256-bit and wider instructions make); the SSE instructions singlepass still emits elsewhere
// mix with them freely for the same reason. Where x86 and the spec differ (NaN results of min and max, unsigned
// and 64-bit compares, saturating conversions, shifts of bytes) the sequence says how it agrees.

/** The 16 bytes of a v128 whose lanes all hold `v` (T: a lane's integer type). */
template <class T>
std::array<uint8_t, 16> splatBytes(T v) {
  std::array<uint8_t, 16> bytes{};
  for (size_t i = 0; i < 16; i += sizeof(T)) std::memcpy(bytes.data() + i, &v, sizeof(T));
  return bytes;
}

void Singlepass::simd(Op op, const SimdImmediates &imm) {
  // Without SSE4.1 neither native tier nor V8 runs SIMD (V8's needs SSE4.1 too): the interpreter does.
  needs(kCpuSse41, op, " without SSE4.1 (the reference engine runs it)");
  const size_t top = stack_.size() - 1;
  const Xmm t0 = xmm8, t1 = xmm9, t2 = xmm10, t3 = xmm11;
  const uint8_t lane = imm.lane;
  // The result in xmm0 replaces the operands from stack index `base` on.
  auto result = [&](size_t base) {
    dropTo(base);
    pushXmm(xmm0, ValType::V128);
  };
  auto resultI32 = [&](size_t base) {
    dropTo(base);
    pushRax(ValType::I32);
  };
  // An instruction as d = a op b (WASMO_V), d = a shifted by n (WASMO_VS), d = op a (WASMO_V1) or
  // d = op(a, imm) (WASMO_VI): VEX with AVX (WASMO_AVX_OR records it), else the SSE form, on d after
  // copying a there for the two-operand ones (so d must not be b unless it is a).
#define WASMO_V(ins) [&](const Xmm &d, const Xmm &a, const Operand &b) { WASMO_AVX_OR(v##ins(d, a, b), copyTo(d, a); ins(d, b)); }
#define WASMO_VS(ins) [&](const Xmm &d, const Xmm &a, uint8_t n) { WASMO_AVX_OR(v##ins(d, a, n), copyTo(d, a); ins(d, n)); }
#define WASMO_V1(ins) [&](const Xmm &d, const Xmm &a) { WASMO_AVX_OR(v##ins(d, a), ins(d, a)); }
#define WASMO_VI(ins, imm) [&](const Xmm &d, const Xmm &a) { WASMO_AVX_OR(v##ins(d, a, imm), ins(d, a, imm)); }
  // vv -> v as emit(d, a, b). With AVX, a and b are read where they are and d is the result's own
  // register (it may be a's or b's: a VEX instruction reads its sources first). Without, a is in xmm0
  // and b in xmm1, and d is xmm0, or xmm1 if `intoB` (for sequences that compute into b's copy).
  auto binary3 = [&](auto emit, bool intoB = false) {
    if (avx_) {
      Xmm a = operandXmm(top - 1, xmm0), b = operandXmm(top, xmm1);
      dropTo(top - 1);
      emit(kOperandXmms[pushNewXmm(ValType::V128)], a, b);
      return;
    }
    loadV128(xmm0, top - 1);
    loadV128(xmm1, top);
    const Xmm &d = intoB ? xmm1 : xmm0;
    emit(d, xmm0, xmm1);
    dropTo(top - 1);
    pushXmm(d, ValType::V128);
  };
  // v -> v (or a float of type t) as emit(d, a), for the operand at k (the top): a where the operand
  // is, d the result's own register, which may be a's.
  auto unary3At = [&](size_t k, auto emit, ValType t = ValType::V128) {
    Xmm a = operandXmm(k, xmm0);
    dropTo(k);
    emit(kOperandXmms[pushNewXmm(t)], a);
  };
  auto unary3 = [&](auto emit) { unary3At(top, emit); };
  // d = ~a.
  auto invertTo = [&](const Xmm &d, const Xmm &a) {
    WASMO_V(pcmpeqd)(t3, t3, t3);
    WASMO_V(pxor)(d, a, t3);
  };
  auto invert = [&](const Xmm &x) { invertTo(x, x); };
  // d = 0 - a by `sub` (WASMO_V); without AVX through t0, as d may be a.
  auto negate = [&](auto sub) {
    unary3([&](const Xmm &d, const Xmm &a) {
      WASMO_V(pxor)(t0, t0, t0);
      if (avx_) {
        sub(d, t0, a);
      } else {
        sub(t0, t0, a);
        movaps(d, t0);
      }
    });
  };
  // Integer compares from eq, signed gt and unsigned max/min (x86 has no others): a in xmm0, b in xmm1.
  enum class Cmp { Eq, Ne, LtS, LtU, GtS, GtU, LeS, LeU, GeS, GeU };
  // a < b is b > a, computed into b's copy without AVX (binary3's intoB).
  auto compare = [&](Cmp c, auto eq, auto gt, auto minU, auto maxU) {
    binary3([&](const Xmm &d, const Xmm &a, const Xmm &b) {
      switch (c) {
        case Cmp::Eq: eq(d, a, b); break;
        case Cmp::Ne: eq(d, a, b); invert(d); break;
        case Cmp::GtS: gt(d, a, b); break;
        case Cmp::LeS: gt(d, a, b); invert(d); break;
        case Cmp::LtS: gt(d, b, a); break;
        case Cmp::GeS: gt(d, b, a); invert(d); break;
        // a >= b exactly when a = max(a, b); a <= b when a = min(a, b).
        case Cmp::GeU: case Cmp::LtU: maxU(t0, a, b); eq(d, a, t0); break;
        case Cmp::LeU: case Cmp::GtU: minU(t0, a, b); eq(d, a, t0); break;
      }
      if (c == Cmp::LtU || c == Cmp::GtU) invert(d);
    }, c == Cmp::LtS || c == Cmp::GeS);
  };
  auto cmp8 = [&](Cmp c) { compare(c, WASMO_V(pcmpeqb), WASMO_V(pcmpgtb), WASMO_V(pminub), WASMO_V(pmaxub)); };
  auto cmp16 = [&](Cmp c) { compare(c, WASMO_V(pcmpeqw), WASMO_V(pcmpgtw), WASMO_V(pminuw), WASMO_V(pmaxuw)); };
  auto cmp32 = [&](Cmp c) { compare(c, WASMO_V(pcmpeqd), WASMO_V(pcmpgtd), WASMO_V(pminud), WASMO_V(pmaxud)); };
  // i64 a > b, signed: SSE4.2's pcmpgtq (its VEX form needs only AVX). Without either, where the
  // high halves are equal, b - a borrows from the high half exactly when a's low half is above b's
  // (unsigned); d is a there (binary3 without AVX).
  auto gt64 = [&](const Xmm &d, const Xmm &a, const Xmm &b) {
    if (avx_ || (allowedFeatures_ & kCpuSse42)) {
      if (!avx_) usedFeatures_ |= kCpuSse42;
      WASMO_V(pcmpgtq)(d, a, b);
      return;
    }
    movaps(t0, b);
    psubq(t0, a);
    movaps(t1, a);
    pcmpeqd(t1, b);
    pand(t0, t1);
    pcmpgtd(d, b);
    por(d, t0);
    pshufd(d, d, 0xF5);  // each high half's verdict to its whole lane
  };
  auto noUnsigned = [](const Xmm &, const Xmm &, const Xmm &) {};  // i64x2 has signed compares only
  auto cmp64 = [&](Cmp c) { compare(c, WASMO_V(pcmpeqq), gt64, noUnsigned, noUnsigned); };
  // d = a `pred` b, lane by lane: cmpps/cmppd predicates 0 eq, 1 lt, 2 le, 3 unordered, 4 neq (true
  // for NaN, as ne is), 5 not lt.
  auto cmpp = [&](bool is64, const Xmm &d, const Xmm &a, const Operand &b, uint8_t pred) {
    if (is64) WASMO_AVX_OR(vcmppd(d, a, b, pred), copyTo(d, a); cmppd(d, b, pred));
    else WASMO_AVX_OR(vcmpps(d, a, b, pred), copyTo(d, a); cmpps(d, b, pred));
  };
  // Float compares (without AVX, d is the first operand: binary3's intoB where swapped).
  auto fcmp = [&](bool is64, uint8_t pred, bool swap) {
    binary3([&](const Xmm &d, const Xmm &a, const Xmm &b) { cmpp(is64, d, swap ? b : a, swap ? a : b, pred); }, swap);
  };
  // fmin and fmax (spec 4.3.3): NaN if either is, -0 below +0. minps/maxps give their second
  // operand for NaN or equal zeros, so both orders are combined, then NaNs made canonical (the
  // spec allows a canonical NaN whatever the inputs: nans{z1, z2} contains it).
  auto fminmax = [&](bool is64, bool isMin) {
    binary3([&](const Xmm &d, const Xmm &a, const Xmm &b) {
      if (isMin) {
        if (is64) { WASMO_V(minpd)(t0, b, a); WASMO_V(minpd)(t1, a, b); }
        else { WASMO_V(minps)(t0, b, a); WASMO_V(minps)(t1, a, b); }
        WASMO_V(orps)(t0, t0, t1);  // -0 if either is; a NaN if either is
      } else {
        if (is64) { WASMO_V(maxpd)(t0, b, a); WASMO_V(maxpd)(t1, a, b); }
        else { WASMO_V(maxps)(t0, b, a); WASMO_V(maxps)(t1, a, b); }
        WASMO_V(xorps)(t1, t1, t0);  // where the orders disagree: NaN lanes, and +0 against -0 (the sign bit)
        WASMO_V(orps)(t0, t0, t1);   // NaN stays NaN; -0 | sign = -0 ...
        if (is64) WASMO_V(subpd)(t0, t0, t1); else WASMO_V(subps)(t0, t0, t1);  // ... and -0 - -0 = +0; elsewhere x - 0 = x
      }
      cmpp(is64, t1, t0, t0, 3);  // unordered: the NaN lanes
      WASMO_V(orps)(t0, t0, t1);
      if (is64) WASMO_VS(psrlq)(t1, t1, 13); else WASMO_VS(psrld)(t1, t1, 10);
      WASMO_V(andnps)(d, t1, t0);  // all-ones NaN lanes lose their payload below the quiet bit
    });
  };
  // A shift by a constant count (as counts mostly are), as byImm(d, a, n) with the count modulo the
  // lane width (spec 4.3.4 ishl, ishr).
  auto shiftImm = [&](unsigned width, auto byImm) {
    auto n = static_cast<uint8_t>(stack_[top].bits & (width - 1));
    dropTo(top);
    unary3At(top - 1, [&](const Xmm &d, const Xmm &a) { byImm(d, a, n); });
  };
  // A shift as byImm(d, a, n) by a constant count, else as byXmm(d, a, xmm1) by the count in xmm1
  // (and in ecx), modulo the lane width (spec 4.3.4 ishl, ishr).
  auto shift3 = [&](unsigned width, auto byImm, auto byXmm) {
    if (stack_[top].kind == Value::Const) return shiftImm(width, byImm);
    loadTo(ecx, top);
    and_(ecx, width - 1);
    movd(xmm1, ecx);
    dropTo(top);
    unary3At(top - 1, [&](const Xmm &d, const Xmm &a) { byXmm(d, a, xmm1); });
  };
  // The v128 at top - 1 with a lane replaced by the float at top, as emit(d, a, x): x is the float's
  // register, or xmm1 without AVX, where d may be the float's own register (copying a there first).
  auto replaceFloatLane = [&](bool is64, auto emit) {
    Xmm x = xmm1;
    if (avx_) x = operandXmm(top, xmm1);
    else loadXmm(xmm1, top, is64);
    dropTo(top);
    unary3At(top - 1, [&](const Xmm &d, const Xmm &a) { emit(d, a, x); });
  };
  // Broadcasts the low byte of eax to every byte of x.
  auto broadcastByte = [&](const Xmm &x) {
    movd(x, eax);
    pxor(t3, t3);
    pshufb(x, t3);
  };
  // Memory: the address operand is below any v128 operand.
  auto address = [&](size_t k) {
    dropTo(k + 1);
    return r15 + rax + effectiveAddress(op, imm.memArg);
  };
  // Straight into the result's register (spilling one touches no general register: rax stays).
  auto loadLanes = [&](auto emit) {
    RegExp a = address(top);
    dropTo(top);
    emit(kOperandXmms[pushNewXmm(ValType::V128)], a);
  };
  auto extend = [&](bool high, auto emit) {
    unary3([&](const Xmm &d, const Xmm &a) {
      if (high) {
        WASMO_VI(pshufd, 0xEE)(d, a);
        emit(d, d);
      } else {
        emit(d, a);
      }
    });
  };
  // b is extended first, into t1: d may be b's register.
  auto extmul = [&](bool high, auto ext, auto mul) {
    binary3([&](const Xmm &d, const Xmm &a, const Xmm &b) {
      if (high) {
        WASMO_VI(pshufd, 0xEE)(t1, b);
        ext(t1, t1);
        WASMO_VI(pshufd, 0xEE)(d, a);
        ext(d, d);
      } else {
        ext(t1, b);
        ext(d, a);
      }
      mul(d, d, t1);
    });
  };

  switch (op) {
    case Op::V128Load: return loadLanes([&](const Xmm &d, const RegExp &a) { movdqu(d, xword[a]); });
    case Op::V128Load8x8S: return loadLanes([&](const Xmm &d, const RegExp &a) { pmovsxbw(d, qword[a]); });
    case Op::V128Load8x8U: return loadLanes([&](const Xmm &d, const RegExp &a) { pmovzxbw(d, qword[a]); });
    case Op::V128Load16x4S: return loadLanes([&](const Xmm &d, const RegExp &a) { pmovsxwd(d, qword[a]); });
    case Op::V128Load16x4U: return loadLanes([&](const Xmm &d, const RegExp &a) { pmovzxwd(d, qword[a]); });
    case Op::V128Load32x2S: return loadLanes([&](const Xmm &d, const RegExp &a) { pmovsxdq(d, qword[a]); });
    case Op::V128Load32x2U: return loadLanes([&](const Xmm &d, const RegExp &a) { pmovzxdq(d, qword[a]); });
    case Op::V128Load8Splat:
      return loadLanes([&](const Xmm &d, const RegExp &a) { pinsrb(d, byte[a], 0); pxor(t3, t3); pshufb(d, t3); });
    case Op::V128Load16Splat:
      return loadLanes([&](const Xmm &d, const RegExp &a) { pinsrw(d, word[a], 0); pshuflw(d, d, 0); pshufd(d, d, 0); });
    case Op::V128Load32Splat: return loadLanes([&](const Xmm &d, const RegExp &a) { movd(d, dword[a]); pshufd(d, d, 0); });
    case Op::V128Load64Splat: return loadLanes([&](const Xmm &d, const RegExp &a) { movq(d, qword[a]); punpcklqdq(d, d); });
    case Op::V128Load32Zero: return loadLanes([&](const Xmm &d, const RegExp &a) { movd(d, dword[a]); });
    case Op::V128Load64Zero: return loadLanes([&](const Xmm &d, const RegExp &a) { movq(d, qword[a]); });
    case Op::V128Store: {
      Xmm v = operandXmm(top, xmm0);
      RegExp a = address(top - 1);
      movdqu(xword[a], v);
      stack_.pop_back();
      return;
    }
    case Op::V128Load8Lane: case Op::V128Load16Lane: case Op::V128Load32Lane: case Op::V128Load64Lane: {
      loadV128(xmm0, top);
      RegExp a = address(top - 1);
      if (op == Op::V128Load8Lane) pinsrb(xmm0, byte[a], lane);
      else if (op == Op::V128Load16Lane) pinsrw(xmm0, word[a], lane);
      else if (op == Op::V128Load32Lane) pinsrd(xmm0, dword[a], lane);
      else pinsrq(xmm0, qword[a], lane);
      result(top - 1);
      return;
    }
    case Op::V128Store8Lane: case Op::V128Store16Lane: case Op::V128Store32Lane: case Op::V128Store64Lane: {
      loadV128(xmm0, top);
      RegExp a = address(top - 1);
      if (op == Op::V128Store8Lane) pextrb(byte[a], xmm0, lane);
      else if (op == Op::V128Store16Lane) pextrw(word[a], xmm0, lane);
      else if (op == Op::V128Store32Lane) pextrd(dword[a], xmm0, lane);
      else pextrq(qword[a], xmm0, lane);
      stack_.pop_back();
      return;
    }
    case Op::V128Const: {
      const Xmm &d = kOperandXmms[pushNewXmm(ValType::V128)];
      if (std::ranges::all_of(imm.bytes, [](uint8_t b) { return b == 0; })) pxor(d, d);
      else if (std::ranges::all_of(imm.bytes, [](uint8_t b) { return b == 0xFF; })) pcmpeqd(d, d);
      else movdqu(d, constant(imm.bytes));
      return;
    }
    case Op::I8x16Shuffle: {
      // Lanes below 16 from a, the rest from b: each pshufb zeroes the lanes the other fills.
      std::array<uint8_t, 16> fromA{}, fromB{};
      for (size_t i = 0; i < 16; i++) {
        fromA[i] = imm.bytes[i] < 16 ? imm.bytes[i] : 0x80;
        fromB[i] = imm.bytes[i] >= 16 ? static_cast<uint8_t>(imm.bytes[i] - 16) : 0x80;
      }
      // One pshufb where all lanes come from one operand (as from shuffles that widen or reverse).
      bool onlyA = std::ranges::all_of(imm.bytes, [](uint8_t i) { return i < 16; });
      bool onlyB = std::ranges::all_of(imm.bytes, [](uint8_t i) { return i >= 16; });
      return binary3([&](const Xmm &d, const Xmm &a, const Xmm &b) {
        if (onlyB) return WASMO_V(pshufb)(d, b, constant(fromB));
        if (!onlyA) WASMO_V(pshufb)(t0, b, constant(fromB));  // first: d may be b's register
        WASMO_V(pshufb)(d, a, constant(fromA));
        if (!onlyA) WASMO_V(por)(d, d, t0);
      });
    }
    case Op::I8x16Swizzle:
      // Indices of 16 and more select 0: saturating + 0x70 sets their top bit, which pshufb zeroes by.
      return binary3([&](const Xmm &d, const Xmm &a, const Xmm &b) {
        WASMO_V(paddusb)(t0, b, constant(splatBytes<uint8_t>(0x70)));
        WASMO_V(pshufb)(d, a, t0);
      });
    case Op::I8x16Splat: loadTo(eax, top); broadcastByte(xmm0); result(top); return;
    case Op::I16x8Splat: loadTo(eax, top); movd(xmm0, eax); pshuflw(xmm0, xmm0, 0); pshufd(xmm0, xmm0, 0); result(top); return;
    case Op::I32x4Splat: {
      loadTo(eax, top);
      dropTo(top);
      const Xmm &d = kOperandXmms[pushNewXmm(ValType::V128)];
      movd(d, eax);
      pshufd(d, d, 0);
      return;
    }
    case Op::I64x2Splat: loadTo(rax, top); movq(xmm0, rax); punpcklqdq(xmm0, xmm0); result(top); return;
    case Op::F32x4Splat: loadXmm(xmm0, top, false); dropTo(top); pshufd(kOperandXmms[pushNewXmm(ValType::V128)], xmm0, 0); return;
    case Op::F64x2Splat: loadXmm(xmm0, top, true); punpcklqdq(xmm0, xmm0); result(top); return;
    // Lanes are read from the operand's own register (pextr* and extractps take any source: no VEX
    // form would save more).
    case Op::I8x16ExtractLaneS: pextrb(eax, operandXmm(top, xmm0), lane); movsx(eax, al); resultI32(top); return;
    case Op::I8x16ExtractLaneU: pextrb(eax, operandXmm(top, xmm0), lane); resultI32(top); return;
    case Op::I16x8ExtractLaneS: pextrw(eax, operandXmm(top, xmm0), lane); movsx(eax, ax); resultI32(top); return;
    case Op::I16x8ExtractLaneU: pextrw(eax, operandXmm(top, xmm0), lane); resultI32(top); return;
    case Op::I32x4ExtractLane: pextrd(eax, operandXmm(top, xmm0), lane); resultI32(top); return;
    case Op::I64x2ExtractLane:
      pextrq(rax, operandXmm(top, xmm0), lane);
      dropTo(top);
      pushRax(ValType::I64);
      return;
    case Op::F32x4ExtractLane:
      // insertps of the lane into lane 0 with the zero mask 0b1110: the f32's register holds nothing
      // above it, and the SSE form does not read its destination either.
      return unary3At(top, [&](const Xmm &d, const Xmm &a) {
        auto imm = static_cast<uint8_t>(lane << 6 | 0x0E);
        WASMO_AVX_OR(vinsertps(d, a, a, imm), insertps(d, a, imm));
      }, ValType::F32);
    case Op::F64x2ExtractLane:
      return unary3At(top, [&](const Xmm &d, const Xmm &a) {
        if (lane == 1) WASMO_VS(psrldq)(d, a, 8); else movq(d, a);  // the upper lane zero
      }, ValType::F64);
    case Op::I8x16ReplaceLane: case Op::I16x8ReplaceLane: case Op::I32x4ReplaceLane: case Op::I64x2ReplaceLane:
      loadTo(op == Op::I64x2ReplaceLane ? Reg(rax) : Reg(eax), top);
      dropTo(top);
      return unary3At(top - 1, [&](const Xmm &d, const Xmm &a) {
        if (op == Op::I8x16ReplaceLane) WASMO_AVX_OR(vpinsrb(d, a, eax, lane), copyTo(d, a); pinsrb(d, eax, lane));
        else if (op == Op::I16x8ReplaceLane) WASMO_AVX_OR(vpinsrw(d, a, eax, lane), copyTo(d, a); pinsrw(d, eax, lane));
        else if (op == Op::I32x4ReplaceLane) WASMO_AVX_OR(vpinsrd(d, a, eax, lane), copyTo(d, a); pinsrd(d, eax, lane));
        else WASMO_AVX_OR(vpinsrq(d, a, rax, lane), copyTo(d, a); pinsrq(d, rax, lane));
      });
    case Op::F32x4ReplaceLane:
      return replaceFloatLane(false, [&](const Xmm &d, const Xmm &a, const Xmm &x) {
        auto imm = static_cast<uint8_t>(lane << 4);
        WASMO_AVX_OR(vinsertps(d, a, x, imm), copyTo(d, a); insertps(d, x, imm));
      });
    case Op::F64x2ReplaceLane:
      return replaceFloatLane(true, [&](const Xmm &d, const Xmm &a, const Xmm &x) {
        if (lane == 1) WASMO_AVX_OR(vmovlhps(d, a, x), copyTo(d, a); movlhps(d, x));
        else WASMO_AVX_OR(vmovsd(d, a, x), copyTo(d, a); movsd(d, x));
      });

    case Op::I8x16Eq: return cmp8(Cmp::Eq);
    case Op::I8x16Ne: return cmp8(Cmp::Ne);
    case Op::I8x16LtS: return cmp8(Cmp::LtS);
    case Op::I8x16LtU: return cmp8(Cmp::LtU);
    case Op::I8x16GtS: return cmp8(Cmp::GtS);
    case Op::I8x16GtU: return cmp8(Cmp::GtU);
    case Op::I8x16LeS: return cmp8(Cmp::LeS);
    case Op::I8x16LeU: return cmp8(Cmp::LeU);
    case Op::I8x16GeS: return cmp8(Cmp::GeS);
    case Op::I8x16GeU: return cmp8(Cmp::GeU);
    case Op::I16x8Eq: return cmp16(Cmp::Eq);
    case Op::I16x8Ne: return cmp16(Cmp::Ne);
    case Op::I16x8LtS: return cmp16(Cmp::LtS);
    case Op::I16x8LtU: return cmp16(Cmp::LtU);
    case Op::I16x8GtS: return cmp16(Cmp::GtS);
    case Op::I16x8GtU: return cmp16(Cmp::GtU);
    case Op::I16x8LeS: return cmp16(Cmp::LeS);
    case Op::I16x8LeU: return cmp16(Cmp::LeU);
    case Op::I16x8GeS: return cmp16(Cmp::GeS);
    case Op::I16x8GeU: return cmp16(Cmp::GeU);
    case Op::I32x4Eq: return cmp32(Cmp::Eq);
    case Op::I32x4Ne: return cmp32(Cmp::Ne);
    case Op::I32x4LtS: return cmp32(Cmp::LtS);
    case Op::I32x4LtU: return cmp32(Cmp::LtU);
    case Op::I32x4GtS: return cmp32(Cmp::GtS);
    case Op::I32x4GtU: return cmp32(Cmp::GtU);
    case Op::I32x4LeS: return cmp32(Cmp::LeS);
    case Op::I32x4LeU: return cmp32(Cmp::LeU);
    case Op::I32x4GeS: return cmp32(Cmp::GeS);
    case Op::I32x4GeU: return cmp32(Cmp::GeU);
    case Op::I64x2Eq: return cmp64(Cmp::Eq);
    case Op::I64x2Ne: return cmp64(Cmp::Ne);
    case Op::I64x2LtS: return cmp64(Cmp::LtS);
    case Op::I64x2GtS: return cmp64(Cmp::GtS);
    case Op::I64x2LeS: return cmp64(Cmp::LeS);
    case Op::I64x2GeS: return cmp64(Cmp::GeS);
    case Op::F32x4Eq: return fcmp(false, 0, false);
    case Op::F32x4Ne: return fcmp(false, 4, false);
    case Op::F32x4Lt: return fcmp(false, 1, false);
    case Op::F32x4Gt: return fcmp(false, 1, true);
    case Op::F32x4Le: return fcmp(false, 2, false);
    case Op::F32x4Ge: return fcmp(false, 2, true);
    case Op::F64x2Eq: return fcmp(true, 0, false);
    case Op::F64x2Ne: return fcmp(true, 4, false);
    case Op::F64x2Lt: return fcmp(true, 1, false);
    case Op::F64x2Gt: return fcmp(true, 1, true);
    case Op::F64x2Le: return fcmp(true, 2, false);
    case Op::F64x2Ge: return fcmp(true, 2, true);

    case Op::V128Not: return unary3(invertTo);
    case Op::V128And: return binary3(WASMO_V(pand));
    case Op::V128Andnot: return binary3([&](const Xmm &d, const Xmm &a, const Xmm &b) { WASMO_V(pandn)(d, b, a); }, true);
    case Op::V128Or: return binary3(WASMO_V(por));
    case Op::V128Xor: return binary3(WASMO_V(pxor));
    case Op::V128Bitselect: {
      // v1 where c is set, v2 elsewhere: ((v1 ^ v2) & c) ^ v2 (d may be v2's register: read last).
      Xmm v1 = operandXmm(top - 2, xmm0), v2 = operandXmm(top - 1, xmm1), c = operandXmm(top, t0);
      dropTo(top - 2);
      const Xmm &d = kOperandXmms[pushNewXmm(ValType::V128)];
      WASMO_V(pxor)(t1, v1, v2);
      WASMO_V(pand)(t1, t1, c);
      WASMO_V(pxor)(d, v2, t1);
      return;
    }
    // These read the operand where it is; only i16x8.bitmask gains by a VEX form (its pack is into
    // another register), the others' instructions do not write it.
    case Op::V128AnyTrue: {
      Xmm a = operandXmm(top, xmm0);
      ptest(a, a);
      setnz(al);
      movzx(eax, al);
      resultI32(top);
      return;
    }
    case Op::I8x16AllTrue: case Op::I16x8AllTrue: case Op::I32x4AllTrue: case Op::I64x2AllTrue: {
      // No lane equals zero.
      Xmm a = operandXmm(top, xmm0);
      pxor(xmm1, xmm1);
      if (op == Op::I8x16AllTrue) pcmpeqb(xmm1, a);
      else if (op == Op::I16x8AllTrue) pcmpeqw(xmm1, a);
      else if (op == Op::I32x4AllTrue) pcmpeqd(xmm1, a);
      else pcmpeqq(xmm1, a);
      ptest(xmm1, xmm1);
      setz(al);
      movzx(eax, al);
      resultI32(top);
      return;
    }
    case Op::I8x16Bitmask: pmovmskb(eax, operandXmm(top, xmm0)); resultI32(top); return;
    case Op::I16x8Bitmask: {
      Xmm a = operandXmm(top, xmm0);
      WASMO_V(packsswb)(xmm1, a, a);  // keeps each lane's sign in a byte
      pmovmskb(eax, xmm1);
      movzx(eax, al);
      resultI32(top);
      return;
    }
    case Op::I32x4Bitmask: movmskps(eax, operandXmm(top, xmm0)); resultI32(top); return;
    case Op::I64x2Bitmask: movmskpd(eax, operandXmm(top, xmm0)); resultI32(top); return;

    case Op::I8x16Abs: return unary3(WASMO_V1(pabsb));
    case Op::I16x8Abs: return unary3(WASMO_V1(pabsw));
    case Op::I32x4Abs: return unary3(WASMO_V1(pabsd));
    case Op::I64x2Abs:
      return unary3([&](const Xmm &d, const Xmm &a) {
        WASMO_VS(psrad)(t0, a, 31);
        WASMO_VI(pshufd, 0xF5)(t0, t0);  // each lane's sign, all over the lane
        WASMO_V(pxor)(d, a, t0);
        WASMO_V(psubq)(d, d, t0);
      });
    case Op::I8x16Neg: return negate(WASMO_V(psubb));
    case Op::I16x8Neg: return negate(WASMO_V(psubw));
    case Op::I32x4Neg: return negate(WASMO_V(psubd));
    case Op::I64x2Neg: return negate(WASMO_V(psubq));
    case Op::I8x16Popcnt:
      // Each nibble's count from a table, by pshufb (d is written once a is read).
      return unary3([&](const Xmm &d, const Xmm &a) {
        static constexpr std::array<uint8_t, 16> kNibbleCounts{0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4};
        movdqu(t0, constant(splatBytes<uint8_t>(0x0F)));
        WASMO_VS(psrlw)(t1, a, 4);
        WASMO_V(pand)(t1, t1, t0);
        WASMO_V(pand)(t2, a, t0);
        movdqu(t0, constant(kNibbleCounts));
        WASMO_V(pshufb)(d, t0, t2);
        WASMO_V(pshufb)(t3, t0, t1);
        WASMO_V(paddb)(d, d, t3);
      });
    case Op::I8x16NarrowI16x8S: return binary3(WASMO_V(packsswb));
    case Op::I8x16NarrowI16x8U: return binary3(WASMO_V(packuswb));
    case Op::I16x8NarrowI32x4S: return binary3(WASMO_V(packssdw));
    case Op::I16x8NarrowI32x4U: return binary3(WASMO_V(packusdw));
    case Op::I16x8ExtendLowI8x16S: return extend(false, WASMO_V1(pmovsxbw));
    case Op::I16x8ExtendHighI8x16S: return extend(true, WASMO_V1(pmovsxbw));
    case Op::I16x8ExtendLowI8x16U: return extend(false, WASMO_V1(pmovzxbw));
    case Op::I16x8ExtendHighI8x16U: return extend(true, WASMO_V1(pmovzxbw));
    case Op::I32x4ExtendLowI16x8S: return extend(false, WASMO_V1(pmovsxwd));
    case Op::I32x4ExtendHighI16x8S: return extend(true, WASMO_V1(pmovsxwd));
    case Op::I32x4ExtendLowI16x8U: return extend(false, WASMO_V1(pmovzxwd));
    case Op::I32x4ExtendHighI16x8U: return extend(true, WASMO_V1(pmovzxwd));
    case Op::I64x2ExtendLowI32x4S: return extend(false, WASMO_V1(pmovsxdq));
    case Op::I64x2ExtendHighI32x4S: return extend(true, WASMO_V1(pmovsxdq));
    case Op::I64x2ExtendLowI32x4U: return extend(false, WASMO_V1(pmovzxdq));
    case Op::I64x2ExtendHighI32x4U: return extend(true, WASMO_V1(pmovzxdq));
    case Op::I16x8ExtmulLowI8x16S: return extmul(false, WASMO_V1(pmovsxbw), WASMO_V(pmullw));
    case Op::I16x8ExtmulHighI8x16S: return extmul(true, WASMO_V1(pmovsxbw), WASMO_V(pmullw));
    case Op::I16x8ExtmulLowI8x16U: return extmul(false, WASMO_V1(pmovzxbw), WASMO_V(pmullw));
    case Op::I16x8ExtmulHighI8x16U: return extmul(true, WASMO_V1(pmovzxbw), WASMO_V(pmullw));
    case Op::I32x4ExtmulLowI16x8S: return extmul(false, WASMO_V1(pmovsxwd), WASMO_V(pmulld));
    case Op::I32x4ExtmulHighI16x8S: return extmul(true, WASMO_V1(pmovsxwd), WASMO_V(pmulld));
    case Op::I32x4ExtmulLowI16x8U: return extmul(false, WASMO_V1(pmovzxwd), WASMO_V(pmulld));
    case Op::I32x4ExtmulHighI16x8U: return extmul(true, WASMO_V1(pmovzxwd), WASMO_V(pmulld));
    // pmuldq and pmuludq multiply the low 32 bits of each 64-bit lane.
    case Op::I64x2ExtmulLowI32x4S: return extmul(false, WASMO_V1(pmovsxdq), WASMO_V(pmuldq));
    case Op::I64x2ExtmulHighI32x4S: return extmul(true, WASMO_V1(pmovsxdq), WASMO_V(pmuldq));
    case Op::I64x2ExtmulLowI32x4U: return extmul(false, WASMO_V1(pmovzxdq), WASMO_V(pmuludq));
    case Op::I64x2ExtmulHighI32x4U: return extmul(true, WASMO_V1(pmovzxdq), WASMO_V(pmuludq));
    // pmaddubsw multiplies unsigned bytes of its first operand by signed ones of its second, and
    // adds pairs; the sums of two bytes cannot saturate.
    case Op::I16x8ExtaddPairwiseI8x16S:
      return unary3([&](const Xmm &d, const Xmm &a) {
        movdqu(t0, constant(splatBytes<uint8_t>(1)));
        WASMO_AVX_OR(vpmaddubsw(d, t0, a), pmaddubsw(t0, a); movaps(d, t0));  // without AVX, d may be a
      });
    case Op::I16x8ExtaddPairwiseI8x16U: return unary3([&](const Xmm &d, const Xmm &a) { WASMO_V(pmaddubsw)(d, a, constant(splatBytes<uint8_t>(1))); });
    case Op::I32x4ExtaddPairwiseI16x8S: return unary3([&](const Xmm &d, const Xmm &a) { WASMO_V(pmaddwd)(d, a, constant(splatBytes<uint16_t>(1))); });
    case Op::I32x4ExtaddPairwiseI16x8U:
      // pmaddwd is signed: bias each lane by -0x8000, and the pair's sum back by 0x10000.
      return unary3([&](const Xmm &d, const Xmm &a) {
        WASMO_V(pxor)(d, a, constant(splatBytes<uint16_t>(0x8000)));
        WASMO_V(pmaddwd)(d, d, constant(splatBytes<uint16_t>(1)));
        WASMO_V(paddd)(d, d, constant(splatBytes<uint32_t>(0x10000)));
      });
    case Op::I16x8Q15mulrSatS:
      // pmulhrsw is q15mulr, except that -1 * -1 wraps to 0x8000 where the spec saturates.
      return binary3([&](const Xmm &d, const Xmm &a, const Xmm &b) {
        WASMO_V(pmulhrsw)(d, a, b);
        WASMO_V(pcmpeqw)(t0, d, constant(splatBytes<uint16_t>(0x8000)));
        WASMO_V(pxor)(d, d, t0);
      });
    case Op::I32x4DotI16x8S: return binary3(WASMO_V(pmaddwd));

    // Shifting bytes as words: the bits shifted in from the neighbouring byte are masked off.
    case Op::I8x16Shl:
      return shift3(8, [&](const Xmm &d, const Xmm &a, uint8_t n) {
        WASMO_VS(psllw)(d, a, n);
        WASMO_V(pand)(d, d, constant(splatBytes<uint8_t>(static_cast<uint8_t>(0xFF << n))));
      }, [&](const Xmm &d, const Xmm &a, const Xmm &count) {
        WASMO_V(psllw)(d, a, count);
        mov(eax, 0xFF);
        shl(eax, cl);  // bits shifted in from the byte below are cleared
        broadcastByte(t0);
        WASMO_V(pand)(d, d, t0);
      });
    case Op::I8x16ShrU:
      return shift3(8, [&](const Xmm &d, const Xmm &a, uint8_t n) {
        WASMO_VS(psrlw)(d, a, n);
        WASMO_V(pand)(d, d, constant(splatBytes<uint8_t>(static_cast<uint8_t>(0xFF >> n))));
      }, [&](const Xmm &d, const Xmm &a, const Xmm &count) {
        WASMO_V(psrlw)(d, a, count);
        mov(eax, 0xFF);
        shr(eax, cl);
        broadcastByte(t0);
        WASMO_V(pand)(d, d, t0);
      });
    case Op::I8x16ShrS: {
      // Each byte doubled into a word: its high copy shifted arithmetically by 8 more is the lane.
      auto byWords = [&](const Xmm &d, const Xmm &a, auto sraw) {
        WASMO_V(punpckhbw)(t0, a, a);
        WASMO_V(punpcklbw)(d, a, a);
        sraw(t0);
        sraw(d);
        WASMO_V(packsswb)(d, d, t0);
      };
      return shift3(8, [&](const Xmm &d, const Xmm &a, uint8_t n) {
        byWords(d, a, [&](const Xmm &x) { WASMO_VS(psraw)(x, x, static_cast<uint8_t>(n + 8)); });
      }, [&](const Xmm &d, const Xmm &a, const Xmm &count) {
        add(ecx, 8);
        movd(count, ecx);
        byWords(d, a, [&](const Xmm &x) { WASMO_V(psraw)(x, x, count); });
      });
    }
    case Op::I16x8Shl: return shift3(16, WASMO_VS(psllw), WASMO_V(psllw));
    case Op::I16x8ShrS: return shift3(16, WASMO_VS(psraw), WASMO_V(psraw));
    case Op::I16x8ShrU: return shift3(16, WASMO_VS(psrlw), WASMO_V(psrlw));
    case Op::I32x4Shl: return shift3(32, WASMO_VS(pslld), WASMO_V(pslld));
    case Op::I32x4ShrS: return shift3(32, WASMO_VS(psrad), WASMO_V(psrad));
    case Op::I32x4ShrU: return shift3(32, WASMO_VS(psrld), WASMO_V(psrld));
    case Op::I64x2Shl: return shift3(64, WASMO_VS(psllq), WASMO_V(psllq));
    case Op::I64x2ShrU: return shift3(64, WASMO_VS(psrlq), WASMO_V(psrlq));
    case Op::I64x2ShrS:
      // No psraq: shift logically, then sign-extend from the shifted sign bit m: (x ^ m) - m.
      return shift3(64, [&](const Xmm &d, const Xmm &a, uint8_t n) {
        Address m = constant(splatBytes<uint64_t>((uint64_t{1} << 63) >> n));
        WASMO_VS(psrlq)(d, a, n);
        WASMO_V(pxor)(d, d, m);
        WASMO_V(psubq)(d, d, m);
      }, [&](const Xmm &d, const Xmm &a, const Xmm &count) {
        movdqu(t0, constant(splatBytes<uint64_t>(uint64_t{1} << 63)));
        WASMO_V(psrlq)(t0, t0, count);
        WASMO_V(psrlq)(d, a, count);
        WASMO_V(pxor)(d, d, t0);
        WASMO_V(psubq)(d, d, t0);
      });

    case Op::I8x16Add: return binary3(WASMO_V(paddb));
    case Op::I8x16AddSatS: return binary3(WASMO_V(paddsb));
    case Op::I8x16AddSatU: return binary3(WASMO_V(paddusb));
    case Op::I8x16Sub: return binary3(WASMO_V(psubb));
    case Op::I8x16SubSatS: return binary3(WASMO_V(psubsb));
    case Op::I8x16SubSatU: return binary3(WASMO_V(psubusb));
    case Op::I8x16MinS: return binary3(WASMO_V(pminsb));
    case Op::I8x16MinU: return binary3(WASMO_V(pminub));
    case Op::I8x16MaxS: return binary3(WASMO_V(pmaxsb));
    case Op::I8x16MaxU: return binary3(WASMO_V(pmaxub));
    case Op::I8x16AvgrU: return binary3(WASMO_V(pavgb));
    case Op::I16x8Add: return binary3(WASMO_V(paddw));
    case Op::I16x8AddSatS: return binary3(WASMO_V(paddsw));
    case Op::I16x8AddSatU: return binary3(WASMO_V(paddusw));
    case Op::I16x8Sub: return binary3(WASMO_V(psubw));
    case Op::I16x8SubSatS: return binary3(WASMO_V(psubsw));
    case Op::I16x8SubSatU: return binary3(WASMO_V(psubusw));
    case Op::I16x8Mul: return binary3(WASMO_V(pmullw));
    case Op::I16x8MinS: return binary3(WASMO_V(pminsw));
    case Op::I16x8MinU: return binary3(WASMO_V(pminuw));
    case Op::I16x8MaxS: return binary3(WASMO_V(pmaxsw));
    case Op::I16x8MaxU: return binary3(WASMO_V(pmaxuw));
    case Op::I16x8AvgrU: return binary3(WASMO_V(pavgw));
    case Op::I32x4Add: return binary3(WASMO_V(paddd));
    case Op::I32x4Sub: return binary3(WASMO_V(psubd));
    case Op::I32x4Mul: return binary3(WASMO_V(pmulld));
    case Op::I32x4MinS: return binary3(WASMO_V(pminsd));
    case Op::I32x4MinU: return binary3(WASMO_V(pminud));
    case Op::I32x4MaxS: return binary3(WASMO_V(pmaxsd));
    case Op::I32x4MaxU: return binary3(WASMO_V(pmaxud));
    case Op::I64x2Add: return binary3(WASMO_V(paddq));
    case Op::I64x2Sub: return binary3(WASMO_V(psubq));
    case Op::I64x2Mul:
      // lo(a)·lo(b) + (hi(a)·lo(b) + lo(a)·hi(b)) << 32, from 32×32→64 products.
      return binary3([&](const Xmm &d, const Xmm &a, const Xmm &b) {
        WASMO_VS(psrlq)(t0, a, 32);
        WASMO_V(pmuludq)(t0, t0, b);
        WASMO_VS(psrlq)(t1, b, 32);
        WASMO_V(pmuludq)(t1, t1, a);
        WASMO_V(paddq)(t0, t0, t1);
        WASMO_VS(psllq)(t0, t0, 32);
        WASMO_V(pmuludq)(d, a, b);
        WASMO_V(paddq)(d, d, t0);
      });

    // Sign operations on the bits alone, NaNs included (spec 4.3.3 fabs, fneg).
    case Op::F32x4Abs: return unary3([&](const Xmm &d, const Xmm &a) { WASMO_V(andps)(d, a, constant(splatBytes<uint32_t>(0x7FFFFFFF))); });
    case Op::F32x4Neg: return unary3([&](const Xmm &d, const Xmm &a) { WASMO_V(xorps)(d, a, constant(splatBytes<uint32_t>(0x80000000))); });
    case Op::F64x2Abs: return unary3([&](const Xmm &d, const Xmm &a) { WASMO_V(andps)(d, a, constant(splatBytes<uint64_t>(~(uint64_t{1} << 63)))); });
    case Op::F64x2Neg: return unary3([&](const Xmm &d, const Xmm &a) { WASMO_V(xorps)(d, a, constant(splatBytes<uint64_t>(uint64_t{1} << 63))); });
    case Op::F32x4Sqrt: return unary3(WASMO_V1(sqrtps));
    case Op::F64x2Sqrt: return unary3(WASMO_V1(sqrtpd));
    // roundps/roundpd modes: 0 nearest-even, 1 down, 2 up, 3 toward zero.
    case Op::F32x4Ceil: return unary3(WASMO_VI(roundps, 2));
    case Op::F32x4Floor: return unary3(WASMO_VI(roundps, 1));
    case Op::F32x4Trunc: return unary3(WASMO_VI(roundps, 3));
    case Op::F32x4Nearest: return unary3(WASMO_VI(roundps, 0));
    case Op::F64x2Ceil: return unary3(WASMO_VI(roundpd, 2));
    case Op::F64x2Floor: return unary3(WASMO_VI(roundpd, 1));
    case Op::F64x2Trunc: return unary3(WASMO_VI(roundpd, 3));
    case Op::F64x2Nearest: return unary3(WASMO_VI(roundpd, 0));
    case Op::F32x4Add: return binary3(WASMO_V(addps));
    case Op::F32x4Sub: return binary3(WASMO_V(subps));
    case Op::F32x4Mul: return binary3(WASMO_V(mulps));
    case Op::F32x4Div: return binary3(WASMO_V(divps));
    case Op::F64x2Add: return binary3(WASMO_V(addpd));
    case Op::F64x2Sub: return binary3(WASMO_V(subpd));
    case Op::F64x2Mul: return binary3(WASMO_V(mulpd));
    case Op::F64x2Div: return binary3(WASMO_V(divpd));
    case Op::F32x4Min: return fminmax(false, true);
    case Op::F32x4Max: return fminmax(false, false);
    case Op::F64x2Min: return fminmax(true, true);
    case Op::F64x2Max: return fminmax(true, false);
    // pmin is b < a ? b : a and pmax a < b ? b : a (spec 4.3.3): minps/maxps with b first, exactly.
    case Op::F32x4Pmin: return binary3([&](const Xmm &d, const Xmm &a, const Xmm &b) { WASMO_V(minps)(d, b, a); }, true);
    case Op::F32x4Pmax: return binary3([&](const Xmm &d, const Xmm &a, const Xmm &b) { WASMO_V(maxps)(d, b, a); }, true);
    case Op::F64x2Pmin: return binary3([&](const Xmm &d, const Xmm &a, const Xmm &b) { WASMO_V(minpd)(d, b, a); }, true);
    case Op::F64x2Pmax: return binary3([&](const Xmm &d, const Xmm &a, const Xmm &b) { WASMO_V(maxpd)(d, b, a); }, true);

    case Op::F32x4ConvertI32x4S: return unary3(WASMO_V1(cvtdq2ps));
    case Op::F32x4ConvertI32x4U:
      // The low 16 bits convert exactly; the rest, halved, too; one rounding in the final add.
      return unary3([&](const Xmm &d, const Xmm &a) {
        WASMO_V(pxor)(t0, t0, t0);
        WASMO_AVX_OR(vpblendw(t0, t0, a, 0x55), pblendw(t0, a, 0x55));
        WASMO_V(psubd)(t1, a, t0);
        WASMO_V1(cvtdq2ps)(t0, t0);
        WASMO_VS(psrld)(t1, t1, 1);
        WASMO_V1(cvtdq2ps)(t1, t1);
        WASMO_V(addps)(t1, t1, t1);
        WASMO_V(addps)(d, t1, t0);
      });
    case Op::F64x2ConvertLowI32x4S: return unary3(WASMO_V1(cvtdq2pd));
    case Op::F64x2ConvertLowI32x4U:
      // 2^52 + x as the bits 0x43300000:x, then minus 2^52: exact.
      return unary3([&](const Xmm &d, const Xmm &a) {
        WASMO_V(unpcklps)(d, a, constant(splatBytes<uint32_t>(0x43300000)));
        WASMO_V(subpd)(d, d, constant(splatBytes<uint64_t>(0x4330000000000000)));
      });
    case Op::F32x4DemoteF64x2Zero: return unary3(WASMO_V1(cvtpd2ps));
    case Op::F64x2PromoteLowF32x4: return unary3(WASMO_V1(cvtps2pd));
    case Op::I32x4TruncSatF32x4S:
      // cvttps2dq gives 0x80000000 for NaN and out of range: NaN lanes are zeroed first, and lanes
      // at or above 2^31 flipped to 0x7FFFFFFF after (spec 4.3.3 trunc_sat_s).
      return unary3([&](const Xmm &d, const Xmm &a) {
        cmpp(false, t0, a, a, 0);
        WASMO_V(andps)(t1, a, t0);
        cmpp(false, t0, t1, constant(splatBytes<uint32_t>(0x4F000000)), 5);  // not below 2^31
        WASMO_V1(cvttps2dq)(d, t1);
        WASMO_V(pxor)(d, d, t0);
      });
    case Op::I32x4TruncSatF32x4U:
      // NaN and negatives to 0 (maxps gives its second operand for NaN); lanes from 2^31 convert as
      // x - 2^31 plus 0x80000000, and lanes from 2^32 saturate to 0xFFFFFFFF (spec 4.3.3 trunc_sat_u).
      return unary3([&](const Xmm &d, const Xmm &a) {
        Address twoTo31 = constant(splatBytes<uint32_t>(0x4F000000));
        WASMO_V(pxor)(t0, t0, t0);
        WASMO_V(maxps)(t2, a, t0);
        WASMO_V(subps)(t1, t2, twoTo31);
        cmpp(false, t0, t1, twoTo31, 5);  // x - 2^31 >= 2^31
        WASMO_V1(cvttps2dq)(t1, t1);
        WASMO_V(pxor)(t1, t1, t0);
        WASMO_V(pxor)(t0, t0, t0);
        WASMO_V(pmaxsd)(t1, t1, t0);
        WASMO_V1(cvttps2dq)(d, t2);
        WASMO_V(paddd)(d, d, t1);
      });
    case Op::I32x4TruncSatF64x2SZero:
      return unary3([&](const Xmm &d, const Xmm &a) {
        cmpp(true, t0, a, a, 0);
        WASMO_V(andpd)(t0, t0, a);
        WASMO_V(minpd)(t0, t0, constant(splatBytes<uint64_t>(std::bit_cast<uint64_t>(2147483647.0))));
        WASMO_V1(cvttpd2dq)(d, t0);  // below -2^31 gives 0x80000000, the minimum
      });
    case Op::I32x4TruncSatF64x2UZero:
      // Clamped and truncated, each lane plus 2^52 holds its integer in its low 32 bits.
      return unary3([&](const Xmm &d, const Xmm &a) {
        WASMO_V(pxor)(t0, t0, t0);
        WASMO_V(maxpd)(t1, a, t0);
        WASMO_V(minpd)(t1, t1, constant(splatBytes<uint64_t>(std::bit_cast<uint64_t>(4294967295.0))));
        WASMO_VI(roundpd, 3)(t1, t1);
        WASMO_V(addpd)(t1, t1, constant(splatBytes<uint64_t>(0x4330000000000000)));
        WASMO_AVX_OR(vshufps(d, t1, t0, 0x88), copyTo(d, t1); shufps(d, t0, 0x88));
      });

    // The decoder sends these elsewhere; they never reach simd().
#define WASMO_NOT_SIMD(name, ...) case Op::name:
    WASMO_SPECIAL_OPS(WASMO_NOT_SIMD) WASMO_LOAD_OPS(WASMO_NOT_SIMD) WASMO_STORE_OPS(WASMO_NOT_SIMD)
    WASMO_UNARY_OPS(WASMO_NOT_SIMD) WASMO_BINARY_OPS(WASMO_NOT_SIMD) WASMO_BULK_OPS(WASMO_NOT_SIMD)
#undef WASMO_NOT_SIMD
      throw CompileError{WASMO_INTERNAL, std::string("simd() called with ") + opName(op)};
  }
#undef WASMO_V
#undef WASMO_V1
#undef WASMO_VI
#undef WASMO_VS
}
