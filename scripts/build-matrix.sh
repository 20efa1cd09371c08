#!/usr/bin/env bash
# Builds every CMake build type with GCC and with clang, warnings as errors, each in
# build-matrix/<compiler>-<type>; prints one line per build and fails if any fails.
set -u
jobs=${1:-2}
cd "$(dirname "$0")/.."
failed=0
mkdir -p build-matrix
for compiler in gcc clang; do
  if [ $compiler = gcc ]; then cc=gcc cxx=g++; else cc=clang cxx=clang++; fi
  for type in Debug Release RelWithDebInfo MinSizeRel; do
    dir=build-matrix/$compiler-$type
    start=$(date +%s)
    if CC=$cc CXX=$cxx cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=$type -DCLAUSEGATE_WERROR=ON >"$dir.log" 2>&1 &&
       cmake --build "$dir" -j "$jobs" >>"$dir.log" 2>&1; then
      echo "ok      $compiler $type ($(( $(date +%s) - start )) s)"
    else
      echo "FAILED  $compiler $type (log: $dir.log)"; tail -20 "$dir.log"; failed=1
    fi
  done
done
exit $failed
