// Artifacts: every compilation produces one, and code reaches memory only by loading one.
//
// An artifact is an ELF64 relocatable file (x86-64, no relocations, no symbols) with sections:
//   .wasmo.compat    engine compatibility (compat.fbs): checked first, so a refusal names the difference
//   .wasmo.types     the module's function types (types.fbs)
//   .wasmo.module    what instantiation needs (module.fbs): index spaces, imports, exports, segments,
//                    the code offset of every defined function; for tiered code, each function's tier
//                    and optimized block
//   .rodata          data segment bytes
//   .wasmo.checksum  XXH64 of every other byte of the file (checksum.h)
//   .wasmo.wasm      tiered code: the module's binary, which tier-up compiles functions from; empty
//                    for the other tiers
//   .shstrtab        section names
//   .symtab .strtab  a symbol "wasm-function[i]" per defined function, for objdump and perf only
//   .text            the code of all functions, linked (calls go through the VMContext, so nothing
//                    is left to relocate), page-aligned and padded to a page so that publishing it
//                    read+exec exposes nothing else
// Metadata is FlatBuffers, 8-aligned in the file so it is read in place.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "compiler/compiled_code.h"
#include "environ/module.h"
#include "runtime/code_memory.h"
#include "runtime/instance.h"

namespace wasmo {

/**
 * The artifact of `module` compiled to `code`, written into a fresh image for loadArtifact (so the
 * JIT path copies the code once); deterministic: the same input gives the same bytes.
 */
std::unique_ptr<CodeMemory> writeArtifact(const Module &module, const CompiledCode &code);

/**
 * A tiered module's artifact as its code is now: the functions tier-up has compiled since it was
 * loaded get their optimized code next to what the module's artifact holds (recorded per function),
 * so that loading it starts them optimized. Null when tier-up has compiled nothing since: the
 * module's artifact is that already. Throws CompileError (UNSUPPORTED, INTERNAL).
 */
std::unique_ptr<CodeMemory> writeTieredArtifact(const CompiledModule &compiled);

/** Where an image comes from: writeArtifact in this process, or outside (a buffer, a file). */
enum class ImageOrigin { Written, Outside };

/**
 * Checks every header, offset and size of the image, its checksum (unless `origin` is Written: the
 * writer has just computed it over the read-only image, a second pass over the code would only
 * cost time) and its compatibility with this engine, then publishes its code. Tiered code gets its
 * tier-up state, which compiles functions from `tierUpSource` (the decoded module with its bytes;
 * without it the code stays singlepass code). Throws CompileError: MALFORMED ("corrupted artifact:
 * …"), INCOMPATIBLE ("incompatible artifact: …"), INTERNAL.
 */
std::shared_ptr<const CompiledModule> loadArtifact(std::unique_ptr<CodeMemory> image, ImageOrigin origin,
                                                   std::optional<Module> tierUpSource = std::nullopt);

}  // namespace wasmo
