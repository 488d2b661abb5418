#!/usr/bin/env bash
# Installs what is needed, builds, and runs every test through CTest.
# SANITIZE=1 builds with ASan+UBSan into build-asan/ instead.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ ${SANITIZE:-0} == 1 ]]; then
  export BUILD_DIR=${BUILD_DIR:-build-asan} BUILD_TYPE=Debug CMAKE_ARGS="-DPARALLM_SANITIZE=ON"
  export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
fi
scripts/setup.sh
ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure -j "$(nproc)" --timeout 300
