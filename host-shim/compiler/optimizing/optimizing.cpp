#include "compiler/optimizing/optimizing.h"
#include "compiler/optimizing/llvm_library.h"

#include <llvm/Analysis/TargetLibraryInfo.h>
#include <llvm/BinaryFormat/ELF.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/InlineAsm.h>
#include <llvm/IR/Intrinsics.h>
#include <llvm/IR/IntrinsicsX86.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/LegacyPassManager.h>
#include <llvm/IR/MDBuilder.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/Verifier.h>
#include <llvm/MC/TargetRegistry.h>
#include <llvm/Object/ELFObjectFile.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/CommandLine.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Transforms/InstCombine/InstCombine.h>
#include <llvm/Transforms/Scalar/EarlyCSE.h>
#include <llvm/Transforms/Scalar/GVN.h>
#include <llvm/Transforms/Scalar/LICM.h>
#include <llvm/Transforms/Scalar/LoopPassManager.h>
#include <llvm/Transforms/Scalar/SROA.h>
#include <llvm/Transforms/Scalar/SimplifyCFG.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Target/TargetMachine.h>
#include <llvm/Target/TargetOptions.h>
#include <llvm/TargetParser/Triple.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <mutex>

#include "artifact/build_id.h"  // generated: WASMO_ENGINE_VERSION
#include "compiler/cpu_features.h"
#include "environ/fuel.h"
#include "environ/function_decoder.h"
#include "runtime/vmcontext.h"

namespace wasmo {
namespace {

constexpr const char *kTriple = "x86_64-unknown-linux-gnu";
// The features the artifact records (compiler/cpu_features.h): LLVM may use them anywhere.
constexpr const char *kLlvmFeatures = "+sse4.1,+popcnt";

[[noreturn]] void internal(const std::string &what) {
  throw CompileError{WASMO_INTERNAL, "optimizing compiler: " + what};
}

/*
 * Each defined function becomes two LLVM functions:
 *   - its body, internal, `ret @f(ptr vmctx, params...)` with the results as a struct when there
 *     are several, called directly by the module's own calls (so LLVM passes values in registers
 *     and may inline); code that meters fuel passes the fuel left in and out too (fuel());
 *   - its entry, `void @eN(ptr vmctx, ptr vals)`: the WasmFunction convention singlepass code, the
 *     runtime's trampolines and tables use (arguments in vals, results written back there).
 * Operands are SSA values; locals and the values a branch carries to a label are allocas, which
 * LLVM's SROA turns into registers and phis.
 *
 * Wasm semantics LLVM does not know by default:
 *   - Memory accesses may trap (guard pages): they are volatile, so LLVM neither drops an unused
 *     load nor moves an access across another, and the state a trap leaves is the program's. For
 *     that, global.set is volatile too (tables and bulk operations go through runtime calls).
 *   - NaN results (spec 4.3.3): an operation on a signalling NaN gives an arithmetic (quiet) NaN,
 *     which LLVM's default rules do not promise (it folds x*1.0 to x). Floating-point arithmetic is
 *     constrained (strictfp, exceptions strict), which keeps every operation; sign operations are
 *     integer operations on the bits, so they stay bit-exact.
 *   - Runtime functions the optimizer might call (memset for a loop) do not exist here: the
 *     library is disabled, and the linker below refuses any undefined symbol.
 */
class Optimizing {
 public:
  Optimizing(const Module &module, llvm::LLVMContext &ctx, llvm::Module &mod, std::vector<llvm::Function *> &bodies,
             bool meterFuel, bool boundsChecks)
      : m_(module), ctx_(ctx), mod_(mod), bodies_(bodies), meterFuel_(meterFuel), boundsChecks_(boundsChecks), b_(ctx), i8_(b_.getInt8Ty()), i32_(b_.getInt32Ty()),
        i64_(b_.getInt64Ty()), f32_(b_.getFloatTy()), f64_(b_.getDoubleTy()), ptr_(b_.getPtrTy()),
        v128_(llvm::FixedVectorType::get(i64_, 2)) {
    b_.setIsFPConstrained(true);
    b_.setDefaultConstrainedExcept(llvm::fp::ebStrict);
    b_.setDefaultConstrainedRounding(llvm::RoundingMode::NearestTiesToEven);
    unlikely_ = llvm::MDBuilder(ctx_).createBranchWeights(1, 1 << 20);
    invariant_ = llvm::MDNode::get(ctx_, {});
    rsp_ = llvm::MetadataAsValue::get(ctx_, llvm::MDNode::get(ctx_, llvm::MDString::get(ctx_, "rsp")));
  }

  llvm::Type *irType(ValType t) {
    switch (t) {
      case ValType::I32: return i32_;
      case ValType::I64: case ValType::FuncRef: case ValType::ExternRef: return i64_;
      case ValType::F32: return f32_;
      case ValType::F64: return f64_;
      case ValType::V128: return v128_;  // simd.h
    }
    internal("unknown value type");
  }
  // A body returns its results, then the fuel left in code that meters fuel; several values as a
  // struct. Several results are integers, floats by their bits: x86-64 returns a third and fourth
  // floating-point value in x87 registers, whose loads quiet a signalling NaN.
  llvm::Type *returnType(const std::vector<ValType> &results) {
    std::vector<llvm::Type *> fields;
    for (ValType t : results) fields.push_back(results.size() == 1 ? irType(t) : t == ValType::F32 ? i32_ : t == ValType::F64 ? i64_ : irType(t));
    if (meterFuel_) fields.push_back(i64_);
    if (fields.empty()) return b_.getVoidTy();
    if (fields.size() == 1) return fields[0];
    return llvm::StructType::get(ctx_, fields);
  }
  // A body takes the VMContext, the fuel left in code that meters fuel, and its parameters.
  llvm::FunctionType *bodyType(const FuncType &ft) {
    std::vector<llvm::Type *> params{ptr_};
    if (meterFuel_) params.push_back(i64_);
    for (ValType t : ft.params) params.push_back(irType(t));
    return llvm::FunctionType::get(returnType(ft.results), params, false);
  }
  llvm::FunctionType *entryType() { return llvm::FunctionType::get(b_.getVoidTy(), {ptr_, ptr_}, false); }

  /** The entry of defined function `func` (WasmFunction): unpacks vals, calls the body, packs the results. */
  void buildEntry(uint32_t func, llvm::Function *entry) {
    const FuncType &ft = m_.funcType(func);
    b_.SetInsertPoint(llvm::BasicBlock::Create(ctx_, "entry", entry));
    llvm::Value *vals = entry->getArg(1);
    std::vector<llvm::Value *> args = loadRow(vals, ft.params);
    llvm::Value *vmctx = entry->getArg(0), *fuelAt = nullptr;
    if (meterFuel_) {
      fuelAt = loadInvariant(ptr_, field(vmctx, kOffFuel));
      args.insert(args.begin(), b_.CreateLoad(i64_, fuelAt));
    }
    args.insert(args.begin(), vmctx);
    llvm::CallInst *call = b_.CreateCall(bodies_[func - m_.importedFuncs], args);
    std::vector<llvm::Value *> results = returned(call, ft);
    if (meterFuel_) {
      b_.CreateStore(results.back(), fuelAt);
      results.pop_back();
    }
    storeRow(vals, results);
    b_.CreateRetVoid();
  }

  // ---- the FunctionBackend interface ----

  void beginFunction(uint32_t func, const FuncType &ft, std::span<const ValType> locals) {
    fn_ = bodies_[func - m_.importedFuncs];
    frames_.clear();
    stack_.clear();
    locals_.clear();
    traps_.clear();
    fuelSegments_.reset();
    results_ = ft.results;
    allocas_ = llvm::BasicBlock::Create(ctx_, "allocas", fn_);
    body_ = llvm::BasicBlock::Create(ctx_, "body", fn_);
    b_.SetInsertPoint(body_);
    vmctx_ = fn_->getArg(0);
    unsigned firstParam = 1;
    if (meterFuel_) {
      fuelAt_ = loadInvariant(ptr_, field(vmctx_, kOffFuel));
      fuel_ = alloca(i64_);
      b_.CreateStore(fn_->getArg(firstParam++), fuel_);
      fuelSynced_ = false;
    }
    for (size_t i = 0; i < locals.size(); i++) {
      locals_.push_back(alloca(irType(locals[i])));
      // Parameters, then the declared locals at zero (spec 4.4.10.1).
      b_.CreateStore(i < ft.params.size() ? static_cast<llvm::Value *>(fn_->getArg(firstParam + i)) : zero(locals[i]),
                     locals_[i]);
    }
    // The base never moves: memories grow in place (runtime/memory.h).
    memoryBase_ = loadInvariant(ptr_, field(vmctx_, kOffMemoryBase));
    // Below the limit there is no room left for calls (spec 4.4.10, "call stack exhausted" is the
    // embedder's resource limit); a frame larger than the margin under the limit probes its pages
    // and meets the stack's guard instead (runtime/traps.cpp).
    checkStackLimit(TrapCode::StackExhausted);
    frames_.push_back(Frame{Op::Block, 0, llvm::BasicBlock::Create(ctx_, "return", fn_), nullptr,
                            slotsFor(ft.results), {}, ft.results, false});
  }

