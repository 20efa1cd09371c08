#!/usr/bin/env python3
"""Differential test of clausegate's Pod Security policies and YAML decoding against
Kubernetes' own code (tests/psa/README.md).

    python3 tests/psa/psa_differential_test.py CLAUSEGATE POLICIES_DIR

Part 1: the oracle (tests/psa/oracle, built by build-oracle.sh) generates a stream of
objects (seed CLAUSEGATE_PSA_SEED, default 20261203, or "random"; count
CLAUSEGATE_PSA_COUNT, default 4000) and judges them with k8s.io/pod-security-admission
at the baseline and restricted levels of policy version latest; clausegate checks the
same stream with its pod-security-baseline and pod-security-restricted policies. Every
object must get the same verdict (allowed = no DENY verdict). The sets of failing checks
are compared too and reported apart (CLAUSEGATE_PSA_STRICT_CHECKS=1 makes them fail).

Part 2: every tests/psa/yaml/*.yaml is decoded by the oracle (sigs.k8s.io/yaml, as
kubectl) and by `clausegate decode`; the JSON of each document must be the same.

Exit status 1 on any verdict disagreement or decoding difference, 0 otherwise.
CLAUSEGATE_PSA_KEEP=DIR keeps the stream and every output in DIR.
"""

import collections
import glob
import json
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "oracles"))
from harness import Setup, build_oracle, jsonl, log, run  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
LEVELS = ("baseline", "restricted")
DEFAULT_SEED = 20261203
DEFAULT_COUNT = 4000
MAX_SHOWN = 30










# ---------------------------------------------------------------------------
# The policy files: which upstream check each Pod Security policy implements


def policy_checks(policies_dir):
    """Maps policy name -> (check id, set of level labels) for every CompliancePolicy
    that carries the clausegate.io/pod-security-check annotation."""
    out = {}
    for root, dirs, files in os.walk(policies_dir):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "testdata")
        for f in sorted(files):
            if f.startswith(".") or not f.endswith((".yaml", ".yml")):
                continue
            with open(os.path.join(root, f), encoding="utf-8") as fh:
                text = fh.read()
            for doc in re.split(r"(?m)^---[ \t]*(?:#.*)?$", text):
                if not re.search(r"(?m)^kind:\s*CompliancePolicy\s*$", doc):
                    continue
                name = re.search(r"(?m)^metadata:\s*\n(?:[ \t]+.*\n)*?[ \t]+name:\s*[\"']?([^\"'\s#]+)", doc)
                check = re.search(r"(?m)^[ \t]+clausegate\.io/pod-security-check:\s*[\"']?([^\"'\s#]+)", doc)
                if not name or not check:
                    continue
                levels = {lv for lv in LEVELS
                          if re.search(r"(?m)^[ \t]+clausegate\.io/pod-security-%s:\s*[\"']?true[\"']?\s*$" % lv, doc)}
                out[name.group(1)] = (check.group(1), levels)
    return out


# ---------------------------------------------------------------------------
# Part 0: the oracle judges the hand-written objects as the upstream source says


def sanity(oracle):
    path = os.path.join(HERE, "sanity.yaml")
    with open(path, "rb") as fh:
        out, _, _ = run([oracle, "evaluate"], stdin=fh)
    bad = []
    rows = jsonl(out)
    for r in rows:
        ann = ((r.get("json") or {}).get("metadata") or {}).get("annotations") or {}
        expect = ann.get("clausegate.io/psa-expect")
        if r.get("error"):
            got = "error"
        elif r.get("skipped"):
            got = "skipped"
        else:
            got = "baseline: %s; restricted: %s" % (", ".join(r["baseline"]["checks"]),
                                                     ", ".join(r["restricted"]["checks"]))
        if got != expect:
            bad.append("  %s: the oracle says %r, the upstream source %r" % (r.get("name"), got, expect))
    log("oracle sanity: %d hand-written objects (tests/psa/sanity.yaml), %d as expected"
        % (len(rows), len(rows) - len(bad)))
    for b in bad:
        log(b)
    return not bad and len(rows) > 0


