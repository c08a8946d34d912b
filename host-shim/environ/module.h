// The module as the binary decoder sees it (spec 2.5 structure, 5.5 binary format): types, index
// spaces and segments, with function bodies left as byte ranges for the function decoder.
#pragma once
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <new>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "environ/limits.h"
#include "environ/opcodes.h"
#include "include/wasmo.h"

namespace wasmo {

/** A failure with the testsuite's classification and text; the C ABI turns it into a status. */
struct CompileError {
  wasmo_status status;
  std::string message;
};
/** The exception being handled, as a CompileError: itself, else INTERNAL with what it says ("out of
 *  memory" for bad_alloc). Only inside a catch block. */
inline CompileError currentCompileError() noexcept {
  try {
    throw;
  } catch (const CompileError &e) {
    return e;
  } catch (const std::bad_alloc &) {
    return CompileError{WASMO_INTERNAL, "out of memory"};
  } catch (const std::exception &e) {
    return CompileError{WASMO_INTERNAL, e.what()};
  } catch (...) {
    return CompileError{WASMO_INTERNAL, "unknown internal error"};
  }
}
[[noreturn]] inline void malformed(std::string message) { throw CompileError{WASMO_MALFORMED, std::move(message)}; }
[[noreturn]] inline void invalid(std::string message) { throw CompileError{WASMO_INVALID, std::move(message)}; }
/** Refuses `n` things where `limit` allows fewer (environ/limits.h), before allocating for them. */
inline void checkLimit(const Limit &limit, uint64_t n) {
  if (n > limit.max) malformed(limit.message);
}
[[noreturn]] inline void unsupported(std::string what) {
  throw CompileError{WASMO_UNSUPPORTED, "not supported yet: " + what};
}
/** The proposal (3.0) of tags, the tag section and their instructions, refused by that name. */
inline constexpr const char *kExceptionHandling = "exception handling";

enum class ValType : uint8_t {
  I32 = WASMO_I32, I64 = WASMO_I64, F32 = WASMO_F32, F64 = WASMO_F64, V128 = WASMO_V128,
  FuncRef = WASMO_FUNCREF, ExternRef = WASMO_EXTERNREF,
};
inline bool isRef(ValType t) { return t == ValType::FuncRef || t == ValType::ExternRef; }
/** The 64-bit cells a value takes wherever values sit in a row (call arguments and results, the
 *  host slots, the C ABI's vals, compiled frames): a v128 takes two, its low half first. */
inline constexpr size_t cells(ValType t) { return t == ValType::V128 ? 2 : 1; }
/** A value type from its binary code (spec 5.3.4), for module and function decoders alike. */
inline ValType valType(uint8_t code) {
  switch (code) {
    case WASMO_I32: case WASMO_I64: case WASMO_F32: case WASMO_F64: case WASMO_V128:
    case WASMO_FUNCREF: case WASMO_EXTERNREF:
      return static_cast<ValType>(code);
    default:
      malformed("malformed value type");
  }
}

struct FuncType {
  std::vector<ValType> params, results;
  bool operator==(const FuncType &) const = default;
};
struct Limits {
  uint64_t min = 0;
  std::optional<uint64_t> max;
};
struct TableType { ValType elem = ValType::FuncRef; Limits limits; };
struct MemType { Limits limits; };
struct GlobalType { ValType type = ValType::I32; bool mut = false; };

/** A constant expression (spec 3.3.10): one instruction before `end` in WebAssembly 2.0. */
struct ConstExpr {
  Op op = Op::I32Const;  // I32Const, I64Const, F32Const, F64Const, V128Const, RefNull, RefFunc or GlobalGet
  uint64_t bits = 0;     // the constant's bits (a v128's low half), or the function / global index
  ValType type = ValType::I32;
  uint64_t hi = 0;       // a v128's high half
};

struct Import {
  std::string module, name;
  uint8_t kind = WASMO_EXTERN_FUNC;
  uint32_t typeIndex = 0;  // functions and tags
  TableType table;
  MemType memory;
  GlobalType global;
};
struct Export { std::string name; uint8_t kind = WASMO_EXTERN_FUNC; uint32_t index = 0; };

enum class SegmentMode : uint8_t { Passive, Active, Declarative };
struct ElemSegment {
  SegmentMode mode = SegmentMode::Passive;
  uint32_t table = 0;
  ConstExpr offset;
  ValType type = ValType::FuncRef;
  std::vector<ConstExpr> init;
};
struct DataSegment {
  SegmentMode mode = SegmentMode::Passive;
  uint32_t memory = 0;
  ConstExpr offset;
  size_t begin = 0, end = 0;  // the bytes: a range of Module::bytes, or once compiled of CompiledModule::data
};
struct FunctionBody { size_t begin = 0, end = 0; };

struct Module {
  std::vector<uint8_t> bytes;
  std::vector<FuncType> types;
  std::vector<Import> imports;
  // Index spaces, imports first (spec 2.5.1).
  std::vector<uint32_t> funcs;  // type index of each function
  std::vector<TableType> tables;
  std::vector<MemType> memories;
  std::vector<GlobalType> globals;
  uint32_t importedFuncs = 0, importedTables = 0, importedMemories = 0, importedGlobals = 0;
  std::vector<uint32_t> tags;  // type index of each imported tag (3.0 exceptions; not compiled yet)
  std::vector<ConstExpr> globalInits;  // of the defined globals
  std::vector<Export> exports;
  std::optional<uint32_t> start;
  std::vector<ElemSegment> elems;
  std::optional<uint32_t> dataCount;
  std::vector<DataSegment> datas;
  std::vector<FunctionBody> bodies;  // of the defined functions
  // The name section's function names (spec appendix 7.4), for traces; by function index.
  std::map<uint32_t, std::string> funcNames;