  void endFunction(bool fallthrough) {
    if (fallthrough) branchTo(0);
    Frame &f = frames_[0];
    b_.SetInsertPoint(f.target);
    std::vector<llvm::Value *> values;  // as returnType() says
    for (size_t i = 0; i < f.slots.size(); i++) {
      llvm::Value *r = b_.CreateLoad(irType(results_[i]), f.slots[i]);
      values.push_back(results_.size() > 1 && r->getType()->isFloatingPointTy() ? bits(r) : r);
    }
    if (meterFuel_) values.push_back(b_.CreateLoad(i64_, fuel_));
    if (values.empty()) {
      b_.CreateRetVoid();
    } else if (values.size() == 1) {
      b_.CreateRet(values[0]);
    } else {
      llvm::Value *agg = llvm::PoisonValue::get(fn_->getReturnType());
      for (size_t i = 0; i < values.size(); i++) agg = b_.CreateInsertValue(agg, values[i], {static_cast<unsigned>(i)});
      b_.CreateRet(agg);
    }
    llvm::IRBuilder<>(allocas_).CreateBr(body_);
    frames_.clear();
  }

  // Fuel metering (environ/fuel.h): a segment's charge, before its first costly instruction, takes
  // its cost from the fuel left and traps below 0, as singlepass code does; the cost is set as the
  // segment grows. The fuel left is a local (fuel_), which LLVM keeps in a register, and bodies
  // pass it to each other in registers; the store's copy (fuelAt_) is written wherever the store
  // may see it (syncFuel): before a call and before an access that may fault, and in every trap
  // path, so that a trap or a host function sees the fuel singlepass code would leave there.
  void fuel(Op op) {
    if (!meterFuel_) return;
    fuelSegments_.step(op, [&] {
      llvm::BinaryOperator *left = llvm::BinaryOperator::CreateSub(b_.CreateLoad(i64_, fuel_), b_.getInt64(0));
      b_.Insert(left);
      b_.CreateStore(left, fuel_);
      fuelSynced_ = false;
      trapIf(b_.CreateICmpSLT(left, b_.getInt64(0)), TrapCode::OutOfFuel);
      return left;
    }, [&](llvm::BinaryOperator *charge, uint32_t cost) { charge->setOperand(1, b_.getInt64(cost)); });
  }
  void unreachable() { b_.CreateBr(trapBlock(TrapCode::Unreachable)); }
  void nop() {}

  void block(const BlockType &bt) {
    frames_.push_back(Frame{Op::Block, stack_.size() - bt.params.size(), newBlock("block.end"), nullptr,
                            slotsFor(bt.results), {}, bt.results, false});
  }
  void loop(const BlockType &bt) {
    Frame f{Op::Loop, stack_.size() - bt.params.size(), newBlock("loop"), nullptr, slotsFor(bt.params), {},
            bt.results, false};
    frames_.push_back(std::move(f));
    branchTo(0);  // the parameters enter through the label's slots, as a branch back does
    b_.SetInsertPoint(frames_.back().target);
    stack_.resize(frames_.back().base);
    for (size_t i = 0; i < bt.params.size(); i++) push(b_.CreateLoad(irType(bt.params[i]), frames_.back().slots[i]));
    // Each iteration looks at the stack limit, which an interrupt raises above any stack pointer
    // (runtime/interrupt.h), as singlepass code does.
    checkStackLimit(TrapCode::Interrupted);
  }
  void if_(const BlockType &bt) {
    llvm::Value *cond = isTrue(pop());
    size_t base = stack_.size() - bt.params.size();
    Frame f{Op::If, base, newBlock("if.end"), newBlock("else"), slotsFor(bt.results),
            std::vector<llvm::Value *>(stack_.begin() + static_cast<ptrdiff_t>(base), stack_.end()), bt.results, false};
    llvm::BasicBlock *then = newBlock("then");
    b_.CreateCondBr(cond, then, f.elseBlock);
    frames_.push_back(std::move(f));
    b_.SetInsertPoint(then);
  }
  void else_(bool fallthrough) {
    if (fallthrough) branchTo(0);
    Frame &f = frames_.back();
    b_.SetInsertPoint(f.elseBlock);
    f.hasElse = true;
    stack_.resize(f.base);
    stack_.insert(stack_.end(), f.params.begin(), f.params.end());
  }
  void end(bool fallthrough) {
    Frame &f = frames_.back();
    if (f.op == Op::Loop) {
      // Only falling through reaches a loop's end; its results are on the stack already.
      if (!fallthrough) {
        b_.SetInsertPoint(newBlock("dead"));
        stack_.resize(f.base);
        for (ValType t : f.results) push(llvm::PoisonValue::get(irType(t)));
      }
      frames_.pop_back();
      return;
    }
    if (fallthrough) branchTo(0);
    if (f.op == Op::If && !f.hasElse) {
      // No else: the parameters are the results (validation made their types equal).
      b_.SetInsertPoint(f.elseBlock);
      stack_.resize(f.base);
      stack_.insert(stack_.end(), f.params.begin(), f.params.end());
      branchTo(0);
    }
    b_.SetInsertPoint(f.target);
    stack_.resize(f.base);
    for (size_t i = 0; i < f.slots.size(); i++) push(b_.CreateLoad(irType(f.results[i]), f.slots[i]));
    frames_.pop_back();
  }

  void br(uint32_t depth) { branchTo(depth); }
  void brIf(uint32_t depth) {
    llvm::Value *cond = isTrue(pop());
    llvm::BasicBlock *taken = newBlock("br_if"), *cont = newBlock("cont");
    b_.CreateCondBr(cond, taken, cont);
    b_.SetInsertPoint(taken);
    branchTo(depth);
    b_.SetInsertPoint(cont);
  }
  void brTable(std::span<const uint32_t> targets, uint32_t def) {
    llvm::Value *index = pop();
    // One block per distinct target, which moves the label's values and branches.
    std::map<uint32_t, llvm::BasicBlock *> stubs;
    auto stub = [&](uint32_t depth) {
      llvm::BasicBlock *&bb = stubs[depth];
      if (bb == nullptr) bb = newBlock("br_table");
      return bb;
    };
    llvm::SwitchInst *sw = b_.CreateSwitch(index, stub(def), static_cast<unsigned>(targets.size()));
    for (size_t i = 0; i < targets.size(); i++) sw->addCase(b_.getInt32(static_cast<uint32_t>(i)), stub(targets[i]));
    for (auto &[depth, bb] : stubs) {
      b_.SetInsertPoint(bb);
      branchTo(depth);
    }
  }
  void return_() { branchTo(static_cast<uint32_t>(frames_.size() - 1)); }

  void call(uint32_t func, const FuncType &ft) {
    std::vector<llvm::Value *> args = popN(ft.params.size());
    // A function compiled alone for tier-up calls the others through their VMFuncRef, whose code
    // is the best tier they have reached (runtime/tier_up.h).
    if (func >= m_.importedFuncs && bodies_[func - m_.importedFuncs] != nullptr) {
      // The store's fuel too: a frame too large for the stack meets the guard in the callee's
      // prologue, before the callee can write it.
      syncFuel();
      if (meterFuel_) args.insert(args.begin(), b_.CreateLoad(i64_, fuel_));
      args.insert(args.begin(), vmctx_);
      llvm::CallInst *c = b_.CreateCall(bodies_[func - m_.importedFuncs], args);
      // Every call keeps its frame, so endless recursion exhausts the stack (spec 4.4.10) rather
      // than becoming a loop that never checks the stack limit.
      c->setTailCallKind(llvm::CallInst::TCK_NoTail);
      std::vector<llvm::Value *> results = returned(c, ft);
      if (meterFuel_) {
        b_.CreateStore(results.back(), fuel_);
        fuelSynced_ = false;
        results.pop_back();
      }
      pushAll(results);
      return;
    }
    llvm::Value *funcs = loadInvariant(ptr_, field(vmctx_, kOffFuncs));
    callRef(loadInvariant(ptr_, field(funcs, 8 * static_cast<int64_t>(func))), args, ft);
  }
  // call_indirect (spec 4.4.8.7): the index must be in the table ("undefined element"), the entry
  // not null ("uninitialized element"), and its type the expected one, by canonical id.
  void callIndirect(uint32_t typeIndex, const FuncType &ft, uint32_t table) {
    llvm::Value *index = pop();
    std::vector<llvm::Value *> args = popN(ft.params.size());
    llvm::Value *t = tableAt(table);
    llvm::Value *index64 = b_.CreateZExt(index, i64_);
    trapIf(b_.CreateICmpUGE(index64, b_.CreateLoad(i64_, field(t, kOffTableSize))), TrapCode::UndefinedElement, index);
    llvm::Value *elems = b_.CreateLoad(ptr_, field(t, kOffTableElems));
    llvm::Value *ref = b_.CreateLoad(ptr_, b_.CreateGEP(i64_, elems, index64));
    trapIf(b_.CreateIsNull(ref), TrapCode::UninitializedElement, index);
    llvm::Value *typeIds = loadInvariant(ptr_, field(vmctx_, kOffTypeIds));
    llvm::Value *expected = loadInvariant(i32_, field(typeIds, 4 * static_cast<int64_t>(typeIndex)));
    trapIf(b_.CreateICmpNE(expected, b_.CreateLoad(i32_, field(ref, kOffFuncTypeId))), TrapCode::IndirectCallMismatch);
    callRef(ref, args, ft);
  }

