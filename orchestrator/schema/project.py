"""The whole training project: one model composed of the per-concern sections."""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from orchestrator.schema.base import StrictModel
from orchestrator.schema.buckets import Buckets
from orchestrator.schema.evaluation import Eval
from orchestrator.schema.launch import Launch
from orchestrator.schema.migrations import CURRENT_VERSION
from orchestrator.schema.model import ModelSpec
from orchestrator.schema.network import Network
from orchestrator.schema.samples import Samples
from orchestrator.schema.subjects import Subject
from orchestrator.schema.trainer import TrainerSpec
from orchestrator.schema.training import Training

_OUTPUT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class Project(StrictModel):
    schema_version: int = Field(CURRENT_VERSION, description="Version of this preset format; older presets are migrated.")
    name: str = Field(description="Project name; the LoRA file is `<name>.safetensors`. → --output_name")
    description: str = Field("", description="One line saying what this project trains. → --training_comment")
    model: ModelSpec
    subjects: list[Subject] = Field(min_length=1, description="The concepts to teach, one [[subjects]] table each.")
    network: Network = Field(default_factory=Network)
    training: Training = Field(default_factory=Training)
    buckets: Buckets = Field(default_factory=Buckets)
    samples: Samples = Field(default_factory=Samples)
    eval: Eval = Field(default_factory=Eval)
    trainer: TrainerSpec = Field(default_factory=TrainerSpec)
    launch: Launch = Field(default_factory=Launch)

    @field_validator("name")
    @classmethod
    def _file_safe(cls, value: str) -> str:
        if not _OUTPUT_NAME.match(value):
            raise ValueError("use letters, digits, '_', '-' or '.' only (it names the LoRA file)")
        return value
