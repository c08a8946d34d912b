// The ELF frame of an artifact, shared by the writer and the loader (see artifact.h).
#pragma once
#include <elf.h>

#include <cstddef>
#include <cstdint>

namespace wasmo::elf {

inline constexpr size_t kPage = 4096;  // .text alignment: the x86-64 page
inline constexpr size_t kMetaAlign = 8;  // FlatBuffers read 8-byte scalars in place
inline constexpr unsigned kMaxSections = 16;

inline constexpr const char *kCompat = ".wasmo.compat";
inline constexpr const char *kTypes = ".wasmo.types";
inline constexpr const char *kModule = ".wasmo.module";
inline constexpr const char *kRodata = ".rodata";
inline constexpr const char *kChecksum = ".wasmo.checksum";
inline constexpr const char *kShstrtab = ".shstrtab";
inline constexpr const char *kSymtab = ".symtab";  // for tools only: the loader does not read it
inline constexpr const char *kStrtab = ".strtab";
inline constexpr const char *kWasm = ".wasmo.wasm";
inline constexpr const char *kText = ".text";

inline constexpr size_t alignUp(size_t n, size_t a) { return (n + a - 1) / a * a; }

}  // namespace wasmo::elf
