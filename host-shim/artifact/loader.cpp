// Loading artifacts (artifact.h): nothing in the image is used before it is checked, and the code
// is published only when everything else has passed.
#include <algorithm>
#include <cstring>
#include <map>
#include <string>

#include <flatbuffers/flatbuffers.h>

#include "artifact/artifact.h"
#include "artifact/checksum.h"
#include "artifact/compat.h"
#include "artifact/elf_layout.h"
#include "artifact/module_generated.h"
#include "artifact/types_generated.h"

namespace wasmo {

namespace {

[[noreturn]] void corrupted(const std::string &what) {
  throw CompileError{WASMO_MALFORMED, "corrupted artifact: " + what};
}

struct Range {
  size_t offset = 0, size = 0;
};

/** The named sections of the ELF frame, each checked to lie inside the file. */
std::map<std::string, Range> sectionsOf(std::span<const uint8_t> file) {
  using namespace elf;
  Elf64_Ehdr eh;
  if (file.size() < sizeof eh) corrupted("shorter than an ELF header");
  std::memcpy(&eh, file.data(), sizeof eh);
  if (std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0) corrupted("not an ELF file");
  if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB || eh.e_ident[EI_VERSION] != EV_CURRENT ||
      eh.e_type != ET_REL || eh.e_version != EV_CURRENT) {
    corrupted("not a little-endian ELF64 relocatable file");
  }
  if (eh.e_machine != EM_X86_64) {
    throw CompileError{WASMO_INCOMPATIBLE,
                       "incompatible artifact: ELF machine is " + std::to_string(eh.e_machine) + ", this engine's is " +
                           std::to_string(EM_X86_64) + " (x86-64)"};
  }
  if (eh.e_ehsize != sizeof eh || eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_phnum != 0) {
    corrupted("unexpected ELF header sizes");
  }
  if (eh.e_shnum < 2 || eh.e_shnum > kMaxSections || eh.e_shstrndx == 0 || eh.e_shstrndx >= eh.e_shnum) {
    corrupted("section count or name table index out of range");
  }
  if (eh.e_shoff % 8 != 0 || eh.e_shoff > file.size() || file.size() - eh.e_shoff < eh.e_shnum * sizeof(Elf64_Shdr)) {
    corrupted("section header table out of bounds");
  }
  std::vector<Elf64_Shdr> sh(eh.e_shnum);
  std::memcpy(sh.data(), file.data() + eh.e_shoff, eh.e_shnum * sizeof(Elf64_Shdr));
  for (const Elf64_Shdr &s : sh) {
    if (s.sh_offset > file.size() || file.size() - s.sh_offset < s.sh_size) corrupted("section out of bounds");
  }
  const Elf64_Shdr &names = sh[eh.e_shstrndx];
  if (names.sh_type != SHT_STRTAB || names.sh_size == 0 || file[names.sh_offset + names.sh_size - 1] != 0) {
    corrupted("malformed section name table");
  }
  std::map<std::string, Range> out;
  std::vector<Range> all = {{eh.e_shoff, eh.e_shnum * sizeof(Elf64_Shdr)}};
  for (unsigned i = 1; i < eh.e_shnum; i++) {
    const Elf64_Shdr &s = sh[i];
    if (s.sh_name >= names.sh_size) corrupted("section name out of bounds");
    std::string name(reinterpret_cast<const char *>(file.data() + names.sh_offset + s.sh_name));
    bool known = name == kCompat || name == kTypes || name == kModule || name == kRodata || name == kChecksum ||
                 name == kShstrtab || name == kText || name == kSymtab || name == kStrtab || name == kWasm;
    if (!known) corrupted("unknown section " + name);
    if (!out.emplace(name, Range{s.sh_offset, s.sh_size}).second) corrupted("duplicate section " + name);
    // .text is published by whole pages: nothing else may share them.
    all.push_back(name == kText ? Range{s.sh_offset, alignUp(s.sh_size, kPage)} : Range{s.sh_offset, s.sh_size});
  }
  for (const char *name : {kCompat, kTypes, kModule, kRodata, kChecksum, kShstrtab, kText, kWasm}) {
    if (!out.contains(name)) corrupted(std::string("missing section ") + name);
  }
  for (const char *name : {kCompat, kTypes, kModule, kChecksum}) {
    if (out[name].offset % kMetaAlign != 0) corrupted(std::string("misaligned section ") + name);
  }
  if (out[kChecksum].size != 8) corrupted("checksum section is not 8 bytes");
  const Range &text = out[kText];
  if (text.offset % kPage != 0) corrupted("code is not page-aligned");
  if (text.offset > file.size() || alignUp(text.size, kPage) > alignUp(file.size() - text.offset, kPage)) {
    corrupted("code pages out of bounds");
  }
  for (size_t i = 0; i < all.size(); i++) {
    for (size_t j = i + 1; j < all.size(); j++) {
      const Range &a = all[i], &b = all[j];
      if (a.size != 0 && b.size != 0 && a.offset < b.offset + b.size && b.offset < a.offset + a.size) {
        corrupted("overlapping sections");
      }
    }
  }
  return out;
}

template <class T>
const T &verified(std::span<const uint8_t> file, const Range &r, const char *name) {
  flatbuffers::Verifier v(file.data() + r.offset, r.size);
  if (!v.VerifyBuffer<T>(nullptr)) corrupted(std::string("malformed metadata in ") + name);
  return *flatbuffers::GetRoot<T>(file.data() + r.offset);
}

/** Builds the Module from the metadata, checking every index against what it refers to. */
class ModuleReader {
 public:
  ModuleReader(const fb::Types &types, const fb::ModuleInfo &info, std::span<const uint8_t> rodata, size_t codeSize)
      : types_(types), info_(info), rodata_(rodata), codeSize_(codeSize) {}

