// The function decoder and validator (spec 5.4 binary, 3.3 validation, with the algorithm of the
// spec's validation appendix), generic over a backend. It validates while the backend compiles:
// each instruction reaches the backend only when it is valid and reachable. Past an invalid
// instruction the body is still decoded to its end (ExprDecoder), as the spec decodes a module
// before validating it, so a malformation further on is the verdict.
#pragma once
#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "compiler/backend.h"
#include "environ/expr_decoder.h"

namespace wasmo {

template <FunctionBackend Backend>
class FunctionDecoder {
 public:
  /** The body of function `funcIndex`, `body` an index into module.bodies. Validated, and its valid
   *  reachable code given to the backend, when `validate` and the function's type is known;
   *  otherwise only decoded (a body past the function section, or an unknown type index, has no
   *  parameters: the reference counts its locals so). */
  FunctionDecoder(const Module &module, uint32_t funcIndex, Backend &backend, bool validate = true)
      : m_(module), funcIndex_(funcIndex), b_(backend),
        r_(module.bytes.data(), module.bodies[funcIndex - module.importedFuncs].begin,
           module.bodies[funcIndex - module.importedFuncs].end, module.bytes.size()),
        expr_(r_), validating_(validate && typed()) {}

  /** Decodes the whole body, then (spec 5 before 3) fails with the first invalid instruction, if any. */
  void run() {
    if (typed()) locals_ = m_.funcType(funcIndex_).params;
    uint32_t groups = r_.len();
    uint64_t total = locals_.size();
    for (uint32_t i = 0; i < groups; i++) {
      uint32_t n = r_.u32();
      ValType t = valType(r_.typeCode());
      total += n;
      checkLimit(kMaxLocals, total);
      locals_.insert(locals_.end(), n, t);
    }
    if (validating_) {
      const FuncType &ft = m_.funcType(funcIndex_);
      b_.beginFunction(funcIndex_, ft, locals_);
      ctrls_.push_back(Ctrl{Op::Block, BlockType{{}, ft.results}, 0, false, true});
    }
    std::optional<CompileError> invalid;
    while (!expr_.done()) {
      Op op = expr_.next();
      if (!validating_) continue;
      // Every immediate is read before validation throws: decoding goes on without validation.
      try {
        instruction(op);
      } catch (CompileError &e) {
        if (e.status != WASMO_INVALID) throw;
        invalid = std::move(e);
        validating_ = false;
      }
    }
    if (r_.pos() != r_.limit()) malformed("section size mismatch");
    if (invalid) throw std::move(*invalid);
  }

  /** Whether the body holds a data index (ExprDecoder::usesDataIndex). */
  bool usesDataIndex() const { return expr_.usesDataIndex(); }

 private:
  static constexpr std::optional<ValType> kUnknown = std::nullopt;
  using Operand = std::optional<ValType>;  // nullopt: the bottom type of unreachable code

  struct Ctrl {
    Op op;
    BlockType type;
    size_t height;
    bool unreachable;
    bool backendKnows;  // the construct began in reachable code, so the backend saw it
  };

  bool typed() const {
    return funcIndex_ < m_.funcs.size() && m_.funcs[funcIndex_] < m_.types.size();
  }

  // Code reaches the backend only when the backend saw the innermost construct begin and nothing
  // since made it unreachable: a block that opens in dead code stays dead to its end, although the
  // validator types its body as reachable (spec 3.3.8: `unreachable` resets only the current frame).
  bool live() const { return ctrls_.back().backendKnows && !ctrls_.back().unreachable; }

  // The validator's operand stack. Every instruction pushes or pops, and vector::push_back, with
  // its reallocation path, was not inlined into instruction() (a call per push); here only the
  // rare growth is out of line.
  class Operands {
   public:
    size_t size() const { return size_; }
    [[gnu::always_inline]] void push(Operand t) {
      if (size_ == capacity_) [[unlikely]] grow();
      data_[size_++] = t;
    }
    Operand pop() { return data_[--size_]; }
    void shrink(size_t n) { size_ = n; }  // n <= size()

   private:
    [[gnu::noinline]] void grow() {
      capacity_ = 2 * capacity_ + 16;
      auto bigger = std::make_unique_for_overwrite<Operand[]>(capacity_);
      std::copy_n(data_.get(), size_, bigger.get());
      data_ = std::move(bigger);
    }
    std::unique_ptr<Operand[]> data_;
    size_t size_ = 0, capacity_ = 0;
  };

