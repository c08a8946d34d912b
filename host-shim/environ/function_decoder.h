// The function decoder and validator (spec 5.4 binary, 3.3 validation, with the algorithm of the
// spec's validation appendix), generic over a backend. It validates while the backend compiles:
// each instruction reaches the backend only when it is valid and reachable.
#pragma once
#include <cstdint>
#include <optional>
#include <vector>

#include "compiler/backend.h"
#include "environ/reader.h"

namespace wasmo {

template <FunctionBackend Backend>
class FunctionDecoder {
 public:
  FunctionDecoder(const Module &module, uint32_t funcIndex, Backend &backend)
      : m_(module), funcIndex_(funcIndex), b_(backend),
        r_(module.bytes.data(), module.bodies[funcIndex - module.importedFuncs].begin,
           module.bodies[funcIndex - module.importedFuncs].end, module.bytes.size()) {}

  void run() {
    const FuncType &ft = m_.funcType(funcIndex_);
    locals_ = ft.params;
    uint32_t groups = r_.len();
    uint64_t total = ft.params.size();
    for (uint32_t i = 0; i < groups; i++) {
      uint32_t n = r_.u32();
      ValType t = valType(r_.typeCode());
      total += n;
      checkLimit(kMaxLocals, total);
      locals_.insert(locals_.end(), n, t);
    }
    b_.beginFunction(funcIndex_, ft, locals_);
    ctrls_.push_back(Ctrl{Op::Block, BlockType{{}, ft.results}, 0, false, true});
    while (!ctrls_.empty()) instruction();
    if (r_.pos() != r_.limit()) malformed("section size mismatch");
  }

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

  // Code reaches the backend only when the backend saw the innermost construct begin and nothing
  // since made it unreachable: a block that opens in dead code stays dead to its end, although the
  // validator types its body as reachable (spec 3.3.8: `unreachable` resets only the current frame).
  bool live() const { return ctrls_.back().backendKnows && !ctrls_.back().unreachable; }

