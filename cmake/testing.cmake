# parallm_add_test(NAME SOURCE LIBS...): one Boost.Test executable per suite.
function(parallm_add_test name source)
  add_executable(${name} ${source})
  target_link_libraries(${name} PRIVATE ${ARGN} Boost::unit_test_framework)
  target_compile_definitions(${name} PRIVATE BOOST_TEST_DYN_LINK)
  add_test(NAME ${name} COMMAND ${name} --report_level=short --color_output=false)
  set_tests_properties(${name} PROPERTIES TIMEOUT 120)
endfunction()
