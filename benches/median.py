"""median.py RUNS COMMAND...: runs COMMAND RUNS times (output discarded) and prints the median
and the fastest wall time in seconds, separated by a space."""
import statistics
import subprocess
import sys
import time

runs, command = int(sys.argv[1]), sys.argv[2:]
times = []
for _ in range(runs):
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    times.append(time.perf_counter() - start)
print(f"{statistics.median(times):.4f} {min(times):.4f}")
