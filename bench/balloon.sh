#!/usr/bin/env bash
# Balloon benchmark (issue 6), two Bochs runs under ballast.  A benchmark reports: its numbers never fail it; only a
# run that does not finish does.
#
#  1. Rates: one 256 MiB guest (bench/balloon-rate.conf, .monitor) touches 160 MiB and frees it, then the monitor
#     inflates its balloon to 128 MiB, deflates it, inflates it again and deflates it.  For each move: the driver's
#     own time (its "us=", guest clock) and MiB/s, the time from the monitor command to the memstat line showing the
#     new size, and machine free memory before and after (bench/balloon-report.py rates).
#  2. Overhead (the paper's Fig. 2: a VM ballooned down to X runs 1.4-4.4% slower than one booted with X): two VMs
#     in one run, the same command line: "plain" booted with max X, "ballooned" with max 2X and its target set to X
#     by the monitor at once (its driver inflates by X right after loading, while both guests wait).  Then they take
#     turns, by guest uptime (/init's until:S; the VMs start together, so their clocks agree to a fraction of a
#     second): plain runs a block of rounds while ballooned sleeps, then the other way round, ABAB..., each block in
#     a slot of --slot-s seconds, so neither competes for the one CPU with the other (measured side by side instead,
#     the scheduler's unequal shares between two busy VMs swamp the figure).  A round is memtouch: allocate W MiB,
#     write, verify, free; timed inside the guest.  The first round (first touch of the memory) is shown apart; the
#     overhead is the ballooned VM's median (and mean) round against the plain one's.  Different pattern seeds keep
#     the VMs' pages from being shared.
#
#   bench/balloon.sh [--x-mib X] [--blocks N] [--block-rounds R] [--slot-s S] [--work-mib W] [--no-rates]
#                    [--no-overhead] [--side-by-side] [--guest-args "WORDS"] [--timeout S] [--out FILE]
#
# --side-by-side runs the overhead's rounds in both VMs at once instead of taking turns (N x R rounds each, plus 2
# left out at the end, which may run after the other VM finished): then the round times also depend on how
# ballast's scheduler shares the CPU between two busy VMs.
#
# --guest-args adds kernel command-line words to every guest of both runs (e.g. "init_on_alloc=0": Debian's kernel
# zeroes every page it allocates, the balloon's too, which dominates the inflate time in Bochs).  In-guest times
# come from the guest's TSC clocksource, which it keeps since ballast's PIT re-injects missed ticks
# (guests/linux/README.md).
#
# Needs build/ballast.elf and build/guest/{vmlinux,initramfs.cpio.gz} with the balloon module ('make bench-balloon'
# builds them).  ISOs and configs go to build/bench/, serial logs to build/logs/bench-balloon-*.log, figures to
# stdout and build/bench/balloon.txt.  Runs go through scripts/boot-test.sh, which takes /tmp/ballast-bochs.lock.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
cd "$root" || exit 2

x=128 blocks=4 block_rounds=5 slot=16 start=40 work=32 do_rates=1 do_overhead=1 timeout=600 out=build/bench/balloon.txt
guest_args='' side=0
while [ $# -gt 0 ]; do
  case $1 in
    --x-mib) x=$2; shift 2 ;;
    --blocks) blocks=$2; shift 2 ;;
    --block-rounds) block_rounds=$2; shift 2 ;;
    --slot-s) slot=$2; shift 2 ;;
    --work-mib) work=$2; shift 2 ;;
    --no-rates) do_rates=0; shift ;;
    --no-overhead) do_overhead=0; shift ;;
    --guest-args) guest_args=$2; shift 2 ;;
    --side-by-side) side=1; shift ;;
    --timeout) timeout=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set /p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench-balloon: unknown argument $1" >&2; exit 2 ;;
  esac
done

guest=build/guest elf=build/ballast.elf bdir=build/bench logs=build/logs
for f in "$elf" "$guest/vmlinux" "$guest/initramfs.cpio.gz"; do
  [ -f "$f" ] || { echo "bench-balloon: no $f (run 'make bench-balloon')" >&2; exit 2; }
