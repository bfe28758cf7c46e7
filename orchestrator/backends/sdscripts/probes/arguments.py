"""Runs inside the trainer's Python: dump every option of train_network.py / sdxl_train_network.py.

Usage: python arguments.py CHECKOUT SCRIPT_MODULE  → JSON list of options on stdout.
Builds the trainer's own argparse parser (its real `setup_parser()`), so the result is
exactly what the installed trainer accepts.
"""

import argparse
import importlib
import json
import sys

checkout, module_name = sys.argv[1], sys.argv[2]
sys.path.insert(0, checkout)
module = importlib.import_module(module_name)
parser = module.setup_parser()
options = []
for action in parser._actions:
    if not action.option_strings or isinstance(action, argparse._HelpAction):
        continue
    name = max(action.option_strings, key=len).lstrip("-")
    action_name = {argparse._StoreTrueAction: "store_true", argparse._StoreFalseAction: "store_false"}.get(type(action), "")
    if action_name:
        kind = "flag"
    elif action.type is None:
        kind = "str"
    else:
        kind = getattr(action.type, "__name__", str(action.type))
    options.append({
        "name": name,
        "type": kind,
        "action": action_name,
        "default": repr(action.default),
        "choices": [repr(c) for c in action.choices] if action.choices else [],
        "nargs": action.nargs if isinstance(action.nargs, str) else (None if action.nargs in (None, 0) else str(action.nargs)),
        "aliases": [s.lstrip("-") for s in action.option_strings if s.lstrip("-") != name],
    })
print(json.dumps(options))