  void push(ValType t) { vals_.push(t); }
  void pushOperand(Operand t) { vals_.push(t); }
  Operand pop() {
    if (vals_.size() == ctrls_.back().height) {
      if (ctrls_.back().unreachable) return kUnknown;
      invalid("type mismatch");
    }
    return vals_.pop();
  }
  // Returns what was popped: the bottom type stays bottom (the appendix's pop_val(expect)). Most
  // instructions pop this way: inline.
  [[gnu::always_inline]] Operand pop(ValType expected) {
    Operand t = pop();
    if (t && *t != expected) invalid("type mismatch");
    return t;
  }
  void popAll(const std::vector<ValType> &types) {
    for (size_t i = types.size(); i-- > 0;) pop(types[i]);
  }
  void pushAll(const std::vector<ValType> &types) {
    for (ValType t : types) push(t);
  }
  void setUnreachable() {
    vals_.shrink(ctrls_.back().height);
    ctrls_.back().unreachable = true;
  }
  const std::vector<ValType> &labelTypes(const Ctrl &c) const {
    return c.op == Op::Loop ? c.type.params : c.type.results;
  }
  const Ctrl &label(uint32_t depth) {
    if (depth >= ctrls_.size()) invalid("unknown label");
    return ctrls_[ctrls_.size() - 1 - depth];
  }
  // br_table checks each target's values and puts back what it popped, so an operand of bottom
  // type stays bottom and can meet the next target's type too (the appendix's br_table:
  // push_vals(pop_vals(label_types(ctrls[n])))). br_if instead pushes the label's types.
  void checkLabelKeeping(const std::vector<ValType> &types) {
    std::vector<Operand> popped;
    for (size_t i = types.size(); i-- > 0;) popped.push_back(pop(types[i]));
    for (size_t i = popped.size(); i-- > 0;) pushOperand(popped[i]);
  }

  /** The block type the decoder read (ExprDecoder's s33). */
  BlockType blockType() {
    int64_t x = expr_.imm().blockType;
    if (x == -64) return {};
    if (x < 0) return BlockType{{}, {static_cast<ValType>(x + 0x80)}};
    if (static_cast<uint64_t>(x) >= m_.types.size()) invalid("unknown type");
    const FuncType &ft = m_.types[static_cast<size_t>(x)];
    return BlockType{ft.params, ft.results};
  }

  /** Opens a construct; returns its block type, which the construct keeps. */
  const BlockType &pushCtrl(Op op, BlockType bt) {
    bool known = live();
    popAll(bt.params);
    ctrls_.push_back(Ctrl{op, std::move(bt), vals_.size(), false, known});
    pushAll(ctrls_.back().type.params);
    return ctrls_.back().type;
  }

  ValType local(uint32_t x) {
    if (x >= locals_.size()) invalid("unknown local");
    return locals_[x];
  }
  const GlobalType &global(uint32_t x) {
    if (x >= m_.globals.size()) invalid("unknown global");
    return m_.globals[x];
  }
  ValType table(uint32_t x) {
    if (x >= m_.tables.size()) invalid("unknown table " + std::to_string(x));
    return m_.tables[x].elem;
  }
  /** The memory of memory.size, grow, fill, copy and init: memory 0 in 2.0 (a zero byte). */
  void memory() {
    if (m_.memories.empty()) invalid("unknown memory 0");
  }
  void function(uint32_t x) {
    if (x >= m_.funcs.size()) invalid("unknown function " + std::to_string(x));
  }
  void data(uint32_t x) {
    // Without a data count section the module is malformed once decoded (ModuleDecoder).
    if (x >= m_.dataCount.value_or(0)) invalid("unknown data segment " + std::to_string(x));
  }
  ValType elem(uint32_t x) {
    if (x >= m_.elems.size()) invalid("unknown elem segment " + std::to_string(x));
    return m_.elems[x].type;
  }
  // The memory index of a load or store, its alignment and offset (spec 3.3.7).
  void checkMemArg(const MemArg &ma, uint32_t naturalLog2) {
    if (ma.memory >= m_.memories.size()) invalid("unknown memory " + std::to_string(ma.memory));
    if (ma.alignLog2 > naturalLog2) invalid("alignment must not be larger than natural");
    if (ma.offset > UINT32_MAX) invalid("offset out of range");
  }