  /** The module, and into `c` its functions' code: offsets, entry sizes, tiers (of `tier`). */
  Module read(CompiledModule &c) {
    std::vector<uint32_t> &functionOffsets = c.functionOffsets;
    if (types_.types()) {
      for (const fb::FuncType *ft : *types_.types()) {
        FuncType t;
        if (ft->params()) for (uint8_t c : *ft->params()) t.params.push_back(valType(c));
        if (ft->results()) for (uint8_t c : *ft->results()) t.results.push_back(valType(c));
        m_.types.push_back(std::move(t));
      }
    }
    if (info_.imports()) for (const fb::Import *im : *info_.imports()) import(*im);
    if (info_.funcs()) {
      for (uint32_t t : *info_.funcs()) m_.funcs.push_back(typeIndex(t));
    }
    if (info_.tables()) for (const fb::TableType *t : *info_.tables()) m_.tables.push_back(tableType(*t));
    if (info_.memories()) for (const fb::Limits *l : *info_.memories()) m_.memories.push_back(memType(*l));
    if (info_.globals()) for (const fb::GlobalType *g : *info_.globals()) m_.globals.push_back(globalType(*g));
    size_t definedGlobals = m_.globals.size() - m_.importedGlobals;
    if (!info_.global_inits() || info_.global_inits()->size() != definedGlobals) corrupted("global initialisers");
    for (size_t i = 0; i < definedGlobals; i++) {
      m_.globalInits.push_back(constExpr(*info_.global_inits()->Get(static_cast<uint32_t>(i)),
                                         m_.globals[m_.importedGlobals + i].type, m_.importedGlobals));
    }
    if (info_.exports()) for (const fb::Export *ex : *info_.exports()) m_.exports.push_back(exportOf(*ex));
    if (info_.has_start()) m_.start = funcIndex(info_.start());
    if (info_.elems()) for (const fb::ElemSegment *seg : *info_.elems()) m_.elems.push_back(elem(*seg));
    if (info_.datas()) for (const fb::DataSegment *seg : *info_.datas()) m_.datas.push_back(data(*seg));
    m_.declaredRefs.assign(m_.funcs.size(), false);

    const auto *offsets = info_.function_offsets();
    if (!offsets || offsets->size() != m_.funcs.size() - m_.importedFuncs) corrupted("function offsets");
    for (uint32_t offset : *offsets) {
      if (offset >= codeSize_ || (!functionOffsets.empty() && offset <= functionOffsets.back())) {
        corrupted("function offset out of range");
      }
      functionOffsets.push_back(offset);
    }
    // Tiered code: the optimized blocks follow the singlepass functions.
    uint64_t singlepassEnd = tieredFunctions(c);
    const auto *sizes = info_.entry_sizes();
    if (sizes && sizes->size() != functionOffsets.size()) corrupted("entry sizes");
    for (uint32_t k = 0; k < functionOffsets.size(); k++) {
      uint64_t end = k + 1 < functionOffsets.size() ? functionOffsets[k + 1] : singlepassEnd;
      uint32_t entrySize = sizes ? sizes->Get(k) : 0;
      if (entrySize > end - functionOffsets[k]) corrupted("entry size out of range");
      c.ranges.push_back({functionOffsets[k], end, functionOffsets[k], functionOffsets[k] + entrySize, k});
    }
    for (uint32_t k = 0; k < c.tieredFunctions.size(); k++) {
      const TieredFunction &f = c.tieredFunctions[k];
      if (f.tier == Tier::Optimizing) c.ranges.push_back({f.begin, f.end, f.entry, f.entry + f.entrySize, k});
    }
    std::ranges::sort(c.ranges, {}, &FunctionRange::begin);
    if (info_.func_names()) {
      for (const fb::FuncName *n : *info_.func_names()) {
        if (n->name()) m_.funcNames.emplace(n->index(), n->name()->str());
      }
    }
    return std::move(m_);
  }

