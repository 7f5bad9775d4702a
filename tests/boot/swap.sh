#!/usr/bin/env bash
# Hypervisor swap to a real disk (issue 12), one Bochs boot: a 256 MiB Debian guest without the balloon driver, on a
# machine of 256 MiB, holds and verifies 128 MiB of unique pages while the monitor lowers its max to 96 MiB, then
# grows to 160 MiB, past what the machine has (tests/boot/swap.conf and swap.monitor).  The hypervisor must write its
# pages to the swap area on the machine's ATA disk (made fresh by scripts/mkswap.sh) and read back every one the
# workload touches; growing past the machine takes it to the low state, which blocks the VM while swapping catches
# up.  The runner checks the lines (the area chosen, no failed I/O, every verification passing, the audit after the
# VM stopped); tests/boot/swap-check.py checks the memstat lines: swapped memory rising to the lowered max's
# shortfall, pages read back, swapped falling again, then the low state reached, the VM blocked and released.
set -u
cd "$(dirname "$0")/../.." || exit 2
log=build/logs/swap.log
disk=build/swap-disk.img
rm -f "$disk" "$disk.lock"
uuid=5a9a7e57-ba11-4a57-8a2e-000000000012 # named by tests/boot/swap.conf's [machine] swap
scripts/mkswap.sh "$disk" --size 320M --label swap-test --uuid "$uuid" > /dev/null || exit 1
vm='\[vm1\] '
scripts/boot-test.sh --emulator bochs --megs 256 --iso build/swap.iso --disk "$disk" --log "$log" --timeout 900 \
  --expect "swap: area $uuid on ata0\\.1, 81919 slots" --expect 'mm: .*swap: 319 MiB' \
  --expect 'monitor: set vm1 max 96M: done' --expect 'monitor: set vm1 max 256M: done' \
  --expect 'monitor: set tune swap_out_pps 64: done' --expect 'monitor: set tune swap_out_pps 2560: done' \
  --expect "${vm}memtouch: held 128 MiB for [0-9]+ ms, touched all of it [0-9]+ times, verified all of it [1-9][0-9]* times" \
  --expect "${vm}memtouch: held 160 MiB for [0-9]+ ms, touched all of it [0-9]+ times, verified all of it [1-9][0-9]* times" \
  --expect "${vm}BALLAST-GUEST-DONE rc=0" --expect 'vm vm1: stopped: halted with interrupts disabled' \
  --expect 'mm: audit passed after vm1 stopped' --expect 'swap: [0-9]+ pages written, [0-9]+ read on ata0\.1; 0 write and 0 read errors' \
  --reject 'EXCEPTION|PANIC|unhandled VM exit|memtouch: (FAILED|cannot allocate)|BALLAST-GUEST-DONE rc=[1-9]|audit FAILED' \
  --reject 'Kernel panic|Oops|BUG:|Out of memory|oom-kill|soft lockup|swap-(in|out) of .* failed|swap: (write|read) of slots?' \
  --done '\[ballast\] halted: all guests stopped' || exit 1
tests/boot/memstat-check.py "$log" 30 || exit 1
tests/boot/swap-check.py "$log"