# ---------------------------------------------------------------------------
# Part 1: verdicts


def clausegate_check(clausegate, policies, stream, level, keep):
    cmd = [clausegate, "check", "-p", policies, "-l", "clausegate.io/pod-security-%s=true" % level,
           "-f", stream, "-o", "json"]
    out, err, took = run(cmd, ok=(0, 1, 2))
    if keep:
        with open(os.path.join(keep, "clausegate-%s.json" % level), "wb") as fh:
            fh.write(out)
    try:
        report = json.loads(out)
    except ValueError:
        sys.stderr.write(err)
        raise SystemExit("clausegate check -o json printed no JSON (%s)" % " ".join(cmd))
    return report, took


def index_clausegate(report, names_checks):
    """name -> {"allowed", "checks", "denials"} from one clausegate report."""
    by_name = {}
    duplicates = set()
    for r in report.get("results", []):
        name = (r.get("object") or {}).get("name", "")
        denials = [v for v in r.get("verdicts", []) if v.get("verdict") == "DENY"]
        checks = set()
        for v in denials:
            checks.add(names_checks.get(v.get("policy"), ("policy:" + str(v.get("policy")), None))[0])
        entry = {"allowed": not denials, "checks": checks, "denials": denials,
                 "kind": (r.get("object") or {}).get("kind")}
        if name in by_name:
            duplicates.add(name)
        by_name[name] = entry
    return by_name, duplicates


def pct(part, whole):
    return "%.2f%%" % (100.0 * part / whole) if whole else "n/a"


