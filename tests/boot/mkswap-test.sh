#!/usr/bin/env bash
# scripts/mkswap.sh on scratch files (host only, no emulator, seconds): a fresh sparse area checks; a file holding
# a filesystem, a partition table or a ballast area already is refused and left byte for byte as it was; --force
# writes it; in a GPT image, --partition N writes inside partition N only.  Prints the output of each failing case
# and one summary line.
set -u
cd "$(dirname "$0")/../.." || exit 1
mkswap=scripts/mkswap.sh
tool=build/host/ballast-mkswap
dir=$(mktemp -d "${TMPDIR:-/tmp}/mkswap-test.XXXXXX")
trap 'rm -rf "$dir"' EXIT
passed=0 failed=0
uuid='[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}' # random: RFC 4122 version 4

pass() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); echo "FAILED: $1"; [ -z "${out:-}" ] || printf '%s\n' "$out" | sed 's/^/  | /'; }
sum() { sha256sum "$1" | cut -d' ' -f1; }

# mkswap.sh ARGS... succeeds and prints a line matching the extended regex want.
expect_made() {
  local name=$1 want=$2
  shift 2
  if out=$($mkswap "$@" 2>&1) && grep -Eq "$want" <<<"$out"; then pass; else fail "$name"; fi
}

# mkswap.sh FILE ARGS... fails, says something matching why, and leaves FILE unchanged.
expect_refused() {
  local name=$1 why=$2 file=$3 before
  shift 3
  before=$(sum "$file")
  if out=$($mkswap "$file" "$@" 2>&1); then fail "$name (not refused)"; return; fi
  grep -Eq "$why" <<<"$out" || { fail "$name (reason does not match '$why')"; return; }
  [ "$(sum "$file")" = "$before" ] || { fail "$name (file changed)"; return; }
  pass
}

# mkswap.sh ARGS... fails with a message matching why (targets that are absent, too small or not files).
expect_fails() {
  local name=$1 why=$2
  shift 2
  if out=$($mkswap "$@" 2>&1); then fail "$name (not refused)"
  elif grep -Eq -- "$why" <<<"$out"; then pass
  else fail "$name (reason does not match '$why')"; fi
}

# ballast-mkswap --check [ARGS...] FILE exits with rc and prints a line matching want.
expect_check() {
  local name=$1 rc=$2 want=$3 file=$4 got=0
  shift 4
  out=$($tool --check "$@" "$file" 2>&1) || got=$?
  if [ "$got" = "$rc" ] && grep -Eq "$want" <<<"$out"; then pass; else fail "$name (--check exit $got)"; fi
}

# No signature wipefs knows is left (ours is not one it knows).
expect_no_foreign() {
  if out=$(wipefs --no-act --noheadings "$2" 2>&1) && [ -z "$out" ]; then pass; else fail "$1"; fi
}

make --no-print-directory -s build/host/ballast-mkswap >/dev/null || { echo "mkswap-test: cannot build $tool"; exit 1; }

# 1. A fresh sparse file: made, checks, really sparse, with the size asked for.
f=$dir/fresh.img
expect_made "fresh file" "^ballast swap area $uuid on $f: 8191 slots \(32 MiB\)$" "$f" --size 32M --label scratch
expect_check "fresh file checks" 0 "^ballast swap area $uuid on $f: 8191 slots \(32 MiB\), label \"scratch\"$" "$f"
out="size $(stat -c %s "$f"), $(stat -c '%b * %B' "$f") bytes allocated"
if [ "$(stat -c %s "$f")" = 33554432 ] && [ $(($(stat -c '%b * %B' "$f"))) -lt $((1 << 20)) ]; then pass
else fail "fresh file is 32 MiB and sparse"; fi

# 2. Our own area is not overwritten without --force; with it, it gets a new UUID.
old=$($tool --check "$f" | grep -Eo "$uuid")
expect_refused "existing ballast area" "refusing without --force.*ballast swap area $old" "$f"
expect_made "existing ballast area with --force" "^ballast swap area $uuid on $f: 8191 slots" "$f" --force
new=$($tool --check "$f" | grep -Eo "$uuid")
out="old $old, new $new"
if [ -n "$new" ] && [ "$new" != "$old" ]; then pass; else fail "--force gives a new UUID"; fi

