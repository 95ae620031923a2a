# embed_files(<target-name> <out.cpp> <namespace> <base-dir> <relative files...>)
# Generates a .cpp holding each file's bytes, looked up by relative path at run time,
# so every executable runs from any folder.
set(ATTNVIZ_EMBED_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/embed_write.cmake)
function(embed_files name out_cpp ns base_dir)
  set(files ${ARGN})
  set(abs_files)
  foreach(f IN LISTS files)
    list(APPEND abs_files ${base_dir}/${f})
  endforeach()
  string(REPLACE ";" "," files_arg "${files}")
  add_custom_command(
    OUTPUT ${out_cpp}
    COMMAND ${CMAKE_COMMAND} -DOUT=${out_cpp} -DNS=${ns} -DBASE=${base_dir} "-DFILES=${files_arg}"
            -P ${ATTNVIZ_EMBED_SCRIPT}
    DEPENDS ${abs_files} ${ATTNVIZ_EMBED_SCRIPT}
    COMMENT "Embedding ${name}")
endfunction()
