#!/usr/bin/env bash
# Boot an image in an emulator with a time limit, follow its serial log, and decide pass or fail from it.
# The emulator is always killed by PID at the end (Bochs never exits by itself when the guest halts).
#
#   scripts/boot-test.sh --emulator bochs|qemu --iso ISO --log LOG [--timeout SECONDS] [--megs N]
#                        [--expect REGEX]... [--expect-count REGEX N]... [--reject REGEX]... [--done REGEX]
#                        [--cpu MODEL] [--disk IMAGE]
#   scripts/boot-test.sh --emulator qemu --kernel ELF [--append CMDLINE] [--qemu-args "ARGS"] --log LOG ...
#
# Passes when every --expect pattern has appeared (each --expect-count pattern on exactly N lines) and the --done pattern (default: the first "halted:" line) has
# appeared; fails at once on any --reject pattern, on timeout, or if the emulator dies first.
set -uo pipefail

emulator=bochs iso= kernel= append= qemu_args= disk= log= timeout=120 megs=512 cpu=corei7_skylake_x done_re='\[ballast\] halted:'
expects=() rejects=() counts=()
while [ $# -gt 0 ]; do
  case $1 in
    --emulator) emulator=$2; shift 2 ;;
    --iso) iso=$2; shift 2 ;;
    --kernel) kernel=$2; shift 2 ;;
    --append) append=$2; shift 2 ;;
    --qemu-args) qemu_args=$2; shift 2 ;;
    --log) log=$2; shift 2 ;;
    --timeout) timeout=$2; shift 2 ;;
    --megs) megs=$2; shift 2 ;;
    --cpu) cpu=$2; shift 2 ;;
    --disk) disk=$2; shift 2 ;;
    --expect) expects+=("$2"); shift 2 ;;
    --expect-count) counts+=("$3" "$2"); shift 3 ;;
    --reject) rejects+=("$2"); shift 2 ;;
    --done) done_re=$2; shift 2 ;;
    *) echo "boot-test: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -n "$iso$kernel" ] && [ -n "$log" ] || { echo "boot-test: --iso or --kernel, and --log, are required" >&2; exit 2; }
image=${iso:-$kernel}
[ -f "$image" ] || { echo "boot-test: no image $image" >&2; exit 2; }

here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$(dirname "$log")"
emu_log=$log.emulator
case $emulator in
  bochs)
    rc=$log.bochsrc
    "$here/bochsrc.sh" "$iso" "$log" "$emu_log" "$megs" "$cpu" "$disk" > "$rc"
    printf 'c\n' > "$log.bochs-cmds"
    # Bochs's rfb display listens on 5900 or the next free port; serialise Bochs runs so two never race for it.
    exec 9> /tmp/ballast-bochs.lock
    flock 9
    : > "$log"
    bochs -q -f "$rc" -rc "$log.bochs-cmds" < /dev/null > "$emu_log.stdout" 2>&1 &
    ;;
  qemu)
    : > "$log"
    if [ -n "$iso" ]; then boot=(-cdrom "$iso"); else boot=(-kernel "$kernel" -append "$append"); fi
    [ -z "$disk" ] || boot+=(-drive "file=$disk,format=raw,if=ide,index=1")
    # shellcheck disable=SC2086 # qemu_args is a list of words on purpose
    qemu-system-x86_64 "${boot[@]}" -m "$megs" -display none -serial file:"$log" -no-reboot \
      -monitor none $qemu_args > "$emu_log" 2>&1 &
    ;;
  *) echo "boot-test: unknown emulator $emulator" >&2; exit 2 ;;
esac
pid=$!
# Bochs locks a disk image with IMAGE.lock and removes it only when it exits by itself, which it never does here.
trap 'kill "$pid" 2>/dev/null; sleep 0.2; kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; [ -z "$disk" ] || rm -f "$disk.lock"' EXIT

start=$(date +%s)
result=
while :; do
  for r in "${rejects[@]}"; do
    if grep -aEq -- "$r" "$log"; then result="FAIL: rejected pattern '$r' appeared"; break 2; fi
  done
  if grep -aEq -- "$done_re" "$log"; then
    missing=
    for e in "${expects[@]}"; do grep -aEq -- "$e" "$log" || missing+=" '$e'"; done
    for ((i = 0; i < ${#counts[@]}; i += 2)); do
      n=$(grep -aEc -- "${counts[i+1]}" "$log"); [ "$n" = "${counts[i]}" ] || missing+=" ${counts[i]}x'${counts[i+1]}' (saw $n)"
    done
    if [ -z "$missing" ]; then result=PASS; else result="FAIL: finished without$missing"; fi
    break
  fi
  if ! kill -0 "$pid" 2>/dev/null; then result="FAIL: $emulator exited early"; break; fi
  if [ $(( $(date +%s) - start )) -ge "$timeout" ]; then result="FAIL: timeout after ${timeout}s"; break; fi
  sleep 0.5
done
elapsed=$(( $(date +%s) - start ))
echo "boot-test [$emulator $(basename "$image")${append:+ $append}${qemu_args:+ $qemu_args}]: $result (${elapsed}s, log $log)"
if [ "$result" != PASS ]; then
  echo "---- last lines of the serial log ----"; tail -n 40 "$log" | tr -d '\r'
  if [ -f "$emu_log" ]; then echo "---- emulator log (PANIC/ERROR lines) ----"; grep -aE 'PANIC|ERROR|>>' "$emu_log" | tail -20; fi
  exit 1
fi
