#!/usr/bin/env bash
# Boot benchmark: Debian's stock kernel + the busybox initramfs booted directly by GRUB in Bochs, against the same
# kernel and initramfs booted under ballast in Bochs, in one run. Prints the wall time from emulator start to the
# guest's userspace marker (BALLAST-GUEST-READY) for each, the ratio ballast/direct against the goal (<= 1.15), both
# guests' MemTotal, and the VM exits by reason that ballast reports when the VM stops. A third figure boots the
# uncompressed vmlinux under ballast (its fast path; GRUB's "linux" command cannot boot that ELF, so it has no
# direct counterpart). A benchmark reports: a MISS of the goal does not fail; only a boot that fails does.
#
#   bench/boot-linux.sh [--rounds N] [--direct-megs MIB] [--ballast-megs MIB] [--vm-mem MIB] [--workload W]
#                       [--no-vmlinux] [--timeout S] [--out FILE]
#
# Needs build/ballast.elf and build/guest/{vmlinuz,vmlinux,initramfs.cpio.gz} ('make bench-boot' builds them).
# Runs, in this order per round: direct, ballast bzImage, ballast vmlinux; an even round runs them in reverse, so
# that a drift in the machine's load over the run biases neither side (--rounds 2 gives an ABBA order). With more
# than one round the figures are medians.
#
# Timing: the runner (scripts/boot-test.sh, which takes /tmp/ballast-bochs.lock so only one Bochs runs at a time)
# creates LOG.emulator.stdout right before it starts Bochs; t0 is when that file appears, and each marker's time is
# when this script first sees it in the serial log (both polled every 0.1 s, so +-0.1 s). Bochs is single-threaded
# and the machine has 2 cores: the polling and anything else running share the other core. Bochs's own CPU time
# (utime+stime from /proc, at the moment READY is seen) is printed beside the wall time as a check on that noise.
#
# Figures go to stdout and to build/bench/boot-linux.txt; serial logs to build/logs/bench-boot-*.log.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
cd "$root" || exit 2

rounds=1 direct_megs=512 ballast_megs=1024 vm_mem=512 workload=memtouch:16 do_vmlinux=1 timeout=900
out=build/bench/boot-linux.txt goal=1.15 cpu=corei7_skylake_x
while [ $# -gt 0 ]; do
  case $1 in
    --rounds) rounds=$2; shift 2 ;;
    --direct-megs) direct_megs=$2; shift 2 ;;
    --ballast-megs) ballast_megs=$2; shift 2 ;;
    --vm-mem) vm_mem=$2; shift 2 ;;
    --workload) workload=$2; shift 2 ;;
    --no-vmlinux) do_vmlinux=0; shift ;;
    --timeout) timeout=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set /p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "boot-linux: unknown argument $1" >&2; exit 2 ;;
  esac
done

guest=build/guest
elf=build/ballast.elf
bdir=build/bench
logs=build/logs
for f in "$elf" "$guest/vmlinuz" "$guest/initramfs.cpio.gz" $([ "$do_vmlinux" = 1 ] && echo "$guest/vmlinux"); do
  [ -f "$f" ] || { echo "boot-linux: no $f (run 'make bench-boot', or 'make build/ballast.elf guest')" >&2; exit 2; }
done
mkdir -p "$bdir" "$logs" "$(dirname "$out")"

# The same guest command line in every run: the minimal legacy platform (SPEC §5) and a small workload; the
# initramfs's /init powers off after it (ballast.exit defaults to poweroff), so ballast stops the VM and prints its
# exit counts.
cmdline="console=ttyS0,115200 acpi=off nolapic pci=off nosmp ballast.workload=$workload"

# ---- images -------------------------------------------------------------------------------------------------
echo "boot-linux: building the ISOs"
scripts/guest/grub-direct-test.sh --build-only --iso "$bdir/boot-linux-direct.iso" --append "$cmdline" || exit 1
BALLAST_CMDLINE="vm.mem=$vm_mem" scripts/mkiso.sh "$bdir/boot-linux-bzimage.iso" "$elf" \
  "$guest/vmlinuz=kernel $cmdline" "$guest/initramfs.cpio.gz=initrd" || exit 1
if [ "$do_vmlinux" = 1 ]; then
  BALLAST_CMDLINE="vm.mem=$vm_mem" scripts/mkiso.sh "$bdir/boot-linux-vmlinux.iso" "$elf" \
    "$guest/vmlinux=kernel $cmdline" "$guest/initramfs.cpio.gz=initrd" || exit 1
