#!/usr/bin/env python3
"""Figures of the balloon benchmark (bench/balloon.sh) from its serial logs.  Prints; never fails on a number.

    balloon-report.py rates LOG [--vm vm1]
        Every balloon move the monitor asked for ("set VM target ..." shows as a new target= in the memstat lines):
        its size, the driver's own time for it (the "us=" of its "ballast-balloon: target=..." line: allocating or
        freeing the pages plus the LOCK/UNLOCK hypercalls, guest clock), the time from the command to the memstat
        line that shows the balloon at its new size (includes up to one poll period, 1 s, and the memstat interval,
        1 s), and what machine free memory did meanwhile.
    balloon-report.py overhead LOG --plain VM --ballooned VM [--skip-first 1] [--skip-last 2] [--blocks N
                      --block-rounds R]
        The per-round times of "memtouch: wrote and verified N MiB in T ms" in both VMs: first round (first touch of
        the memory) apart, then the steady rounds (minus --skip-last, for VMs run side by side: those may have run
        while the other had finished), median and mean, and the ballooned VM's overhead against the plain one.
        With --blocks (the VMs took turns, N blocks of R rounds each) it checks from the log order that no two
        blocks overlapped and prints each block's median.
"""
import argparse
import re
import statistics
import sys

VM = re.compile(r"\[ballast\] memstat t=(\d+) vm=(\S+) max=(\d+) min=\d+ shares=\d+ alloc=(\d+) active=\d+ "
                r"shared=\d+ balloon=(\d+) swapped=\d+ target=(\d+) state=\w+$")
MACHINE = re.compile(r"\[ballast\] memstat t=(\d+) machine total=\d+ free=(\d+) ")
DRIVER = re.compile(r"ballast-balloon: target=(\d+) size=(\d+) inflated=(\d+) deflated=(\d+) avail=(-?\d+) us=(\d+)")
ROUND = re.compile(r"memtouch: wrote and verified (\d+) MiB in (\d+) ms")


def lines(path):
    return [raw.rstrip("\r\n").replace("\r", "") for raw in open(path, encoding="utf-8", errors="replace")]


def memstats(log, vm):
    """[line index, t ms, max, alloc, balloon, target, machine free] for vm."""
    out = []
    for i, line in enumerate(log):
        m = VM.match(line)
        if m and m.group(2) == vm:
            out.append([i, int(m.group(1)), int(m.group(3)), int(m.group(4)), int(m.group(5)), int(m.group(6)), None])
            continue
        m = MACHINE.match(line)
        if m and out and out[-1][1] == int(m.group(1)) and out[-1][6] is None:
            out[-1][6] = int(m.group(2))
    return out


def rates(a):
    log = lines(a.log)
    st = memstats(log, a.vm)
    drv = [(i, m) for i, l in enumerate(log) for m in [DRIVER.search(l)] if m and l.startswith(f"[{a.vm}]")]
    if not st:
        print(f"balloon-rates: no memstat lines for {a.vm}")
        return
    vmax = st[0][2]
    print(f"{'move':<22} {'MiB':>5} {'driver ms':>9} {'driver MiB/s':>12} {'cmd->done s':>11} "
          f"{'machine free MiB':>17} {'freed MiB/s':>11}")
    k = 0
    for j in range(1, len(st)):
        if st[j][5] == st[j - 1][5]:
            continue
        s = st[j]  # the "mem" right after the command: the new target, the balloon still as it was
        want = vmax - s[5]
        done = next((x for x in st[j:] if abs(x[4] - want) <= 1), None)
        d = next(((i, m) for i, m in drv if i > s[0]), None)
        kind = "inflate" if want > s[4] else "deflate"
        what = f"{kind} {s[4]}->{want} MiB"
        if d is None or done is None:
            print(f"{what:<22} (did not complete)")
            continue
        _, m = d
        pages = int(m.group(3)) or int(m.group(4))
        us = int(m.group(6))
        mib = pages * 4 / 1024
        secs = (done[1] - s[1]) / 1000
        free = f"{s[6]}->{done[6]}" if s[6] is not None and done[6] is not None else "?"
        freed = (done[6] - s[6]) / secs if secs and s[6] is not None and done[6] is not None else 0
        print(f"{what:<22} {mib:5.0f} {us / 1000:9.0f} {mib / (us / 1e6):12.1f} {secs:11.1f} {free:>17} "
              f"{freed:11.1f}")
        k += 1
    if not k:
        print("balloon-rates: the balloon's target never changed")


