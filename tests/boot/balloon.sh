#!/usr/bin/env bash
# Balloon regression (issue 6), one Bochs boot: a 256 MiB Debian guest loads ballast's balloon driver; the monitor
# script (tests/boot/balloon.monitor) sets its target to 128 MiB, back to auto, and lowers its max to 128 MiB while a workload
# holds and verifies 16 MiB; then a workload allocates more than the guest has free beside the full balloon, and
# finally /init unloads the driver (tests/boot/balloon.conf has the guest's side).  The runner checks the lines;
# tests/boot/balloon-check.py checks the order and the numbers from the memstat lines: the balloon reaches 128 MiB
# within 10 s, machine free memory rises by >= 95% of it, it deflates and refills, the driver gives pages back under
# pressure without an OOM kill, and after the unload the hypervisor counts balloon=0 while the guest still runs.
set -u
cd "$(dirname "$0")/../.." || exit 2
log=build/logs/balloon.log
vm='\[vm1\] '                       # a line of the guest's console...
k='\[vm1\] \[ *[0-9]+\.[0-9]+\] '      # ...and one of its kernel's, with the printk time
scripts/boot-test.sh --emulator bochs --megs 512 --iso build/balloon.iso --log "$log" --timeout 420 \
  --expect "${k}ballast-balloon: handshake: guest abi=3 hypervisor abi=3 vm_pages=65536" \
  --expect "${k}ballast-balloon: loaded: " --expect "${vm}balloon: loaded " \
  --expect 'monitor: set vm1 target 128M: done' --expect 'monitor: set vm1 target auto: done' \
  --expect-count 'monitor: set vm1 target 128M: done' 1 \
  --expect 'monitor: set vm1 max 512M: ERANGE' --expect 'monitor: set vm1 max 128M: done' \
  --expect 'memstat t=[0-9]+ vm=vm1 max=128 min=[0-9]+ shares=[0-9]+ alloc=[0-9]+ .* target=128 ' \
  --expect "${k}ballast-balloon: target=32768 size=32768 inflated=32768 deflated=0 " \
  --expect "${k}ballast-balloon: target=0 size=0 inflated=0 deflated=32768 " \
  --expect "${vm}memtouch: held 16 MiB for [0-9]+ ms, touched all of it [0-9]+ times, verified all of it [0-9]+ times" \
  --expect "${k}ballast-balloon: (pressure|oom): gave back [0-9]+ pages" \
  --expect "${vm}memtouch: wrote and verified 110 MiB" --expect "${vm}memtouch: held 110 MiB" \
  --expect "${vm}balloon: before unload size=([0-9]+) hv_size=\\1 .* refused=0 failures=0" \
  --expect "${k}ballast-balloon: unloaded: gave back [0-9]+ pages" --expect "${vm}balloon: unloaded" \
  --expect "${vm}BALLAST-GUEST-DONE rc=0" --expect 'vm vm1: stopped: halted with interrupts disabled' \
  --expect 'mm: audit passed after vm1 stopped' \
  --reject 'EXCEPTION|PANIC|unhandled VM exit|memtouch: FAILED|BALLAST-GUEST-DONE rc=[1-9]|audit FAILED' \
  --reject 'Kernel panic|Oops|Out of memory|oom-kill|invoked oom-killer|balloon distrusted|hypercall .* refused' \
  --reject 'ballast-balloon: .*(failed|refused)|balloon: (rmmod|insmod) .*failed' \
  --done '\[ballast\] halted: all guests stopped' || exit 1
tests/boot/balloon-check.py "$log" --vm vm1 --balloon-mib 128 --limit-s 10 || exit 1
tests/boot/memstat-check.py "$log" 60
