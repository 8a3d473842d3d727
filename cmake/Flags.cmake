# One INTERFACE target carries our warnings and instrumentation; nothing touches global flags.
add_library(llamachat_flags INTERFACE)
target_compile_options(llamachat_flags INTERFACE -Wall -Wextra -Wpedantic -Wno-missing-field-initializers)
# The compiler hands its assembly to the assembler through a pipe, not a file in $TMPDIR: a build then needs
# no space outside its build directory (a full /tmp once stopped CI mid-build with "error writing to /tmp/cc….s").
target_compile_options(llamachat_flags INTERFACE -pipe)
# Boost.Asio/Beast configuration shared by every target.
target_compile_definitions(llamachat_flags INTERFACE
  BOOST_ASIO_NO_DEPRECATED
  BOOST_BEAST_USE_STD_STRING_VIEW
  BOOST_ASIO_DISABLE_CONCEPTS
  # Asio keeps freed coroutine frames and operation states per thread for reuse, 2 of each kind by
  # default; a proxied chat nests more than that, and every miss is a memalign/free pair
  # (docs/performance.md). Must be the same in every translation unit: it is part of a class layout.
  BOOST_ASIO_RECYCLING_ALLOCATOR_CACHE_SIZE=8)
if(LLAMACHAT_COVERAGE)
  target_compile_options(llamachat_flags INTERFACE --coverage -O0 -fno-inline)
  target_link_options(llamachat_flags INTERFACE --coverage)
endif()
if(LLAMACHAT_SANITIZE)
  target_compile_options(llamachat_flags INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(llamachat_flags INTERFACE -fsanitize=address,undefined)
endif()
option(LLAMACHAT_SANITIZE_THREAD "Build with ThreadSanitizer (excludes LLAMACHAT_SANITIZE)" OFF)
if(LLAMACHAT_SANITIZE_THREAD)
  if(LLAMACHAT_SANITIZE)
    message(FATAL_ERROR "ThreadSanitizer cannot be combined with AddressSanitizer: set one of LLAMACHAT_SANITIZE, LLAMACHAT_SANITIZE_THREAD")
  endif()
  target_compile_options(llamachat_flags INTERFACE -fsanitize=thread -fno-omit-frame-pointer)
  target_link_options(llamachat_flags INTERFACE -fsanitize=thread)
endif()
# libFuzzer targets (fuzz/, the `fuzz` preset): clang only. Every library is instrumented for coverage
# feedback (fuzzer-no-link) and checked by ASan; the fuzz executables add libFuzzer's main. Not UBSan:
# Debian 12's clang 14 with -fsanitize=undefined fails on our coroutines ("Cannot represent a difference
# across sections"); the corpus replay of make test runs the same harnesses under g++'s ASan+UBSan.
option(LLAMACHAT_FUZZ "Build the libFuzzer targets of fuzz/ (clang; excludes the other sanitizer options)" OFF)
if(LLAMACHAT_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "LLAMACHAT_FUZZ needs clang (libFuzzer): configure with the `fuzz` preset")
  endif()
  if(LLAMACHAT_SANITIZE OR LLAMACHAT_SANITIZE_THREAD OR LLAMACHAT_COVERAGE)
    message(FATAL_ERROR "LLAMACHAT_FUZZ brings its own sanitizers: turn LLAMACHAT_SANITIZE*, LLAMACHAT_COVERAGE off")
  endif()
  target_compile_options(llamachat_flags INTERFACE -fsanitize=fuzzer-no-link,address -fno-omit-frame-pointer)
  target_link_options(llamachat_flags INTERFACE -fsanitize=address)
endif()
