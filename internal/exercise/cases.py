"""runblock's expected-output driver: runs a compiled (or interpreted)
program once per test case, each with the case's stdin, and reports what
it printed. The expected outputs never enter the sandbox: the server
compares. Started as `python3 -I -S -u runblock_cases.py -- <run argv>`.

The cases' stdins and a per-submission nonce arrive on stdin, read to the
end before the program first runs; the program's stdout goes to a file in
/tmp (so an endless printer fills the tmpfs cap, not the driver's memory),
its stderr is the run's own stderr.
"""

import json
import os
import subprocess
import sys
import time


def main():
    spec = json.loads(sys.stdin.buffer.read())
    mark = ("\x1eRBX-" + spec["nonce"] + ":").encode()
    cap = int(spec["cap"])
    argv = sys.argv[sys.argv.index("--") + 1:]
    write, dumps = os.write, json.dumps

    def emit(obj):
        write(1, mark + dumps(obj).encode("utf-8", "backslashreplace") + b"\n")

    cases = spec["cases"]
    emit({"event": "start", "tests": [{"name": c["name"], "suite": c["name"], "hidden": c["hidden"]} for c in cases]})
    for c in cases:
        start = time.perf_counter()
        with open("/tmp/.runblock-case-out", "w+b") as out:
            try:
                p = subprocess.run(argv, input=c["stdin"].encode("utf-8"), stdout=out, stderr=None, check=False)
                code = p.returncode
            except OSError as e:
                emit({"event": "error", "message": "the program could not start: " + str(e)})
                os._exit(0)
            out.seek(0)
            data = out.read(cap + 1)
        emit({"event": "case", "name": c["name"], "stdout": data[:cap].decode("utf-8", "replace"),
              "cut": len(data) > cap, "exit_code": code, "time_ms": round((time.perf_counter() - start) * 1000, 3)})
    emit({"event": "end"})
    sys.stdout.flush()
    os._exit(0)


main()
