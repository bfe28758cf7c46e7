"""The training run: data, tiny model, LoRA, optimiser, the step loop, saves and samples.

Mirrors train_network.py's order of events (facts §5-§7): dataset summary, model load,
network creation, optimiser, "running training" block, `epoch i/E`, one optimiser step
per `gradient_accumulation_steps` batches and at each epoch end, epoch saves (never
the last epoch under its epoch name), samples, final save, "model saved.". Step
counts come from `plan_steps` and are checked against the real batches.
"""

from __future__ import annotations

import ast
import logging
import math
import os
import random
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import save_file
from tqdm import tqdm

from orchestrator.backends.builtin import console, sampling, state
from orchestrator.backends.builtin.batch import load_image, make_batch
from orchestrator.backends.builtin.data import LoadedDataset, epoch_batches, load_dataset
from orchestrator.backends.builtin.dataset_config import DatasetConfig
from orchestrator.backends.builtin.metadata import MINIMUM_KEYS, modelspec, safetensors_hashes, training_metadata
from orchestrator.backends.builtin.models import Models
from orchestrator.backends.builtin.network import LoRANetwork, NetworkSpec
from orchestrator.backends.builtin.scalars import ScalarLog
from orchestrator.compile.steps import Schedule, StepPlan, plan_steps

log = logging.getLogger(console.LOGGER_NAME)


def configure_torch() -> None:
    """Fixed threads and deterministic kernels: same seed, same machine → same tensors."""
    torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))
    torch.use_deterministic_algorithms(True)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


class LossRecorder:
    """avr_loss as sd-scripts shows it: mean of the last epoch's worth of batch losses."""

    def __init__(self) -> None:
        self.losses: list[float] = []
        self.total = 0.0

    def add(self, epoch: int, step: int, loss: float) -> None:
        if epoch == 0:
            self.losses.append(loss)
        else:
            while len(self.losses) <= step:
                self.losses.append(0.0)
            self.total -= self.losses[step]
            self.losses[step] = loss
        self.total += loss

    @property
    def average(self) -> float:
        return self.total / len(self.losses) if self.losses else 0.0


