# Compiler flags shared by every Strongroom target: warnings (as errors by
# default), code hardening, and the optional sanitizer build.

add_library(strongroom_flags INTERFACE)

target_compile_options(strongroom_flags INTERFACE
  -Wall -Wextra -Wpedantic
  -Wshadow -Wconversion -Wnon-virtual-dtor -Wold-style-cast
  -Woverloaded-virtual -Wformat=2 -Wimplicit-fallthrough
  -Wcast-qual -Wundef
  -fstack-protector-strong -fstack-clash-protection -fcf-protection
  -fno-strict-aliasing)

if(STRONGROOM_WERROR)
  target_compile_options(strongroom_flags INTERFACE -Werror)
endif()

# GCC's -Wnull-dereference runs after inlining and reports paths inside
# Boost.Asio and libstdc++ at -O2 that cannot happen; Clang's is a front-end
# check on our own code.
if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  target_compile_options(strongroom_flags INTERFACE -Wnull-dereference)
endif()

if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  target_compile_options(strongroom_flags INTERFACE -Wduplicated-cond -Wlogical-op
                                                   -Wuseless-cast)
endif()

# Full RELRO and a non-executable stack for every binary.
target_link_options(strongroom_flags INTERFACE
  -Wl,-z,relro -Wl,-z,now -Wl,-z,noexecstack -pie)

if(STRONGROOM_FUZZ)
  # libFuzzer build (scripts/build fuzz): every target gets coverage
  # instrumentation and ASan/UBSan, which also stand in for STRONGROOM_SANITIZE;
  # only the fuzz executables link libFuzzer itself (-fsanitize=fuzzer, in
  # tests/fuzz). UBSan findings must stop the run, or libFuzzer never sees them.
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "STRONGROOM_FUZZ needs clang: use scripts/build fuzz")
  endif()
  target_compile_options(strongroom_flags INTERFACE
    -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
    -fno-omit-frame-pointer)
  target_link_options(strongroom_flags INTERFACE -fsanitize=address,undefined)
elseif(STRONGROOM_SANITIZE)
  target_compile_options(strongroom_flags INTERFACE
    -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  target_link_options(strongroom_flags INTERFACE -fsanitize=address,undefined)
elseif(STRONGROOM_TSAN)
  # ThreadSanitizer (scripts/build tsan): data races and lock-order inversions
  # in the writer, the server's threads and the reader pool. A report makes
  # the process exit non-zero (TSAN_OPTIONS halt_on_error in scripts/test).
  if(STRONGROOM_SANITIZE)
    message(FATAL_ERROR "STRONGROOM_TSAN and STRONGROOM_SANITIZE cannot be combined")
  endif()
  target_compile_options(strongroom_flags INTERFACE -fsanitize=thread -fno-omit-frame-pointer)
  target_link_options(strongroom_flags INTERFACE -fsanitize=thread)
else()
  # _FORTIFY_SOURCE needs optimisation and conflicts with ASan's interceptors.
  if(NOT CMAKE_BUILD_TYPE STREQUAL "Debug")
    target_compile_definitions(strongroom_flags INTERFACE _FORTIFY_SOURCE=2)
  endif()
endif()
