# Layering check, run at configure time: a module may include headers only of
# the modules it links (directly or through their public dependencies). This
# keeps the target_link_libraries lines the single statement of which module
# may use which: the server cannot reach the store, the policy cannot do I/O.
#
# A header whose first lines say "strongroom:internal" belongs to its module
# alone: no other module may include it, whatever it links (the store's raw
# connection, daemon/store/sqlite.hpp, is one). Tests are not modules and may.
#
# tests/layering/ holds a project with deliberate violations; the test
# layering.self_test configures it and expects both kinds to be named.

# True in out when the header at path (relative to the source root) is
# internal to its module.
function(_strongroom_is_internal path out)
  set(${out} FALSE PARENT_SCOPE)
  set(file ${PROJECT_SOURCE_DIR}/${path})
  if(EXISTS ${file})
    file(STRINGS ${file} head LIMIT_COUNT 3 REGEX "strongroom:internal")
    if(head)
      set(${out} TRUE PARENT_SCOPE)
    endif()
  endif()
endfunction()

function(_strongroom_closure target out)
  set(seen "")
  set(queue ${target})
  while(queue)
    list(POP_FRONT queue t)
    if(NOT TARGET ${t} OR t IN_LIST seen)
      continue()
    endif()
    list(APPEND seen ${t})
    get_target_property(links ${t} LINK_LIBRARIES)
    get_target_property(ilinks ${t} INTERFACE_LINK_LIBRARIES)
    foreach(l IN LISTS links ilinks)
      if(l MATCHES "^strongroom_" AND NOT l IN_LIST seen)
        list(APPEND queue ${l})
      endif()
    endforeach()
  endwhile()
  set(${out} ${seen} PARENT_SCOPE)
endfunction()

function(strongroom_check_layering)
  get_property(modules GLOBAL PROPERTY STRONGROOM_MODULES)
  # Map each module folder (relative to the source root) to its target.
  set(dirs "")
  foreach(m IN LISTS modules)
    get_target_property(dir ${m} STRONGROOM_MODULE_DIR)
    file(RELATIVE_PATH rel ${PROJECT_SOURCE_DIR} ${dir})
    set(_target_of_${rel} ${m})
    list(APPEND dirs ${rel})
  endforeach()

  set(errors "")
  foreach(m IN LISTS modules)
    _strongroom_closure(${m} allowed)
    get_target_property(dir ${m} STRONGROOM_MODULE_DIR)
    file(GLOB files ${dir}/*.cpp ${dir}/*.hpp)
    foreach(f IN LISTS files)
      file(STRINGS ${f} includes REGEX "^#include \"")
      foreach(inc IN LISTS includes)
        string(REGEX REPLACE "^#include \"([^\"]+)\".*" "\\1" path "${inc}")
        get_filename_component(incdir ${path} DIRECTORY)
        if(DEFINED _target_of_${incdir})
          set(needed ${_target_of_${incdir}})
          file(RELATIVE_PATH relf ${PROJECT_SOURCE_DIR} ${f})
          if(NOT needed IN_LIST allowed)
            list(APPEND errors "${relf} includes ${path} but ${m} does not link ${needed}")
          elseif(NOT needed STREQUAL m)
            _strongroom_is_internal(${path} internal)
            if(internal)
              list(APPEND errors "${relf} includes ${path}, which is internal to ${needed}")
            endif()
          endif()
        endif()
      endforeach()
    endforeach()
  endforeach()
  if(errors)
    list(JOIN errors "\n  " msg)
    message(FATAL_ERROR "Layering violations:\n  ${msg}")
  endif()
endfunction()
