// Writing artifacts (artifact.h): FlatBuffers for the metadata, the ELF headers by hand.
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include <flatbuffers/flatbuffers.h>

#include "artifact/artifact.h"
#include "artifact/checksum.h"
#include "artifact/compat.h"
#include "artifact/elf_layout.h"
#include "artifact/module_generated.h"
#include "artifact/types_generated.h"

namespace wasmo {

namespace {

uint8_t code(ValType t) { return static_cast<uint8_t>(t); }

fb::Limits limits(const Limits &l) { return fb::Limits(l.min, l.max.value_or(0), l.max.has_value()); }
fb::TableType tableType(const TableType &t) { return fb::TableType(limits(t.limits), code(t.elem)); }
fb::GlobalType globalType(const GlobalType &g) { return fb::GlobalType(code(g.type), g.mut); }
fb::ConstExpr constExpr(const ConstExpr &e) {
  return fb::ConstExpr(e.bits, e.hi, static_cast<uint16_t>(e.op), code(e.type));
}

template <class T>
std::vector<uint8_t> finished(flatbuffers::FlatBufferBuilder &b, flatbuffers::Offset<T> root) {
  b.Finish(root);
  return {b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize()};
}

std::vector<uint8_t> typesSection(const Module &m) {
  flatbuffers::FlatBufferBuilder b;
  std::vector<flatbuffers::Offset<fb::FuncType>> types;
  for (const FuncType &ft : m.types) {
    std::vector<uint8_t> params, results;
    for (ValType t : ft.params) params.push_back(code(t));
    for (ValType t : ft.results) results.push_back(code(t));
    types.push_back(fb::CreateFuncTypeDirect(b, &params, &results));
  }
  return finished(b, fb::CreateTypesDirect(b, &types));
}

/** The module section; `rodata` receives the data segments' bytes, from `segments` (what their
 *  ranges are in). */
std::vector<uint8_t> moduleSection(const Module &m, std::span<const uint8_t> segments, const CompiledCode &c,
                                   std::vector<uint8_t> &rodata) {
  flatbuffers::FlatBufferBuilder b;
  std::vector<flatbuffers::Offset<fb::Import>> imports;
  for (const Import &im : m.imports) {
    fb::TableType table = tableType(im.table);
    fb::Limits memory = limits(im.memory.limits);
    fb::GlobalType global = globalType(im.global);
    imports.push_back(fb::CreateImportDirect(b, im.module.c_str(), im.name.c_str(), im.kind, im.typeIndex, &table,
                                             &memory, &global));
  }
  std::vector<uint32_t> funcs(m.funcs.begin() + m.importedFuncs, m.funcs.end());
  std::vector<fb::TableType> tables;
  for (size_t i = m.importedTables; i < m.tables.size(); i++) tables.push_back(tableType(m.tables[i]));
  std::vector<fb::Limits> memories;
  for (size_t i = m.importedMemories; i < m.memories.size(); i++) memories.push_back(limits(m.memories[i].limits));
  std::vector<fb::GlobalType> globals;
  for (size_t i = m.importedGlobals; i < m.globals.size(); i++) globals.push_back(globalType(m.globals[i]));
  std::vector<fb::ConstExpr> globalInits;
  for (const ConstExpr &e : m.globalInits) globalInits.push_back(constExpr(e));
  std::vector<flatbuffers::Offset<fb::Export>> exports;
  for (const Export &ex : m.exports) exports.push_back(fb::CreateExportDirect(b, ex.name.c_str(), ex.kind, ex.index));
  std::vector<flatbuffers::Offset<fb::ElemSegment>> elems;
  for (const ElemSegment &seg : m.elems) {
    std::vector<fb::ConstExpr> init;
    for (const ConstExpr &e : seg.init) init.push_back(constExpr(e));
    fb::ConstExpr offset = constExpr(seg.offset);
    elems.push_back(fb::CreateElemSegmentDirect(b, static_cast<uint8_t>(seg.mode), seg.table, &offset, code(seg.type),
                                                &init));
  }
  std::vector<fb::DataSegment> datas;
  for (const DataSegment &seg : m.datas) {
    uint64_t begin = rodata.size();
    rodata.insert(rodata.end(), segments.begin() + static_cast<std::ptrdiff_t>(seg.begin),
                  segments.begin() + static_cast<std::ptrdiff_t>(seg.end));
    datas.emplace_back(constExpr(seg.offset), begin, rodata.size(), seg.memory, static_cast<uint8_t>(seg.mode));
  }
  std::vector<flatbuffers::Offset<fb::FuncName>> funcNames;
  for (const auto &[index, name] : m.funcNames) funcNames.push_back(fb::CreateFuncNameDirect(b, index, name.c_str()));
  std::vector<fb::TieredFunction> tiered;
  for (const TieredFunction &f : c.tieredFunctions) {
    tiered.emplace_back(f.tier == Tier::Optimizing ? 1 : 0, f.begin, f.end, f.entry, f.entrySize);
  }
  return finished(b, fb::CreateModuleInfoDirect(b, &imports, &funcs, &tables, &memories, &globals, &globalInits,
                                                &exports, m.start.value_or(0), m.start.has_value(), &elems, &datas,
                                                &c.functionOffsets, &funcNames, c.entrySizes.empty() ? nullptr : &c.entrySizes,
                                                c.tier == Tier::Tiered ? &tiered : nullptr));
}

struct Section {
  const char *name;
  uint32_t type;
  uint64_t flags;
  size_t align;
  std::span<const uint8_t> bytes;
  uint32_t link = 0, info = 0;
  size_t entsize = 0, offset = 0, nameOffset = 0;
};

// Section header indices (the null section is 0).
enum : uint16_t { kChecksumIndex = 5, kShstrtabIndex = 6, kStrtabIndex = 8, kTextIndex = 10 };

/**
 * A local function symbol "wasm-function[i]" (V8's name in stack traces) per defined function, and
 * one per optimized block of tiered code, so objdump and perf show where each function starts;
 * `strtab` receives the names.
 */
std::vector<uint8_t> symbolTable(const Module &m, const CompiledCode &c, std::vector<uint8_t> &strtab) {
  std::vector<Elf64_Sym> syms(1);  // index 0: the null symbol
  strtab.push_back(0);
  auto symbol = [&](size_t k, uint64_t begin, uint64_t end) {
    std::string name = "wasm-function[" + std::to_string(m.importedFuncs + k) + "]";
    Elf64_Sym sym{};
    sym.st_name = static_cast<uint32_t>(strtab.size());
    sym.st_info = ELF64_ST_INFO(STB_LOCAL, STT_FUNC);
    sym.st_shndx = kTextIndex;
    sym.st_value = begin;
    sym.st_size = end - begin;
    strtab.insert(strtab.end(), name.c_str(), name.c_str() + name.size() + 1);
    syms.push_back(sym);
  };
  uint64_t singlepassEnd = c.code.size();
  for (const TieredFunction &f : c.tieredFunctions)
    if (f.tier == Tier::Optimizing) singlepassEnd = std::min<uint64_t>(singlepassEnd, f.begin);
  for (size_t k = 0; k < c.functionOffsets.size(); k++) {
    symbol(k, c.functionOffsets[k], k + 1 < c.functionOffsets.size() ? c.functionOffsets[k + 1] : singlepassEnd);
  }
  for (size_t k = 0; k < c.tieredFunctions.size(); k++) {
    if (c.tieredFunctions[k].tier == Tier::Optimizing) symbol(k, c.tieredFunctions[k].begin, c.tieredFunctions[k].end);
  }
  std::vector<uint8_t> out(syms.size() * sizeof(Elf64_Sym));
  std::memcpy(out.data(), syms.data(), out.size());
  return out;
}

template <class T>
void put(std::span<uint8_t> out, size_t at, const T &value) {
  std::memcpy(out.data() + at, &value, sizeof value);
}

/** writeArtifact, with the data segments' bytes in `segments` and, for tiered code, the module's
 *  binary `wasm`. */
std::unique_ptr<CodeMemory> write(const Module &m, std::span<const uint8_t> segments, const CompiledCode &code,
                                  std::span<const uint8_t> wasm) {
  using namespace elf;
  flatbuffers::FlatBufferBuilder compatBuilder;
  std::vector<uint8_t> compat =
      finished(compatBuilder, buildCompat(compatBuilder, code.cpuFeatures, code.tier, code.meterFuel, code.boundsChecks));
  std::vector<uint8_t> types = typesSection(m);
  std::vector<uint8_t> rodata;
  std::vector<uint8_t> moduleInfo = moduleSection(m, segments, code, rodata);
  static constexpr uint8_t kZeros[8] = {};
  std::vector<uint8_t> strtab;
  std::vector<uint8_t> symtab = symbolTable(m, code, strtab);
  std::vector<uint8_t> names;
  std::vector<Section> sections = {
      {kCompat, SHT_PROGBITS, 0, kMetaAlign, compat},
      {kTypes, SHT_PROGBITS, 0, kMetaAlign, types},
      {kModule, SHT_PROGBITS, 0, kMetaAlign, moduleInfo},
      {kRodata, SHT_PROGBITS, SHF_ALLOC, 16, rodata},
      {kChecksum, SHT_PROGBITS, 0, 8, kZeros},
      {kShstrtab, SHT_STRTAB, 0, 1, {}},
      // sh_info of a symbol table: the index of its first global symbol (there are none).
      {kSymtab, SHT_SYMTAB, 0, 8, symtab, kStrtabIndex, static_cast<uint32_t>(symtab.size() / sizeof(Elf64_Sym)),
       sizeof(Elf64_Sym)},
      {kStrtab, SHT_STRTAB, 0, 1, strtab},
      {kWasm, SHT_PROGBITS, 0, 1, wasm},
      {kText, SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, kPage, code.code},
  };
  static_assert(kTextIndex == 10, "section header index = position in `sections` + 1");
  names.push_back(0);  // index 0: the empty name of the null section
  for (Section &s : sections) {
    s.nameOffset = names.size();
    names.insert(names.end(), s.name, s.name + std::strlen(s.name) + 1);
  }
  sections[kShstrtabIndex - 1].bytes = names;

  // Layout: ELF header, the sections but .text in order, the section header table, .text on its own pages.
  size_t at = sizeof(Elf64_Ehdr);
  for (Section &s : sections) {
    if (&s == &sections.back()) break;
    s.offset = at = alignUp(at, s.align);
    at += s.bytes.size();
  }
  size_t shoff = alignUp(at, 8);
  const size_t shnum = sections.size() + 1;
  Section &text = sections.back();
  text.offset = alignUp(shoff + shnum * sizeof(Elf64_Shdr), kPage);
  // Written straight into the image that will be loaded: the code is copied once. The mapping
  // starts zeroed, which is every padding byte's value.
  return CodeMemory::create(text.offset + alignUp(text.bytes.size(), kPage), [&](std::span<uint8_t> out) {
    Elf64_Ehdr eh{};
    std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS64;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_ident[EI_VERSION] = EV_CURRENT;
    eh.e_ident[EI_OSABI] = ELFOSABI_NONE;
    eh.e_type = ET_REL;
    eh.e_machine = EM_X86_64;
    eh.e_version = EV_CURRENT;
    eh.e_ehsize = sizeof(Elf64_Ehdr);
    eh.e_shentsize = sizeof(Elf64_Shdr);
    eh.e_shoff = shoff;
    eh.e_shnum = static_cast<uint16_t>(shnum);
    eh.e_shstrndx = kShstrtabIndex;
    put(out, 0, eh);
    for (size_t i = 0; i < sections.size(); i++) {
      const Section &s = sections[i];
      std::copy(s.bytes.begin(), s.bytes.end(), out.begin() + static_cast<std::ptrdiff_t>(s.offset));  // no memcpy: an empty section has no data()
      Elf64_Shdr sh{};
      sh.sh_name = static_cast<uint32_t>(s.nameOffset);
      sh.sh_type = s.type;
      sh.sh_flags = s.flags;
      sh.sh_offset = s.offset;
      sh.sh_size = s.bytes.size();
      sh.sh_addralign = s.align;
      sh.sh_link = s.link;
      sh.sh_info = s.info;
      sh.sh_entsize = s.entsize;
      put(out, shoff + (i + 1) * sizeof(Elf64_Shdr), sh);
    }
    const size_t checksumAt = sections[kChecksumIndex - 1].offset;
    put(out, checksumAt, artifactChecksum(out, checksumAt));
  });
}

}  // namespace

std::unique_ptr<CodeMemory> writeArtifact(const Module &m, const CompiledCode &code) {
  return write(m, m.bytes, code, code.tier == Tier::Tiered ? std::span<const uint8_t>(m.bytes) : std::span<const uint8_t>());
}

std::unique_ptr<CodeMemory> writeTieredArtifact(const CompiledModule &c) {
  std::vector<TierUp::Compiled> compiled = c.tierUp->compiled();
  if (compiled.empty()) return nullptr;
  CompiledCode code;
  code.tier = Tier::Tiered;
  code.cpuFeatures = c.cpuFeatures;
  code.meterFuel = c.meterFuel;
  code.boundsChecks = c.boundsChecks;
  code.functionOffsets = c.functionOffsets;
  code.tieredFunctions = c.tieredFunctions;
  // The singlepass code as it is, then every optimized block by function: those the artifact
  // brought, from it, and those compiled since.
  std::span<const uint8_t> text(c.code->base(), c.ranges.empty() ? 0 : c.ranges.back().end);
  uint64_t singlepassEnd = text.size();
  for (const TieredFunction &f : c.tieredFunctions)
    if (f.tier == Tier::Optimizing) singlepassEnd = std::min<uint64_t>(singlepassEnd, f.begin);
  code.code.assign(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(singlepassEnd));
  std::vector<std::span<const uint8_t>> blocks(c.tieredFunctions.size());
  for (size_t k = 0; k < c.tieredFunctions.size(); k++) {
    const TieredFunction &f = c.tieredFunctions[k];
    if (f.tier == Tier::Optimizing) blocks[k] = text.subspan(f.begin, f.end - f.begin);
  }
  std::vector<uint32_t> entries(c.tieredFunctions.size()), entrySizes(c.tieredFunctions.size());
  for (size_t k = 0; k < c.tieredFunctions.size(); k++) {
    entries[k] = c.tieredFunctions[k].entry - c.tieredFunctions[k].begin;
    entrySizes[k] = c.tieredFunctions[k].entrySize;
  }
  for (const TierUp::Compiled &f : compiled) {
    blocks[f.func] = f.code;
    entries[f.func] = f.entry;
    entrySizes[f.func] = f.entrySize;
    code.cpuFeatures |= f.cpuFeatures;
  }
  for (size_t k = 0; k < blocks.size(); k++) {
    if (blocks[k].empty()) continue;
    code.code.resize(elf::alignUp(code.code.size(), kOptimizedBlockAlign));
    auto begin = static_cast<uint32_t>(code.code.size());
    code.code.insert(code.code.end(), blocks[k].begin(), blocks[k].end());
    if (code.code.size() > 0x7FFFFFFF) unsupported("more than 2 GiB of code");
    code.tieredFunctions[k] = {Tier::Optimizing, begin, static_cast<uint32_t>(code.code.size()), begin + entries[k], entrySizes[k]};
  }
  return write(c.module, c.data, code, c.wasm);
}

}  // namespace wasmo
