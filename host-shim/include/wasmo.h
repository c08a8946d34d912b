/* wasmo's C ABI: the only door into the native core (bound by lib/native.ts through koffi).
 *
 * Coarse on purpose: each call does a lot of work, so the ~25-140 ns koffi crossing does not matter.
 * No C++ exception crosses it: every entry point returns a wasmo_status and, on failure, writes a
 * NUL-terminated message into the caller's buffer `err` of `err_len` bytes.
 *
 * Values cross as uint64_t slots holding the value's bits: i32 and f32 zero-extended, i64 and f64
 * as is (so NaN payloads survive); a reference is 0 for null, a funcref its function's store
 * address + 1, an externref the embedder's own non-zero handle.
 *
 * Objects live in a store (spec 4.2.3) and are named by their address there: an index per kind,
 * as the embedding API's addresses. A store is used by one thread at a time.
 */
#ifndef WASMO_H
#define WASMO_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(WASMO_BUILDING)
#define WASMO_API __attribute__((visibility("default")))
#else
#define WASMO_API
#endif

/* The testsuite's classification of failures, as lib/errors.ts ErrorKind. */
typedef enum wasmo_status {
  WASMO_OK = 0,
  WASMO_MALFORMED = 1,      /* bytes do not form a module, or an artifact is corrupted */
  WASMO_INVALID = 2,        /* the module does not validate */
  WASMO_UNLINKABLE = 3,
  WASMO_UNINSTANTIABLE = 4, /* a trap in a data/elem initialiser or the start function */
  WASMO_TRAP = 5,
  WASMO_EXHAUSTION = 6,     /* "call stack exhausted", or a table over the implementation limit */
  WASMO_UNSUPPORTED = 7,    /* valid, but the engine cannot run it yet ("not supported yet: <what>") */
  WASMO_INTERNAL = 8,       /* a bug, or memory ran out */
  WASMO_INCOMPATIBLE = 9,   /* an artifact made for another format, engine, CPU or configuration; or
                             * a compile asked for CPU features this CPU lacks */
  WASMO_HOST = 10,          /* a host function failed: the embedder knows the error */
  WASMO_RESOURCES = 11,     /* address space or memory mappings ran out (a memory's reservation, code
                             * memory): freeing stores and modules gives them back, so try again after */
  WASMO_HOST_PENDING = 12   /* not a failure: the wasm calls a host function (see wasmo_func_resume) */
} wasmo_status;

/* Value type codes: the binary format's (spec 5.3.3, 5.3.4). */
enum {
  WASMO_I32 = 0x7F, WASMO_I64 = 0x7E, WASMO_F32 = 0x7D, WASMO_F64 = 0x7C,
  WASMO_V128 = 0x7B, WASMO_FUNCREF = 0x70, WASMO_EXTERNREF = 0x6F
};

/* Extern kinds: the binary format's export descriptors (spec 5.5.10). */
enum { WASMO_EXTERN_FUNC = 0, WASMO_EXTERN_TABLE = 1, WASMO_EXTERN_MEMORY = 2, WASMO_EXTERN_GLOBAL = 3, WASMO_EXTERN_TAG = 4 };

typedef struct wasmo_module wasmo_module;
typedef struct wasmo_store wasmo_store;

/* No limit in a table or memory type. */
#define WASMO_NO_MAX UINT64_MAX

/* Function bodies are decoded (and compiled) on up to `threads` threads, 0 meaning one per hardware
 * thread; the result is the same whatever the count. */

/* Decode and validate only (the validate-only backend): OK, MALFORMED or INVALID. */
WASMO_API int wasmo_module_validate(const uint8_t *bytes, size_t len, uint32_t threads, char *err, size_t err_len);

/* The compilers: singlepass (one pass, fast start), optimizing (LLVM 19), and tiered: singlepass
 * code that has its hot functions compiled by the optimizing compiler in the background and
 * switches to them while it runs (runtime/tier_up.h). */
enum { WASMO_TIER_SINGLEPASS = 0, WASMO_TIER_OPTIMIZING = 1, WASMO_TIER_TIERED = 2 };
/* wasmo_module_compile flags: the code charges fuel (see wasmo_store_set_fuel); the code checks
 * memory bounds explicitly instead of relying on guard pages (see wasmo_store_set_memory). */
