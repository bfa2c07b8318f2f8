# Every dependency is a Debian 12 package (scripts/setup installs them) found
# through its CMake config or pkg-config; nothing is downloaded at build time.

find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(OpenSSL 3.0 REQUIRED)
find_package(Boost 1.81.0 EXACT CONFIG REQUIRED COMPONENTS json)
find_package(fmt REQUIRED)
find_package(CLI11 REQUIRED)
find_package(tomlplusplus REQUIRED)

pkg_check_modules(SQLCIPHER REQUIRED IMPORTED_TARGET sqlcipher)
pkg_check_modules(SECCOMP REQUIRED IMPORTED_TARGET libseccomp)
pkg_check_modules(SYSTEMD REQUIRED IMPORTED_TARGET libsystemd)
pkg_check_modules(CAPNG REQUIRED IMPORTED_TARGET libcap-ng)

# SQLCipher's key functions are declared only with SQLITE_HAS_CODEC.
add_library(strongroom_sqlcipher INTERFACE)
target_link_libraries(strongroom_sqlcipher INTERFACE PkgConfig::SQLCIPHER)
target_compile_definitions(strongroom_sqlcipher INTERFACE SQLITE_HAS_CODEC)

# Boost.Asio is header-only; keep it off deprecated interfaces.
add_library(strongroom_asio INTERFACE)
target_link_libraries(strongroom_asio INTERFACE Boost::headers Threads::Threads)
target_compile_definitions(strongroom_asio INTERFACE
  BOOST_ASIO_NO_DEPRECATED BOOST_ASIO_NO_TS_EXECUTORS)

if(STRONGROOM_TESTS)
  find_package(GTest REQUIRED)
endif()
