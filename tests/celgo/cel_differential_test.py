#!/usr/bin/env python3
"""Differential test of clausegate's CEL against cel-go as the Kubernetes API server
configures it for ValidatingAdmissionPolicy (tests/celgo/README.md).

    python3 tests/celgo/cel_differential_test.py CLAUSEGATE POLICIES_DIR

The oracle (tests/celgo/oracle, built by build-oracle.sh: k8s.io/apiserver v0.37.2 and
the cel-go it requires) and `clausegate cel --batch` evaluate the same JSON lines; per
expression both must give the same value (tagged, deep; NaN equals NaN here), or both an
evaluation error (the messages are compared apart), or both a compile error.

Part 0: tests/celgo/sanity.jsonl, results read from the Kubernetes and cel-go sources;
the oracle must give exactly those.
Part 1: every expression of every shipped policy over the test objects of the policy
suites (policies/*/testdata and the resources the suites name): object as plain JSON,
oldObject null, request an AdmissionRequest for a CREATE, params the policy's
spec.params, namespaceObject the object's Namespace (null when cluster-scoped), now a
fixed timestamp, variables the policy's variables evaluated before, in order, by the
same tool. Each variable is compared too.
Part 2: the hand-written corpus, tests/celgo/corpus/*.jsonl.
Part 3: generated expressions (seed CLAUSEGATE_CEL_SEED, default 20261203, or "random";
count CLAUSEGATE_CEL_COUNT, default 5000).
Part 4: `cel-oracle compile-policies POLICIES_DIR`: every shipped expression must
compile in the real VAP compiler.

A tool that crashes or hangs is run again on halves of the batch down to the line that
does it; that line's result is the crash. A list built by iterating a map may come out
in any order (CEL leaves it unspecified; cel-go follows Go's randomised map order): such
a value difference is checked by running the oracle again.

tests/celgo/known_defects.txt lists disagreements that are cel-go defects; they are
reported, not counted. Exit status 1 on any other disagreement or any expression the
VAP compiler refuses, 0 otherwise. CLAUSEGATE_CEL_KEEP=DIR keeps every input and output.
"""

import base64
import collections
import glob
import json
import math
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "oracles"))
from harness import Setup, build_oracle, jsonl, log, run  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SEED = 20261203
DEFAULT_COUNT = 5000
MAX_SHOWN = 40
MAX_GROUPS = 40
NOW = {"timestamp": {"seconds": "1796299200", "nanos": 0}}  # 2026-12-03T12:00:00Z
ORACLE_TYPES = {"request": "kubernetes.AdmissionRequest", "namespaceObject": "kubernetes.Namespace",
                "now": "google.protobuf.Timestamp"}










def dumps(v):
    return json.dumps(v, separators=(",", ":"), ensure_ascii=False, sort_keys=True)


# ---------------------------------------------------------------------------
# Running both tools on the same lines


class Tools:
    def __init__(self, oracle, clausegate, keep):
        self.oracle = oracle
        self.clausegate = clausegate
        self.keep = keep
        self.seconds = collections.Counter()

    def batch(self, name, lines, oracle_lines=None, clausegate_lines=None):
        """Evaluates lines (dicts) with both tools; returns (oracle results, clausegate
        results) in input order. oracle_lines/clausegate_lines override the input of one
        tool (variables evaluated by that tool)."""
        o_lines, c_lines = oracle_lines or lines, clausegate_lines or lines
        start = time.monotonic()
        o_rows = self.tool("oracle", [self.oracle, "eval"], o_lines)
        o_took = time.monotonic() - start
        c_rows = self.tool("clausegate", [self.clausegate, "cel", "--batch"], c_lines)
        self.seconds["oracle " + name.split("-")[0]] += o_took
        self.seconds["clausegate " + name.split("-")[0]] += time.monotonic() - start - o_took
        if self.keep:
            for suffix, rows in (("input.jsonl", o_lines), ("oracle.jsonl", o_rows), ("clausegate.jsonl", c_rows)) + \
                    ((("clausegate-input.jsonl", c_lines),) if clausegate_lines else ()):
                with open(os.path.join(self.keep, "%s.%s" % (name, suffix)), "w", encoding="utf-8") as fh:
                    fh.writelines(dumps(r) + "\n" for r in rows)
        return o_rows, c_rows

    def tool(self, who, cmd, lines, depth=0):
        """One result per line. A tool that crashes or hangs on a batch is run again on
        halves of it, down to the line that does it, whose result is then
        {"crash": "..."}: a crash is a result of its own."""
        data = "".join(dumps(l) + "\n" for l in lines).encode()
        try:
            p = subprocess.run(cmd, input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               timeout=max(60, 2 * len(lines) / 100))
            rows = jsonl(p.stdout) if p.returncode == 0 else None
            problem = "exit status %d: %s" % (p.returncode, p.stderr.decode(errors="replace").strip()[-300:])
        except subprocess.TimeoutExpired:
            rows, problem = None, "no answer within the time limit"
        except ValueError as e:
            rows, problem = None, "output is not JSON lines: %s" % e
        if rows is not None and len(rows) == len(lines):
            return rows
        if rows is not None:
            problem = "%d lines in, %d out" % (len(lines), len(rows))
        if depth == 0:
            log("%s: %s; finding the line" % (who, problem))
        if len(lines) == 1:
            return [{"id": lines[0].get("id"), "crash": "%s %s" % (who, problem)}]
        half = len(lines) // 2
        return self.tool(who, cmd, lines[:half], depth + 1) + self.tool(who, cmd, lines[half:], depth + 1)