def overhead(a):
    log = lines(a.log)
    rounds = {a.plain: [], a.ballooned: []}
    mem = {a.plain: {}, a.ballooned: {}}
    for line in log:
        for vm in rounds:
            if not line.startswith(f"[{vm}] "):
                continue
            m = ROUND.search(line)
            if m:
                rounds[vm].append((int(m.group(1)), int(m.group(2))))
            m = re.match(r"\[\S+\] (MemTotal|MemFree): +(\d+) kB", line)
            if m and m.group(1) not in mem[vm]:  # the first: printed by /init at READY
                mem[vm][m.group(1)] = int(m.group(2)) // 1024
    for vm in rounds:
        avail = [int(m.group(1)) // 1024 for l in log if l.startswith(f"[{vm}] ")
                 for m in [re.search(r"MemAvailable: +(\d+) kB", l)] if m]
        st = memstats(log, vm)
        first_round = next((i for i, l in enumerate(log) if l.startswith(f"[{vm}] ") and ROUND.search(l)), None)
        bal = [s[4] for s in st if first_round is not None and s[0] < first_round]
        print(f"{vm}: max {st[0][2] if st else '?'} MiB, MemTotal {mem[vm].get('MemTotal', '?')} MiB, "
              f"MemAvailable before the rounds {avail[-1] if avail else '?'} MiB, balloon when they began "
              f"{bal[-1] if bal else '?'} MiB; {len(rounds[vm])} rounds of "
              f"{rounds[vm][0][0] if rounds[vm] else '?'} MiB")
    res = {}
    for vm, r in rounds.items():
        ms = [t for _, t in r]
        steady = ms[a.skip_first:len(ms) - a.skip_last] if len(ms) > a.skip_first + a.skip_last else []
        if not steady:
            print(f"{vm}: too few rounds ({len(ms)})")
            return
        res[vm] = steady
        print(f"{vm:>10}: first round {ms[0]} ms; steady rounds {a.skip_first + 1}..{len(ms) - a.skip_last}: "
              f"median {statistics.median(steady):.0f} ms, mean {statistics.mean(steady):.0f} ms, "
              f"min {min(steady)}, max {max(steady)}  ({' '.join(map(str, ms))})")
    # Taking turns: in log order, the two VMs' memtouch starts and results must form one run per block.
    seq = []
    for line in log:
        for vm in rounds:
            if line.startswith(f"[{vm}] ") and (ROUND.search(line) or "workload: memtouch " in line):
                if not seq or seq[-1] != vm:
                    seq.append(vm)
    blocks = len(seq)
    print(f"turns: the VMs' rounds form {blocks} runs in log order"
          + (f" ({a.blocks * 2} blocks: no overlap)" if a.blocks and blocks == a.blocks * 2 else
             f" (expected {a.blocks * 2}: some rounds overlapped, the figures are suspect)" if a.blocks else ""))
    if a.block_rounds:
        for vm, r in rounds.items():
            ms = [t for _, t in r]
            per = [ms[i:i + a.block_rounds] for i in range(0, len(ms), a.block_rounds)]
            meds = [statistics.median(x[1:] if k == 0 and len(x) > 1 else x) for k, x in enumerate(per)]
            print(f"{vm:>10}: block medians " + ", ".join(f"{m:.0f}" for m in meds) + " ms (first round left out)")
    p, b = res[a.plain], res[a.ballooned]
    med = 100 * (statistics.median(b) / statistics.median(p) - 1)
    mean = 100 * (statistics.mean(b) / statistics.mean(p) - 1)
    spread = 100 * statistics.pstdev(p) / statistics.mean(p)
    print(f"overhead of {a.ballooned} (ballooned) against {a.plain} (booted small): median {med:+.1f}%, "
          f"mean {mean:+.1f}%  (paper, Fig. 2: 1.4-4.4%; round-to-round spread of {a.plain}: {spread:.1f}%)")


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("rates")
    r.add_argument("log")
    r.add_argument("--vm", default="vm1")
    o = sub.add_parser("overhead")
    o.add_argument("log")
    o.add_argument("--plain", required=True)
    o.add_argument("--ballooned", required=True)
    o.add_argument("--skip-first", type=int, default=1)
    o.add_argument("--skip-last", type=int, default=2)
    o.add_argument("--blocks", type=int, default=0, help="blocks each VM ran, taking turns (0: side by side)")
    o.add_argument("--block-rounds", type=int, default=0)
    a = ap.parse_args()
    rates(a) if a.cmd == "rates" else overhead(a)
    return 0


if __name__ == "__main__":
    sys.exit(main())
