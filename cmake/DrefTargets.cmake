# dref_target_warnings(target): the project's warning set on one target.
function(dref_target_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow=local
                                           -Wnon-virtual-dtor -Wimplicit-fallthrough)
  if(DREF_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

# dref_target_sanitize(target): ASan + UBSan on one target only, so the
# decode paths can be checked without a second full build.
function(dref_target_sanitize target)
  set(flags -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  target_compile_options(${target} PRIVATE ${flags})
  target_link_options(${target} PRIVATE ${flags})
endfunction()

# dref_add_layer(NAME SOURCES ...): the static library dref_NAME, exported
# and installed as dref::NAME, with NAME's include/ folder as its public
# headers and the project's warnings.
function(dref_add_layer name)
  cmake_parse_arguments(ARG "" "" "SOURCES" ${ARGN})
  add_library(dref_${name} STATIC ${ARG_SOURCES})
  add_library(dref::${name} ALIAS dref_${name})
  set_target_properties(dref_${name} PROPERTIES EXPORT_NAME ${name} OUTPUT_NAME dref_${name})
  target_include_directories(dref_${name} PUBLIC
    $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/include>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  target_compile_features(dref_${name} PUBLIC cxx_std_20)
  dref_target_warnings(dref_${name})
  install(DIRECTORY include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
  install(TARGETS dref_${name} EXPORT drefTargets)
endfunction()

# dref_embed_text(OUT_VAR NAMESPACE ns FILES f ...): a generated C++ source
# (its path in OUT_VAR) defining `std::string_view ns::<stem>()` for each
# file, rebuilt when a file changes (DrefEmbedText.cmake).
function(dref_embed_text out_var)
  cmake_parse_arguments(ARG "" "NAMESPACE" "FILES" ${ARGN})
  string(MAKE_C_IDENTIFIER "${ARG_NAMESPACE}" stem)
  set(output ${CMAKE_CURRENT_BINARY_DIR}/${stem}_embedded.cpp)
  list(TRANSFORM ARG_FILES PREPEND ${CMAKE_CURRENT_SOURCE_DIR}/)
  string(REPLACE ";" "," inputs "${ARG_FILES}")
  add_custom_command(OUTPUT ${output}
    COMMAND ${CMAKE_COMMAND} -DOUTPUT=${output} "-DINPUTS=${inputs}" -DNAMESPACE=${ARG_NAMESPACE}
            -P ${PROJECT_SOURCE_DIR}/cmake/DrefEmbedText.cmake
    DEPENDS ${ARG_FILES} ${PROJECT_SOURCE_DIR}/cmake/DrefEmbedText.cmake
    COMMENT "Embedding ${ARG_NAMESPACE} text files" VERBATIM)
  set(${out_var} ${output} PARENT_SCOPE)
endfunction()
