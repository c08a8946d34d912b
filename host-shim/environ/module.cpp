// The module decoder (spec 5.5) with validation (spec 3.4): a decoded module is valid. Function
// bodies are validated as the code section is read (FunctionDecoder with the validate-only backend);
// the compiler decodes them again with its own backend.
#include "environ/module.h"

#include <optional>
#include <unordered_set>
#include <utility>

#include "compiler/validate.h"
#include "environ/reader.h"

namespace wasmo {

const char *opName(Op op) {
  switch (op) {
#define WASMO_NAME(name, code, text, ...) case Op::name: return text;
    WASMO_SPECIAL_OPS(WASMO_NAME) WASMO_LOAD_OPS(WASMO_NAME) WASMO_STORE_OPS(WASMO_NAME)
    WASMO_UNARY_OPS(WASMO_NAME) WASMO_BINARY_OPS(WASMO_NAME) WASMO_BULK_OPS(WASMO_NAME)
#undef WASMO_NAME
  }
  return "?";
}

namespace {

constexpr uint64_t kMaxPages = 65536;  // 4 GiB of 64 KiB pages (spec 3.2.4)

class ModuleDecoder {
 public:
  explicit ModuleDecoder(std::span<const uint8_t> bytes) {
    m_.bytes.assign(bytes.begin(), bytes.end());
  }

  Module run() {
    const size_t size = m_.bytes.size();
    Reader r(m_.bytes.data(), 0, size, size);
    static constexpr std::pair<uint32_t, const char *> kHeader[] = {
        {0x6D736100, "magic header not detected"}, {1, "unknown binary version"}};
    for (auto [word, message] : kHeader) {
      if (r.end() - r.pos() < 4) malformed("unexpected end");
      if (r.fixed32() != word) malformed(message);
    }
    // Sections come in this order, each at most once; custom sections anywhere (spec 5.5.2).
    static constexpr int kOrder[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 10};  // id 12 before 10
    int lastRank = 0;
    uint32_t funcCount = 0;
    while (!r.atEnd()) {
      uint8_t id = r.u8();
      if (id > 12) malformed("malformed section id");
      if (id != 0) {
        int rank = kOrder[id];
        if (rank <= lastRank) malformed("unexpected content after last section");
        lastRank = rank;
      }
      uint32_t sectionSize = r.len();
      Reader s(m_.bytes.data(), r.pos(), r.pos() + sectionSize, size);
      switch (id) {
        case 0: {
          // Custom sections carry a name, then anything (spec 5.5.3).
          std::string name = s.name();
          if (s.pos() > s.limit()) malformed("unexpected end of section or function");
          if (name == "name") nameSection(s.pos(), s.limit());
          s.skip(s.limit() - s.pos());
          break;
        }
        case 1: typeSection(s); break;
        case 2: importSection(s); break;
        case 3: funcCount = functionSection(s); break;
        case 4: tableSection(s); break;
        case 5: memorySection(s); break;
        case 6: globalSection(s); break;
        case 7: exportSection(s); break;
        case 8: startSection(s); break;
        case 9: elementSection(s); break;
        case 10: codeSection(s); break;
        case 11: dataSection(s); break;
        case 12: m_.dataCount = s.u32(); break;
        default: break;
      }
      if (s.pos() != s.limit()) malformed("section size mismatch");
      r.skip(sectionSize);
    }
    if (funcCount != m_.bodies.size()) malformed("function and code section have inconsistent lengths");
    if (m_.dataCount && *m_.dataCount != m_.datas.size())
      malformed("data count and data section have inconsistent lengths");
    if (invalid_) invalid(std::move(invalid_->second));
    return std::move(m_);
  }

 private:
  // The reference decodes the whole module before it validates (spec 5 before 3), and validates in
  // validateModule's order (spec 3.4.10): a field found invalid while decoding is reported only once
  // every section has decoded, so a later malformation wins, and of two invalid fields the one the
  // reference validates first. A check whose failure leaves nothing to decode by is still immediate.
  enum class Phase { Imports, Funcs, Globals, Tables, Memories, Elems, Datas, Bodies, Start, Exports, MemoryCount };
  void invalidLater(Phase phase, std::string message) {
    if (!invalid_ || phase < invalid_->first) invalid_.emplace(phase, std::move(message));
  }

