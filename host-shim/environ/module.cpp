// The module decoder (spec 5.5) with validation (spec 3.4): a decoded module is valid. Function
// bodies are decoded last, in parallel, each by one FunctionDecoder that validates and drives a
// compiler's backend at once (or the validate-only backend).
#include "environ/module.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <unordered_set>
#include <utility>

#include "compiler/validate.h"
#include "environ/expr_decoder.h"
#include "runtime/code_memory.h"

namespace wasmo {
namespace {

constexpr uint64_t kMaxPages = 65536;  // 4 GiB of 64 KiB pages (spec 3.2.4)

class ModuleDecoder {
 public:
  explicit ModuleDecoder(std::span<const uint8_t> bytes) {
    // Fresh memory, written once: huge pages make the copy of a big module several times cheaper.
    m_.bytes.reserve(bytes.size());
    adviseHugePages({m_.bytes.data(), bytes.size()});
    m_.bytes.assign(bytes.begin(), bytes.end());
  }

  Module run(const BodyPass &pass) {
    const size_t size = m_.bytes.size();
    Reader r(m_.bytes.data(), 0, size, size);
    static constexpr std::pair<uint32_t, const char *> kHeader[] = {
        {0x6D736100, "magic header not detected"}, {1, "unknown binary version"}};
    for (auto [word, message] : kHeader) {
      if (r.end() - r.pos() < 4) malformed("unexpected end");
      if (r.fixed32() != word) malformed(message);
    }
    try {
      sections(r);
    } catch (const CompileError &) {
      // The reference decodes each body where the code section holds it: a malformed body read
      // before the failure is the verdict.
      for (uint32_t k = 0; k < m_.bodies.size(); k++) {
        try {
          decodeBody(m_.importedFuncs + k, validateBodies());
        } catch (const CompileError &e) {
          if (e.status != WASMO_INVALID) throw;
        }
      }
      throw;
    }
    // Bodies after every section: none depends on what follows the code section (spec 5.5.16).
    // The verdict is that of decoding in order: the first body that is malformed (or unsupported
    // by the decoder), then the first invalidity in the reference's validation order, and only for a
    // valid module the first body the compiler refuses.
    const bool validate = validateBodies();
    BodyFailures f = runBodies(pass, validate);
    if (f.decode) throw f.decode->second;
    // Valid bodies hold no data index without a data count section (FunctionDecoder::data).
    if (!m_.dataCount && (f.invalid || !validate) && dataIndexInCode()) malformed("data count section required");
    if (invalid_ && invalid_->first < Phase::Bodies) invalid(std::move(invalid_->second));
    if (f.invalid) throw f.invalid->second;
    if (invalid_) invalid(std::move(invalid_->second));
    if (f.backend) throw f.backend->second;
    return std::move(m_);
  }