  // Inlined into run()'s loop, as ExprDecoder::next is: as calls, their entries and exits (saving
  // and restoring registers) cost more than many an instruction's own work.
  [[gnu::always_inline]] void instruction(Op op) {
    const Immediates &imm = expr_.imm();
    const bool live = this->live();
    // An `else` or `end` that is not live follows a br, br_table, return or unreachable, which
    // ended the fuel segment already.
    if (live) b_.fuel(op);
    switch (op) {
      case Op::Unreachable:
        if (live) b_.unreachable();
        setUnreachable();
        return;
      case Op::Nop:
        if (live) b_.nop();
        return;
      case Op::Block:
      case Op::Loop: {
        const BlockType &bt = pushCtrl(op, blockType());
        if (live) op == Op::Block ? b_.block(bt) : b_.loop(bt);
        return;
      }
      case Op::If: {
        BlockType bt = blockType();
        pop(ValType::I32);
        const BlockType &type = pushCtrl(op, std::move(bt));
        if (live) b_.if_(type);
        return;
      }
      case Op::Else: {
        Ctrl &c = ctrls_.back();  // an `if` in its then arm: the decoder checked
        bool fallthrough = !c.unreachable;
        popAll(c.type.results);
        if (vals_.size() != c.height) invalid("type mismatch");
        c.op = Op::Else;
        c.unreachable = false;
        pushAll(c.type.params);
        if (c.backendKnows) b_.else_(fallthrough);
        return;
      }
      case Op::End: {
        Ctrl c = std::move(ctrls_.back());
        bool fallthrough = !c.unreachable;
        popAll(c.type.results);
        if (vals_.size() != c.height) invalid("type mismatch");
        // An `if` without `else` behaves as if its else branch passed the parameters on (spec 3.3.8.5).
        if (c.op == Op::If && c.type.params != c.type.results) invalid("type mismatch");
        ctrls_.pop_back();
        if (ctrls_.empty()) {
          b_.endFunction(fallthrough);
          return;
        }
        pushAll(c.type.results);
        if (c.backendKnows) b_.end(fallthrough);
        return;
      }
      case Op::Br:
        popAll(labelTypes(label(imm.x)));
        if (live) b_.br(imm.x);
        setUnreachable();
        return;
      case Op::BrIf: {
        const std::vector<ValType> &types = labelTypes(label(imm.x));
        pop(ValType::I32);
        popAll(types);
        pushAll(types);
        if (live) b_.brIf(imm.x);
        return;
      }
      case Op::BrTable: {
        pop(ValType::I32);
        size_t arity = labelTypes(label(imm.x)).size();
        for (uint32_t t : imm.labels) {
          if (labelTypes(label(t)).size() != arity) invalid("type mismatch");
          checkLabelKeeping(labelTypes(label(t)));
        }
        popAll(labelTypes(label(imm.x)));
        if (live) b_.brTable(imm.labels, imm.x);
        setUnreachable();
        return;
      }
      case Op::Return:
        popAll(ctrls_.front().type.results);
        if (live) b_.return_();
        setUnreachable();
        return;
      case Op::Call: {
        function(imm.x);
        const FuncType &ft = m_.funcType(imm.x);
        popAll(ft.params);
        pushAll(ft.results);
        if (live) b_.call(imm.x, ft);
        return;
      }
      case Op::CallIndirect: {
        uint32_t typeIndex = imm.x;
        ValType elem = table(imm.y);
        if (typeIndex >= m_.types.size()) invalid("unknown type");
        if (elem != ValType::FuncRef) invalid("type mismatch");
        const FuncType &ft = m_.types[typeIndex];
        pop(ValType::I32);
        popAll(ft.params);
        pushAll(ft.results);
        if (live) b_.callIndirect(typeIndex, ft, imm.y);
        return;
      }
      case Op::Drop: {
        Operand t = pop();
        if (live) b_.drop(*t);
        return;
      }
      case Op::Select: {
        pop(ValType::I32);
        Operand t1 = pop(), t2 = pop();
        // Untyped select is for numeric and vector operands only (spec 3.3.4.2).
        if ((t1 && isRef(*t1)) || (t2 && isRef(*t2))) invalid("type mismatch");
        if (t1 && t2 && *t1 != *t2) invalid("type mismatch");
        Operand t = t1 ? t1 : t2;
        pushOperand(t);
        if (live) b_.select(*t);
        return;
      }
      case Op::SelectT: {
        if (imm.types != 1) invalid("invalid result arity");
        ValType t = imm.type;
        pop(ValType::I32);
        pop(t);
        pop(t);
        push(t);
        if (live) b_.select(t);
        return;
      }
      case Op::LocalGet: {
        ValType t = local(imm.x);
        push(t);
        if (live) b_.localGet(imm.x, t);
        return;
      }
      case Op::LocalSet: {
        ValType t = local(imm.x);
        pop(t);
        if (live) b_.localSet(imm.x, t);
        return;
      }
      case Op::LocalTee: {
        ValType t = local(imm.x);
        pop(t);
        push(t);
        if (live) b_.localTee(imm.x, t);
        return;
      }
      case Op::GlobalGet: {
        const GlobalType &g = global(imm.x);
        push(g.type);
        if (live) b_.globalGet(imm.x, g);
        return;
      }
      case Op::GlobalSet: {
        const GlobalType &g = global(imm.x);
        if (!g.mut) invalid("immutable global");
        pop(g.type);
        if (live) b_.globalSet(imm.x, g);
        return;
      }
      case Op::TableGet: {
        pop(ValType::I32);
        ValType t = table(imm.x);
        push(t);
        if (live) b_.tableGet(imm.x, t);
        return;
      }
      case Op::TableSet: {
        ValType t = table(imm.x);
        pop(t);
        pop(ValType::I32);
        if (live) b_.tableSet(imm.x, t);
        return;
      }
#define WASMO_LOAD_CASE(name, code, text, type, align)  \
      case Op::name:                                      \
        checkMemArg(imm.memArg, align);                   \
        pop(ValType::I32);                                \
        push(ValType::type);                              \
        if (live) b_.load(op, imm.memArg);                \
        return;
      WASMO_LOAD_OPS(WASMO_LOAD_CASE)
#undef WASMO_LOAD_CASE
#define WASMO_STORE_CASE(name, code, text, type, align) \
      case Op::name:                                      \
        checkMemArg(imm.memArg, align);                   \
        pop(ValType::type);                               \
        pop(ValType::I32);                                \
        if (live) b_.store(op, imm.memArg);               \
        return;
      WASMO_STORE_OPS(WASMO_STORE_CASE)
#undef WASMO_STORE_CASE
      case Op::MemorySize:
        memory();
        push(ValType::I32);
        if (live) b_.memorySize(0);
        return;
      case Op::MemoryGrow:
        memory();
        pop(ValType::I32);
        push(ValType::I32);
        if (live) b_.memoryGrow(0);
        return;
      case Op::I32Const:
        push(ValType::I32);
        if (live) b_.i32Const(static_cast<int32_t>(imm.bits));
        return;
      case Op::I64Const:
        push(ValType::I64);
        if (live) b_.i64Const(static_cast<int64_t>(imm.bits));
        return;
      case Op::F32Const:
        push(ValType::F32);
        if (live) b_.f32Const(static_cast<uint32_t>(imm.bits));
        return;
      case Op::F64Const:
        push(ValType::F64);
        if (live) b_.f64Const(imm.bits);
        return;
#define WASMO_UNARY_CASE(name, code, text, in, out) \
      case Op::name:                                  \
        pop(ValType::in);                             \
        push(ValType::out);                           \
        if (live) b_.numeric(op);                     \
        return;
      WASMO_UNARY_OPS(WASMO_UNARY_CASE)
#undef WASMO_UNARY_CASE
#define WASMO_BINARY_CASE(name, code, text, in, out) \
      case Op::name:                                   \
        pop(ValType::in);                              \
        pop(ValType::in);                              \
        push(ValType::out);                            \
        if (live) b_.numeric(op);                      \
        return;
      WASMO_BINARY_OPS(WASMO_BINARY_CASE)
#undef WASMO_BINARY_CASE
      case Op::RefNull:
        push(imm.type);
        if (live) b_.refNull(imm.type);
        return;
      case Op::RefIsNull: {
        Operand t = pop();
        if (t && !isRef(*t)) invalid("type mismatch");
        push(ValType::I32);
        if (live) b_.refIsNull(*t);
        return;
      }
      case Op::RefFunc:
        function(imm.x);
        if (!m_.declaredRefs[imm.x]) invalid("undeclared function reference");
        push(ValType::FuncRef);
        if (live) b_.refFunc(imm.x);
        return;
      case Op::MemoryInit:
        // The memory is checked before the data segment (validate.ts, memory_init.wast).
        memory();
        data(imm.x);
        popAll({ValType::I32, ValType::I32, ValType::I32});
        if (live) b_.bulk(op, imm.x, 0);
        return;
      case Op::DataDrop:
        data(imm.x);
        if (live) b_.bulk(op, imm.x, 0);
        return;
      case Op::MemoryCopy:
        memory();
        popAll({ValType::I32, ValType::I32, ValType::I32});
        if (live) b_.bulk(op, 0, 0);
        return;
      case Op::MemoryFill:
        memory();
        popAll({ValType::I32, ValType::I32, ValType::I32});
        if (live) b_.bulk(op, 0, 0);
        return;
      case Op::TableInit: {
        // table.init x y: element segment x into table y; the table is looked up first (validate.ts).
        ValType t = table(imm.y);
        if (elem(imm.x) != t) invalid("type mismatch");
        popAll({ValType::I32, ValType::I32, ValType::I32});
        if (live) b_.bulk(op, imm.x, imm.y);
        return;
      }
      case Op::ElemDrop:
        elem(imm.x);
        if (live) b_.bulk(op, imm.x, 0);
        return;
      case Op::TableCopy: {
        ValType dst = table(imm.x);
        if (table(imm.y) != dst) invalid("type mismatch");
        popAll({ValType::I32, ValType::I32, ValType::I32});
        if (live) b_.bulk(op, imm.x, imm.y);
        return;
      }
      case Op::TableGrow:
        pop(ValType::I32);
        pop(table(imm.x));
        push(ValType::I32);
        if (live) b_.bulk(op, imm.x, 0);
        return;
      case Op::TableSize:
        table(imm.x);
        push(ValType::I32);
        if (live) b_.bulk(op, imm.x, 0);
        return;
      case Op::TableFill:
        pop(ValType::I32);
        pop(table(imm.x));
        pop(ValType::I32);
        if (live) b_.bulk(op, imm.x, 0);
        return;
#define WASMO_SIMD_CASE(name, code, text, immediate, arg, params, results) \
      case Op::name:                                                        \
        simd(SimdImm::immediate, arg, params, results);                     \
        if (live) b_.simd(op, SimdImmediates{imm.memArg, imm.lane, imm.bytes}); \
        return;
      WASMO_SIMD_OPS(WASMO_SIMD_CASE)
#undef WASMO_SIMD_CASE
    }
  }

