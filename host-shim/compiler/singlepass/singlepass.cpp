#include "compiler/singlepass/singlepass.h"

#include <xbyak/xbyak.h>
#include <xbyak/xbyak_util.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <optional>

#include "compiler/cpu_features.h"
#include "compiler/optimizing/optimizing.h"
#include "environ/fuel.h"
#include "environ/function_decoder.h"
#include "runtime/code_memory.h"
#include "runtime/vmcontext.h"

namespace wasmo {
namespace {

using namespace Xbyak;
using namespace Xbyak::util;

// A buffer xbyak writes into without owning it, until a function's code is done: standing in
// before the first function, which gets a chunk of its worker's (WorkerCode::Chunk). Code reaches
// memory only through an artifact (CodeMemory alone makes it executable).
uint8_t noBuffer[1];

/*
 * Frame layout (rbp-relative), set up by the prologue:
 *   [rbp+8] return address, [rbp] caller's rbp, [rbp-8] r14, [rbp-16] r15, [rbp-24] vals pointer,
 *   [rbp-32] rbx, [rbp-40] r12, [rbp-48] r13 (callee-saved, used for operands),
 *   locals in 8-byte cells downward from [rbp-56]; operand stack cells upward from [rsp] (rsp fixed
 *   after the prologue). A value takes one cell, a v128 two (cells(), its low half at the lower
 *   address), so an operand's slot is at its cell's offset, not its stack index.
 * Calling convention, shared by wasm->wasm calls and the entry from C (WasmFunction):
 *   rdi = VMContext, rsi = vals (arguments on entry, results written there on return, in cells).
 * A call passes its arguments in place: they are the caller's top operand slots, and the callee's
 * results land in the same slots.
 */
constexpr int32_t kSavedVals = -24;
constexpr int32_t kLocalsStart = -56;
constexpr int32_t kSavedBytes = 48;  // pushed after rbp

// Registers that hold operands between instructions. They never hold one across a call or a
// control-flow boundary (flush() spills them there), so merge points agree on where values are.
// Float operands live in xmm2..xmm7 (xmm0 and xmm1 are scratch).
const Reg64 kOperandRegs[] = {rbx, r12, r13, r10, r11};
const Xmm kOperandXmms[] = {xmm2, xmm3, xmm4, xmm5, xmm6, xmm7};
constexpr uint8_t kNoReg = 0xFF;

// A v128 operand is never a Const: v128.const loads it into a register.
struct Value {
  enum Kind : uint8_t { Const, Slot, Reg, XReg } kind;
  ValType type;
  uint64_t bits;  // Const only; i32 and f32 zero-extended
  uint8_t reg = kNoReg;  // Reg: index into kOperandRegs; XReg: into kOperandXmms
  uint32_t cell = 0;  // its slot's first cell: set by push()
};

// [base + disp] with base a general register: rbp or rsp for a local or an operand cell, rcx for a
// global, r14 for a field of the VMContext. Not xbyak's RegExp, whose construction (a dozen
// fields, checked) cost more than encoding the access (frameOp) did.
struct FrameRef {
  int base;  // register index
  int32_t disp;
  Xbyak::RegExp exp() const { return Xbyak::Reg64(base) + disp; }
  FrameRef operator+(int32_t d) const { return {base, disp + d}; }
};

// A jump target of the function being compiled (Singlepass::newTarget).
using Target = uint32_t;
constexpr uint32_t kNoTarget = UINT32_MAX;

struct Frame {
  Op op;  // Block, Loop, If; the function body is a Block at depth 0
  size_t base;  // operand stack height below the construct's parameters
  std::vector<ValType> params, results;
  Target label;                    // branch target: the end, or the loop's head
  Target elseLabel = kNoTarget;    // if only
  bool hasElse = false;
};

class Singlepass : public CodeGenerator {
 public:
  Singlepass(const Module &module, const CompileOptions &options)
      : CodeGenerator(0, noBuffer), meterFuel_(options.meterFuel), boundsChecks_(options.boundsChecks), tierUp_(options.tierUp),
        importedFuncs_(module.importedFuncs), allowedFeatures_(options.cpuFeatures & hostCpuFeatures()),
        avx_((allowedFeatures_ & kCpuAvx) != 0), poolLimit_(poolLimit()) {}

  /** Starts a function's code at `buffer`, which has room for `capacity` bytes (xbyak throws
   *  ERR_CODE_IS_TOO_BIG past it). Each function is compiled on its own: nothing but its calls of
   *  other functions (callSites()) refers outside its code. */
  void startFunction(uint8_t *buffer, size_t capacity) {
    top_ = buffer;
    maxSize_ = capacity;
    reset();
    callSites_.clear();
  }
  /** The calls of the function compiled last: where their rel32 is, and which defined function. */
  const std::vector<std::pair<uint32_t, uint32_t>> &callSites() const { return callSites_; }

  /** The CPU features the code emitted so far uses (CpuFeature bits). */
  uint32_t usedFeatures() const { return usedFeatures_; }

  void beginFunction(uint32_t func, const FuncType &ft, std::span<const ValType> locals) {
    stack_.clear();
    regOwner_.fill(SIZE_MAX);
    xmmOwner_.fill(SIZE_MAX);
    frames_.clear();
    labelAt_.clear();
    fixups_.clear();
    traps_.fill(kNoTarget);
    constants_.clear();
    fuelSegments_.reset();
    maxSlots_ = 0;
    locals_.assign(locals.begin(), locals.end());
    localCells_.clear();
    localDisp_.clear();
    numLocalCells_ = 0;
    for (ValType t : locals) {
      localCells_.push_back(numLocalCells_);
      numLocalCells_ += cells(t);
      localDisp_.push_back(static_cast<int32_t>(kLocalsStart - 8 * static_cast<int64_t>(numLocalCells_ - 1)));
    }
    returnLabel_ = newTarget();
    functionResults_ = ft.results;
    defined_ = func - importedFuncs_;

    if (tierUp_) tierUpEntry();
    // push rbp; mov rbp, rsp; push r14, r15, rsi, rbx, r12, r13 (kSavedBytes); mov r14, rdi
    static constexpr Encoding kPrologue{0x55, 0x48, 0x89, 0xE5, 0x41, 0x56, 0x41, 0x57, 0x56, 0x53, 0x41, 0x54, 0x41, 0x55,
                                        0x49, 0x89};
    emit(kPrologue, sizeof kPrologue);
    static constexpr Encoding kMovR14Rdi{0xFE};  // the ModRM byte of mov r14, rdi
    emit(kMovR14Rdi, 1);
    // Below the limit there is no room left for this frame: trap before touching it (spec 4.4.10,
    // "call stack exhausted" is the embedder's resource limit).
    frameOp(0x8D, rax, FrameRef{rsp.getIdx(), -0x7FFFFFFF});  // lea, disp32 form, patched in endFunction with -(frame size)
    frameSizePatch_ = getSize() - 4;
    movFrame(false, rcx, vmctx(kOffStackLimit));
    frameOp(kCmp, rax, at(rcx));
    jumpIf(Cond::B, trapLabel(TrapCode::StackExhausted));
    movReg(rsp, rax);
    movFrame(false, r15, vmctx(kOffMemoryBase));
    for (size_t i = 0; i < ft.params.size(); i++) {
      for (size_t c = 0; c < cells(locals[i]); c++) {
        movFrame(false, rax, at(rsi, static_cast<int32_t>(8 * (localCells_[i] + c))));
        movFrame(true, rax, local(i) + static_cast<int32_t>(8 * c));
      }
    }
    // Non-parameter locals start at zero (spec 4.4.10.1).
    size_t firstDeclared = ft.params.size() < locals.size() ? localCells_[ft.params.size()] : numLocalCells_;
    size_t declared = numLocalCells_ - firstDeclared;
    if (declared > 8) {
      lea(rdi, qword[rbp + static_cast<int32_t>(kLocalsStart - 8 * static_cast<int64_t>(numLocalCells_ - 1))]);
      mov(rcx, declared);
      xor_(eax, eax);
      rep();
      stosq();
    } else {
      for (size_t c = firstDeclared; c < numLocalCells_; c++) frameImm(true, at(rbp, static_cast<int32_t>(kLocalsStart - 8 * static_cast<int64_t>(c))), 0);
    }
    Frame f{Op::Block, 0, {}, ft.results, newTarget()};
    frames_.push_back(std::move(f));
  }

  void endFunction(bool fallthrough) {
    if (fallthrough) returnSequence();
    bind(returnLabel_);
    movFrame(false, r14, at(rbp, -8));
    movFrame(false, r15, at(rbp, -16));
    movFrame(false, rbx, at(rbp, -32));
    movFrame(false, r12, at(rbp, -40));
    movFrame(false, r13, at(rbp, -48));
    static constexpr Encoding kLeaveRet{0xC9, 0xC3};
    emit(kLeaveRet, 2);
    if (tierUp_) tierUpStub();
    for (size_t i = 0; i < traps_.size(); i++) {
      if (traps_[i] == kNoTarget) continue;
      const TrapCode code = static_cast<TrapCode>(i);
      bind(traps_[i]);
      static constexpr Encoding kAlignRsp{0x48, 0x83, 0xE4, 0xF0};  // and rsp, -16
      emit(kAlignRsp, 4);  // the stack-limit trap comes before the frame is complete
      // call_indirect jumps to the element traps with the index in ecx.
      if (code == TrapCode::UndefinedElement || code == TrapCode::UninitializedElement) movReg(esi, ecx);
      movImm(edi, static_cast<uint32_t>(code));
      movFrame(false, rax, vmctx(kOffLibcalls));
      callMem(at(rax, 8 * static_cast<int32_t>(Libcall::RaiseTrap)));
    }
    emitConstants();
    // The frame keeps rsp 16-byte aligned for calls into C.
    uint64_t bytes = 8 + 8 * numLocalCells_ + 8 * maxSlots_;
    if ((kSavedBytes + bytes) % 16 != 0) bytes += 8;
    if (bytes > 0x7FFFFFFF) unsupported("a frame of more than 2 GiB");
    rewrite(frameSizePatch_, static_cast<uint32_t>(-static_cast<int32_t>(bytes)), 4);
    resolveTargets();
  }

  // Fuel metering (environ/fuel.h): a segment's charge is emitted before its first costly
  // instruction, with its cost patched in as the segment grows. Between instructions rax is free
  // and no flags are live, so the charge fits anywhere.
  void fuel(Op op) {
    if (!meterFuel_) return;
    fuelSegments_.step(op, [&] {
      mov(rax, qword[r14 + kOffFuel]);
      sub(qword[rax], 0x7FFFFFFF);  // the imm32 form, patched below
      size_t patch = getSize() - 4;
      jumpIf(Cond::S, trapLabel(TrapCode::OutOfFuel));
      return patch;
    }, [&](size_t patch, uint32_t cost) { rewrite(patch, cost, 4); });
  }

  void unreachable() {
    jumpTo(trapLabel(TrapCode::Unreachable));
  }
  void nop() {}

  void block(const BlockType &bt) { enter(Op::Block, bt); }
  void loop(const BlockType &bt) {
    enter(Op::Loop, bt);
    bind(frames_.back().label);
    // Each iteration looks at the stack limit, which an interrupt raises above any stack pointer
    // (runtime/interrupt.h); the prologue's own check covers calls. Nothing is live in rcx here:
    // enter() spilled every operand.
    movFrame(false, rcx, vmctx(kOffStackLimit));
    frameOp(kCmp, rsp, at(rcx));
    jumpIf(Cond::B, trapLabel(TrapCode::Interrupted));
    if (tierUp_) tierUpBackEdge();
  }
  void if_(const BlockType &bt) {
    loadTo(eax, stack_.size() - 1);
    stack_.pop_back();
    enter(Op::If, bt);
    frames_.back().elseLabel = newTarget();
    regOp(kTest, eax, eax);
    jumpIf(Cond::E, frames_.back().elseLabel);
  }
  void else_(bool fallthrough) {
    Frame &f = frames_.back();
    if (fallthrough) {
      flush();
      materializeTop(f.results.size());
      jumpTo(f.label);
    }
    bind(f.elseLabel);
    f.hasElse = true;
    // The else branch starts from the parameters the if left in their slots.
    resetStack(f.base, f.params);
  }
  void end(bool fallthrough) {
    Frame &f = frames_.back();
    if (fallthrough) {
      flush();
      materializeTop(f.results.size());
    }
    if (f.op == Op::If && !f.hasElse) bind(f.elseLabel);
    if (f.op != Op::Loop) bind(f.label);
    resetStack(f.base, f.results);
    frames_.pop_back();
  }

