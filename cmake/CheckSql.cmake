# The store is the only holder of SQL: run as a script,
#
#   cmake -DROOT=<source root> -P cmake/CheckSql.cmake
#
# it fails, naming each file and line, when a source of the daemon or the
# tools outside daemon/store/ calls sqlite3 (or includes its header) or holds
# an SQL statement in a string literal. The test layering.sql_only_in_store
# runs it on the tree; layering.self_test runs it on tests/layering/, which
# holds deliberate violations, and expects it to fail.

if(NOT ROOT)
  message(FATAL_ERROR "CheckSql.cmake: give -DROOT=<source root>")
endif()

# A statement keyword at the start of a string literal, followed by a space,
# a semicolon or the end of the literal: "SELECT ...", "BEGIN;", "COMMIT".
set(keywords "SELECT|INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER|PRAGMA|BEGIN|COMMIT|END|ROLLBACK|SAVEPOINT|RELEASE|ATTACH|DETACH|VACUUM|REINDEX|ANALYZE|EXPLAIN|WITH")
set(pattern "sqlite3|\"[ ]*(${keywords})( |;|\")")

set(files "")
foreach(dir daemon admin-tools hardening)
  file(GLOB_RECURSE found ${ROOT}/${dir}/*.cpp ${ROOT}/${dir}/*.hpp ${ROOT}/${dir}/*.h
       ${ROOT}/${dir}/*.c)
  list(APPEND files ${found})
endforeach()

set(errors "")
set(checked 0)
foreach(f IN LISTS files)
  file(RELATIVE_PATH rel ${ROOT} ${f})
  if(rel MATCHES "^daemon/store/")
    continue()
  endif()
  math(EXPR checked "${checked} + 1")
  file(STRINGS ${f} hits REGEX "${pattern}")
  foreach(line IN LISTS hits)
    string(STRIP "${line}" line)
    list(APPEND errors "${rel}: ${line}")
  endforeach()
endforeach()

if(checked EQUAL 0)
  message(FATAL_ERROR "CheckSql.cmake: no sources under ${ROOT}")
endif()
if(errors)
  list(JOIN errors "\n  " msg)
  message(FATAL_ERROR "SQL outside daemon/store/ (move it into a repository there):\n  ${msg}")
endif()
message(STATUS "no SQL outside daemon/store/ in ${checked} files")
