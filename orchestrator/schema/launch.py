"""[launch]: how accelerate starts the trainer (GPUs, processes, machines)."""

from __future__ import annotations

from pydantic import Field, model_validator

from orchestrator.schema.base import StrictModel


class Launch(StrictModel):
    num_processes: int = Field(1, ge=1, description="Training processes in all (one per GPU). → accelerate --num_processes")
    gpu_ids: list[int] = Field(default_factory=list, description="GPUs to use, e.g. [0, 1]. → accelerate --gpu_ids")
    num_machines: int = Field(1, ge=1, description="Machines taking part. → accelerate --num_machines")
    machine_rank: int = Field(0, ge=0, description="This machine's rank. → accelerate --machine_rank")
    main_process_ip: str | None = Field(None, description="Address of rank 0 (multi-machine). → accelerate --main_process_ip")
    main_process_port: int | None = Field(None, ge=1, le=65535, description="Port of rank 0. → accelerate --main_process_port")
    cpu: bool = Field(False, description="Train on the CPU (tests and tiny models only; mixed_precision must be \"no\"). → accelerate --cpu")
    num_cpu_threads_per_process: int = Field(1, ge=1, description="CPU threads per process. → accelerate --num_cpu_threads_per_process")

    @model_validator(mode="after")
    def _consistent(self) -> "Launch":
        if self.gpu_ids and len(self.gpu_ids) * self.num_machines != self.num_processes:
            raise ValueError(
                f"{len(self.gpu_ids)} gpu_ids on {self.num_machines} machine(s) but num_processes = {self.num_processes}. "
                "Use one process per GPU"
            )
        if self.machine_rank >= self.num_machines:
            raise ValueError(f"machine_rank {self.machine_rank} must be below num_machines {self.num_machines}")
        if self.num_machines > 1 and not self.main_process_ip:
            raise ValueError("several machines need main_process_ip (the address of machine rank 0)")
        return self
