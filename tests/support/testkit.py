"""What the scripted tests share: checks that count and print themselves, a JSON
handler for fake API servers, and the Prometheus text of /metrics as a dict.

    sys.path.insert(0, os.path.join(ROOT, "tests", "support")); import testkit
"""
import http.server
import json
import sys
import time
import urllib.request


class Checks:
    """check(name, good, detail): "ok   name" (with a short detail) or "FAIL name: detail"."""

    def __init__(self, title):
        self.title, self.passes, self.fails = title, 0, []

    def __call__(self, name, good, detail=""):
        if good:
            self.passes += 1
            short = detail and len(str(detail)) < 160
            print("ok   " + name + (": " + str(detail) if short else ""), flush=True)
        else:
            self.fails.append(name)
            print("FAIL " + name + (": " + str(detail)[:800] if detail else ""), flush=True)
        return good

    def finish(self):
        """Prints "TITLE: N passed, M failed" (the last line, which callers quote) and exits."""
        print("%s: %d passed, %d failed" % (self.title, self.passes, len(self.fails)), flush=True)
        sys.exit(1 if self.fails else 0)


class JsonHandler(http.server.BaseHTTPRequestHandler):
    """A fake API server's handler: quiet, and send() answers JSON."""

    def log_message(self, *a):
        pass

    def send(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        try:
            self.wfile.write(data)
        except OSError:  # the client went away (a process killed mid-request)
            pass


def parse_metrics(text):
    """Prometheus text exposition -> {"name{labels}": value}."""
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            out[name] = float(value)
    return out


def scrape(port, timeout=5):
    """The /metrics of a health port on loopback; {} when it does not answer."""
    try:
        text = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=timeout).read().decode()
    except OSError:
        return {}
    return parse_metrics(text)


def wait_for(cond, seconds, every=0.1):
    """cond()'s first true value within `seconds` (checked every `every`), else its last."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        v = cond()
        if v:
            return v
        time.sleep(every)
    return cond()
