#!/usr/bin/env bash
# Disk self-test (issue 12): short QEMU TCG boots of build/ballast.elf with the boot word test=disk.  Four IDE units:
#   ata0.0  a damaged signature (right magic, wrong CRC): refused, never written
#   ata0.1  random bytes, no signature: "left untouched", never written
#   ata1.0  a ballast swap area, sparse 130 GiB, so that its last slots lie beyond LBA28's 128 GiB and take LBA48
#           commands while its first ones take LBA28 commands: written, read back and compared by the self-test
#   ata1.1  an empty CD-ROM drive: a packet device, left alone
# Boots: 1. bus-master DMA; 2. PIO only (ata.dma=off); 3. a write error injected (QEMU's blkdebug) must end in
# "FAIL" with the device's error decoded, 4. likewise a read error beyond 128 GiB by PIO; 5. a disk that never answers
# (null-co with 11 s latency) must time out, reset its channel, and leave the swap area on the same channel usable.
# Then the same on NVMe (a signed namespace beside an unsigned one with 4 KiB blocks, an injected write error, a
# namespace that never answers and a controller reset) and AHCI (q35's ICH9: a signed disk, an unsigned one and a
# CD-ROM, an injected write error, a timeout and a port reset), and a GPT disk whose second partition is the area;
# each block says what it checks.  Afterwards every foreign disk and every area's header page must be byte for byte
# as they were.  Each boot stops at "no usable VT-x" (TCG has none), after the disks.  About a minute in all.
set -u
cd "$(dirname "$0")/../.." || exit 2
bt=scripts/boot-test.sh
logs=build/logs
dir=build/disk-test
kernel=build/ballast.elf
[ -f $kernel ] || { echo "disk-selftest: no $kernel (make build/ballast.elf)" >&2; exit 2; }
mkdir -p "$dir" "$logs"
swap=$dir/swap.img plain=$dir/plain.img damaged=$dir/damaged.img
rm -f "$swap" "$plain" "$damaged"

# A header exactly as include/ballast/swap_area.h lays it out: CRC-32 (zlib's) over the whole page, crc field zero.
# Used for the damaged disk always, and for the area when scripts/mkswap.sh is not there.
write_header() { # IMAGE UUID-HEX BREAK(0|1)
  python3 - "$@" <<'PY'
import struct, sys, time, zlib
path, uuid_hex, damage = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
with open(path, "r+b") as f:
    f.seek(0, 2)
    npages = f.tell() // 4096
    page = bytearray(4096)
    struct.pack_into("<16sII16sQQ32sII", page, 0, b"BALLAST SWAP\r\n\x1a\n", 1, 4096, bytes.fromhex(uuid_hex),
                     npages, int(time.time()), b"disk-selftest", 0, 0)
    struct.pack_into("<I", page, 88, zlib.crc32(bytes(page)))
    if damage:
        page[64] ^= 0x01  # one bit of the label: the CRC no longer matches
    f.seek(0)
    f.write(page)
PY
}

truncate -s 130G "$swap" || exit 2
if [ -x scripts/mkswap.sh ]; then
  scripts/mkswap.sh "$swap" --label disk-selftest > "$dir/mkswap.out" 2>&1 || { cat "$dir/mkswap.out"; exit 2; }
else
  write_header "$swap" "$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')" 0 || exit 2
fi
head -c 8M /dev/urandom > "$plain"
head -c 8M /dev/urandom > "$damaged"
write_header "$damaged" "$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')" 1 || exit 2
sums() { sha256sum "$plain" "$damaged"; head -c 4096 "$swap" | sha256sum; }
before=$(sums)

