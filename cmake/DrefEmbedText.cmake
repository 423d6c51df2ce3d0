# Run as a script (cmake -P) at build time: writes OUTPUT, a C++ source that
# defines `std::string_view NAMESPACE::<stem>()` for each file in INPUTS
# (comma-separated), returning the file's text. Text files stay text files in the
# tree (editable, checked by their own tools) and still ship inside the
# binary.
set(out "// Generated from ${INPUTS} at build time; edit those files.\n#include <string_view>\n\nnamespace ${NAMESPACE} {\n")
string(REPLACE "," ";" INPUTS "${INPUTS}")
foreach(input ${INPUTS})
  get_filename_component(stem ${input} NAME_WE)
  file(READ ${input} text)
  string(FIND "${text}" ")dref_embed\"" clash)
  if(NOT clash EQUAL -1)
    message(FATAL_ERROR "${input} contains the raw-string delimiter )dref_embed\"")
  endif()
  string(APPEND out "\nstd::string_view ${stem}() {\n  return R\"dref_embed(${text})dref_embed\";\n}\n")
endforeach()
string(APPEND out "\n} // namespace ${NAMESPACE}\n")
file(WRITE ${OUTPUT}.tmp "${out}")
file(COPY_FILE ${OUTPUT}.tmp ${OUTPUT} ONLY_IF_DIFFERENT)
file(REMOVE ${OUTPUT}.tmp)
