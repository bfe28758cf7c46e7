"""`Tagger`: one loaded tagger — its files, onnxruntime session, input spec and labels."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from orchestrator.problems import Problem, ProjectInvalid
from orchestrator.tagger.labels import Label, load_labels
from orchestrator.tagger.preprocess import prepare
from orchestrator.tagger.resolve import ModelFiles
from orchestrator.tagger.session import InputSpec, open_session, read_input


class Tagger:
    def __init__(self, files: ModelFiles, providers: list[str] | None = None, threads: int | None = None):
        self.files = files
        self.profile = files.profile
        self.labels: list[Label] = load_labels(files.tags)
        self.session = open_session(files.onnx, providers, threads)
        self.input: InputSpec = read_input(self.session, self.profile)
        output = self.session.get_outputs()[0]
        self.output_name = output.name
        width = output.shape[-1] if output.shape else None
        if isinstance(width, int) and width != len(self.labels):
            raise self._mismatch(width)

    @property
    def providers(self) -> list[str]:
        return self.session.get_providers()

    def _mismatch(self, width: int) -> ProjectInvalid:
        return ProjectInvalid([Problem(str(self.files.tags), f"lists {len(self.labels)} tags but the model has {width} outputs",
                                       "Use the tag list that came with this model", code="tagger-tags")])

    def prepare(self, path: Path) -> np.ndarray:
        """Decode and preprocess one image (thread-safe; raises on a corrupt file)."""
        return prepare(path, self.profile, self.input)

    def run(self, batch: np.ndarray) -> np.ndarray:
        """Scores (images × labels) for a stacked batch; pads to a batch size fixed in the graph."""
        count = len(batch)
        fixed = self.input.batch
        if fixed is None:
            return self._run(batch)
        chunks = []
        for start in range(0, count, fixed):
            part = batch[start : start + fixed]
            if len(part) < fixed:  # zero images fill the graph's fixed batch; their scores are dropped
                part = np.concatenate([part, np.zeros((fixed - len(part), *part.shape[1:]), part.dtype)])
            chunks.append(self._run(part)[: min(fixed, count - start)])
        return np.concatenate(chunks)

    def _run(self, batch: np.ndarray) -> np.ndarray:
        scores = self.session.run([self.output_name], {self.input.name: batch})[0]
        scores = np.asarray(scores, dtype=np.float32).reshape(len(batch), -1)
        if scores.shape[1] != len(self.labels):
            raise self._mismatch(scores.shape[1])
        return scores
