// The sandbox prologue compiled into every candidate binary: an ELF entry
// point that confines the process with a seccomp filter and then jumps to the
// C runtime's _start. Because the kernel transfers control to the entry point
// of a static executable directly (no dynamic loader, no constructors before
// it), no candidate code runs unconfined.
#ifndef CRUCIBLE_PROBLEMS_HARNESS_CONFINE_PROLOGUE_H_
#define CRUCIBLE_PROBLEMS_HARNESS_CONFINE_PROLOGUE_H_

#include <string_view>

namespace crucible {

// C++ source text, compiled into the driver's translation unit.
std::string_view ConfinePrologueSource();

// The linker flag selecting the prologue's entry point.
inline constexpr std::string_view kConfineEntryFlag = "-Wl,-e,crucible_confined_entry";

// The linker flag routing the C allocation functions through the prologue's
// wrappers: an allocation that fails (RLIMIT_AS) ends the process with
// kExitAllocationFailed instead of handing the candidate a null pointer to
// dereference (a SIGSEGV that would read as a crash, not as memory_limit).
// It covers the candidate's malloc/calloc/realloc/aligned_alloc and
// libstdc++'s operator new, which calls malloc.
inline constexpr std::string_view kWrapAllocationFlag =
    "-Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=aligned_alloc";
// Same value as kDriverExitOutOfMemory (compiled_candidate.h): memory_limit.
inline constexpr int kExitAllocationFailed = 99;

// Exit statuses of a binary whose prologue failed (the kernel refused the
// filter): the harness reports them as an evaluator problem, not the
// candidate's.
inline constexpr int kExitNoNewPrivsFailed = 120;
inline constexpr int kExitSeccompFailed = 121;

}  // namespace crucible

#endif  // CRUCIBLE_PROBLEMS_HARNESS_CONFINE_PROLOGUE_H_
