#!/usr/bin/env bash
# Build one of ballast's out-of-tree guest modules against the unpacked Debian headers (fetch-headers.sh).
#
#   scripts/guest/build-module.sh OUT.ko SRC_DIR...
#
# GUEST_KDIR: the headers to build against; default OUT's directory's headers/kdir when there is one (so
# build/guest/cloud/X.ko is built for the cloud kernel, build/guest/X.ko for the standard one), else
# build/guest/headers/kdir.  The module's vermagic must name the headers' kernel release (checked at the end).
#
# kbuild writes its outputs into M=, so the sources (*.c, *.h, Kbuild of each SRC_DIR, in order: a later Kbuild
# wins) are copied to OUT's directory as <name>-src/ and built there; the source tree stays clean.  The ABI header (include/uapi) and the shared guest header (guests/linux/balloon) are
# passed in as BALLAST_INCLUDE.  The module's Kbuild adds -Werror; on top of that any "warning:" in kbuild's own
# output (modpost, objtool) fails the build too.
#
# CONFIG_DEBUG_INFO_BTF_MODULES is switched off for this build: BTF for a module needs the kernel's vmlinux and
# pahole, and a module without BTF loads and works the same (only BPF programs would miss its types).
set -euo pipefail

die() { echo "build-module: $*" >&2; exit 1; }
[ $# -ge 2 ] || die "usage: $0 OUT.ko SRC_DIR..."
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=$1 kdir=${GUEST_KDIR:-}
shift
name=$(basename "$out" .ko)
if [ -z "$kdir" ]; then
  kdir=$(dirname "$out")/headers/kdir
  [ -f "$kdir/Makefile" ] || kdir=$root/build/guest/headers/kdir
fi
[ -f "$kdir/Makefile" ] || die "no kernel headers at $kdir: run scripts/guest/fetch-headers.sh (make guest-headers)"
# Debian's include/config/kernel.release says only 6.1.NNN; the headers' utsrelease.h has the full release.
release=$(sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' "$kdir/include/generated/utsrelease.h" 2>/dev/null || true)
[ -n "$release" ] || die "$kdir has no UTS_RELEASE in include/generated/utsrelease.h"
echo "build-module: building $name.ko for $release (kbuild in $(dirname "$out")/$name-src)"

mkdir -p "$(dirname "$out")"
work=$(cd "$(dirname "$out")" && pwd)/$name-src
rm -rf "$work"
mkdir -p "$work"
for src in "$@"; do
  [ -d "$src" ] || die "no source directory $src"
  find "$src" -maxdepth 1 -type f \( -name '*.[ch]' -o -name Kbuild \) -exec cp -p {} "$work"/ \;
done
[ -f "$work/Kbuild" ] || die "no Kbuild in $*"

log=$work/build.log
# A parallel parent make hands its jobserver down; kbuild then warns that it cannot use it, which the check
# below would take for a build warning.  The module builds alone.
unset MAKEFLAGS MFLAGS MAKELEVEL
if ! make -C "$kdir" M="$work" BALLAST_INCLUDE="$root/include/uapi $root/guests/linux/balloon" \
     CONFIG_DEBUG_INFO_BTF_MODULES= modules > "$log" 2>&1; then
  cat "$log" >&2
  die "kbuild failed for $name"
fi
if grep -qi 'warning' "$log"; then
  cat "$log" >&2
  die "$name built with warnings"
fi
[ -f "$work/$name.ko" ] || die "kbuild made no $name.ko"
# Debian builds with debug info; the initramfs needs none of it (as INSTALL_MOD_STRIP=1 would do).
strip --strip-debug -o "$out.tmp" "$work/$name.ko"
vermagic=$(strings "$out.tmp" | sed -n 's/^vermagic=//p' | head -n1)
[ "${vermagic%% *}" = "$release" ] || { rm -f "$out.tmp"; die "$name.ko has vermagic '$vermagic', not for $release"; }
mv "$out.tmp" "$out"
echo "build-module: $out ($(stat -c %s "$out") bytes, vermagic $vermagic)"