  void br(uint32_t depth) {
    branchTo(depth);
  }
  void brIf(uint32_t depth) {
    loadTo(eax, stack_.size() - 1);
    stack_.pop_back();
    flush();
    Target skip = newTarget();
    regOp(kTest, eax, eax);
    jumpIf(Cond::E, skip);
    branchTo(depth);
    bind(skip);
  }
  void brTable(std::span<const uint32_t> targets, uint32_t def) {
    loadTo(ecx, stack_.size() - 1);
    stack_.pop_back();
    flush();
    // A jump table of `jmp rel32` entries (5 bytes each), so the code stays position-independent;
    // each distinct target gets one stub that moves the label's values and jumps.
    std::map<uint32_t, Target> stubs;
    for (uint32_t t : targets) stubs.emplace(t, 0);
    for (auto &[depth, label] : stubs) label = newTarget();
    Target table = newTarget(), fallback = newTarget();
    cmp(ecx, static_cast<uint32_t>(targets.size()));
    jumpIf(Cond::AE, fallback);
    db(0x48);  // lea rax, [rip + rel32]
    db(0x8D);
    db(0x05);
    rel32To(table);
    lea(rcx, ptr[rcx + rcx * 4]);
    add(rax, rcx);
    jmp(rax);
    bind(table);
    for (uint32_t t : targets) jumpTo(stubs[t]);
    for (auto &[depth, label] : stubs) {
      bind(label);
      branchTo(depth);
    }
    bind(fallback);
    branchTo(def);
  }
  void return_() {
    returnSequence();
  }

  void call(uint32_t func, const FuncType &ft) {
    size_t n = ft.params.size();
    size_t argBase = stack_.size() - n;
    flush();
    for (size_t k = argBase; k < stack_.size(); k++) materialize(k);
    if (func >= importedFuncs_) {
      // A function of this module: its code is in the same block, so a PC-relative call reaches
      // it wherever the block is loaded, with this instance's VMContext. Linking fills in the rel32.
      noteSlot(cellAt(argBase) + cellsOf(ft.results));
      lea(rsi, ptr[rsp + static_cast<int32_t>(8 * cellAt(argBase))]);
      mov(rdi, r14);
      db(0xE8);
      dd(0);
      callSites_.emplace_back(static_cast<uint32_t>(getSize() - 4), func - importedFuncs_);
      pushResults(argBase, ft);
      return;
    }
    mov(rax, qword[r14 + kOffFuncs]);
    mov(rax, qword[rax + 8 * func]);
    callFuncRef(argBase, ft);
  }
  // call_indirect (spec 4.4.8.7): the index must be in the table ("undefined element"), the entry
  // not null ("uninitialized element"), and its type the expected one, by canonical id.
  void callIndirect(uint32_t typeIndex, const FuncType &ft, uint32_t table) {
    loadTo(ecx, stack_.size() - 1);
    stack_.pop_back();
    size_t argBase = stack_.size() - ft.params.size();
    flush();
    for (size_t k = argBase; k < stack_.size(); k++) materialize(k);
    mov(rax, qword[r14 + kOffTables]);
    mov(rax, qword[rax + 8 * table]);
    cmp(rcx, qword[rax + kOffTableSize]);
    jumpIf(Cond::AE, trapLabel(TrapCode::UndefinedElement));
    mov(rax, qword[rax + kOffTableElems]);
    mov(rax, qword[rax + rcx * 8]);
    regOp(kTest, rax, rax);
    jumpIf(Cond::E, trapLabel(TrapCode::UninitializedElement));
    mov(rdx, qword[r14 + kOffTypeIds]);
    mov(edx, dword[rdx + 4 * typeIndex]);
    cmp(edx, dword[rax + kOffFuncTypeId]);
    jumpIf(Cond::NE, trapLabel(TrapCode::IndirectCallMismatch));
    callFuncRef(argBase, ft);
  }

  void drop(ValType) { stack_.pop_back(); }
  void select(ValType t) {
    size_t k = stack_.size() - 3;
    if (t == ValType::V128) {
      loadV128(xmm0, k);
      loadV128(xmm1, k + 1);
      loadTo(edx, k + 2);
      Target keep = newTarget();
      test(edx, edx);
      jumpIf(Cond::NE, keep);
      movaps(xmm0, xmm1);
      bind(keep);
      dropTo(k);
      pushXmm(xmm0, t);
      return;
    }
    loadTo(rax, k);
    loadTo(rcx, k + 1);
    loadTo(edx, k + 2);
    test(edx, edx);
    cmovz(rax, rcx);
    dropTo(k);
    pushRax(t);
  }

  // Straight into the operand's register.
  void localGet(uint32_t x, ValType t) {
    if (t == ValType::F64 || t == ValType::F32 || t == ValType::V128) {
      const Xmm &r = kOperandXmms[pushNewXmm(t)];
      if (t == ValType::V128) vectorFrame(false, r, local(x));
      else scalarFrame(false, t == ValType::F64, r, local(x));
      return;
    }
    movFrame(false, kOperandRegs[pushNewReg(t)], local(x));
  }
  void localSet(uint32_t x, ValType) {
    storeTo(local(x), stack_.size() - 1);
    stack_.pop_back();
  }
  void localTee(uint32_t x, ValType) { storeTo(local(x), stack_.size() - 1); }
  void globalGet(uint32_t x, const GlobalType &g) {
    movFrame(false, rax, vmctx(kOffGlobals));
    movFrame(false, rax, at(rax, static_cast<int32_t>(8 * x)));
    if (g.type == ValType::V128) {
      movdqu(xmm0, xword[rax]);
      pushXmm(xmm0, g.type);
      return;
    }
    movFrame(false, kOperandRegs[pushNewReg(g.type)], at(rax));
  }
  void globalSet(uint32_t x, const GlobalType &) {
    movFrame(false, rcx, vmctx(kOffGlobals));
    movFrame(false, rcx, at(rcx, static_cast<int32_t>(8 * x)));
    storeTo(at(rcx), stack_.size() - 1);
    stack_.pop_back();
  }
  void tableGet(uint32_t table, ValType t) {
    mov(esi, table);
    libcall(Libcall::TableGet, {edx});
    pushRax(t);
  }
  void tableSet(uint32_t table, ValType) {
    mov(esi, table);
    libcall(Libcall::TableSet, {edx, rcx});
  }

  // A load goes straight to the register of its result, which allocating cannot take from the
  // address in rax (spilling uses no general register).
  void load(Op op, const MemArg &ma) {
    int32_t disp = effectiveAddress(op, ma);
    stack_.pop_back();
    if (op == Op::F32Load || op == Op::F64Load) {
      const bool is64 = op == Op::F64Load;
      uint8_t x = pushNewXmm(is64 ? ValType::F64 : ValType::F32);
      memoryOp(is64 ? 0xF2 : 0xF3, false, kMovsdLoad, kOperandXmms[x].getIdx(), disp);  // movsd/movss
      return;
    }
    // Opcode and REX.W of each load (Intel SDM vol. 2: mov, movsx, movzx, movsxd); the unsigned
    // i64 loads write 32 bits or fewer, which zero-extends.
    uint16_t code = kMovLoad;
    bool w = false;
    switch (op) {
      case Op::I32Load: case Op::I64Load32U: break;
      case Op::I64Load: w = true; break;
      case Op::I32Load8S: code = 0x0FBE; break;
      case Op::I32Load8U: case Op::I64Load8U: code = 0x0FB6; break;
      case Op::I32Load16S: code = 0x0FBF; break;
      case Op::I32Load16U: case Op::I64Load16U: code = 0x0FB7; break;
      case Op::I64Load8S: code = 0x0FBE; w = true; break;
      case Op::I64Load16S: code = 0x0FBF; w = true; break;
      case Op::I64Load32S: code = 0x63; w = true; break;
      default: unsupported(opName(op));
    }
    uint8_t r = pushNewReg(isI64Load(op) ? ValType::I64 : ValType::I32);
    memoryOp(0, w, code, kOperandRegs[r].getIdx(), disp);
  }
  // A store reads its value from the operand's own register (effectiveAddress uses rax, rdx and rsi
  // only), else from rcx.
  void store(Op op, const MemArg &ma) {
    const Value v = stack_.back();
    const bool isFloat = op == Op::F32Store || op == Op::F64Store;
    int value = rcx.getIdx();
    if (v.kind == Value::Reg) value = kOperandRegs[v.reg].getIdx();
    else if (v.kind != Value::XReg || !isFloat) loadTo(rcx, stack_.size() - 1);
    stack_.pop_back();  // nothing is allocated before the store reads the value's register
    int32_t disp = effectiveAddress(op, ma);
    if (isFloat && v.kind == Value::XReg) {
      memoryOp(op == Op::F64Store ? 0xF2 : 0xF3, false, kMovsdStore, kOperandXmms[v.reg].getIdx(), disp);
    } else {
      switch (op) {
        case Op::I32Store: case Op::F32Store: case Op::I64Store32: memoryOp(0, false, kMovStore, value, disp); break;
        case Op::I64Store: case Op::F64Store: memoryOp(0, true, kMovStore, value, disp); break;
        case Op::I32Store8: case Op::I64Store8: memoryOp(0, false, 0x88, value, disp); break;
        case Op::I32Store16: case Op::I64Store16: memoryOp(0x66, false, kMovStore, value, disp); break;
        default: unsupported(opName(op));
      }
    }
    stack_.pop_back();
  }
  void memorySize(uint32_t) {
    mov(rax, qword[r14 + kOffMemory]);
    mov(rax, qword[rax + kOffMemoryPages]);
    pushRax(ValType::I32);
  }
  void memoryGrow(uint32_t mem) {
    mov(esi, mem);
    libcall(Libcall::MemoryGrow, {edx});
    mov(eax, eax);  // the C ABI leaves the upper half of an int32_t result undefined
    pushRax(ValType::I32);
  }

  void i32Const(int32_t v) { pushValue(Value::Const, ValType::I32, static_cast<uint32_t>(v)); }
  void i64Const(int64_t v) { pushValue(Value::Const, ValType::I64, static_cast<uint64_t>(v)); }
  void f32Const(uint32_t bits) { pushValue(Value::Const, ValType::F32, bits); }
  void f64Const(uint64_t bits) { pushValue(Value::Const, ValType::F64, bits); }

  void numeric(Op op);