# ---------------------------------------------------------------------------
# Comparing results


def raw_kind(r):
    for k in ("value", "error", "compile_error", "crash"):
        if k in r:
            return k
    return "no result"


def kind(r):
    # A program cel-go cannot build (a constant conversion or regex that fails, with
    # the API server's OptOptimize) is an expression the API server refuses: a
    # compile error, as clausegate reports it.
    if "error" in r and str(r["error"]).startswith("program instantiation failed"):
        return "compile_error"
    for k in ("value", "error", "compile_error", "crash"):
        if k in r:
            return k
    return "no result"


def as_float(x):
    if x == "NaN":
        return math.nan
    if x == "Infinity":
        return math.inf
    if x == "-Infinity":
        return -math.inf
    return float(x)


def b64(s):
    try:
        return base64.b64decode(s + "=" * (-len(s) % 4))
    except ValueError:
        return s


def same_tagged(a, b):
    """Deep equality of two tagged values: kinds must match exactly (1 != 1u != 1.0);
    doubles by value with NaN equal to NaN; map entries in any order."""
    if not isinstance(a, dict) or not isinstance(b, dict) or len(a) != 1 or len(b) != 1:
        return a == b
    (ta, va), = a.items()
    (tb, vb), = b.items()
    if ta != tb:
        return False
    if ta in ("int", "uint"):
        return int(va) == int(vb)
    if ta == "double":
        x, y = as_float(va), as_float(vb)
        return (math.isnan(x) and math.isnan(y)) or x == y
    if ta == "bytes_b64":
        return b64(va) == b64(vb)
    if ta in ("timestamp", "duration"):
        return int(va.get("seconds", 0)) == int(vb.get("seconds", 0)) and int(va.get("nanos", 0)) == int(vb.get("nanos", 0))
    if ta == "list":
        return len(va) == len(vb) and all(same_tagged(x, y) for x, y in zip(va, vb))
    if ta == "map":
        if len(va) != len(vb):
            return False
        used = [False] * len(vb)
        for k, v in va:
            for i, (k2, v2) in enumerate(vb):
                if not used[i] and same_tagged(k, k2):
                    if not same_tagged(v, v2):
                        return False
                    used[i] = True
                    break
            else:
                return False
        return True
    if ta == "optional":
        if va is None or vb is None:
            return va is None and vb is None
        return same_tagged(va, vb)
    return va == vb


def canonical_unordered(v):
    """A tagged value with the order of every list forgotten (a sorted canonical form)."""
    if isinstance(v, dict) and len(v) == 1:
        (t, x), = v.items()
        if t == "list":
            return dumps({"list": sorted(canonical_unordered(e) for e in x)})
        if t == "map":
            return dumps({"map": sorted([canonical_unordered(k), canonical_unordered(e)] for k, e in x)})
        if t == "optional" and x is not None:
            return dumps({"optional": canonical_unordered(x)})
        if t == "double":
            f = as_float(x)
            return dumps({"double": "NaN" if math.isnan(f) else f})
        if t in ("int", "uint"):
            return dumps({t: int(x)})
        if t == "bytes_b64":
            return dumps({t: base64.b64encode(b64(x)).decode()})
    return dumps(v)


def show_result(r, limit=300, cost=True):
    if r is None:
        return "(none)"
    k = kind(r)
    text = dumps(r[k]) if k == "value" else "%s: %s" % (k, str(r.get(k)).split("\n")[0])
    text = text if len(text) <= limit else text[:limit] + "..."
    return text + (" (cost %d)" % r["cost"] if cost and "cost" in r else "")


def short(v, limit=240):
    text = dumps(v)
    return text if len(text) <= limit else text[:limit] + "..."


