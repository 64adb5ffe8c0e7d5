# Test helpers. Every test carries one tier label:
#   unit, integration, testbed, guest, greeter, packaging, terminal (the booted terminal VM;
#   tests/terminal), fresh (bare Debian 12/13 roots; tests/fresh), fleet (image distribution;
#   tests/fleet) and fuzz for the bounded fuzz runs. `make check-quick` leaves out the long
#   tiers, fresh and terminal.
# Sanitizer options are set once here so every test behaves the same.
find_package(GTest REQUIRED)

set(SDVM_TEST_ENV
    "ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:detect_container_overflow=0:strict_string_checks=1"
    "UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1"
    "LSAN_OPTIONS=suppressions=${CMAKE_SOURCE_DIR}/tests/lsan.supp:print_suppressions=0"
    "SDVM_SOURCE_DIR=${CMAKE_SOURCE_DIR}"
    "SDVM_BUILD_DIR=${CMAKE_BINARY_DIR}")

set(SDVM_TEST_LABELS unit integration testbed guest greeter fuzz packaging terminal fresh fleet)

# sdvm_add_gtest(<name> LABEL <tier> SOURCES ... [LIBS ...] [ENV ...] [TIMEOUT s]
#                [FIXTURES ...] [RESOURCE_LOCK ...])
function(sdvm_add_gtest name)
  cmake_parse_arguments(T "" "LABEL;TIMEOUT" "SOURCES;LIBS;ENV;FIXTURES;RESOURCE_LOCK" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE GTest::gtest GTest::gtest_main ${T_LIBS})
  add_test(NAME ${name} COMMAND ${name})
  _sdvm_test_properties(${name})
endfunction()

# sdvm_add_script_test(<name> LABEL <tier> COMMAND ... [ENV ...] [TIMEOUT s] ...)
# Exit status 77 means "skipped" (not root, component missing), as in automake.
function(sdvm_add_script_test name)
  cmake_parse_arguments(T "" "LABEL;TIMEOUT" "COMMAND;ENV;FIXTURES;FIXTURES_SETUP;FIXTURES_CLEANUP;RESOURCE_LOCK" ${ARGN})
  add_test(NAME ${name} COMMAND ${T_COMMAND})
  _sdvm_test_properties(${name})
  if(T_FIXTURES_SETUP)
    set_tests_properties(${name} PROPERTIES FIXTURES_SETUP "${T_FIXTURES_SETUP}")
  endif()
  if(T_FIXTURES_CLEANUP)
    set_tests_properties(${name} PROPERTIES FIXTURES_CLEANUP "${T_FIXTURES_CLEANUP}")
  endif()
endfunction()

macro(_sdvm_test_properties name)
  if(NOT T_LABEL IN_LIST SDVM_TEST_LABELS)
    message(FATAL_ERROR "test ${name}: LABEL must be one of ${SDVM_TEST_LABELS}")
  endif()
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 120)
  endif()
  set_tests_properties(${name} PROPERTIES LABELS "${T_LABEL}" TIMEOUT ${T_TIMEOUT}
                       SKIP_RETURN_CODE 77 ENVIRONMENT "${SDVM_TEST_ENV};${T_ENV}")
  if(T_FIXTURES)
    set_tests_properties(${name} PROPERTIES FIXTURES_REQUIRED "${T_FIXTURES}")
  endif()
  if(T_RESOURCE_LOCK)
    set_tests_properties(${name} PROPERTIES RESOURCE_LOCK "${T_RESOURCE_LOCK}")
  endif()
endmacro()