done
mkdir -p "$bdir" "$logs" "$(dirname "$out")"
iso() { # ISO CONFIG MONITOR
  scripts/mkiso.sh "$1" "$elf" "$guest/vmlinux=vmlinux" "$guest/initramfs.cpio.gz=initramfs" "$2=config" \
    "$3=monitor-script" > /dev/null
}
boot() { # NAME MEGS: boot build/bench/balloon-NAME.iso until the guests have stopped
  scripts/boot-test.sh --emulator bochs --megs "$2" --iso "$bdir/balloon-$1.iso" --log "$logs/bench-balloon-$1.log" \
    --timeout "$timeout" --reject 'EXCEPTION|PANIC|unhandled VM exit|memtouch: FAILED|Kernel panic|audit FAILED' \
    --expect 'BALLAST-GUEST-DONE rc=0' --done '\[ballast\] halted: all guests stopped'
}
status=0
{
  echo "# bench/balloon.sh $(date -u '+%Y-%m-%d %H:%M UTC'), ballast $(git rev-parse --short HEAD 2>/dev/null)," \
       "guest $(cat $guest/kernel-version 2>/dev/null)${guest_args:+, guest args: $guest_args}"
} > "$out"

if [ "$do_rates" = 1 ]; then
  sed "s|^\(cmdline = .*nosmp\) |\1${guest_args:+ $guest_args} |" bench/balloon-rate.conf > "$bdir/balloon-rate.conf"
  iso "$bdir/balloon-rate.iso" "$bdir/balloon-rate.conf" bench/balloon-rate.monitor
  if boot rate 512; then
    { echo; echo "## Rates: one 256 MiB guest, balloon 0 <-> 128 MiB (log $logs/bench-balloon-rate.log)"
      bench/balloon-report.py rates "$logs/bench-balloon-rate.log" --vm vm1; } | tee -a "$out"
  else
    status=1
  fi
fi

if [ "$do_overhead" = 1 ]; then
  conf=$bdir/balloon-overhead.conf mon=$bdir/balloon-overhead.monitor
  cmd="console=ttyS0,115200 acpi=off nolapic pci=off nosmp${guest_args:+ $guest_args} ballast.balloon=1"
  cmd+=" ballast.workload=until:$start+grep:Mem,/proc/meminfo"
  work_plain='' work_ball=''
  if [ "$side" = 1 ]; then
    work_plain="+until:$((start + 5))" work_ball="+until:$((start + 5))"
    for ((i = 0; i < blocks * block_rounds + 2; i++)); do
      work_plain+="+memtouch:$work,--seed,1" work_ball+="+memtouch:$work,--seed,2"
    done
    report=(--skip-first 1 --skip-last 2) how="side by side; $((blocks * block_rounds + 2)) rounds"
  else
    for ((b = 0; b < blocks; b++)); do
      work_plain+="+until:$((start + 5 + 2 * b * slot))" work_ball+="+until:$((start + 5 + (2 * b + 1) * slot))"
      for ((i = 0; i < block_rounds; i++)); do
        work_plain+="+memtouch:$work,--seed,1" work_ball+="+memtouch:$work,--seed,2"
      done
    done
    report=(--skip-first 1 --skip-last 0 --blocks "$blocks" --block-rounds "$block_rounds")
    how="taking turns in ${slot} s slots; $blocks blocks of $block_rounds rounds"
  fi
  cat > "$conf" <<EOF
# Generated by bench/balloon.sh: a VM booted with ${x} MiB beside one of $((2 * x)) MiB ballooned down to ${x} MiB.
[machine]
memstat_interval = 5s

[vm plain]
kernel  = vmlinux
initrd  = initramfs
cmdline = $cmd$work_plain
max     = ${x}M

[vm ballooned]
kernel  = vmlinux
initrd  = initramfs
cmdline = $cmd$work_ball
max     = $((2 * x))M
EOF
  printf '# Generated by bench/balloon.sh\n1 set ballooned target %sM\n' "$x" > "$mon"
  iso "$bdir/balloon-overhead.iso" "$conf" "$mon"
  if boot overhead 768; then
    { echo; echo "## Overhead: 'plain' booted with ${x} MiB vs 'ballooned' $((2 * x)) MiB ballooned to ${x} MiB," \
        "$how of memtouch $work MiB each (log $logs/bench-balloon-overhead.log)"
      bench/balloon-report.py overhead "$logs/bench-balloon-overhead.log" --plain plain --ballooned ballooned \
        "${report[@]}"; } |
      tee -a "$out"
  else
    status=1
  fi
fi
echo "bench-balloon: figures in $out"
exit $status
