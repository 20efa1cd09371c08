#!/usr/bin/env python3
"""The compliance report (`-o markdown`, `-o html`) of the policy library's fixtures:
its counts agree with the JSON report of the same run; the HTML is one self-contained
file that a real headless browser (Chromium) renders, whose summary, read back from
the rendered page, matches the JSON; exceptions in force and expired are shown. A
screenshot of the rendered report is kept as a test artefact (CLAUSEGATE_ARTIFACTS,
default: test-artifacts/ beside the binary).
"""
import html.parser
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "support"))
import testkit  # noqa: E402

binary = os.environ["CLAUSEGATE"]
root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
lib = os.path.join(root, "policies")
artifacts = os.environ.get("CLAUSEGATE_ARTIFACTS") or os.path.join(os.path.dirname(binary), "test-artifacts")
work = tempfile.mkdtemp(prefix="clausegate-compliance.")
check = testkit.Checks("compliance report")


args = ["check", "-p", lib, "-p", f"{lib}/segregation/testdata/exceptions.yaml",
        "-f", f"{lib}/segregation/testdata/pods.yaml", "-f", f"{lib}/segregation/testdata/rbac.yaml",
        "-f", f"{lib}/secure-configuration/testdata", "--now", "2026-01-01T00:00:00Z"]
out = {}
for fmt in ("json", "markdown", "html"):
    r = subprocess.run([binary, *args, "-o", fmt], capture_output=True, text=True)
    out[fmt] = r.stdout
    check(f"-o {fmt} exits 1 (objects denied)", r.returncode == 1, r.stderr)
summary = json.loads(out["json"])["summary"]
check("the fixtures give a report worth reading", summary["objects"] > 50 and summary["denied"] > 10, summary)

# Markdown: the summary table first, its counts those of the JSON report.
md = out["markdown"]
md_counts = dict(re.findall(r"(?m)^\| (Objects judged|Objects denied|Warnings|Rules waived by an exception) \| (\d+) \|", md))
check("markdown summary counts match the JSON report",
      md_counts == {"Objects judged": str(summary["objects"]), "Objects denied": str(summary["denied"]),
                    "Warnings": str(summary["warnings"]), "Rules waived by an exception": str(summary["exceptions"])},
      md_counts)
check("markdown: the summary comes before the controls and the details",
      0 < md.find("## Summary") < md.find("## Controls") < md.find("## Details"))
# The exception in force waives a rule for one Pod: its controls count it as waived.
check("markdown: a waived object is counted for the controls of the rule it waives",
      re.search(r"(?m)^\| ISO[^|]+\|[^|]+\| [a-z ,]+ \| \d+ \| [1-9]\d* \|", md))
check("markdown: the expired exception is called out", re.search(r"(?m)^- \*\*expired-dev-image\*\* \(SEC-101\): EXPIRED", md))

# HTML: self-contained (nothing fetched, no script) and rendered by a real browser.
page = out["html"]
check("html: no script and nothing loaded from elsewhere",
      "<script" not in page.lower() and not re.search(r"""(src|href)=["']?(https?:)?//""", page), "")
path = os.path.join(work, "report.html")
open(path, "w").write(page)
chromium = shutil.which("chromium") or shutil.which("chromium-browser")
check("Chromium is installed (scripts/install-deps.sh)", chromium is not None)
if chromium:
    flags = ["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
             f"--user-data-dir={work}/profile"]
    r = subprocess.run([chromium, *flags, "--dump-dom", "file://" + path], capture_output=True, text=True, timeout=120)
    dom = r.stdout
    check("Chromium renders the report", r.returncode == 0 and "<h1>Compliance report</h1>" in dom, r.stderr[-500:])

    class Reader(html.parser.HTMLParser):
        def __init__(self):
            super().__init__()
            self.summary, self.states, self.expired, self._key = {}, [], [], None

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if "data-summary" in a:
                self._key = a["data-summary"]
            if tag == "tr" and "data-state" in a:
                self.states.append(a["data-state"])
            if "data-expired" in a:
                self.expired.append(a["data-expired"])

        def handle_data(self, data):
            if self._key and data.strip():
                self.summary[self._key] = int(data.strip())
                self._key = None

    rendered = Reader()
    rendered.feed(dom)
    s = rendered.summary
    check("the rendered summary matches the JSON report",
          [s.get(k) for k in ("objects", "denied", "warnings", "exceptions")] ==
          [summary[k] for k in ("objects", "denied", "warnings", "exceptions")], s)
    counts = {}
    for state in rendered.states:
        counts[state] = counts.get(state, 0) + 1
    check("the rendered control counts match the rows of the controls table",
          all(s.get("controls-" + k, 0) == counts.get(k, 0)
              for k in ("violations", "waived", "enforced", "nothing-judged", "no-rule", "not-enforceable"))
          and sum(counts.values()) > 50, (s, counts))
    check("some controls are violated", counts.get("violations", 0) > 0, counts)
    check("the expired exception is listed as expired", rendered.expired == ["expired-dev-image"], rendered.expired)
    check("an exception in force shows its ticket and expiry",
          re.search(r"node-exporter-host-network</strong> \(SEC-204\): in force until 2027-06-30T00:00:00Z", dom))
    os.makedirs(artifacts, exist_ok=True)
    shot = os.path.join(artifacts, "compliance-report.png")
    r = subprocess.run([chromium, *flags, f"--screenshot={shot}", "--window-size=1280,1800", "file://" + path],
                       capture_output=True, text=True, timeout=120)
    png = open(shot, "rb").read() if os.path.exists(shot) else b""
    check(f"a screenshot is kept ({shot}, {len(png)} bytes)", png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20000,
          r.stderr[-300:])

shutil.rmtree(work, ignore_errors=True)
check.finish()
