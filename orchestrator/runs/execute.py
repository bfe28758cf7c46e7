"""A prepared run from start to end: files, status lifecycle, supervision, loss curve."""

from __future__ import annotations

import os
import time
from dataclasses import replace
from typing import Any

from orchestrator.runs.status import Status, write_status
from orchestrator.runs.store import PreparedRun, mark_times, materialize
from orchestrator.supervise.supervisor import Outcome, Sink, Supervisor, SupervisorConfig, child_env
from orchestrator.supervise.tracker import Tracker


def sink_info(prepared: PreparedRun) -> dict[str, Any]:
    pf = prepared.preflight
    training = pf.project.training
    return {
        "name": prepared.folder.name,
        "run": str(prepared.folder.path),
        "backend": prepared.backend.name,
        "total_steps": pf.steps.total_steps,
        "epochs": getattr(training, "epochs", None),
        "learning_rate": training.unet_lr or training.learning_rate,
        "lr_scheduler": training.lr_scheduler,
        "lr_warmup_steps": training.lr_warmup_steps,
        "lr_scheduler_num_cycles": getattr(training, "lr_scheduler_num_cycles", None),
    }


def execute(prepared: PreparedRun, sinks: list[Sink], *, grace: float | None = None) -> tuple[Outcome, Status]:
    status = materialize(prepared)
    folder = prepared.folder

    def on_progress(tracker: Tracker, important: bool) -> None:
        status.step, status.epoch, status.last_checkpoint = tracker.step, tracker.epoch, tracker.last_checkpoint
        status.total_steps = tracker.total_steps or status.total_steps
        status.epochs = tracker.epochs or status.epochs
        status.loss = tracker.loss if tracker.loss is None or tracker.loss == tracker.loss else None
        if supervisor.trainer_pid and status.state == "created":
            status.state, status.started, status.trainer_pid = "running", time.time(), supervisor.trainer_pid
            mark_times(folder, started=status.started)
        write_status(folder.status, status)

    config = SupervisorConfig(
        argv=prepared.launch.argv,
        env=child_env(os.environ, prepared.launch.env),
        cwd=prepared.launch.cwd,
        trainer_log=folder.trainer_log,
        metrics=folder.metrics,
        output_dir=folder.output_dir,
        final_lora=prepared.final_lora,
        redactor=prepared.redactor,
        grace=grace,
        info=sink_info(prepared),
    )
    supervisor = Supervisor(config, sinks, on_progress)
    outcome = supervisor.run()
    tracker = supervisor.tracker
    status = replace(
        status,
        state=outcome.state,
        ended=time.time(),
        exit_code=outcome.trainer_exit,
        reason=outcome.reason,
        diagnosis=prepared.redactor.data(outcome.diagnosis.to_json()) if outcome.diagnosis else None,
        last_checkpoint=outcome.last_checkpoint,
        final_lora=outcome.final_lora,
        step=tracker.step,
        epoch=tracker.epoch,
        loss=tracker.loss if tracker.loss is not None and tracker.loss == tracker.loss else None,
    )
    status.started = status.started or status.ended
    write_status(folder.status, status)
    mark_times(folder, ended=status.ended)
    if outcome.state == "succeeded":  # catch "my LoRA does nothing" at once (never fails the run)
        from orchestrator.lora.autocheck import after_training

        after_training(folder, outcome.final_lora)
    try:
        from orchestrator.dashboard.lossplot import write_loss_png

        write_loss_png(folder.metrics, folder.loss_png, folder.name)
    except Exception:  # noqa: BLE001 - a missing chart never fails a finished run
        pass
    return outcome, status