  void push(ValType t) { vals_.push_back(t); }
  void pushOperand(Operand t) { vals_.push_back(t); }
  Operand pop() {
    if (vals_.size() == ctrls_.back().height) {
      if (ctrls_.back().unreachable) return kUnknown;
      invalid("type mismatch");
    }
    Operand t = vals_.back();
    vals_.pop_back();
    return t;
  }
  // Returns what was popped: the bottom type stays bottom (the appendix's pop_val(expect)).
  Operand pop(ValType expected) {
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
    vals_.resize(ctrls_.back().height);
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

  BlockType blockType() {
    int64_t x = r_.s33();
    if (x == -64) return {};  // 0x40: empty
    if (x < 0) {
      // A single value type, encoded as a negative s33 (spec 5.4.1).
      return BlockType{{}, {valType(static_cast<uint8_t>(x & 0x7F))}};
    }
    if (static_cast<uint64_t>(x) >= m_.types.size()) invalid("unknown type");
    const FuncType &ft = m_.types[static_cast<size_t>(x)];
    return BlockType{ft.params, ft.results};
  }

  void pushCtrl(Op op, BlockType bt) {
    bool known = live();
    popAll(bt.params);
    ctrls_.push_back(Ctrl{op, bt, vals_.size(), false, known});
    pushAll(ctrls_.back().type.params);
  }

  uint32_t localIndex(ValType &type) {
    uint32_t x = r_.u32();
    if (x >= locals_.size()) invalid("unknown local");
    type = locals_[x];
    return x;
  }
  uint32_t globalIndex() {
    uint32_t x = r_.u32();
    if (x >= m_.globals.size()) invalid("unknown global");
    return x;
  }
  uint32_t tableIndex() {
    uint32_t x = r_.u32();
    if (x >= m_.tables.size()) invalid("unknown table " + std::to_string(x));
    return x;
  }
  uint32_t memoryIndex() {
    // In 2.0 the memory index of memory.size/grow is a zero byte (spec 5.4.6).
    uint32_t x = r_.u32();
    if (x >= m_.memories.size()) invalid("unknown memory " + std::to_string(x));
    return x;
  }
  uint32_t funcIndex() {
    uint32_t x = r_.u32();
    if (x >= m_.funcs.size()) invalid("unknown function " + std::to_string(x));
    return x;
  }
  uint32_t dataIndex() {
    uint32_t x = r_.u32();
    if (!m_.dataCount) malformed("data count section required");
    return x;
  }
  void checkData(uint32_t x) {
    if (x >= *m_.dataCount) invalid("unknown data segment " + std::to_string(x));
  }
  uint32_t elemIndex() {
    uint32_t x = r_.u32();
    if (x >= m_.elems.size()) invalid("unknown elem segment " + std::to_string(x));
    return x;
  }
  MemArg memArg(uint32_t naturalLog2) {
    // Read as 3.0 does, which align.wast and address.wast expect: bit 6 of the flags announces a
    // memory index (multi-memory), flags from 0x80 are malformed, and the offset is a u64 whose
    // range validation checks (spec 3.0 5.4.7, 3.3.7).
    MemArg ma;
    uint32_t flags = r_.u32();
    if (flags >= 0x80) malformed("malformed memop flags");
    if (flags & 0x40) ma.memory = r_.u32();
    ma.alignLog2 = flags & 0x3F;
    ma.offset = r_.u64();
    if (ma.memory >= m_.memories.size()) invalid("unknown memory " + std::to_string(ma.memory));
    if (ma.alignLog2 > naturalLog2) invalid("alignment must not be larger than natural");
    if (ma.offset > UINT32_MAX) invalid("offset out of range");
    return ma;
  }

  void instruction() {
    Op op = readOp(r_);
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
        BlockType bt = blockType();
        pushCtrl(op, bt);
        if (live) op == Op::Block ? b_.block(bt) : b_.loop(bt);
        return;
      }
      case Op::If: {
        BlockType bt = blockType();
        pop(ValType::I32);
        pushCtrl(op, bt);
        if (live) b_.if_(bt);
        return;
      }
      case Op::Else: {
        Ctrl &c = ctrls_.back();
        // An `else` outside `if` ends the block's instructions where `end` is expected (decode.ml).
        if (c.op != Op::If) malformed("END opcode expected");
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
        Ctrl c = ctrls_.back();
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
      case Op::Br: {
        uint32_t depth = r_.u32();
        popAll(labelTypes(label(depth)));
        if (live) b_.br(depth);
        setUnreachable();
        return;
      }
      case Op::BrIf: {
        uint32_t depth = r_.u32();
        pop(ValType::I32);
        const std::vector<ValType> &types = labelTypes(label(depth));
        popAll(types);
        pushAll(types);
        if (live) b_.brIf(depth);
        return;
      }
      case Op::BrTable: {
        uint32_t n = r_.len();
        std::vector<uint32_t> targets;
        targets.reserve(std::min<uint32_t>(n, 1024));
        for (uint32_t i = 0; i < n; i++) targets.push_back(r_.u32());
        uint32_t def = r_.u32();
        pop(ValType::I32);
        size_t arity = labelTypes(label(def)).size();
        for (uint32_t t : targets) {
          if (labelTypes(label(t)).size() != arity) invalid("type mismatch");
          checkLabelKeeping(labelTypes(label(t)));
        }
        popAll(labelTypes(label(def)));
        if (live) b_.brTable(targets, def);
        setUnreachable();
        return;
      }
      case Op::Return:
        popAll(ctrls_.front().type.results);
        if (live) b_.return_();
        setUnreachable();
        return;
      case Op::Call: {
        uint32_t f = funcIndex();
        const FuncType &ft = m_.funcType(f);
        popAll(ft.params);
        pushAll(ft.results);
        if (live) b_.call(f, ft);
        return;
      }
      case Op::CallIndirect: {
        uint32_t typeIndex = r_.u32();
        uint32_t table = r_.u32();
        if (table >= m_.tables.size()) invalid("unknown table " + std::to_string(table));
        if (typeIndex >= m_.types.size()) invalid("unknown type");
        if (m_.tables[table].elem != ValType::FuncRef) invalid("type mismatch");
        const FuncType &ft = m_.types[typeIndex];
        pop(ValType::I32);
        popAll(ft.params);
        pushAll(ft.results);
        if (live) b_.callIndirect(typeIndex, ft, table);
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
        uint32_t n = r_.len();
        if (n != 1) invalid("invalid result arity");
        ValType t = valType(r_.typeCode());
        pop(ValType::I32);
        pop(t);
        pop(t);
        push(t);
        if (live) b_.select(t);
        return;
      }
      case Op::LocalGet: {
        ValType t;
        uint32_t x = localIndex(t);
        push(t);
        if (live) b_.localGet(x, t);
        return;
      }
      case Op::LocalSet: {
        ValType t;
        uint32_t x = localIndex(t);
        pop(t);
        if (live) b_.localSet(x, t);
        return;
      }
      case Op::LocalTee: {
        ValType t;
        uint32_t x = localIndex(t);
        pop(t);
        push(t);
        if (live) b_.localTee(x, t);
        return;
      }
      case Op::GlobalGet: {
        uint32_t x = globalIndex();
        push(m_.globals[x].type);
        if (live) b_.globalGet(x, m_.globals[x]);
        return;
      }
      case Op::GlobalSet: {
        uint32_t x = globalIndex();
        if (!m_.globals[x].mut) invalid("global is immutable");
        pop(m_.globals[x].type);
        if (live) b_.globalSet(x, m_.globals[x]);
        return;
      }
      case Op::TableGet: {
        uint32_t x = tableIndex();
        pop(ValType::I32);
        push(m_.tables[x].elem);
        if (live) b_.tableGet(x, m_.tables[x].elem);
        return;
      }
      case Op::TableSet: {
        uint32_t x = tableIndex();
        pop(m_.tables[x].elem);
        pop(ValType::I32);
        if (live) b_.tableSet(x, m_.tables[x].elem);
        return;
      }
#define WASMO_LOAD_CASE(name, code, text, type, align)  \
      case Op::name: {                                    \
        MemArg ma = memArg(align);                        \
        pop(ValType::I32);                                \
        push(ValType::type);                              \
        if (live) b_.load(op, ma);                        \
        return;                                           \
      }
      WASMO_LOAD_OPS(WASMO_LOAD_CASE)
#undef WASMO_LOAD_CASE
#define WASMO_STORE_CASE(name, code, text, type, align) \
      case Op::name: {                                    \
        MemArg ma = memArg(align);                        \
        pop(ValType::type);                               \
        pop(ValType::I32);                                \
        if (live) b_.store(op, ma);                       \
        return;                                           \
      }
      WASMO_STORE_OPS(WASMO_STORE_CASE)
#undef WASMO_STORE_CASE
      case Op::MemorySize: {
        uint32_t x = memoryIndex();
        push(ValType::I32);
        if (live) b_.memorySize(x);
        return;
      }
      case Op::MemoryGrow: {
        uint32_t x = memoryIndex();
        pop(ValType::I32);
        push(ValType::I32);
        if (live) b_.memoryGrow(x);
        return;
      }
      case Op::I32Const: {
        int32_t v = r_.s32();
        push(ValType::I32);
        if (live) b_.i32Const(v);
        return;
      }
      case Op::I64Const: {
        int64_t v = r_.s64();
        push(ValType::I64);
        if (live) b_.i64Const(v);
        return;
      }
      case Op::F32Const: {
        uint32_t v = r_.fixed32();
        push(ValType::F32);
        if (live) b_.f32Const(v);
        return;
      }
      case Op::F64Const: {
        uint64_t v = r_.fixed64();
        push(ValType::F64);
        if (live) b_.f64Const(v);
        return;
      }
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
      case Op::RefNull: {
        uint8_t code = r_.u8();
        if (code != WASMO_FUNCREF && code != WASMO_EXTERNREF) malformed("malformed reference type");
        ValType t = static_cast<ValType>(code);
        push(t);
        if (live) b_.refNull(t);
        return;
      }
      case Op::RefIsNull: {
        Operand t = pop();
        if (t && !isRef(*t)) invalid("type mismatch");
        push(ValType::I32);
        if (live) b_.refIsNull(*t);
        return;
      }
      case Op::RefFunc: {
        uint32_t f = funcIndex();
        if (!m_.declaredRefs[f]) invalid("undeclared function reference");
        push(ValType::FuncRef);
        if (live) b_.refFunc(f);
        return;
      }
      case Op::MemoryInit: {
        // The memory is checked before the data segment (validate.ts, memory_init.wast).
        uint32_t d = dataIndex();
        uint32_t mem = memoryIndex();
        checkData(d);
        popAll({ValType::I32, ValType::I32, ValType::I32});
        if (live) b_.bulk(op, d, mem);
        return;
      }
      case Op::DataDrop: {
        uint32_t d = dataIndex();
        checkData(d);
        if (live) b_.bulk(op, d, 0);
        return;
      }
      case Op::MemoryCopy: {
        uint32_t dst = memoryIndex(), src = memoryIndex();
        popAll({ValType::I32, ValType::I32, ValType::I32});
        if (live) b_.bulk(op, dst, src);
        return;
      }
      case Op::MemoryFill: {
        uint32_t mem = memoryIndex();
        popAll({ValType::I32, ValType::I32, ValType::I32});
        if (live) b_.bulk(op, mem, 0);
        return;
      }
      case Op::TableInit: {
        uint32_t e = elemIndex();
        uint32_t t = tableIndex();
        if (m_.elems[e].type != m_.tables[t].elem) invalid("type mismatch");
        popAll({ValType::I32, ValType::I32, ValType::I32});
        if (live) b_.bulk(op, e, t);
        return;
      }
      case Op::ElemDrop: {
        uint32_t e = elemIndex();
        if (live) b_.bulk(op, e, 0);
        return;
      }
      case Op::TableCopy: {
        uint32_t dst = tableIndex(), src = tableIndex();
        if (m_.tables[dst].elem != m_.tables[src].elem) invalid("type mismatch");
        popAll({ValType::I32, ValType::I32, ValType::I32});
        if (live) b_.bulk(op, dst, src);
        return;
      }
      case Op::TableGrow: {
        uint32_t t = tableIndex();
        pop(ValType::I32);
        pop(m_.tables[t].elem);
        push(ValType::I32);
        if (live) b_.bulk(op, t, 0);
        return;
      }
      case Op::TableSize: {
        uint32_t t = tableIndex();
        push(ValType::I32);
        if (live) b_.bulk(op, t, 0);
        return;
      }
      case Op::TableFill: {
        uint32_t t = tableIndex();
        pop(ValType::I32);
        pop(m_.tables[t].elem);
        pop(ValType::I32);
        if (live) b_.bulk(op, t, 0);
        return;
      }
    }
  }

  const Module &m_;
  uint32_t funcIndex_;
  Backend &b_;
  Reader r_;
  std::vector<ValType> locals_;
  std::vector<Operand> vals_;
  std::vector<Ctrl> ctrls_;
};

}  // namespace wasmo