enum { WASMO_COMPILE_FUEL = 1, WASMO_COMPILE_BOUNDS_CHECKS = 2 };

/* Called on the thread that called wasmo_module_compile, about every 100 ms while it compiles
 * function bodies: how many are done, of how many; at the end, if it was called before, with both
 * equal. */
typedef void (*wasmo_progress_fn)(uint32_t done, uint32_t total);

/* Decode, validate and compile with the compiler `tier` and `flags`, on up to `threads` threads;
 * `progress` may be NULL. `cpu_features` names the x86-64 features beyond SSE2 the code may use,
 * comma-separated, of popcnt, sse4.1, sse4.2 and avx ("" for none: code for any x86-64 CPU), or is
 * NULL for all this CPU has; an unknown name, or a feature this CPU lacks, is INCOMPATIBLE. The
 * artifact records the features its code uses (wasmo_module_serialize). */
WASMO_API int wasmo_module_compile(const uint8_t *bytes, size_t len, uint32_t tier, uint32_t flags, uint32_t threads,
                                   const char *cpu_features, wasmo_progress_fn progress, wasmo_module **out, char *err, size_t err_len);
/* OK when wasmo_module_compile would accept `cpu_features` (not NULL), else INCOMPATIBLE, with the
 * reason in err: an unknown name, or a feature this CPU lacks. */
WASMO_API int wasmo_cpu_features_check(const char *cpu_features, char *err, size_t err_len);
WASMO_API void wasmo_module_free(wasmo_module *module);
/* This build's engine version (package version + a hash of every native source and the toolchain):
 * artifacts of any other are refused as INCOMPATIBLE. A static string. */
WASMO_API const char *wasmo_engine_version(void);
/* 1 when the module's code charges fuel (compiled with WASMO_COMPILE_FUEL; for an artifact, its
 * compat flags say so), else 0. */
WASMO_API int wasmo_module_meters_fuel(const wasmo_module *module);
/* 1 when the module's code checks memory bounds explicitly (WASMO_COMPILE_BOUNDS_CHECKS), else 0. */
WASMO_API int wasmo_module_checks_bounds(const wasmo_module *module);
/* A tiered module's tier-up so far: functions running optimized code, refused by the optimizing
 * compiler (they stay on singlepass code), queued or compiling; after waiting up to `wait_ms` for
 * none to be pending. INTERNAL for a module of another tier. */
WASMO_API int wasmo_module_tier_up_stats(const wasmo_module *module, uint32_t wait_ms, uint32_t *optimized,
                                         uint32_t *refused, uint32_t *pending);

/* Artifacts. Every compiled module is loaded from an artifact (an ELF64 file, host-shim/artifact/),
 * and serializing gives back exactly the bytes it was loaded from. Loading refuses an artifact made
 * for another format version, engine version, CPU or configuration (INCOMPATIBLE) and a truncated or
 * corrupted one (MALFORMED), the message naming the difference or the damage. An artifact that passes
 * is trusted like a shared library: the checksum catches corruption, not tampering. */
WASMO_API int wasmo_module_deserialize(const uint8_t *bytes, size_t len, wasmo_module **out, char *err,
                                       size_t err_len);
/* Maps the file instead of copying it; a missing or unreadable file is MALFORMED. */
WASMO_API int wasmo_module_load_file(const char *path, wasmo_module **out, char *err, size_t err_len);
/* The artifact the module was loaded from, byte for byte: `*len` read-only bytes, valid until the
 * module is freed. */
WASMO_API const uint8_t *wasmo_module_artifact(const wasmo_module *module, size_t *len);
/* The module's artifact as its code is now: for tiered code, with the optimized code of every
 * function tier-up has compiled since it was loaded (each function's tier is recorded, and loading
 * it starts those functions optimized); otherwise the artifact it was loaded from. `*len` read-only
 * bytes, valid until the next call for the module or until it is freed. */
WASMO_API int wasmo_module_serialize(wasmo_module *module, const uint8_t **bytes, size_t *len, char *err,
                                     size_t err_len);
/* A tiered module's tier per defined function: WASMO_TIER_OPTIMIZING for a function whose calls run
 * optimized code, else WASMO_TIER_SINGLEPASS; `count` must be the number of defined functions.
 * INTERNAL for a module of another tier. */