def _kv(items: list[str] | None, literal: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items or []:
        key, value = item.split("=", 1)
        out[key] = ast.literal_eval(value) if literal else value
    return out


def build_optimizer(args: dict[str, Any], groups: list[dict]) -> tuple[torch.optim.Optimizer, str]:
    kwargs = _kv(args.get("optimizer_args"), literal=True)
    kind = (args.get("optimizer_type") or "AdamW").lower()
    lr = args["learning_rate"]
    if kind == "sgdnesterov":
        kwargs.setdefault("momentum", 0.9)
        log.info(f"use SGD with Nesterov optimizer | {kwargs}")
        optimizer: torch.optim.Optimizer = torch.optim.SGD(groups, lr=lr, nesterov=True, **kwargs)
    else:
        log.info(f"use AdamW optimizer | {kwargs}")
        optimizer = torch.optim.AdamW(groups, lr=lr, **kwargs)
    cls = type(optimizer)
    described = ",".join(f"{k}={v}" for k, v in kwargs.items())
    return optimizer, f"{cls.__module__}.{cls.__name__}" + (f"({described})" if described else "")


def build_scheduler(args: dict[str, Any], optimizer: torch.optim.Optimizer, total_steps: int):
    from diffusers.optimization import get_scheduler

    warmup = args.get("lr_warmup_steps") or 0
    warmup = int(warmup * total_steps) if isinstance(warmup, float) else warmup
    name = args.get("lr_scheduler") or "constant"
    kwargs: dict[str, Any] = {"num_warmup_steps": warmup if name != "constant" else None,
                              "num_training_steps": total_steps}
    if name == "cosine_with_restarts":
        kwargs["num_cycles"] = args.get("lr_scheduler_num_cycles") or 1
    if name == "polynomial":
        kwargs["power"] = args.get("lr_scheduler_power") or 1.0
    return get_scheduler(name, optimizer, **kwargs)


def make_plan(datasets: list[LoadedDataset], args: dict[str, Any]) -> StepPlan:
    schedule = Schedule(args.get("max_train_epochs"), args.get("max_train_steps"),
                        args.get("gradient_accumulation_steps") or 1)
    return plan_steps([d.spec() for d in datasets], schedule)


class Trainer:
    def __init__(self, args: dict[str, Any], configs: list[DatasetConfig]):
        self.args = args
        self.configs = configs
        self.ext = "." + (args.get("save_model_as") or "safetensors")
        self.name = args.get("output_name")
        self.output_dir = Path(args["output_dir"])
        self.step_times: list[float] = []  # perf_counter at each optimiser step (benchmarks read it)

    # --- saving -------------------------------------------------------------------
    def save_model(self, file_name: str, steps: int, epoch: int) -> None:
        self.output_dir.mkdir(parents=True, exist_ok=True)
        target = self.output_dir / file_name
        console.out(f"\nsaving checkpoint: {target}")
        self.metadata["ss_training_finished_at"] = str(time.time())
        self.metadata["ss_steps"] = str(steps)
        self.metadata["ss_epoch"] = str(epoch)
        meta = {k: v for k, v in self.metadata.items() if k in MINIMUM_KEYS} if self.args.get("no_metadata") \
            else dict(self.metadata)
        meta.update(modelspec(self.args, self.configs[0].resolution))
        dtype = {"fp16": torch.float16, "bf16": torch.bfloat16, "float": torch.float32}.get(
            self.args.get("save_precision") or "")
        tensors = self.network.weights(dtype)
        tmp = target.with_name(target.name + ".tmp")
        if self.ext == ".safetensors":
            meta["sshs_model_hash"], meta["sshs_legacy_hash"] = safetensors_hashes(tensors, meta)
            save_file(tensors, str(tmp), meta)
        else:
            torch.save(tensors, tmp)
        os.replace(tmp, target)

    def remove_model(self, file_name: str) -> None:
        old = self.output_dir / file_name
        if old.exists():
            console.out(f"removing old checkpoint: {old}")
            old.unlink()

    def epoch_file(self, epoch: int) -> str:
        return f"{self.name or 'epoch'}-{epoch:06d}{self.ext}"

    # --- one batch --------------------------------------------------------------------
    def latents_for(self, batch: dict) -> torch.Tensor:
        if self.latent_cache is not None:
            return torch.stack([self.latent_cache[key] for key in batch["keys"]])
        return self.models.encode_images(batch["images"])

    def loss_for(self, batch: dict) -> torch.Tensor:
        args, models = self.args, self.models
        latents = self.latents_for(batch)
        with torch.set_grad_enabled(self.train_text_encoder):
            cond = models.encode_text(batch["captions"])
        noise = torch.randn_like(latents)
        if args.get("noise_offset"):
            noise = noise + args["noise_offset"] * torch.randn((latents.shape[0], latents.shape[1], 1, 1))
        sched = models.noise_scheduler
        timesteps = torch.randint(0, sched.config.num_train_timesteps, (latents.shape[0],)).long()
        noisy = sched.add_noise(latents, noise, timesteps)
        pred = models.unet(noisy.requires_grad_(self.train_unet), timesteps, encoder_hidden_states=cond).sample
        target = sched.get_velocity(latents, noise, timesteps) if args.get("v_parameterization") else noise
        if args.get("loss_type") == "l1":
            loss = torch.nn.functional.l1_loss(pred.float(), target.float(), reduction="none")
        else:
            loss = torch.nn.functional.mse_loss(pred.float(), target.float(), reduction="none")
        loss = loss.mean(dim=list(range(1, loss.ndim))) * batch["loss_weights"]
        if args.get("min_snr_gamma"):
            snr = self.all_snr[timesteps]
            weight = torch.minimum(snr, torch.full_like(snr, args["min_snr_gamma"]))
            loss = loss * (weight / (snr + 1) if args.get("v_parameterization") else weight / snr)
        return loss.mean()

    # --- setup --------------------------------------------------------------------------
    def prepare(self) -> int | None:
        args = self.args
        log.info(f"Loading dataset config from {args['dataset_config']}")
        self.datasets = [load_dataset(cfg) for cfg in self.configs]
        log.info(console.dataset_block(self.configs, [d.img_counts for d in self.datasets]))
        self.data_seed = random.randint(0, 2**31)  # like sd-scripts: epoch shuffles use data_seed + epoch
        if sum(d.num_train_images for d in self.datasets) == 0:
            log.error("No data found. Please verify arguments (train_data_dir must be the parent of folders "
                      "with images) / 画像がありません。引数指定を確認してください")
            return 0
        self.plan = make_plan(self.datasets, args)
        if args.get("max_train_epochs") is not None:
            console.out(f"override steps. steps for {args['max_train_epochs']} epochs is / "
                        f"指定エポックまでのステップ数: {self.plan.total_steps}")
        log.info("preparing accelerator")
        self.models = Models.load(args.get("clip_skip"), str(args["pretrained_model_name_or_path"]).removeprefix("builtin:"))
        log.info(f"load tiny model: {args['pretrained_model_name_or_path']}")
        self.train_unet = not args.get("network_train_text_encoder_only")
        self.train_text_encoder = not args.get("network_train_unet_only")
        self._cache_latents()
        console.out(f"import network module: {args['network_module']}")
        net_args = _kv(args.get("network_args"), literal=False)
        spec = NetworkSpec.from_args(args.get("network_dim"), args.get("network_alpha"),
                                     args.get("network_dropout"), net_args)
        log.info(f"create LoRA network. base dim (rank): {spec.dim}, alpha: {spec.alpha}")
        log.info(f"neuron dropout: p={spec.dropout}, rank dropout: p={spec.rank_dropout}, "
                 f"module dropout: p={spec.module_dropout}")
        if spec.conv_dim:
            log.info(f"apply LoRA to Conv2d with kernel size (3,3). dim (rank): {spec.conv_dim}, alpha: {spec.conv_alpha}")
        self.network = LoRANetwork(self.models.text_encoder, self.models.unet, spec,
                                   self.train_text_encoder, self.train_unet)
        log.info(f"create LoRA for Text Encoder: {self.network.created[0]} modules.")
        log.info(f"create LoRA for U-Net: {self.network.created[1]} modules.")
        console.out("prepare optimizer, data loader etc.")
        te_lr = args.get("text_encoder_lr")
        te_lr = te_lr[0] if isinstance(te_lr, list) and te_lr else (None if isinstance(te_lr, list) else te_lr)
        self.text_encoder_lr = te_lr
        groups, names = self.network.param_groups(te_lr, args.get("unet_lr"), args["learning_rate"])
        wanted = [n for n, on in (("textencoder", self.train_text_encoder), ("unet", self.train_unet)) if on]
        for _ in set(wanted) - set(names):
            log.info("NO LR skipping!")
        self.optimizer, self.optimizer_name = build_optimizer(args, groups)
        self.scheduler = build_scheduler(args, self.optimizer, self.plan.total_steps)
        alphas = self.models.noise_scheduler.alphas_cumprod
        self.all_snr = (alphas.sqrt() / (1.0 - alphas).sqrt()) ** 2
        return None

    def _cache_latents(self) -> None:
        self.latent_cache: dict | None = None
        if not self.args.get("cache_latents"):
            return
        log.info("caching latents...")
        cache = {}
        for d, ds in enumerate(self.datasets):
            for index, item in enumerate(ds.items):
                for flip in ((False, True) if item.subset.flip_aug else (False,)):
                    image = load_image(item, flip).unsqueeze(0)
                    cache[(d, index, flip)] = self.models.encode_images(image)[0]
        self.latent_cache = cache

    # --- the run -------------------------------------------------------------------------
    def run(self) -> int:
        early = self.prepare()
        if early is not None:
            return early
        args, plan = self.args, self.plan
        ga = args.get("gradient_accumulation_steps") or 1
        updates_per_epoch = math.ceil(plan.batches_per_epoch / ga)
        epochs = plan.epochs
        if args.get("save_n_epoch_ratio"):
            args["save_every_n_epochs"] = math.floor(epochs / args["save_n_epoch_ratio"]) or 1
        global_step, first_epoch = 0, 0
        if args.get("resume"):
            data = state.load_state(Path(args["resume"]), self.network, self.optimizer, self.scheduler)
            first_epoch = data["current_step"] // updates_per_epoch
            global_step = first_epoch * updates_per_epoch
            if global_step != data["current_step"]:
                log.warning(f"state is mid-epoch (step {data['current_step']}): epoch {first_epoch + 1} restarts")
        resume_rng = (random.getstate(), torch.get_rng_state(), np.random.get_state())

        console.summary(sum(d.num_train_images for d in self.datasets), sum(d.num_reg_images for d in self.datasets),
                        plan.batches_per_epoch, epochs, [c.batch_size for c in self.configs], ga, plan.total_steps)
        self.metadata = training_metadata(args, {
            "session_id": random.randint(0, 2**32), "started_at": time.time(), "text_encoder_lr": self.text_encoder_lr,
            "batches_per_epoch": plan.batches_per_epoch, "epochs": epochs, "total_steps": plan.total_steps,
            "optimizer": self.optimizer_name}, self.datasets)
        random.setstate(resume_rng[0])  # the session id must not shift the training RNG
        torch.set_rng_state(resume_rng[1])
        np.random.set_state(resume_rng[2])

        sampling.sample_images(self.models, self.network, args, 0, global_step)
        recorder = LossRecorder()
        scalars = ScalarLog(args.get("logging_dir"), args.get("log_prefix"))
        bar = tqdm(total=plan.total_steps, initial=global_step, smoothing=0, desc="steps")
        for epoch in range(first_epoch, epochs):
            console.out(f"\nepoch {epoch + 1}/{epochs}\n")
            self.metadata["ss_epoch"] = str(epoch + 1)
            self.network.train()
            batches = epoch_batches(self.datasets, self.data_seed, epoch + 1)
            if len(batches) != plan.batches_per_epoch:  # the plan and the loader must agree
                raise RuntimeError(f"internal error: {len(batches)} batches, plan says {plan.batches_per_epoch}")
            for step, ref in enumerate(batches):
                batch = make_batch(self.datasets, ref, epoch + 1, args.get("prior_loss_weight") or 0.0,
                                   need_images=self.latent_cache is None)
                loss = self.loss_for(batch)
                (loss / ga).backward()
                if (step + 1) % ga == 0 or step + 1 == len(batches):
                    if args.get("max_grad_norm"):
                        torch.nn.utils.clip_grad_norm_(self.network.parameters(), args["max_grad_norm"])
                    self.optimizer.step()
                    self.scheduler.step()
                    self.optimizer.zero_grad(set_to_none=True)
                    bar.update(1)
                    global_step += 1
                    self.step_times.append(time.perf_counter())
                    sampling.sample_images(self.models, self.network, args, None, global_step)
                    self._save_every_steps(global_step, epoch + 1)
                current = loss.detach().item()
                recorder.add(epoch, step, current)
                bar.set_postfix(avr_loss=recorder.average)
                if (step + 1) % ga == 0 or step + 1 == len(batches):
                    lrs = {f"lr/{g.get('name', i)}": g["lr"] for i, g in enumerate(self.optimizer.param_groups)}
                    scalars.log(global_step, {"loss/current": current, "loss/average": recorder.average, **lrs})
                if global_step >= plan.total_steps:
                    break
            self._save_epoch(epoch + 1, epochs, global_step)
            sampling.sample_images(self.models, self.network, args, epoch + 1, global_step)
        bar.close()
        scalars.close()
        self.metadata["ss_training_finished_at"] = str(time.time())
        if args.get("save_state") or args.get("save_state_on_train_end"):
            log.info("saving last state.")
            state.save_state(state.last_state_dir(args), self.network, self.optimizer, self.scheduler,
                             epochs, global_step)
        self.save_model(f"{self.name or 'last'}{self.ext}", global_step, epochs)
        log.info("model saved.")
        return 0

    def _save_epoch(self, epoch: int, epochs: int, global_step: int) -> None:
        every = self.args.get("save_every_n_epochs")
        if not every or epoch % every != 0 or epoch >= epochs:
            return
        self.save_model(self.epoch_file(epoch), global_step, epoch)
        keep = self.args.get("save_last_n_epochs")
        if keep is not None and epoch - every * keep >= 0:
            self.remove_model(self.epoch_file(epoch - every * keep))
        if self.args.get("save_state"):
            log.info(f"saving state at epoch {epoch}")
            state.save_state(state.epoch_state_dir(self.args, epoch), self.network, self.optimizer,
                             self.scheduler, epoch, global_step)
            keep_states = self.args.get("save_last_n_epochs_state") or keep
            if keep_states is not None:
                old = state.epoch_state_dir(self.args, epoch - every * keep_states)
                if old.exists():
                    log.info(f"removing old state: {old}")
                    import shutil

                    shutil.rmtree(old)

    def _save_every_steps(self, global_step: int, epoch: int) -> None:
        every = self.args.get("save_every_n_steps")
        if every and global_step % every == 0:
            self.save_model(f"{self.name or 'at'}-step{global_step:08d}{self.ext}", global_step, epoch)


def run(args: dict[str, Any], configs: list[DatasetConfig]) -> int:
    configure_torch()
    console.setup_logging(args)
    if args.get("seed") is None:
        args["seed"] = random.randint(0, 2**32)
    seed_everything(args["seed"])
    return Trainer(args, configs).run()
