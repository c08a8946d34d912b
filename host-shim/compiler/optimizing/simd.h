// 128-bit SIMD on the optimizing tier (spec 4.3.4 vector operators, 4.4.3 vector instructions,
// 4.4.7 memory instructions). Included by optimizing.cpp inside its namespace: these are Optimizing
// members. A v128 is a <2 x i64> wherever it is kept (operand stack, locals, labels, globals, calls);
// each instruction views it in the shape it works on (<16 x i8>, <4 x float>, ...) by a bitcast,
// which costs nothing. Lanes move by insertelement, extractelement and shufflevector, which keep
// every bit (NaN payloads too); floating-point arithmetic is constrained as the scalar kind is, so a
// signalling NaN operand gives a quiet NaN; memory accesses are volatile as scalar ones are.

void Optimizing::simd(Op op, const SimdImmediates &imm) {
  using P = llvm::CmpInst::Predicate;
  llvm::Type *i16 = b_.getInt16Ty();
  auto vec = [](llvm::Type *lane, unsigned n) { return llvm::FixedVectorType::get(lane, n); };
  llvm::FixedVectorType *i8x16 = vec(i8_, 16), *i16x8 = vec(i16, 8), *i32x4 = vec(i32_, 4), *i64x2 = v128_,
                        *f32x4 = vec(f32_, 4), *f64x2 = vec(f64_, 2);
  const unsigned lane = imm.lane;

  auto as = [&](llvm::Value *v, llvm::Type *shape) { return b_.CreateBitCast(v, shape); };
  // An x86 instruction, as LLVM's target intrinsic, where what it does is what the spec asks (this
  // tier emits x86-64 only, with SSE4.1).
  auto x86 = [&](llvm::Intrinsic::ID id, std::vector<llvm::Value *> args) { return b_.CreateIntrinsic(id, {}, args); };
  auto result = [&](llvm::Value *v) { push(b_.CreateBitCast(v, v128_)); };
  // v -> v and vv -> v in one shape.
  auto unary = [&](llvm::Type *shape, auto f) { result(f(as(pop(), shape))); };
  auto binary = [&](llvm::Type *shape, auto f) {
    llvm::Value *b = as(pop(), shape), *a = as(pop(), shape);
    result(f(a, b));
  };
  auto binop = [&](llvm::Type *shape, llvm::Instruction::BinaryOps o) {
    binary(shape, [&](llvm::Value *a, llvm::Value *b) { return b_.CreateBinOp(o, a, b); });
  };
  auto binaryIntrinsic = [&](llvm::Type *shape, llvm::Intrinsic::ID id) {
    binary(shape, [&](llvm::Value *a, llvm::Value *b) { return intrinsic(id, a, b); });
  };
  auto unaryConstrained = [&](llvm::Type *shape, llvm::Intrinsic::ID id) {
    unary(shape, [&](llvm::Value *a) { return constrained(id, a); });
  };
  // Comparisons give all ones in the lanes where they hold, zeros elsewhere (spec 4.3.4 vrelop);
  // float ones are false for NaN except ne, as the scalar ones.
  auto compare = [&](llvm::FixedVectorType *shape, P p) {
    binary(shape, [&](llvm::Value *a, llvm::Value *b) {
      llvm::Value *c = llvm::CmpInst::isFPPredicate(p) ? fcmp(p, a, b) : b_.CreateICmp(p, a, b);
      return b_.CreateSExt(c, llvm::VectorType::getInteger(shape));
    });
  };
  // Lanes `first`, `first + step`, ... of v, `n` of them.
  auto lanes = [&](llvm::Value *v, unsigned first, unsigned step, unsigned n) {
    std::vector<int> mask;
    for (unsigned i = 0; i < n; i++) mask.push_back(static_cast<int>(first + i * step));
    return b_.CreateShuffleVector(v, mask);
  };
  // A lane value sign- or zero-extended to lanes twice as wide.
  auto extend = [&](llvm::Value *v, bool isSigned) {
    auto *t = llvm::cast<llvm::FixedVectorType>(v->getType());
    llvm::Type *wide = vec(b_.getIntNTy(2 * t->getScalarSizeInBits()), t->getNumElements());
    return isSigned ? b_.CreateSExt(v, wide) : b_.CreateZExt(v, wide);
  };
  // The low or high half of v's lanes, extended (spec 4.3.4 extend_low, extend_high).
  auto half = [&](llvm::Value *v, bool high, bool isSigned) {
    unsigned n = llvm::cast<llvm::FixedVectorType>(v->getType())->getNumElements() / 2;
    return extend(lanes(v, high ? n : 0, 1, n), isSigned);
  };
  auto extendHalf = [&](llvm::Type *shape, bool high, bool isSigned) {
    unary(shape, [&](llvm::Value *a) { return half(a, high, isSigned); });
  };
  auto extmul = [&](llvm::Type *shape, bool high, bool isSigned) {
    binary(shape, [&](llvm::Value *a, llvm::Value *b) { return b_.CreateMul(half(a, high, isSigned), half(b, high, isSigned)); });
  };
  // The sum of each pair of adjacent lanes, extended (spec 4.3.4 extadd_pairwise).
  auto extaddPairwise = [&](llvm::FixedVectorType *shape, bool isSigned) {
    unsigned n = shape->getNumElements() / 2;
    unary(shape, [&](llvm::Value *a) { return b_.CreateAdd(extend(lanes(a, 0, 2, n), isSigned), extend(lanes(a, 1, 2, n), isSigned)); });
  };
  // narrow (spec 4.3.4): a's lanes then b's, each saturated (signed or unsigned) to half the width;
  // the operands are signed either way.
  auto narrow = [&](llvm::FixedVectorType *shape, bool isSigned) {
    binary(shape, [&](llvm::Value *a, llvm::Value *b) {
      unsigned n = shape->getNumElements(), w = shape->getScalarSizeInBits() / 2;
      std::vector<int> mask;
      for (unsigned i = 0; i < 2 * n; i++) mask.push_back(static_cast<int>(i));
      llvm::Value *x = b_.CreateShuffleVector(a, b, mask);
      llvm::Type *t = x->getType();
      llvm::APInt lo = isSigned ? llvm::APInt::getSignedMinValue(w).sext(2 * w) : llvm::APInt(2 * w, 0);
      llvm::APInt hi = isSigned ? llvm::APInt::getSignedMaxValue(w).sext(2 * w) : llvm::APInt::getMaxValue(w).zext(2 * w);
      x = intrinsic(llvm::Intrinsic::smax, x, llvm::ConstantInt::get(t, lo));
      x = intrinsic(llvm::Intrinsic::smin, x, llvm::ConstantInt::get(t, hi));
      return b_.CreateTrunc(x, vec(b_.getIntNTy(w), 2 * n));
    });
  };
  // Shifts take the count modulo the lane width (spec 4.3.4 ishl, ishr_s, ishr_u).
  auto shift = [&](llvm::FixedVectorType *shape, llvm::Instruction::BinaryOps o) {
    llvm::Value *count = pop();
    unsigned w = shape->getScalarSizeInBits();
    count = b_.CreateZExtOrTrunc(b_.CreateAnd(count, b_.getInt32(w - 1)), shape->getScalarType());
    llvm::Value *v = as(pop(), shape);
    result(b_.CreateBinOp(o, v, b_.CreateVectorSplat(shape->getNumElements(), count)));
  };
  // avgr_u (spec 4.3.4): (a + b + 1) / 2, without overflow.
  auto avgr = [&](llvm::FixedVectorType *shape) {
    binary(shape, [&](llvm::Value *a, llvm::Value *b) {
      llvm::Value *wa = extend(a, false), *wb = extend(b, false);
      llvm::Value *sum = b_.CreateAdd(b_.CreateAdd(wa, wb), llvm::ConstantInt::get(wa->getType(), 1));
      return b_.CreateTrunc(b_.CreateLShr(sum, llvm::ConstantInt::get(wa->getType(), 1)), shape);
    });
  };
  auto bitmask = [&](llvm::FixedVectorType *shape) {
    llvm::Value *negative = b_.CreateICmpSLT(as(pop(), shape), llvm::Constant::getNullValue(shape));
    push(b_.CreateZExt(b_.CreateBitCast(negative, b_.getIntNTy(shape->getNumElements())), i32_));
  };
  auto allTrue = [&](llvm::FixedVectorType *shape) {
    llvm::Value *nonzero = b_.CreateICmpNE(as(pop(), shape), llvm::Constant::getNullValue(shape));
    llvm::Value *mask = b_.CreateBitCast(nonzero, b_.getIntNTy(shape->getNumElements()));
    push(b_.CreateZExt(b_.CreateICmpEQ(mask, llvm::Constant::getAllOnesValue(mask->getType())), i32_));
  };
  auto splat = [&](llvm::FixedVectorType *shape) {
    llvm::Value *x = pop();
    if (x->getType() != shape->getScalarType()) x = b_.CreateTrunc(x, shape->getScalarType());
    result(b_.CreateVectorSplat(shape->getNumElements(), x));
  };
  auto extractLane = [&](llvm::FixedVectorType *shape, llvm::Type *to, bool isSigned) {
    llvm::Value *x = b_.CreateExtractElement(as(pop(), shape), lane);
    push(x->getType() == to ? x : isSigned ? b_.CreateSExt(x, to) : b_.CreateZExt(x, to));
  };
  auto replaceLane = [&](llvm::FixedVectorType *shape) {
    llvm::Value *x = pop();
    if (x->getType() != shape->getScalarType()) x = b_.CreateTrunc(x, shape->getScalarType());
    result(b_.CreateInsertElement(as(pop(), shape), x, lane));
  };
  // Trapping memory accesses, never dropped or reordered (see the class comment); the address
  // operand is below any v128 operand.
  auto loadMemory = [&](llvm::Type *t) {
    return b_.CreateAlignedLoad(t, effectiveAddress(op, imm.memArg), llvm::Align(1), true);
  };
  auto loadExtend = [&](llvm::Type *lane, bool isSigned) { result(extend(loadMemory(vec(lane, 64 / lane->getScalarSizeInBits())), isSigned)); };
  auto loadSplat = [&](llvm::FixedVectorType *shape) { result(b_.CreateVectorSplat(shape->getNumElements(), loadMemory(shape->getScalarType()))); };
  auto loadZero = [&](llvm::FixedVectorType *shape) {
    result(b_.CreateInsertElement(llvm::Constant::getNullValue(shape), loadMemory(shape->getScalarType()), uint64_t{0}));
  };
  auto loadLane = [&](llvm::FixedVectorType *shape) {
    llvm::Value *v = as(pop(), shape);
    result(b_.CreateInsertElement(v, loadMemory(shape->getScalarType()), lane));
  };
  auto storeLane = [&](llvm::FixedVectorType *shape) {
    llvm::Value *x = b_.CreateExtractElement(as(pop(), shape), lane);
    b_.CreateAlignedStore(x, effectiveAddress(op, imm.memArg), llvm::Align(1), true);
  };
  // fmin and fmax (spec 4.3.3): NaN if either operand is, and -0 below +0. minps and maxps give
  // their second operand for NaN and for equal operands, so both orders are taken: where they
  // differ the operands are zeros of both signs, and or (for min) keeps -0, and (for max) +0. NaN
  // lanes get the canonical NaN, which the spec allows whatever the operands (nans{z1, z2} holds it).
  auto fminmax = [&](llvm::FixedVectorType *shape, bool isMin) {
    bool is64 = shape == f64x2;
    llvm::Intrinsic::ID id = isMin ? (is64 ? llvm::Intrinsic::x86_sse2_min_pd : llvm::Intrinsic::x86_sse_min_ps)
                                   : (is64 ? llvm::Intrinsic::x86_sse2_max_pd : llvm::Intrinsic::x86_sse_max_ps);
    binary(shape, [&](llvm::Value *a, llvm::Value *b) {
      llvm::Value *ab = bits(x86(id, {a, b})), *ba = bits(x86(id, {b, a}));
      llvm::Value *both = fromBits(isMin ? b_.CreateOr(ab, ba) : b_.CreateAnd(ab, ba));
      llvm::Value *nan = llvm::ConstantFP::getQNaN(shape);
      return b_.CreateSelect(fcmp(P::FCMP_UNO, a, b), nan, both);
    });
  };
  // trunc_sat (spec 4.3.3 trunc_sat_s, trunc_sat_u: NaN to 0, the rest clamped to the range) from
  // cvttps2dq and cvttpd2dq, which give 0x80000000 for NaN and out of range, as singlepass does
  // (LLVM's fpto[su]i.sat on vectors goes lane by lane); the f64x2 forms zero the high lanes.
  auto splatF = [&](llvm::FixedVectorType *shape, double v) { return llvm::ConstantFP::get(shape, v); };
  auto zeroNaN = [&](llvm::Value *a) { return fromBits(b_.CreateAnd(bits(a), b_.CreateSExt(fcmp(P::FCMP_ORD, a, a), bits(a)->getType()))); };
  auto truncSatF32 = [&](bool isSigned) {
    unary(f32x4, [&](llvm::Value *a) -> llvm::Value * {
      if (isSigned) {
        // Lanes from 2^31 up: 0x80000000 flipped to 0x7FFFFFFF.
        a = zeroNaN(a);
        return b_.CreateXor(x86(llvm::Intrinsic::x86_sse2_cvttps2dq, {a}),
                            b_.CreateSExt(fcmp(P::FCMP_OGE, a, splatF(f32x4, 0x1p31)), i32x4));
      }
      // NaN and negatives to 0 (maxps gives its second operand for NaN); lanes from 2^31 convert as
      // 0x80000000 plus x - 2^31, lanes from 2^32 as 0x80000000 plus 0x7FFFFFFF.
      a = x86(llvm::Intrinsic::x86_sse_max_ps, {a, llvm::Constant::getNullValue(f32x4)});
      llvm::Value *high = b_.CreateFSub(a, splatF(f32x4, 0x1p31));
      llvm::Value *above = b_.CreateXor(x86(llvm::Intrinsic::x86_sse2_cvttps2dq, {high}),
                                        b_.CreateSExt(fcmp(P::FCMP_OGE, high, splatF(f32x4, 0x1p31)), i32x4));
      above = intrinsic(llvm::Intrinsic::smax, above, llvm::Constant::getNullValue(i32x4));
      return b_.CreateAdd(x86(llvm::Intrinsic::x86_sse2_cvttps2dq, {a}), above);
    });
  };
  auto truncSatF64 = [&](bool isSigned) {
    unary(f64x2, [&](llvm::Value *a) -> llvm::Value * {
      if (isSigned) {
        // Below -2^31 cvttpd2dq gives 0x80000000, the minimum already.
        a = x86(llvm::Intrinsic::x86_sse2_min_pd, {zeroNaN(a), splatF(f64x2, 2147483647.0)});
        return x86(llvm::Intrinsic::x86_sse2_cvttpd2dq, {a});
      }
      // Clamped (maxpd gives 0 for NaN) and truncated, each lane plus 2^52 holds its integer in
      // its low 32 bits.
      a = x86(llvm::Intrinsic::x86_sse2_max_pd, {a, llvm::Constant::getNullValue(f64x2)});
      a = x86(llvm::Intrinsic::x86_sse2_min_pd, {a, splatF(f64x2, 4294967295.0)});
      a = b_.CreateFAdd(constrained(llvm::Intrinsic::experimental_constrained_trunc, a), splatF(f64x2, 0x1p52));
      return b_.CreateShuffleVector(as(a, i32x4), llvm::Constant::getNullValue(i32x4), {0, 2, 4, 5});
    });
  };

  switch (op) {
    case Op::V128Load: return result(loadMemory(v128_));
    case Op::V128Load8x8S: return loadExtend(i8_, true);
    case Op::V128Load8x8U: return loadExtend(i8_, false);
    case Op::V128Load16x4S: return loadExtend(i16, true);
    case Op::V128Load16x4U: return loadExtend(i16, false);
    case Op::V128Load32x2S: return loadExtend(i32_, true);
    case Op::V128Load32x2U: return loadExtend(i32_, false);
    case Op::V128Load8Splat: return loadSplat(i8x16);
    case Op::V128Load16Splat: return loadSplat(i16x8);
    case Op::V128Load32Splat: return loadSplat(i32x4);
    case Op::V128Load64Splat: return loadSplat(i64x2);
    case Op::V128Load32Zero: return loadZero(i32x4);
    case Op::V128Load64Zero: return loadZero(i64x2);
    case Op::V128Store: {
      llvm::Value *v = pop();
      b_.CreateAlignedStore(v, effectiveAddress(op, imm.memArg), llvm::Align(1), true);
      return;
    }
    case Op::V128Load8Lane: return loadLane(i8x16);
    case Op::V128Load16Lane: return loadLane(i16x8);
    case Op::V128Load32Lane: return loadLane(i32x4);
    case Op::V128Load64Lane: return loadLane(i64x2);
    case Op::V128Store8Lane: return storeLane(i8x16);
    case Op::V128Store16Lane: return storeLane(i16x8);
    case Op::V128Store32Lane: return storeLane(i32x4);
    case Op::V128Store64Lane: return storeLane(i64x2);

    case Op::V128Const: {
      std::array<uint64_t, 2> halves{};
      std::memcpy(halves.data(), imm.bytes.data(), 16);
      return push(llvm::ConstantDataVector::get(ctx_, llvm::ArrayRef<uint64_t>(halves)));
    }
    case Op::I8x16Shuffle: {
      // Lane indices 0-15 pick from a, 16-31 from b (validation bounds them by 32).
      std::vector<int> mask(imm.bytes.begin(), imm.bytes.end());
      return binary(i8x16, [&](llvm::Value *a, llvm::Value *b) { return b_.CreateShuffleVector(a, b, mask); });
    }
    case Op::I8x16Swizzle:
      // An index of 16 or more selects 0 (spec 4.3.4 swizzle): saturating + 0x70 sets its top bit, by
      // which pshufb zeroes a lane, and keeps the low four of the rest.
      return binary(i8x16, [&](llvm::Value *a, llvm::Value *b) {
        llvm::Value *index = intrinsic(llvm::Intrinsic::uadd_sat, b, llvm::ConstantInt::get(i8x16, 0x70));
        return x86(llvm::Intrinsic::x86_ssse3_pshuf_b_128, {a, index});
      });
    case Op::I8x16Splat: return splat(i8x16);
    case Op::I16x8Splat: return splat(i16x8);
    case Op::I32x4Splat: return splat(i32x4);
    case Op::I64x2Splat: return splat(i64x2);
    case Op::F32x4Splat: return splat(f32x4);
    case Op::F64x2Splat: return splat(f64x2);
    case Op::I8x16ExtractLaneS: return extractLane(i8x16, i32_, true);
    case Op::I8x16ExtractLaneU: return extractLane(i8x16, i32_, false);
    case Op::I16x8ExtractLaneS: return extractLane(i16x8, i32_, true);
    case Op::I16x8ExtractLaneU: return extractLane(i16x8, i32_, false);
    case Op::I32x4ExtractLane: return extractLane(i32x4, i32_, false);
    case Op::I64x2ExtractLane: return extractLane(i64x2, i64_, false);
    case Op::F32x4ExtractLane: return extractLane(f32x4, f32_, false);
    case Op::F64x2ExtractLane: return extractLane(f64x2, f64_, false);
    case Op::I8x16ReplaceLane: return replaceLane(i8x16);
    case Op::I16x8ReplaceLane: return replaceLane(i16x8);
    case Op::I32x4ReplaceLane: return replaceLane(i32x4);
    case Op::I64x2ReplaceLane: return replaceLane(i64x2);
    case Op::F32x4ReplaceLane: return replaceLane(f32x4);
    case Op::F64x2ReplaceLane: return replaceLane(f64x2);

    case Op::I8x16Eq: return compare(i8x16, P::ICMP_EQ);
    case Op::I8x16Ne: return compare(i8x16, P::ICMP_NE);
    case Op::I8x16LtS: return compare(i8x16, P::ICMP_SLT);
    case Op::I8x16LtU: return compare(i8x16, P::ICMP_ULT);
    case Op::I8x16GtS: return compare(i8x16, P::ICMP_SGT);
    case Op::I8x16GtU: return compare(i8x16, P::ICMP_UGT);
    case Op::I8x16LeS: return compare(i8x16, P::ICMP_SLE);
    case Op::I8x16LeU: return compare(i8x16, P::ICMP_ULE);
    case Op::I8x16GeS: return compare(i8x16, P::ICMP_SGE);
    case Op::I8x16GeU: return compare(i8x16, P::ICMP_UGE);
    case Op::I16x8Eq: return compare(i16x8, P::ICMP_EQ);
    case Op::I16x8Ne: return compare(i16x8, P::ICMP_NE);
    case Op::I16x8LtS: return compare(i16x8, P::ICMP_SLT);
    case Op::I16x8LtU: return compare(i16x8, P::ICMP_ULT);
    case Op::I16x8GtS: return compare(i16x8, P::ICMP_SGT);
    case Op::I16x8GtU: return compare(i16x8, P::ICMP_UGT);
    case Op::I16x8LeS: return compare(i16x8, P::ICMP_SLE);
    case Op::I16x8LeU: return compare(i16x8, P::ICMP_ULE);
    case Op::I16x8GeS: return compare(i16x8, P::ICMP_SGE);
    case Op::I16x8GeU: return compare(i16x8, P::ICMP_UGE);
    case Op::I32x4Eq: return compare(i32x4, P::ICMP_EQ);
    case Op::I32x4Ne: return compare(i32x4, P::ICMP_NE);
    case Op::I32x4LtS: return compare(i32x4, P::ICMP_SLT);
    case Op::I32x4LtU: return compare(i32x4, P::ICMP_ULT);
    case Op::I32x4GtS: return compare(i32x4, P::ICMP_SGT);
    case Op::I32x4GtU: return compare(i32x4, P::ICMP_UGT);
    case Op::I32x4LeS: return compare(i32x4, P::ICMP_SLE);
    case Op::I32x4LeU: return compare(i32x4, P::ICMP_ULE);
    case Op::I32x4GeS: return compare(i32x4, P::ICMP_SGE);
    case Op::I32x4GeU: return compare(i32x4, P::ICMP_UGE);
    case Op::I64x2Eq: return compare(i64x2, P::ICMP_EQ);
    case Op::I64x2Ne: return compare(i64x2, P::ICMP_NE);
    case Op::I64x2LtS: return compare(i64x2, P::ICMP_SLT);
    case Op::I64x2GtS: return compare(i64x2, P::ICMP_SGT);
    case Op::I64x2LeS: return compare(i64x2, P::ICMP_SLE);
    case Op::I64x2GeS: return compare(i64x2, P::ICMP_SGE);
    case Op::F32x4Eq: return compare(f32x4, P::FCMP_OEQ);
    case Op::F32x4Ne: return compare(f32x4, P::FCMP_UNE);
    case Op::F32x4Lt: return compare(f32x4, P::FCMP_OLT);
    case Op::F32x4Gt: return compare(f32x4, P::FCMP_OGT);
    case Op::F32x4Le: return compare(f32x4, P::FCMP_OLE);
    case Op::F32x4Ge: return compare(f32x4, P::FCMP_OGE);
    case Op::F64x2Eq: return compare(f64x2, P::FCMP_OEQ);
    case Op::F64x2Ne: return compare(f64x2, P::FCMP_UNE);
    case Op::F64x2Lt: return compare(f64x2, P::FCMP_OLT);
    case Op::F64x2Gt: return compare(f64x2, P::FCMP_OGT);
    case Op::F64x2Le: return compare(f64x2, P::FCMP_OLE);
    case Op::F64x2Ge: return compare(f64x2, P::FCMP_OGE);

    case Op::V128Not: return unary(v128_, [&](llvm::Value *a) { return b_.CreateNot(a); });
    case Op::V128And: return binop(v128_, llvm::Instruction::And);
    case Op::V128Andnot: return binary(v128_, [&](llvm::Value *a, llvm::Value *b) { return b_.CreateAnd(a, b_.CreateNot(b)); });
    case Op::V128Or: return binop(v128_, llvm::Instruction::Or);
    case Op::V128Xor: return binop(v128_, llvm::Instruction::Xor);
    case Op::V128Bitselect: {
      // v1 where c is set, v2 elsewhere (spec 4.3.4 ibitselect).
      llvm::Value *c = pop(), *v2 = pop(), *v1 = pop();
      return push(b_.CreateOr(b_.CreateAnd(v1, c), b_.CreateAnd(v2, b_.CreateNot(c))));
    }
    case Op::V128AnyTrue: return push(b_.CreateZExt(b_.CreateICmpNE(as(pop(), b_.getInt128Ty()), b_.getIntN(128, 0)), i32_));
    case Op::I8x16AllTrue: return allTrue(i8x16);
    case Op::I16x8AllTrue: return allTrue(i16x8);
    case Op::I32x4AllTrue: return allTrue(i32x4);
    case Op::I64x2AllTrue: return allTrue(i64x2);
    case Op::I8x16Bitmask: return bitmask(i8x16);
    case Op::I16x8Bitmask: return bitmask(i16x8);
    case Op::I32x4Bitmask: return bitmask(i32x4);
    case Op::I64x2Bitmask: return bitmask(i64x2);

    // abs of the minimum value is itself (spec 4.3.2 iabs wraps): llvm.abs without poison for it.
    case Op::I8x16Abs: case Op::I16x8Abs: case Op::I32x4Abs: case Op::I64x2Abs: {
      llvm::FixedVectorType *shape = op == Op::I8x16Abs ? i8x16 : op == Op::I16x8Abs ? i16x8 : op == Op::I32x4Abs ? i32x4 : i64x2;
      return unary(shape, [&](llvm::Value *a) { return b_.CreateIntrinsic(llvm::Intrinsic::abs, {shape}, {a, b_.getFalse()}); });
    }
    case Op::I8x16Neg: return unary(i8x16, [&](llvm::Value *a) { return b_.CreateNeg(a); });
    case Op::I16x8Neg: return unary(i16x8, [&](llvm::Value *a) { return b_.CreateNeg(a); });
    case Op::I32x4Neg: return unary(i32x4, [&](llvm::Value *a) { return b_.CreateNeg(a); });
    case Op::I64x2Neg: return unary(i64x2, [&](llvm::Value *a) { return b_.CreateNeg(a); });
    case Op::I8x16Popcnt: return unary(i8x16, [&](llvm::Value *a) { return intrinsic(llvm::Intrinsic::ctpop, a); });
    case Op::I8x16NarrowI16x8S: return narrow(i16x8, true);
    case Op::I8x16NarrowI16x8U: return narrow(i16x8, false);
    case Op::I16x8NarrowI32x4S: return narrow(i32x4, true);
    case Op::I16x8NarrowI32x4U: return narrow(i32x4, false);
    case Op::I16x8ExtendLowI8x16S: return extendHalf(i8x16, false, true);
    case Op::I16x8ExtendHighI8x16S: return extendHalf(i8x16, true, true);
    case Op::I16x8ExtendLowI8x16U: return extendHalf(i8x16, false, false);
    case Op::I16x8ExtendHighI8x16U: return extendHalf(i8x16, true, false);
    case Op::I32x4ExtendLowI16x8S: return extendHalf(i16x8, false, true);
    case Op::I32x4ExtendHighI16x8S: return extendHalf(i16x8, true, true);
    case Op::I32x4ExtendLowI16x8U: return extendHalf(i16x8, false, false);
    case Op::I32x4ExtendHighI16x8U: return extendHalf(i16x8, true, false);
    case Op::I64x2ExtendLowI32x4S: return extendHalf(i32x4, false, true);
    case Op::I64x2ExtendHighI32x4S: return extendHalf(i32x4, true, true);
    case Op::I64x2ExtendLowI32x4U: return extendHalf(i32x4, false, false);
    case Op::I64x2ExtendHighI32x4U: return extendHalf(i32x4, true, false);
    case Op::I16x8ExtmulLowI8x16S: return extmul(i8x16, false, true);
    case Op::I16x8ExtmulHighI8x16S: return extmul(i8x16, true, true);
    case Op::I16x8ExtmulLowI8x16U: return extmul(i8x16, false, false);
    case Op::I16x8ExtmulHighI8x16U: return extmul(i8x16, true, false);
    case Op::I32x4ExtmulLowI16x8S: return extmul(i16x8, false, true);
    case Op::I32x4ExtmulHighI16x8S: return extmul(i16x8, true, true);
    case Op::I32x4ExtmulLowI16x8U: return extmul(i16x8, false, false);
    case Op::I32x4ExtmulHighI16x8U: return extmul(i16x8, true, false);
    case Op::I64x2ExtmulLowI32x4S: return extmul(i32x4, false, true);
    case Op::I64x2ExtmulHighI32x4S: return extmul(i32x4, true, true);
    case Op::I64x2ExtmulLowI32x4U: return extmul(i32x4, false, false);
    case Op::I64x2ExtmulHighI32x4U: return extmul(i32x4, true, false);
    case Op::I16x8ExtaddPairwiseI8x16S: return extaddPairwise(i8x16, true);
    case Op::I16x8ExtaddPairwiseI8x16U: return extaddPairwise(i8x16, false);
    case Op::I32x4ExtaddPairwiseI16x8S: return extaddPairwise(i16x8, true);
    case Op::I32x4ExtaddPairwiseI16x8U: return extaddPairwise(i16x8, false);
    case Op::I16x8Q15mulrSatS:
      // (a * b + 2^14) >> 15, saturated (spec 4.3.2 iq15mulrsat_s): pmulhrsw, except that -1 * -1
      // (in Q15), the only product out of range, wraps to 0x8000 where the spec gives 0x7FFF.
      return binary(i16x8, [&](llvm::Value *a, llvm::Value *b) {
        llvm::Value *r = x86(llvm::Intrinsic::x86_ssse3_pmul_hr_sw_128, {a, b});
        return b_.CreateXor(r, b_.CreateSExt(b_.CreateICmpEQ(r, llvm::ConstantInt::get(i16x8, 0x8000)), i16x8));
      });
    case Op::I32x4DotI16x8S:
      // Products of adjacent lanes, summed modulo 2^32 (spec 4.3.4 dot_s: only two products of
      // -2^15 * -2^15 overflow, to -2^31).
      return binary(i16x8, [&](llvm::Value *a, llvm::Value *b) {
        llvm::Value *p = b_.CreateMul(extend(a, true), extend(b, true));
        return b_.CreateAdd(lanes(p, 0, 2, 4), lanes(p, 1, 2, 4));
      });

    case Op::I8x16Shl: return shift(i8x16, llvm::Instruction::Shl);
    case Op::I8x16ShrS: return shift(i8x16, llvm::Instruction::AShr);
    case Op::I8x16ShrU: return shift(i8x16, llvm::Instruction::LShr);
    case Op::I16x8Shl: return shift(i16x8, llvm::Instruction::Shl);
    case Op::I16x8ShrS: return shift(i16x8, llvm::Instruction::AShr);
    case Op::I16x8ShrU: return shift(i16x8, llvm::Instruction::LShr);
    case Op::I32x4Shl: return shift(i32x4, llvm::Instruction::Shl);
    case Op::I32x4ShrS: return shift(i32x4, llvm::Instruction::AShr);
    case Op::I32x4ShrU: return shift(i32x4, llvm::Instruction::LShr);
    case Op::I64x2Shl: return shift(i64x2, llvm::Instruction::Shl);
    case Op::I64x2ShrS: return shift(i64x2, llvm::Instruction::AShr);
    case Op::I64x2ShrU: return shift(i64x2, llvm::Instruction::LShr);

    case Op::I8x16Add: return binop(i8x16, llvm::Instruction::Add);
    case Op::I8x16AddSatS: return binaryIntrinsic(i8x16, llvm::Intrinsic::sadd_sat);
    case Op::I8x16AddSatU: return binaryIntrinsic(i8x16, llvm::Intrinsic::uadd_sat);
    case Op::I8x16Sub: return binop(i8x16, llvm::Instruction::Sub);
    case Op::I8x16SubSatS: return binaryIntrinsic(i8x16, llvm::Intrinsic::ssub_sat);
    case Op::I8x16SubSatU: return binaryIntrinsic(i8x16, llvm::Intrinsic::usub_sat);
    case Op::I8x16MinS: return binaryIntrinsic(i8x16, llvm::Intrinsic::smin);
    case Op::I8x16MinU: return binaryIntrinsic(i8x16, llvm::Intrinsic::umin);
    case Op::I8x16MaxS: return binaryIntrinsic(i8x16, llvm::Intrinsic::smax);
    case Op::I8x16MaxU: return binaryIntrinsic(i8x16, llvm::Intrinsic::umax);
    case Op::I8x16AvgrU: return avgr(i8x16);
    case Op::I16x8Add: return binop(i16x8, llvm::Instruction::Add);
    case Op::I16x8AddSatS: return binaryIntrinsic(i16x8, llvm::Intrinsic::sadd_sat);
    case Op::I16x8AddSatU: return binaryIntrinsic(i16x8, llvm::Intrinsic::uadd_sat);
    case Op::I16x8Sub: return binop(i16x8, llvm::Instruction::Sub);
    case Op::I16x8SubSatS: return binaryIntrinsic(i16x8, llvm::Intrinsic::ssub_sat);
    case Op::I16x8SubSatU: return binaryIntrinsic(i16x8, llvm::Intrinsic::usub_sat);
    case Op::I16x8Mul: return binop(i16x8, llvm::Instruction::Mul);
    case Op::I16x8MinS: return binaryIntrinsic(i16x8, llvm::Intrinsic::smin);
    case Op::I16x8MinU: return binaryIntrinsic(i16x8, llvm::Intrinsic::umin);
    case Op::I16x8MaxS: return binaryIntrinsic(i16x8, llvm::Intrinsic::smax);
    case Op::I16x8MaxU: return binaryIntrinsic(i16x8, llvm::Intrinsic::umax);
    case Op::I16x8AvgrU: return avgr(i16x8);
    case Op::I32x4Add: return binop(i32x4, llvm::Instruction::Add);
    case Op::I32x4Sub: return binop(i32x4, llvm::Instruction::Sub);
    case Op::I32x4Mul: return binop(i32x4, llvm::Instruction::Mul);
    case Op::I32x4MinS: return binaryIntrinsic(i32x4, llvm::Intrinsic::smin);
    case Op::I32x4MinU: return binaryIntrinsic(i32x4, llvm::Intrinsic::umin);
    case Op::I32x4MaxS: return binaryIntrinsic(i32x4, llvm::Intrinsic::smax);
    case Op::I32x4MaxU: return binaryIntrinsic(i32x4, llvm::Intrinsic::umax);
    case Op::I64x2Add: return binop(i64x2, llvm::Instruction::Add);
    case Op::I64x2Sub: return binop(i64x2, llvm::Instruction::Sub);
    case Op::I64x2Mul: return binop(i64x2, llvm::Instruction::Mul);

    // Sign operations on the bits alone, NaNs included (spec 4.3.3 fabs, fneg).
    case Op::F32x4Abs: return unary(i32x4, [&](llvm::Value *a) { return clearSign(a); });
    case Op::F32x4Neg: return unary(i32x4, [&](llvm::Value *a) { return flipSign(a); });
    case Op::F64x2Abs: return unary(i64x2, [&](llvm::Value *a) { return clearSign(a); });
    case Op::F64x2Neg: return unary(i64x2, [&](llvm::Value *a) { return flipSign(a); });
    case Op::F32x4Sqrt: return unaryConstrained(f32x4, llvm::Intrinsic::experimental_constrained_sqrt);
    case Op::F64x2Sqrt: return unaryConstrained(f64x2, llvm::Intrinsic::experimental_constrained_sqrt);
    case Op::F32x4Ceil: return unaryConstrained(f32x4, llvm::Intrinsic::experimental_constrained_ceil);
    case Op::F32x4Floor: return unaryConstrained(f32x4, llvm::Intrinsic::experimental_constrained_floor);
    case Op::F32x4Trunc: return unaryConstrained(f32x4, llvm::Intrinsic::experimental_constrained_trunc);
    case Op::F32x4Nearest: return unaryConstrained(f32x4, llvm::Intrinsic::experimental_constrained_roundeven);
    case Op::F64x2Ceil: return unaryConstrained(f64x2, llvm::Intrinsic::experimental_constrained_ceil);
    case Op::F64x2Floor: return unaryConstrained(f64x2, llvm::Intrinsic::experimental_constrained_floor);
    case Op::F64x2Trunc: return unaryConstrained(f64x2, llvm::Intrinsic::experimental_constrained_trunc);
    case Op::F64x2Nearest: return unaryConstrained(f64x2, llvm::Intrinsic::experimental_constrained_roundeven);
    case Op::F32x4Add: case Op::F64x2Add:
      return binary(op == Op::F32x4Add ? f32x4 : f64x2, [&](llvm::Value *a, llvm::Value *b) { return b_.CreateFAdd(a, b); });
    case Op::F32x4Sub: case Op::F64x2Sub:
      return binary(op == Op::F32x4Sub ? f32x4 : f64x2, [&](llvm::Value *a, llvm::Value *b) { return b_.CreateFSub(a, b); });
    case Op::F32x4Mul: case Op::F64x2Mul:
      return binary(op == Op::F32x4Mul ? f32x4 : f64x2, [&](llvm::Value *a, llvm::Value *b) { return b_.CreateFMul(a, b); });
    case Op::F32x4Div: case Op::F64x2Div:
      return binary(op == Op::F32x4Div ? f32x4 : f64x2, [&](llvm::Value *a, llvm::Value *b) { return b_.CreateFDiv(a, b); });
    case Op::F32x4Min: return fminmax(f32x4, true);
    case Op::F32x4Max: return fminmax(f32x4, false);
    case Op::F64x2Min: return fminmax(f64x2, true);
    case Op::F64x2Max: return fminmax(f64x2, false);
    // pmin is b < a ? b : a and pmax a < b ? b : a (spec 4.3.4 fpmin, fpmax; a NaN operand passes
    // through as it is): exactly minps/maxps with b first, which give their second operand for
    // NaN and for equal operands.
    case Op::F32x4Pmin: return binary(f32x4, [&](llvm::Value *a, llvm::Value *b) { return x86(llvm::Intrinsic::x86_sse_min_ps, {b, a}); });
    case Op::F32x4Pmax: return binary(f32x4, [&](llvm::Value *a, llvm::Value *b) { return x86(llvm::Intrinsic::x86_sse_max_ps, {b, a}); });
    case Op::F64x2Pmin: return binary(f64x2, [&](llvm::Value *a, llvm::Value *b) { return x86(llvm::Intrinsic::x86_sse2_min_pd, {b, a}); });
    case Op::F64x2Pmax: return binary(f64x2, [&](llvm::Value *a, llvm::Value *b) { return x86(llvm::Intrinsic::x86_sse2_max_pd, {b, a}); });

    case Op::F32x4ConvertI32x4S: return unary(i32x4, [&](llvm::Value *a) { return b_.CreateSIToFP(a, f32x4); });
    case Op::F32x4ConvertI32x4U: return unary(i32x4, [&](llvm::Value *a) { return b_.CreateUIToFP(a, f32x4); });
    case Op::F64x2ConvertLowI32x4S: return unary(i32x4, [&](llvm::Value *a) { return b_.CreateSIToFP(lanes(a, 0, 1, 2), f64x2); });
    case Op::F64x2ConvertLowI32x4U: return unary(i32x4, [&](llvm::Value *a) { return b_.CreateUIToFP(lanes(a, 0, 1, 2), f64x2); });
    case Op::F32x4DemoteF64x2Zero:
      return unary(f64x2, [&](llvm::Value *a) {
        llvm::Value *low = b_.CreateFPTrunc(a, vec(f32_, 2));
        return b_.CreateShuffleVector(low, llvm::Constant::getNullValue(low->getType()), {0, 1, 2, 3});
      });
    case Op::F64x2PromoteLowF32x4: return unary(f32x4, [&](llvm::Value *a) { return b_.CreateFPExt(lanes(a, 0, 1, 2), f64x2); });
    case Op::I32x4TruncSatF32x4S: return truncSatF32(true);
    case Op::I32x4TruncSatF32x4U: return truncSatF32(false);
    case Op::I32x4TruncSatF64x2SZero: return truncSatF64(true);
    case Op::I32x4TruncSatF64x2UZero: return truncSatF64(false);

    // The decoder sends these elsewhere; they never reach simd().
#define WASMO_NOT_SIMD(name, ...) case Op::name:
    WASMO_SPECIAL_OPS(WASMO_NOT_SIMD) WASMO_LOAD_OPS(WASMO_NOT_SIMD) WASMO_STORE_OPS(WASMO_NOT_SIMD)
    WASMO_UNARY_OPS(WASMO_NOT_SIMD) WASMO_BINARY_OPS(WASMO_NOT_SIMD) WASMO_BULK_OPS(WASMO_NOT_SIMD)
#undef WASMO_NOT_SIMD
      internal(std::string("simd() called with ") + opName(op));
  }
}