  // A null reference is 0 for both reference types (runtime/vmcontext.h).
  void refNull(ValType t) { pushValue(Value::Const, t, 0); }
  void refIsNull(ValType) {
    loadTo(rax, stack_.size() - 1);
    regOp(kTest, rax, rax);
    sete(al);
    movzx(eax, al);
    stack_.pop_back();
    pushRax(ValType::I32);
  }
  void refFunc(uint32_t func) {
    mov(rax, qword[r14 + kOffFuncs]);
    mov(rax, qword[rax + 8 * func]);
    pushRax(ValType::FuncRef);
  }
  // 128-bit SIMD (simd.h).
  void simd(Op op, const SimdImmediates &imm);
  // Bulk memory and table instructions are runtime calls: each checks its bounds before it writes
  // (spec 4.4.6, 4.4.7), as the spec's step-by-step definitions come down to.
  void bulk(Op op, uint32_t x, uint32_t y) {
    switch (op) {
      case Op::MemoryInit: mov(esi, x); libcall(Libcall::MemoryInit, {edx, ecx, r8d}); return;
      case Op::DataDrop: mov(esi, x); libcall(Libcall::DataDrop, {}); return;
      case Op::MemoryCopy: libcall(Libcall::MemoryCopy, {esi, edx, ecx}); return;
      case Op::MemoryFill: libcall(Libcall::MemoryFill, {esi, edx, ecx}); return;
      case Op::TableInit: mov(esi, x); mov(edx, y); libcall(Libcall::TableInit, {ecx, r8d, r9d}); return;
      case Op::ElemDrop: mov(esi, x); libcall(Libcall::ElemDrop, {}); return;
      case Op::TableCopy: mov(esi, x); mov(edx, y); libcall(Libcall::TableCopy, {ecx, r8d, r9d}); return;
      case Op::TableGrow:
        mov(esi, x);
        libcall(Libcall::TableGrow, {rdx, ecx});
        mov(eax, eax);
        pushRax(ValType::I32);
        return;
      case Op::TableSize:
        mov(rax, qword[r14 + kOffTables]);
        mov(rax, qword[rax + 8 * x]);
        mov(rax, qword[rax + kOffTableSize]);
        pushRax(ValType::I32);
        return;
      case Op::TableFill: mov(esi, x); libcall(Libcall::TableFill, {edx, rcx, r8d}); return;
      default: throw CompileError{WASMO_INTERNAL, std::string("bulk() called with ") + opName(op)};
    }
  }

 private:
  // Tier-up (runtime/tier_up.h). Each call and each loop iteration counts down the instance's
  // counter of this function; the step that takes it from 0 to -1 asks the runtime to compile the
  // function in the background, once. While the counter is negative, calls check for the optimized
  // entry and jump to it (frames already running stay here, new calls run the optimized code).

  // Before the prologue: rdi (VMContext) and rsi (vals) are the arguments, rax and rcx are free.
  void tierUpEntry() {
    tierUpBody_ = newTarget();
    tierUpHot_ = newTarget();
    mov(rax, qword[rdi + kOffTierCounters]);
    sub(dword[rax + counterOffset()], 1);
    jumpIf(Cond::S, tierUpHot_);
    bind(tierUpBody_);
  }
  // Out of line: the counter is negative.
  void tierUpStub() {
    Target request = newTarget();
    bind(tierUpHot_);
    jumpToOptimized(request);
    bind(request);
    cmp(dword[rax + counterOffset()], -1);
    jumpIf(Cond::NE, tierUpBody_);
    // The call into C keeps the arguments and realigns rsp (8 mod 16 at a function's entry).
    push(rdi);
    push(rsi);
    sub(rsp, 8);
    mov(esi, defined_);
    mov(rax, qword[rdi + kOffLibcalls]);
    Xbyak::CodeGenerator::call(qword[rax + 8 * static_cast<int32_t>(Libcall::TierUp)]);
    add(rsp, 8);
    pop(rsi);
    pop(rdi);
    // A store that waits for tier-up has the optimized code now, unless the compiler refused it.
    mov(rax, qword[rdi + kOffTierCounters]);
    jumpToOptimized(tierUpBody_);
  }
  // Jumps to the optimized entry if there is one, else to `none`; rax holds the counters.
  void jumpToOptimized(Target none) {
    mov(rcx, qword[rdi + kOffTierCode]);
    mov(rcx, qword[rcx + 8 * static_cast<int32_t>(defined_)]);
    test(rcx, rcx);
    jumpIf(Cond::E, none);
    // Pinned at -1, so the counter never wraps round to positive while the optimized code exists.
    mov(dword[rax + counterOffset()], -1);
    jmp(rcx);
  }
  // At a loop header, after the interrupt check: every operand is spilled and rsp is 16-aligned,
  // so the runtime call needs no saving.
  void tierUpBackEdge() {
    Target done = newTarget();
    mov(rax, qword[r14 + kOffTierCounters]);
    sub(dword[rax + counterOffset()], 1);
    jumpIf(Cond::NS, done);
    cmp(dword[rax + counterOffset()], -1);
    jumpIf(Cond::NE, done);
    mov(rdi, r14);
    mov(esi, defined_);
    mov(rax, qword[r14 + kOffLibcalls]);
    Xbyak::CodeGenerator::call(qword[rax + 8 * static_cast<int32_t>(Libcall::TierUp)]);
    bind(done);
  }
  int32_t counterOffset() const { return 4 * static_cast<int32_t>(defined_); }

  // Calls the function whose VMFuncRef is in rax with the top operands from argBase on as arguments.
  void callFuncRef(size_t argBase, const FuncType &ft) {
    noteSlot(cellAt(argBase) + cellsOf(ft.results));
    lea(rsi, ptr[rsp + static_cast<int32_t>(8 * cellAt(argBase))]);
    mov(rdi, qword[rax + kOffFuncVmctx]);
    Xbyak::CodeGenerator::call(qword[rax + kOffFuncCode]);
    pushResults(argBase, ft);
  }
  // A call's results are in the slots its arguments were in.
  void pushResults(size_t argBase, const FuncType &ft) {
    dropTo(argBase);
    for (ValType t : ft.results) pushValue(Value::Slot, t, 0);
  }
  // Calls a runtime function with the VMContext and the top operands, popped, in `regs` (the
  // registers after rdi, and after any immediates the caller put in the first ones).
  void libcall(Libcall id, std::initializer_list<Reg> regs) {
    size_t base = stack_.size() - regs.size();
    size_t k = base;
    for (const Reg &r : regs) loadTo(r, k++);
    dropTo(base);
    flush();  // runtime functions may clobber every caller-saved register
    mov(rdi, r14);
    mov(rax, qword[r14 + kOffLibcalls]);
    Xbyak::CodeGenerator::call(qword[rax + 8 * static_cast<int32_t>(id)]);
  }
  // The instructions singlepass emits most, moves and arithmetic between general registers and
  // between a register and a local or operand cell, are encoded here and written at once: xbyak's
  // general encoder takes a dozen calls for each (a third of the compile time went to it).
  // Each is built in a zeroed Encoding, copied whole and `n` bytes of it kept: a copy of constant
  // size is two moves, where one of n bytes was a loop.
  static constexpr size_t kMaxInstruction = 16;
  using Encoding = uint8_t[kMaxInstruction];
  void emit(const Encoding &code, size_t n) {
    if (size_ + kMaxInstruction > maxSize_) throw Xbyak::Error(Xbyak::ERR_CODE_IS_TOO_BIG);
    std::memcpy(top_ + size_, code, kMaxInstruction);
    size_ += n;
  }
  // REX (Intel SDM 2.2.1): W for 64-bit operands, R extends ModRM.reg, B ModRM.rm; none if 0.
  static size_t rex(uint8_t *code, bool w, int reg, int rm) {
    uint8_t bits = (w ? 0x08 : 0) | (reg >= 8 ? 0x04 : 0) | (rm >= 8 ? 0x01 : 0);
    if (bits == 0) return 0;
    code[0] = 0x40 | bits;
    return 1;
  }
  // Opcodes of the form `op r, r/m` (Intel SDM vol. 2) that regOp and frameOp encode; two bytes
  // when above 0xFF.
  static constexpr uint16_t kMovLoad = 0x8B, kMovStore = 0x89, kAdd = 0x03, kOr = 0x0B, kAnd = 0x23, kSub = 0x2B,
                            kXor = 0x33, kCmp = 0x3B, kImul = 0x0FAF, kMovaps = 0x0F28, kTest = 0x85;
  // SSE moves between a register and memory, after a prefix: F2 movsd, F3 movss (load 0F10, store
  // 0F11); F3 movdqu (load 0F6F, store 0F7F).
  static constexpr uint16_t kMovsdLoad = 0x0F10, kMovsdStore = 0x0F11, kMovdquLoad = 0x0F6F, kMovdquStore = 0x0F7F;
  /** movsd (64 bits) or movss (32 bits) between `x` and [at]. */
  void scalarFrame(bool store, bool is64, const Xmm &x, FrameRef at) {
    prefixedFrameOp(is64 ? 0xF2 : 0xF3, store ? kMovsdStore : kMovsdLoad, x, at);
  }
  /** movdqu between `x` and [at]. */
  void vectorFrame(bool store, const Xmm &x, FrameRef at) { prefixedFrameOp(0xF3, store ? kMovdquStore : kMovdquLoad, x, at); }
  static size_t opcode(uint8_t *code, uint16_t op) {
    if (op <= 0xFF) {
      code[0] = static_cast<uint8_t>(op);
      return 1;
    }
    code[0] = static_cast<uint8_t>(op >> 8);
    code[1] = static_cast<uint8_t>(op);
    return 2;
  }
  /** `op` with ModRM.reg `r` and ModRM.rm the register `rm`, of r's width (32 or 64 bits; an xmm
   *  register takes no REX.W, as movaps wants); rm's own width is not looked at. */
  void regOp(uint16_t op, const Reg &r, const Reg &rm) { prefixedRegOp(0, op, r, rm); }
  /** regOp after a mandatory prefix (0: none), for SSE instructions between registers. */
  void prefixedRegOp(uint8_t prefix, uint16_t op, const Reg &r, const Reg &rm) {
    Encoding code{};
    size_t n = 0;
    if (prefix != 0) code[n++] = prefix;
    n += rex(code + n, r.isBit(64), r.getIdx(), rm.getIdx());
    n += opcode(code + n, op);
    code[n++] = static_cast<uint8_t>(0xC0 | (r.getIdx() & 7) << 3 | (rm.getIdx() & 7));
    emit(code, n);
  }
  /** `op`, after a mandatory `prefix` if not 0, with ModRM.reg `reg` (a register index) and ModRM.rm
   *  the linear memory access [r15 + rax + disp] (effectiveAddress): a SIB byte, base r15 (REX.B). */
  void memoryOp(uint8_t prefix, bool w, uint16_t op, int reg, int32_t disp) {
    Encoding code{};
    size_t n = 0;
    if (prefix != 0) code[n++] = prefix;
    code[n++] = static_cast<uint8_t>(0x41 | (w ? 0x08 : 0) | (reg >= 8 ? 0x04 : 0));
    n += opcode(code + n, op);
    // r15's low bits are not 101, so mod 00 means no displacement.
    const uint8_t mod = disp == 0 ? 0x00 : disp >= -128 && disp <= 127 ? 0x40 : 0x80;
    code[n++] = static_cast<uint8_t>(mod | (reg & 7) << 3 | 0x04);
    code[n++] = 0x07;  // SIB: scale 1, index rax, base r15
    if (mod == 0x40) {
      code[n++] = static_cast<uint8_t>(disp);
    } else if (mod == 0x80) {
      std::memcpy(code + n, &disp, 4);
      n += 4;
    }
    emit(code, n);
  }
  /** `op r, imm` of r's width: 83 /digit ib or 81 /digit id (add 0, or 1, and 4, sub 5, xor 6, cmp 7),
   *  or with kImulImm imul r, r, imm (6B /r ib or 69 /r id); the immediate is sign-extended. */
  static constexpr uint8_t kImulImm = 0xFF;
  void aluImm(uint8_t digit, const Reg &r, int32_t imm) {
    Encoding code{};
    const int idx = r.getIdx();
    const bool imm8 = imm >= -128 && imm <= 127;
    const bool imul = digit == kImulImm;
    size_t n = rex(code, r.isBit(64), imul ? idx : 0, idx);
    code[n++] = imul ? (imm8 ? 0x6B : 0x69) : (imm8 ? 0x83 : 0x81);
    code[n++] = static_cast<uint8_t>(0xC0 | (imul ? idx & 7 : digit) << 3 | (idx & 7));
    if (imm8) {
      code[n++] = static_cast<uint8_t>(imm);
    } else {
      std::memcpy(code + n, &imm, 4);
      n += 4;
    }
    emit(code, n);
  }
  /** mov dst, src: general registers of the same width (32 or 64 bits). */
  void movReg(const Reg &dst, const Reg &src) { regOp(kMovLoad, dst, src); }
  /** `op` with ModRM.reg `r` and ModRM.rm [at] (modrmFrame), of r's width. */
  void frameOp(uint16_t op, const Reg &r, FrameRef at) { prefixedFrameOp(0, op, r, at); }
  /** frameOp after a mandatory prefix (0: none), for the SSE moves of scalars and vectors. */
  void prefixedFrameOp(uint8_t prefix, uint16_t op, const Reg &r, FrameRef at) {
    Encoding code{};
    size_t n = 0;
    if (prefix != 0) code[n++] = prefix;
    n += rex(code + n, r.isBit(64), r.getIdx(), at.base);
    n += opcode(code + n, op);
    n += modrmFrame(code + n, r.getIdx(), at);
    emit(code, n);
  }
  /** ModRM (with ModRM.reg `reg`), SIB and displacement of [at] (REX.B apart): always a disp8 or
   *  disp32 form, so rbp and r13 as a base need no special case; rsp and r12 take a SIB byte. */
  static size_t modrmFrame(uint8_t *code, int reg, FrameRef at) {
    size_t n = 0;
    const bool disp8 = at.disp >= -128 && at.disp <= 127;
    code[n++] = static_cast<uint8_t>((disp8 ? 0x40 : 0x80) | (reg & 7) << 3 | (at.base & 7));
    if ((at.base & 7) == 4) code[n++] = 0x24;  // a SIB byte: no index
    if (disp8) {
      code[n++] = static_cast<uint8_t>(at.disp);
    } else {
      std::memcpy(code + n, &at.disp, 4);
      n += 4;
    }
    return n;
  }
  /** mov r, imm: 32-bit registers and values that fit 32 bits unsigned as mov r32, imm32 (which
   *  zeroes the upper half), negative values that fit a sign-extended imm32 as REX.W C7 /0, the
   *  rest with a full imm64 (REX.W B8+r). */
  void movImm(const Reg &r, uint64_t v) {
    Encoding code{};
    size_t n = 0;
    const int idx = r.getIdx();
    if (v <= 0xFFFFFFFF || r.isBit(32)) {
      n = rex(code, false, 0, idx);
      code[n++] = static_cast<uint8_t>(0xB8 | (idx & 7));
      const uint32_t imm = static_cast<uint32_t>(v);
      std::memcpy(code + n, &imm, 4);
      n += 4;
    } else if (static_cast<int64_t>(v) == static_cast<int32_t>(v)) {
      n = rex(code, true, 0, idx);
      code[n++] = 0xC7;
      code[n++] = static_cast<uint8_t>(0xC0 | (idx & 7));
      const uint32_t imm = static_cast<uint32_t>(v);
      std::memcpy(code + n, &imm, 4);
      n += 4;
    } else {
      n = rex(code, true, 0, idx);
      code[n++] = static_cast<uint8_t>(0xB8 | (idx & 7));
      std::memcpy(code + n, &v, 8);
      n += 8;
    }
    emit(code, n);
  }
  /** mov dword [at], imm32, or with `w` mov qword [at], imm32 sign-extended (C7 /0). */
  void frameImm(bool w, FrameRef at, uint32_t imm) {
    Encoding code{};
    size_t n = rex(code, w, 0, at.base);
    code[n++] = 0xC7;
    n += modrmFrame(code + n, 0, at);
    std::memcpy(code + n, &imm, 4);
    emit(code, n + 4);
  }
  /** mov r, [at] (load) or mov [at], r (store), of r's width (32 or 64 bits). */
  void movFrame(bool store, const Reg &r, FrameRef at) { frameOp(store ? kMovStore : kMovLoad, r, at); }