  void drop(ValType) { pop(); }
  void select(ValType) {
    llvm::Value *cond = isTrue(pop());
    llvm::Value *b = pop(), *a = pop();
    push(b_.CreateSelect(cond, a, b));
  }

  void localGet(uint32_t x, ValType t) { push(b_.CreateLoad(irType(t), locals_[x])); }
  void localSet(uint32_t x, ValType) { b_.CreateStore(pop(), locals_[x]); }
  void localTee(uint32_t x, ValType) { b_.CreateStore(stack_.back(), locals_[x]); }
  void globalGet(uint32_t x, const GlobalType &g) {
    llvm::LoadInst *v = b_.CreateAlignedLoad(irType(g.type), globalCell(x), llvm::Align(8));
    if (!g.mut) v->setMetadata(llvm::LLVMContext::MD_invariant_load, invariant_);
    push(v);
  }
  // A global's cell is 8 bytes, an i32 or f32 zero-extended, a v128's two (runtime/vmcontext.h, include/wasmo.h).
  // Volatile like memory accesses: a later access may trap, and the state the trap leaves must
  // hold every earlier global.set, which LLVM would otherwise sink past the access or drop when a
  // later global.set overwrites it.
  void globalSet(uint32_t x, const GlobalType &) { b_.CreateAlignedStore(toBits(pop()), globalCell(x), llvm::Align(8), true); }
  void tableGet(uint32_t table, ValType) {
    llvm::Value *i = pop();
    push(runtime(Libcall::TableGet, i64_, {b_.getInt32(table), i}));
  }
  void tableSet(uint32_t table, ValType) {
    llvm::Value *ref = pop(), *i = pop();
    runtime(Libcall::TableSet, b_.getVoidTy(), {b_.getInt32(table), i, ref});
  }

  void load(Op op, const MemArg &ma) {
    llvm::Type *access = nullptr;
    ValType result = ValType::I32;
    bool isSigned = false;
    switch (op) {
      case Op::I32Load: access = i32_; break;
      case Op::I64Load: access = i64_; result = ValType::I64; break;
      case Op::F32Load: access = f32_; result = ValType::F32; break;
      case Op::F64Load: access = f64_; result = ValType::F64; break;
      case Op::I32Load8S: access = i8_; isSigned = true; break;
      case Op::I32Load8U: access = i8_; break;
      case Op::I32Load16S: access = b_.getInt16Ty(); isSigned = true; break;
      case Op::I32Load16U: access = b_.getInt16Ty(); break;
      case Op::I64Load8S: access = i8_; isSigned = true; result = ValType::I64; break;
      case Op::I64Load8U: access = i8_; result = ValType::I64; break;
      case Op::I64Load16S: access = b_.getInt16Ty(); isSigned = true; result = ValType::I64; break;
      case Op::I64Load16U: access = b_.getInt16Ty(); result = ValType::I64; break;
      case Op::I64Load32S: access = i32_; isSigned = true; result = ValType::I64; break;
      case Op::I64Load32U: access = i32_; result = ValType::I64; break;
      default: internal(std::string("load() called with ") + opName(op));
    }
    llvm::Type *t = irType(result);
    if (fuelAtFaults()) {
      push(markedLoad(op, t, ma));
      return;
    }
    llvm::LoadInst *v = b_.CreateAlignedLoad(access, effectiveAddress(op, ma), llvm::Align(1), true);
    push(access == t ? static_cast<llvm::Value *>(v) : isSigned ? b_.CreateSExt(v, t) : b_.CreateZExt(v, t));
  }
  void store(Op op, const MemArg &ma) {
    llvm::Value *v = pop();
    if (fuelAtFaults()) {
      markedStore(op, v, ma);
      return;
    }
    switch (op) {
      case Op::I32Store: case Op::I64Store: case Op::F32Store: case Op::F64Store: break;
      case Op::I32Store8: case Op::I64Store8: v = b_.CreateTrunc(v, i8_); break;
      case Op::I32Store16: case Op::I64Store16: v = b_.CreateTrunc(v, b_.getInt16Ty()); break;
      case Op::I64Store32: v = b_.CreateTrunc(v, i32_); break;
      default: internal(std::string("store() called with ") + opName(op));
    }
    b_.CreateAlignedStore(v, effectiveAddress(op, ma), llvm::Align(1), true);
  }
  void memorySize(uint32_t) {
    llvm::Value *mem = loadInvariant(ptr_, field(vmctx_, kOffMemory));
    push(b_.CreateTrunc(b_.CreateLoad(i64_, field(mem, kOffMemoryPages)), i32_));
  }
  void memoryGrow(uint32_t mem) {
    llvm::Value *delta = pop();
    push(runtime(Libcall::MemoryGrow, i32_, {b_.getInt32(mem), delta}));
  }

  void i32Const(int32_t v) { push(b_.getInt32(static_cast<uint32_t>(v))); }
  void i64Const(int64_t v) { push(b_.getInt64(static_cast<uint64_t>(v))); }
  void f32Const(uint32_t bits) { push(llvm::ConstantFP::get(ctx_, llvm::APFloat(llvm::APFloat::IEEEsingle(), llvm::APInt(32, bits)))); }
  void f64Const(uint64_t bits) { push(llvm::ConstantFP::get(ctx_, llvm::APFloat(llvm::APFloat::IEEEdouble(), llvm::APInt(64, bits)))); }

  void numeric(Op op);

  // A null reference is 0 for both reference types (runtime/vmcontext.h).
  void refNull(ValType) { push(b_.getInt64(0)); }
  void refIsNull(ValType) { push(b_.CreateZExt(b_.CreateICmpEQ(pop(), b_.getInt64(0)), i32_)); }
  void refFunc(uint32_t func) {
    llvm::Value *funcs = loadInvariant(ptr_, field(vmctx_, kOffFuncs));
    push(loadInvariant(i64_, field(funcs, 8 * static_cast<int64_t>(func))));
  }
  void simd(Op op, const SimdImmediates &imm);  // simd.h
  // Bulk memory and table instructions are runtime calls, as in singlepass code.
  void bulk(Op op, uint32_t x, uint32_t y) {
    llvm::Type *v = b_.getVoidTy();
    switch (op) {
      case Op::MemoryInit: { auto a = popN(3); runtime(Libcall::MemoryInit, v, {b_.getInt32(x), a[0], a[1], a[2]}); return; }
      case Op::DataDrop: runtime(Libcall::DataDrop, v, {b_.getInt32(x)}); return;
      case Op::MemoryCopy: runtime(Libcall::MemoryCopy, v, popN(3)); return;
      case Op::MemoryFill: runtime(Libcall::MemoryFill, v, popN(3)); return;
      case Op::TableInit: { auto a = popN(3); runtime(Libcall::TableInit, v, {b_.getInt32(x), b_.getInt32(y), a[0], a[1], a[2]}); return; }
      case Op::ElemDrop: runtime(Libcall::ElemDrop, v, {b_.getInt32(x)}); return;
      case Op::TableCopy: { auto a = popN(3); runtime(Libcall::TableCopy, v, {b_.getInt32(x), b_.getInt32(y), a[0], a[1], a[2]}); return; }
      case Op::TableGrow: { auto a = popN(2); push(runtime(Libcall::TableGrow, i32_, {b_.getInt32(x), a[0], a[1]})); return; }
      case Op::TableSize: push(b_.CreateTrunc(b_.CreateLoad(i64_, field(tableAt(x), kOffTableSize)), i32_)); return;
      case Op::TableFill: { auto a = popN(3); runtime(Libcall::TableFill, v, {b_.getInt32(x), a[0], a[1], a[2]}); return; }
      default: internal(std::string("bulk() called with ") + opName(op));
    }
  }

 private:
  struct Frame {
    Op op;  // Block, Loop, If; the function body is a Block
    size_t base;  // operand stack height below the construct's parameters
    llvm::BasicBlock *target;  // a branch's destination: the end, or a loop's head
    llvm::BasicBlock *elseBlock;  // if only
    std::vector<llvm::AllocaInst *> slots;  // the values a branch carries: results, a loop's parameters
    std::vector<llvm::Value *> params;  // an if's, for its else branch
    std::vector<ValType> results;
    bool hasElse;
  };

