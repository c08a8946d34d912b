#include "runtime/instance.h"

#include <algorithm>
#include <cstddef>
#include <cstring>

#include "runtime/traps.h"
#include "runtime/types.h"

namespace wasmo {

static_assert(offsetof(Instance, vmctx) == 0, "Instance::of relies on the VMContext coming first");

namespace {

// Libcalls run on the wasm stack and may trap by siglongjmp: they check everything before they
// allocate or change anything, and hold no objects with destructors when they trap.

[[noreturn]] void trap(TrapCode code) { raiseTrap(static_cast<uint32_t>(code)); }

// Bounds checks in 64 bits: i + n of two u32 values cannot wrap (spec 4.4.6, 4.4.7).
bool outOfBounds(uint64_t i, uint64_t n, uint64_t size) { return i + n > size; }

int32_t memoryGrow(VMContext *vmctx, uint32_t, uint32_t delta) {
  return Instance::of(vmctx).memory->grow(delta);
}

uint64_t tableGet(VMContext *vmctx, uint32_t t, uint32_t i) {
  VMTable *table = Instance::of(vmctx).tables[t];
  if (i >= table->size) trap(TrapCode::OutOfBoundsTable);
  return table->elems[i];
}

void tableSet(VMContext *vmctx, uint32_t t, uint32_t i, uint64_t ref) {
  VMTable *table = Instance::of(vmctx).tables[t];
  if (i >= table->size) trap(TrapCode::OutOfBoundsTable);
  table->elems[i] = ref;
}

TableInstance &tableInstance(VMContext *vmctx, uint32_t t) {
  Instance &inst = Instance::of(vmctx);
  return *inst.store->tables[inst.tableAddrs[t]];
}

int32_t tableGrow(VMContext *vmctx, uint32_t t, uint64_t ref, uint32_t n) {
  TableInstance &table = tableInstance(vmctx, t);
  uint64_t old = table.vm.size;
  bool grown = false;
  // A failed allocation is a failed grow (-1), not a crash; the exception stays inside this frame.
  try {
    grown = table.grow(n, ref);
  } catch (const std::bad_alloc &) {
  }
  return grown ? static_cast<int32_t>(old) : -1;
}

void tableFill(VMContext *vmctx, uint32_t t, uint32_t i, uint64_t ref, uint32_t n) {
  VMTable *table = Instance::of(vmctx).tables[t];
  if (outOfBounds(i, n, table->size)) trap(TrapCode::OutOfBoundsTable);
  std::fill_n(table->elems + i, n, ref);
}

void tableCopy(VMContext *vmctx, uint32_t dst, uint32_t src, uint32_t d, uint32_t s, uint32_t n) {
  Instance &inst = Instance::of(vmctx);
  VMTable *td = inst.tables[dst], *ts = inst.tables[src];
  if (outOfBounds(s, n, ts->size) || outOfBounds(d, n, td->size)) trap(TrapCode::OutOfBoundsTable);
  std::memmove(td->elems + d, ts->elems + s, size_t{n} * sizeof(uint64_t));
}

void tableInit(VMContext *vmctx, uint32_t e, uint32_t t, uint32_t d, uint32_t s, uint32_t n) {
  Instance &inst = Instance::of(vmctx);
  const std::vector<uint64_t> &elem = inst.elems[e];
  VMTable *table = inst.tables[t];
  if (outOfBounds(s, n, elem.size()) || outOfBounds(d, n, table->size)) trap(TrapCode::OutOfBoundsTable);
  std::copy_n(elem.data() + s, n, table->elems + d);
}

void elemDrop(VMContext *vmctx, uint32_t e) {
  std::vector<uint64_t>().swap(Instance::of(vmctx).elems[e]);
}

void memoryInit(VMContext *vmctx, uint32_t x, uint32_t d, uint32_t s, uint32_t n) {
  Instance &inst = Instance::of(vmctx);
  std::span<const uint8_t> data = inst.datas[x];
  if (outOfBounds(s, n, data.size()) || outOfBounds(d, n, inst.memory->pages() * kPageSize)) {
    trap(TrapCode::OutOfBoundsMemory);
  }
  std::memcpy(inst.memory->base() + d, data.data() + s, n);
}

void dataDrop(VMContext *vmctx, uint32_t x) { Instance::of(vmctx).datas[x] = {}; }

void memoryCopy(VMContext *vmctx, uint32_t d, uint32_t s, uint32_t n) {
  LinearMemory *mem = Instance::of(vmctx).memory;
  uint64_t size = mem->pages() * kPageSize;
  if (outOfBounds(s, n, size) || outOfBounds(d, n, size)) trap(TrapCode::OutOfBoundsMemory);
  std::memmove(mem->base() + d, mem->base() + s, n);
}

void memoryFill(VMContext *vmctx, uint32_t d, uint32_t val, uint32_t n) {
  LinearMemory *mem = Instance::of(vmctx).memory;
  if (outOfBounds(d, n, mem->pages() * kPageSize)) trap(TrapCode::OutOfBoundsMemory);
  std::memset(mem->base() + d, static_cast<int>(val & 0xFF), n);
}

void tierUp(VMContext *vmctx, uint32_t defined) {
  Instance &inst = Instance::of(vmctx);
  inst.compiled->tierUp->request(defined, inst.store->tierUpWait);
}

void *const kLibcalls[] = {
    reinterpret_cast<void *>(raiseTrap),  reinterpret_cast<void *>(memoryGrow),
    reinterpret_cast<void *>(tableGet),   reinterpret_cast<void *>(tableSet),
    reinterpret_cast<void *>(tableGrow),  reinterpret_cast<void *>(tableFill),
    reinterpret_cast<void *>(tableCopy),  reinterpret_cast<void *>(tableInit),
    reinterpret_cast<void *>(elemDrop),   reinterpret_cast<void *>(memoryInit),
    reinterpret_cast<void *>(dataDrop),   reinterpret_cast<void *>(memoryCopy),
    reinterpret_cast<void *>(memoryFill), reinterpret_cast<void *>(tierUp),
};
static_assert(std::size(kLibcalls) == static_cast<size_t>(Libcall::Count));

/** A constant expression's value in store form (spec 4.4.10 evaluation of constant expressions). */
GlobalValue evalConst(const Instance &inst, const ConstExpr &e) {
  switch (e.op) {
    case Op::I32Const: case Op::I64Const: case Op::F32Const: case Op::F64Const: case Op::V128Const: return {e.bits, e.hi};
    case Op::RefNull: return {};
    case Op::RefFunc: return {reinterpret_cast<uint64_t>(inst.funcs[e.bits]), 0};
    case Op::GlobalGet: return {inst.globals[e.bits][0], inst.globals[e.bits][1]};
    default: throw CompileError{WASMO_INTERNAL, std::string("constant expression ") + opName(e.op)};
  }
}

}  // namespace

void instantiate(Store &store, std::shared_ptr<const CompiledModule> compiled, std::span<const uint32_t> imports,
                 uint32_t *exports, uint32_t &start) {
  const Module &m = compiled->module;
  if (m.memories.size() > 1) unsupported("more than one memory");
  if (imports.size() != m.imports.size()) throw CompileError{WASMO_INTERNAL, "import count mismatch"};
  if (compiled->meterFuel != store.meterFuel) {
    throw CompileError{WASMO_INCOMPATIBLE, compiled->meterFuel
                                               ? "incompatible artifact: the code meters fuel, the store does not"
                                               : "incompatible artifact: the code does not meter fuel, the store does"};
  }
  if (compiled->boundsChecks != store.memoryConfig.explicitBoundsChecks()) {
    throw CompileError{WASMO_INCOMPATIBLE,
                       compiled->boundsChecks
                           ? "incompatible artifact: the code checks memory bounds explicitly, the store's memories have guard pages"
                           : "incompatible artifact: the code relies on guard pages, the store's memory reservation and guard are too small for that"};
  }

  store.lastTrace.clear();  // a segment's trap has none
  store.instances.push_back(std::make_unique<Instance>());
  Instance &inst = *store.instances.back();
  inst.store = &store;
  inst.compiled = compiled;
  for (const FuncType &t : m.types) inst.typeIds.push_back(canonicalTypeId(t));

  // Imports, by address (spec 4.5.3.1: imported objects are shared, not copied).
  for (size_t i = 0; i < m.imports.size(); i++) {
    uint32_t addr = imports[i];
    switch (m.imports[i].kind) {
      case WASMO_EXTERN_FUNC: inst.funcAddrs.push_back(addr); break;
      case WASMO_EXTERN_TABLE: inst.tableAddrs.push_back(addr); break;
      case WASMO_EXTERN_MEMORY: inst.memAddrs.push_back(addr); break;
      case WASMO_EXTERN_GLOBAL: inst.globalAddrs.push_back(addr); break;
      default: throw CompileError{WASMO_INTERNAL, "unknown import kind"};
    }
  }
  // Allocation (spec 4.5.3.13): functions first, so ref.func in initialisers can name them.
  for (uint32_t i = m.importedFuncs; i < m.funcs.size(); i++) {
    auto f = std::make_unique<FuncInstance>();
    f->type = m.funcType(i);
    f->store = &store;
    f->ref.code = reinterpret_cast<WasmFunction>(const_cast<uint8_t *>(compiled->code->base()) +
                                                 compiled->functionOffsets[i - m.importedFuncs]);
    f->ref.vmctx = &inst.vmctx;
    f->ref.typeId = inst.typeIds[m.funcs[i]];
    f->ref.addr = static_cast<uint32_t>(store.funcs.size());
    inst.funcAddrs.push_back(f->ref.addr);
    store.funcs.push_back(std::move(f));
  }
  for (uint32_t addr : inst.funcAddrs) inst.funcs.push_back(&store.funcs[addr]->ref);
  for (size_t i = m.importedTables; i < m.tables.size(); i++) inst.tableAddrs.push_back(store.allocTable(m.tables[i], 0));
  for (uint32_t addr : inst.tableAddrs) inst.tables.push_back(&store.tables[addr]->vm);
  for (size_t i = m.importedMemories; i < m.memories.size(); i++) inst.memAddrs.push_back(store.allocMemory(m.memories[i]));
  if (!inst.memAddrs.empty()) inst.memory = store.mems[inst.memAddrs[0]].get();
  for (uint32_t addr : inst.globalAddrs) inst.globals.push_back(store.globals[addr]->value.data());
  // Global initialisers see imported globals only (spec 3.4.10, in 2.0).
  for (size_t i = 0; i < m.globalInits.size(); i++) {
    uint32_t addr = store.allocGlobal(m.globals[m.importedGlobals + i], evalConst(inst, m.globalInits[i]));
    inst.globalAddrs.push_back(addr);
    inst.globals.push_back(store.globals[addr]->value.data());
  }
  for (const ElemSegment &seg : m.elems) {
    std::vector<uint64_t> refs;
    for (const ConstExpr &e : seg.init) refs.push_back(evalConst(inst, e)[0]);
    inst.elems.push_back(std::move(refs));
  }
  for (const DataSegment &seg : m.datas) inst.datas.push_back(compiled->data.subspan(seg.begin, seg.end - seg.begin));

  VMContext &vm = inst.vmctx;
  vm.stackLimit = store.stackLimit();
  vm.fuel = &store.fuel;
  vm.libcalls = kLibcalls;
  vm.funcs = inst.funcs.data();
  vm.tables = inst.tables.data();
  vm.globals = inst.globals.data();
  vm.typeIds = inst.typeIds.data();
  if (inst.memory != nullptr) {
    vm.memoryBase = inst.memory->base();
    vm.memory = inst.memory->vm();
  }
  if (compiled->tier == Tier::Tiered) {
    inst.tierCounters.assign(m.funcs.size() - m.importedFuncs, store.tierUpThreshold);
    vm.tierCounters = inst.tierCounters.data();
    vm.tierCode = compiled->tierUp->entries();
    // From here the instance's VMFuncRefs follow the module's optimized code.
    if (!inst.tierCounters.empty()) compiled->tierUp->registerInstance(inst);
  }

  for (size_t i = 0; i < m.exports.size(); i++) {
    const Export &e = m.exports[i];
    switch (e.kind) {
      case WASMO_EXTERN_FUNC: exports[i] = inst.funcAddrs[e.index]; break;
      case WASMO_EXTERN_TABLE: exports[i] = inst.tableAddrs[e.index]; break;
      case WASMO_EXTERN_MEMORY: exports[i] = inst.memAddrs[e.index]; break;
      case WASMO_EXTERN_GLOBAL: exports[i] = inst.globalAddrs[e.index]; break;
      default: throw CompileError{WASMO_INTERNAL, "unknown export kind"};
    }
  }

  // Initialisation in the 3.0 spec's order (4.5.4): element segments, then data segments, then
  // start; each active segment is table.init/memory.init and a drop, so a trap leaves the earlier
  // segments' writes in place. Declarative segments are dropped.
  for (size_t i = 0; i < m.elems.size(); i++) {
    const ElemSegment &seg = m.elems[i];
    if (seg.mode == SegmentMode::Passive) continue;
    if (seg.mode == SegmentMode::Active) {
      uint64_t d = static_cast<uint32_t>(evalConst(inst, seg.offset)[0]);
      const std::vector<uint64_t> &refs = inst.elems[i];
      TableInstance &table = *store.tables[inst.tableAddrs[seg.table]];
      if (outOfBounds(d, refs.size(), table.vm.size)) throw CompileError{WASMO_UNINSTANTIABLE, trapMessage({TrapCode::OutOfBoundsTable})};
      std::copy(refs.begin(), refs.end(), table.vm.elems + d);
    }
    inst.elems[i].clear();
  }
  for (size_t i = 0; i < m.datas.size(); i++) {
    const DataSegment &seg = m.datas[i];
    if (seg.mode != SegmentMode::Active) continue;
    uint64_t d = static_cast<uint32_t>(evalConst(inst, seg.offset)[0]);
    std::span<const uint8_t> bytes = inst.datas[i];
    if (outOfBounds(d, bytes.size(), inst.memory->pages() * kPageSize)) {
      throw CompileError{WASMO_UNINSTANTIABLE, trapMessage({TrapCode::OutOfBoundsMemory})};
    }
    if (!bytes.empty()) std::memcpy(inst.memory->base() + d, bytes.data(), bytes.size());
    inst.datas[i] = {};
  }
  start = m.start ? inst.funcAddrs[*m.start] : UINT32_MAX;
}

}  // namespace wasmo