 private:
  /** Reads the tiered code's per-function record (present exactly when `c.tier` is tiered, one per
   *  defined function, each optimized block after the singlepass code and the one before it, inside
   *  the code, its entry inside it) into `c`; returns where the singlepass code ends. */
  uint64_t tieredFunctions(CompiledModule &c) const {
    const auto *tiered = info_.tiered();
    if ((tiered != nullptr) != (c.tier == Tier::Tiered)) {
      corrupted(tiered ? "per-function tiers in an artifact of " + std::string(tierName(c.tier)) + " code"
                       : std::string("tiered code without its per-function tiers"));
    }
    if (!tiered) return codeSize_;
    if (tiered->size() != c.functionOffsets.size()) {
      corrupted("per-function tiers: " + std::to_string(tiered->size()) + " records for " +
                std::to_string(c.functionOffsets.size()) + " functions");
    }
    uint64_t singlepassEnd = codeSize_, last = c.functionOffsets.empty() ? 0 : c.functionOffsets.back() + uint64_t{1};
    for (uint32_t k = 0; k < tiered->size(); k++) {
      const fb::TieredFunction &r = *tiered->Get(k);
      std::string which = "function " + std::to_string(m_.importedFuncs + k) + "'s tier record: ";
      TieredFunction f{Tier::Singlepass, r.begin(), r.end(), r.entry(), r.entry_size()};
      if (r.tier() == 0) {
        if (f.begin != 0 || f.end != 0 || f.entry != 0 || f.entrySize != 0) corrupted(which + "singlepass with a code block");
      } else if (r.tier() == 1) {
        f.tier = Tier::Optimizing;
        if (f.begin < last || f.begin % kOptimizedBlockAlign != 0 || f.end <= f.begin || f.end > codeSize_) {
          corrupted(which + "code block out of range");
        }
        if (f.entry < f.begin || f.entry >= f.end || f.entrySize > f.end - f.entry) corrupted(which + "entry out of range");
        singlepassEnd = std::min<uint64_t>(singlepassEnd, f.begin);
        last = f.end;
      } else {
        corrupted(which + "unknown tier " + std::to_string(r.tier()));
      }
      c.tieredFunctions.push_back(f);
    }
    return singlepassEnd;
  }

