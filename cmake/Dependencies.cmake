# Every dependency comes from Debian's packages; nothing is downloaded at
# build time. A missing package stops configure with the line that fixes it.
function(nslab_require_package package debian_package)
  find_package(${package} ${ARGN} QUIET)
  if(NOT ${package}_FOUND)
    message(FATAL_ERROR
      "nslab needs ${package}. Install it with:\n"
      "  sudo apt-get install ${debian_package}\n"
      "or run ./lab setup, which installs everything the labs need.")
  endif()
endfunction()

nslab_require_package(fmt libfmt-dev)
nslab_require_package(GTest libgtest-dev)
nslab_require_package(Doxygen doxygen)
