#!/usr/bin/env python3
"""A client that creates and deletes ConfigMaps through the API server (so through
the webhook) until STOP_FILE exists, and reports every request that failed.

    admission_loop.py KUBECONFIG NAMESPACE STOP_FILE OUT.json

Each create is admission-reviewed; a failure is any answer but 201 (create) or
200/404 (delete), or no answer. Runs inside the cluster's network namespace.
"""
import http.client
import json
import os
import ssl
import sys
import time

import yaml


def client(kubeconfig):
    cfg = yaml.safe_load(open(kubeconfig))
    cluster = cfg["clusters"][0]["cluster"]
    user = cfg["users"][0]["user"]
    ctx = ssl.create_default_context(cafile=cluster["certificate-authority"])
    ctx.load_cert_chain(user["client-certificate"], user["client-key"])
    host = cluster["server"].split("://", 1)[1]
    return lambda: http.client.HTTPSConnection(host, context=ctx, timeout=30)


def main():
    kubeconfig, namespace, stop_file, out = sys.argv[1:5]
    connect = client(kubeconfig)
    conn = connect()
    requests, failures, started = 0, [], time.monotonic()
    base = "/api/v1/namespaces/%s/configmaps" % namespace

    def call(method, path, body=None):
        nonlocal conn
        try:
            conn.request(method, path, body=json.dumps(body) if body else None,
                         headers={"Content-Type": "application/json"})
            r = conn.getresponse()
            return r.status, r.read().decode(errors="replace")
        except (OSError, http.client.HTTPException) as e:
            conn.close()
            conn = connect()
            return 0, "%s: %s" % (type(e).__name__, e)

    # Names of this run only: a delete that an earlier run saw fail leaves its object behind.
    run = "%x" % (int(time.time() * 1000) % 0xffffff)
    i, after_last = 0, 0
    while not os.path.exists(stop_file):
        i += 1
        name = "loop-%s-%d" % (run, i)
        for method, path, body, good in (
                ("POST", base, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name},
                                "data": {"n": str(i)}}, (201,)),
                ("DELETE", base + "/" + name, None, (200, 404))):
            status, text = call(method, path, body)
            requests += 1
            if status not in good:
                failures.append({"t": round(time.monotonic() - started, 2), "request": method + " " + name,
                                 "status": status, "message": text[:300]})
                after_last = 0
            else:
                after_last += 1
    window = [failures[0]["t"], failures[-1]["t"]] if failures else []
    json.dump({"requests": requests, "failed": len(failures), "seconds": round(time.monotonic() - started, 1),
               "failure_window": window, "succeeded_after_last_failure": after_last,
               "failures": failures[:5] + failures[-5:]}, open(out, "w"), indent=1)


if __name__ == "__main__":
    main()