  static ValType valType(uint8_t c) {
    switch (c) {
      case WASMO_I32: case WASMO_I64: case WASMO_F32: case WASMO_F64: case WASMO_V128:
      case WASMO_FUNCREF: case WASMO_EXTERNREF:
        return static_cast<ValType>(c);
      default:
        corrupted("unknown value type " + std::to_string(c));
    }
  }
  static ValType refType(uint8_t c) {
    ValType t = valType(c);
    if (!isRef(t)) corrupted("not a reference type");
    return t;
  }
  static Limits limits(const fb::Limits &l, uint64_t bound) {
    Limits out{l.min(), l.has_max() ? std::optional<uint64_t>(l.max()) : std::nullopt};
    if (out.min > bound || (out.max && (*out.max > bound || *out.max < out.min))) corrupted("limits out of range");
    return out;
  }
  static MemType memType(const fb::Limits &l) { return MemType{limits(l, 65536)}; }
  static TableType tableType(const fb::TableType &t) {
    return TableType{refType(t.elem()), limits(t.limits(), UINT32_MAX)};
  }
  static GlobalType globalType(const fb::GlobalType &g) { return GlobalType{valType(g.type()), g.mutable_()}; }

  uint32_t typeIndex(uint32_t t) const {
    if (t >= m_.types.size()) corrupted("type index out of range");
    return t;
  }
  uint32_t funcIndex(uint64_t f) const {
    if (f >= m_.funcs.size()) corrupted("function index out of range");
    return static_cast<uint32_t>(f);
  }
  static uint32_t below(uint32_t i, size_t n, const char *what) {
    if (i >= n) corrupted(std::string(what) + " index out of range");
    return i;
  }

  void import(const fb::Import &im) {
    if (!im.module_() || !im.name()) corrupted("import without a name");
    Import out;
    out.module = im.module_()->str();
    out.name = im.name()->str();
    out.kind = im.kind();
    switch (im.kind()) {
      case WASMO_EXTERN_FUNC:
        out.typeIndex = typeIndex(im.type_index());
        break;
      case WASMO_EXTERN_TABLE:
        if (!im.table()) corrupted("table import without a type");
        out.table = tableType(*im.table());
        break;
      case WASMO_EXTERN_MEMORY:
        if (!im.memory()) corrupted("memory import without a type");
        out.memory = memType(*im.memory());
        break;
      case WASMO_EXTERN_GLOBAL:
        if (!im.global()) corrupted("global import without a type");
        out.global = globalType(*im.global());
        break;
      default:
        corrupted("unknown import kind");
    }
    m_.addImport(std::move(out));
  }

  /** A constant expression of type `expected` (spec 3.3.10), as the decoder admits them: a global.get
   *  reads one of the first `globals` globals (the imported ones for global initialisers). */
  ConstExpr constExpr(const fb::ConstExpr &e, ValType expected, size_t globals) const {
    ConstExpr out{static_cast<Op>(e.opcode()), e.bits(), valType(e.type()), e.hi()};
    switch (out.op) {
      case Op::I32Const: case Op::I64Const: case Op::F32Const: case Op::F64Const: case Op::V128Const: case Op::RefNull: break;
      case Op::RefFunc: funcIndex(out.bits); break;
      case Op::GlobalGet:
        if (out.bits >= globals || m_.globals[out.bits].type != out.type) corrupted("global.get initialiser");
        break;
      default: corrupted("unknown constant expression");
    }
    bool typed = out.op == Op::I32Const ? out.type == ValType::I32
                 : out.op == Op::I64Const ? out.type == ValType::I64
                 : out.op == Op::F32Const ? out.type == ValType::F32
                 : out.op == Op::F64Const ? out.type == ValType::F64
                 : out.op == Op::V128Const ? out.type == ValType::V128
                 : out.op == Op::RefNull ? isRef(out.type)
                 : out.op == Op::RefFunc ? out.type == ValType::FuncRef
                 : true;
    if (!typed || out.type != expected) corrupted("constant expression of the wrong type");
    return out;
  }

  Export exportOf(const fb::Export &ex) const {
    if (!ex.name()) corrupted("export without a name");
    static constexpr const char *kKinds[] = {"function", "table", "memory", "global"};
    const size_t counts[] = {m_.funcs.size(), m_.tables.size(), m_.memories.size(), m_.globals.size()};
    if (ex.kind() > WASMO_EXTERN_GLOBAL) corrupted("unknown export kind");
    return Export{ex.name()->str(), ex.kind(), below(ex.index(), counts[ex.kind()], kKinds[ex.kind()])};
  }