  /** Records an import and its entry in its kind's index space (imports come first, spec 2.5.1). */
  void addImport(Import im) {
    switch (im.kind) {
      case WASMO_EXTERN_FUNC: funcs.push_back(im.typeIndex); importedFuncs++; break;
      case WASMO_EXTERN_TABLE: tables.push_back(im.table); importedTables++; break;
      case WASMO_EXTERN_MEMORY: memories.push_back(im.memory); importedMemories++; break;
      case WASMO_EXTERN_GLOBAL: globals.push_back(im.global); importedGlobals++; break;
      case WASMO_EXTERN_TAG: tags.push_back(im.typeIndex); break;
      default: break;  // callers reject other kinds before recording
    }
    imports.push_back(std::move(im));
  }
  // C.refs (spec 3.4.10): functions a ref.func in a function body may name.
  std::vector<bool> declaredRefs;

  const FuncType &funcType(uint32_t func) const { return types[funcs[func]]; }
};

/** Decodes, validates and compiles function bodies one at a time, on one worker thread. */
class BodyCompiler {
 public:
  virtual ~BodyCompiler() = default;
  /** Function `func`'s body: throws CompileError as FunctionDecoder does, or a backend's refusal. */
  virtual void compile(uint32_t func) = 0;
};

/** How decodeModule goes over the function bodies, which it does last, on worker threads. */
struct BodyPass {
  /** At most this many threads (0: one per hardware thread); the verdict does not depend on it. */
  unsigned threads = 1;
  /** The compiler of worker `worker` (< threads), made on its thread; none: validate only. Not
   *  called when validation already failed. */
  std::function<std::unique_ptr<BodyCompiler>(const Module &, unsigned worker)> compiler;
  /** Called on the calling thread every ~100 ms with the bodies done and their total, and at the
   *  end with both equal if it was called before. */
  std::function<void(uint32_t done, uint32_t total)> progress;
};

/** Threads for `requested` (0: one per hardware thread). */
unsigned compileThreads(unsigned requested);

/** Runs work(worker) for workers 0 to n - 1 at once, worker 0 on the calling thread, and returns when
 *  all are done; when no more threads can be started, the workers started so far do the work. */
void runWorkers(unsigned n, const std::function<void(unsigned worker)> &work);

/**
 * Decodes the module's sections (spec 5.5) and validates it (spec 3.4), function bodies on
 * `pass.threads` threads with `pass.compiler`. Throws CompileError: the verdict is the same
 * whatever the threads, that of decoding in order then validating (see ModuleDecoder), and a
 * compiler's refusal (UNSUPPORTED, INTERNAL) comes only for a valid module, for the first function
 * it refuses.
 */
Module decodeModule(std::span<const uint8_t> bytes, const BodyPass &pass = {});

}  // namespace wasmo