  // A field of the VMContext (runtime/vmcontext.h), which r14 holds.
  FrameRef vmctx(int32_t offset) const { return {r14.getIdx(), offset}; }
  static FrameRef at(const Reg64 &base, int32_t disp = 0) { return {base.getIdx(), disp}; }
  /** call qword [at] (FF /2). */
  void callMem(FrameRef at) { frameOp(0xFF, edx, at); }

  // Local i's lowest address: its last cell, as locals grow downward.
  FrameRef local(size_t i) { return {rbp.getIdx(), localDisp_[i]}; }
  // Operand k's slot; the address of any cell, for a value of type t.
  FrameRef slot(size_t k) { return cellSlot(stack_[k].cell, stack_[k].type); }
  FrameRef cellSlot(size_t cell, ValType t) {
    noteSlot(cell + cells(t));
    return {rsp.getIdx(), static_cast<int32_t>(8 * cell)};
  }
  void noteSlot(size_t count) {
    if (count > maxSlots_) maxSlots_ = count;
  }
  static size_t cellsOf(std::span<const ValType> types) {
    size_t n = 0;
    for (ValType t : types) n += cells(t);
    return n;
  }
  // The cell where operand k starts, or would start if pushed now (k == stack size).
  size_t cellAt(size_t k) const {
    if (k < stack_.size()) return stack_[k].cell;
    return stack_.empty() ? 0 : stack_.back().cell + cells(stack_.back().type);
  }
  // Drops the operands from k on (k <= size); vector::resize, which can also grow, was not inlined.
  void dropTo(size_t k) { stack_.erase(stack_.begin() + static_cast<std::ptrdiff_t>(k), stack_.end()); }
  // Always inlined and built in place: a Value built by the caller and passed by value (24 bytes,
  // in memory) stalled on store forwarding at every push.
  [[gnu::always_inline]] void pushValue(Value::Kind kind, ValType type, uint64_t bits = 0, uint8_t reg = kNoReg) {
    uint32_t cell = static_cast<uint32_t>(cellAt(stack_.size()));
    stack_.push_back(Value{kind, type, bits, reg, cell});
  }

  Target trapLabel(TrapCode code) {
    Target &label = traps_[static_cast<size_t>(code)];
    if (label == kNoTarget) label = newTarget();
    return label;
  }

  // Jump targets of the function being compiled, as indices into labelAt_. xbyak's labels cost
  // hash-map work at every definition and use; these are bound once, and each rel32 that refers to
  // one is patched when the function ends (resolveTargets). (xbyak's stay for the 16-byte
  // constants, which instructions of every kind address.)
  Target newTarget() {
    labelAt_.push_back(kNoTarget);
    return static_cast<Target>(labelAt_.size() - 1);
  }
  void bind(Target t) { labelAt_[t] = static_cast<uint32_t>(getSize()); }
  void rel32To(Target t) {
    static constexpr Encoding kZeros{};
    emit(kZeros, 4);
    fixups_.push_back({t, static_cast<uint32_t>(getSize() - 4)});
  }
  // x86 condition codes (the low nibble of Jcc), as jumpIf takes them.
  enum class Cond : uint8_t { B = 0x2, AE = 0x3, E = 0x4, NE = 0x5, BE = 0x6, A = 0x7, S = 0x8, NS = 0x9, P = 0xA,
                              L = 0xC, GE = 0xD, LE = 0xE, G = 0xF };
  /** eax = condition c ? 1 : 0 (setcc al; movzx eax, al). */
  void setFlag(Cond c) {
    const Encoding code{0x0F, static_cast<uint8_t>(0x90 | static_cast<uint8_t>(c)), 0xC0, 0x0F, 0xB6, 0xC0};
    emit(code, 6);
  }
  /** A shift or rotate of `a` by cl: D3 /digit (rol 0, ror 1, shl 4, shr 5, sar 7), of a's width. */
  void shiftByCl(uint8_t digit, const Reg &a) {
    Encoding code{};
    size_t n = rex(code, a.isBit(64), 0, a.getIdx());
    code[n++] = 0xD3;
    code[n++] = static_cast<uint8_t>(0xC0 | digit << 3 | (a.getIdx() & 7));
    emit(code, n);
  }
  // The rel32 is written as zeros and recorded for resolveTargets.
  void jumpTo(Target t) {
    static constexpr Encoding kJmp{0xE9};  // jmp rel32
    emit(kJmp, 5);
    fixups_.push_back({t, static_cast<uint32_t>(getSize() - 4)});
  }
  void jumpIf(Cond c, Target t) {
    const Encoding jcc{0x0F, static_cast<uint8_t>(0x80 | static_cast<uint8_t>(c))};  // jcc rel32
    emit(jcc, 6);
    fixups_.push_back({t, static_cast<uint32_t>(getSize() - 4)});
  }
  // Each rel32 is relative to the end of its instruction, which the field ends.
  void resolveTargets() {
    for (auto [t, at] : fixups_) {
      if (labelAt_[t] == kNoTarget) throw CompileError{WASMO_INTERNAL, "code generation failed: a label is not defined"};
      rewrite(at, labelAt_[t] - (at + 4), 4);
    }
  }

