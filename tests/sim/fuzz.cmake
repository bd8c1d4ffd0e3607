# The simulation's libFuzzer target (clang fuzz builds; included from tests/fuzz/CMakeLists.txt,
# which defines smbsrv_fuzz_common). Its corpus replay is tests/sim's fuzz_replay.sim.
if(SMBSRV_BUILD_FUZZERS)
  add_executable(fuzz_sim ${CMAKE_CURRENT_LIST_DIR}/fuzz_sim.cpp ${CMAKE_CURRENT_LIST_DIR}/sim.cpp
    ${CMAKE_CURRENT_LIST_DIR}/model.cpp ${CMAKE_CURRENT_LIST_DIR}/fault_vfs.cpp)
  smbsrv_fuzz_common(fuzz_sim)
  target_compile_options(fuzz_sim PRIVATE -fsanitize=fuzzer)
  target_link_options(fuzz_sim PRIVATE -fsanitize=fuzzer)
endif()
