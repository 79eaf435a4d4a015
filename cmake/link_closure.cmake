# crucible_link_closure(TARGET OUT_VAR): the CMake targets TARGET links,
# directly or through others, TARGET included. A static library's private
# dependencies count: they are linked into every binary that uses it.
# Imported targets that are local to another directory (e.g. PkgConfig::X
# found in src/dashboard) are not visible here and are left out: they are
# outside libraries, never crucible components.
function(crucible_link_closure target out)
  set(seen "")
  set(todo ${target})
  while(todo)
    list(POP_FRONT todo t)
    if(t IN_LIST seen)
      continue()
    endif()
    list(APPEND seen ${t})
    get_target_property(direct ${t} LINK_LIBRARIES)
    get_target_property(interface ${t} INTERFACE_LINK_LIBRARIES)
    foreach(dep IN LISTS direct interface)
      # A static library's private dependency appears as $<LINK_ONLY:dep>.
      string(REGEX REPLACE "^\\$<LINK_ONLY:(.*)>$" "\\1" dep "${dep}")
      if(TARGET "${dep}")
        list(APPEND todo ${dep})
      endif()
    endforeach()
  endwhile()
  set(${out} ${seen} PARENT_SCOPE)
endfunction()

# crucible_write_link_closure(TARGET FILE): writes TARGET's link closure to
# FILE, one "target<TAB>source directory relative to the project" per line
# (the directory is empty for imported targets such as fmt::fmt).
function(crucible_write_link_closure target file)
  crucible_link_closure(${target} closure)
  set(text "")
  foreach(t IN LISTS closure)
    get_target_property(imported ${t} IMPORTED)
    set(dir "")
    if(NOT imported)
      get_target_property(dir ${t} SOURCE_DIR)
      file(RELATIVE_PATH dir ${PROJECT_SOURCE_DIR} ${dir})
    endif()
    string(APPEND text "${t}\t${dir}\n")
  endforeach()
  file(WRITE ${file} "${text}")
endfunction()