class KnownDefects:
    """tests/celgo/known_defects.txt: blocks of `expression:` (exact text, or re:REGEX
    searched in the expression), optional `oracle:` and `clausegate:` (re:REGEX searched
    in that tool's result as shown), `why:` and `reproduction:`; blank lines separate
    blocks."""

    def __init__(self, path):
        self.entries = []
        if not os.path.exists(path):
            return
        block = {}
        with open(path, encoding="utf-8") as fh:
            for raw in fh.read().splitlines() + [""]:
                line = raw.strip()
                if line.startswith("#"):
                    continue
                if not line:
                    if block:
                        self.entries.append(block)
                    block = {}
                    continue
                key, _, value = line.partition(":")
                block[key.strip()] = value.strip()
        for e in self.entries:
            if "expression" not in e or "why" not in e:
                raise SystemExit("%s: every entry needs expression: and why: (%s)" % (path, e))

    @staticmethod
    def _match(pattern, text):
        if pattern.startswith("re:"):
            return re.search(pattern[3:], text) is not None
        return pattern == text

    def find(self, expr, oracle_result, clausegate_result):
        for e in self.entries:
            if self._match(e["expression"], expr) and \
                    ("oracle" not in e or self._match(e["oracle"], show_result(oracle_result, 10**6, cost=False))) and \
                    ("clausegate" not in e or self._match(e["clausegate"], show_result(clausegate_result, 10**6, cost=False))):
                return e
        return None


