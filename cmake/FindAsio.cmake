# Debian's libasio-dev ships headers only, no CMake package: provide asio::asio ourselves.
find_path(Asio_INCLUDE_DIR NAMES asio.hpp)
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(Asio REQUIRED_VARS Asio_INCLUDE_DIR)
if(Asio_FOUND AND NOT TARGET asio::asio)
  find_package(Threads REQUIRED)
  add_library(asio::asio INTERFACE IMPORTED)
  # ASIO_DISABLE_STD_ALIGNED_ALLOC: Asio 1.22 decides between aligned_alloc/free and operator
  # new/delete from _GLIBCXX_HAVE_ALIGNED_ALLOC, which is only defined when a standard header
  # came before <asio.hpp>. Translation units that differ there give its inline aligned_new /
  # aligned_delete two definitions (an ODR violation; ASan reports alloc-dealloc-mismatch on
  # coroutine frames). Pin one choice for every translation unit.
  set_target_properties(asio::asio PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${Asio_INCLUDE_DIR}"
    INTERFACE_COMPILE_DEFINITIONS "ASIO_STANDALONE;ASIO_NO_DEPRECATED;ASIO_DISABLE_STD_ALIGNED_ALLOC"
    INTERFACE_LINK_LIBRARIES Threads::Threads)
  # Asio 1.22 enables co_await on clang only with libc++'s <experimental/coroutine>; clang 14+
  # implements C++20 coroutines and libstdc++'s <coroutine> works with it, so say so.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang" AND CMAKE_CXX_COMPILER_VERSION VERSION_GREATER_EQUAL 14)
    set_property(TARGET asio::asio APPEND PROPERTY INTERFACE_COMPILE_DEFINITIONS ASIO_HAS_CO_AWAIT=1)
  endif()
endif()
