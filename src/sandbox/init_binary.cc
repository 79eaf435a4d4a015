// Embeds the crucible-sandbox-init executable (init_main.cc, built by this
// directory's CMakeLists.txt as a static binary) into the library, so that a
// program linking crucible_sandbox needs no helper file at run time.
// launcher.cc loads these bytes into a memfd and execs it.
#ifndef CRUCIBLE_SANDBOX_INIT_PATH
#error "CRUCIBLE_SANDBOX_INIT_PATH must name the built init program"
#endif

__asm__(".pushsection .rodata.crucible_sandbox_init,\"a\"\n"
        ".balign 64\n"
        ".globl crucible_sandbox_init_start\n"
        ".hidden crucible_sandbox_init_start\n"
        "crucible_sandbox_init_start:\n"
        ".incbin \"" CRUCIBLE_SANDBOX_INIT_PATH "\"\n"
        ".globl crucible_sandbox_init_end\n"
        ".hidden crucible_sandbox_init_end\n"
        "crucible_sandbox_init_end:\n"
        ".popsection\n");
