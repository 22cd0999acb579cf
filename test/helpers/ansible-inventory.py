#!/usr/bin/env python3
"""`ansible-inventory -i SOURCE --list` and `--graph` of Debian's ansible-core, for every source
given on stdin (a JSON list of paths): the CLI class the `ansible-inventory` command runs, each
run in a fork of one process that imported Ansible once (Ansible's CLI arguments are a
process-wide singleton), with its stdout and stderr captured. Answers a JSON list of
{"list": {"rc", "stdout", "stderr"}, "graph": {...}} in the same order."""
import json
import os
import sys
import tempfile

from ansible.cli.inventory import InventoryCLI  # noqa: F401 (imported once, before the forks)


def run(args):
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        pid = os.fork()
        if pid == 0:
            os.dup2(out.fileno(), 1)
            os.dup2(err.fileno(), 2)
            rc = 0
            try:
                rc = InventoryCLI.cli_executor(["ansible-inventory"] + args)
            except SystemExit as e:
                rc = e.code if isinstance(e.code, int) else 1
            except BaseException as e:
                os.write(2, ("ERROR! %s\n" % e).encode())
                rc = 250
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(rc or 0)
        _, status = os.waitpid(pid, 0)
        out.seek(0)
        err.seek(0)
        return {"rc": os.waitstatus_to_exitcode(status), "stdout": out.read().decode(), "stderr": err.read().decode()}


answers = []
for source in json.load(sys.stdin):
    answers.append({"list": run(["-i", source, "--list"]), "graph": run(["-i", source, "--graph"])})
json.dump(answers, sys.stdout)
