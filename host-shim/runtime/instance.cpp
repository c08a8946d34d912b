#include "runtime/instance.h"

#include <cstddef>
#include <cstring>

#include "runtime/traps.h"

namespace wasmo {

static_assert(offsetof(Instance, vmctx) == 0, "Instance::of relies on the VMContext coming first");

namespace {

int32_t growMemory(VMContext *vmctx, uint32_t delta) {
  Instance &instance = Instance::of(vmctx);
  int32_t old = instance.memory->grow(delta);
  vmctx->memoryPages = instance.memory->pages();
  return old;
}

uint64_t evalConst(const ConstExpr &e) {
  switch (e.op) {
    case Op::I32Const: case Op::I64Const: case Op::F32Const: case Op::F64Const: return e.bits;
    default: unsupported(std::string("constant expression ") + opName(e.op));
  }
}

}  // namespace

std::unique_ptr<Instance> instantiate(std::shared_ptr<const CompiledModule> compiled) {
  const Module &m = compiled->module;
  if (!m.imports.empty()) unsupported("imports");
  if (!m.tables.empty()) unsupported("tables");
  for (const ElemSegment &seg : m.elems)
    if (seg.mode == SegmentMode::Active) unsupported("active element segments");

  auto inst = std::make_unique<Instance>();
  inst->compiled = compiled;
  VMContext &vm = inst->vmctx;
  vm.raiseTrap = raiseTrap;
  vm.memoryGrow = growMemory;
  if (!m.memories.empty()) {
    const Limits &l = m.memories[0].limits;
    inst->memory = std::make_unique<LinearMemory>(l.min, l.max);
    vm.memoryBase = inst->memory->base();
    vm.memoryPages = inst->memory->pages();
  }
  inst->globalCells.resize(m.globals.size());
  for (size_t i = 0; i < m.globalInits.size(); i++) inst->globalCells[i] = evalConst(m.globalInits[i]);
  for (uint64_t &cell : inst->globalCells) inst->globalPointers.push_back(&cell);
  vm.globals = inst->globalPointers.data();
  for (uint32_t offset : compiled->functionOffsets)
    inst->funcs.push_back(reinterpret_cast<WasmFunction>(const_cast<uint8_t *>(compiled->code->base()) + offset));
  vm.funcs = inst->funcs.data();

  // Active data segments are copied in order; one out of bounds traps and stops instantiation
  // (spec 4.5.4, with the bulk-memory semantics: earlier segments stay written).
  for (const DataSegment &seg : m.datas) {
    if (seg.mode != SegmentMode::Active) continue;
    uint64_t offset = static_cast<uint32_t>(evalConst(seg.offset));
    uint64_t len = seg.end - seg.begin;
    uint64_t size = inst->memory->pages() * kPageSize;
    if (offset + len > size) throw CompileError{WASMO_UNINSTANTIABLE, "out of bounds memory access"};
    std::memcpy(inst->memory->base() + offset, m.bytes.data() + seg.begin, len);
  }
  if (m.start) {
    std::string message;
    if (invoke(*inst, *m.start, nullptr, message) != WASMO_OK) throw CompileError{WASMO_UNINSTANTIABLE, message};
  }
  return inst;
}

wasmo_status invoke(Instance &instance, uint32_t func, uint64_t *vals, std::string &message) {
  std::optional<TrapCode> trap = callWasm(&instance.vmctx, instance.funcs[func], vals);
  if (!trap) return WASMO_OK;
  message = trapMessage(*trap);
  return *trap == TrapCode::StackExhausted ? WASMO_EXHAUSTION : WASMO_TRAP;
}

}  // namespace wasmo
