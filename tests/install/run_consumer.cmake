# Installs the build into a fresh prefix, then: configures, builds and runs a consumer project that uses
# find_package(spikingbert) and #include <spikingbert/...> on the installed vocabulary and model; runs the
# installed executable from another folder on the shipped model (found under share/spikingbert, not in the
# source tree); checks the prefix has no empty folders; and imports the installed Python module (when
# PYTHON_EXECUTABLE and PYTHON_INSTALL_DIR are given). Fails on any step.
file(REMOVE_RECURSE ${WORK_DIR})
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BINARY_DIR} --prefix ${WORK_DIR}/prefix
                OUTPUT_QUIET RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "cmake --install failed")
endif()
set(prefix ${WORK_DIR}/prefix)
set(share ${prefix}/share/spikingbert)

execute_process(COMMAND ${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/install/consumer -B ${WORK_DIR}/build
                        -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_BUILD_TYPE=Release
                OUTPUT_QUIET RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "consumer configure failed")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build ${WORK_DIR}/build RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "consumer build failed")
endif()
execute_process(COMMAND ${WORK_DIR}/build/consumer ${share}/data/vocab/bert-base-uncased.txt
                        ${share}/models/pretrained/sst2/student.h5
                OUTPUT_VARIABLE output ERROR_VARIABLE errors RESULT_VARIABLE status)
if(NOT status EQUAL 0 OR NOT output MATCHES "consumer: ok")
  message(FATAL_ERROR "consumer run failed: ${output}${errors}")
endif()
message(STATUS "${output}")

# The installed executable, run from an unrelated folder without --model, uses the installed model.
if(NOT EXISTS ${prefix}/bin/spikingbert)
  message(FATAL_ERROR "the executable was not installed")
endif()
file(MAKE_DIRECTORY ${WORK_DIR}/elsewhere)
execute_process(COMMAND ${prefix}/bin/spikingbert run --task sst2 --data ${share}/data/glue/SST-2/dev.tsv
                        --limit 4 --steps 8 --threads 1 --json
                WORKING_DIRECTORY ${WORK_DIR}/elsewhere
                OUTPUT_VARIABLE output ERROR_VARIABLE errors RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "installed spikingbert run failed: ${output}${errors}")
endif()
string(FIND "${errors}" "${share}/models/pretrained/sst2/student.h5" shipped_model_used)
if(shipped_model_used EQUAL -1)
  message(FATAL_ERROR "installed spikingbert run did not use ${share}/models/pretrained/sst2/student.h5: ${errors}")
endif()

# No empty folders in the prefix.
file(GLOB_RECURSE folders LIST_DIRECTORIES true ${prefix}/*)
foreach(folder ${folders})
  if(IS_DIRECTORY ${folder})
    file(GLOB children ${folder}/*)
    if(NOT children)
      message(FATAL_ERROR "the install has an empty folder: ${folder}")
    endif()
  endif()
endforeach()

if(PYTHON_EXECUTABLE AND PYTHON_INSTALL_DIR)
  execute_process(COMMAND ${CMAKE_COMMAND} -E env PYTHONPATH=${prefix}/${PYTHON_INSTALL_DIR}
                          ${PYTHON_EXECUTABLE} -c
                          "import spikingbert as sb; assert sb.__file__.startswith('${prefix}'), sb.__file__; m = sb.Model(); assert m.config['source'].startswith('${share}'), m.config['source']; b = sb.Tokenizer().encode(['a gripping, funny film']); r = m.run(b['input_ids'], steps=8); print('python: installed module', sb.__version__, 'logits', r['logits'][0])"
                  WORKING_DIRECTORY ${WORK_DIR}/elsewhere
                  OUTPUT_VARIABLE output ERROR_VARIABLE errors RESULT_VARIABLE status)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "import spikingbert from the prefix failed: ${output}${errors}")
  endif()
  message(STATUS "${output}")
endif()
