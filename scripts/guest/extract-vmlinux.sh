#!/usr/bin/env bash
# Extract the uncompressed ELF kernel (vmlinux) from an x86 bzImage, check that it can be entered through PVH, and
# print the boot-protocol facts a loader needs.
#
#   scripts/guest/extract-vmlinux.sh BZIMAGE VMLINUX
#
# A bzImage is: the real-mode setup (setup_sects+1 sectors of 512 bytes, the first holding the setup header at
# 0x1f1), then the protected-mode part, whose compressed payload starts payload_offset bytes in and is
# payload_length bytes long (header fields 0x248 and 0x24c, boot protocol >= 2.08). The payload is the ELF vmlinux
# compressed with whichever method the kernel was configured for: Debian's standard flavour (linux-image-amd64) uses
# XZ, its cloud flavour (linux-image-cloud-amd64, CONFIG_KERNEL_LZ4) lz4's legacy frame, which 'lz4 -dc' decodes
# (checked on 6.1.0-57-cloud-amd64: it exits 1 on the kernel's 4-byte size trailer after the last block, the output
# is complete); gzip, zstd, bzip2 and lzma are handled too when their decompressor is installed. Fails with a message
# when something does not fit.
set -euo pipefail

die() { echo "extract-vmlinux: $*" >&2; exit 1; }
[ $# -eq 2 ] || die "usage: $0 BZIMAGE VMLINUX"
in=$1 out=$2
[ -f "$in" ] || die "no such file: $in"

# Little-endian unsigned integer of SIZE bytes at OFFSET of FILE, in decimal.
le() { od -An -t u"$3" -j "$2" -N "$3" --endian=little "$1" | tr -d ' '; }
hex() { printf '0x%x' "$1"; }

[ "$(dd if="$in" bs=1 skip=$((0x202)) count=4 status=none)" = HdrS ] || die "$in has no 'HdrS' setup header: not a bzImage"
setup_sects=$(le "$in" $((0x1f1)) 1); [ "$setup_sects" -eq 0 ] && setup_sects=4
version=$(le "$in" $((0x206)) 2)
loadflags=$(le "$in" $((0x211)) 1)
kernel_alignment=$(le "$in" $((0x230)) 4)
relocatable=$(le "$in" $((0x234)) 1)
min_alignment=$(le "$in" $((0x235)) 1)
xloadflags=$(le "$in" $((0x236)) 2)
cmdline_size=$(le "$in" $((0x238)) 4)
payload_offset=$(le "$in" $((0x248)) 4)
payload_length=$(le "$in" $((0x24c)) 4)
pref_address=$(le "$in" $((0x258)) 8)
init_size=$(le "$in" $((0x260)) 4)
[ "$version" -ge $((0x208)) ] || die "boot protocol $(hex "$version") is older than 2.08: no payload fields"
pm_start=$(( (setup_sects + 1) * 512 ))

xl=()
for bit in 0:KERNEL_64 1:CAN_BE_LOADED_ABOVE_4G 2:EFI_HANDOVER_32 3:EFI_HANDOVER_64 4:EFI_KEXEC 5:5LEVEL 6:5LEVEL_ENABLED; do
  (( xloadflags & (1 << ${bit%%:*}) )) && xl+=("${bit#*:}")
done
echo "bzImage $in:"
printf '  boot protocol     %d.%02d\n' $((version >> 8)) $((version & 0xff))
echo "  setup_sects       $setup_sects (protected-mode part at file offset $(hex $pm_start))"
echo "  loadflags         $(hex "$loadflags")$( (( loadflags & 1 )) && echo ' (LOADED_HIGH)')"
echo "  xloadflags        $(hex "$xloadflags") (${xl[*]:-none})"
echo "  relocatable       $relocatable"
echo "  kernel_alignment  $(hex "$kernel_alignment") ($((kernel_alignment >> 20)) MiB; min $(hex $((1 << min_alignment))))"
echo "  pref_address      $(hex "$pref_address")"
echo "  init_size         $(hex "$init_size") ($(awk "BEGIN { printf \"%.1f\", $init_size / 1048576 }") MiB)"
echo "  cmdline_size      $cmdline_size"
echo "  64-bit entry      load address + 0x200$( (( xloadflags & 1 )) || echo ' (NOT available: KERNEL_64 clear)')"
echo "  payload           offset $(hex "$payload_offset") length $payload_length bytes (file offset $(hex $((pm_start + payload_offset))))"

total=$(stat -c %s "$in")
[ $((pm_start + payload_offset + payload_length)) -le "$total" ] || die "payload runs past the end of $in"

