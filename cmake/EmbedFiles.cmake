# llamachat_embed_files(<target> <namespace> <files...>)
# Generates a C++ source that holds each file as a byte array, so the binary serves its UI without
# touching the file system. The generator runs at build time and re-runs when a file changes.
find_program(LLAMACHAT_GZIP gzip REQUIRED)
function(llamachat_embed_files target)
  set(out_cpp ${CMAKE_CURRENT_BINARY_DIR}/${target}_embedded.cpp)
  # A list cannot cross the command line intact; pass it '|'-separated.
  string(REPLACE ";" "|" files_arg "${ARGN}")
  add_custom_command(
    OUTPUT ${out_cpp}
    COMMAND ${CMAKE_COMMAND} -DOUT=${out_cpp} "-DFILES=${files_arg}" -DBASE=${PROJECT_SOURCE_DIR}/web -DGZIP=${LLAMACHAT_GZIP}
            -P ${PROJECT_SOURCE_DIR}/cmake/EmbedFilesScript.cmake
    DEPENDS ${ARGN} ${PROJECT_SOURCE_DIR}/cmake/EmbedFilesScript.cmake
    COMMENT "Embedding web assets"
    VERBATIM)
  add_library(${target} STATIC ${out_cpp})
  target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${target} PUBLIC llamachat_flags)
endfunction()