fi

# ---- one boot -----------------------------------------------------------------------------------------------
# Results per run, keyed "config:round": wall seconds to the first kernel message, to READY and to the end, Bochs
# CPU seconds at READY, MemTotal, the load average before the run, and PASS/FAIL.
declare -A r_vmstart r_kernel r_ready r_end r_cpu r_mem r_load r_status r_log
clk_tck=$(getconf CLK_TCK)
runner='' bochs_pid=''
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
  [ -n "$runner" ] && kill "$runner" 2>/dev/null
  [ -n "$bochs_pid" ] && kill "$bochs_pid" 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cpu_s() { # CPU seconds (user+system) used so far by process $1, or empty
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
  stat=${stat##*) }
  # shellcheck disable=SC2086 # split the fields on purpose
  set -- $stat
  awk -v u="${12}" -v s="${13}" -v t="$clk_tck" 'BEGIN { printf "%.1f", (u + s) / t }'
}
since() { [ -n "$1" ] && awk -v a="$t0" -v b="$1" 'BEGIN { printf "%.1f", b - a }' || echo none; }

run_one() { # CONFIG ROUND ISO MEGS DONE_REGEX [boot-test args...]
  local config=$1 round=$2 iso=$3 megs=$4 done_re=$5
  shift 5
  local log=$logs/bench-boot-$config.log key=$config:$round
  [ "$rounds" -gt 1 ] && log=$logs/bench-boot-$config-r$round.log
  local started=$log.emulator.stdout
  local t_vmstart='' t_kernel='' t_ready='' t_end='' cpu_ready='' load
  load=$(cut -d' ' -f1-3 /proc/loadavg)
  rm -f "$started"
  echo "boot-linux: round $round: $config (Bochs megs $megs), log $log"
  scripts/boot-test.sh --emulator bochs --iso "$iso" --log "$log" --megs "$megs" --timeout "$timeout" --cpu "$cpu" \
    --expect 'BALLAST-GUEST-READY' --expect 'MemTotal:' --done "$done_re" \
    --reject 'Kernel panic|EXCEPTION|PANIC|unhandled VM exit|BALLAST-GUEST-DONE rc=[1-9]' "$@" > "$log.result" 2>&1 &
  runner=$!
  t0='' bochs_pid=''
  while kill -0 "$runner" 2>/dev/null; do
    if [ -z "$t0" ]; then
      [ -e "$started" ] && t0=$EPOCHREALTIME
    else
      [ -z "$bochs_pid" ] && bochs_pid=$(pgrep -P "$runner" -x 'bochs(-bin)?' | head -n1)
      if [ -z "$t_vmstart" ] && [ "$config" != direct ]; then
        grep -aq 'vm vm1: starting' "$log" 2>/dev/null && t_vmstart=$EPOCHREALTIME
      fi
      if [ -z "$t_kernel" ]; then
        grep -aq 'Linux version' "$log" 2>/dev/null && t_kernel=$EPOCHREALTIME
      fi
      if [ -z "$t_ready" ]; then
        if grep -aq 'BALLAST-GUEST-READY' "$log" 2>/dev/null; then
          t_ready=$EPOCHREALTIME
          [ -n "$bochs_pid" ] && cpu_ready=$(cpu_s "$bochs_pid")
        fi
      elif [ -z "$t_end" ]; then
        grep -aEq -- "$done_re" "$log" 2>/dev/null && t_end=$EPOCHREALTIME
      fi
    fi
    sleep 0.1
  done
  local status=0
  wait "$runner" || status=$?
  runner='' bochs_pid=''
  cat "$log.result"
  r_vmstart[$key]=$(since "$t_vmstart") r_kernel[$key]=$(since "$t_kernel") r_ready[$key]=$(since "$t_ready") r_end[$key]=$(since "$t_end")
  r_cpu[$key]=${cpu_ready:-none} r_load[$key]=$load r_log[$key]=$log
  r_mem[$key]=$(grep -a -m1 -oE 'MemTotal: +[0-9]+' "$log" | grep -oE '[0-9]+$' || echo none)
  if [ "$status" = 0 ] && [ -n "$t_ready" ]; then r_status[$key]=PASS; else r_status[$key]=FAIL; fi
}

run_config() { # CONFIG ROUND
  case $1 in
    direct) run_one direct "$2" "$bdir/boot-linux-direct.iso" "$direct_megs" 'BALLAST-GUEST-DONE' ;;
    ballast-bzimage)
      run_one ballast-bzimage "$2" "$bdir/boot-linux-bzimage.iso" "$ballast_megs" '\[ballast\] halted:' \
        --expect 'vm vm1: bzImage kernel' --expect 'vm vm1: exits ' ;;
    ballast-vmlinux)
      run_one ballast-vmlinux "$2" "$bdir/boot-linux-vmlinux.iso" "$ballast_megs" '\[ballast\] halted:' \
        --expect 'vm vm1: vmlinux \(uncompressed ELF\) kernel' --expect 'vm vm1: exits ' ;;
  esac
}

