# Writes OUT: the engine version artifacts carry, VERSION (package.json's) plus a hash of every native
# source listed in SOURCES_LIST and of TOOLCHAIN (the compilers' versions), so that code from any
# other build of the engine is refused.
file(STRINGS "${SOURCES_LIST}" sources)
set(all "${TOOLCHAIN}\n")
foreach(source IN LISTS sources)
  file(SHA256 "${source}" hash)
  string(APPEND all "${source}:${hash}\n")
endforeach()
string(SHA256 id "${all}")
string(SUBSTRING "${id}" 0 16 id)
file(WRITE "${OUT}.tmp" "#define WASMO_ENGINE_VERSION \"${VERSION}+${id}\"\n")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