  void push(llvm::Value *v) { stack_.push_back(v); }
  void pushAll(const std::vector<llvm::Value *> &vs) { stack_.insert(stack_.end(), vs.begin(), vs.end()); }
  llvm::Value *pop() {
    llvm::Value *v = stack_.back();
    stack_.pop_back();
    return v;
  }
  std::vector<llvm::Value *> popN(size_t n) {
    std::vector<llvm::Value *> out(stack_.end() - static_cast<ptrdiff_t>(n), stack_.end());
    stack_.resize(stack_.size() - n);
    return out;
  }
  llvm::BasicBlock *newBlock(const char *name) { return llvm::BasicBlock::Create(ctx_, name, fn_); }
  llvm::AllocaInst *alloca(llvm::Type *t) { return llvm::IRBuilder<>(allocas_).CreateAlloca(t); }
  std::vector<llvm::AllocaInst *> slotsFor(const std::vector<ValType> &types) {
    std::vector<llvm::AllocaInst *> out;
    for (ValType t : types) out.push_back(alloca(irType(t)));
    return out;
  }
  llvm::Value *zero(ValType t) { return llvm::Constant::getNullValue(irType(t)); }
  llvm::Value *isTrue(llvm::Value *i32) { return b_.CreateICmpNE(i32, b_.getInt32(0)); }
  llvm::Value *field(llvm::Value *base, int64_t offset) { return b_.CreateConstGEP1_64(i8_, base, static_cast<uint64_t>(offset)); }
  llvm::Value *slotAt(llvm::Value *vals, size_t i) { return field(vals, 8 * static_cast<int64_t>(i)); }
  // Loads what stays the same while code runs: VMContext fields, the libcall table, type ids.
  llvm::LoadInst *loadInvariant(llvm::Type *t, llvm::Value *p) {
    llvm::LoadInst *v = b_.CreateLoad(t, p);
    v->setMetadata(llvm::LLVMContext::MD_invariant_load, invariant_);
    return v;
  }
  llvm::Value *globalCell(uint32_t x) {
    llvm::Value *globals = loadInvariant(ptr_, field(vmctx_, kOffGlobals));
    return loadInvariant(ptr_, field(globals, 8 * static_cast<int64_t>(x)));
  }
  llvm::Value *tableAt(uint32_t table) {
    llvm::Value *tables = loadInvariant(ptr_, field(vmctx_, kOffTables));
    return loadInvariant(ptr_, field(tables, 8 * static_cast<int64_t>(table)));
  }
  /** A value as its 64-bit slot holds it: i32 and f32 zero-extended, the bits of floats; a v128 as it is, in two. */
  llvm::Value *toBits(llvm::Value *v) {
    llvm::Type *t = v->getType();
    if (t == f32_) return b_.CreateZExt(b_.CreateBitCast(v, i32_), i64_);
    if (t == f64_) return b_.CreateBitCast(v, i64_);
    if (t == i32_) return b_.CreateZExt(v, i64_);
    return v;
  }
  // A row of values in 8-byte cells, as WasmFunction's vals hold them (environ/module.h cells()).
  std::vector<llvm::Value *> loadRow(llvm::Value *vals, const std::vector<ValType> &types) {
    std::vector<llvm::Value *> out;
    size_t c = 0;
    for (ValType t : types) {
      out.push_back(b_.CreateAlignedLoad(irType(t), slotAt(vals, c), llvm::Align(8)));
      c += cells(t);
    }
    return out;
  }
  void storeRow(llvm::Value *vals, const std::vector<llvm::Value *> &values) {
    size_t c = 0;
    for (llvm::Value *v : values) {
      b_.CreateAlignedStore(toBits(v), slotAt(vals, c), llvm::Align(8));
      c += v->getType() == v128_ ? 2 : 1;
    }
  }
  static size_t cellsOf(const std::vector<ValType> &types) {
    size_t n = 0;
    for (ValType t : types) n += cells(t);
    return n;
  }
  // What a call of a body returns (returnType()): its results, then the fuel left if it meters fuel.
  std::vector<llvm::Value *> returned(llvm::CallInst *call, const FuncType &ft) {
    size_t n = ft.results.size() + (meterFuel_ ? 1 : 0);
    if (n == 0) return {};
    if (n == 1) return {call};
    std::vector<llvm::Value *> out;
    for (size_t i = 0; i < n; i++) {
      llvm::Value *r = b_.CreateExtractValue(call, {static_cast<unsigned>(i)});
      bool asBits = ft.results.size() > 1 && i < ft.results.size() && (ft.results[i] == ValType::F32 || ft.results[i] == ValType::F64);
      out.push_back(asBits ? fromBits(r) : r);
    }
    return out;
  }
  // Writes the fuel left to the store, if a charge changed it since it was last written. Volatile,
  // so that it stays before the access that may fault after it. Every access that may fault or
  // call costs fuel, so a charge comes between it and the last label: the flag is exact.
  void syncFuel() {
    if (!meterFuel_ || fuelSynced_) return;
    b_.CreateStore(b_.CreateLoad(i64_, fuel_), fuelAt_, true);
    fuelSynced_ = true;
  }
  // After a call that may change the store's fuel (a host function sets it, code of another
  // module charges it), the fuel left is the store's.
  void reloadFuel() {
    if (!meterFuel_) return;
    b_.CreateStore(b_.CreateLoad(i64_, fuelAt_), fuel_);
    fuelSynced_ = true;
  }
  // Calls the function whose VMFuncRef is `ref` through its WasmFunction entry.
  void callRef(llvm::Value *ref, const std::vector<llvm::Value *> &args, const FuncType &ft) {
    size_t n = std::max<size_t>({cellsOf(ft.params), cellsOf(ft.results), 1});
    llvm::AllocaInst *vals = alloca(llvm::ArrayType::get(i64_, n));
    storeRow(vals, args);
    llvm::Value *code = b_.CreateLoad(ptr_, field(ref, kOffFuncCode));
    llvm::Value *calleeVmctx = b_.CreateLoad(ptr_, field(ref, kOffFuncVmctx));
    syncFuel();
    b_.CreateCall(entryType(), code, {calleeVmctx, vals});
    reloadFuel();
    pushAll(loadRow(vals, ft.results));
  }
  /** Calls runtime function `id` with the VMContext and `args` (runtime/vmcontext.h Libcall). */
  llvm::Value *runtime(Libcall id, llvm::Type *result, std::vector<llvm::Value *> args) {
    args.insert(args.begin(), vmctx_);
    std::vector<llvm::Type *> types;
    for (llvm::Value *a : args) types.push_back(a->getType());
    syncFuel();
    llvm::Value *r = b_.CreateCall(llvm::FunctionType::get(result, types, false), libcall(id), args);
    reloadFuel();
    return r;
  }
  llvm::Value *libcall(Libcall id) {
    llvm::Value *table = loadInvariant(ptr_, field(vmctx_, kOffLibcalls));
    return loadInvariant(ptr_, field(table, 8 * static_cast<int64_t>(id)));
  }
  // The address operand (top of stack) plus the static offset of an access of `op`: an i32 address
  // plus a u32 offset is below 8 GiB, inside the memory's reservation plus guard, whose guard pages
  // trap (runtime/memory.h); code for smaller ones compares the access's end with the memory's
  // length first (spec 4.4.7). The length changes only in calls, so LLVM may keep it in a register.
  // Only an access without that check may fault, and needs the store's fuel written first.
  llvm::Value *effectiveAddress(Op op, const MemArg &ma) {
    llvm::Value *i = b_.CreateZExt(pop(), i64_);
    if (boundsChecks_) {
      llvm::Value *mem = loadInvariant(ptr_, field(vmctx_, kOffMemory));
      llvm::Value *end = b_.CreateAdd(i, b_.getInt64(ma.offset + accessBytes(op)), "", true, true);
      trapIf(b_.CreateICmpUGT(end, b_.CreateLoad(i64_, field(mem, kOffMemoryLength))), TrapCode::OutOfBoundsMemory);
    } else {
      syncFuel();
    }
    if (ma.offset != 0) i = b_.CreateAdd(i, b_.getInt64(ma.offset), "", true, true);
    return b_.CreateGEP(i8_, memoryBase_, i);
  }
  // Scalar accesses in code that meters fuel with guard pages: writing the store's fuel before each
  // access that may fault cost up to 50% in loops (bench matmul), so instead each is an instruction
  // of its own that holds the fuel left in a register the signal handler reads, marked as such by a
  // DS segment prefix (ignored by the processor in 64-bit mode, emitted by nothing else):
  // runtime/traps.cpp kFuelAtFaultPrefix, kFuelAtFaultRegister. Side effects, like volatile
  // accesses: none is dropped or moved across another, and each holds the fuel of its segment.
  // The address is registers (base, index) and a displacement, not a memory operand: one would
  // make LLVM follow the access with an x87 `wait` in strictfp code (X86InsertWait).
  bool fuelAtFaults() const { return meterFuel_ && !boundsChecks_; }
  llvm::Value *marked(llvm::Type *result, const char *instr, const char *constraint, const MemArg &ma, llvm::Value *stored = nullptr) {
    llvm::Value *i = b_.CreateZExt(pop(), i64_);
    uint64_t disp = ma.offset;
    if (disp > INT32_MAX) {
      i = b_.CreateAdd(i, b_.getInt64(disp), "", true, true);
      disp = 0;
    }
    std::string text = std::string(".byte 0x3e\n\t") + instr;
    text.replace(text.find("MEM"), 3, std::to_string(disp) + "($1,$2)");
    std::vector<llvm::Value *> args{memoryBase_, i, b_.CreateLoad(i64_, fuel_)};
    if (stored != nullptr) args.insert(args.begin(), stored);
    std::vector<llvm::Type *> types;
    for (llvm::Value *a : args) types.push_back(a->getType());
    std::string constraints = std::string(constraint) + ",r,r,{r11}";
    return b_.CreateCall(llvm::InlineAsm::get(llvm::FunctionType::get(result, types, false), text, constraints, true), args);
  }
  llvm::Value *markedLoad(Op op, llvm::Type *result, const MemArg &ma) {
    const char *instr = nullptr;
    switch (op) {
      case Op::I32Load: instr = "movl MEM, $0"; break;
      case Op::I64Load: instr = "movq MEM, $0"; break;
      case Op::F32Load: instr = "movss MEM, $0"; break;
      case Op::F64Load: instr = "movsd MEM, $0"; break;
      case Op::I32Load8S: instr = "movsbl MEM, $0"; break;
      case Op::I32Load8U: instr = "movzbl MEM, $0"; break;
      case Op::I32Load16S: instr = "movswl MEM, $0"; break;
      case Op::I32Load16U: instr = "movzwl MEM, $0"; break;
      case Op::I64Load8S: instr = "movsbq MEM, $0"; break;
      case Op::I64Load8U: instr = "movzbl MEM, ${0:k}"; break;
      case Op::I64Load16S: instr = "movswq MEM, $0"; break;
      case Op::I64Load16U: instr = "movzwl MEM, ${0:k}"; break;
      case Op::I64Load32S: instr = "movslq MEM, $0"; break;
      case Op::I64Load32U: instr = "movl MEM, ${0:k}"; break;
      default: internal(std::string("markedLoad() called with ") + opName(op));
    }
    return marked(result, instr, result->isFloatingPointTy() ? "=x" : "=r", ma);
  }
  void markedStore(Op op, llvm::Value *v, const MemArg &ma) {
    const char *instr = nullptr;
    switch (op) {
      case Op::I32Store: instr = "movl $0, MEM"; break;
      case Op::I64Store: instr = "movq $0, MEM"; break;
      case Op::F32Store: instr = "movss $0, MEM"; break;
      case Op::F64Store: instr = "movsd $0, MEM"; break;
      case Op::I32Store8: case Op::I64Store8: instr = "movb ${0:b}, MEM"; break;
      case Op::I32Store16: case Op::I64Store16: instr = "movw ${0:w}, MEM"; break;
      case Op::I64Store32: instr = "movl ${0:k}, MEM"; break;
      default: internal(std::string("markedStore() called with ") + opName(op));
    }
    marked(b_.getVoidTy(), instr, v->getType()->isFloatingPointTy() ? "x" : "r", ma, v);
  }
  void checkStackLimit(TrapCode code) {
    llvm::Value *sp = b_.CreateIntrinsic(llvm::Intrinsic::read_register, {i64_}, {rsp_});
    llvm::Value *limitAt = loadInvariant(ptr_, field(vmctx_, kOffStackLimit));
    // Volatile: another thread raises the limit to interrupt, so each iteration reads it again.
    llvm::Value *limit = b_.CreateLoad(i64_, limitAt, true);
    trapIf(b_.CreateICmpULT(sp, limit), code);
  }
  // Moves the branch's values into the target's slots and branches (spec 4.4.8.6: the label's
  // arity values are kept, the rest of the operand stack down to the label's height is dropped).
  void branchTo(uint32_t depth) {
    Frame &f = frames_[frames_.size() - 1 - depth];
    size_t n = f.slots.size();
    for (size_t i = 0; i < n; i++) b_.CreateStore(stack_[stack_.size() - n + i], f.slots[i]);
    b_.CreateBr(f.target);
  }
  llvm::BasicBlock *raiseBlock(TrapCode code, llvm::Value *element) {
    llvm::IRBuilderBase::InsertPointGuard guard(b_);
    llvm::BasicBlock *bb = newBlock("trap");
    b_.SetInsertPoint(bb);
    // Running out leaves 0, which the store reads any fuel below 0 as: the charge that failed is not
    // kept alive for the trap, and LLVM charges the fuel left in place.
    if (meterFuel_) b_.CreateStore(code == TrapCode::OutOfFuel ? b_.getInt64(0) : static_cast<llvm::Value *>(b_.CreateLoad(i64_, fuel_)), fuelAt_);
    llvm::FunctionType *raise = llvm::FunctionType::get(b_.getVoidTy(), {i32_, i32_}, false);
    llvm::CallInst *call = b_.CreateCall(raise, libcall(Libcall::RaiseTrap),
                                         {b_.getInt32(static_cast<uint32_t>(code)), element ? element : b_.getInt32(0)});
    call->setDoesNotReturn();
    call->addFnAttr(llvm::Attribute::Cold);
    b_.CreateUnreachable();
    return bb;
  }
  llvm::BasicBlock *trapBlock(TrapCode code) {
    llvm::BasicBlock *&bb = traps_[code];
    if (bb == nullptr) bb = raiseBlock(code, nullptr);
    return bb;
  }
  // Traps with `code` when `cond` holds; the element traps name the index that was called.
  void trapIf(llvm::Value *cond, TrapCode code, llvm::Value *element = nullptr) {
    llvm::BasicBlock *cont = newBlock("cont");
    b_.CreateCondBr(cond, element ? raiseBlock(code, element) : trapBlock(code), cont, unlikely_);
    b_.SetInsertPoint(cont);
  }

