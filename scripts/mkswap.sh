#!/usr/bin/env bash
# Make a ballast swap area (SPEC §2.7) on a file or a disk, refusing anything that looks like someone else's data.
#
#   scripts/mkswap.sh FILE-OR-DEVICE [--force] [--label L] [--size SIZE] [--uuid UUID] [--partition N]
#
# SIZE is bytes, or a number with K, M, G or T (powers of 1024; "KiB" etc. too).  A FILE that does not exist is
# created, sparse, only when --size is given; for an existing target --size makes the area smaller than the target.
# A GPT partition works as well as a whole disk: on a disk, name the partition's device (/dev/sdY2); in a disk image
# file, give --partition N, and the area goes in partition N (its start and size as sfdisk reads them) with nothing
# outside it written.  ballast uses a partition only on a GPT disk and only when it starts on a 4 KiB boundary (as
# fdisk and parted make them), so any other is refused here.
# Refused unless --force: a target on which util-linux's wipefs finds any signature (a filesystem, a partition table,
# RAID or LVM metadata...; with --partition, what blkid -p finds in that partition's byte range), and a target that
# already holds a ballast swap area (--force gives it a new UUID, so a configuration naming the old one must change).
# Always refused, --force or not: a mounted device (or one with a mounted partition), one in use as swap, one held by
# device-mapper or md, and a file backing a loop device.
# With --force, signatures the header page does not cover (a GPT's backup at the end of the disk, say) are erased
# with wipefs --all, so no other tool later claims the area and "repairs" it; in a partition of an image, where
# wipefs --all would erase the image's own partition table, the partition's first and last MiB are zeroed instead
# (where filesystems, RAID and LVM keep their signatures) and the partition must then probe clean.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
tool=$root/build/host/ballast-mkswap
me=mkswap

die() { echo "$me: $*" >&2; exit 1; }
usage() {
  die "usage: scripts/mkswap.sh FILE-OR-DEVICE [--force] [--label L] [--size SIZE] [--uuid UUID] [--partition N]"
}

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

target='' force=0 label='' size='' uuid='' partition=''
while [ $# -gt 0 ]; do
  case $1 in
    --force) force=1 ;;
    --partition) [ $# -ge 2 ] || usage; partition=$2; shift
      [[ $partition =~ ^[1-9][0-9]*$ ]] || die "--partition '$partition': want a partition number (1, 2, ...)" ;;
    --label) [ $# -ge 2 ] || usage; label=$2; shift ;;
    --uuid) [ $# -ge 2 ] || usage; uuid=$2; shift ;;
    --size) [ $# -ge 2 ] || usage; size=$(to_bytes "$2"); shift ;;
    -*) usage ;;
    *) [ -z "$target" ] || usage; target=$1 ;;
  esac
  shift
done
[ -n "$target" ] || usage
for t in wipefs lsblk blkid; do
  command -v "$t" >/dev/null || die "$t not found (it is part of util-linux: apt-get install util-linux)"
done
if [ -n "$partition" ]; then
  command -v sfdisk >/dev/null || die "sfdisk not found (it is in Debian's fdisk package: apt-get install fdisk)"
  command -v python3 >/dev/null || die "python3 not found (it reads sfdisk's JSON: apt-get install python3)"
fi

# The tool, rebuilt if its sources changed; make's chatter only when it fails.
if ! out=$(make -C "$root" --no-print-directory build/host/ballast-mkswap 2>&1); then
  printf '%s\n' "$out" >&2
  die "could not build $tool"
fi

created=0
if [ ! -e "$target" ]; then
  [ -z "$partition" ] || die "$target does not exist (--partition wants an image that has a partition table)"
  [ -n "$size" ] || die "$target does not exist (give --size to create it as a file)"
  truncate -s "$size" "$target" || die "cannot create $target"
  created=1
fi
# A file we created and then failed to format is removed again: a failure leaves nothing behind.
cleanup() { if [ "$created" = 1 ]; then rm -f "$target"; fi; }
trap 'cleanup' EXIT

real=$(readlink -f "$target")
if [ -b "$real" ] && [ -n "$partition" ]; then
  die "$target is a device: --partition is for image files; on a disk, name the partition's device (/dev/sdY2)"
fi
if [ -b "$real" ]; then
  # The device and its partitions: any of them mounted (lsblk shows active swap as [SWAP]) or held.
  parts=$(lsblk -nrpo NAME,MOUNTPOINT "$real") || die "$target: lsblk cannot list it, so it cannot be checked"
  while read -r name mnt; do
    [ "$mnt" != "[SWAP]" ] || die "$name is in use as swap: swapoff it first"
    [ -z "$mnt" ] || die "$name is mounted on $mnt: unmount it first"
    holders=$(ls "/sys/class/block/$(basename "$name")/holders" 2>/dev/null | tr '\n' ' ' || true)
    [ -z "$holders" ] || die "$name is held by ${holders% } (device-mapper, md or LVM): release it first"
  done <<<"$parts"
  # A partition's device: ballast finds the area only in a GPT partition on a 4 KiB boundary (kernel/disks.c).
  sys=/sys/class/block/$(basename "$real")
  if [ -e "$sys/partition" ]; then
    start=$(cat "$sys/start") || die "$target: cannot read where the partition starts ($sys/start)"
    [ $((start % 8)) = 0 ] || # sysfs counts 512-byte units, whatever the disk's sector size
      die "$target starts at byte $((start * 512)), not on a 4 KiB boundary: ballast would not use it"
    pttype=$(lsblk -ndo PTTYPE "$real" 2>/dev/null) || pttype=
    [ "$pttype" = gpt ] ||
      die "$target is a partition of a ${pttype:-unknown} partition table: ballast reads GPT partitions only"
  fi
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

