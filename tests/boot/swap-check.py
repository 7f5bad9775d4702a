#!/usr/bin/env python3
"""Check the swap regression's memstat lines (tests/boot/swap.sh).  Phase 1: after the monitor lowers vm1's max to
96 MiB the hypervisor swaps it down to the max (swapped rising to what the guest holds beyond it) and the workload's
touches read pages back (swapins rising) while the VM stays near its max.  Phase 2, the max raised again and the
workload grown past the machine: pages keep coming back from swap as the workload touches them.  And at some point
of the run (the first fill already outruns swapping on a machine this small) the free memory reaches the low state,
the VM's faults wait there (blocked while swapping brings it back to its target) and it is released (a later
report out of low).  Prints the figures it judged."""
import re
import sys

VM = re.compile(r"memstat t=(\d+) vm=vm1 max=(\d+) .*alloc=(\d+) .*swapped=(\d+) .*state=(\w+) .*waits=(\d+) "
                r"swapins=(\d+) swapouts=(\d+)$")
T, MAX, ALLOC, SWAPPED, STATE, WAITS, INS, OUTS = range(8)
# The memory manager's state changes, to the tick (memstat reports come every 2 s; a visit to low may be shorter).
CHANGE = re.compile(r"mm: t=(\d+) free-memory state (\w+) -> (\w+) ")


def rate(rows, col):
    """MiB per second over the report intervals in which the counter moved (emulated time)."""
    pages = ms = 0
    for a, b in zip(rows, rows[1:]):
        if b[col] > a[col]:
            pages, ms = pages + b[col] - a[col], ms + b[T] - a[T]
    return pages / 256 / (ms / 1000) if ms else 0.0


def main(path):
    rows, changes = [], []
    for raw in open(path, encoding="utf-8", errors="replace"):
        c = CHANGE.search(raw)
        if c:
            changes.append((int(c.group(1)), c.group(2), c.group(3)))
        m = VM.search(raw.strip())
        if m:
            g = m.groups()
            rows.append(tuple(g[i] if i == STATE else int(g[i]) for i in range(8)))
    low = [r for r in rows if r[MAX] == 96]
    after = [r for r in rows if r[MAX] == 256 and low and r[T] > low[-1][T]]
    problems = []
    if len(low) < 5 or len(after) < 5:
        print(f"swap-check: {len(low)} reports with max 96 and {len(after)} after it (need 5 and 5)")
        return 1
    # Phase 1: the lowered max.
    t0 = low[0][T]
    down = next((r for r in low if r[ALLOC] <= 96 + 2), None)
    peak = max(r[SWAPPED] for r in low)
    if not down:
        problems.append(f"alloc never came down to the max of 96 MiB (lowest {min(r[ALLOC] for r in low)} MiB)")
    if peak < 40:
        problems.append(f"at most {peak} MiB swapped while the max was 96 MiB (expected >= 40)")
    ins, outs = low[-1][INS] - low[0][INS], low[-1][OUTS] - low[0][OUTS]
    if ins < 2560:
        problems.append(f"only {ins} pages read back from swap while the max was 96 MiB (the workload touches all)")
    held = [r for r in low if down and r[T] >= down[T]]
    worst = max(r[ALLOC] for r in held) if held else 0
    if held and worst > 96 + 16:
        problems.append(f"alloc rose to {worst} MiB after it had come down to the max of 96 MiB")
    secs = (low[-1][T] - t0) / 1000
    print(f"swap-check: phase 1: max 96 MiB at t={t0 / 1000:.0f} s; alloc at the max after "
          f"{(down[T] - t0) / 1000 if down else float('nan'):.0f} s; peak {peak} MiB swapped; {outs} pages out "
          f"({rate(low, OUTS):.1f} MiB/s while writing) and {ins} in ({rate(low, INS):.1f} MiB/s while reading) "
          f"over {secs:.0f} s")
    # The low state: entered (the first fill is past what the machine keeps free) and left again, with vm1's faults
    # waiting meanwhile (it is blocked there while swapping brings it back to its target).
    entries = [c[0] for c in changes if c[2] == "low"]
    exits = [c[0] for c in changes if c[1] == "low"]
    if not entries:
        problems.append("the low state was never reached")
    else:
        t_in = entries[0]
        t_out = next((t for t in exits if t > t_in), None)
        before = [r for r in rows if r[T] <= t_in]
        after_low = [r for r in rows if t_out is not None and r[T] >= t_out]
        waited = after_low[0][WAITS] - (before[-1][WAITS] if before else 0) if after_low else 0
        if t_out is None:
            problems.append(f"vm1 never left the low state entered at t={t_in / 1000:.1f} s")
        elif waited <= 0:
            problems.append("no fault of vm1 waited around the low state (it was never blocked)")
        print(f"swap-check: low entered {len(entries)} times, first at t={t_in / 1000:.1f} s"
              f"{', left at t=%.1f s' % (t_out / 1000) if t_out is not None else ', never left'}; "
              f"{waited} faults of vm1 waited meanwhile")
    # Phase 2, past the machine with the max given back: the workload's touches keep reading pages back while
    # the hypervisor keeps it within the machine.
    grown = [r for r in after if r[ALLOC] > 96 + 48]
    ins2 = grown[-1][INS] - grown[0][INS] if grown else 0
    if ins2 < 2560:
        problems.append(f"only {ins2} pages read back from swap after the workload grew past the machine")
    print(f"swap-check: phase 2: {ins2} pages read back, peak {max(r[SWAPPED] for r in after)} MiB swapped, "
          f"alloc at most {max(r[ALLOC] for r in after)} MiB")
    for p in problems:
        print("swap-check:", p)
    print("swap-check:", "PASS" if not problems else "FAIL")
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
