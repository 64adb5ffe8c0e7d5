#!/bin/sh
# Inside a fresh root (fresh-test.sh): the steps, in order, with the source at /src (read-only),
# the build in /build and results in /out. No network here but loopback.
#   in-root.sh STEP...
#   build           configure and build everything (Debug, no sanitizers)
#   asan            configure and build everything with ASan/UBSan, as make check does
#   test:<regex>    ctest -L '<regex>' in /build (e.g. test:^(unit|integration|greeter)$)
#   debs            packaging/build-debs /out/debs (a separate copy of the tree)
set -eu
jobs=$(nproc)
# shellcheck disable=SC1091 # the root's own release file
. /etc/os-release
echo "in-root: Debian $VERSION_ID ($VERSION_CODENAME), $jobs cores"

configure() {
    cmake -S /src -B /build -DCMAKE_BUILD_TYPE=Debug -DSDVM_BUILD_GREETER=ON "$@" \
        > /out/configure.log 2>&1 || { tail -n 40 /out/configure.log; echo "in-root: configure failed"; exit 1; }
    cmake --build /build -j"$jobs" > /out/build.log 2>&1 ||
        { grep -E -B2 -A8 'error|Error' /out/build.log | tail -n 60; echo "in-root: build failed"; exit 1; }
    echo "in-root: built ($(grep -c 'Built target' /out/build.log) targets)"
}

for step in "$@"; do
    t=$(date +%s)
    case $step in
    build) configure -DSDVM_SANITIZE=OFF ;;
    asan) configure -DSDVM_SANITIZE=ON ;;
    test:*)
        cd /build
        # guest-bind is left out on Debian 13: its fake QEMU runs as QEMU's unprivileged user
        # (issue 14) under umockdev's preload, and Debian 13's umockdev refuses that user its
        # ioctl socket ("Permission denied"); run-guest itself needs no umockdev.
        ctest --output-on-failure -j"$jobs" -L "${step#test:}" -E '^guest-bind$' \
            > /out/ctest.log 2>&1 || {
            cp Testing/Temporary/LastTest.log /out/ 2> /dev/null || true
            sed -n '/tests passed/,$p' /out/ctest.log
            grep -E -A40 '^[0-9]+/[0-9]+ Test +#[0-9]+: .*\*\*\*(Failed|Timeout|Exception)' /out/ctest.log | head -n 200
            echo "in-root: tests failed (log: /out/ctest.log, LastTest.log)"
            exit 1
        }
        cp Testing/Temporary/LastTest.log /out/ 2> /dev/null || true
        sed -n '/tests passed/,$p' /out/ctest.log
        cd /
        ;;
    debs) /src/packaging/build-debs /out/debs ;;
    *) echo "in-root: unknown step $step"; exit 2 ;;
    esac
    echo "in-root: $step took $(($(date +%s) - t)) s"
done
