"""`save_state` / `resume` folders: network, optimiser, scheduler, RNG states, train_state.json.

Folder names as sd-scripts (`<name>-%06d-state`, `<name>-state`), file names as
accelerate writes them, `train_state.json` = {"current_epoch", "current_step"}.
Restoring the optimiser, scheduler and every RNG makes a resumed run continue
exactly where the interrupted one stopped.
"""

from __future__ import annotations

import json
import logging
import pickle
import random
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import load_file, save_file

log = logging.getLogger("orchestrator.builtin")


def epoch_state_dir(args: dict[str, Any], epoch: int) -> Path:
    return Path(args["output_dir"]) / f"{args.get('output_name') or 'epoch'}-{epoch:06d}-state"


def last_state_dir(args: dict[str, Any]) -> Path:
    return Path(args["output_dir"]) / f"{args.get('output_name') or 'last'}-state"


def save_state(folder: Path, network, optimizer, scheduler, epoch: int, step: int) -> None:
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    save_file({k: v.contiguous() for k, v in network.state_dict().items()}, str(tmp / "model.safetensors"))
    torch.save(optimizer.state_dict(), tmp / "optimizer.bin")
    torch.save(scheduler.state_dict(), tmp / "scheduler.bin")
    rng = {"random_state": random.getstate(), "numpy_random_seed": np.random.get_state(),
           "torch_manual_seed": torch.get_rng_state()}
    with (tmp / "random_states_0.pkl").open("wb") as fh:
        pickle.dump(rng, fh)
    log.info(f"save train state to {folder / 'train_state.json'} at epoch {epoch} step {step}")
    (tmp / "train_state.json").write_text(json.dumps({"current_epoch": epoch, "current_step": step}))
    shutil.rmtree(folder, ignore_errors=True)
    tmp.rename(folder)


def load_state(folder: Path, network, optimizer, scheduler) -> dict[str, int]:
    log.info(f"resume training from local state: {folder}")
    network.load_state_dict(load_file(str(folder / "model.safetensors")))
    optimizer.load_state_dict(torch.load(folder / "optimizer.bin", weights_only=False))
    scheduler.load_state_dict(torch.load(folder / "scheduler.bin", weights_only=False))
    with (folder / "random_states_0.pkl").open("rb") as fh:
        rng = pickle.load(fh)  # noqa: S301 - our own state folder
    random.setstate(rng["random_state"])
    np.random.set_state(rng["numpy_random_seed"])
    torch.set_rng_state(rng["torch_manual_seed"])
    data = json.loads((folder / "train_state.json").read_text())
    log.info(f"load train state from {folder / 'train_state.json'}: {data}")
    return data
