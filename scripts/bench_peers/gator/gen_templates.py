#!/usr/bin/env python3
"""gator policy of the peer benchmark: one ConstraintTemplate and one Constraint per Pod
Security restricted check, as a Gatekeeper installation would hold them. Each template's
Rego calls its check in ../rego/lib/pss.rego, which it carries as a lib; the templates are
written out here rather than kept by hand so that the Rego exists once.

usage: gen_templates.py OUTDIR    (writes OUTDIR/templates.yaml and OUTDIR/constraints.yaml)
"""
import json, os, re, sys

HERE = os.path.dirname(os.path.abspath(__file__))
LIB = os.path.join(HERE, "..", "rego", "lib", "pss.rego")


def main():
    out = sys.argv[1]
    lib = open(LIB).read()
    # The checks are the entries of `failures`, in the order they are listed there.
    checks = re.findall(r'\{\["(\w+)", m\] \| some m in \w+\(obj\)\}', lib)
    templates, constraints = [], []
    for check in checks:
        camel = "".join(p.capitalize() for p in check.split("_"))
        kind = f"K8sPssRestricted{camel}"
        rego = (f"package k8spssrestricted{check.replace('_', '')}\n\n"
                "import data.lib.pss\n\n"
                f"violation contains {{\"msg\": msg}} if {{\n\tsome msg in pss.{check}(input.review.object)\n}}\n")
        templates.append({
            "apiVersion": "templates.gatekeeper.sh/v1",
            "kind": "ConstraintTemplate",
            "metadata": {"name": kind.lower()},
            "spec": {
                "crd": {"spec": {"names": {"kind": kind}}},
                "targets": [{"target": "admission.k8s.gatekeeper.sh",
                             "code": [{"engine": "Rego",
                                       "source": {"version": "v1", "rego": rego, "libs": [lib]}}]}],
            },
        })
        constraints.append({
            "apiVersion": "constraints.gatekeeper.sh/v1beta1",
            "kind": kind,
            "metadata": {"name": f"pss-restricted-{check.replace('_', '-')}"},
            "spec": {"match": {"kinds": [{"apiGroups": [""], "kinds": ["Pod"]},
                                         {"apiGroups": ["apps"], "kinds": ["Deployment"]}]}},
        })
    os.makedirs(out, exist_ok=True)
    # JSON is YAML: no YAML library is needed to write these.
    for name, docs in (("templates.yaml", templates), ("constraints.yaml", constraints)):
        with open(os.path.join(out, name), "w") as f:
            f.write("\n---\n".join(json.dumps(d, indent=2) for d in docs) + "\n")


if __name__ == "__main__":
    main()
