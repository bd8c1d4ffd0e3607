function(smbsrv_set_warnings tgt)
  target_compile_options(${tgt} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
    -Wno-missing-field-initializers)
  if(SMBSRV_WERROR)
    target_compile_options(${tgt} PRIVATE -Werror)
  endif()
endfunction()