WASMO_API int wasmo_module_function_tiers(const wasmo_module *module, uint8_t *tiers, uint32_t count);
/* The compiler that made the module's code (an artifact records it). */
WASMO_API uint32_t wasmo_module_tier(const wasmo_module *module);

WASMO_API uint32_t wasmo_module_import_count(const wasmo_module *module);
WASMO_API uint32_t wasmo_module_export_count(const wasmo_module *module);
/* Export `i`: its name (UTF-8, NUL-terminated, truncated to name_len), kind and index in its index space. */
WASMO_API int wasmo_module_export(const wasmo_module *module, uint32_t i, char *name, size_t name_len,
                                  uint32_t *kind, uint32_t *index);
/* The type of function `func` (module index space): counts, and type codes into arrays of 256
 * bytes each (a function type with more cannot be described here and returns INTERNAL). */
WASMO_API int wasmo_module_func_type(const wasmo_module *module, uint32_t func, uint8_t *params,
                                     uint32_t *param_count, uint8_t *results, uint32_t *result_count);
/* A global's type: value type code and mutability (0 const, 1 var). */
WASMO_API int wasmo_module_global_type(const wasmo_module *module, uint32_t global, uint8_t *type,
                                       uint8_t *mut);

/* The one way wasm calls the embedder: no callback, so no JS is ever entered from native code. A
 * call of host function `func` from wasm running in `store` puts its arguments in the calling
 * thread's host slots (wasmo_host_slots), `func` in the slot WASMO_HOST_CALL and a token naming
 * this suspended call in the slot WASMO_HOST_TOKEN, suspends the wasm, and the native call that was
 * running it (wasmo_func_invoke or wasmo_func_resume) returns WASMO_HOST_PENDING. The embedder runs
 * the host function, writes its results to the slots, and calls wasmo_func_resume(store, token, ok)
 * with ok non-zero, or 0 when it failed, which ends the suspended call with WASMO_HOST; that runs
 * the wasm on until it returns, traps or calls a host function again:
 *
 *   status = wasmo_func_invoke(store, f);
 *   while (status == WASMO_HOST_PENDING) {
 *     uint32_t token = slots[WASMO_HOST_TOKEN];
 *     status = wasmo_func_resume(store, token, run_host(slots[WASMO_HOST_CALL]));
 *   }
 *
 * A host function may call wasmo_func_invoke (on any store) itself: calls nest, and a host function
 * must finish those it started before it returns. Its own values, call and token slots are then
 * overwritten: it reads its arguments, call and token first and writes its results last. Resuming
 * a call abandons the calls nested in it that were left suspended (as when the embedder's execution
 * was terminated between its wasmo_func_invoke and its last wasmo_func_resume); a token of no
 * suspended call of `store` on the calling thread (one that ended, or another store's or thread's)
 * resumes nothing and returns INTERNAL. A suspended call keeps its store in use: free the store only
 * after it ended (a thread that ends takes its suspended calls with it). No arguments and no result
 * cross into JS from native code: each value that crosses has its cost on every call. */
enum { WASMO_HOST_SLOTS = 2000, WASMO_HOST_CALL = WASMO_HOST_SLOTS, WASMO_HOST_TOKEN };
/* The calling thread's host slots: WASMO_HOST_SLOTS uint64_t where every host function call on the
 * thread passes its values (a host function has at most 1,000 parameters and 1,000 results, a v128
 * taking two slots), and so does every wasmo_func_invoke, then the slot of the host call in
 * progress (WASMO_HOST_CALL) and its token (WASMO_HOST_TOKEN, below 2^32); at an address that stays
 * the same as long as the thread runs. */
WASMO_API uint64_t *wasmo_host_slots(void);

WASMO_API wasmo_store *wasmo_store_new(void);
WASMO_API void wasmo_store_free(wasmo_store *store);
/* The embedder's limits on the store's memories (pages) and tables (elements) made from now on:
 * growing one past its limit fails as growing past its maximum does (memory.grow gives -1); and
 * the bytes of stack wasm may use from its outermost entry (past them a call traps "call stack
 * exhausted"; the thread's wasm stack, 256 MiB less margins, bounds it anyway). */
WASMO_API void wasmo_store_set_limits(wasmo_store *store, uint64_t memory_pages, uint64_t table_elements,
                                      uint64_t wasm_stack);
