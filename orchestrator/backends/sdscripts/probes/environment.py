"""Runs inside the trainer's Python (not orchestrator's): report its environment as JSON.

Executed by path with the trainer's interpreter; imports only what it reports on and
never fails on a missing package.
"""

import importlib
import json
import os
import platform
import sys


def version(name):
    try:
        from importlib.metadata import version as dist_version

        return dist_version(name)
    except Exception:
        return None


def importable(name):
    try:
        importlib.import_module(name)
        return True, None
    except Exception as exc:  # ImportError, or a broken binary extension
        return False, f"{type(exc).__name__}: {exc}"


# The trainer's scripts run from the checkout, so its `library` package imports from there.
sys.path.insert(0, os.getcwd())
report = {"python": platform.python_version(), "executable": sys.executable, "packages": {}, "imports": {}}
for dist in ("torch", "torchvision", "accelerate", "transformers", "diffusers", "xformers", "bitsandbytes",
             "safetensors", "voluptuous", "toml", "lycoris-lora", "prodigyopt"):
    report["packages"][dist] = version(dist)
for module in ("torch", "torchvision", "accelerate", "library.train_util"):
    ok, error = importable(module)
    report["imports"][module] = {"ok": ok, "error": error}
gpus = []
try:
    import torch

    report["cuda"] = torch.version.cuda
    report["cuda_available"] = bool(torch.cuda.is_available())
    if torch.cuda.is_available():
        for i in range(torch.cuda.device_count()):
            props = torch.cuda.get_device_properties(i)
            gpus.append({"index": i, "name": props.name, "memory_gb": round(props.total_memory / 2**30, 1)})
except Exception as exc:
    report["cuda_available"] = False
    report["torch_error"] = str(exc)
report["gpus"] = gpus
config_dir = os.environ.get("HF_HOME", os.path.join(os.path.expanduser("~"), ".cache", "huggingface"))
config_path = os.path.join(config_dir, "accelerate", "default_config.yaml")
report["accelerate_config"] = {"path": config_path, "exists": os.path.exists(config_path), "values": {}}
if os.path.exists(config_path):
    try:
        import yaml

        with open(config_path, encoding="utf-8") as handle:
            report["accelerate_config"]["values"] = yaml.safe_load(handle) or {}
    except Exception as exc:
        report["accelerate_config"]["error"] = str(exc)
print(json.dumps(report))