class Comparison:
    def __init__(self, part, known):
        self.part = part
        self.known = known
        self.per_category = collections.defaultdict(collections.Counter)
        self.disagreements = []  # (category, line, oracle, clausegate, what)
        self.known_hits = []
        self.message_diffs = []
        self.map_order = 0

    def add(self, category, line, o, c, note=""):
        """Compares one expression; returns True when the results agree."""
        okind, ckind = kind(o), kind(c)
        stats = self.per_category[category]
        stats["compared"] += 1
        if okind == ckind:
            if okind == "value" and not same_tagged(o["value"], c["value"]):
                what = "different values"
            elif okind in ("value", "error") and o.get("cost") != c.get("cost"):
                # The actual cost is part of the result: the API server stops an
                # evaluation on it, and an audit reports it.
                what = "different cost"
            elif okind in ("value", "error") and o.get("estimated_cost") != c.get("estimated_cost"):
                # Kubernetes' static estimate, which lint reports and a load limit bounds.
                what = "different estimated cost (oracle %s, clausegate %s)" % (
                    o.get("estimated_cost"), c.get("estimated_cost"))
            elif okind == "value":
                stats["agree"] += 1
                return True
            elif okind == "error":
                stats["agree"] += 1
                if o["error"] != c["error"]:
                    self.message_diffs.append((category, line, o, c))
                return True
            elif okind == "compile_error":
                stats["agree"] += 1
                return True
            else:
                what = "both %s" % okind
        elif ckind == "compile_error" and str(c["compile_error"]).startswith("bindings: "):
            what = "oracle %s, clausegate refuses the tagged bindings (%s)" % (
                okind, re.sub(r"binding '[^']*': ", "", c["compile_error"][len("bindings: "):]))
        else:
            what = "oracle %s, clausegate %s" % (okind, ckind)
        if note:
            what += "; " + note
        defect = self.known.find(line["expr"], o, c)
        if defect:
            stats["known cel-go defect"] += 1
            self.known_hits.append((defect, line))
            return False
        stats["disagree"] += 1
        self.disagreements.append((category, line, o, c, what))
        return False

    def resolve_map_order(self, tools):
        """CEL leaves the iteration order of a map unspecified, and cel-go's follows Go's
        randomised map order: a list built by iterating a map can come out in any order,
        and a macro that stops early over a map (exists, all) costs what the elements
        before the decisive one cost. A value disagreement that vanishes when the order
        of lists is ignored, or a cost disagreement, is run through the oracle again; if
        cel-go's own result changes from run to run, or becomes clausegate's,
        clausegate's order is one cel-go gives too, and the expression agrees."""
        def candidate(d):
            if d[4] == "different cost":
                return True
            return d[4].startswith("different values") and \
                canonical_unordered(d[2]["value"]) == canonical_unordered(d[3]["value"])
        candidates = [d for d in self.disagreements if candidate(d)]
        if not candidates:
            return
        lines = [dict(d[1]) for d in candidates]
        seen = [[d[2]] for d in candidates]
        for _ in range(12):
            rows = tools.tool("oracle", [tools.oracle, "eval"], [l.get("_input", l) for l in lines])
            for i, r in enumerate(rows):
                seen[i].append(r)

        def key(r):
            return (kind(r), dumps(canonical_unordered(r["value"])) if "value" in r else "", r.get("cost"))

        resolved = set()
        for i, d in enumerate(candidates):
            runs = seen[i]
            if d[4] == "different cost":
                ok = len({key(r) for r in runs}) > 1 or any(key(r) == key(d[3]) for r in runs)
            else:
                values = [r["value"] for r in runs if "value" in r]
                ok = any(not same_tagged(v, values[0]) for v in values) or any(same_tagged(v, d[3]["value"]) for v in values)
            if ok:
                resolved.add(id(d))
        if not resolved:
            return
        kept = []
        for d in self.disagreements:
            if id(d) in resolved:
                stats = self.per_category[d[0]]
                stats["disagree"] -= 1
                stats["agree"] += 1
                self.map_order += 1
            else:
                kept.append(d)
        self.disagreements = kept

    def totals(self):
        t = collections.Counter()
        for s in self.per_category.values():
            t.update(s)
        return t

    def report(self):
        t = self.totals()
        log("")
        log("== %s: %d expressions, %d agree, %d disagree, %d known cel-go defects; %d with different error messages =="
            % (self.part, t["compared"], t["agree"], t["disagree"], t["known cel-go defect"], len(self.message_diffs)))
        if self.map_order:
            log("%d agree only in another order of map iteration (unspecified in CEL; cel-go gives clausegate's order "
                "or cost too, or changes its own from run to run)" % self.map_order)
        width = max([len(c) for c in self.per_category] + [8])
        for cat in sorted(self.per_category):
            s = self.per_category[cat]
            log("  %-*s %5d compared, %5d agree, %5d disagree%s" % (width, cat, s["compared"], s["agree"], s["disagree"],
                ", %d known defects" % s["known cel-go defect"] if s["known cel-go defect"] else ""))
        if self.known_hits:
            by_defect = collections.Counter(d["why"][:110] for d, _ in self.known_hits)
            log("known cel-go defects (known_defects.txt), not counted:")
            for why, n in by_defect.most_common():
                log("  %5d  %s..." % (n, why))
        if self.disagreements:
            groups = collections.OrderedDict()
            for d in self.disagreements:
                groups.setdefault((d[0], d[4]), []).append(d)
            log("disagreements by category and kind of result (oracle first):")
            ranked = sorted(groups.items(), key=lambda kv: -len(kv[1]))
            for (cat, what), ds in ranked[:MAX_GROUPS]:
                log("  %5d  %-*s %s" % (len(ds), width, cat, what))
            if len(ranked) > MAX_GROUPS:
                log("  %5d  in %d more groups" % (sum(len(ds) for _, ds in ranked[MAX_GROUPS:]), len(ranked) - MAX_GROUPS))
            shown = []
            ordered = sorted(groups.values(), key=len, reverse=True)
            for i in range(max(len(g) for g in ordered)):
                for g in ordered:
                    if i < len(g) and len(shown) < MAX_SHOWN:
                        shown.append(g[i])
            log("the first %d disagreements (one of each group first):" % len(shown))
            for cat, line, o, c, what in shown:
                expr = " ".join(line["expr"].split())
                log("- [%s] %s: %s" % (cat, line.get("id"), expr if len(expr) < 400 else expr[:400] + "..."))
                b = {}
                b.update(line.get("bindings") or {})
                b.update(line.get("json_bindings") or {})
                if b:
                    log("    bindings:   " + short(b))
                log("    cel-go:     " + show_result(o))
                log("    clausegate: " + show_result(c))
        if self.message_diffs:
            pairs = collections.Counter((re.sub(r"\d+", "N", o["error"])[:90], re.sub(r"\d+", "N", c["error"])[:90])
                                        for _, _, o, c in self.message_diffs)
            log("error messages that differ (both are errors; not failures), most frequent:")
            for (om, cm), n in pairs.most_common(8):
                log("  %5d  cel-go %r / clausegate %r" % (n, om, cm))
        return not self.disagreements


# ---------------------------------------------------------------------------
# Part 0: the oracle against results read from the sources