configs=(direct ballast-bzimage)
[ "$do_vmlinux" = 1 ] && configs+=(ballast-vmlinux)
started_at=$(date -u '+%Y-%m-%d %H:%M UTC')
for ((round = 1; round <= rounds; round++)); do
  if ((round % 2)); then order=("${configs[@]}"); else order=(); for c in "${configs[@]}"; do order=("$c" "${order[@]}"); done; fi
  for c in "${order[@]}"; do run_config "$c" "$round"; done
done

# ---- report -------------------------------------------------------------------------------------------------
median() { # FORMAT values... (skips "none"); prints the median or "none"
  local fmt=$1
  shift
  printf '%s\n' "$@" | grep -v '^none$' | sort -g | awk -v f="$fmt\n" '{ v[NR] = $1 } END {
    if (NR == 0) { print "none"; exit }
    if (NR % 2) printf f, v[(NR + 1) / 2]; else printf f, (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
med() { # ARRAY-NAME CONFIG [FORMAT]
  local -n arr=$1
  local vals=() round
  for ((round = 1; round <= rounds; round++)); do vals+=("${arr[$2:$round]}"); done
  median "${3:-%.1f}" "${vals[@]}"
}
ratio() { [ "$1" != none ] && [ "$2" != none ] && awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }' || echo none; }
label() {
  case $1 in
    direct) echo "direct (GRUB -> bzImage)" ;;
    ballast-bzimage) echo "ballast (bzImage)" ;;
    ballast-vmlinux) echo "ballast (vmlinux)" ;;
  esac
}

