# [link-flags]
# nslab_link_program(TARGET): links one of the four lab programs the way all
# four are linked. libstdc++ and libgcc go in statically: loading
# libstdc++.so and resolving its symbols cost a third of a start (compare
# `isolate --help` with `unshare --help` in bench/startup). Debian's
# libfmt.so needs libstdc++.so itself, so a program links the copy of
# nslab_common built with Debian's header-only fmt, and compiles its own
# modules itself rather than linking the libraries the tests link (those
# keep libfmt.so). Other libraries link statically where Debian ships an
# archive (libseccomp, in part4-isolate/CMakeLists.txt), and dynamically
# where it ships only a shared object (libmnl).
#
# The static libstdc++ brings some 3000 pointers that the loader must adjust
# to where the program was loaded (R_X86_64_RELATIVE relocations, 24 bytes
# each). -z pack-relative-relocs stores them as a bitmap of a few hundred
# bytes (DT_RELR: binutils 2.38, glibc 2.36), which the loader reads and
# applies faster; where the linker lacks the option, it is left out.
include(CheckLinkerFlag)
check_linker_flag(CXX -Wl,-z,pack-relative-relocs NSLAB_LINKER_PACKS_RELOCS)
function(nslab_link_program target)
  target_link_libraries(${target} PRIVATE nslab_common_programs nslab_warnings)
  target_link_options(${target} PRIVATE -static-libstdc++ -static-libgcc
                      $<$<BOOL:${NSLAB_LINKER_PACKS_RELOCS}>:-Wl,-z,pack-relative-relocs>)
endfunction()
# [link-flags]