/* The layout of memories made from now on: `reservation` bytes of address space each may grow to
 * (growing further fails, memory.grow gives -1) and `guard` inaccessible bytes after it, both
 * multiples of 65536. When the two cover less than 8 GiB + 64 KiB (what an i32 address, a u32 offset
 * and an access can reach), the store instantiates only code compiled with
 * WASMO_COMPILE_BOUNDS_CHECKS, and otherwise only code compiled without. */
WASMO_API void wasmo_store_set_memory(wasmo_store *store, uint64_t reservation, uint64_t guard);
/* Interrupts wasm running in the store `timeout_ns` from now (0: at once; UINT64_MAX: never, which
 * cancels an earlier deadline and a pending interrupt): it stops at its next call or loop iteration
 * and its call returns WASMO_TRAP, "interrupted". Any thread may call it, while wasm runs too. */
WASMO_API void wasmo_store_interrupt_after(wasmo_store *store, uint64_t timeout_ns);
/* Tiered code instantiated in the store from now on: each function runs `threshold` calls and loop
 * iterations (counted per instance) on singlepass code before it is queued for the optimizing
 * compiler (default 10,000); with `wait` non-zero, the code that queues it waits until it is compiled
 * (for tests: tier-up at a known point). */
WASMO_API void wasmo_store_set_tier_up(wasmo_store *store, uint32_t threshold, int wait);
/* Fuel (the cost model: spec/fuel.ts, host-shim/environ/fuel.h). Setting it makes the store meter
 * fuel: it then instantiates only modules whose code charges fuel (a store that does not meter it,
 * only modules whose code does not; INCOMPATIBLE otherwise), so set it before the first
 * instantiation. Wasm code that needs more than is left traps with "all fuel consumed" (WASMO_TRAP).
 * wasmo_store_get_fuel gives the fuel left, 0 after running out, or -1 when the store does not meter
 * fuel. */
WASMO_API void wasmo_store_set_fuel(wasmo_store *store, uint64_t fuel);
WASMO_API int64_t wasmo_store_get_fuel(const wasmo_store *store);
/* Interrupts wasm in every store of the process (so that a process can exit while wasm spins in a
 * worker thread). Any thread may call it. */
WASMO_API void wasmo_interrupt_all(void);
/* Stops tier-up's background compiler for good, waiting (at most a few seconds) for the function it
 * is compiling: for the process's exit, before static destructors run (LLVM's among them). Also
 * done by an atexit handler, which may run after some of them. */
WASMO_API void wasmo_tier_up_stop(void);
/* Marks the stores made on the calling thread from now on as belonging to `owner` (the embedder's
 * id for the thread, e.g. a worker's threadId), and interrupts wasm in all of an owner's stores
 * (when that thread is being terminated). Any thread may call wasmo_interrupt_owner. */
WASMO_API void wasmo_set_thread_owner(uint64_t owner);
WASMO_API void wasmo_interrupt_owner(uint64_t owner);

/* Instantiate (spec 4.5.4) with `imports`: store addresses in the module's import order, already
 * checked against the import types. `exports` receives the store address of each export, in
 * order. UNINSTANTIABLE when a segment traps (earlier writes stay). The start function does not run:
 * `*start` receives its store address (UINT32_MAX when the module has none), for the caller to
 * invoke (wasmo_func_invoke: it may call host functions) once it has done what must come first
 * (WASI binds the instance's memory); a trap there fails the instantiation. */
WASMO_API int wasmo_store_instantiate(wasmo_store *store, const wasmo_module *module, const uint32_t *imports,
                                      uint32_t import_count, uint32_t *exports, uint32_t *start, char *err,
                                      size_t err_len);

/* The backtrace of the last trap in the store, as left by a wasmo_func_invoke that returned TRAP or
 * EXHAUSTION or a wasmo_store_instantiate that returned UNINSTANTIABLE: the wasm frames that were
 * running, innermost first, at most 100. Frame `i`: the function's index in its module's function
 * index space, and its name from the module's name section (NUL-terminated, truncated to name_len):
 * returns 1 when it has one, 0 when not, -1 when there is no frame `i`. */