report() {
  local kver commit
  kver=$(cat "$guest/kernel-version" 2>/dev/null || echo '?')
  commit=$(git rev-parse --short HEAD 2>/dev/null || echo '?')
  [ -n "$(git status --porcelain --untracked-files=no -- . ':!bench' 2>/dev/null)" ] && commit="$commit (+ uncommitted changes)"
  echo "== ballast boot benchmark (bench/boot-linux.sh), $started_at"
  echo "host: $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(nproc) cores; $(bochs --help 2>&1 | grep -m1 -oE 'Bochs x86 Emulator [0-9.]+' || echo Bochs), cpu model $cpu, ips 100000000, clock sync=none"
  echo "ballast: commit $commit, $elf; guest: Debian $kver bzImage ($(stat -c %s "$guest/vmlinuz") B), vmlinux ($(stat -c %s "$guest/vmlinux" 2>/dev/null || echo '?') B), initramfs ($(stat -c %s "$guest/initramfs.cpio.gz") B)"
  echo "guest command line: $cmdline"
  echo "direct: Bochs megs $direct_megs; ballast: Bochs megs $ballast_megs, vm.mem=$vm_mem; rounds: $rounds"
  echo
  printf '%-5s %-26s %9s %9s %9s %9s %11s %12s %-16s %s\n' round config vm_start_s kernel_s ready_s end_s cpu@ready_s "MemTotal kB" "load before" result
  local round c
  for ((round = 1; round <= rounds; round++)); do
    for c in "${configs[@]}"; do
      local k=$c:$round
      printf '%-5s %-26s %9s %9s %9s %9s %11s %12s %-16s %s\n' "$round" "$(label "$c")" "${r_vmstart[$k]}" "${r_kernel[$k]}" "${r_ready[$k]}" \
        "${r_end[$k]}" "${r_cpu[$k]}" "${r_mem[$k]}" "${r_load[$k]}" "${r_status[$k]}"
    done
  done
  echo "(vm_start_s: wall s from emulator start until ballast starts the VM (GRUB loading the images, ballast's"
  echo " own boot and the image load; none for direct); kernel_s: to the kernel's first console message 'Linux"
  echo " version' (after the bzImage has decompressed itself; the direct boot's GRUB loading is in it); ready_s: to"
  echo " BALLAST-GUEST-READY; end_s: to the end of the run (direct: BALLAST-GUEST-DONE; ballast: VM stopped and"
  echo " hypervisor halted); cpu@ready_s: Bochs's CPU time at READY)"
  echo
  local d b v dc bc vc rw rc verdict
  d=$(med r_ready direct) b=$(med r_ready ballast-bzimage)
  dc=$(med r_cpu direct) bc=$(med r_cpu ballast-bzimage)
  rw=$(ratio "$b" "$d") rc=$(ratio "$bc" "$dc")
  verdict=none
  [ "$rw" != none ] && verdict=$(awk -v r="$rw" -v g="$goal" 'BEGIN { print (r <= g ? "PASS" : "MISS") }')
  local what="wall time to BALLAST-GUEST-READY"
  [ "$rounds" -gt 1 ] && what="$what (median of $rounds)"
  echo "$what:"
  printf '  %-34s %7s s   (Bochs CPU %s s)\n' "direct, GRUB boots the bzImage" "$d" "$dc"
  printf '  %-34s %7s s   (Bochs CPU %s s)\n' "under ballast, bzImage" "$b" "$bc"
  printf '  %-34s %7s     (CPU-time ratio %s)\n' "ratio ballast/direct" "$rw" "$rc"
  printf '  %-34s %7s\n' "goal <= $goal" "$verdict"
  if [ "$do_vmlinux" = 1 ]; then
    v=$(med r_ready ballast-vmlinux) vc=$(med r_cpu ballast-vmlinux)
    printf '  %-34s %7s s   (Bochs CPU %s s; %s x direct; no direct counterpart: GRUB cannot boot the vmlinux ELF)\n' \
      "under ballast, vmlinux (fast path)" "$v" "$vc" "$(ratio "$v" "$d")"
  fi
  echo
  echo "guest MemTotal: direct $(med r_mem direct %d) kB (Bochs megs $direct_megs), under ballast $(med r_mem ballast-bzimage %d) kB (vm.mem=$vm_mem)"
  echo
  # VM exits by reason, one column per ballast run, from the lines ballast prints when the VM stops. They cover the
  # VM's whole life: boot, the workload ($workload) and the power-off.
  local cols=() reasons
  for ((round = 1; round <= rounds; round++)); do
    for c in "${configs[@]}"; do [ "$c" != direct ] && cols+=("$c:$round"); done
  done
  reasons=$(for k in "${cols[@]}"; do
    tr -d '\r' < "${r_log[$k]}" | sed -nE 's/.*vm vm1: exits (.*[^ ]) +[0-9]+$/\1/p'
  done | awk '!seen[$0]++')
  echo "VM exits by reason (whole VM life: boot, workload $workload, power-off), from ballast's report at VM stop:"
  printf '  %-22s' reason
  for k in "${cols[@]}"; do printf ' %18s' "${k#ballast-}"; done
  echo
  local reason
  while IFS= read -r reason; do
    [ -n "$reason" ] || continue
    printf '  %-22s' "$reason"
    for k in "${cols[@]}"; do
      printf ' %18s' "$(tr -d '\r' < "${r_log[$k]}" | awk -v r="vm vm1: exits $reason " 'index($0, r) { n = $NF } END { print (n == "" ? "-" : n) }')"
    done
    echo
  done <<< "$reasons"
  printf '  %-22s' total
  for k in "${cols[@]}"; do
    printf ' %18s' "$(tr -d '\r' < "${r_log[$k]}" | sed -nE 's/.*vm vm1: exits .*[^ ] +([0-9]+)$/\1/p' | awk '{ s += $1 } END { print s + 0 }')"
  done
  echo
  for k in "${cols[@]}"; do
    echo "  ${k#ballast-}: $(tr -d '\r' < "${r_log[$k]}" | grep -a -m1 -oE 'vm vm1: ran .*' || echo 'no run summary')"
  done
  echo
  echo "serial logs: $(for k in "${!r_log[@]}"; do echo "${r_log[$k]}"; done | sort | tr '\n' ' ')"
}

report | tee "$out"
echo "boot-linux: figures written to $out"
failed=0
for k in "${!r_status[@]}"; do [ "${r_status[$k]}" = PASS ] || failed=1; done
if [ "$failed" = 1 ]; then echo "boot-linux: a boot failed; see its log" >&2; exit 1; fi
exit 0