  // Loads operand k into `r` (32-bit registers read the low half).
  void loadTo(const Reg &r, size_t k) {
    const Value &v = stack_[k];
    if (v.kind == Value::Reg) {
      movReg(r, kOperandRegs[v.reg]);
    } else if (v.kind == Value::XReg) {
      // An f32 is read as 32 bits, so the upper half comes out zero.
      if (r.isBit(32) || v.type == ValType::F32) movd(r.isBit(32) ? Reg32(r.getIdx()) : Reg64(r.getIdx()).cvt32(), kOperandXmms[v.reg]);
      else movq(Reg64(r.getIdx()), kOperandXmms[v.reg]);
    } else if (v.kind == Value::Const) {
      movImm(r, r.isBit(32) ? static_cast<uint32_t>(v.bits) : v.bits);
    } else {
      movFrame(false, r, slot(k));
    }
  }
  // Loads v128 operand k into `x`.
  void loadV128(const Xmm &x, size_t k) {
    const Value &v = stack_[k];
    if (v.kind == Value::XReg) {
      if (kOperandXmms[v.reg].getIdx() != x.getIdx()) regOp(kMovaps, x, kOperandXmms[v.reg]);
    } else {
      vectorFrame(false, x, slot(k));
    }
  }
  // Stores operand k at `dst` (8 bytes; an i32 or f32 with its upper half zero). Spilling a register
  // or a constant touches no general-purpose register, so a spill may come between loading a
  // scratch register and using it (the condition of if/br_if, arguments of a runtime call). Only a
  // copy from slot to slot goes through rax, and spilling never does one.
  void storeTo(FrameRef at, size_t k) {
    const Value &v = stack_[k];
    switch (v.kind) {
      case Value::Reg:
        movFrame(true, kOperandRegs[v.reg], at);
        return;
      case Value::XReg:
        if (v.type == ValType::V128) {
          vectorFrame(true, kOperandXmms[v.reg], at);
        } else {
          scalarFrame(true, v.type == ValType::F64, kOperandXmms[v.reg], at);
          if (v.type == ValType::F32) frameImm(false, at + 4, 0);
        }
        return;
      case Value::Const:
        if (static_cast<int64_t>(v.bits) == static_cast<int32_t>(v.bits)) {
          frameImm(true, at, static_cast<uint32_t>(v.bits));  // fits a sign-extended imm32
        } else {
          frameImm(false, at, static_cast<uint32_t>(v.bits));
          frameImm(false, at + 4, static_cast<uint32_t>(v.bits >> 32));
        }
        return;
      case Value::Slot:
        if (v.type == ValType::V128) {
          vectorFrame(false, xmm0, slot(k));
          vectorFrame(true, xmm0, at);
          return;
        }
        loadTo(rax, k);
        movFrame(true, rax, at);
        return;
    }
  }
  void materialize(size_t k) {
    if (stack_[k].kind == Value::Slot) {
      slot(k);  // notes the cells
      return;
    }
    storeTo(slot(k), k);
    if (stack_[k].kind == Value::Reg) regOwner_[stack_[k].reg] = SIZE_MAX;
    if (stack_[k].kind == Value::XReg) xmmOwner_[stack_[k].reg] = SIZE_MAX;
    stack_[k].kind = Value::Slot;
  }
  // Is register i of a pool (`owners`, operands of `kind`) holding a live operand? Pops leave
  // stale owners behind, so the operand must still be there and still say so.
  template <size_t N>
  bool live(const std::array<size_t, N> &owners, Value::Kind kind, size_t i) const {
    size_t k = owners[i];
    return k < stack_.size() && stack_[k].kind == kind && stack_[k].reg == i;
  }
  // A free register of a pool, spilling the deepest operand that holds one if none is free (out of
  // line: rare, and inlined it made every push save and restore registers).
  template <size_t N>
  uint8_t alloc(const std::array<size_t, N> &owners, Value::Kind kind) {
    for (size_t i = 0; i < std::min(N, poolLimit_); i++) {
      if (!live(owners, kind, i)) return static_cast<uint8_t>(i);
    }
    return spillDeepest(owners);
  }
  template <size_t N>
  [[gnu::noinline]] uint8_t spillDeepest(const std::array<size_t, N> &owners) {
    size_t victim = 0;
    for (size_t i = 1; i < std::min(N, poolLimit_); i++) {
      if (owners[i] < owners[victim]) victim = i;
    }
    materialize(owners[victim]);
    return static_cast<uint8_t>(victim);
  }
  bool regLive(size_t i) const { return live(regOwner_, Value::Reg, i); }
  bool xmmLive(size_t i) const { return live(xmmOwner_, Value::XReg, i); }
  uint8_t allocReg() { return alloc(regOwner_, Value::Reg); }
  uint8_t allocXmm() { return alloc(xmmOwner_, Value::XReg); }
  // The register float or v128 operand k is in: its own, or `scratch` loaded with it. For the
  // three-operand (VEX) forms, which read operands where they are.
  Xmm operandXmm(size_t k, const Xmm &scratch) {
    const Value &v = stack_[k];
    if (v.kind == Value::XReg) return kOperandXmms[v.reg];
    if (v.type == ValType::V128) loadV128(scratch, k);
    else loadXmm(scratch, k, v.type == ValType::F64);
    return scratch;
  }
  // Loads float operand k into `x`, as a scalar of 64 or 32 bits.
  void loadXmm(const Xmm &x, size_t k, bool is64) {
    const Value &v = stack_[k];
    switch (v.kind) {
      case Value::XReg: regOp(kMovaps, x, kOperandXmms[v.reg]); return;
      case Value::Slot:
        scalarFrame(false, is64, x, slot(k));
        return;
      case Value::Reg:
      case Value::Const:
        loadTo(is64 ? Reg(rax) : Reg(eax), k);
        if (is64) movq(x, rax); else movd(x, eax);
        return;
    }
  }
  void pushXmm(const Xmm &x, ValType t) { regOp(kMovaps, kOperandXmms[pushNewXmm(t)], x); }
  void copyTo(const Xmm &d, const Xmm &a) {
    if (d.getIdx() != a.getIdx()) regOp(kMovaps, d, a);
  }
  /** Pushes an operand of type t in a register of its own, spilling one if need be; returns the
   *  register's index, for the caller to write the value to. */
  uint8_t pushNewXmm(ValType t) {
    uint8_t r = allocXmm();
    xmmOwner_[r] = stack_.size();
    pushValue(Value::XReg, t, 0, r);
    return r;
  }
  uint8_t pushNewReg(ValType t) {
    uint8_t r = allocReg();
    regOwner_[r] = stack_.size();
    pushValue(Value::Reg, t, 0, r);
    return r;
  }
  // Spills every operand held in a register to its slot.
  void flush() {
    for (size_t i = 0; i < std::size(kOperandRegs); i++) {
      if (regLive(i)) materialize(regOwner_[i]);
      regOwner_[i] = SIZE_MAX;
    }
    for (size_t i = 0; i < std::size(kOperandXmms); i++) {
      if (xmmLive(i)) materialize(xmmOwner_[i]);
      xmmOwner_[i] = SIZE_MAX;
    }
  }
  void materializeTop(size_t n) {
    for (size_t k = stack_.size() - n; k < stack_.size(); k++) materialize(k);
  }
  void pushRax(ValType t) { movReg(kOperandRegs[pushNewReg(t)], rax); }
  // After a merge point the operands from `base` on are `types`, in their slots.
  void resetStack(size_t base, std::span<const ValType> types) {
    dropTo(base);
    for (ValType t : types) pushValue(Value::Slot, t, 0);
  }
  void enter(Op op, const BlockType &bt) {
    flush();
    size_t p = bt.params.size();
    // Parameters live in their slots at every entry, so branches back to a loop can put them there.
    materializeTop(p);
    Frame f{op, stack_.size() - p, bt.params, bt.results, newTarget()};
    frames_.push_back(std::move(f));
  }
  // Moves the branch's values into the target's slots and jumps (spec 4.4.8.6: the label's arity
  // values are kept, the rest of the operand stack down to the label's height is dropped).
  void branchTo(uint32_t depth) {
    Frame &f = frames_[frames_.size() - 1 - depth];
    if (&f == &frames_.front()) {
      returnSequence();
      return;
    }
    const std::vector<ValType> &types = f.op == Op::Loop ? f.params : f.results;
    size_t n = types.size();
    size_t from = stack_.size() - n;
    // The label's values go to consecutive cells from the frame's base, which is at or below them.
    size_t cell = n > 0 ? cellAt(f.base) : 0;
    for (size_t i = 0; i < n; i++) {
      if (from != f.base || stack_[from + i].kind != Value::Slot) storeTo(cellSlot(cell, types[i]), from + i);
      cell += cells(types[i]);
    }
    jumpTo(f.label);
  }
  void returnSequence() {
    size_t n = functionResults_.size();
    if (n > 0) movFrame(false, rcx, at(rbp, kSavedVals));
    size_t cell = 0;
    for (size_t j = 0; j < n; j++) {
      size_t k = stack_.size() - n + j;
      if (functionResults_[j] == ValType::V128) {
        loadV128(xmm0, k);
        movdqu(xword[rcx + static_cast<int32_t>(8 * cell)], xmm0);
      } else {
        loadTo(rax, k);
        movFrame(true, rax, at(rcx, static_cast<int32_t>(8 * cell)));
      }
      cell += cells(functionResults_[j]);
    }
    jumpTo(returnLabel_);
  }
  // The address operand (top of stack) plus the static offset of an access of `op`; r15 is the
  // memory base. An i32 address plus a u32 offset is below 8 GiB, inside the reservation plus guard
  // (runtime/memory.h); code for smaller ones compares the access's end with the memory's length
  // first (spec 4.4.7: out of bounds when ea + N exceeds the length). The access is then at
  // [r15 + rax + the displacement returned] (memoryOp).
  int32_t effectiveAddress(Op op, const MemArg &ma) {
    loadTo(eax, stack_.size() - 1);  // zero-extends into rax
    if (boundsChecks_) {
      uint64_t end = ma.offset + accessBytes(op);
      mov(rsi, qword[r14 + kOffMemory]);
      if (end <= 0x7FFFFFFF) {
        lea(rdx, ptr[rax + static_cast<int32_t>(end)]);
      } else {
        mov(rdx, end);
        add(rdx, rax);
      }
      cmp(rdx, qword[rsi + kOffMemoryLength]);
      jumpIf(Cond::A, trapLabel(TrapCode::OutOfBoundsMemory));
    }
    if (ma.offset <= 0x7FFFFFFF) return static_cast<int32_t>(ma.offset);
    mov(rdx, ma.offset);
    add(rax, rdx);
    return 0;
  }
  static bool isI64Load(Op op) {
    return op == Op::I64Load || op == Op::I64Load8S || op == Op::I64Load8U || op == Op::I64Load16S ||
           op == Op::I64Load16U || op == Op::I64Load32S || op == Op::I64Load32U;
  }

  void integerBinary(Op op, bool is64);
  void floatBinary(Op op, bool is64);
  void floatUnary(Op op, bool is64);
  bool floatSignInXmm(Op op);
  void convertU64(bool toF64);
  void truncate(bool src64, bool dst64, bool isSigned, bool saturating);
  void floatConst(const Xmm &x, double value, bool is64);
  void divide(Op op, bool is64);