  llvm::Value *intrinsic(llvm::Intrinsic::ID id, llvm::Value *a, llvm::Value *b = nullptr) {
    if (b == nullptr) return b_.CreateIntrinsic(id, {a->getType()}, {a});
    return b_.CreateIntrinsic(id, {a->getType()}, {a, b});
  }
  llvm::Value *constrained(llvm::Intrinsic::ID id, llvm::Value *a) {
    return b_.CreateConstrainedFPCall(llvm::Intrinsic::getDeclaration(&mod_, id, {a->getType()}), {a});
  }
  // Floats as their bits and back, lane by lane for vectors (f32 lanes as i32, f64 as i64).
  llvm::Value *bits(llvm::Value *f) {
    return b_.CreateBitCast(f, f->getType()->getWithNewType(f->getType()->getScalarType() == f32_ ? i32_ : i64_));
  }
  llvm::Value *fromBits(llvm::Value *i) {
    return b_.CreateBitCast(i, i->getType()->getWithNewType(i->getType()->getScalarType() == i32_ ? f32_ : f64_));
  }
  // The sign bit of each lane (a vector's constant is a splat).
  llvm::Value *signBit(llvm::Type *intType) {
    return llvm::ConstantInt::get(intType, llvm::APInt::getSignMask(intType->getScalarSizeInBits()));
  }
  // A float comparison. A vector one is a plain fcmp: under strict exceptions x86 compares lt, le,
  // gt and ge lane by lane with ucomiss (cmpltps signals on a quiet NaN), and wasm observes no
  // floating-point exceptions, so the plain kind is as exact (spec 4.3.3 feq ... fge) and one cmpps.
  llvm::Value *fcmp(llvm::CmpInst::Predicate p, llvm::Value *a, llvm::Value *b) {
    if (!a->getType()->isVectorTy()) return b_.CreateFCmp(p, a, b);
    return b_.Insert(new llvm::FCmpInst(p, a, b));
  }
  // fabs and fneg on a float's bits (spec 4.3.3: they change the sign alone, NaN payloads included).
  llvm::Value *clearSign(llvm::Value *x) { return b_.CreateAnd(x, b_.CreateNot(signBit(x->getType()))); }
  llvm::Value *flipSign(llvm::Value *x) { return b_.CreateXor(x, signBit(x->getType())); }
  void compare(llvm::CmpInst::Predicate p) {
    llvm::Value *b = pop(), *a = pop();
    llvm::Value *c = llvm::CmpInst::isFPPredicate(p) ? b_.CreateFCmp(p, a, b) : b_.CreateICmp(p, a, b);
    push(b_.CreateZExt(c, i32_));
  }
  void binary(llvm::Instruction::BinaryOps op) {
    llvm::Value *b = pop(), *a = pop();
    push(b_.CreateBinOp(op, a, b));
  }
  void unary(const std::function<llvm::Value *(llvm::Value *)> &f) { push(f(pop())); }
  void shift(llvm::Instruction::BinaryOps op) {
    // The count is taken modulo the width (spec 4.3.2 ishl, ishr_s, ishr_u).
    llvm::Value *b = pop(), *a = pop();
    unsigned width = a->getType()->getIntegerBitWidth();
    push(b_.CreateBinOp(op, a, b_.CreateAnd(b, llvm::ConstantInt::get(a->getType(), width - 1))));
  }
  void divide(bool isSigned, bool isRem) {
    llvm::Value *b = pop(), *a = pop();
    llvm::Type *t = a->getType();
    trapIf(b_.CreateICmpEQ(b, llvm::ConstantInt::get(t, 0)), TrapCode::IntegerDivideByZero);
    if (!isSigned) {
      push(isRem ? b_.CreateURem(a, b) : b_.CreateUDiv(a, b));
      return;
    }
    llvm::Value *minusOne = b_.CreateICmpEQ(b, llvm::Constant::getAllOnesValue(t));
    if (isRem) {
      // INT_MIN rem -1 is 0 (spec 4.3.2 irem_s); x rem 1 is 0 too, and the hardware does not fault on it.
      push(b_.CreateSRem(a, b_.CreateSelect(minusOne, llvm::ConstantInt::get(t, 1), b)));
      return;
    }
    llvm::Value *intMin = llvm::ConstantInt::get(t, llvm::APInt::getSignedMinValue(t->getIntegerBitWidth()));
    trapIf(b_.CreateAnd(minusOne, b_.CreateICmpEQ(a, intMin)), TrapCode::IntegerOverflow);
    push(b_.CreateSDiv(a, b));
  }
  // fmin/fmax (spec 4.3.3): NaN if either is NaN (an arithmetic one: the sum of the operands), and
  // -0 < +0; equal operands differ at most in the sign of zero, so or keeps -0 and and keeps +0.
  void minMax(bool isMin) {
    llvm::Value *b = pop(), *a = pop();
    llvm::Value *nan = b_.CreateFAdd(a, b);
    llvm::Value *equal = fromBits(isMin ? b_.CreateOr(bits(a), bits(b)) : b_.CreateAnd(bits(a), bits(b)));
    llvm::Value *pick = b_.CreateSelect(b_.CreateFCmp(isMin ? llvm::CmpInst::FCMP_OLT : llvm::CmpInst::FCMP_OGT, a, b), a, b);
    llvm::Value *ordered = b_.CreateSelect(b_.CreateFCmp(llvm::CmpInst::FCMP_OEQ, a, b), equal, pick);
    push(b_.CreateSelect(b_.CreateFCmp(llvm::CmpInst::FCMP_UNO, a, b), nan, ordered));
  }
  // trunc (spec 4.3.3 trunc_s/trunc_u): NaN is an invalid conversion, values out of range
  // (truncBounds) overflow; trunc_sat maps NaN to 0 and clamps, as LLVM's fpto[su]i.sat does.
  void truncate(bool dst64, bool isSigned, bool saturating) {
    llvm::Value *a = pop();
    llvm::Type *dst = dst64 ? i64_ : i32_;
    if (!saturating) {
      bool src64 = a->getType() == f64_;
      auto [lo, loInclusive, hi] = truncBounds(src64, dst64, isSigned);
      auto constant = [&](double v) { return llvm::ConstantFP::get(a->getType(), v); };
      trapIf(b_.CreateFCmp(llvm::CmpInst::FCMP_UNO, a, a), TrapCode::InvalidConversion);
      llvm::Value *low = b_.CreateFCmp(loInclusive ? llvm::CmpInst::FCMP_OLT : llvm::CmpInst::FCMP_OLE, a, constant(lo));
      llvm::Value *high = b_.CreateFCmp(llvm::CmpInst::FCMP_OGE, a, constant(hi));
      trapIf(b_.CreateOr(low, high), TrapCode::IntegerOverflow);
    }
    push(b_.CreateIntrinsic(isSigned ? llvm::Intrinsic::fptosi_sat : llvm::Intrinsic::fptoui_sat, {dst, a->getType()}, {a}));
  }

