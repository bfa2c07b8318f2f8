# strongroom_module(NAME SOURCES ... [DEPS ...] [PRIVATE_DEPS ...])
#
# Declares the static library strongroom_NAME for one module folder. DEPS are
# other modules (and libraries) whose headers appear in this module's headers;
# PRIVATE_DEPS are used only by its sources. Both are allowed layering edges.
function(strongroom_module name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  set(target strongroom_${name})
  add_library(${target} STATIC ${ARG_SOURCES})
  target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR}
                                              ${PROJECT_BINARY_DIR}/generated)
  target_link_libraries(${target} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS}
                                                             strongroom_flags)
  set_property(GLOBAL APPEND PROPERTY STRONGROOM_MODULES ${target})
  set_property(TARGET ${target} PROPERTY STRONGROOM_MODULE_DIR
                                         ${CMAKE_CURRENT_SOURCE_DIR})
endfunction()

# strongroom_executable(NAME SOURCES ... [DEPS ...])
function(strongroom_executable name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} strongroom_flags)
endfunction()
