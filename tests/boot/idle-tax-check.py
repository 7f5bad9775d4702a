#!/usr/bin/env python3
"""Check the Fig. 7 regression (tests/boot/idle-tax.sh): with tau = 0 the idle VM (vm1) and the active one (vm2)
keep about equal memory; with tau = 0.75 memory moves to the active VM and its memload throughput rises (paper:
> 30%).  Each half is judged over its last WINDOW_S seconds, when the policy has had time to settle.  Prints the
allocations, the rates and how long the move took (seconds, and sampling periods of SAMPLE_S)."""
import re
import sys

SAMPLE_S = 5.0   # idle-tax.conf: sample_period
WINDOW_S = 60.0
VM = re.compile(r"memstat t=(\d+) vm=(vm[12]) .* alloc=(\d+) active=(\d+) .* balloon=(\d+) ")
RATE = re.compile(r"^\[vm2\] memload: t=[0-9.]+ ws=\d+ ops=\d+ rate=(\d+) ")
SWITCH = re.compile(r"monitor: set tune tax 0\.75: done")
DONE = re.compile(r"^\[vm2\] memload: done ")


def main(path):
    t, series, rates, t_switch, t_end = 0.0, {"vm1": [], "vm2": []}, [], None, None
    for raw in open(path, encoding="utf-8", errors="replace"):
        line = raw.rstrip("\n")
        m = VM.search(line)
        if m:
            t = int(m.group(1)) / 1000
            series[m.group(2)].append((t, int(m.group(3)), int(m.group(4)), int(m.group(5))))
            continue
        if RATE.search(line):
            rates.append((t, int(RATE.search(line).group(1))))
        elif SWITCH.search(line) and t_switch is None:
            t_switch = t
        elif DONE.search(line) and t_end is None:
            t_end = t
    if t_switch is None or t_end is None:
        print("idle-tax-check: FAIL the log has no tau switch or no end of memload")
        return 1

    def mean(xs):
        return sum(xs) / len(xs) if xs else 0.0

    def window(t1):
        a = {v: mean([x[1] for x in series[v] if t1 - WINDOW_S <= x[0] <= t1]) for v in series}
        act = {v: mean([x[2] for x in series[v] if t1 - WINDOW_S <= x[0] <= t1]) for v in series}
        r = mean([x[1] for x in rates if t1 - WINDOW_S <= x[0] <= t1])
        return a, act, r

    a0, act0, r0 = window(t_switch)
    # The second half ends with memload's last report (its final check of every word comes after it).
    t_last = max([t for t, _ in rates if t <= t_end] or [t_end])
    a1, act1, r1 = window(t_last)
    problems = []

    def need(ok, what):
        print(("idle-tax-check: ok   " if ok else "idle-tax-check: FAIL ") + what)
        if not ok:
            problems.append(what)

    print(f"idle-tax-check: tau=0:    vm1 (idle) {a0['vm1']:.0f} MiB active {act0['vm1']:.0f}%, vm2 (memload) "
          f"{a0['vm2']:.0f} MiB active {act0['vm2']:.0f}%, memload {r0:.0f} ops/s")
    print(f"idle-tax-check: tau=0.75: vm1 (idle) {a1['vm1']:.0f} MiB active {act1['vm1']:.0f}%, vm2 (memload) "
          f"{a1['vm2']:.0f} MiB active {act1['vm2']:.0f}%, memload {r1:.0f} ops/s")
    spread0 = abs(a0["vm1"] - a0["vm2"]) / max(a0["vm1"], a0["vm2"], 1)
    need(spread0 <= 0.15, f"tau=0: the VMs keep about equal memory (differ by {spread0:.0%}, at most 15%)")
    moved = (a1["vm2"] - a0["vm2"])
    need(moved >= 25 and a1["vm1"] < a0["vm1"], f"tau=0.75: memory moved to the active VM "
         f"({moved:+.0f} MiB to vm2, vm1 {a0['vm1']:.0f} -> {a1['vm1']:.0f} MiB)")
    # When the move was done: vm2 first within 5 MiB of its final allocation after the switch.
    reach = next((x[0] for x in series["vm2"] if x[0] >= t_switch and x[1] >= a1["vm2"] - 5), None)
    if reach is not None:
        print(f"idle-tax-check: the move took {reach - t_switch:.0f} s = {(reach - t_switch) / SAMPLE_S:.1f} "
              f"sampling periods")
    ratio = r1 / r0 if r0 else 0.0
    need(ratio >= 1.3, f"tau=0.75: memload's throughput rose by {ratio - 1:+.0%} (ratio {ratio:.2f}, paper: > 30%)")
    print(f"idle-tax-check: {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