  // The name section (spec appendix 7.4): only the function names subsection (id 1) is kept. A
  // custom section cannot make the module malformed, so damage ends the reading, keeping what was read.
  void nameSection(size_t begin, size_t end) {
    Reader r(m_.bytes.data(), begin, end, end);
    try {
      while (!r.atEnd()) {
        uint8_t id = r.u8();
        uint32_t size = r.len();
        if (id == 1) {
          Reader names(m_.bytes.data(), r.pos(), r.pos() + size, r.pos() + size);
          for (uint32_t n = names.u32(); n > 0; n--) {
            uint32_t index = names.u32();
            m_.funcNames.emplace(index, names.name());
          }
          return;
        }
        r.skip(size);
      }
    } catch (const CompileError &) {
    }
  }

  ValType valType(Reader &r) { return wasmo::valType(r.typeCode()); }
  ValType refType(Reader &r) {
    uint8_t code = r.typeCode();
    if (code != WASMO_FUNCREF && code != WASMO_EXTERNREF) malformed("malformed reference type");
    return static_cast<ValType>(code);
  }
  Limits limits(Reader &r, Phase phase, uint64_t bound, const char *boundMessage) {
    uint8_t flags = r.u8();
    if (flags > 1) malformed("malformed limits flags");
    Limits l;
    // Bounds are u64 whatever the address type, as 3.0 reads them (binary-leb128.wast, memory.wast):
    // one past the range is invalid, not malformed.
    l.min = r.u64();
    if (flags == 1) l.max = r.u64();
    if (l.min > bound || (l.max && *l.max > bound)) invalidLater(phase, boundMessage);
    else if (l.max && l.min > *l.max) invalidLater(phase, "size minimum must not be greater than maximum");
    return l;
  }
  TableType tableType(Reader &r, Phase phase) {
    TableType t;
    t.elem = refType(r);
    t.limits = limits(r, phase, UINT32_MAX, "table size");
    return t;
  }
  MemType memType(Reader &r, Phase phase) {
    return MemType{limits(r, phase, kMaxPages, "memory size must be at most 65536 pages (4GiB)")};
  }
  GlobalType globalType(Reader &r) {
    GlobalType g;
    g.type = valType(r);
    uint8_t mut = r.u8();
    if (mut > 1) malformed("malformed mutability");
    g.mut = mut == 1;
    return g;
  }

  /** A constant expression (spec 3.3.10) of type `expected`, in 2.0's single-instruction form. */
  ConstExpr constExpr(Reader &r, ValType expected, Phase phase) {
    ConstExpr e;
    // An illegal opcode is malformed before a non-constant one is invalid (binary.wast: 0xF3).
    e.op = readOp(r);
    switch (e.op) {
      case Op::I32Const: e.type = ValType::I32; e.bits = static_cast<uint32_t>(r.s32()); break;
      case Op::I64Const: e.type = ValType::I64; e.bits = static_cast<uint64_t>(r.s64()); break;
      case Op::F32Const: e.type = ValType::F32; e.bits = r.fixed32(); break;
      case Op::F64Const: e.type = ValType::F64; e.bits = r.fixed64(); break;
      case Op::RefNull: e.type = refType(r); break;
      case Op::RefFunc: {
        e.type = ValType::FuncRef;
        e.bits = r.u32();
        if (e.bits >= m_.funcs.size()) invalidLater(phase, "unknown function " + std::to_string(e.bits));
        else m_.declaredRefs[e.bits] = true;
        break;
      }
      case Op::GlobalGet: {
        e.bits = r.u32();
        // In 2.0 only imported globals may be read, and they must be immutable (spec 3.3.10).
        if (e.bits >= m_.importedGlobals) {
          invalidLater(phase, "unknown global " + std::to_string(e.bits));
          e.type = expected;
          break;
        }
        if (m_.globals[e.bits].mut) invalidLater(phase, "constant expression required");
        e.type = m_.globals[e.bits].type;
        break;
      }
      case Op::End:
        invalidLater(phase, "type mismatch");
        return e;
      default: invalid("constant expression required");
    }
    if (readOp(r) != Op::End) invalid("constant expression required");
    if (e.type != expected) invalidLater(phase, "type mismatch");
    return e;
  }