  bool meterFuel_;
  bool boundsChecks_;
  FuelSegments<size_t> fuelSegments_;  // a charge is the offset of its imm32
  bool tierUp_;
  uint32_t defined_ = 0;  // the function's index among the defined ones
  Target tierUpBody_ = kNoTarget, tierUpHot_ = kNoTarget;
  uint32_t importedFuncs_;
  std::vector<std::pair<uint32_t, uint32_t>> callSites_;
  std::vector<Value> stack_;
  std::array<size_t, std::size(kOperandRegs)> regOwner_;  // stack index of each register's operand
  std::array<size_t, std::size(kOperandXmms)> xmmOwner_;
  std::vector<Frame> frames_;
  std::array<Target, static_cast<size_t>(TrapCode::OutOfFuel) + 1> traps_;  // kNoTarget: not used yet
  Target returnLabel_ = kNoTarget;
  std::vector<uint32_t> labelAt_;  // per target: its offset, or kNoTarget until bound
  struct Fixup {
    Target target;
    uint32_t at;  // the rel32's offset
  };
  std::vector<Fixup> fixups_;
  size_t maxSlots_ = 0, numLocalCells_ = 0, frameSizePatch_ = 0;  // maxSlots_: operand cells
  std::vector<ValType> locals_, functionResults_;
  std::vector<size_t> localCells_;  // each local's first cell
  std::vector<int32_t> localDisp_;  // each local's lowest address from rbp (local())
  // 16-byte constants of the function (v128.const, masks), placed after its code.
  std::map<std::array<uint8_t, 16>, Label> constants_;
  Address constant(const std::array<uint8_t, 16> &bytes) { return xword[rip + constants_[bytes]]; }
  void emitConstants() {
    if (constants_.empty()) return;
    align(16);
    for (auto &[bytes, label] : constants_) {
      L(label);
      for (uint8_t b : bytes) db(b);
    }
  }
  // Emitting an instruction of an optional feature goes through needs(), so the artifact records it.
  // The refusal names `op` followed by `without`, put together only when it is made.
  void needs(CpuFeature feature, Op op, const char *without) {
    if (!(allowedFeatures_ & feature)) unsupported(std::string(opName(op)) + without);
    usedFeatures_ |= feature;
  }
  // The features the code may use: the host's, restricted by CompileOptions::cpuFeatures.
  uint32_t allowedFeatures_ = 0, usedFeatures_ = 0;
  // VEX encodings (AVX) for SIMD: see simd().
  bool avx_ = false;
  // How many registers of each pool operands may use. Tests lower it with
  // WASMO_SINGLEPASS_REGISTERS=1..6 so that every operand of every instruction is spilled and
  // reloaded, which the testsuite's small functions otherwise rarely make happen.
  static size_t poolLimit() {
    const char *env = std::getenv("WASMO_SINGLEPASS_REGISTERS");
    long n = env == nullptr ? 0 : std::strtol(env, nullptr, 10);
    return n >= 1 ? static_cast<size_t>(n) : SIZE_MAX;
  }
  size_t poolLimit_;
};
static_assert(FunctionBackend<Singlepass>);

// The VEX form with AVX (avx_), recording that the code uses AVX, else the SSE form (see simd.h).
#define WASMO_AVX_OR(vex, sse) \
  do {                         \
    if (avx_) {                \
      usedFeatures_ |= kCpuAvx; \
      vex;                     \
    } else {                   \
      sse;                     \
    }                          \
  } while (false)

#include "compiler/singlepass/simd.h"

void Singlepass::divide(Op op, bool is64) {
  bool isSigned = op == Op::I32DivS || op == Op::I32RemS || op == Op::I64DivS || op == Op::I64RemS;
  bool isRem = op == Op::I32RemS || op == Op::I32RemU || op == Op::I64RemS || op == Op::I64RemU;
  Reg a = is64 ? Reg(rax) : Reg(eax), b = is64 ? Reg(rcx) : Reg(ecx), d = is64 ? Reg(rdx) : Reg(edx);
  test(b, b);
  jumpIf(Cond::E, trapLabel(TrapCode::IntegerDivideByZero));
  Target done = newTarget();
  if (isSigned) {
    // x86 faults on INT_MIN / -1; the spec wants an overflow trap for div_s and 0 for rem_s.
    Target normal = newTarget();
    cmp(b, -1);
    jumpIf(Cond::NE, normal);
    if (isRem) {
      xor_(eax, eax);
      jumpTo(done);
    } else {
      if (is64) {
        mov(rdx, uint64_t{1} << 63);
        cmp(rax, rdx);
      } else {
        cmp(eax, 0x80000000);
      }
      jumpIf(Cond::E, trapLabel(TrapCode::IntegerOverflow));
    }
    bind(normal);
    if (is64) cqo(); else cdq();
    idiv(b);
  } else {
    xor_(edx, edx);
    div(b);
  }
  if (isRem) mov(a, d);
  bind(done);
}

// Integer binary instructions of both widths (spec 4.3.2); compares give an i32.
void Singlepass::integerBinary(Op op, bool is64) {
  size_t k = stack_.size() - 2;
  // Arithmetic and compares: the opcode of `op r, r/m` and the ModRM digit of `op r/m, imm`.
  struct Alu {
    uint16_t code;
    uint8_t digit;
  };
  std::optional<Alu> alu;
  std::optional<Cond> compare;
  switch (op) {
    case Op::I32Add: case Op::I64Add: alu = Alu{kAdd, 0}; break;
    case Op::I32Sub: case Op::I64Sub: alu = Alu{kSub, 5}; break;
    case Op::I32Mul: case Op::I64Mul: alu = Alu{kImul, kImulImm}; break;
    case Op::I32And: case Op::I64And: alu = Alu{kAnd, 4}; break;
    case Op::I32Or: case Op::I64Or: alu = Alu{kOr, 1}; break;
    case Op::I32Xor: case Op::I64Xor: alu = Alu{kXor, 6}; break;
    case Op::I32Eq: case Op::I64Eq: compare = Cond::E; break;
    case Op::I32Ne: case Op::I64Ne: compare = Cond::NE; break;
    case Op::I32LtS: case Op::I64LtS: compare = Cond::L; break;
    case Op::I32LtU: case Op::I64LtU: compare = Cond::B; break;
    case Op::I32GtS: case Op::I64GtS: compare = Cond::G; break;
    case Op::I32GtU: case Op::I64GtU: compare = Cond::A; break;
    case Op::I32LeS: case Op::I64LeS: compare = Cond::LE; break;
    case Op::I32LeU: case Op::I64LeU: compare = Cond::BE; break;
    case Op::I32GeS: case Op::I64GeS: compare = Cond::GE; break;
    case Op::I32GeU: case Op::I64GeU: compare = Cond::AE; break;
    default: break;
  }
  if (compare) alu = Alu{kCmp, 7};
  if (alu) {
    // A left operand in a register is worked on in place and becomes the result (a compare only
    // reads it); the right one comes straight from its register or slot, or as an immediate.
    const Value &l = stack_[k];
    const bool inPlace = l.kind == Value::Reg;
    const int idx = inPlace ? kOperandRegs[l.reg].getIdx() : rax.getIdx();
    const Reg a = is64 ? Reg(Reg64(idx)) : Reg(Reg32(idx));
    if (!inPlace) loadTo(a, k);
    const Value &v = stack_[k + 1];
    if (v.kind == Value::Reg) {
      regOp(alu->code, a, kOperandRegs[v.reg]);
    } else if (v.kind == Value::Slot) {
      frameOp(alu->code, a, slot(k + 1));
    } else if (!is64 || static_cast<int64_t>(v.bits) == static_cast<int32_t>(v.bits)) {
      aluImm(alu->digit, a, static_cast<int32_t>(v.bits));
    } else {
      const Reg b = is64 ? Reg(rcx) : Reg(ecx);
      loadTo(b, k + 1);
      regOp(alu->code, a, b);
    }
    if (compare) {
      setFlag(*compare);
      dropTo(k);
      pushRax(ValType::I32);
    } else if (inPlace) {
      stack_.pop_back();
    } else {
      dropTo(k);
      pushRax(is64 ? ValType::I64 : ValType::I32);
    }
    return;
  }
  const Reg a = is64 ? Reg(rax) : Reg(eax);
  loadTo(a, k);
  switch (op) {
    // x86 masks the count to 5 or 6 bits, as the spec's shifts do (spec 4.3.2).
    case Op::I32Shl: case Op::I64Shl: loadTo(ecx, k + 1); shiftByCl(4, a); break;
    case Op::I32ShrS: case Op::I64ShrS: loadTo(ecx, k + 1); shiftByCl(7, a); break;
    case Op::I32ShrU: case Op::I64ShrU: loadTo(ecx, k + 1); shiftByCl(5, a); break;
    case Op::I32Rotl: case Op::I64Rotl: loadTo(ecx, k + 1); shiftByCl(0, a); break;
    case Op::I32Rotr: case Op::I64Rotr: loadTo(ecx, k + 1); shiftByCl(1, a); break;
    case Op::I32DivS: case Op::I32DivU: case Op::I32RemS: case Op::I32RemU:
    case Op::I64DivS: case Op::I64DivU: case Op::I64RemS: case Op::I64RemU:
      loadTo(is64 ? Reg(rcx) : Reg(ecx), k + 1);
      divide(op, is64);
      break;
    default: unsupported(opName(op));
  }
  dropTo(k);
  pushRax(is64 ? ValType::I64 : ValType::I32);
}

void Singlepass::floatBinary(Op op, bool is64) {
  size_t k = stack_.size() - 2;
  // The operands are read where they are: compares write no float register (no VEX form would save
  // more), and with AVX the VEX forms write the result straight into a register of its own, as in
  // simd(). Without AVX the result is computed in xmm0, from a copy of a.
  Xmm a = operandXmm(k, xmm0), b = operandXmm(k + 1, xmm1);
  // ucomisd (66 0F 2E) or ucomiss (0F 2E).
  auto ucomi = [&](const Xmm &x, const Xmm &y) { prefixedRegOp(is64 ? 0x66 : 0, 0x0F2E, x, y); };
  // Unordered compares set ZF, PF and CF: every test below is false for NaN except ne.
  auto compare = [&](bool swap, Cond c) {
    if (swap) ucomi(b, a); else ucomi(a, b);
    setFlag(c);
  };
  bool isCompare = true;
  switch (op) {
    case Op::F32Eq: case Op::F64Eq: ucomi(a, b); sete(al); setnp(cl); and_(al, cl); movzx(eax, al); break;
    case Op::F32Ne: case Op::F64Ne: ucomi(a, b); setne(al); setp(cl); or_(al, cl); movzx(eax, al); break;
    case Op::F32Gt: case Op::F64Gt: compare(false, Cond::A); break;
    case Op::F32Ge: case Op::F64Ge: compare(false, Cond::AE); break;
    case Op::F32Lt: case Op::F64Lt: compare(true, Cond::A); break;
    case Op::F32Le: case Op::F64Le: compare(true, Cond::AE); break;
    default: isCompare = false; break;
  }
  if (isCompare) {
    dropTo(k);
    pushRax(ValType::I32);
    return;
  }
  ValType result = is64 ? ValType::F64 : ValType::F32;
  Xmm d = xmm0;
  if (avx_) {
    dropTo(k);
    d = kOperandXmms[pushNewXmm(result)];
  } else {
    copyTo(xmm0, a);
  }
  // addsd, subsd, mulsd, divsd after F2; the ss forms after F3 (0F 58, 5C, 59, 5E).
  auto arith = [&](uint16_t sse) { prefixedRegOp(is64 ? 0xF2 : 0xF3, sse, d, b); };
  switch (op) {
    case Op::F32Add: case Op::F64Add: WASMO_AVX_OR(is64 ? vaddsd(d, a, b) : vaddss(d, a, b), arith(0x0F58)); break;
    case Op::F32Sub: case Op::F64Sub: WASMO_AVX_OR(is64 ? vsubsd(d, a, b) : vsubss(d, a, b), arith(0x0F5C)); break;
    case Op::F32Mul: case Op::F64Mul: WASMO_AVX_OR(is64 ? vmulsd(d, a, b) : vmulss(d, a, b), arith(0x0F59)); break;
    case Op::F32Div: case Op::F64Div: WASMO_AVX_OR(is64 ? vdivsd(d, a, b) : vdivss(d, a, b), arith(0x0F5E)); break;
    case Op::F32Min: case Op::F64Min: case Op::F32Max: case Op::F64Max: {
      // fmin/fmax (spec 4.3.3): NaN if either is NaN, and -0 < +0, which minss/maxss ignore. Each
      // path is one instruction that reads a and b before it writes d (which may be a's or b's).
      bool isMin = op == Op::F32Min || op == Op::F64Min;
      Target nan = newTarget(), equal = newTarget(), done = newTarget();
      ucomi(a, b);
      jumpIf(Cond::P, nan);
      jumpIf(Cond::E, equal);
      if (isMin) WASMO_AVX_OR(is64 ? vminsd(d, a, b) : vminss(d, a, b), is64 ? minsd(d, b) : minss(d, b));
      else WASMO_AVX_OR(is64 ? vmaxsd(d, a, b) : vmaxss(d, a, b), is64 ? maxsd(d, b) : maxss(d, b));
      jumpTo(done);
      bind(equal);  // equal values differ at most in the sign of zero: or keeps -0, and keeps +0
      if (isMin) WASMO_AVX_OR(vorps(d, a, b), orps(d, b));
      else WASMO_AVX_OR(vandps(d, a, b), andps(d, b));
      jumpTo(done);
      bind(nan);
      WASMO_AVX_OR(is64 ? vaddsd(d, a, b) : vaddss(d, a, b), is64 ? addsd(d, b) : addss(d, b));  // a quiet NaN
      bind(done);
      break;
    }
    default: unsupported(opName(op));
  }
  if (!avx_) {
    dropTo(k);
    pushXmm(xmm0, result);
  }
}

void Singlepass::floatUnary(Op op, bool is64) {
  size_t k = stack_.size() - 1;
  if (op != Op::F32Sqrt && op != Op::F64Sqrt) needs(kCpuSse41, op, " without SSE4.1");
  // Into the result's own register: with AVX from a where it is (its upper bits with it, as the SSE
  // forms keep their destination's), without from a copy of a there.
  Xmm a = operandXmm(k, xmm0);
  dropTo(k);
  const Xmm &d = kOperandXmms[pushNewXmm(is64 ? ValType::F64 : ValType::F32)];
  if (!avx_) copyTo(d, a);
  const Xmm &x = avx_ ? a : d;
  auto round = [&](uint8_t mode) {
    if (is64) WASMO_AVX_OR(vroundsd(d, x, x, mode), roundsd(d, x, mode));
    else WASMO_AVX_OR(vroundss(d, x, x, mode), roundss(d, x, mode));
  };
  // roundss/roundsd modes: 0 nearest-even, 1 down, 2 up, 3 toward zero.
  switch (op) {
    case Op::F32Sqrt: WASMO_AVX_OR(vsqrtss(d, x, x), sqrtss(d, x)); break;
    case Op::F64Sqrt: WASMO_AVX_OR(vsqrtsd(d, x, x), sqrtsd(d, x)); break;
    case Op::F32Nearest: case Op::F64Nearest: round(0); break;
    case Op::F32Floor: case Op::F64Floor: round(1); break;
    case Op::F32Ceil: case Op::F64Ceil: round(2); break;
    case Op::F32Trunc: case Op::F64Trunc: round(3); break;
    default: unsupported(opName(op));
  }
}

// abs or neg of a float held in an xmm register, there: by a mask of the sign bit (the bits above
// the float's kept as they are), without the round trip through rax. False for an operand elsewhere
// (in memory, a general register or a constant), where the integer instructions do better.
bool Singlepass::floatSignInXmm(Op op) {
  size_t k = stack_.size() - 1;
  if (stack_[k].kind != Value::XReg) return false;
  bool is64 = op == Op::F64Abs || op == Op::F64Neg, isAbs = op == Op::F32Abs || op == Op::F64Abs;
  std::array<uint8_t, 16> mask{};
  if (isAbs) mask.fill(0xFF);
  uint64_t sign = is64 ? uint64_t{1} << 63 : uint64_t{1} << 31;
  uint64_t low = isAbs ? (is64 ? ~sign : ~sign & 0xFFFFFFFF) : sign;
  std::memcpy(mask.data(), &low, is64 ? 8 : 4);
  Xmm a = kOperandXmms[stack_[k].reg];
  dropTo(k);
  const Xmm &d = kOperandXmms[pushNewXmm(is64 ? ValType::F64 : ValType::F32)];
  if (isAbs) WASMO_AVX_OR(vandps(d, a, constant(mask)), copyTo(d, a); andps(d, constant(mask)));
  else WASMO_AVX_OR(vxorps(d, a, constant(mask)), copyTo(d, a); xorps(d, constant(mask)));
  return true;
}

#undef WASMO_AVX_OR

// u64 -> float: cvtsi2s* is signed; for values with the top bit set, halve (keeping the low bit
// so rounding stays correct), convert, and double.
void Singlepass::convertU64(bool toF64) {
  Target big = newTarget(), done = newTarget();
  test(rax, rax);
  jumpIf(Cond::S, big);
  if (toF64) cvtsi2sd(xmm0, rax); else cvtsi2ss(xmm0, rax);
  jumpTo(done);
  bind(big);
  mov(rcx, rax);
  shr(rcx, 1);
  and_(eax, 1);
  or_(rcx, rax);
  if (toF64) { cvtsi2sd(xmm0, rcx); addsd(xmm0, xmm0); } else { cvtsi2ss(xmm0, rcx); addss(xmm0, xmm0); }
  bind(done);
  if (toF64) movq(rax, xmm0); else movd(eax, xmm0);
}

void Singlepass::floatConst(const Xmm &x, double value, bool is64) {
  if (is64) {
    mov(rdx, std::bit_cast<uint64_t>(value));
    movq(x, rdx);
  } else {
    mov(edx, std::bit_cast<uint32_t>(static_cast<float>(value)));
    movd(x, edx);
  }
}

// trunc (spec 4.3.3 trunc_s/trunc_u): NaN is an invalid conversion, values whose integer part is
// out of range (truncBounds) overflow; trunc_sat maps NaN to 0 and clamps instead.
void Singlepass::truncate(bool src64, bool dst64, bool isSigned, bool saturating) {
  size_t k = stack_.size() - 1;
  loadXmm(xmm0, k, src64);
  auto ucomi = [&](const Xmm &a, const Xmm &b) { if (src64) ucomisd(a, b); else ucomiss(a, b); };
  auto cvtt = [&](const Reg &r) { if (src64) cvttsd2si(r, xmm0); else cvttss2si(r, xmm0); };
  auto [lo, loInclusive, hi] = truncBounds(src64, dst64, isSigned);
  Target nan = newTarget(), low = newTarget(), high = newTarget(), done = newTarget();
  ucomi(xmm0, xmm0);
  jumpIf(Cond::P, nan);
  floatConst(xmm1, lo, src64);
  ucomi(xmm0, xmm1);
  if (loInclusive) jumpIf(Cond::B, low); else jumpIf(Cond::BE, low);
  floatConst(xmm1, hi, src64);
  ucomi(xmm0, xmm1);
  jumpIf(Cond::AE, high);
  if (isSigned) {
    cvtt(dst64 ? Reg(rax) : Reg(eax));
  } else if (!dst64) {
    cvtt(rax);  // below 2^32, so the signed 64-bit conversion is exact
  } else {
    Target big = newTarget();
    floatConst(xmm1, 9223372036854775808.0, src64);
    ucomi(xmm0, xmm1);
    jumpIf(Cond::AE, big);
    cvtt(rax);
    jumpTo(done);
    bind(big);
    if (src64) subsd(xmm0, xmm1); else subss(xmm0, xmm1);
    cvtt(rax);
    btc(rax, 63);
  }
  jumpTo(done);
  bind(nan);
  if (saturating) {
    xor_(eax, eax);
    jumpTo(done);
  } else {
    jumpTo(trapLabel(TrapCode::InvalidConversion));
  }
  bind(low);
  if (saturating) {
    if (!isSigned) xor_(eax, eax);
    else if (dst64) mov(rax, uint64_t{1} << 63);
    else mov(eax, 0x80000000);
    jumpTo(done);
  } else {
    jumpTo(trapLabel(TrapCode::IntegerOverflow));
  }
  bind(high);
  if (saturating) {
    if (dst64) mov(rax, isSigned ? uint64_t{0x7FFFFFFFFFFFFFFF} : ~uint64_t{0});
    else mov(eax, isSigned ? 0x7FFFFFFFu : 0xFFFFFFFFu);
  } else {
    jumpTo(trapLabel(TrapCode::IntegerOverflow));
  }
  bind(done);
  if (!dst64) mov(eax, eax);
  stack_.pop_back();
  pushRax(dst64 ? ValType::I64 : ValType::I32);
}

// Every numeric instruction is listed: a new one in opcodes.h fails to compile here (-Wswitch)
// until it is either implemented or marked as not supported yet.
void Singlepass::numeric(Op op) {
  size_t k = stack_.size() - 1;
  auto unary32 = [&](ValType result, auto emit) {
    loadTo(eax, k);
    emit();
    stack_.pop_back();
    pushRax(result);
  };
  auto unary64 = [&](ValType result, auto emit) {
    loadTo(rax, k);
    emit();
    stack_.pop_back();
    pushRax(result);
  };
  switch (op) {
    case Op::I32Add: case Op::I32Sub: case Op::I32Mul: case Op::I32DivS: case Op::I32DivU:
    case Op::I32RemS: case Op::I32RemU: case Op::I32And: case Op::I32Or: case Op::I32Xor:
    case Op::I32Shl: case Op::I32ShrS: case Op::I32ShrU: case Op::I32Rotl: case Op::I32Rotr:
    case Op::I32Eq: case Op::I32Ne: case Op::I32LtS: case Op::I32LtU: case Op::I32GtS:
    case Op::I32GtU: case Op::I32LeS: case Op::I32LeU: case Op::I32GeS: case Op::I32GeU:
      integerBinary(op, false);
      return;
    case Op::I64Add: case Op::I64Sub: case Op::I64Mul: case Op::I64DivS: case Op::I64DivU:
    case Op::I64RemS: case Op::I64RemU: case Op::I64And: case Op::I64Or: case Op::I64Xor:
    case Op::I64Shl: case Op::I64ShrS: case Op::I64ShrU: case Op::I64Rotl: case Op::I64Rotr:
    case Op::I64Eq: case Op::I64Ne: case Op::I64LtS: case Op::I64LtU: case Op::I64GtS:
    case Op::I64GtU: case Op::I64LeS: case Op::I64LeU: case Op::I64GeS: case Op::I64GeU:
      integerBinary(op, true);
      return;
    case Op::I32Eqz:
      return unary32(ValType::I32, [&] { regOp(kTest, eax, eax); setFlag(Cond::E); });
    case Op::I64Eqz:
      return unary64(ValType::I32, [&] { regOp(kTest, rax, rax); setFlag(Cond::E); });
    case Op::I32Clz:
      // bsr gives the highest set bit's index and sets ZF for 0; clz = 31 - index, 32 for 0.
      return unary32(ValType::I32, [&] { mov(ecx, -1); bsr(eax, eax); cmovz(eax, ecx); neg(eax); add(eax, 31); });
    case Op::I64Clz:
      return unary64(ValType::I64, [&] { mov(rcx, -1); bsr(rax, rax); cmovz(rax, rcx); neg(rax); add(rax, 63); });
    case Op::I32Ctz:
      return unary32(ValType::I32, [&] { mov(ecx, 32); bsf(eax, eax); cmovz(eax, ecx); });
    case Op::I64Ctz:
      return unary64(ValType::I64, [&] { mov(ecx, 64); bsf(rax, rax); cmovz(rax, rcx); });
    case Op::I32Popcnt:
      needs(kCpuPopcnt, op, " on a CPU without POPCNT");
      return unary32(ValType::I32, [&] { popcnt(eax, eax); });
    case Op::I64Popcnt:
      needs(kCpuPopcnt, op, " on a CPU without POPCNT");
      return unary64(ValType::I64, [&] { popcnt(rax, rax); });
    case Op::I32WrapI64: return unary32(ValType::I32, [] {});  // the 32-bit load drops the high half
    case Op::I64ExtendI32S: return unary32(ValType::I64, [&] { movsxd(rax, eax); });
    case Op::I64ExtendI32U: return unary32(ValType::I64, [] {});  // 32-bit loads zero-extend
    case Op::I32Extend8S: return unary32(ValType::I32, [&] { movsx(eax, al); });
    case Op::I32Extend16S: return unary32(ValType::I32, [&] { movsx(eax, ax); });
    case Op::I64Extend8S: return unary64(ValType::I64, [&] { movsx(rax, al); });
    case Op::I64Extend16S: return unary64(ValType::I64, [&] { movsx(rax, ax); });
    case Op::I64Extend32S: return unary64(ValType::I64, [&] { movsxd(rax, eax); });
    // Reinterpretations keep the bits (spec 4.3.3): operands are kept as raw bits already.
    case Op::I32ReinterpretF32: return unary32(ValType::I32, [] {});
    case Op::F32ReinterpretI32: return unary32(ValType::F32, [] {});
    case Op::I64ReinterpretF64: return unary64(ValType::I64, [] {});
    case Op::F64ReinterpretI64: return unary64(ValType::F64, [] {});

    case Op::F32Eq: case Op::F32Ne: case Op::F32Lt: case Op::F32Gt: case Op::F32Le: case Op::F32Ge:
    case Op::F32Add: case Op::F32Sub: case Op::F32Mul: case Op::F32Div: case Op::F32Min: case Op::F32Max:
      floatBinary(op, false);
      return;
    case Op::F64Eq: case Op::F64Ne: case Op::F64Lt: case Op::F64Gt: case Op::F64Le: case Op::F64Ge:
    case Op::F64Add: case Op::F64Sub: case Op::F64Mul: case Op::F64Div: case Op::F64Min: case Op::F64Max:
      floatBinary(op, true);
      return;
    // Sign operations act on the bits alone, NaN payloads included (spec 4.3.3 fneg, fabs, fcopysign).
    case Op::F32Abs: if (!floatSignInXmm(op)) unary32(ValType::F32, [&] { and_(eax, 0x7FFFFFFF); }); return;
    case Op::F32Neg: if (!floatSignInXmm(op)) unary32(ValType::F32, [&] { xor_(eax, 0x80000000); }); return;
    case Op::F64Abs: if (!floatSignInXmm(op)) unary64(ValType::F64, [&] { btr(rax, 63); }); return;
    case Op::F64Neg: if (!floatSignInXmm(op)) unary64(ValType::F64, [&] { btc(rax, 63); }); return;
    case Op::F32Copysign: case Op::F64Copysign: {
      bool is64 = op == Op::F64Copysign;
      size_t a = stack_.size() - 2;
      // f32 in 32-bit registers, so the result's upper half is zero whatever the operands held.
      const Reg x = is64 ? Reg(rax) : Reg(eax), y = is64 ? Reg(rcx) : Reg(ecx);
      loadTo(x, a);
      loadTo(y, a + 1);
      int bit = is64 ? 63 : 31;
      btr(x, bit);
      shr(y, bit);
      shl(y, bit);
      or_(x, y);
      dropTo(a);
      pushRax(is64 ? ValType::F64 : ValType::F32);
      return;
    }
    case Op::F32Sqrt: case Op::F32Ceil: case Op::F32Floor: case Op::F32Trunc: case Op::F32Nearest:
      floatUnary(op, false);
      return;
    case Op::F64Sqrt: case Op::F64Ceil: case Op::F64Floor: case Op::F64Trunc: case Op::F64Nearest:
      floatUnary(op, true);
      return;
    case Op::F32ConvertI32S: return unary32(ValType::F32, [&] { cvtsi2ss(xmm0, eax); movd(eax, xmm0); });
    case Op::F32ConvertI32U: return unary32(ValType::F32, [&] { cvtsi2ss(xmm0, rax); movd(eax, xmm0); });
    case Op::F32ConvertI64S: return unary64(ValType::F32, [&] { cvtsi2ss(xmm0, rax); movd(eax, xmm0); });
    case Op::F64ConvertI32S: return unary32(ValType::F64, [&] { cvtsi2sd(xmm0, eax); movq(rax, xmm0); });
    case Op::F64ConvertI32U: return unary32(ValType::F64, [&] { cvtsi2sd(xmm0, rax); movq(rax, xmm0); });
    case Op::F64ConvertI64S: return unary64(ValType::F64, [&] { cvtsi2sd(xmm0, rax); movq(rax, xmm0); });
    case Op::F32ConvertI64U: return unary64(ValType::F32, [&] { convertU64(false); });
    case Op::F64ConvertI64U: return unary64(ValType::F64, [&] { convertU64(true); });
    case Op::F32DemoteF64: return unary64(ValType::F32, [&] { movq(xmm0, rax); cvtsd2ss(xmm0, xmm0); movd(eax, xmm0); });
    case Op::F64PromoteF32: return unary32(ValType::F64, [&] { movd(xmm0, eax); cvtss2sd(xmm0, xmm0); movq(rax, xmm0); });
    case Op::I32TruncF32S: truncate(false, false, true, false); return;
    case Op::I32TruncF32U: truncate(false, false, false, false); return;
    case Op::I32TruncF64S: truncate(true, false, true, false); return;
    case Op::I32TruncF64U: truncate(true, false, false, false); return;
    case Op::I64TruncF32S: truncate(false, true, true, false); return;
    case Op::I64TruncF32U: truncate(false, true, false, false); return;
    case Op::I64TruncF64S: truncate(true, true, true, false); return;
    case Op::I64TruncF64U: truncate(true, true, false, false); return;
    case Op::I32TruncSatF32S: truncate(false, false, true, true); return;
    case Op::I32TruncSatF32U: truncate(false, false, false, true); return;
    case Op::I32TruncSatF64S: truncate(true, false, true, true); return;
    case Op::I32TruncSatF64U: truncate(true, false, false, true); return;
    case Op::I64TruncSatF32S: truncate(false, true, true, true); return;
    case Op::I64TruncSatF32U: truncate(false, true, false, true); return;
    case Op::I64TruncSatF64S: truncate(true, true, true, true); return;
    case Op::I64TruncSatF64U: truncate(true, true, false, true); return;

    // The decoder sends these elsewhere; they never reach numeric().
#define WASMO_NOT_NUMERIC(name, ...) case Op::name:
    WASMO_SPECIAL_OPS(WASMO_NOT_NUMERIC) WASMO_LOAD_OPS(WASMO_NOT_NUMERIC)
    WASMO_STORE_OPS(WASMO_NOT_NUMERIC) WASMO_BULK_OPS(WASMO_NOT_NUMERIC) WASMO_SIMD_OPS(WASMO_NOT_NUMERIC)
#undef WASMO_NOT_NUMERIC
      throw CompileError{WASMO_INTERNAL, std::string("numeric() called with ") + opName(op)};
  }
}


// Every function starts 16-byte aligned, in its worker's chunk and in the linked block alike, so the
// 16-byte constants it aligns (emitConstants, for SSE operands that must be aligned) stay aligned
// where it lands, and its bytes do not depend on which functions its worker compiled before it.
constexpr size_t kFunctionAlign = 16;
// Chunks are whole, aligned huge pages (runtime/code_memory.h adviseHugePages): a 4 MiB chunk from
// malloc holds only one aligned 2 MiB page, so half its memory took a page fault per 4 KiB.
constexpr size_t kHugePage = size_t{2} << 20;
static_assert(kHugePage % kFunctionAlign == 0);

/** What one worker thread compiled: its functions' code in chunks of its own, for linking. */
struct WorkerCode {
  /** Defined function `func`'s code: `size` bytes at `offset` in its chunk. */
  struct Function {
    uint32_t func;
    size_t offset, size;
  };
  /** A call of defined function `callee` by defined function `caller`: its rel32 is at `at` in the
   *  caller's code. */
  struct CallSite {
    uint32_t caller, at, callee;
  };
  struct Free {
    void operator()(uint8_t *p) const { std::free(p); }
  };
  struct Chunk {
    std::unique_ptr<uint8_t, Free> bytes;
    size_t capacity = 0, used = 0;
    std::vector<Function> functions;
    std::vector<CallSite> calls;  // made by the chunk's functions
  };
  std::vector<Chunk> chunks;
  uint32_t cpuFeatures = 0;
};

// One worker thread's compiler: each function into the worker's current chunk, from where it
// ends, in a new one when it does not fit.
class SinglepassCompiler : public BodyCompiler {
 public:
  SinglepassCompiler(const Module &module, const CompileOptions &options, WorkerCode &out)
      : m_(module), gen_(module, options), out_(out) {}