# The payload's last 4 bytes are the uncompressed size (appended by the kernel build), kept for the sanity check.
payload() { dd if="$in" bs=1M iflag=skip_bytes,count_bytes skip=$((pm_start + payload_offset)) count="$1" status=none; }
magic=$(payload 6 | od -An -t x1 | tr -d ' \n')
case $magic in
  fd377a585a00*) method=xz;   cmd=(xz -dc) ;;
  1f8b*)         method=gzip; cmd=(gzip -dc) ;;
  28b52ffd*)     method=zstd; cmd=(zstd -dc) ;;
  02214c18*)     method=lz4;  cmd=(lz4 -dc) ;;       # the kernel's legacy lz4 frame
  425a68*)       method=bzip2; cmd=(bzip2 -dc) ;;
  5d0000*)       method=lzma; cmd=(xz -dc --format=lzma) ;;
  894c5a4f*)     die "payload is LZO-compressed: install lzop and add it here (magic $magic)" ;;
  *)             die "unknown payload compression (first bytes $magic)" ;;
esac
command -v "${cmd[0]}" > /dev/null || die "payload is $method but ${cmd[0]} is not installed"
echo "  compression       $method"

mkdir -p "$(dirname "$out")"
echo "extract-vmlinux: decompressing the $((payload_length >> 20)) MiB $method payload of $in into $out" >&2
tmp=$out.tmp.$$
trap 'rm -f "$tmp"' EXIT
# xz, zstd and lz4 complain about the 4-byte size trailer after the stream; the stream itself decodes fully. Judge the
# result by the ELF checks below, not by the decompressor's exit status.
payload "$payload_length" | "${cmd[@]}" > "$tmp" 2> "$tmp.err" || true
if [ ! -s "$tmp" ]; then cat "$tmp.err" >&2; rm -f "$tmp.err"; die "$method decompression produced nothing"; fi
rm -f "$tmp.err"
# The kernel build appends the uncompressed size (32-bit LE) as the payload's last 4 bytes: it must match exactly.
want=$(le "$in" $((pm_start + payload_offset + payload_length - 4)) 4)
got=$(stat -c %s "$tmp")
[ "$got" -eq "$want" ] || die "$method decompression gave $got bytes, the bzImage says $want"

hdr=$(readelf -h "$tmp" 2>/dev/null) || die "decompressed payload is not an ELF file"
grep -q 'Class:.*ELF64' <<< "$hdr" || die "vmlinux is not ELF64"
grep -q 'Machine:.*X86-64' <<< "$hdr" || die "vmlinux is not x86-64"
entry=$(awk '/Entry point address:/ { print $4 }' <<< "$hdr")

# PVH: a Xen ELF note of type 18 (XEN_ELFNOTE_PHYS32_ENTRY) holding the 32-bit physical entry point. readelf prints
# it as "Xen  0x...  Unknown note type: (0x00000012)  description data: xx xx xx xx ..." (older binutils put the
# data on the next line); the entry is the first 4 bytes, little-endian.
pvh=$(readelf -W -n "$tmp" | awk '
  $1 == "Xen" && /\(0x00000012\)|PHYS32_ENTRY/ { want = 1 }
  want && /description data:/ { sub(/.*description data: */, ""); split($0, b, " ");
                                print "0x" b[4] b[3] b[2] b[1]; exit }')
[ -n "$pvh" ] || die "vmlinux has no Xen ELF note of type 18 (XEN_ELFNOTE_PHYS32_ENTRY): no PVH entry (CONFIG_PVH off?)"

# Load range: lowest physical address and highest physical end over the PT_LOAD segments.
# (mawk, Debian's default awk, has no strtonum: convert the hex fields by hand.)
read -r lo hi nseg < <(readelf -W -l "$tmp" | awk '
  function h(s,   i, v) { s = tolower(substr(s, 3)); v = 0
                          for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
                          return v }
  $1 == "LOAD" { pa = h($4); end = pa + h($6); n++
                 if (n == 1 || pa < lo) lo = pa; if (end > hi) hi = end }
  END { printf "0x%x 0x%x %d\n", lo, hi, n }') || true
[ -n "${nseg:-}" ] && [ "$nseg" -gt 0 ] || die "vmlinux has no PT_LOAD segments"
mv "$tmp" "$out"
trap - EXIT
echo "vmlinux $out:"
echo "  ELF64 x86-64, $(stat -c %s "$out") bytes, ELF entry $entry (startup_64, for the 64-bit boot protocol)"
echo "  PVH entry         $pvh (XEN_ELFNOTE_PHYS32_ENTRY, 32-bit protected mode, paging off)"
echo "  load range        $lo - $hi physical ($nseg PT_LOAD segments, $(( (hi - lo) >> 20 )) MiB)"