drives="-drive file=$damaged,format=raw,if=ide,index=0 -drive file=$plain,format=raw,if=ide,index=1"
drives+=" -drive file=$swap,format=raw,if=ide,index=2 -drive if=ide,index=3,media=cdrom"
uuid='[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'
common=(--expect 'pci: 00:01\.1 8086:7010 class 01\.01\.80 IDE controller'
  --expect 'ata: ata0: 00:01\.1 channel 0, ports 0x1f0/0x3f6'
  --expect 'ata: ata1\.1: packet \(ATAPI\) device'
  --expect 'disk ata0\.0: ballast swap signature refused \(header checksum mismatch.*\): left untouched'
  --expect 'disk ata0\.1: no ballast swap signature: left untouched'
  --expect "swap: area $uuid on ata1\\.0, 34078719 slots \\(133119 MiB\\)"
  --expect 'disk self-test: ata1\.0 wrote and verified 256 pages \([0-9]+\.[0-9] MiB/s write, [0-9]+\.[0-9] MiB/s read\)'
  --expect-count 'disk self-test: ata[0-9.]+ wrote' 1
  --expect 'disk self-test: PASS'
  --reject 'disk self-test: FAIL|EXCEPTION|PANIC|disk ata1\.1'
  --done '\[ballast\] halted: no usable VT-x')

passed=0 failed=0
check() { if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi; }
check $bt --emulator qemu --kernel $kernel --append "test=disk" --qemu-args "$drives" --log $logs/disk-dma.log \
  --timeout 90 "${common[@]}" \
  --expect 'disk ata1\.0: 133120 MiB, 512-byte sectors, "QEMU HARDDISK" LBA48, bus-master DMA'
check $bt --emulator qemu --kernel $kernel --append "test=disk ata.dma=off" --qemu-args "$drives" \
  --log $logs/disk-pio.log --timeout 90 "${common[@]}" \
  --expect 'disk ata1\.0: 133120 MiB, 512-byte sectors, "QEMU HARDDISK" LBA48, PIO'

# Injected device errors: the request fails with the command and the Error register named, never as a success.
printf '[inject-error]\nevent = "write_aio"\niotype = "write"\nerrno = "5"\nsector = "100"\n' > "$dir/write-error.conf"
far=$(( (1 + 34078719 - 128 + 3) * 8 )) # a sector of the area's last 128 slots, beyond LBA28
printf '[inject-error]\nevent = "read_aio"\niotype = "read"\nerrno = "5"\nsector = "%s"\n' $far > "$dir/read-error.conf"
faulty() { echo "${drives/file=$swap,/file=blkdebug:$dir/$1:$swap,}"; }
failing=(--expect 'disk ata0\.1: no ballast swap signature: left untouched' --expect "swap: area $uuid on ata1\\.0"
  --reject 'disk self-test: PASS|EXCEPTION|PANIC' --done '\[ballast\] halted: no usable VT-x')
check $bt --emulator qemu --kernel $kernel --append "test=disk" --qemu-args "$(faulty write-error.conf)" \
  --log $logs/disk-write-error.log --timeout 90 "${failing[@]}" \
  --expect 'disk self-test: FAIL: ata1\.0: write of slots 0-15: WRITE DMA, 128 sectors at LBA 8: error 0x04 \(ABRT\)' \
  --expect 'disk self-test: FAIL: .*, status 0x[0-9a-f]+ \(DRDY ERR\) \(EIO\)'
check $bt --emulator qemu --kernel $kernel --append "test=disk ata.dma=off" --qemu-args "$(faulty read-error.conf)" \
  --log $logs/disk-read-error.log --timeout 90 "${failing[@]}" \
  --expect 'disk self-test: FAIL: ata1\.0: read of slots 34078591-34078606: READ SECTORS EXT, 128 sectors' \
  --expect 'disk self-test: FAIL: .* at LBA 272628736: error 0x04 \(ABRT\)'

# A disk that never answers in time: its read times out, the channel is reset, and the area beside it still works.
slow="-blockdev driver=null-co,node-name=slow,size=67108864,latency-ns=11000000000"
slow+=" -device ide-hd,drive=slow,bus=ide.1,unit=0 -drive file=$swap,format=raw,if=ide,index=3"
check $bt --emulator qemu --kernel $kernel --append "test=disk" --qemu-args "$slow" --log $logs/disk-timeout.log \
  --timeout 90 \
  --expect 'disk ata1\.0: cannot read its first page \(READ DMA, 8 sectors at LBA 0: timeout after 10000 ms ' \
  --expect 'disk ata1\.0: cannot read .*; channel reset\): left untouched' \
  --expect "swap: area $uuid on ata1\\.1" --expect 'disk self-test: ata1\.1 wrote and verified 256 pages' \
  --expect 'disk self-test: PASS' --reject 'disk self-test: FAIL|EXCEPTION|PANIC' \
  --done '\[ballast\] halted: no usable VT-x'

# NVMe (QEMU's nvme device, one controller per -device nvme, namespaces by -device nvme-ns):
#   6. nvme0n1 a 64 MiB swap area in 512-byte blocks, tested; nvme1n1 random bytes in 4096-byte blocks, never written
#   7. a write error injected on the area (blkdebug): the status decoded, never a success
#   8. one controller with two namespaces: n1 never answers (null-co, 11 s latency), so its read times out and the
#      controller is reset; n2, a swap area in 4096-byte blocks, is tested after the reset, with MDTS 2 (16 KiB per
#      command: each request is split into commands with PRP lists, more of them than the queue has slots)
# The random namespace and the areas' header pages must come out unchanged.
nvme_failed_before=$failed
nswap=$dir/nvme-swap.img nswap4k=$dir/nvme-swap4k.img nplain=$dir/nvme-plain.img
rm -f "$nswap" "$nswap4k" "$nplain"
for img in "$nswap" "$nswap4k"; do
  scripts/mkswap.sh "$img" --size 64M --label disk-selftest > "$dir/mkswap.out" 2>&1 || { cat "$dir/mkswap.out"; exit 2; }
done
head -c 8M /dev/urandom > "$nplain"
nvme_sums() { sha256sum "$nplain"; head -c 4096 "$nswap" | sha256sum; head -c 4096 "$nswap4k" | sha256sum; }
nvme_before=$(nvme_sums)
nvme_ctrl='nvme: nvme0: 00:04\.0, registers at 0x[0-9a-f]+, "QEMU NVMe Ctrl" NVMe 1\.4, I/O queue of 64 entries'
nvme_dev() { echo "-drive file=$1,format=raw,if=none,id=$2 -device nvme,drive=$2,serial=ballast-$2${3:+,$3}"; }
nvme_two="$(nvme_dev "$nswap" n0) $(nvme_dev "$nplain" n1 logical_block_size=4096,physical_block_size=4096)"
check $bt --emulator qemu --kernel $kernel --append "test=disk" --qemu-args "$nvme_two" --log $logs/disk-nvme.log \
  --timeout 90 --expect "$nvme_ctrl, 256 KiB per command" \
  --expect 'disk nvme0n1: 64 MiB, 512-byte sectors, "QEMU NVMe Ctrl" NVMe 1\.4, 1 I/O queue of 64' \
  --expect 'disk nvme1n1: 8 MiB, 4096-byte sectors, "QEMU NVMe Ctrl" NVMe 1\.4, 1 I/O queue of 64' \
  --expect 'disk nvme1n1: no ballast swap signature: left untouched' \
  --expect "swap: area $uuid on nvme0n1, 16383 slots \\(63 MiB\\)" \
  --expect 'disk self-test: nvme0n1 wrote and verified 256 pages \([0-9]+\.[0-9] MiB/s write, [0-9]+\.[0-9] MiB/s read\)' \
  --expect-count 'disk self-test: [a-z0-9.]+ wrote' 1 --expect 'disk self-test: PASS' \
  --reject 'disk self-test: FAIL|EXCEPTION|PANIC|no driver yet|nvme: .*left alone' \
  --done '\[ballast\] halted: no usable VT-x'
check $bt --emulator qemu --kernel $kernel --append "test=disk" \
  --qemu-args "$(nvme_dev "blkdebug:$dir/write-error.conf:$nswap" n0)" --log $logs/disk-nvme-write-error.log \
  --timeout 90 --expect "swap: area $uuid on nvme0n1" \
  --expect 'disk self-test: FAIL: nvme0n1: write of slots 0-15: WRITE, 128 blocks at LBA 8: status 0x2/0x80 \(Write Fault\) \(EIO\)' \
  --reject 'disk self-test: PASS|EXCEPTION|PANIC' --done '\[ballast\] halted: no usable VT-x'
nvme_slow="-blockdev driver=null-co,node-name=slow,size=67108864,latency-ns=11000000000"
nvme_slow+=" -drive file=$nswap4k,format=raw,if=none,id=n0 -device nvme,id=nc,serial=ballast-nc,mdts=2"
nvme_slow+=" -device nvme-ns,drive=slow,bus=nc,nsid=1"
nvme_slow+=" -device nvme-ns,drive=n0,bus=nc,nsid=2,logical_block_size=4096,physical_block_size=4096"
check $bt --emulator qemu --kernel $kernel --append "test=disk" --qemu-args "$nvme_slow" \
  --log $logs/disk-nvme-timeout.log --timeout 90 --expect "$nvme_ctrl, 16 KiB per command" \
  --expect 'disk nvme0n1: cannot read its first page \(READ, 8 blocks at LBA 0: timeout after 10000 ms; controller reset\): left untouched' \
  --expect 'disk nvme0n2: 64 MiB, 4096-byte sectors, "QEMU NVMe Ctrl" NVMe 1\.4, 1 I/O queue of 64' \
  --expect "swap: area $uuid on nvme0n2, 16383 slots" --expect 'disk self-test: nvme0n2 wrote and verified 256 pages' \
  --expect 'disk self-test: PASS' --reject 'disk self-test: FAIL|EXCEPTION|PANIC' \
  --done '\[ballast\] halted: no usable VT-x'
if [ "$nvme_before" = "$(nvme_sums)" ]; then
  passed=$((passed + 1))
  [ "$failed" = "$nvme_failed_before" ] && rm -f "$nswap" "$nswap4k" "$nplain"
else
  failed=$((failed + 1))
  echo "disk-selftest: FAIL: an NVMe image ballast must not write changed (sha256 before / after):"
  printf '%s\n---\n%s\n' "$nvme_before" "$(nvme_sums)"
fi