  ElemSegment elem(const fb::ElemSegment &seg) const {
    ElemSegment out;
    if (seg.mode() > static_cast<uint8_t>(SegmentMode::Declarative)) corrupted("unknown segment mode");
    out.mode = static_cast<SegmentMode>(seg.mode());
    out.type = refType(seg.type());
    if (out.mode == SegmentMode::Active) {
      out.table = below(seg.table(), m_.tables.size(), "table");
      if (!seg.offset()) corrupted("active segment without an offset");
      out.offset = constExpr(*seg.offset(), ValType::I32, m_.globals.size());
    }
    if (seg.init()) for (const fb::ConstExpr *e : *seg.init()) out.init.push_back(constExpr(*e, out.type, m_.globals.size()));
    return out;
  }

  DataSegment data(const fb::DataSegment &seg) const {
    DataSegment out;
    if (seg.mode() > static_cast<uint8_t>(SegmentMode::Active)) corrupted("unknown segment mode");
    out.mode = static_cast<SegmentMode>(seg.mode());
    if (out.mode == SegmentMode::Active) {
      out.memory = below(seg.memory(), m_.memories.size(), "memory");
      out.offset = constExpr(seg.offset(), ValType::I32, m_.globals.size());
    }
    if (seg.begin() > seg.end() || seg.end() > rodata_.size()) corrupted("data segment out of bounds");
    out.begin = seg.begin();
    out.end = seg.end();
    return out;
  }

  const fb::Types &types_;
  const fb::ModuleInfo &info_;
  std::span<const uint8_t> rodata_;
  size_t codeSize_;
  Module m_;
};

}  // namespace

std::shared_ptr<const CompiledModule> loadArtifact(std::unique_ptr<CodeMemory> image, ImageOrigin origin,
                                                   std::optional<Module> tierUpSource) {
  std::span<const uint8_t> file = image->bytes();
  std::map<std::string, Range> sections = sectionsOf(file);
  auto section = [&](const char *name) { return file.subspan(sections[name].offset, sections[name].size); };
  // The format version first: a later format may change everything after it, the checksum included.
  const fb::Compat &compat = verified<fb::Compat>(file, sections[elf::kCompat], elf::kCompat);
  checkFormatVersion(compat);
  if (origin == ImageOrigin::Outside) {
    uint64_t stored;
    std::memcpy(&stored, section(elf::kChecksum).data(), 8);
    if (stored != artifactChecksum(file, sections[elf::kChecksum].offset)) corrupted("checksum mismatch");
  }
  CodeKind kind = checkCompat(compat);

  auto compiled = std::make_shared<CompiledModule>();
  compiled->tier = kind.tier;
  compiled->cpuFeatures = kind.cpuFeatures;
  compiled->meterFuel = kind.meterFuel;
  compiled->boundsChecks = kind.boundsChecks;
  compiled->module = ModuleReader(verified<fb::Types>(file, sections[elf::kTypes], elf::kTypes),
                                  verified<fb::ModuleInfo>(file, sections[elf::kModule], elf::kModule),
                                  section(elf::kRodata), sections[elf::kText].size)
                         .read(*compiled);
  compiled->data = section(elf::kRodata);
  compiled->wasm = section(elf::kWasm);
  if ((kind.tier == Tier::Tiered) == compiled->wasm.empty()) {
    corrupted(kind.tier == Tier::Tiered ? "tiered code without its module binary"
                                        : "a module binary in an artifact of " + std::string(tierName(kind.tier)) + " code");
  }
  image->publish(sections[elf::kText].offset, sections[elf::kText].size);
  if (kind.tier == Tier::Tiered) {
    // Tier-up compiles from the decoded module when there is one, else from the artifact's binary.
    compiled->tierUp = std::make_shared<TierUp>(std::move(tierUpSource), compiled->wasm,
                                                static_cast<uint32_t>(compiled->functionOffsets.size()), kind.meterFuel,
                                                kind.boundsChecks);
    auto base = reinterpret_cast<uintptr_t>(image->base());
    for (uint32_t k = 0; k < compiled->tieredFunctions.size(); k++) {
      const TieredFunction &f = compiled->tieredFunctions[k];
      if (f.tier == Tier::Optimizing) compiled->tierUp->loaded(k, base + f.entry);
    }
  }
  compiled->code = std::move(image);
  return compiled;
}

}  // namespace wasmo