def sanity(tools):
    path = os.path.join(HERE, "sanity.jsonl")
    with open(path, encoding="utf-8") as fh:
        lines = [json.loads(l) for l in fh if l.strip()]
    out, _, _ = run([tools.oracle, "eval"], input_bytes="".join(dumps(l) + "\n" for l in lines).encode())
    bad = []
    for line, r in zip(lines, jsonl(out)):
        expect = line["expect"]
        ek = raw_kind(expect)
        if raw_kind(r) != ek or (ek == "value" and not same_tagged(r["value"], expect["value"])) or \
                (ek != "value" and expect[ek] not in r[ek]):
            bad.append("  %s: %s: the oracle says %s, expected %s" % (line["id"], line["expr"], show_result(r), show_result(expect)))
        elif "cost" in line and r.get("cost") != line["cost"]:
            # cel-go's actual cost, as its runtime cost tracker and Kubernetes' cost functions count it
            bad.append("  %s: %s: the oracle's actual cost is %s, expected %s" % (line["id"], line["expr"], r.get("cost"), line["cost"]))
    log("oracle sanity: %d hand-verified expressions (tests/celgo/sanity.jsonl), %d as expected"
        % (len(lines), len(lines) - len(bad)))
    for b in bad:
        log(b)
    return not bad and bool(lines)


# ---------------------------------------------------------------------------
# Part 1: the shipped policies over the suites' objects


CLUSTER_SCOPED = {"Namespace", "Node", "ClusterRole", "ClusterRoleBinding", "PersistentVolume", "StorageClass",
                  "CustomResourceDefinition", "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration",
                  "PriorityClass", "RuntimeClass", "IngressClass", "APIService", "CSIDriver", "ClusterIssuer",
                  "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"}


def decode_file(clausegate, path):
    out, _, _ = run([clausegate, "decode", "-f", path], ok=(0, 2))
    return [d for d in jsonl(out) if isinstance(d.get("object"), dict)]


def yaml_files(root, testdata):
    out = []
    for r, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and (testdata or d != "testdata"))
        for f in sorted(files):
            if f.endswith((".yaml", ".yml")) and not f.startswith("."):
                out.append(os.path.join(r, f))
    return out


def resource_name(kind_name):
    k = kind_name.lower()
    if k == "endpoints":
        return k
    if k.endswith("y") and not k.endswith(("ay", "ey", "oy", "uy")):
        return k[:-1] + "ies"
    if k.endswith(("s", "x", "ch", "sh")):
        return k + "es"
    return k + "s"


def admission_request(obj, namespace):
    """The AdmissionRequest of a CREATE of obj, as the API server gives it to a
    ValidatingAdmissionPolicy (fields with omitempty and an empty value are absent)."""
    api = obj.get("apiVersion") or "v1"
    group, _, ver = api.rpartition("/")
    kind_name = obj.get("kind") or ""
    gvk = {"group": group, "version": ver, "kind": kind_name}
    gvr = {"group": group, "version": ver, "resource": resource_name(kind_name)}
    req = {"uid": "", "kind": gvk, "resource": gvr, "requestKind": dict(gvk), "requestResource": dict(gvr),
           "operation": "CREATE", "userInfo": {"username": "alice@example.com", "groups": ["system:authenticated"]},
           "dryRun": False, "options": {"kind": "CreateOptions", "apiVersion": "meta.k8s.io/v1"}}
    name = (obj.get("metadata") or {}).get("name")
    if name:
        req["name"] = name
    if namespace:
        req["namespace"] = namespace
    return req


def load_policies(clausegate, policies_dir):
    policies = []
    for path in yaml_files(policies_dir, testdata=False):
        if path.endswith(("-test.yaml", "-test.yml")):
            continue
        for d in decode_file(clausegate, path):
            o = d["object"]
            if o.get("kind") == "CompliancePolicy":
                policies.append((os.path.relpath(path), o))
    return policies


def load_objects(clausegate, policies_dir):
    """(label, object, request, namespaceObject, oldObject) for every test object, plus
    the namespace labels the suites give."""
    ns_labels = collections.defaultdict(dict)
    files = set(glob.glob(os.path.join(policies_dir, "*", "testdata", "*.y*ml")))
    for path in yaml_files(policies_dir, testdata=False):
        if not path.endswith(("-test.yaml", "-test.yml")):
            continue
        for d in decode_file(clausegate, path):
            spec = d["object"].get("spec") or {}
            for ns, labels in (spec.get("namespaceLabels") or {}).items():
                ns_labels[ns].update(labels or {})
            for f in (spec.get("resources") or []) + (spec.get("oldResources") or []):
                files.add(os.path.normpath(os.path.join(os.path.dirname(path), f)))
    objects = []
    namespaces = {}
    decoded = []
    for path in sorted(files):
        if not os.path.exists(path):
            continue
        for d in decode_file(clausegate, path):
            decoded.append((d["position"], d["object"]))
            o = d["object"]
            if o.get("kind") == "Namespace" and (o.get("metadata") or {}).get("name"):
                namespaces[o["metadata"]["name"]] = o
    for pos, o in decoded:
        old = None
        if o.get("kind") == "AdmissionReview" and isinstance(o.get("request"), dict):
            req = dict(o["request"])
            obj = req.pop("object", None)
            old = req.pop("oldObject", None)
            ns = req.get("namespace")
        else:
            obj = o
            meta = o.get("metadata") or {}
            ns = None if o.get("kind") in CLUSTER_SCOPED else (meta.get("namespace") or "default")
            req = admission_request(o, ns)
        ns_obj = None
        if ns:
            labels = dict(((namespaces.get(ns) or {}).get("metadata") or {}).get("labels") or {})
            labels.update(ns_labels.get(ns, {}))
            ns_obj = {"metadata": {"name": ns, "labels": labels}, "spec": {"finalizers": ["kubernetes"]},
                      "status": {"phase": "Active"}}
        objects.append((pos, obj, req, ns_obj, old))
    return objects


