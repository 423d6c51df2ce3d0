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
