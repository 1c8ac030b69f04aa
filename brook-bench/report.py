"""Turns side-by-side.sh's results.tsv into a Brook/Kafka table of medians (and Brook/baseline when an
earlier Brook ran in the same runs)."""
import statistics
import sys
from collections import defaultdict

values = defaultdict(list)
for line in open(sys.argv[1]):
    system, run, row, metric, value = line.rstrip("\n").split("\t")
    try:
        values[(system, row, metric)].append(float(value))
    except ValueError:
        pass

def median(system, row, metric):
    v = values.get((system, row, metric))
    return statistics.median(v) if v else None

rows = []
for (system, row, metric) in values:
    if (row, metric) not in rows:
        rows.append((row, metric))
# derived: broker CPU-seconds per GB moved
for row in sorted({r for r, _ in rows}):
    for system in ("brook", "baseline", "kafka"):
        cpu, gb = median(system, row, "broker_cpu_s"), median(system, row, "gb")
        if cpu is not None and gb:
            values[(system, row, "cpu_s_per_gb")].append(cpu / gb)
    if ("cpu_s_per_gb" not in [m for r, m in rows if r == row]) and median("brook", row, "cpu_s_per_gb"):
        rows.append((row, "cpu_s_per_gb"))

better_high = {"records_per_s", "mb_per_s", "records_per_s_with_join", "connections_per_s"}
# facts about a run, shown without a ratio (the failover row: was the killed leader the active controller too,
# records the producer gave up on)
informational = {"killed_was_controller", "send_errors", "creates_answered_exists",
                 "not_in_sync_partitions"}
baseline = any(system == "baseline" for system, _, _ in values)
if baseline:
    print("| row | metric | Brook | Brook baseline | Kafka 4.3.1 | Brook/baseline | Brook/Kafka | better |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |")
else:
    print("| row | metric | Brook | Kafka 4.3.1 | Brook/Kafka | better |")
    print("| --- | --- | ---: | ---: | ---: | --- |")
for row, metric in rows:
    if metric in ("gb", "broker_cpu_s"):
        continue
    b, k = median("brook", row, metric), median("kafka", row, metric)
    if b is None or k is None:
        continue
    if metric in informational:
        blank = "| - " if baseline else ""
        print(f"| {row} | {metric} | {b:g} {blank}| {k:g} | - {blank}| - |")
        continue
    ratio = b / k if k else float("nan")
    if metric in better_high:
        verdict = "Brook" if ratio >= 1 else "Kafka"
    else:
        verdict = "Brook" if ratio <= 1 else "Kafka"
    if baseline:
        a = median("baseline", row, metric)
        vs = f"{b / a:.2f}" if a else "-"
        print(f"| {row} | {metric} | {b:g} | {a if a is not None else '-'} | {k:g} | {vs} | {ratio:.2f} | {verdict} |")
    else:
        print(f"| {row} | {metric} | {b:g} | {k:g} | {ratio:.2f} | {verdict} |")

# the tls rows: what SASL_SSL costs each system against its own PLAINTEXT figure of the same run set
secured = [(row, metric) for row, metric in rows if row.endswith("_sasl_ssl")
           and metric not in ("gb", "broker_cpu_s") and (row[:-len("sasl_ssl")] + "plaintext", metric) in rows]
if secured:
    print()
    print("| row | metric | Brook SASL_SSL/PLAINTEXT | Kafka SASL_SSL/PLAINTEXT |")
    print("| --- | --- | ---: | ---: |")
    for row, metric in secured:
        plain = row[:-len("sasl_ssl")] + "plaintext"
        cells = []
        for system in ("brook", "kafka"):
            s, p = median(system, row, metric), median(system, plain, metric)
            cells.append(f"{s / p:.2f}" if s is not None and p else "-")
        print(f"| {row[:-len('_sasl_ssl')]} | {metric} | {cells[0]} | {cells[1]} |")