 private:
  void sections(Reader &r) {
    const size_t size = m_.bytes.size();
    // Sections come in this order, each at most once; custom sections anywhere (spec 5.5.2).
    static constexpr int kOrder[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 10};  // id 12 before 10
    int lastRank = 0;
    uint32_t funcCount = 0;
    while (!r.atEnd()) {
      uint8_t id = r.u8();
      if (id == 13) unsupported(kExceptionHandling);  // the tag section (3.0)
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
    // In the reference's order, once every section has decoded (spec 5.5.16).
    if (funcCount != m_.bodies.size()) malformed("function and code section have inconsistent lengths");
    if (m_.dataCount && *m_.dataCount != m_.datas.size())
      malformed("data count and data section have inconsistent lengths");
    if (m_.memories.size() > 1) invalidLater(Phase::MemoryCount, "multiple memories");
  }

  // The reference decodes the whole module before it validates (spec 5 before 3), and validates in
  // validateModule's order (spec 3.4.10): a field found invalid while decoding is reported only once
  // every section has decoded, so a later malformation wins, and of two invalid fields the one the
  // reference validates first.
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
    // Bit 1: shared (threads); bit 2: 64-bit addresses (memory64), which the reference decodes.
    if (flags <= 7 && (flags & 2)) unsupported("threads (shared memory)");
    if (flags == 4 || flags == 5) unsupported("memory64");
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

  /** A constant expression, decoded to its `end` (spec 5.4.9): its instructions at its own level
   *  (a nested one is inside a block, which is not constant anyway), checked by checkConst. */
  std::vector<ConstExpr> constExpr(Reader &r) {
    ExprDecoder d(r);
    std::vector<ConstExpr> instrs;
    for (;;) {
      bool top = d.depth() == 0;
      Op op = d.next();
      if (d.done()) return instrs;
      if (!top) continue;
      const Immediates &imm = d.imm();
      ConstExpr e{op, imm.bits, ValType::I32};
      switch (op) {
        case Op::I64Const: e.type = ValType::I64; break;
        case Op::F32Const: e.type = ValType::F32; break;
        case Op::F64Const: e.type = ValType::F64; break;
        case Op::V128Const:
          e.type = ValType::V128;
          std::memcpy(&e.bits, imm.bytes.data(), 8);
          std::memcpy(&e.hi, imm.bytes.data() + 8, 8);
          break;
        case Op::RefNull: e.type = imm.type; break;
        case Op::RefFunc:
          // C.refs (spec 3.4.10): functions named in the module's constant expressions.
          e.bits = imm.x;
          e.type = ValType::FuncRef;
          if (imm.x < m_.funcs.size()) m_.declaredRefs[imm.x] = true;
          break;
        case Op::GlobalGet:
          e.bits = imm.x;
          if (imm.x < m_.globals.size()) e.type = m_.globals[imm.x].type;
          break;
        default: break;
      }
      instrs.push_back(e);
    }
  }
  /** The reference's check of a constant expression (validate.ts validateConst): every instruction
   *  constant, in order, then all of them typed [] → [expected] (spec 3.3.10). A global.get reads
   *  one of the first `globals` globals: global initialisers see the imported ones only (3.4.10). */
  std::optional<std::string> checkConst(const std::vector<ConstExpr> &instrs, ValType expected, size_t globals) const {
    for (const ConstExpr &e : instrs) {
      switch (e.op) {
        case Op::I32Const: case Op::I64Const: case Op::F32Const: case Op::F64Const: case Op::V128Const:
        case Op::RefNull: case Op::RefFunc:
          break;
        case Op::GlobalGet:
          if (e.bits >= globals) return "unknown global " + std::to_string(e.bits);
          if (m_.globals[e.bits].mut) return "constant expression required";
          break;
        default:
          return "constant expression required";
      }
    }
    for (const ConstExpr &e : instrs) {
      if (e.op == Op::RefFunc && e.bits >= m_.funcs.size()) return "unknown function " + std::to_string(e.bits);
    }
    if (instrs.size() != 1 || instrs[0].type != expected) return "type mismatch";
    return std::nullopt;
  }
  void checkConstLater(Phase phase, const std::vector<ConstExpr> &instrs, ValType expected, size_t globals) {
    if (auto message = checkConst(instrs, expected, globals)) invalidLater(phase, std::move(*message));
  }
  /** What the module keeps of a constant expression: its one instruction when valid. */
  static ConstExpr single(const std::vector<ConstExpr> &instrs) { return instrs.empty() ? ConstExpr{} : instrs[0]; }

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
          if (im.typeIndex >= m_.types.size()) invalidLater(Phase::Imports, "unknown type");
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
        case WASMO_EXTERN_TAG:
          // A 3.0 exception tag, as the reference reads it: an attribute byte (0, exception), then its
          // type, which must have no results. The compiler refuses tags (not supported yet).
          if (r.u8() != 0) malformed("zero byte expected");
          im.typeIndex = r.u32();
          if (im.typeIndex >= m_.types.size()) invalidLater(Phase::Imports, "unknown type");
          else if (!m_.types[im.typeIndex].results.empty()) invalidLater(Phase::Imports, "non-empty tag result type");
          break;
        default:
          malformed("malformed import kind");
      }
      m_.addImport(std::move(im));
    }
    m_.declaredRefs.assign(m_.funcs.size(), false);
  }
  uint32_t functionSection(Reader &r) {
    uint32_t n = r.len();
    checkLimit(kMaxFunctions, n);
    for (uint32_t i = 0; i < n; i++) {
      uint32_t t = r.u32();
      if (t >= m_.types.size()) invalidLater(Phase::Funcs, "unknown type");
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
  }
  void globalSection(Reader &r) {
    if (m_.declaredRefs.size() != m_.funcs.size()) m_.declaredRefs.assign(m_.funcs.size(), false);
    uint32_t n = r.len();
    checkLimit(kMaxGlobals, n);
    for (uint32_t i = 0; i < n; i++) {
      GlobalType g = globalType(r);
      std::vector<ConstExpr> init = constExpr(r);
      checkConstLater(Phase::Globals, init, g.type, m_.importedGlobals);
      m_.globalInits.push_back(single(init));
      m_.globals.push_back(g);
    }
  }
  void exportSection(Reader &r) {
    uint32_t n = r.len();
    checkLimit(kMaxExports, n);
    // kMaxExports of them: a linear search each is quadratic. The set holds views of the names in
    // the module's bytes (no copies), its room made once, for as many as the section can hold (an
    // export takes 3 bytes at least), whatever count it claims.
    const size_t room = std::min<size_t>(n, (r.limit() - r.pos()) / 3);
    std::unordered_set<std::string_view> names;
    names.reserve(room);
    m_.exports.reserve(room);
    for (uint32_t i = 0; i < n; i++) {
      Export e;
      e.name = r.name();
      std::string_view name(reinterpret_cast<const char *>(m_.bytes.data()) + r.pos() - e.name.size(), e.name.size());
      e.kind = r.u8();
      size_t bound = 0;
      const char *what = "";
      switch (e.kind) {
        case WASMO_EXTERN_FUNC: bound = m_.funcs.size(); what = "unknown function "; break;
        case WASMO_EXTERN_TABLE: bound = m_.tables.size(); what = "unknown table "; break;
        case WASMO_EXTERN_MEMORY: bound = m_.memories.size(); what = "unknown memory "; break;
        case WASMO_EXTERN_GLOBAL: bound = m_.globals.size(); what = "unknown global "; break;
        case WASMO_EXTERN_TAG: bound = m_.tags.size(); what = "unknown tag "; break;
        default: malformed("malformed export kind");
      }
      e.index = r.u32();
      if (e.index >= bound) invalidLater(Phase::Exports, what + std::to_string(e.index));
      else if (e.kind == WASMO_EXTERN_FUNC) m_.declaredRefs[e.index] = true;
      if (!names.insert(name).second) invalidLater(Phase::Exports, "duplicate export name");
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
      std::vector<ConstExpr> offset;
      if (active) {
        if (flags & 2) seg.table = r.u32();
        seg.mode = SegmentMode::Active;
        offset = constExpr(r);
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
        std::vector<ConstExpr> init;
        if (exprs) {
          init = constExpr(r);
        } else {
          uint32_t f = r.u32();
          if (f < m_.funcs.size()) m_.declaredRefs[f] = true;
          init.push_back(ConstExpr{Op::RefFunc, f, ValType::FuncRef});
        }
        // In the reference's order (validate.ts): the initialisers, the table, the offset.
        checkConstLater(Phase::Elems, init, seg.type, m_.globals.size());
        seg.init.push_back(single(init));
      }
      if (active) {
        if (seg.table >= m_.tables.size()) invalidLater(Phase::Elems, "unknown table " + std::to_string(seg.table));
        else if (m_.tables[seg.table].elem != seg.type) invalidLater(Phase::Elems, "type mismatch");
        checkConstLater(Phase::Elems, offset, ValType::I32, m_.globals.size());
        seg.offset = single(offset);
      }
      m_.elems.push_back(std::move(seg));
    }
  }
  void codeSection(Reader &r) {
    uint32_t n = r.len();
    for (uint32_t i = 0; i < n; i++) {
      uint32_t size = r.len();
      checkLimit(kMaxFunctionSize, size);
      m_.bodies.push_back(FunctionBody{r.pos(), r.pos() + size});
      r.skip(size);
    }
  }
  /** Bodies are validated unless the module is invalid already in an earlier phase (an unknown
   *  function type, say), which their validity could not change; they are decoded anyway, for their
   *  malformations. */
  bool validateBodies() const { return !invalid_ || invalid_->first >= Phase::Bodies; }
  /** Decodes (and validates when `validate`) a body with the validate-only backend. */
  void decodeBody(uint32_t func, bool validate) const {
    ValidateOnly backend;
    FunctionDecoder<ValidateOnly>(m_, func, backend, validate).run();
  }
  /** Whether a body holds a data index (FunctionDecoder::usesDataIndex): a module without a data
   *  count section is then malformed (spec 5.5.16). Called when every body decodes. */
  bool dataIndexInCode() const {
    for (uint32_t k = 0; k < m_.bodies.size(); k++) {
      ValidateOnly backend;
      FunctionDecoder<ValidateOnly> decoder(m_, m_.importedFuncs + k, backend, false);
      decoder.run();
      if (decoder.usesDataIndex()) return true;
    }
    return false;
  }

  // The first failure of each kind, by function index.
  using Failure = std::optional<std::pair<uint32_t, CompileError>>;
  struct BodyFailures {
    Failure decode;   // malformed, or a decoder's refusal: outranks every invalidity
    Failure invalid;
    Failure backend;  // a compiler's refusal of a body that validates
  };

  /** Decodes every body once (validating when `validate`), on up to pass.threads threads taking the
   *  next body as they finish one. The calling thread is worker 0 and reports progress. */
  BodyFailures runBodies(const BodyPass &pass, bool validate) const {
    const uint32_t total = static_cast<uint32_t>(m_.bodies.size());
    BodyFailures f;
    std::mutex mu;
    std::atomic<uint32_t> next{0}, done{0};
    // Past a decode failure nothing can outrank it; after any failure, nothing needs compiling.
    std::atomic<uint32_t> decodeStop{UINT32_MAX};
    std::atomic<bool> failed{false};
    bool reported = false;  // by worker 0
    auto record = [&](Failure BodyFailures::*kind, uint32_t k, CompileError e) {
      std::lock_guard<std::mutex> lock(mu);
      Failure &slot = f.*kind;
      if (!slot || k < slot->first) slot.emplace(k, std::move(e));
      if (kind == &BodyFailures::decode && k < decodeStop) decodeStop = k;
      failed = true;
    };
    // A body the decoder accepts but the compiler refuses is the compiler's failure.
    auto classify = [&](uint32_t k, CompileError e) {
      try {
        decodeBody(m_.importedFuncs + k, true);
      } catch (const CompileError &v) {
        return record(v.status == WASMO_INVALID ? &BodyFailures::invalid : &BodyFailures::decode, k, v);
      } catch (...) {
      }
      record(&BodyFailures::backend, k, std::move(e));
    };
    const bool compile = pass.compiler && !invalid_;
    auto work = [&](unsigned worker) {
      std::unique_ptr<BodyCompiler> compiler;
      auto lastReport = std::chrono::steady_clock::now();
      try {
        if (compile) compiler = pass.compiler(m_, worker);
      } catch (const CompileError &e) {
        record(&BodyFailures::backend, 0, e);
      } catch (...) {
        record(&BodyFailures::backend, 0, CompileError{WASMO_INTERNAL, "out of memory"});
      }
      for (uint32_t k; (k = next++) < total && k <= decodeStop;) {
        try {
          if (compiler && !failed) compiler->compile(m_.importedFuncs + k);
          else decodeBody(m_.importedFuncs + k, validate);
        } catch (const CompileError &e) {
          if (compiler) classify(k, e);
          else record(e.status == WASMO_INVALID ? &BodyFailures::invalid : &BodyFailures::decode, k, e);
        } catch (...) {
          classify(k, currentCompileError());
        }
        uint32_t n = ++done;
        if (worker == 0 && pass.progress) {
          auto now = std::chrono::steady_clock::now();
          if (now - lastReport >= std::chrono::milliseconds(100)) {
            lastReport = now;
            reported = true;
            pass.progress(n, total);
          }
        }
      }
    };
    // A thread costs tens of microseconds: one per 64 KiB of code at most.
    size_t codeBytes = total == 0 ? 0 : m_.bodies[total - 1].end - m_.bodies[0].begin;
    unsigned n = std::max<unsigned>(1, std::min<size_t>({compileThreads(pass.threads), total, codeBytes / 65536 + 1}));
    runWorkers(n, work);
    if (reported) pass.progress(total, total);
    return f;
  }
  void dataSection(Reader &r) {
    uint32_t n = r.len();
    checkLimit(kMaxDataSegments, n);
    for (uint32_t i = 0; i < n; i++) {
      DataSegment seg;
      uint32_t flags = r.u32();
      if (flags > 2) malformed("malformed data segment kind");
      if (flags != 1) {
        seg.mode = SegmentMode::Active;
        if (flags == 2) seg.memory = r.u32();
        if (seg.memory >= m_.memories.size()) invalidLater(Phase::Datas, "unknown memory " + std::to_string(seg.memory));
        std::vector<ConstExpr> offset = constExpr(r);
        checkConstLater(Phase::Datas, offset, ValType::I32, m_.globals.size());
        seg.offset = single(offset);
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
};

}  // namespace

unsigned compileThreads(unsigned requested) {
  if (requested != 0) return requested;
  return std::max(1u, std::thread::hardware_concurrency());
}

void runWorkers(unsigned n, const std::function<void(unsigned worker)> &work) {
  std::vector<std::thread> threads;
  threads.reserve(n - 1);
  try {
    for (unsigned w = 1; w < n; w++) threads.emplace_back(work, w);
  } catch (const std::system_error &) {
    // No more threads: the ones running and this one do the work.
  }
  work(0);
  for (std::thread &t : threads) t.join();
}

Module decodeModule(std::span<const uint8_t> bytes, const BodyPass &pass) {
  checkLimit(kMaxModuleSize, bytes.size());  // before the bytes are copied
  Module m = ModuleDecoder(bytes).run(pass);
  if (m.declaredRefs.size() != m.funcs.size()) m.declaredRefs.assign(m.funcs.size(), false);
  return m;
}

}  // namespace wasmo
