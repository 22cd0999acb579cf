#!/usr/bin/env python3
"""What Ansible's INI inventory plugin (Debian's ansible-core) makes of values: for a JSON list
on stdin of {"value": TEXT} (a [group:vars] value or a host-line value after the split) and
{"line": TEXT} (a host line to split), the typed value (`InventoryModule._parse_value`) with its
Python type name, or the tokens of `shlex_split(line, comments=True)` (or the error)."""
import json
import sys

from ansible.plugins.inventory.ini import InventoryModule
from ansible.utils.shlex import shlex_split


def plain(v):
    """The value as JSON, or TypeError where JSON has no such value (complex, infinity, an int
    past 2**53, bytes inside a container) or the order is Python's hash order (a set of more than one item)."""
    if isinstance(v, (set, frozenset)) and len(v) > 1:
        raise TypeError("a set: Python's hash order")
    if isinstance(v, (tuple, list, set, frozenset)):
        return [plain(x) for x in v]
    if isinstance(v, dict):
        return {json.dumps(k) if not isinstance(k, str) else k: plain(x) for k, x in v.items()}
    if isinstance(v, bytes):  # only a top-level bytes value is decoded by the plugin
        raise TypeError("bytes inside a container")
    if isinstance(v, complex) or (isinstance(v, float) and (v != v or v in (float("inf"), float("-inf")))):
        raise TypeError("no JSON form")
    if isinstance(v, int) and not isinstance(v, bool) and abs(v) > 2**53 - 1:
        raise TypeError("no exact JSON form")
    return v


out = []
for case in json.load(sys.stdin):
    if "value" in case:
        try:
            v = InventoryModule._parse_value(case["value"])
        except Exception as e:  # not caught by the plugin: the inventory fails to parse
            out.append({"error": type(e).__name__})
            continue
        try:
            out.append({"value": plain(v), "type": type(v).__name__})
        except TypeError as e:
            out.append({"error": str(e), "type": type(v).__name__})
    else:
        try:
            out.append({"tokens": shlex_split(case["line"], comments=True)})
        except ValueError as e:
            out.append({"error": str(e)})
json.dump(out, sys.stdout)
