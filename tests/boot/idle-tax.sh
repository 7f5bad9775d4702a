#!/usr/bin/env bash
# The paper's Fig. 7 with real guests: an idle VM and an active one with equal shares, tau = 0 and then 0.75
# (tests/boot/idle-tax.conf, idle-tax.monitor).  The runner checks the guests' lines (the workloads verify their
# memory, no OOM kill, no hang); idle-tax-check.py compares the allocations and memload's throughput of the halves.
set -u
cd "$(dirname "$0")/../.." || exit 2
log=${IDLE_TAX_LOG:-build/logs/idle-tax.log}
scripts/boot-test.sh --emulator bochs --megs 640 --iso build/idle-tax.iso --log "$log" --timeout 2400 \
  --expect 'monitor: set tune tax 0: done' --expect 'monitor: set tune tax 0.75: done' \
  --expect 'monitor: tune tax = 0 \(default 0.75\)' --expect 'monitor: tune sample_period = 5s ' \
  --expect 'monitor: set tune tax 2: .*out of range' --expect 'monitor: set tune no_such_knob 1: ' \
  --expect 'monitor: set tune share_frames 0.9: .*sized' \
  --expect '\[vm1\] memtouch: freed 300 MiB' --expect '\[vm2\] memload: done ws=340 .* errors=0' \
  --expect '\[vm1\] BALLAST-GUEST-DONE rc=0' --expect '\[vm2\] BALLAST-GUEST-DONE rc=0' \
  --expect-count 'mm: audit passed after vm[12] stopped' 2 \
  --reject 'EXCEPTION|PANIC|unhandled VM exit|audit FAILED|BALLAST-GUEST-DONE rc=[1-9]' \
  --reject 'memtouch: (FAILED|cannot allocate)|memload: .*errors=[1-9]|Out of memory|oom-kill|soft lockup|hung_task' \
  --reject '\[vm[12]\] .*(Kernel panic|Oops|BUG:)|balloon distrusted' \
  --done '\[ballast\] halted: all guests stopped' || exit 1
tests/boot/memstat-check.py "$log" 50 || exit 1
tests/boot/idle-tax-check.py "$log"