def differential(oracle, clausegate, policies, seed, count, workdir, keep):
    ok = True
    stream = os.path.join(workdir, "objects.yaml")
    gen_out, _, gen_took = run([oracle, "generate", "--seed", str(seed), "--count", str(count)])
    with open(os.path.join(HERE, "sanity.yaml"), "rb") as fh:
        sanity_text = fh.read()
    with open(stream, "wb") as fh:
        fh.write(gen_out)
        fh.write(b"---\n")
        fh.write(sanity_text)
    with open(stream, "rb") as fh:
        eval_out, _, eval_took = run([oracle, "evaluate"], stdin=fh)
    if keep:
        with open(os.path.join(keep, "oracle.jsonl"), "wb") as fh:
            fh.write(eval_out)
    oracle_rows = jsonl(eval_out)
    log("oracle: generated %d objects in %.1fs (+ %s), judged %d documents in %.1fs"
        % (count, gen_took, "tests/psa/sanity.yaml", len(oracle_rows), eval_took))

    names_checks = policy_checks(policies)
    if not names_checks:
        log("no policy under %s carries clausegate.io/pod-security-check" % policies)
        return False
    # The policies each label selects must implement exactly the checks of that level.
    upstream_levels = json.loads(run([oracle, "checks"])[0])
    for lv in LEVELS:
        selected = {check for check, levels in names_checks.values() if lv in levels}
        if selected != set(upstream_levels[lv]):
            ok = False
            log("the policies labelled clausegate.io/pod-security-%s=true implement [%s]; upstream's %s level runs [%s]"
                % (lv, ", ".join(sorted(selected)), lv, ", ".join(sorted(upstream_levels[lv]))))
    cg = {}
    for level in LEVELS:
        report, took = clausegate_check(clausegate, policies, stream, level, keep)
        cg[level], dups = index_clausegate(report, names_checks)
        problems = report.get("problems", [])
        log("clausegate check (%s): %d results, %d input problems, %.1fs"
            % (level, len(report.get("results", [])), len(problems), took))
        for p in problems[:10]:
            log("  %s: %s:%s:%s: %s" % (p.get("severity", "problem"), p.get("file"), p.get("line"), p.get("column"),
                                      p.get("message")))
        if len(problems) > 10:
            log("  ... %d more problems" % (len(problems) - 10))
        if dups:
            log("  %d names appear more than once in clausegate's results: %s" % (len(dups), sorted(dups)[:5]))

    kinds = collections.Counter()
    counts = collections.Counter()
    verdict_diffs = []  # (group key, detail)
    check_diffs = collections.defaultdict(list)
    oracle_errors = []
    compared = collections.Counter()
    agreed = collections.Counter()
    seen = set()
    for r in oracle_rows:
        name = r.get("name") or ""
        kinds[r.get("kind") or "(none)"] += 1
        if r.get("error"):
            judged = [lv for lv in LEVELS if name and name in cg[lv]]
            oracle_errors.append((name, r["error"], judged))
            continue
        if name in seen:
            log("oracle: name %r appears twice in the stream; its verdicts are not compared" % name)
            continue
        seen.add(name)
        if r.get("skipped"):
            counts["skipped"] += 1
            for lv in LEVELS:
                c = cg[lv].get(name)
                compared[lv] += 1
                if c and not c["allowed"]:
                    verdict_diffs.append(((lv, "no pod spec upstream, denied by clausegate", (), tuple(sorted(c["checks"]))),
                                          (r, lv, c)))
                else:
                    agreed[lv] += 1
            continue
        for lv in LEVELS:
            o = r[lv]
            c = cg[lv].get(name)
            compared[lv] += 1
            counts["oracle %s %s" % (lv, "allowed" if o["allowed"] else "denied")] += 1
            if c is None:
                verdict_diffs.append(((lv, "judged upstream, not judged by clausegate", (), ()), (r, lv, None)))
                continue
            counts["clausegate %s %s" % (lv, "allowed" if c["allowed"] else "denied")] += 1
            ochecks, cchecks = set(o["checks"]), c["checks"]
            missing, extra = tuple(sorted(ochecks - cchecks)), tuple(sorted(cchecks - ochecks))
            if o["allowed"] != c["allowed"]:
                what = "denied upstream, allowed by clausegate" if c["allowed"] else "allowed upstream, denied by clausegate"
                verdict_diffs.append(((lv, what, missing, extra), (r, lv, c)))
            else:
                agreed[lv] += 1
                if missing or extra:
                    check_diffs[(lv, missing, extra)].append(name)

    log("")
    log("== Pod Security verdicts: seed %s, %d generated objects + the sanity objects ==" % (seed, count))
    log("objects per kind: " + ", ".join("%s %d" % kv for kv in sorted(kinds.items())))
    log("not readable upstream (excluded): %d; no pod spec upstream: %d" % (len(oracle_errors), counts["skipped"]))
    for lv in LEVELS:
        log("%-10s oracle: %d allowed, %d denied; clausegate: %d allowed, %d denied; agreement %d/%d (%s)"
            % (lv, counts["oracle %s allowed" % lv], counts["oracle %s denied" % lv],
               counts["clausegate %s allowed" % lv], counts["clausegate %s denied" % lv],
               agreed[lv], compared[lv], pct(agreed[lv], compared[lv])))
    if oracle_errors:
        judged = sum(1 for e in oracle_errors if e[2])
        reasons = collections.Counter(re.sub(r"\d+", "N", re.sub(r"Go struct field \S+", "Go struct field F", e[1]))[:100]
                                      for e in oracle_errors)
        verdicts = ", ".join("%s %d allowed, %d denied" % (
            lv, sum(1 for e in oracle_errors if e[0] and e[0] in cg[lv] and cg[lv][e[0]]["allowed"]),
            sum(1 for e in oracle_errors if e[0] and e[0] in cg[lv] and not cg[lv][e[0]]["allowed"])) for lv in LEVELS)
        log("objects the API server would refuse to decode: %d; clausegate judged %d of them anyway (%s)"
            % (len(oracle_errors), judged, verdicts))
        for reason, n in reasons.most_common(8):
            log("  %4d  %s" % (n, reason))

    if verdict_diffs:
        ok = False
        groups = collections.OrderedDict()
        for key, detail in verdict_diffs:
            groups.setdefault(key, []).append(detail)
        log("")
        log("VERDICT DISAGREEMENTS: %d (object, level) pairs in %d groups" % (len(verdict_diffs), len(groups)))
        for (lv, what, missing, extra), details in sorted(groups.items(), key=lambda kv: -len(kv[1])):
            log("  %5d  %-10s %s; upstream-only checks [%s], clausegate-only [%s]; e.g. %s"
                % (len(details), lv, what, ", ".join(missing), ", ".join(extra),
                   ", ".join(d[0].get("name", "?") for d in details[:3])))
        # One example of each group first, then more of the largest groups.
        shown = []
        ordered = sorted(groups.values(), key=len, reverse=True)
        for i in range(max(len(d) for d in ordered)):
            for details in ordered:
                if i < len(details) and len(shown) < MAX_SHOWN:
                    shown.append(details[i])
        log("")
        log("the first %d disagreements:" % len(shown))
        for r, lv, c in shown:
            show_disagreement(r, lv, c)
    else:
        log("no verdict disagreements")

    if check_diffs:
        log("")
        log("CHECK-SET DIFFERENCES (same verdict, different failing checks): %d (object, level) pairs"
            % sum(len(v) for v in check_diffs.values()))
        for (lv, missing, extra), names in sorted(check_diffs.items(), key=lambda kv: -len(kv[1])):
            log("  %5d  %-10s upstream-only [%s], clausegate-only [%s]; e.g. %s"
                % (len(names), lv, ", ".join(missing), ", ".join(extra), ", ".join(names[:3])))
        if os.environ.get("CLAUSEGATE_PSA_STRICT_CHECKS") == "1":
            ok = False
    return ok


