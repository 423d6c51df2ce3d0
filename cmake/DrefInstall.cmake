# Installs the exported targets and a drefConfig.cmake so that another
# project can `find_package(dref)` and link `dref::dref`.
include(CMakePackageConfigHelpers)

install(EXPORT drefTargets NAMESPACE dref:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/dref)
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/drefConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/drefConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/dref)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/drefConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES
  ${CMAKE_CURRENT_BINARY_DIR}/drefConfig.cmake
  ${CMAKE_CURRENT_BINARY_DIR}/drefConfigVersion.cmake
  ${CMAKE_CURRENT_LIST_DIR}/FindCAF.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/dref)
