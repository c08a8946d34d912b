#include "artifact/compat.h"

#include <algorithm>
#include <string>
#include <vector>

#include "artifact/build_id.h"  // generated: WASMO_ENGINE_VERSION
#include "compiler/cpu_features.h"
#include "environ/module.h"

namespace wasmo {

namespace {

constexpr const char *kTarget = "x86_64-linux";
// Code either assumes every 32-bit memory reserves its whole index range plus guard, or checks
// bounds explicitly (runtime/memory.h MemoryConfig).
constexpr const char *kGuardPagesFlag = "bounds-checks=guard-pages";
constexpr const char *kExplicitFlag = "bounds-checks=explicit";
// Code that charges fuel (environ/fuel.h) has this flag too.
constexpr const char *kFuelFlag = "fuel";

std::vector<std::string> flags(bool meterFuel, bool boundsChecks) {
  std::vector<std::string> out = {boundsChecks ? kExplicitFlag : kGuardPagesFlag};
  if (meterFuel) out.push_back(kFuelFlag);
  return out;
}
// The proposals merged into WebAssembly 2.0 that the validator and singlepass implement.
const std::vector<std::string> kWasmFeatures = {"mutable-global", "sign-extension", "saturating-float-to-int",
                                                "multi-value", "bulk-memory", "reference-types"};

[[noreturn]] void incompatible(const std::string &what) {
  throw CompileError{WASMO_INCOMPATIBLE, "incompatible artifact: " + what};
}

std::string str(const flatbuffers::String *s) { return s ? s->str() : std::string(); }

std::vector<std::string> strs(const flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>> *v) {
  std::vector<std::string> out;
  if (v) for (const flatbuffers::String *s : *v) out.push_back(str(s));
  return out;
}

std::string join(const std::vector<std::string> &v) {
  std::string out;
  for (const std::string &s : v) out += (out.empty() ? "" : ", ") + s;
  return out.empty() ? "none" : out;
}

void same(const char *field, const std::string &artifact, const std::string &ours) {
  if (artifact != ours) incompatible(std::string(field) + " is " + artifact + ", this engine's is " + ours);
}

/** Every entry of `artifact` must be in `ours`: code made for less runs, code made for more does not. */
void subset(const char *what, const std::vector<std::string> &artifact, const std::vector<std::string> &ours) {
  std::vector<std::string> missing;
  for (const std::string &s : artifact)
    if (std::find(ours.begin(), ours.end(), s) == ours.end()) missing.push_back(s);
  if (!missing.empty()) incompatible(std::string(what) + " " + join(missing));
}

}  // namespace

flatbuffers::Offset<fb::Compat> buildCompat(flatbuffers::FlatBufferBuilder &b, uint32_t cpuFeatures, Tier tier,
                                            bool meterFuel, bool boundsChecks) {
  auto engineVersion = b.CreateString(WASMO_ENGINE_VERSION);
  auto target = b.CreateString(kTarget);
  auto cpu = b.CreateVectorOfStrings(cpuFeatureNames(cpuFeatures));
  auto tierString = b.CreateString(tierName(tier).data(), tierName(tier).size());
  auto codeFlags = b.CreateVectorOfStrings(flags(meterFuel, boundsChecks));
  auto wasm = b.CreateVectorOfStrings(kWasmFeatures);
  return fb::CreateCompat(b, kArtifactFormatVersion, engineVersion, target, cpu, tierString, codeFlags, wasm);
}

void checkFormatVersion(const fb::Compat &c) {
  if (c.format_version() != kArtifactFormatVersion) {
    incompatible("format version is " + std::to_string(c.format_version()) + ", this engine reads version " +
                 std::to_string(kArtifactFormatVersion));
  }
}

CodeKind checkCompat(const fb::Compat &c) {
  checkFormatVersion(c);
  same("engine version", str(c.engine_version()), WASMO_ENGINE_VERSION);
  same("target", str(c.target()), kTarget);
  std::string tier = str(c.tier());
  auto known = std::ranges::find(kTierNames, tier);
  if (known == std::end(kTierNames)) incompatible("compiler tier is " + tier + ", this engine's are singlepass, optimizing, tiered");
  std::vector<std::string> artifactFlags = strs(c.flags());
  bool meterFuel = std::ranges::find(artifactFlags, kFuelFlag) != artifactFlags.end();
  bool boundsChecks = std::ranges::find(artifactFlags, kExplicitFlag) != artifactFlags.end();
  same("compiler flags", join(artifactFlags), join(flags(meterFuel, boundsChecks)));
  std::vector<std::string> cpu = strs(c.cpu_features());
  subset("needs CPU features this CPU lacks:", cpu, cpuFeatureNames(hostCpuFeatures()));
  subset("needs WebAssembly features this engine does not enable:", strs(c.wasm_features()), kWasmFeatures);
  uint32_t cpuFeatures = 0;
  for (const CpuFeatureName &f : kCpuFeatureNames)
    if (std::ranges::find(cpu, f.name) != cpu.end()) cpuFeatures |= f.feature;
  return {static_cast<Tier>(known - std::begin(kTierNames)), cpuFeatures, meterFuel, boundsChecks};
}

}  // namespace wasmo
