#!/usr/bin/env bash
# Usage: scripts/fuzz.sh [SECONDS] [--merge]
# Builds the libFuzzer targets (fuzz/) with clang into build-fuzz/ and runs each for SECONDS
# (default 60) on a copy of its committed corpus, so the seeds in fuzz/corpus/ stay small.
# Fails if any target crashes: the input is kept in build-fuzz/crashes/<target>/, to be fixed
# and committed to fuzz/regressions/<target>/ (tests/fuzz replays those in every build).
# --merge adds the inputs that reached new code to fuzz/corpus/<target>/ (libFuzzer -merge=1).
# Not part of the CTest run: it takes minutes and its own build.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=60
merge=0
for arg in "$@"; do
  case $arg in
    --merge) merge=1 ;;
    '' | *[!0-9]*)
      echo "usage: scripts/fuzz.sh [SECONDS] [--merge]" >&2
      exit 2
      ;;
    *) seconds=$arg ;;
  esac
done

# The same way scripts/setup.sh installs: only what is missing, from Debian's packages.
packages=(clang-14 libclang-rt-14-dev cmake ninja-build)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "fuzz: installing ${missing[*]}"
  sudo_cmd=()
  [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

build_dir=${FUZZ_BUILD_DIR:-build-fuzz}
targets=(wire_decode input_line job_load rate_headers retry_after)
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Fuzz \
  -DCMAKE_CXX_COMPILER=clang++-14 -DPARALLM_FUZZ=ON -DBUILD_TESTING=OFF "${launcher[@]}" >/dev/null
cmake --build "$build_dir" -j "$(nproc)" --target "${targets[@]/%/_fuzz}"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
crashed=0
summary=()
for t in "${targets[@]}"; do
  mkdir -p "$work/$t" "$build_dir/crashes/$t"
  cp fuzz/corpus/"$t"/* "$work/$t/"
  log="$build_dir/crashes/$t.log"
  echo "fuzz: $t for ${seconds}s"
  status=0
  "$build_dir/fuzz/${t}_fuzz" "$work/$t" -max_total_time="$seconds" -timeout=10 \
    -print_final_stats=1 -artifact_prefix="$build_dir/crashes/$t/" >"$log" 2>&1 || status=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  corpus=$(find "$work/$t" -type f | wc -l)
  if ((status != 0)); then
    crashed=$((crashed + 1))
    summary+=("$t: CRASHED after ${runs:-?} runs (exit $status); see $log and $build_dir/crashes/$t/")
    grep -m 20 -E "ERROR|SUMMARY|invariant|Test unit written" "$log" >&2 || true
  else
    summary+=("$t: ${runs:-?} runs in ${seconds}s, no crash (working corpus $corpus inputs)")
    if ((merge)); then
      "$build_dir/fuzz/${t}_fuzz" -merge=1 "fuzz/corpus/$t" "$work/$t" >>"$log" 2>&1
    fi
  fi
done

echo "fuzz: summary"
printf '  %s\n' "${summary[@]}"
echo "fuzz: $((${#targets[@]} - crashed)) passed, $crashed failed"
((crashed == 0))