  void compile(uint32_t func) override {
    const FunctionBody &body = m_.bodies[func - m_.importedFuncs];
    // Code takes a few bytes per byte of wasm; a function that overflows its room starts again in
    // a chunk twice that size.
    size_t room = std::max<size_t>(kMinRoom, 16 * (body.end - body.begin));
    for (;;) {
      if (out_.chunks.empty() || out_.chunks.back().capacity - alignUp(out_.chunks.back().used) < room) {
        size_t capacity = std::max(kChunk, (room + kHugePage - 1) / kHugePage * kHugePage);
        auto *bytes = static_cast<uint8_t *>(std::aligned_alloc(kHugePage, capacity));
        if (bytes == nullptr) throw std::bad_alloc();
        out_.chunks.push_back(WorkerCode::Chunk{std::unique_ptr<uint8_t, WorkerCode::Free>(bytes), capacity, 0, {}, {}});
        adviseHugePages({bytes, capacity});
      }
      WorkerCode::Chunk &c = out_.chunks.back();
      const size_t at = alignUp(c.used);
      gen_.startFunction(c.bytes.get() + at, c.capacity - at);
      try {
        FunctionDecoder<Singlepass>(m_, func, gen_).run();
      } catch (const Xbyak::Error &e) {
        if (static_cast<int>(e) != Xbyak::ERR_CODE_IS_TOO_BIG) {
          throw CompileError{WASMO_INTERNAL, std::string("code generation failed: ") + e.what()};
        }
        room = 2 * (c.capacity - at);
        continue;
      }
      if (gen_.hasUndefinedLabel()) throw CompileError{WASMO_INTERNAL, "code generation failed: a label is not defined"};
      uint32_t caller = func - m_.importedFuncs;
      c.functions.push_back({caller, at, gen_.getSize()});
      for (auto [site, callee] : gen_.callSites()) c.calls.push_back({caller, site, callee});
      out_.cpuFeatures |= gen_.usedFeatures();
      c.used = at + gen_.getSize();
      return;
    }
  }