def policy_expressions(spec):
    """(field, expression) of the expressions that see every variable, in order."""
    out = []
    for i, m in enumerate(spec.get("matchConditions") or []):
        out.append(("spec.matchConditions[%d].expression" % i, m.get("expression") or ""))
    for i, v in enumerate(spec.get("validations") or []):
        out.append(("spec.validations[%d].expression" % i, v.get("expression") or ""))
        if (v.get("messageExpression") or "").strip():
            out.append(("spec.validations[%d].messageExpression" % i, v["messageExpression"]))
    for i, a in enumerate(spec.get("auditAnnotations") or []):
        out.append(("spec.auditAnnotations[%d].valueExpression" % i, a.get("valueExpression") or ""))
    return out


def policies_part(tools, clausegate, policies_dir, known):
    cmp = Comparison("Part 1: shipped policies over the suites' objects", known)
    policies = load_policies(clausegate, policies_dir)
    objects = load_objects(clausegate, policies_dir)
    log("policies: %d CompliancePolicies, %d test objects (%d pairs)" % (len(policies), len(objects),
                                                                       len(policies) * len(objects)))
    if not policies or not objects:
        log("no policies or no objects")
        return False, policies

    # One context per (policy, object); variables evaluated stage by stage, each tool
    # with its own earlier results.
    contexts = []
    for path, p in policies:
        spec = p.get("spec") or {}
        for pos, obj, req, ns_obj, old in objects:
            contexts.append({"policy": p["metadata"]["name"], "spec": spec, "object": pos,
                             "json": {"object": obj, "oldObject": old, "request": req,
                                      "params": spec.get("params"), "namespaceObject": ns_obj},
                             "vars": {"oracle": [], "clausegate": []}, "diverged": False})

    def line_for(ctx, ident, expr, tool):
        return {"id": ident, "expr": expr, "category": ctx["policy"], "json_bindings": ctx["json"],
                "bindings": {"now": NOW, "variables": {"map": ctx["vars"][tool]}}, "types": ORACLE_TYPES}

    max_vars = max(len(c["spec"].get("variables") or []) for c in contexts)
    for stage in range(max_vars):
        pending = [c for c in contexts if stage < len(c["spec"].get("variables") or [])]
        o_lines, c_lines, meta = [], [], []
        for c in pending:
            v = c["spec"]["variables"][stage]
            ident = "%s|%s|spec.variables[%d]" % (c["policy"], c["object"], stage)
            o_lines.append(line_for(c, ident, v.get("expression") or "", "oracle"))
            c_lines.append(line_for(c, ident, v.get("expression") or "", "clausegate"))
            meta.append((c, v.get("name")))
        o_rows, c_rows = tools.batch("policies-variables-%d" % stage, o_lines, o_lines, c_lines)
        for (c, name), ol, cl, o, r in zip(meta, o_lines, c_lines, o_rows, c_rows):
            shown = dict(ol, bindings={"variables": "(%d earlier variables)" % len(c["vars"]["oracle"])},
                         json_bindings={"object": c["object"]}, _input=ol)
            note = "an earlier variable already differs" if c["diverged"] else ""
            if not cmp.add(c["policy"], shown, o, r, note):
                c["diverged"] = True
            # A variable that fails is left out of the next ones' map: reading it is an
            # error there too, as it is in VAP.
            if "value" in o:
                c["vars"]["oracle"].append([{"string": name}, o["value"]])
            if "value" in r:
                c["vars"]["clausegate"].append([{"string": name}, r["value"]])
    o_lines, c_lines, meta = [], [], []
    for c in contexts:
        for field, expr in policy_expressions(c["spec"]):
            ident = "%s|%s|%s" % (c["policy"], c["object"], field)
            o_lines.append(line_for(c, ident, expr, "oracle"))
            c_lines.append(line_for(c, ident, expr, "clausegate"))
            meta.append(c)
    o_rows, c_rows = tools.batch("policies-expressions", o_lines, o_lines, c_lines)
    for c, ol, o, r in zip(meta, o_lines, o_rows, c_rows):
        shown = dict(ol, bindings={"variables": "(%d variables)" % len(c["vars"]["oracle"])},
                     json_bindings={"object": c["object"]}, _input=ol)
        cmp.add(c["policy"], shown, o, r, "an earlier variable already differs" if c["diverged"] else "")
    cmp.resolve_map_order(tools)
    return cmp.report(), policies