  const Module &m_;
  llvm::LLVMContext &ctx_;
  llvm::Module &mod_;
  std::vector<llvm::Function *> &bodies_;
  bool meterFuel_;
  bool boundsChecks_;
  FuelSegments<llvm::BinaryOperator *> fuelSegments_;  // a charge is its subtraction
  llvm::AllocaInst *fuel_ = nullptr;  // the fuel left, in code that meters fuel
  llvm::Value *fuelAt_ = nullptr;     // the store's fuel
  bool fuelSynced_ = false;           // *fuelAt_ is fuel_ (syncFuel)
  llvm::IRBuilder<> b_;
  llvm::Type *i8_, *i32_, *i64_, *f32_, *f64_, *ptr_;
  llvm::FixedVectorType *v128_;  // how a v128 is kept; simd.h views it in other shapes
  llvm::MDNode *unlikely_, *invariant_;
  llvm::Value *rsp_;

  llvm::Function *fn_ = nullptr;
  llvm::BasicBlock *allocas_ = nullptr, *body_ = nullptr;
  llvm::Value *vmctx_ = nullptr, *memoryBase_ = nullptr;
  std::vector<llvm::Value *> stack_;
  std::vector<llvm::AllocaInst *> locals_;
  std::vector<Frame> frames_;
  std::vector<ValType> results_;
  std::map<TrapCode, llvm::BasicBlock *> traps_;
};
static_assert(FunctionBackend<Optimizing>);

// Every numeric instruction is listed: a new one in opcodes.h fails to compile here (-Wswitch).
void Optimizing::numeric(Op op) {
  using P = llvm::CmpInst::Predicate;
  using B = llvm::Instruction::BinaryOps;
  switch (op) {
    case Op::I32Eqz: case Op::I64Eqz:
      return unary([&](llvm::Value *a) { return b_.CreateZExt(b_.CreateICmpEQ(a, llvm::ConstantInt::get(a->getType(), 0)), i32_); });
    case Op::I32Eq: case Op::I64Eq: return compare(P::ICMP_EQ);
    case Op::I32Ne: case Op::I64Ne: return compare(P::ICMP_NE);
    case Op::I32LtS: case Op::I64LtS: return compare(P::ICMP_SLT);
    case Op::I32LtU: case Op::I64LtU: return compare(P::ICMP_ULT);
    case Op::I32GtS: case Op::I64GtS: return compare(P::ICMP_SGT);
    case Op::I32GtU: case Op::I64GtU: return compare(P::ICMP_UGT);
    case Op::I32LeS: case Op::I64LeS: return compare(P::ICMP_SLE);
    case Op::I32LeU: case Op::I64LeU: return compare(P::ICMP_ULE);
    case Op::I32GeS: case Op::I64GeS: return compare(P::ICMP_SGE);
    case Op::I32GeU: case Op::I64GeU: return compare(P::ICMP_UGE);
    // Floating-point comparisons are false for NaN except ne (spec 4.3.3 feq ... fge).
    case Op::F32Eq: case Op::F64Eq: return compare(P::FCMP_OEQ);
    case Op::F32Ne: case Op::F64Ne: return compare(P::FCMP_UNE);
    case Op::F32Lt: case Op::F64Lt: return compare(P::FCMP_OLT);
    case Op::F32Gt: case Op::F64Gt: return compare(P::FCMP_OGT);
    case Op::F32Le: case Op::F64Le: return compare(P::FCMP_OLE);
    case Op::F32Ge: case Op::F64Ge: return compare(P::FCMP_OGE);

    case Op::I32Clz: case Op::I64Clz:
      return unary([&](llvm::Value *a) { return b_.CreateIntrinsic(llvm::Intrinsic::ctlz, {a->getType()}, {a, b_.getFalse()}); });
    case Op::I32Ctz: case Op::I64Ctz:
      return unary([&](llvm::Value *a) { return b_.CreateIntrinsic(llvm::Intrinsic::cttz, {a->getType()}, {a, b_.getFalse()}); });
    case Op::I32Popcnt: case Op::I64Popcnt: return unary([&](llvm::Value *a) { return intrinsic(llvm::Intrinsic::ctpop, a); });
    case Op::I32Add: case Op::I64Add: return binary(B::Add);
    case Op::I32Sub: case Op::I64Sub: return binary(B::Sub);
    case Op::I32Mul: case Op::I64Mul: return binary(B::Mul);
    case Op::I32DivS: case Op::I64DivS: return divide(true, false);
    case Op::I32DivU: case Op::I64DivU: return divide(false, false);
    case Op::I32RemS: case Op::I64RemS: return divide(true, true);
    case Op::I32RemU: case Op::I64RemU: return divide(false, true);
    case Op::I32And: case Op::I64And: return binary(B::And);
    case Op::I32Or: case Op::I64Or: return binary(B::Or);
    case Op::I32Xor: case Op::I64Xor: return binary(B::Xor);
    case Op::I32Shl: case Op::I64Shl: return shift(B::Shl);
    case Op::I32ShrS: case Op::I64ShrS: return shift(B::AShr);
    case Op::I32ShrU: case Op::I64ShrU: return shift(B::LShr);
    case Op::I32Rotl: case Op::I64Rotl: case Op::I32Rotr: case Op::I64Rotr: {
      // Funnel shifts take the count modulo the width, as rotations do (spec 4.3.2 irotl, irotr).
      llvm::Value *b = pop(), *a = pop();
      bool left = op == Op::I32Rotl || op == Op::I64Rotl;
      push(b_.CreateIntrinsic(left ? llvm::Intrinsic::fshl : llvm::Intrinsic::fshr, {a->getType()}, {a, a, b}));
      return;
    }

    case Op::I32WrapI64: return unary([&](llvm::Value *a) { return b_.CreateTrunc(a, i32_); });
    case Op::I64ExtendI32S: return unary([&](llvm::Value *a) { return b_.CreateSExt(a, i64_); });
    case Op::I64ExtendI32U: return unary([&](llvm::Value *a) { return b_.CreateZExt(a, i64_); });
    case Op::I32Extend8S: return unary([&](llvm::Value *a) { return b_.CreateSExt(b_.CreateTrunc(a, i8_), i32_); });
    case Op::I32Extend16S: return unary([&](llvm::Value *a) { return b_.CreateSExt(b_.CreateTrunc(a, b_.getInt16Ty()), i32_); });
    case Op::I64Extend8S: return unary([&](llvm::Value *a) { return b_.CreateSExt(b_.CreateTrunc(a, i8_), i64_); });
    case Op::I64Extend16S: return unary([&](llvm::Value *a) { return b_.CreateSExt(b_.CreateTrunc(a, b_.getInt16Ty()), i64_); });
    case Op::I64Extend32S: return unary([&](llvm::Value *a) { return b_.CreateSExt(b_.CreateTrunc(a, i32_), i64_); });
    // Reinterpretations keep the bits (spec 4.3.3).
    case Op::I32ReinterpretF32: case Op::I64ReinterpretF64: return unary([&](llvm::Value *a) { return bits(a); });
    case Op::F32ReinterpretI32: case Op::F64ReinterpretI64: return unary([&](llvm::Value *a) { return fromBits(a); });

    case Op::F32Add: case Op::F64Add: { llvm::Value *b = pop(), *a = pop(); push(b_.CreateFAdd(a, b)); return; }
    case Op::F32Sub: case Op::F64Sub: { llvm::Value *b = pop(), *a = pop(); push(b_.CreateFSub(a, b)); return; }
    case Op::F32Mul: case Op::F64Mul: { llvm::Value *b = pop(), *a = pop(); push(b_.CreateFMul(a, b)); return; }
    case Op::F32Div: case Op::F64Div: { llvm::Value *b = pop(), *a = pop(); push(b_.CreateFDiv(a, b)); return; }
    case Op::F32Min: case Op::F64Min: return minMax(true);
    case Op::F32Max: case Op::F64Max: return minMax(false);
    // Sign operations act on the bits alone, NaN payloads included (spec 4.3.3 fneg, fabs, fcopysign).
    case Op::F32Abs: case Op::F64Abs:
      return unary([&](llvm::Value *a) { return fromBits(clearSign(bits(a))); });
    case Op::F32Neg: case Op::F64Neg:
      return unary([&](llvm::Value *a) { return fromBits(flipSign(bits(a))); });
    case Op::F32Copysign: case Op::F64Copysign: {
      llvm::Value *y = bits(pop()), *x = bits(pop());
      llvm::Value *sign = signBit(x->getType());
      push(fromBits(b_.CreateOr(b_.CreateAnd(x, b_.CreateNot(sign)), b_.CreateAnd(y, sign))));
      return;
    }
    case Op::F32Sqrt: case Op::F64Sqrt: return unary([&](llvm::Value *a) { return constrained(llvm::Intrinsic::experimental_constrained_sqrt, a); });
    case Op::F32Ceil: case Op::F64Ceil: return unary([&](llvm::Value *a) { return constrained(llvm::Intrinsic::experimental_constrained_ceil, a); });
    case Op::F32Floor: case Op::F64Floor: return unary([&](llvm::Value *a) { return constrained(llvm::Intrinsic::experimental_constrained_floor, a); });
    case Op::F32Trunc: case Op::F64Trunc: return unary([&](llvm::Value *a) { return constrained(llvm::Intrinsic::experimental_constrained_trunc, a); });
    case Op::F32Nearest: case Op::F64Nearest:
      return unary([&](llvm::Value *a) { return constrained(llvm::Intrinsic::experimental_constrained_roundeven, a); });

    case Op::F32ConvertI32S: case Op::F32ConvertI64S: return unary([&](llvm::Value *a) { return b_.CreateSIToFP(a, f32_); });
    case Op::F32ConvertI32U: case Op::F32ConvertI64U: return unary([&](llvm::Value *a) { return b_.CreateUIToFP(a, f32_); });
    case Op::F64ConvertI32S: case Op::F64ConvertI64S: return unary([&](llvm::Value *a) { return b_.CreateSIToFP(a, f64_); });
    case Op::F64ConvertI32U: case Op::F64ConvertI64U: return unary([&](llvm::Value *a) { return b_.CreateUIToFP(a, f64_); });
    case Op::F32DemoteF64: return unary([&](llvm::Value *a) { return b_.CreateFPTrunc(a, f32_); });
    case Op::F64PromoteF32: return unary([&](llvm::Value *a) { return b_.CreateFPExt(a, f64_); });
    case Op::I32TruncF32S: case Op::I32TruncF64S: return truncate(false, true, false);
    case Op::I32TruncF32U: case Op::I32TruncF64U: return truncate(false, false, false);
    case Op::I64TruncF32S: case Op::I64TruncF64S: return truncate(true, true, false);
    case Op::I64TruncF32U: case Op::I64TruncF64U: return truncate(true, false, false);
    case Op::I32TruncSatF32S: case Op::I32TruncSatF64S: return truncate(false, true, true);
    case Op::I32TruncSatF32U: case Op::I32TruncSatF64U: return truncate(false, false, true);
    case Op::I64TruncSatF32S: case Op::I64TruncSatF64S: return truncate(true, true, true);
    case Op::I64TruncSatF32U: case Op::I64TruncSatF64U: return truncate(true, false, true);

    // The decoder sends these elsewhere; they never reach numeric().
#define WASMO_NOT_NUMERIC(name, ...) case Op::name:
    WASMO_SPECIAL_OPS(WASMO_NOT_NUMERIC) WASMO_LOAD_OPS(WASMO_NOT_NUMERIC)
    WASMO_STORE_OPS(WASMO_NOT_NUMERIC) WASMO_BULK_OPS(WASMO_NOT_NUMERIC) WASMO_SIMD_OPS(WASMO_NOT_NUMERIC)
#undef WASMO_NOT_NUMERIC
      internal(std::string("numeric() called with ") + opName(op));
  }
}

#include "compiler/optimizing/simd.h"

std::string errorText(llvm::Error e) {
  std::string out;
  llvm::handleAllErrors(std::move(e), [&](const llvm::ErrorInfoBase &info) { out += info.message(); });
  return out;
}
template <class T>
T checked(llvm::Expected<T> v, const char *what) {
  if (!v) internal(std::string(what) + ": " + errorText(v.takeError()));
  return std::move(*v);
}

/**
 * Lays the object's code and read-only data out as one block and resolves its relocations, which
 * must all be PC-relative within the block, so the block runs wherever it is loaded (the artifact
 * has no relocations left, artifact/artifact.h). Returns the block and each entry's offset and size.
 */
CompiledCode link(llvm::StringRef object, size_t entries) {
  auto file = checked(llvm::object::ObjectFile::createELFObjectFile(llvm::MemoryBufferRef(object, "wasm")), "object");
  auto *elf = llvm::dyn_cast<llvm::object::ELF64LEObjectFile>(file.get());
  if (elf == nullptr) internal("not an ELF64 object");
  CompiledCode out;
  out.tier = Tier::Optimizing;
  out.cpuFeatures = kOptimizingCpuFeatures;
  std::map<uint64_t, uint64_t> placed;  // section index -> offset in the block
  for (const llvm::object::ELFSectionRef s : elf->sections()) {
    if (!(s.getFlags() & llvm::ELF::SHF_ALLOC) || s.getSize() == 0) continue;
    llvm::StringRef name = checked(s.getName(), "section name");
    if (name == ".eh_frame") continue;  // no unwinding through wasm frames: traps leave by siglongjmp
    if (s.getFlags() & llvm::ELF::SHF_WRITE) internal("writable section " + name.str());
    uint64_t align = std::max<uint64_t>(s.getAlignment().value(), 1);
    // Tiered artifacts place a function's block at this alignment (artifact/writer.cpp).
    if (align > kOptimizedBlockAlign) internal("section " + name.str() + " aligned to " + std::to_string(align));
    out.code.resize((out.code.size() + align - 1) / align * align);
    placed[s.getIndex()] = out.code.size();
    if (s.getType() == llvm::ELF::SHT_NOBITS) {
      out.code.resize(out.code.size() + s.getSize());
    } else {
      llvm::StringRef bytes = checked(s.getContents(), "section contents");
      out.code.insert(out.code.end(), bytes.begin(), bytes.end());
    }
  }
  auto addressOf = [&](const llvm::object::SymbolRef &sym) {
    llvm::object::section_iterator sec = checked(sym.getSection(), "symbol section");
    if (sec == elf->section_end() || !placed.contains(sec->getIndex())) {
      llvm::Expected<llvm::StringRef> name = sym.getName();
      internal("code refers to " + (name ? name->str() : std::string("an unknown symbol")) + ", which is not in it");
    }
    return placed[sec->getIndex()] + checked(sym.getValue(), "symbol value");
  };
  for (const llvm::object::SectionRef s : elf->sections()) {
    llvm::object::section_iterator target = checked(s.getRelocatedSection(), "relocated section");
    if (target == elf->section_end() || !placed.contains(target->getIndex())) continue;
    for (const llvm::object::ELFRelocationRef r : s.relocations()) {
      if (r.getSymbol() == elf->symbols().end()) internal("a relocation without a symbol");
      uint64_t at = placed[target->getIndex()] + r.getOffset();
      int64_t value = static_cast<int64_t>(addressOf(*r.getSymbol())) + checked(r.getAddend(), "addend") -
                      static_cast<int64_t>(at);
      switch (r.getType()) {
        case llvm::ELF::R_X86_64_PC32: case llvm::ELF::R_X86_64_PLT32: {
          if (value != static_cast<int32_t>(value)) internal("a PC-relative reference out of range");
          auto v32 = static_cast<int32_t>(value);
          std::memcpy(out.code.data() + at, &v32, 4);
          break;
        }
        case llvm::ELF::R_X86_64_PC64: std::memcpy(out.code.data() + at, &value, 8); break;
        default: internal("relocation type " + std::to_string(r.getType()) + " in position-independent code");
      }
    }
  }
  out.functionOffsets.assign(entries, UINT32_MAX);
  out.entrySizes.assign(entries, 0);
  for (const llvm::object::SymbolRef sym : elf->symbols()) {
    llvm::StringRef name = checked(sym.getName(), "symbol name");
    size_t k;
    if (!name.consume_front("wasmo.entry.") || name.getAsInteger(10, k) || k >= entries) continue;
    out.functionOffsets[k] = static_cast<uint32_t>(addressOf(sym));
    out.entrySizes[k] = static_cast<uint32_t>(llvm::object::ELFSymbolRef(sym).getSize());
  }
  if (std::ranges::find(out.functionOffsets, UINT32_MAX) != out.functionOffsets.end()) internal("an entry is missing");
  // A function's code is its entry, then its body (see compileFunctions): a pc maps to the function
  // whose entry is the last at or below it (runtime/store.cpp frameAt, artifact symbols).
  if (!std::ranges::is_sorted(out.functionOffsets)) internal("the entries are out of order");
  return out;
}

/*
 * The optimization pipeline: a short function-level one rather than O2's (which took ~30 ms of CPU
 * per kilobyte of wasm, 500 times singlepass). Its input is already optimized code (a C compiler's
 * -O2 output, inlined and unrolled as that compiler chose), so O2's inliner, unrollers, IndVarSimplify
 * and its repeated InstCombine runs redo what is done and cost most of the time; what is left to do
 * is what lowering wasm to IR leaves behind: locals in allocas become SSA values (SROA), the memory
 * base and VMContext loads are shared (EarlyCSE, GVN) and hoisted out of loops (LICM), addresses are
 * folded (InstCombine) and the blocks the branches leave are merged (SimplifyCFG). Code generation
 * stays at its default level, loop strength reduction included. Measured on the bench kernels this
 * runs as fast as O2 and compiles in half the CPU time (bench big module: 26.5 s instead of ~50 s).
 */
void optimize(llvm::Module &mod, llvm::TargetMachine &tm) {
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PassBuilder pb(&tm);
  // No C library: the optimizer must not turn loops into memset or memcpy calls.
  llvm::TargetLibraryInfoImpl tlii{llvm::Triple(mod.getTargetTriple())};
  tlii.disableAllFunctions();
  fam.registerPass([&] { return llvm::TargetLibraryAnalysis(tlii); });
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  llvm::FunctionPassManager fpm;
  fpm.addPass(llvm::SROAPass(llvm::SROAOptions::ModifyCFG));
  fpm.addPass(llvm::EarlyCSEPass(/*UseMemorySSA=*/true));
  fpm.addPass(llvm::InstCombinePass());
  fpm.addPass(llvm::SimplifyCFGPass());
  fpm.addPass(llvm::createFunctionToLoopPassAdaptor(llvm::LICMPass(llvm::LICMOptions()), /*UseMemorySSA=*/true));
  fpm.addPass(llvm::GVNPass());
  fpm.addPass(llvm::SimplifyCFGPass());
  llvm::ModulePassManager mpm;
  mpm.addPass(llvm::createModuleToFunctionPassAdaptor(std::move(fpm)));
  mpm.run(mod, mam);
}

/**
 * Compiles the defined functions `funcs` of a valid module (all of them, or one for tier-up) into
 * one LLVM module, optimized and emitted as one; the entries come in the order of `funcs`.
 */
CompiledCode compileFunctions(const Module &module, std::span<const uint32_t> funcs, bool meterFuel, bool boundsChecks) {
  refuseUnsupported(module);
  if ((hostCpuFeatures() & kOptimizingCpuFeatures) != kOptimizingCpuFeatures) unsupported("the optimizing compiler on a CPU without SSE4.1 and POPCNT");
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    llvm::InitializeNativeTargetAsmParser();  // the inline assembly of marked accesses (markedLoad)
    // X86's cmov converter turns a cmov whose operand is a folded load into a branch with the load
    // on one arm, so a wasm `select` would not execute the load it does not choose, and an
    // out-of-bounds load there would not trap (spec 4.4.7.1: select's operands are evaluated
    // first; test/optimizing.test.ts, generator seed 56005380). The pass has no per-function switch.
    auto &options = llvm::cl::getRegisteredOptions();
    auto converter = options.find("x86-cmov-converter");
    if (converter == options.end()) internal("LLVM has no x86-cmov-converter option");
    converter->second->addOccurrence(0, "x86-cmov-converter", "false");
  });
  std::string error;
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(kTriple, error);
  if (target == nullptr) internal(error);
  std::unique_ptr<llvm::TargetMachine> tm(target->createTargetMachine(
      kTriple, "x86-64", kLlvmFeatures, llvm::TargetOptions(), llvm::Reloc::PIC_, llvm::CodeModel::Small,
      llvm::CodeGenOptLevel::Default));
  if (!tm) internal("no target machine");