WASMO_API uint32_t wasmo_store_trace_length(const wasmo_store *store);
WASMO_API int wasmo_store_trace_frame(const wasmo_store *store, uint32_t i, uint32_t *func, char *name, size_t name_len);

/* Functions. Types as value type codes in arrays of 256 bytes (more is UNSUPPORTED). */
WASMO_API int wasmo_func_alloc(wasmo_store *store, const uint8_t *params, uint32_t param_count,
                               const uint8_t *results, uint32_t result_count, uint32_t *out);
WASMO_API int wasmo_func_type(const wasmo_store *store, uint32_t func, uint8_t *params, uint32_t *param_count,
                              uint8_t *results, uint32_t *result_count);
/* Calls `func` with its arguments in the calling thread's host slots (wasmo_host_slots), where its
 * results are written back: no buffer crosses per call (WASMO_HOST_PENDING while the wasm calls a
 * host function: see wasmo_func_resume). Each value takes one 64-bit slot, a v128 two
 * (its low half first), for host function calls too. The slots are free for host functions the
 * call makes, as the arguments are read first and the results written last. On failure the message
 * (for TRAP and EXHAUSTION the spec's) is the store's until its next failed call: wasmo_store_message
 * copies it (NUL-terminated, truncated to len) and returns its full length. */
WASMO_API int wasmo_func_invoke(wasmo_store *store, uint32_t func);
/* Returns to the wasm whose host function call `token` names (see wasmo_host_slots): the host
 * function succeeded, its results in the host slots, when `ok` is non-zero; else it failed. Returns
 * as wasmo_func_invoke does; INTERNAL, resuming nothing, for a token of no suspended call of `store`'s. */
WASMO_API int wasmo_func_resume(wasmo_store *store, uint32_t token, int ok);
WASMO_API size_t wasmo_store_message(const wasmo_store *store, char *buf, size_t len);

/* Tables: `min` is the current size in wasmo_table_type; bounds are the caller's to check. */
WASMO_API int wasmo_table_alloc(wasmo_store *store, uint8_t elem, uint64_t min, uint64_t max, uint64_t init,
                                uint32_t *out, char *err, size_t err_len);
WASMO_API void wasmo_table_type(const wasmo_store *store, uint32_t table, uint8_t *elem, uint64_t *min, uint64_t *max);
WASMO_API uint64_t wasmo_table_read(const wasmo_store *store, uint32_t table, uint64_t i);
WASMO_API void wasmo_table_write(wasmo_store *store, uint32_t table, uint64_t i, uint64_t ref);
/* 1 when grown, 0 when the limits or resources refuse. */
WASMO_API int wasmo_table_grow(wasmo_store *store, uint32_t table, uint64_t n, uint64_t init);

/* Memories: `min` is the current size in pages in wasmo_mem_type. */
WASMO_API int wasmo_mem_alloc(wasmo_store *store, uint64_t min, uint64_t max, uint32_t *out, char *err,
                              size_t err_len);
WASMO_API void wasmo_mem_type(const wasmo_store *store, uint32_t mem, uint64_t *min, uint64_t *max);
/* The memory's bytes: valid until the store is freed (memories grow in place). */
WASMO_API uint8_t *wasmo_mem_data(const wasmo_store *store, uint32_t mem);
WASMO_API int wasmo_mem_grow(wasmo_store *store, uint32_t mem, uint64_t n);

/* Globals: `type` a value type code, `mut` 0 const or 1 var. */
WASMO_API int wasmo_global_alloc(wasmo_store *store, uint8_t type, uint8_t mut, uint64_t bits, uint32_t *out);
WASMO_API void wasmo_global_type(const wasmo_store *store, uint32_t global, uint8_t *type, uint8_t *mut);
WASMO_API uint64_t wasmo_global_read(const wasmo_store *store, uint32_t global);
WASMO_API void wasmo_global_write(wasmo_store *store, uint32_t global, uint64_t bits);
/* A v128 global's value as two cells, its low half first (a v128 global is allocated with bits 0). */
WASMO_API void wasmo_global_read_v128(const wasmo_store *store, uint32_t global, uint64_t *cells);
WASMO_API void wasmo_global_write_v128(wasmo_store *store, uint32_t global, const uint64_t *cells);