# AHCI (q35's ICH9 HBA at 00:1f.2, whose buses ide.0-ide.5 are its ports 0-5):
#   9. ahci0.p0 a 64 MiB swap area, tested; ahci0.p1 random bytes, never written; ahci0.p2 an empty CD-ROM, left alone
#  10. a write error injected on the area (blkdebug): Status and Error decoded from PxTFD, never a success
#  11. p0 never answers (null-co, 11 s latency): its read times out and the port is reset (COMRESET); the area on p1
#      is tested meanwhile
# The random disk and the area's header page must come out unchanged.
ahci_failed_before=$failed
aswap=$dir/ahci-swap.img aplain=$dir/ahci-plain.img
rm -f "$aswap" "$aplain"
scripts/mkswap.sh "$aswap" --size 64M --label disk-selftest > "$dir/mkswap.out" 2>&1 || { cat "$dir/mkswap.out"; exit 2; }
head -c 8M /dev/urandom > "$aplain"
ahci_sums() { sha256sum "$aplain"; head -c 4096 "$aswap" | sha256sum; }
ahci_before=$(ahci_sums)
ahci_disk() { echo "-drive file=$1,format=raw,if=none,id=$2 -device ide-hd,drive=$2,bus=ide.$3"; }
ahci_hba='ahci: ahci0: 00:1f\.2 8086:2922, AHCI 1\.0, ports 0x3f, 32 command slots'
ahci_three="-machine q35 $(ahci_disk "$aswap" a0 0) $(ahci_disk "$aplain" a1 1)"
ahci_three+=" -drive if=none,id=cd,media=cdrom -device ide-cd,drive=cd,bus=ide.2"
check $bt --emulator qemu --kernel $kernel --append "test=disk" --qemu-args "$ahci_three" --log $logs/disk-ahci.log \
  --timeout 90 --expect 'pci: 00:1f\.2 8086:2922 class 01\.06\.01 SATA controller' --expect "$ahci_hba" \
  --expect 'ahci: ahci0\.p2: packet \(ATAPI\) device, e\.g\. a CD-ROM: left alone' \
  --expect 'disk ahci0\.p0: 64 MiB, 512-byte sectors, "QEMU HARDDISK" AHCI, NCQ off, LBA48' \
  --expect 'disk ahci0\.p1: 8 MiB, 512-byte sectors, "QEMU HARDDISK" AHCI, NCQ off, LBA48' \
  --expect 'disk ahci0\.p1: no ballast swap signature: left untouched' \
  --expect "swap: area $uuid on ahci0\\.p0, 16383 slots \\(63 MiB\\)" \
  --expect 'disk self-test: ahci0\.p0 wrote and verified 256 pages \([0-9]+\.[0-9] MiB/s write, [0-9]+\.[0-9] MiB/s read\)' \
  --expect-count 'disk self-test: [a-z0-9.]+ wrote' 1 --expect 'disk self-test: PASS' \
  --reject 'disk self-test: FAIL|EXCEPTION|PANIC|no driver yet|disk ahci0\.p2|port given up' \
  --done '\[ballast\] halted: no usable VT-x'
check $bt --emulator qemu --kernel $kernel --append "test=disk" \
  --qemu-args "-machine q35 $(ahci_disk "blkdebug:$dir/write-error.conf:$aswap" a0 0)" \
  --log $logs/disk-ahci-write-error.log --timeout 90 --expect "swap: area $uuid on ahci0\\.p0" \
  --expect 'disk self-test: FAIL: ahci0\.p0: write of slots 0-15: WRITE DMA EXT, 128 sectors at LBA 8: error 0x04 \(ABRT\), status 0x[0-9a-f]+ \(DRDY ERR\) \(EIO\)' \
  --reject 'disk self-test: PASS|EXCEPTION|PANIC|port given up' --done '\[ballast\] halted: no usable VT-x'
ahci_slow="-machine q35 -blockdev driver=null-co,node-name=slow,size=67108864,latency-ns=11000000000"
ahci_slow+=" -device ide-hd,drive=slow,bus=ide.0 $(ahci_disk "$aswap" a1 1)"
check $bt --emulator qemu --kernel $kernel --append "test=disk" --qemu-args "$ahci_slow" \
  --log $logs/disk-ahci-timeout.log --timeout 90 \
  --expect 'disk ahci0\.p0: cannot read its first page \(READ DMA EXT, 8 sectors at LBA 0: timeout after 10000 ms, .*; port reset\): left untouched' \
  --expect "swap: area $uuid on ahci0\\.p1" --expect 'disk self-test: ahci0\.p1 wrote and verified 256 pages' \
  --expect 'disk self-test: PASS' --reject 'disk self-test: FAIL|EXCEPTION|PANIC|port given up' \
  --done '\[ballast\] halted: no usable VT-x'
if [ "$ahci_before" = "$(ahci_sums)" ]; then
  passed=$((passed + 1))
  [ "$failed" = "$ahci_failed_before" ] && rm -f "$aswap" "$aplain"
else
  failed=$((failed + 1))
  echo "disk-selftest: FAIL: an AHCI image ballast must not write changed (sha256 before / after):"
  printf '%s\n---\n%s\n' "$ahci_before" "$(ahci_sums)"
fi

