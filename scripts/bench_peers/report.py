#!/usr/bin/env python3
"""The table of the peer benchmark: reads what bench-peers.sh left in its work directory
(GNU time reports, each tool's output, the corpus sidecar), takes each tool's verdict per
manifest, and prints throughput, CPU, peak memory and agreement with clausegate, then the
disagreements grouped by the violations planted in the disagreeing manifests.

usage: report.py WORKDIR N "TOOLS" tool=version...
"""
import collections, datetime, json, os, re, sys


def read(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def gnu_time(path):
    """wall s, CPU s (user + system), peak RSS MiB of one `/usr/bin/time -v` report."""
    t = read(path)
    def field(name):
        m = re.search(re.escape(name) + r":\s*(\S+)", t)
        return m.group(1) if m else None
    wall = 0.0
    for part in field("Elapsed (wall clock) time (h:mm:ss or m:ss)").split(":"):
        wall = wall * 60 + float(part)
    cpu = float(field("User time (seconds)")) + float(field("System time (seconds)"))
    return wall, cpu, int(field("Maximum resident set size (kbytes)")) / 1024


def key(kind, namespace, name):
    return f"{kind}/{namespace or ''}/{name}"


# Each parser returns {manifest key: (True when rejected, the first message)}, for the
# manifests it reports on; a manifest it does not name is admitted (gator lists violations
# only).

def merge(verdicts, k, rejected, msg=""):
    was, first = verdicts.get(k, (False, ""))
    verdicts[k] = (was or rejected, first or (msg if rejected else ""))

def parse_clausegate(out, files):
    return {key(o["kind"], o.get("namespace"), o["name"]):
            (not r["allowed"], next((v["message"] for v in r["verdicts"] if v["outcome"] == "fail"), ""))
            for r in json.loads(out)["results"] for o in [r["object"]]}


def parse_kyverno(out, files):
    # --policy-report --output-format json: a merged cluster report, then "---" and a report
    # per namespace, each on one line (among warnings such as the deprecation of
    # ClusterPolicy); a result per resource and rule (the Pod rule, or its autogen rule).
    verdicts = {}
    for line in out.splitlines():
        if not line.startswith("{"):
            continue
        for res in json.loads(line).get("results") or []:
            for r in res.get("resources") or []:
                k = key(r["kind"], r.get("namespace"), r["name"])
                # fail and error both refuse the object at admission.
                merge(verdicts, k, res.get("result") in ("fail", "error"), res.get("message", ""))
    return verdicts


def parse_gator(out, files):
    verdicts = {}
    for v in json.loads(out or "[]") or []:
        o = v.get("violatingObject") or {}
        m = o.get("metadata", {})
        if v.get("enforcementAction", "deny") == "deny":
            merge(verdicts, key(o.get("kind"), m.get("namespace"), m.get("name")), True, v.get("msg", ""))
    return verdicts


def parse_conftest(out, files):
    verdicts = {}
    for r in json.loads(out):
        k = files.get(os.path.basename(r["filename"]))
        if k:
            f = r.get("failures") or []
            merge(verdicts, k, bool(f), f[0].get("msg", "") if f else "")
    return verdicts


PARSERS = {"clausegate": parse_clausegate, "kyverno": parse_kyverno, "gator": parse_gator,
           "conftest": parse_conftest}


def main():
    work, n, tools = sys.argv[1], int(sys.argv[2]), sys.argv[3].split()
    versions = dict(a.split("=", 1) for a in sys.argv[4:])
    sidecar = json.load(open(os.path.join(work, "corpus", "kinds.json")))
    files = {v["file"]: k for k, v in sidecar.items()}

    rows, verdicts, notes = [], {}, {}
    for tool in ["clausegate"] + tools:
        p = lambda name: os.path.join(work, f"{name}-{tool}")
        if os.path.exists(p("status")):
            rows.append((tool, versions.get(tool, ""), "not built: " + read(p("status")).strip()))
            continue
        if not os.path.exists(p("time")):
            rows.append((tool, versions.get(tool, ""), "not run"))
            continue
        rc = int(read(p("rc")))
        try:
            wall, cpu, rss = gnu_time(p("time"))
            if os.path.exists(p("wall")):
                wall = int(read(p("wall"))) / 1e6
            got = PARSERS[tool](read(p("out")), files)
        except Exception as e:  # noqa: BLE001 - a tool's odd output is a row, not a crash
            err = read(p("err")).strip().splitlines()[-1:] or [""]
            rows.append((tool, versions.get(tool, ""), f"failed (exit {rc}): {e or err[0]}"[:120]))
            continue
        verdicts[tool] = got
        # Tools that report passes as well must name every Pod and Deployment: one left out
        # was not read, and would count as admitted.
        if tool != "gator":
            missing = [k for k in sidecar if k not in got and (tool == "clausegate" or k.split("/")[0] in ("Pod", "Deployment"))]
            if missing:
                notes.setdefault(tool, []).append(f"{len(missing)} manifests not reported, e.g. {missing[0]}")
        if rc not in (0, 1):
            notes.setdefault(tool, []).append(f"exit {rc}: " + " ".join(read(p("err")).split())[-200:])
        rows.append((tool, versions.get(tool, ""), (n / wall if wall else float("inf"), cpu, rss, wall, rc)))

    base = verdicts.get("clausegate")
    rate = {r[0]: r[2][0] for r in rows if isinstance(r[2], tuple)}
    planted = {k for k, v in sidecar.items() if any(not x.startswith("ok:") for x in v["kinds"])}
    rejected = lambda got, k: got.get(k, (False, ""))[0]
    cpu_model = next((l.split(":", 1)[1].strip() for l in read("/proc/cpuinfo").splitlines()
                      if l.startswith("model name")), "?") if os.path.exists("/proc/cpuinfo") else "?"
    print(f"\n{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} x {cpu_model}")
    print(f"{n} manifests ({len(sidecar)} written), {len(planted)} with a planted violation; "
          f"clausegate rejects {sum(v[0] for v in base.values()) if base else '?'}")
    if base is not None:
        # The generator's own expectation, as a check of the corpus rather than of a tool.
        off = collections.Counter(", ".join(v["kinds"]) or "none" for k, v in sidecar.items()
                                  if rejected(base, k) != (k in planted))
        for label, count in off.most_common():
            print(f"  clausegate differs from the planted expectation on {count}: {label}")
    print(f"{'tool':11} {'version':9} {'manifests/s':>11} {'wall s':>7} {'CPU s':>7} {'peak RSS':>10} "
          f"{'agreement':>9}  {'vs clausegate':>13}")
    causes = {}
    for tool, ver, m in rows:
        if not isinstance(m, tuple):
            print(f"{tool:11} {ver:9} {m}")
            continue
        mps, cpu, rss, wall, rc = m
        agree = "-"
        if base is not None:
            got = verdicts[tool]
            same = sum(1 for k in sidecar if rejected(got, k) == rejected(base, k))
            agree = f"{100 * same / len(sidecar):.2f}%"
            dis, example = collections.Counter(), {}
            for k, v in sidecar.items():
                b, g = rejected(base, k), rejected(got, k)
                if b != g:
                    label = ", ".join(v["kinds"]) or "no planted violation"
                    cause = ("rejects" if g else "admits", label, k.split("/")[0])
                    dis[cause] += 1
                    # The message of whichever tool rejects: what it objects to.
                    example.setdefault(cause, (k, (got if g else base)[k][1]))
            causes[tool] = (dis, example)
        ratio = f"{mps / rate['clausegate']:.3f}" if "clausegate" in rate else "-"
        print(f"{tool:11} {ver:9} {mps:11,.0f} {wall:7.2f} {cpu:7.2f} {rss:6.0f} MiB {agree:>9}  {ratio:>13}")
    for tool, lines in notes.items():
        for note in lines:
            print(f"note: {tool}: {note}")

    for tool, (dis, example) in causes.items():
        if tool == "clausegate":
            continue
        print(f"\n{tool}: {sum(dis.values())} disagreements with clausegate" + (":" if dis else ""))
        for (what, label, kind), count in dis.most_common(15):
            print(f"  {tool} {what} {count} {kind}s that clausegate {'admits' if what == 'rejects' else 'rejects'}: {label}")
            k, msg = example[(what, label, kind)]
            who = tool if what == "rejects" else "clausegate"
            print(f"      e.g. {k}, {who}: {' '.join(msg.split())[:220]}")
        if len(dis) > 15:
            print(f"  ... and {len(dis) - 15} more causes")


if __name__ == "__main__":
    main()