def show_disagreement(r, lv, c):
    o = r.get(lv)
    log("- %s (%s), %s:" % (r.get("name"), r.get("kind"), lv))
    if o is None:
        log("    upstream: no pod spec to judge (allowed)")
    else:
        log("    upstream: %s%s" % ("allowed" if o["allowed"] else "denied", "" if o["allowed"] else
                                   " by [%s]" % ", ".join(o["checks"])))
        for reason in o["reasons"]:
            log("      " + reason)
    if c is None:
        log("    clausegate: no result for this object")
    else:
        log("    clausegate: %s" % ("allowed" if c["allowed"] else "denied by [%s]" % ", ".join(sorted(c["checks"]))))
        for v in c["denials"]:
            log("      %s/%s: %s" % (v.get("policy"), v.get("rule"), v.get("message")))
    log("    object: " + json.dumps(r.get("json"), separators=(",", ":"), sort_keys=True))


# ---------------------------------------------------------------------------
# Part 2: YAML decoding


def is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def same_json(a, b):
    """Deep equality of JSON values; numbers by value (1 == 1.0), but a number never
    equals a string or a boolean. When a float is involved the comparison is in double
    precision, so 1e+21 and 1000000000000000000000 agree, as do the two ways of writing
    the float that -9223372036854775809 becomes."""
    if is_number(a) and is_number(b):
        if isinstance(a, int) and isinstance(b, int):
            return a == b
        try:
            return float(a) == float(b)
        except OverflowError:
            return False
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same_json(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same_json(x, y) for x, y in zip(a, b))
    return a == b


def first_difference(a, b, path="$"):
    if same_json(a, b):
        return None
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in b:
                return "%s.%s: only in the oracle" % (path, k)
            if k not in a:
                return "%s.%s: only in clausegate" % (path, k)
            d = first_difference(a[k], b[k], "%s.%s" % (path, k))
            if d:
                return d
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            d = first_difference(x, y, "%s[%d]" % (path, i))
            if d:
                return d
    return "%s: oracle %s, clausegate %s" % (path, json.dumps(a), json.dumps(b))