  llvm::LLVMContext ctx;
  llvm::Module mod("wasm", ctx);
  mod.setTargetTriple(kTriple);
  mod.setDataLayout(tm->createDataLayout());
  size_t defined = module.funcs.size() - module.importedFuncs;
  std::vector<llvm::Function *> bodies(defined, nullptr), entries;
  Optimizing gen(module, ctx, mod, bodies, meterFuel, boundsChecks);
  auto attributes = [](llvm::Function *f) {
    f->addFnAttr(llvm::Attribute::NoUnwind);
    f->addFnAttr(llvm::Attribute::StrictFP);
    // Frames larger than a page touch each page in turn, so a huge one meets the stack's guard.
    f->addFnAttr("probe-stack", "inline-asm");
    // rbp is the frame pointer, as in singlepass code, so that a trap's backtrace walks through
    // these frames (runtime/traps.cpp captureTrace).
    f->addFnAttr("frame-pointer", "all");
  };
  // Each entry comes right before its body (LLVM emits functions in the module's order), so a
  // function's code is one range from its entry on; the pipeline has no inliner, so every body
  // stays a function, and a backtrace has a frame per wasm call.
  for (size_t e = 0; e < funcs.size(); e++) {
    uint32_t k = funcs[e];
    const FuncType &ft = module.funcType(module.importedFuncs + k);
    llvm::Function *entry = llvm::Function::Create(gen.entryType(), llvm::GlobalValue::ExternalLinkage, llvm::Twine("wasmo.entry.").concat(llvm::Twine(e)), mod);
    entry->setVisibility(llvm::GlobalValue::HiddenVisibility);
    entry->setDSOLocal(true);
    attributes(entry);
    entries.push_back(entry);
    llvm::Function *body = llvm::Function::Create(gen.bodyType(ft), llvm::GlobalValue::InternalLinkage, llvm::Twine("f").concat(llvm::Twine(k)), mod);
    attributes(body);
    bodies[k] = body;
  }
  for (size_t e = 0; e < funcs.size(); e++) {
    uint32_t func = module.importedFuncs + funcs[e];
    FunctionDecoder<Optimizing>(module, func, gen).run();
    gen.buildEntry(func, entries[e]);
  }
  std::string problems;
  llvm::raw_string_ostream os(problems);
  if (llvm::verifyModule(mod, &os)) internal("invalid IR: " + problems.substr(0, 2000));
  optimize(mod, *tm);