# ---------------------------------------------------------------------------
# Parts 2 and 3: the corpus and generated expressions


def corpus_part(tools, known):
    cmp = Comparison("Part 2: corpus (tests/celgo/corpus)", known)
    lines = []
    for path in sorted(glob.glob(os.path.join(HERE, "corpus", "*.jsonl"))):
        theme = os.path.splitext(os.path.basename(path))[0]
        with open(path, encoding="utf-8") as fh:
            for n, text in enumerate(fh, 1):
                if not text.strip() or text.lstrip().startswith("//"):
                    continue
                try:
                    line = json.loads(text)
                except ValueError as e:
                    raise SystemExit("%s:%d: %s" % (path, n, e))
                line.setdefault("id", "%s:%d" % (theme, n))
                line["category"] = theme
                lines.append(line)
    if not lines:
        log("no corpus")
        return False
    o_rows, c_rows = tools.batch("corpus", lines)
    for line, o, c in zip(lines, o_rows, c_rows):
        cmp.add(line["category"], line, o, c)
    cmp.resolve_map_order(tools)
    return cmp.report()


def generated_part(tools, seed, count, known):
    cmp = Comparison("Part 3: generated expressions (seed %d, %d expressions)" % (seed, count), known)
    out, _, took = run([tools.oracle, "generate", "--seed", str(seed), "--count", str(count)])
    tools.seconds["oracle generate"] += took
    lines = jsonl(out)
    o_rows, c_rows = tools.batch("generated", lines)
    for line, o, c in zip(lines, o_rows, c_rows):
        cmp.add(line.get("category", "generated"), line, o, c)
    cmp.resolve_map_order(tools)
    return cmp.report()


# ---------------------------------------------------------------------------
# Part 4: the VAP compiler on the shipped policies


def compile_part(tools, policies_dir):
    out, _, took = run([tools.oracle, "compile-policies", policies_dir], ok=(0, 1))
    tools.seconds["oracle compile-policies"] += took
    rows = jsonl(out)
    if tools.keep:
        with open(os.path.join(tools.keep, "compile-policies.jsonl"), "wb") as fh:
            fh.write(out)
    failed = [r for r in rows if not r["ok"]]
    policies = sorted({r["policy"] for r in rows})
    bad_policies = sorted({r["policy"] for r in failed})
    log("")
    log("== Part 4: the VAP compiler (k8s.io/apiserver v0.37.2, compatibility version 1.37) on %d expressions of %d "
        "policies: %d refused, in %d policies ==" % (len(rows), len(policies), len(failed), len(bad_policies)))
    by_msg = collections.OrderedDict()
    for r in failed:
        first = r["error"].split("\n")[0]
        key = re.sub(r"<input>:\d+:\d+", "<input>:L:C", first)
        by_msg.setdefault(key, []).append(r)
    for msg, rs in sorted(by_msg.items(), key=lambda kv: -len(kv[1])):
        log("  %3d  %s" % (len(rs), msg))
        for r in rs:
            detail = r["error"].split("\n")
            pos = re.search(r"<input>:(\d+:\d+)", detail[0])
            log("         %s %s %s%s" % (r["file"], r["policy"], r["field"], " at " + pos.group(1) if pos else ""))
    costs = collections.defaultdict(int)
    for r in rows:
        if r.get("cost") is not None:
            costs[r["policy"]] = max(costs[r["policy"]], r["cost"])
    over = sorted(((c, p) for p, c in costs.items() if c > 1000000), reverse=True)
    log("estimated cost (cel-go's estimator with Kubernetes' cost functions, inputs up to the 3 MiB request size), "
        "max per policy: %d policies estimated, %d above the per-call limit of 1,000,000 (informative: the API server "
        "does not refuse a ValidatingAdmissionPolicy on its estimate)" % (len(costs), len(over)))
    for c, p in sorted(((c, p) for p, c in costs.items()), reverse=True):
        log("  %-45s %d" % (p, c))
    return not failed and estimates_agree(tools, policies_dir, rows)


def estimates_agree(tools, policies_dir, rows):
    """`lint --costs` reports, per expression, the estimate the oracle computed in the
    VAP compiler's own environment (the composited one, with `variables` typed)."""
    out, _, took = run([tools.clausegate, "lint", "-p", policies_dir, "--costs"])
    tools.seconds["clausegate lint --costs"] += took
    ours = {}
    for line in out.decode().splitlines():
        m = re.search(r'cost: policy "([^"]+)" (\S+): estimated cost (unbounded|[\d,]+)', line)
        if m:
            ours[(m.group(1), m.group(2))] = 2**64 - 1 if m.group(3) == "unbounded" else int(m.group(3).replace(",", ""))
    theirs = {(r["policy"], r["field"]): r.get("cost") for r in rows if r["ok"]}
    bad = [(k, v, ours.get(k)) for k, v in sorted(theirs.items()) if ours.get(k) != v]
    log("estimated cost per expression, oracle and `clausegate lint --costs`: %d of %d agree" %
        (len(theirs) - len(bad), len(theirs)))
    for (policy, field), o, c in bad:
        log("  DISAGREE %s %s: oracle %s, clausegate %s" % (policy, field, o, c))
    return not bad


# ---------------------------------------------------------------------------
# Part 5: the environment's functions, overload by overload


def decls_part(tools):
    o, _, _ = run([tools.oracle, "decls"])
    c, _, _ = run([tools.clausegate, "cel", "--decls"])
    o_list, c_list = o.decode().splitlines(), c.decode().splitlines()
    o_lines, c_lines = set(o_list), set(c_list)
    log("")
    log("== Part 5: declarations: cel-oracle decls (%d overloads) and clausegate cel --decls (%d) ==" %
        (len(o_lines), len(c_lines)))
    for line in sorted(o_lines - c_lines):
        log("  only in Kubernetes:  " + line)
    for line in sorted(c_lines - o_lines):
        log("  only in clausegate:  " + line)
    if o_lines == c_lines and o_list != c_list:
        log("  the same overloads in another order (the order decides how type parameters are bound)")
    return o_list == c_list


def main(argv):
    setup = Setup.parse(argv, "CLAUSEGATE_CEL", DEFAULT_SEED, DEFAULT_COUNT, "generated expressions")
    if setup is None:
        return 2
    clausegate, policies, seed, count, keep = setup.clausegate, setup.policies, setup.seed, setup.count, setup.keep
    oracle, took = build_oracle(os.path.join(HERE, "build-oracle.sh"))
    log("oracle: %s (ready in %.1fs)" % (oracle, took))
    known = KnownDefects(os.path.join(HERE, "known_defects.txt"))
    log("known cel-go defects: %d (tests/celgo/known_defects.txt)" % len(known.entries))
    tools = Tools(oracle, clausegate, keep)
    ok_sanity = sanity(tools)
    if not ok_sanity:
        log("the oracle does not give the results read from the sources: fix the oracle first")
    ok_policies, _ = policies_part(tools, clausegate, policies, known)
    ok_corpus = corpus_part(tools, known)
    ok_generated = generated_part(tools, seed, count, known)
    ok_compile = compile_part(tools, policies)
    ok_decls = decls_part(tools)
    log("")
    log("time: " + ", ".join("%s %.1fs" % kv for kv in sorted(tools.seconds.items())))
    log("cel differential: sanity %s, policies %s, corpus %s, generated %s, VAP compile %s, declarations %s (seed %d)"
        % tuple(["ok" if x else "FAILED" for x in (ok_sanity, ok_policies, ok_corpus, ok_generated, ok_compile,
                                                  ok_decls)] + [seed]))
    # CLAUSEGATE_CEL_GATE names the parts whose failure fails the run (default: all of them);
    # the others are still run and reported.
    parts = {"sanity": ok_sanity, "policies": ok_policies, "corpus": ok_corpus, "generated": ok_generated,
             "compile": ok_compile, "decls": ok_decls}
    gate = [p.strip() for p in os.environ.get("CLAUSEGATE_CEL_GATE", ",".join(parts)).split(",") if p.strip()]
    unknown = [p for p in gate if p not in parts]
    if unknown:
        sys.stderr.write("cel_differential_test: CLAUSEGATE_CEL_GATE names unknown parts %s\n" % unknown)
        return 2
    if set(gate) != set(parts):
        log("gating on: %s (reported only: %s)" % (", ".join(gate), ", ".join(p for p in parts if p not in gate)))
    return 0 if all(parts[p] for p in gate) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