  static size_t alignUp(size_t n) { return (n + kFunctionAlign - 1) & ~(kFunctionAlign - 1); }

 private:
  static constexpr size_t kChunk = size_t{4} << 20, kMinRoom = size_t{64} << 10;
  const Module &m_;
  Singlepass gen_;
  WorkerCode &out_;
};

/** Links the workers' code into `out.code`: the functions in index order (whichever worker compiled
 *  them, so the bytes do not depend on the threads), each call of one by another resolved to a
 *  PC-relative call. */
void link(std::span<const WorkerCode> workers, uint32_t defined, CompiledCode &out) {
  struct Where {
    const WorkerCode::Chunk *chunk = nullptr;
    size_t offset = 0, size = 0;
  };
  std::vector<Where> where(defined);
  for (const WorkerCode &w : workers) {
    for (const WorkerCode::Chunk &c : w.chunks) {
      for (const WorkerCode::Function &f : c.functions) where[f.func] = {&c, f.offset, f.size};
    }
    out.cpuFeatures |= w.cpuFeatures;
  }
  size_t size = 0;
  out.functionOffsets.reserve(defined);
  for (const Where &p : where) {
    size = SinglepassCompiler::alignUp(size);
    out.functionOffsets.push_back(static_cast<uint32_t>(size));
    size += p.size;
    if (size > 0x7FFFFFFF) unsupported("more than 2 GiB of code");
  }
  out.code.reserve(size);  // appended without zeroing first
  adviseHugePages({out.code.data(), size});
  for (const Where &p : where) {
    out.code.resize(SinglepassCompiler::alignUp(out.code.size()));  // zeros between functions
    const uint8_t *bytes = p.chunk->bytes.get() + p.offset;
    out.code.insert(out.code.end(), bytes, bytes + p.size);
  }
  for (const WorkerCode &w : workers) {
    for (const WorkerCode::Chunk &c : w.chunks) {
      for (const WorkerCode::CallSite &call : c.calls) {
        // rel32 is relative to the end of the call instruction, 4 bytes after it (size < 2 GiB).
        size_t at = out.functionOffsets[call.caller] + call.at;
        auto rel = static_cast<int32_t>(static_cast<int64_t>(out.functionOffsets[call.callee]) - static_cast<int64_t>(at + 4));
        std::memcpy(out.code.data() + at, &rel, sizeof rel);
      }
    }
  }
}

}  // namespace

Compiled compileSinglepass(std::span<const uint8_t> bytes, const CompileOptions &options) {
  // Tiered code gets optimized functions, which must keep to the features asked for too.
  if (options.tierUp) checkOptimizingCpuFeatures(options, "tiered");
  BodyPass pass;
  pass.threads = compileThreads(options.threads);
  pass.progress = options.progress;
  std::vector<WorkerCode> workers(pass.threads);
  pass.compiler = [&](const Module &module, unsigned worker) -> std::unique_ptr<BodyCompiler> {
    refuseUnsupported(module);
    return std::make_unique<SinglepassCompiler>(module, options, workers[worker]);
  };
  Compiled out{decodeModule(bytes, pass), {}};
  out.code.meterFuel = options.meterFuel;
  out.code.boundsChecks = options.boundsChecks;
  auto defined = static_cast<uint32_t>(out.module.funcs.size() - out.module.importedFuncs);
  if (options.tierUp) {
    out.code.tier = Tier::Tiered;
    out.code.tieredFunctions.assign(defined, {});  // every function starts on its singlepass code
  }
  link(workers, defined, out.code);
  return out;
}

}  // namespace wasmo