# 3. A filesystem: ext4 where e2fsprogs is installed (it is not Essential), else FAT where dosfstools is.
fs=$dir/fs.img
truncate -s 32M "$fs"
if command -v mkfs.ext4 >/dev/null; then fstype=ext4 && mkfs.ext4 -F -q "$fs"
elif command -v mkfs.vfat >/dev/null; then fstype=vfat && mkfs.vfat "$fs" >/dev/null
else fstype=; echo "mkswap-test: no mkfs.ext4 or mkfs.vfat: the filesystem case is skipped (the MBR case remains)"; fi
if [ -n "$fstype" ]; then
  expect_refused "$fstype filesystem" "holds other data.*$fstype" "$fs" --label x
  expect_made "$fstype filesystem with --force" "overwriting .*$fstype" "$fs" --force
  expect_check "$fstype filesystem overwritten checks" 0 "^ballast swap area $uuid on $fs: 8191 slots" "$fs"
  expect_no_foreign "$fstype signature erased" "$fs"
fi

# 4. An MBR partition table with one partition, written by hand (no sfdisk needed).
mbr=$dir/mbr.img
truncate -s 32M "$mbr"
entry='\x00\x00\x02\x00\x83\x00\x00\x00\x01\x00\x00\x00\xff\xff\x00\x00' # Linux, LBA 1, 65535 sectors
printf '%b' "$entry" | dd of="$mbr" bs=1 seek=446 conv=notrunc status=none
printf '\x55\xaa' | dd of="$mbr" bs=1 seek=510 conv=notrunc status=none
expect_refused "MBR partition table" "holds other data.*dos" "$mbr"
expect_made "MBR partition table with --force" "overwriting .*dos" "$mbr" --force --size 16M
expect_check "MBR overwritten, 16 MiB of 32" 0 "^ballast swap area $uuid on $mbr: 4095 slots \(16 MiB\)$" "$mbr"
expect_no_foreign "MBR signature erased" "$mbr"

# 5. A damaged ballast header: --check says why, and it still counts as ours (refused without --force).
printf '\x01' | dd of="$f" bs=1 seek=4000 conv=notrunc status=none
expect_check "damaged header" 3 "signature refused: header checksum mismatch" "$f"
expect_refused "damaged ballast area" "refusing without --force.*checksum" "$f"

# 6. Targets that are not there, too small or not files: refused, and nothing left behind.
expect_fails "absent file, no --size" "does not exist \(give --size" "$dir/absent"
expect_fails "too small a new file" "smaller than a swap area's 16 pages" "$dir/tiny" --size 32K
for leftover in "$dir/absent" "$dir/tiny"; do
  out=$(ls -l "$leftover" 2>&1)
  if [ -e "$leftover" ]; then fail "refusal left $leftover behind"; else pass; fi
done
expect_fails "a directory" "not a regular file or a block device" "$dir"
truncate -s 1M "$dir/zero.img"
expect_check "a file without a signature" 2 "no ballast swap signature" "$dir/zero.img"