# A GPT disk (IDE, ata0.0), random bytes throughout, then a table by sfdisk: partition 1 (16 MiB) is left as it is,
# partition 2 (32 MiB) becomes an area by scripts/mkswap.sh --partition 2, partition 3 starts off a 4 KiB boundary.
#  12. the area on partition 2 is found and tested at its base; partition 1 has no signature, partition 3 is refused
# Afterwards every byte of the image outside partition 2's slot pages - the table and its backup, partitions 1 and
# 3, the area's header page - must be as it was.
if command -v sfdisk >/dev/null; then
  gpt_failed_before=$failed
  gpt=$dir/gpt.img p2=$((34816 * 512)) p2size=$((32 << 20))
  rm -f "$gpt"
  head -c 64M /dev/urandom > "$gpt"
  printf 'label: gpt\nstart=2048, size=16M\nstart=34816, size=32M\nstart=100353, size=1M\n' |
    sfdisk -q "$gpt" > "$dir/sfdisk.out" 2>&1 || { cat "$dir/sfdisk.out"; exit 2; }
  scripts/mkswap.sh "$gpt" --partition 2 --label disk-selftest > "$dir/mkswap.out" 2>&1 ||
    { cat "$dir/mkswap.out"; exit 2; }
  # sha256 of the image with the slot pages (partition 2 past its header page) left out.
  gpt_sum() {
    python3 - "$gpt" $((p2 + 4096)) $((p2 + p2size)) <<'PY'
import hashlib, sys
path, lo, hi = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with open(path, "rb") as f:
    data = f.read()
print(hashlib.sha256(data[:lo] + data[hi:]).hexdigest(), len(data))
PY
  }
  gpt_before=$(gpt_sum)
  check $bt --emulator qemu --kernel $kernel --append "test=disk" \
    --qemu-args "-drive file=$gpt,format=raw,if=ide,index=0" --log $logs/disk-gpt.log --timeout 90 \
    --expect 'disk ata0\.0: GPT, 3 partitions' \
    --expect "disk ata0\\.0 partition 2: ballast swap area $uuid, 8191 slots" \
    --expect 'disk ata0\.0 partition 3: starts at byte 51380736, not on a 4 KiB boundary: left untouched' \
    --expect 'disk ata0\.0 partition 1: no ballast swap signature: left untouched' \
    --expect "swap: area $uuid on ata0\\.0 partition 2, 8191 slots \\(31 MiB\\)" \
    --expect 'disk self-test: ata0\.0 partition 2 wrote and verified 256 pages .*, slots 0-127 and 8063-8190' \
    --expect-count 'disk self-test: [a-z0-9.]+( partition [0-9]+)? wrote' 1 --expect 'disk self-test: PASS' \
    --reject 'disk self-test: FAIL|EXCEPTION|PANIC|GPT refused' --done '\[ballast\] halted: no usable VT-x'
  if [ "$gpt_before" = "$(gpt_sum)" ]; then
    passed=$((passed + 1))
    [ "$failed" = "$gpt_failed_before" ] && rm -f "$gpt"
  else
    failed=$((failed + 1))
    echo "disk-selftest: FAIL: the GPT image changed outside partition 2's slot pages (sha256 before / after):"
    printf '%s\n---\n%s\n' "$gpt_before" "$(gpt_sum)"
  fi
else
  echo "disk-selftest: no sfdisk (Debian's fdisk package; scripts/deps.sh installs it): the GPT case is skipped"
fi

after=$(sums)
if [ "$before" = "$after" ]; then
  passed=$((passed + 1))
else
  failed=$((failed + 1))
  echo "disk-selftest: FAIL: a disk ballast must not write changed (sha256 before / after):"
  printf '%s\n---\n%s\n' "$before" "$after"
fi
echo "disk self-test: $passed passed, $failed failed"
[ "$failed" = 0 ] && rm -f "$swap" "$plain" "$damaged"
[ "$failed" = 0 ]