  llvm::SmallVector<char, 0> object;
  llvm::raw_svector_ostream objectStream(object);
  llvm::legacy::PassManager emit;
  if (tm->addPassesToEmitFile(emit, objectStream, nullptr, llvm::CodeGenFileType::ObjectFile)) internal("cannot emit objects");
  emit.run(mod);
  CompiledCode out = link(llvm::StringRef(object.data(), object.size()), funcs.size());
  out.meterFuel = meterFuel;
  out.boundsChecks = boundsChecks;
  return out;
}

}  // namespace

}  // namespace wasmo

// The library's one entry point (compiler/optimizing/llvm_library.h).
extern "C" __attribute__((visibility("default"))) const wasmo::LlvmCompiler *wasmo_llvm_compiler() {
  static const wasmo::LlvmCompiler compiler{
      WASMO_ENGINE_VERSION,
      [](const wasmo::Module &module, std::span<const uint32_t> funcs, bool meterFuel, bool boundsChecks,
         wasmo::CompiledCode &out, std::string &error) {
        // No exception leaves the library (the other one has its own copy of the C++ runtime).
        try {
          out = wasmo::compileFunctions(module, funcs, meterFuel, boundsChecks);
          return WASMO_OK;
        } catch (...) {
          wasmo::CompileError e = wasmo::currentCompileError();
          error = std::move(e.message);
          return e.status;
        }
      }};
  return &compiler;
}