/* ---- WASI preview1 (host-shim/wasi/) ----
 *
 * A context holds one program's WASI state: args, environment, the fd table with rights, the
 * preopened directories (the only host paths the program can reach: see host-shim/wasi/sandbox.cpp).
 * Each wasi_snapshot_preview1 function has an id (its index in witx order), a wasm signature, and
 * is called with the instance's linear memory as (base, length); every guest pointer is checked
 * against that length (EFAULT), so a bad pointer is an errno, never a host fault.
 *
 * From JS an import calls wasmo_wasi_call. Compiled code calls the same C++ functions with no JS
 * on the path: wasmo_wasi_func_alloc makes a store function whose code (host-shim/wasi/bind.cpp)
 * calls `wasmo::wasi::functions()[id].fn` (host-shim/wasi/wasi.h), a plain function
 * `int32_t(Context&, const Memory&, const uint64_t *args)`, with the bound memory's base and
 * current length. WASMO_WASI_EXITED (proc_exit) unwinds to the entry frame like a trap.
 */
typedef struct wasmo_wasi wasmo_wasi;

enum { WASMO_WASI_EXITED = -1, WASMO_WASI_NO_FUNCTION = -2 };
/* wasmo_wasi_new flags: resolve paths by the component walk even where openat2 exists (tests). */
enum { WASMO_WASI_RESOLVE_WALK = 1 };

WASMO_API uint32_t wasmo_wasi_function_count(void);
/* Function `id`: its name (NUL-terminated, truncated to name_len), its parameter type codes
 * (WASMO_I32 / WASMO_I64, at most 16) and its result count (1: an i32 errno; 0: proc_exit). */
WASMO_API int wasmo_wasi_function(uint32_t id, char *name, size_t name_len, uint8_t *params,
                                  uint32_t *param_count, uint32_t *result_count);

/* A context. stdio[i] is a host descriptor for guest fd i (duplicated; the caller keeps its own),
 * or -1 for an in-memory file: stdin then reads stdin_data, stdout/stderr keep what is written for
 * wasmo_wasi_output. Preopens become guest fds 3, 4, … in order; a read-only one withholds every
 * right that changes the file system, from itself and from everything opened beneath it.
 * Fails with UNINSTANTIABLE (a preopen that cannot be opened, …) and a message. */
WASMO_API int wasmo_wasi_new(const char *const *args, uint32_t argc, const char *const *env,
                             uint32_t envc, const char *const *preopen_hosts,
                             const char *const *preopen_guests, const uint8_t *preopen_readonly,
                             uint32_t preopen_count, const int32_t *stdio, const uint8_t *stdin_data,
                             size_t stdin_len, uint32_t flags, wasmo_wasi **out, char *err,
                             size_t err_len);
WASMO_API void wasmo_wasi_free(wasmo_wasi *wasi);

/* Call function `id` with its arguments as uint64 slots (i32 zero-extended) on the memory
 * [mem, mem + mem_len): the witx errno (>= 0), WASMO_WASI_EXITED, or WASMO_WASI_NO_FUNCTION. */
WASMO_API int32_t wasmo_wasi_call(wasmo_wasi *wasi, uint32_t id, const uint64_t *args, uint8_t *mem,
                                  size_t mem_len);
/* The native engine's direct binding: a host function of `store` with WASI function `id`'s type
 * whose code calls it on `wasi` (no JS on the path), and the memory such functions work on (set it
 * before the program runs; a call without one is a host error). proc_exit is a host error of the
 * call that ran it, with the exit status in wasmo_wasi_exit_code. The functions stay valid until
 * wasmo_wasi_free; a call after that is a host error too. */
WASMO_API int wasmo_wasi_func_alloc(wasmo_store *store, wasmo_wasi *wasi, uint32_t id, uint32_t *out);
WASMO_API int wasmo_wasi_bind_memory(wasmo_wasi *wasi, wasmo_store *store, uint32_t mem);
/* The exit status after WASMO_WASI_EXITED (proc_exit's code, or 128 + signal for proc_raise), else -1. */
WASMO_API int64_t wasmo_wasi_exit_code(const wasmo_wasi *wasi);
/* What was written to an in-memory stdout (fd 1) or stderr (fd 2): copies at most len bytes into
 * buf and returns the total size (call with len 0 to learn it). */
WASMO_API size_t wasmo_wasi_output(const wasmo_wasi *wasi, uint32_t fd, uint8_t *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif
