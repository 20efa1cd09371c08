"""What the differential tests (tests/psa, tests/celgo) share: running a tool, building
the Go oracle, reading JSON lines, and the command line and environment every one of
them takes (CLAUSEGATE POLICIES_DIR; <PREFIX>_SEED, <PREFIX>_COUNT, <PREFIX>_KEEP)."""

import json
import os
import random
import subprocess
import sys
import time


def log(*args):
    print(*args, flush=True)


def run(cmd, stdin=None, input_bytes=None, ok=(0,)):
    """Runs cmd (stdin a file, or input_bytes), returns (stdout bytes, stderr text, seconds)."""
    start = time.monotonic()
    p = subprocess.run(cmd, stdin=stdin, input=input_bytes, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    took = time.monotonic() - start
    if p.returncode not in ok:
        sys.stderr.write(p.stderr.decode(errors="replace")[-4000:])
        raise SystemExit("%s exited %d" % (" ".join(cmd[:3]), p.returncode))
    return p.stdout, p.stderr.decode(errors="replace"), took


def build_oracle(script):
    """Builds (once) the oracle of a build-oracle.sh; returns (its path, seconds taken)."""
    start = time.monotonic()
    subprocess.run(["bash", script], check=True)
    took = time.monotonic() - start
    path = subprocess.run(["bash", script, "--print-path"], check=True, stdout=subprocess.PIPE,
                          text=True).stdout.strip()
    return path, took


def jsonl(data):
    # Split on newlines only: str.splitlines() would also split inside strings at U+2028 etc.
    return [json.loads(line) for line in data.split(b"\n") if line.strip()]


class Setup:
    """The arguments and settings of one run; None from parse() means a usage error."""

    def __init__(self, clausegate, policies, seed, count, keep):
        self.clausegate, self.policies, self.seed, self.count, self.keep = clausegate, policies, seed, count, keep

    @staticmethod
    def parse(argv, prefix, default_seed, default_count, what):
        prog = os.path.basename(argv[0])
        if len(argv) != 3:
            sys.stderr.write("usage: %s CLAUSEGATE POLICIES_DIR\n" % prog)
            return None
        clausegate, policies = os.path.abspath(argv[1]), os.path.abspath(argv[2])
        if not os.access(clausegate, os.X_OK):
            sys.stderr.write("%s: %s is not an executable\n" % (prog, clausegate))
            return None
        seed_text = os.environ.get(prefix + "_SEED", str(default_seed))
        seed = random.SystemRandom().randrange(1, 2**32) if seed_text == "random" else int(seed_text)
        count = int(os.environ.get(prefix + "_COUNT", str(default_count)))
        log("seed %d (%s_SEED=%d reproduces this run), %d %s" % (seed, prefix, seed, count, what))
        keep = os.environ.get(prefix + "_KEEP")
        if keep:
            os.makedirs(keep, exist_ok=True)
        return Setup(clausegate, policies, seed, count, keep)
