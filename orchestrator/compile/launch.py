"""The command line that starts the trainer: `accelerate launch … train_network.py …`.

Every accelerate setting is passed explicitly, so a stale global accelerate config
(~/.cache/huggingface/accelerate/default_config.yaml) cannot change the run.
"""

from __future__ import annotations

from pathlib import Path

from orchestrator.schema.launch import Launch
from orchestrator.schema.project import Project

BUILTIN_MODULE = "orchestrator.backends.builtin.train"


def training_script(project: Project) -> str:
    return "sdxl_train_network.py" if project.model.family == "sdxl" else "train_network.py"


def accelerate_config(launch: Launch, mixed_precision: str) -> dict[str, object]:
    """A per-run accelerate config file, so the user's global default_config.yaml is never read."""
    config: dict[str, object] = {
        "compute_environment": "LOCAL_MACHINE",
        "distributed_type": "MULTI_GPU" if launch.num_processes > 1 and not launch.cpu else "NO",
        "mixed_precision": mixed_precision,
        "use_cpu": launch.cpu,
        "debug": False,
        "num_processes": launch.num_processes,
        "num_machines": launch.num_machines,
        "machine_rank": launch.machine_rank,
        "gpu_ids": ",".join(str(g) for g in launch.gpu_ids) if launch.gpu_ids else "all",
        "rdzv_backend": "static",
        "same_network": True,
        "main_training_function": "main",
    }
    if launch.main_process_ip:
        config["main_process_ip"] = launch.main_process_ip
    if launch.main_process_port:
        config["main_process_port"] = launch.main_process_port
    return config


def accelerate_args(launch: Launch, mixed_precision: str, config_file: Path | None = None) -> list[str]:
    args = ["--config_file", str(config_file)] if config_file else []
    args += [
        "--num_processes", str(launch.num_processes),
        "--num_machines", str(launch.num_machines),
        "--mixed_precision", mixed_precision,
        "--num_cpu_threads_per_process", str(launch.num_cpu_threads_per_process),
        "--dynamo_backend", "no",
    ]  # fmt: skip
    if launch.cpu:
        args.append("--cpu")
    elif launch.num_processes > 1:
        args.append("--multi_gpu")
    if launch.gpu_ids:
        args += ["--gpu_ids", ",".join(str(g) for g in launch.gpu_ids)]
    if launch.num_machines > 1:
        args += ["--machine_rank", str(launch.machine_rank), "--main_process_ip", str(launch.main_process_ip)]
        if launch.main_process_port:
            args += ["--main_process_port", str(launch.main_process_port)]
    return args


def sd_scripts_argv(
    project: Project, *, python: str, checkout: Path, config_file: Path, dataset_config: Path,
    accelerate_config_file: Path | None = None,
) -> list[str]:
    return [
        python, "-m", "accelerate.commands.launch",
        *accelerate_args(project.launch, project.training.mixed_precision, accelerate_config_file),
        str(checkout / training_script(project)),
        "--config_file", str(config_file),
        "--dataset_config", str(dataset_config),
    ]  # fmt: skip


def builtin_argv(*, python: str, config_file: Path, dataset_config: Path) -> list[str]:
    return [python, "-m", BUILTIN_MODULE, "--config_file", str(config_file), "--dataset_config", str(dataset_config)]
