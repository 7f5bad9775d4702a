#!/usr/bin/env bash
# Swap benchmark (issue 12), Bochs.  A benchmark reports: its numbers never fail it; only a run that does not
# finish does.  Each round is one boot of the swap regression's machine (tests/boot/swap.conf and .monitor: a
# balloonless 256 MiB guest holds 128 MiB while its max is lowered to 96 MiB, then grows past a 256 MiB machine)
# with the boot word test=disk, so the same run first measures the raw throughput of the same disk area by the
# disk self-test (256 pages in 16-page requests, kernel/disk_selftest.c) and then the hypervisor's swap-out and
# swap-in rates under the workload (tests/boot/swap-check.py's figures, MiB per second of emulated time).
#
#   bench/swap.sh [--rounds N] [--dma on|off]
#
# Quote figures from 3 rounds or more (Bochs on these machines is noisy); the side-by-side ratio in each round is
# what to compare.  Needs what `make build/swap.iso` needs.  Logs: build/logs/bench-swap-*.log.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
rounds=1 dma=on
while [ $# -gt 0 ]; do
  case $1 in
    --rounds) rounds=$2; shift 2 ;;
    --dma) dma=$2; shift 2 ;;
    *) echo "usage: bench/swap.sh [--rounds N] [--dma on|off]" >&2; exit 2 ;;
  esac
done
words="test=disk"
[ "$dma" = on ] || words+=" ata.dma=off"
make -s build/ballast.elf build/host/ballast-mkswap build/swap.iso || exit 2
mkdir -p build/bench
iso=build/bench/swap-bench.iso
BALLAST_CMDLINE="$words" scripts/mkiso.sh "$iso" build/ballast.elf "build/guest/cloud/vmlinux=vmlinux-cloud" \
  "build/guest/initramfs.cpio.gz=initramfs" "tests/boot/swap.conf=config" "tests/boot/swap.monitor=monitor-script" \
  > /dev/null || exit 2
disk=build/bench/swap-bench.img uuid=5a9a7e57-ba11-4a57-8a2e-000000000012
for r in $(seq 1 "$rounds"); do
  log=build/logs/bench-swap-$r.log
  rm -f "$disk" "$disk.lock"
  scripts/mkswap.sh "$disk" --size 320M --uuid "$uuid" > /dev/null || exit 2
  scripts/boot-test.sh --emulator bochs --megs 256 --iso "$iso" --disk "$disk" --log "$log" --timeout 1200 \
    --expect 'disk self-test: PASS' --reject 'EXCEPTION|PANIC|audit FAILED|disk self-test: FAIL' \
    --done '\[ballast\] halted:' > /dev/null || { echo "bench-swap: round $r did not finish (log $log)"; exit 1; }
  raw=$(grep -ao 'wrote and verified [0-9]* pages ([0-9.]* MiB/s write, [0-9.]* MiB/s read)' "$log" | head -1)
  w=$(sed -E 's/.*\(([0-9.]+) MiB\/s write.*/\1/' <<<"$raw") rd=$(sed -E 's/.*write, ([0-9.]+) MiB\/s read.*/\1/' <<<"$raw")
  line=$(tests/boot/swap-check.py "$log" | grep 'phase 1:')
  out=$(sed -E 's/.*pages out \(([0-9.]+) MiB\/s while writing\).*/\1/' <<<"$line")
  in=$(sed -E 's/.* in \(([0-9.]+) MiB\/s while reading\).*/\1/' <<<"$line")
  echo "bench-swap: round $r (dma $dma): raw $w MiB/s write, $rd MiB/s read; swap-out $out MiB/s ($(awk -v a="$out" -v b="$w" 'BEGIN{printf "%.0f", 100*a/b}')% of raw write), swap-in $in MiB/s ($(awk -v a="$in" -v b="$rd" 'BEGIN{printf "%.0f", 100*a/b}')% of raw read)"
done