def decode_available(clausegate, workdir):
    empty = os.path.join(workdir, "empty.yaml")
    open(empty, "w").close()
    p = subprocess.run([clausegate, "decode", "-f", empty], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return p.returncode == 0


def yaml_corpus(oracle, clausegate, workdir):
    log("")
    log("== YAML decoding: tests/psa/yaml/*.yaml, sigs.k8s.io/yaml against clausegate decode ==")
    files = sorted(glob.glob(os.path.join(HERE, "yaml", "*.yaml")))
    if not files:
        log("no corpus files")
        return False
    if not decode_available(clausegate, workdir):
        log("clausegate decode not available")
        return False
    total = same = 0
    diffs = []
    for path in files:
        rel = os.path.relpath(path, os.path.dirname(os.path.dirname(HERE)))
        with open(path, "rb") as fh:
            oracle_out, _, _ = run([oracle, "yaml2json"], stdin=fh)
        o_docs = jsonl(oracle_out)
        cg_out, _, _ = run([clausegate, "decode", "-f", path], ok=(0, 2))
        c_docs = [d for d in jsonl(cg_out) if "error" in d or d.get("object") is not None]
        # A stream error (a broken separator) ends the oracle's stream: the documents
        # before it must agree, and clausegate must report an error somewhere after them.
        stream_error = None
        if o_docs and str(o_docs[-1].get("error", "")).startswith("reading the stream"):
            stream_error = o_docs.pop()
        file_same = 0
        for i, o in enumerate(o_docs):
            total += 1
            c = c_docs[i] if i < len(c_docs) else None
            where = c.get("position") if c else "%s document %d" % (rel, i + 1)
            if c is None:
                diffs.append((where, "missing in clausegate's output", o, c))
            elif "error" in o and "error" in c:
                file_same += 1
            elif "error" in o:
                diffs.append((where, "the oracle cannot decode it (%s), clausegate can" % o["error"], o, c))
            elif "error" in c:
                diffs.append((where, "clausegate cannot decode it (%s), the oracle can" % c["error"], o, c))
            else:
                d = first_difference(o["json"], c["object"])
                if d:
                    diffs.append((where, d, o, c))
                else:
                    file_same += 1
        rest = c_docs[len(o_docs):]
        if stream_error is not None:
            total += 1
            if any("error" in c for c in rest):
                file_same += 1
            else:
                diffs.append(("%s" % rel, "the oracle's stream fails (%s); clausegate reports no error" % stream_error["error"],
                              stream_error, None))
        elif rest:
            for c in rest:
                diffs.append((c.get("position"), "only in clausegate's output", None, c))
        same += file_same
        log("  %-45s %3d documents, %3d the same" % (rel, len(o_docs) + (stream_error is not None), file_same))
    log("documents: %d, the same: %d, different: %d" % (total, same, len(diffs)))
    for where, what, o, c in diffs:
        log("- %s: %s" % (where, what))
        if o is not None:
            log("    oracle:     " + json.dumps(o.get("json", {"error": o.get("error")}), separators=(",", ":"), sort_keys=True))
        if c is not None:
            log("    clausegate: " + json.dumps(c.get("object", {"error": c.get("error")}), separators=(",", ":"), sort_keys=True))
    return not diffs


def main(argv):
    setup = Setup.parse(argv, "CLAUSEGATE_PSA", DEFAULT_SEED, DEFAULT_COUNT, "objects")
    if setup is None:
        return 2
    clausegate, policies, seed, count, keep = setup.clausegate, setup.policies, setup.seed, setup.count, setup.keep
    oracle, took = build_oracle(os.path.join(HERE, "build-oracle.sh"))
    log("oracle: %s (ready in %.1fs)" % (oracle, took))
    with tempfile.TemporaryDirectory(prefix="clausegate-psa-") as tmp:
        workdir = keep or tmp
        ok_sanity = sanity(oracle)
        if not ok_sanity:
            log("the oracle does not judge the hand-written objects as upstream's source says: fix the oracle first")
        ok_verdicts = differential(oracle, clausegate, policies, seed, count, workdir, keep)
        ok_yaml = yaml_corpus(oracle, clausegate, workdir)
    log("")
    log("psa differential: sanity %s, verdicts %s, yaml %s (seed %d)"
        % ("ok" if ok_sanity else "FAILED", "ok" if ok_verdicts else "FAILED", "ok" if ok_yaml else "FAILED", seed))
    return 0 if ok_sanity and ok_verdicts and ok_yaml else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