  // A SIMD instruction (spec 3.3.3, 3.3.7): its immediate as the reference checks it, then its
  // operand and result types, as letters (WASMO_SIMD_OPS).
  void simd(SimdImm kind, uint32_t arg, std::string_view params, std::string_view results) {
    const Immediates &imm = expr_.imm();
    auto lane = [](uint32_t l, uint32_t lanes) {
      if (l >= lanes) invalid("invalid lane index");
    };
    switch (kind) {
      case SimdImm::None: case SimdImm::Bytes: break;
      case SimdImm::Memarg: checkMemArg(imm.memArg, arg); break;
      case SimdImm::MemargLane: checkMemArg(imm.memArg, arg); lane(imm.lane, 16 >> arg); break;
      case SimdImm::Lane: lane(imm.lane, arg); break;
      case SimdImm::Shuffle: for (uint8_t l : imm.bytes) lane(l, arg); break;
    }
    auto type = [](char c) {
      switch (c) {
        case 'i': return ValType::I32;
        case 'l': return ValType::I64;
        case 'f': return ValType::F32;
        case 'd': return ValType::F64;
        default: return ValType::V128;
      }
    };
    for (size_t i = params.size(); i-- > 0;) pop(type(params[i]));
    for (char c : results) push(type(c));
  }

  const Module &m_;
  uint32_t funcIndex_;
  Backend &b_;
  Reader r_;
  ExprDecoder expr_;
  bool validating_;
  std::vector<ValType> locals_;
  Operands vals_;
  std::vector<Ctrl> ctrls_;
};

}  // namespace wasmo
