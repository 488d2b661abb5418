#!/usr/bin/env bash
# Installs every Debian 12 package that parallm's build, tests and benchmarks need, then
# builds Release into build/. Idempotent: packages already present are not fetched again.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  g++ cmake ninja-build pkgconf git clang-format
  libcaf-dev libzmq3-dev cppzmq-dev libmsgpack-cxx-dev libboost-test-dev
  libcurl4-openssl-dev libyaml-cpp-dev nlohmann-json3-dev libcli11-dev libspdlog-dev
  libjemalloc-dev
  # libcurl only recommends the CA bundle, and recommends are not installed: without it no
  # HTTPS endpoint verifies. openssl makes the TLS tests' throwaway certificate.
  ca-certificates openssl
  # The cluster test puts coordinator, workers and client in network namespaces (`ip netns`).
  iproute2
  # The security test captures loopback traffic to show no prompt crosses it in clear.
  tcpdump
  nginx libnginx-mod-http-echo curl time python3 python3-aiohttp wrk
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=()
  [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi
# The nginx package starts a system-wide server on port 80; the tests start their own.
if command -v systemctl >/dev/null && systemctl is-active --quiet nginx 2>/dev/null; then
  systemctl stop nginx || true
fi

build_dir=${BUILD_DIR:-build}
build_type=${BUILD_TYPE:-Release}
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE="$build_type" ${CMAKE_ARGS:-} >/dev/null
cmake --build "$build_dir" -j "$(nproc)"
echo "setup: built $build_dir/parallm ($build_type)"