# Partition N of an image: its byte range from the GPT, as sfdisk reads it.  Everything below then works inside it.
offset=0 room=
if [ -n "$partition" ]; then
  # stdout alone is the JSON (sfdisk warns on stderr, e.g. of a PMBR that does not span the image); again for why.
  table=$(sfdisk --json "$real" 2>/dev/null) ||
    die "$target: sfdisk finds no partition table: $(sfdisk --json "$real" 2>&1 >/dev/null | head -n 1)"
  range=$(python3 -c '
import json, re, sys
n, t = int(sys.argv[1]), json.load(sys.stdin)["partitiontable"]
if t.get("label") != "gpt":
    sys.exit("a %s partition table: ballast reads GPT partitions only" % t.get("label"))
unit = t.get("sectorsize", 512)
for p in t.get("partitions", []):
    m = re.search(r"([0-9]+)$", p["node"])  # sfdisk names partition N as the image name + N (or + pN)
    if m and int(m.group(1)) == n:
        print(p["start"] * unit, p["size"] * unit)
        sys.exit(0)
sys.exit("the partition table has no partition %d" % n)
' "$partition" <<<"$table" 2>&1) || die "$target: $range"
  read -r offset room <<<"$range"
  [ $((offset % 4096)) = 0 ] ||
    die "$target partition $partition starts at byte $offset, not on a 4 KiB boundary: ballast would not use it"
  if [ -n "$size" ] && [ "$size" -gt "$room" ]; then
    die "--size $size is larger than partition $partition ($room bytes)"
  fi
  where="$target partition $partition"
else
  where=$target
fi
area=()
[ -z "$partition" ] || area=(--offset "$offset" --size "$room")

# Someone else's signatures, found by libblkid's full probe: of the whole target by wipefs, or of the partition's
# range by blkid (exit 2: nothing there).  Either fails on what it cannot read: so do we.
if [ -n "$partition" ]; then
  rc=0 found=$(blkid -p -O "$offset" -S "$room" -o export "$real" 2>&1) || rc=$?
  case $rc in
    0) found=$(printf '%s\n' "$found" |
         awk -F= '$1 ~ /^(PTTYPE|TYPE|USAGE|LABEL)$/ { printf "%s%s", sep, $2; sep = " " }')
       found=${found:-a signature blkid does not name} ;;
    2) found= ;;
    8) found="more than one signature" ;;
    *) die "$where: blkid cannot probe it: $found" ;;
  esac
else
  found=$(wipefs --no-act --noheadings --output TYPE,OFFSET,LABEL "$real" 2>&1) ||
    die "$target: wipefs cannot probe it: $found"
  found=$(printf '%s\n' "$found" | awk 'NF { $1 = $1; printf "%s%s", sep, $0; sep = "; " }')
  [ -z "$found" ] || found="type offset label: $found"
fi
if [ -n "$found" ]; then
  [ "$force" = 1 ] || die "$where holds other data ($found); refusing without --force"
  echo "$me: --force: overwriting $where, which holds: $found"
fi

# Our own signature, valid or damaged (exit 2 from --check: none at all).
rc=0 ours=$("$tool" --check "${area[@]}" "$real") || rc=$?
case $rc in
  2) ;;
  0 | 3)
    [ "$force" = 1 ] || die "refusing without --force, which would replace it (with a new UUID): $ours"
    echo "$me: --force: replacing $ours" ;;
  *) die "$where: cannot read it" ;;
esac

args=()
[ -z "$label" ] || args+=(--label "$label")
[ -z "$uuid" ] || args+=(--uuid "$uuid")
if [ -n "$partition" ]; then
  args+=(--offset "$offset" --size "${size:-$room}")
elif [ -n "$size" ]; then
  args+=(--size "$size")
fi
"$tool" "${args[@]}" "$real" || die "nothing written to $where"
created=0 # formatted: from here on the file is the user's

if [ -n "$found" ] && [ -n "$partition" ]; then
  # Inside the partition only: zero its first MiB after the header page and its last MiB, then probe it again.
  zero() { dd if=/dev/zero of="$real" bs=64K seek="$1" count="$2" oflag=seek_bytes iflag=count_bytes \
    conv=notrunc status=none; }
  head_end=$((room < (1 << 20) ? room : 1 << 20))
  [ "$head_end" -le 4096 ] || zero $((offset + 4096)) $((head_end - 4096)) ||
    die "$where: zeroing its first MiB failed: other signatures may remain"
  tail_start=$((room - (1 << 20) > head_end ? room - (1 << 20) : head_end))
  [ "$tail_start" -ge "$room" ] || zero $((offset + tail_start)) $((room - tail_start)) ||
    die "$where: zeroing its last MiB failed: other signatures may remain"
  rc=0 left=$(blkid -p -O "$offset" -S "$room" -o export "$real" 2>&1) || rc=$?
  [ "$rc" = 2 ] || die "$where: a signature remains after zeroing its first and last MiB: $left"
  "$tool" --check "${area[@]}" "$real" >/dev/null || die "$where: the header does not check after the zeroing"
elif [ -n "$found" ]; then
  # Page 0 is ours now; erase what lies beyond it, then make sure page 0 survived that.
  wipefs --all --quiet "$real" || die "$target: wipefs --all failed: other signatures may remain"
  "$tool" --check "$real" >/dev/null || die "$target: the header does not check after wipefs --all"
fi
