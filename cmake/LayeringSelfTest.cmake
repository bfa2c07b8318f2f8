# The test layering.self_test: the layering check and the SQL check must
# fail on the deliberate violations in tests/layering/ (and name each one),
# so that their passing on the tree means something.
#
#   cmake -DROOT=<source root> -DWORK=<scratch directory> -P cmake/LayeringSelfTest.cmake

if(NOT ROOT OR NOT WORK)
  message(FATAL_ERROR "LayeringSelfTest.cmake: give -DROOT=<source root> -DWORK=<scratch dir>")
endif()
set(fixture ${ROOT}/tests/layering)
set(failures "")

# Fails the test unless the command failed and its output holds every
# expected line.
function(expect_failure what code output)
  if(code EQUAL 0)
    set(failures "${failures}\n  ${what}: passed on the fixture's violations" PARENT_SCOPE)
    return()
  endif()
  foreach(expected IN LISTS ARGN)
    string(FIND "${output}" "${expected}" at)
    if(at EQUAL -1)
      set(failures "${failures}\n  ${what}: does not name \"${expected}\"" PARENT_SCOPE)
    endif()
  endforeach()
endfunction()

file(REMOVE_RECURSE ${WORK})
execute_process(
  COMMAND ${CMAKE_COMMAND} -S ${fixture} -B ${WORK} -G Ninja -DSTRONGROOM_SOURCE_ROOT=${ROOT}
  RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err)
expect_failure("the layering check" "${code}" "${out}${err}"
  "daemon/upper/upper.cpp includes daemon/lower/raw.hpp, which is internal to strongroom_lower"
  "daemon/other/other.cpp includes daemon/lower/lower.hpp but strongroom_other does not link strongroom_lower")
file(REMOVE_RECURSE ${WORK})

execute_process(
  COMMAND ${CMAKE_COMMAND} -DROOT=${fixture} -P ${ROOT}/cmake/CheckSql.cmake
  RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err)
expect_failure("the SQL check" "${code}" "${out}${err}"
  "daemon/other/other.cpp: #include <sqlite3.h>"
  "SELECT count(*) FROM records"
  "COMMIT")

if(failures)
  message(FATAL_ERROR "the layering checks miss deliberate violations:${failures}")
endif()
message(STATUS "the layering check and the SQL check both fail on the fixture's violations")
