#!/usr/bin/env python3
"""What Ansible itself (Debian's ansible-core) selects: for an inventory file and a list of
patterns on stdin (JSON), the hosts of `ansible all --limit P --list-hosts` ("limit") and of
`ansible P --list-hosts` ("pattern"), each as a list of names or null where Ansible finds none.
One process for all patterns: the same InventoryManager the ansible CLI uses."""
import json
import sys

from ansible.inventory.manager import InventoryManager
from ansible.parsing.dataloader import DataLoader
from ansible.utils.display import Display

Display().verbosity = 0


def names(hosts):
    return [h.name for h in hosts] or None


def main():
    patterns = json.load(sys.stdin)
    out = {}
    for p in patterns:
        inv = InventoryManager(loader=DataLoader(), sources=[sys.argv[1]])
        entry = {}
        try:
            inv.subset(p)
            entry["limit"] = names(inv.get_hosts("all"))
        except Exception as e:  # AnsibleError for a bad subscript or pattern
            entry["limit"] = None
            entry["error"] = str(e)
        inv = InventoryManager(loader=DataLoader(), sources=[sys.argv[1]])
        try:
            entry["pattern"] = names(inv.get_hosts(p))
        except Exception as e:
            entry["pattern"] = None
        out[p] = entry
    json.dump(out, sys.stdout)


main()