  void typeSection(Reader &r) {
    uint32_t n = r.len();
    checkLimit(kMaxTypes, n);
    for (uint32_t i = 0; i < n; i++) {
      if (r.typeCode() != 0x60) malformed("malformed function type");
      FuncType ft;
      uint32_t np = r.len();
      checkLimit(kMaxParams, np);
      for (uint32_t k = 0; k < np; k++) ft.params.push_back(valType(r));
      uint32_t nr = r.len();
      checkLimit(kMaxResults, nr);
      for (uint32_t k = 0; k < nr; k++) ft.results.push_back(valType(r));
      m_.types.push_back(std::move(ft));
    }
  }
  void importSection(Reader &r) {
    uint32_t n = r.len();
    checkLimit(kMaxImports, n);
    for (uint32_t i = 0; i < n; i++) {
      Import im;
      im.module = r.name();
      im.name = r.name();
      im.kind = r.u8();
      switch (im.kind) {
        case WASMO_EXTERN_FUNC:
          im.typeIndex = r.u32();
          if (im.typeIndex >= m_.types.size()) im.typeIndex = unknownType(Phase::Imports);
          break;
        case WASMO_EXTERN_TABLE:
          im.table = tableType(r, Phase::Imports);
          break;
        case WASMO_EXTERN_MEMORY:
          im.memory = memType(r, Phase::Imports);
          break;
        case WASMO_EXTERN_GLOBAL:
          im.global = globalType(r);
          break;
        default:
          malformed("malformed import kind");
      }
      m_.addImport(std::move(im));
    }
    m_.declaredRefs.assign(m_.funcs.size(), false);
  }
  /** An unknown function type is invalid; type 0 stands in for it so that bodies still decode (for
   *  their malformations: the module is invalid whatever they hold). With no types at all, bodies
   *  are not read. */
  uint32_t unknownType(Phase phase) {
    invalidLater(phase, "unknown type");
    if (m_.types.empty()) unknownFuncType_ = true;
    return 0;
  }
  uint32_t functionSection(Reader &r) {
    uint32_t n = r.len();
    checkLimit(kMaxFunctions, n);
    for (uint32_t i = 0; i < n; i++) {
      uint32_t t = r.u32();
      if (t >= m_.types.size()) t = unknownType(Phase::Funcs);
      m_.funcs.push_back(t);
    }
    m_.declaredRefs.assign(m_.funcs.size(), false);
    return n;
  }
  void tableSection(Reader &r) {
    uint32_t n = r.len();
    checkLimit(kMaxTables, m_.tables.size() + n);  // imported tables count too
    for (uint32_t i = 0; i < n; i++) m_.tables.push_back(tableType(r, Phase::Tables));
  }
  void memorySection(Reader &r) {
    uint32_t n = r.len();
    for (uint32_t i = 0; i < n; i++) m_.memories.push_back(memType(r, Phase::Memories));
    if (m_.memories.size() > 1) invalidLater(Phase::MemoryCount, "multiple memories");
  }
  void globalSection(Reader &r) {
    if (m_.declaredRefs.size() != m_.funcs.size()) m_.declaredRefs.assign(m_.funcs.size(), false);
    uint32_t n = r.len();
    checkLimit(kMaxGlobals, n);
    for (uint32_t i = 0; i < n; i++) {
      GlobalType g = globalType(r);
      m_.globalInits.push_back(constExpr(r, g.type, Phase::Globals));
      m_.globals.push_back(g);
    }
  }
  void exportSection(Reader &r) {
    uint32_t n = r.len();
    checkLimit(kMaxExports, n);
    std::unordered_set<std::string> names;  // kMaxExports of them: a linear search each is quadratic
    for (uint32_t i = 0; i < n; i++) {
      Export e;
      e.name = r.name();
      e.kind = r.u8();
      e.index = r.u32();
      size_t bound = 0;
      const char *what = "";
      switch (e.kind) {
        case WASMO_EXTERN_FUNC: bound = m_.funcs.size(); what = "unknown function "; break;
        case WASMO_EXTERN_TABLE: bound = m_.tables.size(); what = "unknown table "; break;
        case WASMO_EXTERN_MEMORY: bound = m_.memories.size(); what = "unknown memory "; break;
        case WASMO_EXTERN_GLOBAL: bound = m_.globals.size(); what = "unknown global "; break;
        default: malformed("malformed export kind");
      }
      if (e.index >= bound) invalidLater(Phase::Exports, what + std::to_string(e.index));
      else if (e.kind == WASMO_EXTERN_FUNC) m_.declaredRefs[e.index] = true;
      if (!names.insert(e.name).second) invalidLater(Phase::Exports, "duplicate export name");
      m_.exports.push_back(std::move(e));
    }
  }
  void startSection(Reader &r) {
    uint32_t f = r.u32();
    m_.start = f;
    if (f >= m_.funcs.size()) return invalidLater(Phase::Start, "unknown function " + std::to_string(f));
    if (m_.funcs[f] >= m_.types.size()) return;  // an unknown type, recorded with the function
    const FuncType &ft = m_.funcType(f);
    if (!ft.params.empty() || !ft.results.empty()) invalidLater(Phase::Start, "start function");
  }
  void elementSection(Reader &r) {
    if (m_.declaredRefs.size() != m_.funcs.size()) m_.declaredRefs.assign(m_.funcs.size(), false);
    uint32_t n = r.len();
    for (uint32_t i = 0; i < n; i++) {
      ElemSegment seg;
      uint32_t flags = r.u32();
      if (flags > 7) malformed("malformed elements segment kind");
      // Bit 0: passive or declarative; bit 1: explicit table index or declarative; bit 2: expressions
      // instead of function indices (spec 5.5.12).
      bool active = !(flags & 1);
      if (active) {
        if (flags & 2) seg.table = r.u32();
        if (seg.table >= m_.tables.size()) invalidLater(Phase::Elems, "unknown table " + std::to_string(seg.table));
        seg.mode = SegmentMode::Active;
        seg.offset = constExpr(r, ValType::I32, Phase::Elems);
      } else {
        seg.mode = (flags & 2) ? SegmentMode::Declarative : SegmentMode::Passive;
      }
      bool exprs = flags & 4;
      if (!active || (flags & 2)) {
        if (exprs) seg.type = refType(r);
        else if (r.u8() != 0x00) malformed("malformed element kind");
      }
      uint32_t count = r.len();
      for (uint32_t k = 0; k < count; k++) {
        if (exprs) {
          seg.init.push_back(constExpr(r, seg.type, Phase::Elems));
        } else {
          uint32_t f = r.u32();
          if (f >= m_.funcs.size()) invalidLater(Phase::Elems, "unknown function " + std::to_string(f));
          else m_.declaredRefs[f] = true;
          seg.init.push_back(ConstExpr{Op::RefFunc, f, ValType::FuncRef});
        }
      }
      if (active && seg.table < m_.tables.size() && m_.tables[seg.table].elem != seg.type)
        invalidLater(Phase::Elems, "type mismatch");
      m_.elems.push_back(std::move(seg));
    }
  }
  void codeSection(Reader &r) {
    uint32_t n = r.len();
    for (uint32_t i = 0; i < n; i++) {
      uint32_t size = r.len();
      checkLimit(kMaxFunctionSize, size);
      m_.bodies.push_back(FunctionBody{r.pos(), r.pos() + size});
      decodeBody(m_.importedFuncs + i);
      r.skip(size);
    }
  }
  /** Decodes and validates a function body where the reference decodes it, inside the code section,
   *  so its malformations come before those of later sections; everything validation needs precedes
   *  the code section (spec 5.5.16). Bodies are not read when a function type is unknown and no type
   *  can stand in (a call could not be typed), nor past the function section: the invalidity or the inconsistent lengths
   *  already found is the verdict, unless a later section is malformed. */
  void decodeBody(uint32_t func) {
    if (unknownFuncType_ || func >= m_.funcs.size()) return;
    try {
      ValidateOnly backend;
      FunctionDecoder<ValidateOnly>(m_, func, backend).run();
    } catch (const CompileError &e) {
      if (e.status != WASMO_INVALID) throw;
      invalidLater(Phase::Bodies, e.message);
    }
  }
  void dataSection(Reader &r) {
    uint32_t n = r.len();
    checkLimit(kMaxDataSegments, n);
    if (m_.dataCount && *m_.dataCount != n) malformed("data count and data section have inconsistent lengths");
    for (uint32_t i = 0; i < n; i++) {
      DataSegment seg;
      uint32_t flags = r.u32();
      if (flags > 2) malformed("malformed data segment kind");
      if (flags != 1) {
        seg.mode = SegmentMode::Active;
        if (flags == 2) seg.memory = r.u32();
        if (seg.memory >= m_.memories.size()) invalidLater(Phase::Datas, "unknown memory " + std::to_string(seg.memory));
        seg.offset = constExpr(r, ValType::I32, Phase::Datas);
      }
      uint32_t len = r.len();
      seg.begin = r.pos();
      r.skip(len);
      seg.end = r.pos();
      m_.datas.push_back(seg);
    }
  }

  Module m_;
  std::optional<std::pair<Phase, std::string>> invalid_;
  bool unknownFuncType_ = false;
};

}  // namespace

Module decodeModule(std::span<const uint8_t> bytes) {
  checkLimit(kMaxModuleSize, bytes.size());  // before the bytes are copied
  Module m = ModuleDecoder(bytes).run();
  if (m.declaredRefs.size() != m.funcs.size()) m.declaredRefs.assign(m.funcs.size(), false);
  return m;
}

}  // namespace wasmo
