#!/bin/sh
# Install the C library: the shared library with its SONAME links, the
# static library, the header and a pkg-config file.
#
# Usage: packaging/install.sh [--no-build] PREFIX
#
#   PREFIX/lib/libauthkv.so.VERSION        the shared library (SONAME libauthkv.so.0)
#   PREFIX/lib/libauthkv.so.0 -> libauthkv.so.VERSION   what programs load
#   PREFIX/lib/libauthkv.so   -> libauthkv.so.0         what -lauthkv finds
#   PREFIX/lib/libauthkv.a
#   PREFIX/lib/pkgconfig/authkv.pc
#   PREFIX/include/authkv.h
#
# VERSION is the crate's version in Cargo.toml. The script runs
# `cargo build --release` first unless --no-build is given (then it uses the
# existing target/release build) or AUTHKV_LIB_DIR is set.
#
# Environment:
#   AUTHKV_LIB_DIR    directory of an existing build's libauthkv.so and
#                     libauthkv.a (nothing is built)
#   CARGO_TARGET_DIR  cargo's target directory (default: the repository's target/)
#   CARGO             the cargo command (default: cargo)
#   DESTDIR           staging root for packagers: files go to DESTDIR/PREFIX,
#                     authkv.pc still names PREFIX
#
# Then: cc app.c $(pkg-config --cflags --libs authkv), with
# PKG_CONFIG_PATH=PREFIX/lib/pkgconfig when PREFIX is not a system prefix.
set -eu

usage() {
    echo "usage: $0 [--no-build] PREFIX" >&2
    exit 2
}

build=yes
case "${1:-}" in
    --no-build) build=no; shift ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    -*) usage ;;
esac
[ $# -eq 1 ] && [ -n "$1" ] || usage
prefix=$1
destdir=${DESTDIR:-}

root=$(cd "$(dirname "$0")/.." && pwd)

# The [package] version and description of Cargo.toml.
package_field() {
    awk -v key="$1" '
        /^\[/ { in_package = ($0 == "[package]") ; next }
        in_package && $1 == key && $2 == "=" {
            sub(/^[^=]*=[ \t]*"/, ""); sub(/"[ \t]*$/, ""); print; exit
        }' "$root/Cargo.toml"
}
version=$(package_field version)
description=$(package_field description)
[ -n "$version" ] || { echo "install: no version in $root/Cargo.toml" >&2; exit 1; }
# Build metadata (+...) is not part of a file name.
version=${version%%+*}

soname=libauthkv.so.0
real=libauthkv.so.$version

if [ -n "${AUTHKV_LIB_DIR:-}" ]; then
    lib_dir=$AUTHKV_LIB_DIR
else
    lib_dir=${CARGO_TARGET_DIR:-$root/target}/release
    if [ "$build" = yes ]; then
        (cd "$root" && "${CARGO:-cargo}" build --release --lib)
    fi
fi
for file in libauthkv.so libauthkv.a; do
    if [ ! -f "$lib_dir/$file" ]; then
        echo "install: $lib_dir/$file not found; run cargo build --release or set AUTHKV_LIB_DIR" >&2
        exit 1
    fi
done
if command -v readelf >/dev/null 2>&1; then
    have=$(readelf -d "$lib_dir/libauthkv.so" | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
    if [ "$have" != "$soname" ]; then
        echo "install: $lib_dir/libauthkv.so has SONAME '${have:-none}', expected $soname (see build.rs)" >&2
        exit 1
    fi
fi

# pkg-config needs an absolute prefix.
case "$prefix" in
    /*) ;;
    *)
        [ -z "$destdir" ] || { echo "install: PREFIX must be absolute with DESTDIR" >&2; exit 1; }
        mkdir -p "$prefix"
        prefix=$(cd "$prefix" && pwd)
        ;;
esac
prefix=${prefix%/}
libdir=$destdir$prefix/lib
includedir=$destdir$prefix/include
pcdir=$libdir/pkgconfig
mkdir -p "$libdir" "$includedir" "$pcdir"

install -m 0755 "$lib_dir/libauthkv.so" "$libdir/$real"
ln -sfn "$real" "$libdir/$soname"
ln -sfn "$soname" "$libdir/libauthkv.so"
install -m 0644 "$lib_dir/libauthkv.a" "$libdir/libauthkv.a"
install -m 0644 "$root/include/authkv.h" "$includedir/authkv.h"

pc=$pcdir/authkv.pc
cat > "$pc.tmp" <<EOF
prefix=$prefix
exec_prefix=\${prefix}
libdir=\${exec_prefix}/lib
includedir=\${prefix}/include

Name: authkv
Description: ${description:-Embedded auth-state engine}
URL: https://github.com/authkv/authkv
Version: $version
Libs: -L\${libdir} -lauthkv
Libs.private: -lpthread -ldl -lm
Cflags: -I\${includedir}
EOF
chmod 0644 "$pc.tmp"
mv "$pc.tmp" "$pc"

echo "installed authkv $version into $destdir$prefix:"
for file in "$libdir/$real" "$libdir/$soname" "$libdir/libauthkv.so" "$libdir/libauthkv.a" \
    "$includedir/authkv.h" "$pc"; do
    echo "  $file"
done