# 7. A GPT image made by sfdisk: partition 1 holds a filesystem, partition 2 random bytes, partition 3 starts off a
#    4 KiB boundary.  --partition 2 writes only its header page, inside partition 2; the header checks at that
#    offset; partition 1 is refused without --force (and with it is written inside partition 1 only), partition 3
#    always; the image as a whole is refused (it holds a partition table).
if command -v sfdisk >/dev/null; then
  g=$dir/gpt.img
  truncate -s 64M "$g"
  layout='label: gpt\nstart=2048, size=16M, type=linux\nstart=34816, size=32M, type=linux\nstart=100353, size=1M\n'
  if ! out=$(printf "$layout" | sfdisk -q "$g" 2>&1); then
    fail "sfdisk makes the GPT image"
  else
    p1=$((2048 * 512)) p1size=$((16 << 20)) p2=$((34816 * 512)) p2size=$((32 << 20))
    head -c "$p2size" /dev/urandom | dd of="$g" bs=64K seek="$p2" oflag=seek_bytes conv=notrunc status=none
    if [ -n "$fstype" ]; then
      truncate -s "$p1size" "$dir/part1.img"
      if [ "$fstype" = ext4 ]; then mkfs.ext4 -F -q "$dir/part1.img"; else mkfs.vfat "$dir/part1.img" >/dev/null; fi
      dd if="$dir/part1.img" of="$g" bs=64K seek="$p1" oflag=seek_bytes conv=notrunc status=none
    fi
    # The bytes before and after partition N (start, size), and partition 2 past its header page.
    outside() { head -c "$2" "$g" | sha256sum; tail -c +$(($2 + $3 + 1)) "$g" | sha256sum; }
    p2_rest() { tail -c +$((p2 + 4096 + 1)) "$g" | head -c $((p2size - 4096)) | sha256sum; }
    before=$(outside g "$p2" "$p2size") rest=$(p2_rest)

    expect_refused "GPT image as a whole" "holds other data.*gpt" "$g"
    expect_made "GPT partition 2" "^ballast swap area $uuid on .*gpt\.img at byte $p2: 8191 slots \(32 MiB\)$" \
      "$g" --partition 2 --label part2
    out="outside partition 2 before / after: $before / $(outside g "$p2" "$p2size")"
    if [ "$(outside g "$p2" "$p2size")" = "$before" ]; then pass
    else fail "GPT partition 2: bytes outside it unchanged"; fi
    out=
    if [ "$(p2_rest)" = "$rest" ]; then pass; else fail "GPT partition 2: only its header page written"; fi
    expect_check "GPT partition 2 checks at its offset" 0 \
      "^ballast swap area $uuid on .*gpt\.img at byte $p2: 8191 slots \(32 MiB\), label \"part2\"$" "$g" \
      --offset "$p2" --size "$p2size"
    expect_check "GPT partition 2 larger than a smaller container" 3 "larger than the device" "$g" \
      --offset "$p2" --size $((p2size - 4096))
    expect_check "GPT partition 1 carries no area" 2 "no ballast swap signature" "$g" --offset "$p1" --size "$p1size"
    expect_refused "GPT partition 2 already an area" "refusing without --force.*ballast swap area" "$g" --partition 2
    expect_refused "GPT partition 3 off a 4 KiB boundary" \
      "partition 3 starts at byte $((100353 * 512)), not on a 4 KiB" "$g" --partition 3 --force
    expect_refused "GPT partition 4 absent" "no partition 4" "$g" --partition 4
    expect_refused "--partition on an image without a table" "finds no partition table" "$dir/zero.img" --partition 1
    expect_fails "--partition on an absent file" "does not exist" "$dir/absent" --partition 1 --size 32M
    if [ -n "$fstype" ]; then
      expect_refused "$fstype in GPT partition 1" "partition 1 holds other data.*$fstype" "$g" --partition 1
      before=$(outside g "$p1" "$p1size")
      expect_made "$fstype in GPT partition 1 with --force" "overwriting .*partition 1.*$fstype" "$g" \
        --partition 1 --force
      out="outside partition 1 before / after: $before / $(outside g "$p1" "$p1size")"
      if [ "$(outside g "$p1" "$p1size")" = "$before" ]; then pass
      else fail "GPT partition 1 with --force: bytes outside it unchanged"; fi
      rc=0 out=$(blkid -p -O "$p1" -S "$p1size" "$g" 2>&1) || rc=$?
      if [ "$rc" = 2 ]; then pass
      else fail "GPT partition 1 with --force: no $fstype signature left (blkid exit $rc)"; fi
      expect_check "GPT partition 1 with --force checks" 0 "at byte $p1: 4095 slots" "$g" \
        --offset "$p1" --size "$p1size"
    fi
    out=$(sfdisk --json "$g" 2>&1)
    if grep -q '"label": "gpt"' <<<"$out" && [ "$(grep -c '"node"' <<<"$out")" = 3 ]; then pass
    else fail "the GPT still lists its three partitions"; fi
  fi
else
  echo "mkswap-test: no sfdisk (Debian's fdisk package): the GPT partition cases are skipped"
fi

echo "mkswap-test: $passed passed, $failed failed"
[ "$failed" = 0 ]
