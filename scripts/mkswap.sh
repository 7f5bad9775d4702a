#!/usr/bin/env bash
# Make a ballast swap area (SPEC §2.7) on a file or a disk, refusing anything that looks like someone else's data.
#
#   scripts/mkswap.sh FILE-OR-DEVICE [--force] [--label L] [--size SIZE] [--uuid UUID]
#
# SIZE is bytes, or a number with K, M, G or T (powers of 1024; "KiB" etc. too).  A FILE that does not exist is
# created, sparse, only when --size is given; for an existing target --size makes the area smaller than the target.
# Refused unless --force: a target on which util-linux's wipefs finds any signature (a filesystem, a partition table,
# RAID or LVM metadata...), and a target that already holds a ballast swap area (--force gives it a new UUID, so a
# configuration naming the old one must change).  Always refused, --force or not: a mounted device (or one with a
# mounted partition), one in use as swap, one held by device-mapper or md, and a file backing a loop device.
# With --force, signatures the header page does not cover (a GPT's backup at the end of the disk, say) are erased
# with wipefs --all, so no other tool later claims the area and "repairs" it.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
tool=$root/build/host/ballast-mkswap
me=mkswap

die() { echo "$me: $*" >&2; exit 1; }
usage() { die "usage: scripts/mkswap.sh FILE-OR-DEVICE [--force] [--label L] [--size SIZE] [--uuid UUID]"; }

# SIZE with an optional binary suffix, as bytes on stdout.
to_bytes() {
  local n unit
  [[ $1 =~ ^([0-9]+)([KMGT]?)(i?B)?$ ]] || die "--size '$1': want bytes or a number with K, M, G or T"
  n=$((10#${BASH_REMATCH[1]})) unit=${BASH_REMATCH[2]}
  case $unit in
    K) n=$((n << 10)) ;; M) n=$((n << 20)) ;; G) n=$((n << 30)) ;; T) n=$((n << 40)) ;;
  esac
  [ "$n" -gt 0 ] || die "--size '$1' is not a positive size"
  echo "$n"
}

target='' force=0 label='' size='' uuid=''
while [ $# -gt 0 ]; do
  case $1 in
    --force) force=1 ;;
    --label) [ $# -ge 2 ] || usage; label=$2; shift ;;
    --uuid) [ $# -ge 2 ] || usage; uuid=$2; shift ;;
    --size) [ $# -ge 2 ] || usage; size=$(to_bytes "$2"); shift ;;
    -*) usage ;;
    *) [ -z "$target" ] || usage; target=$1 ;;
  esac
  shift
done
[ -n "$target" ] || usage
for t in wipefs lsblk; do
  command -v "$t" >/dev/null || die "$t not found (it is part of util-linux: apt-get install util-linux)"
done

# The tool, rebuilt if its sources changed; make's chatter only when it fails.
if ! out=$(make -C "$root" --no-print-directory build/host/ballast-mkswap 2>&1); then
  printf '%s\n' "$out" >&2
  die "could not build $tool"
fi

created=0
if [ ! -e "$target" ]; then
  [ -n "$size" ] || die "$target does not exist (give --size to create it as a file)"
  truncate -s "$size" "$target" || die "cannot create $target"
  created=1
fi
# A file we created and then failed to format is removed again: a failure leaves nothing behind.
cleanup() { if [ "$created" = 1 ]; then rm -f "$target"; fi; }
trap 'cleanup' EXIT

real=$(readlink -f "$target")
if [ -b "$real" ]; then
  # The device and its partitions: any of them mounted (lsblk shows active swap as [SWAP]) or held.
  parts=$(lsblk -nrpo NAME,MOUNTPOINT "$real") || die "$target: lsblk cannot list it, so it cannot be checked"
  while read -r name mnt; do
    [ "$mnt" != "[SWAP]" ] || die "$name is in use as swap: swapoff it first"
    [ -z "$mnt" ] || die "$name is mounted on $mnt: unmount it first"
    holders=$(ls "/sys/class/block/$(basename "$name")/holders" 2>/dev/null | tr '\n' ' ' || true)
    [ -z "$holders" ] || die "$name is held by ${holders% } (device-mapper, md or LVM): release it first"
  done <<<"$parts"
elif [ -f "$real" ]; then
  if command -v losetup >/dev/null; then
    loops=$(losetup -j "$real" | cut -d: -f1 | tr '\n' ' ' || true)
    [ -z "$loops" ] || die "$target backs loop device ${loops% }: detach it first (losetup -d)"
  fi
else
  die "$target: not a regular file or a block device"
fi
# Active swap by path, for swap files as well as devices (/proc/swaps writes a space as \040).
in_swaps() { awk -v p="$1" 'NR > 1 { gsub(/\\040/, " ", $1); if ($1 == p) hit = 1 } END { exit !hit }' /proc/swaps; }
if [ -r /proc/swaps ] && in_swaps "$real"; then
  die "$target is in use as swap (/proc/swaps): swapoff it first"
fi

# Someone else's signatures, found by libblkid's full probe.  wipefs fails on what it cannot read: so do we.
found=$(wipefs --no-act --noheadings --output TYPE,OFFSET,LABEL "$real" 2>&1) ||
  die "$target: wipefs cannot probe it: $found"
found=$(printf '%s\n' "$found" | awk 'NF { $1 = $1; printf "%s%s", sep, $0; sep = "; " }')
if [ -n "$found" ]; then
  [ "$force" = 1 ] || die "$target holds other data (type offset label: $found); refusing without --force"
  echo "$me: --force: overwriting $target, which holds: $found"
fi

# Our own signature, valid or damaged (exit 2 from --check: none at all).
rc=0 ours=$("$tool" --check "$real") || rc=$?
case $rc in
  2) ;;
  0 | 3)
    [ "$force" = 1 ] || die "refusing without --force, which would replace it (with a new UUID): $ours"
    echo "$me: --force: replacing $ours" ;;
  *) die "$target: cannot read it" ;;
esac

args=()
[ -z "$label" ] || args+=(--label "$label")
[ -z "$size" ] || args+=(--size "$size")
[ -z "$uuid" ] || args+=(--uuid "$uuid")
"$tool" "${args[@]}" "$target" || die "nothing written to $target"
created=0 # formatted: from here on the file is the user's

if [ -n "$found" ]; then
  # Page 0 is ours now; erase what lies beyond it, then make sure page 0 survived that.
  wipefs --all --quiet "$real" || die "$target: wipefs --all failed: other signatures may remain"
  "$tool" --check "$real" >/dev/null || die "$target: the header does not check after wipefs --all"
fi
