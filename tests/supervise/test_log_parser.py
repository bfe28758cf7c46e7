"""The log parser on sd-scripts' grammar: golden events for each capture, and the hard cases."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from orchestrator.supervise import events as ev
from orchestrator.supervise.lines import LineSplitter
from orchestrator.supervise.parser import StreamParser, parse_bar

CAPTURES = Path(__file__).resolve().parents[1] / "fixtures" / "trainer_output"
SCENARIOS = ["success", "nan", "oom", "crash", "hang", "nodata", "builtin-demo", "real-sd-scripts-v0.10.1-cpu"]


def parse_capture(path: Path) -> list[dict]:
    splitters = {1: LineSplitter(), 2: LineSplitter()}
    parsers = {1: StreamParser(), 2: StreamParser()}
    out: list[dict] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if "text" not in record:
            continue
        fd = record["fd"]
        for segment, terminator in splitters[fd].feed(record["text"]):
            out += [{"fd": fd, **e.to_json()} for e in parsers[fd].feed_segment(segment, terminator)]
    for fd in (1, 2):
        for segment, terminator in splitters[fd].flush():
            out += [{"fd": fd, **e.to_json()} for e in parsers[fd].feed_segment(segment, terminator)]
        out += [{"fd": fd, **e.to_json()} for e in parsers[fd].flush()]
    for event in out:  # timing-dependent fields are not part of the golden
        event.pop("t", None)
        for key in ("rate", "elapsed", "remaining"):
            event.pop(key, None)
    return out


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_golden_events(scenario: str, update_golden: bool) -> None:
    events = parse_capture(CAPTURES / f"{scenario}.jsonl")
    golden = CAPTURES / f"{scenario}.events.json"
    text = json.dumps(events, indent=1, ensure_ascii=False) + "\n"
    if update_golden or not golden.exists():
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


def test_success_capture_reads_like_a_run() -> None:
    events = parse_capture(CAPTURES / "success.jsonl")
    kinds = [e["kind"] for e in events]
    summary = next(e for e in events if e["kind"] == "summary")
    assert summary["total_steps"] == 12 and summary["epochs"] == 3 and summary["batches_per_epoch"] == 4
    assert [e["epoch"] for e in events if e["kind"] == "epoch"] == [1, 2, 3]
    steps = [e["step"] for e in events if e["kind"] == "progress" and e["bar"] == "steps"]
    assert steps[-1] == 12 and steps == sorted(steps)
    assert [Path(e["path"]).name for e in events if e["kind"] == "checkpoint"] == [
        "{output_name}-000001.safetensors", "{output_name}-000002.safetensors", "{output_name}.safetensors"]  # fmt: skip
    assert "model_saved" in kinds and "caching latents" in [e.get("phase") for e in events]
    # rich wrapped this path over three 80-column lines; it comes back whole
    logs = [e["message"] for e in events if e["kind"] == "log"]
    assert "Loading dataset config from /home/user/runs/fake-20260101-120000-ab12/compiled/dataset_config.toml" in logs


def test_failure_captures() -> None:
    oom = parse_capture(CAPTURES / "oom.jsonl")
    errors = [e for e in oom if e["kind"] == "error"]
    assert errors[0]["message"].startswith("torch.OutOfMemoryError: CUDA out of memory")
    assert errors[0]["traceback"][0].startswith("Traceback")
    assert errors[1]["message"].startswith("subprocess.CalledProcessError")  # accelerate's launcher re-raises
    nodata = parse_capture(CAPTURES / "nodata.jsonl")
    assert any(e["kind"] == "error" and e["message"].startswith("No data found.") for e in nodata)
    nan = parse_capture(CAPTURES / "nan.jsonl")
    losses = [e["loss"] for e in nan if e["kind"] == "progress" and e["bar"] == "steps" and e["loss"] is not None]
    assert "nan" in losses  # NaN serialised as a string in JSON


def test_bar_variants() -> None:
    bar = parse_bar("steps:  12%|█▏        | 120/1000 [01:02<07:35,  1.93it/s, avr_loss=0.0912]")
    assert (bar.bar, bar.step, bar.total, bar.rate, bar.loss) == ("steps", 120, 1000, 1.93, 0.0912)
    slow = parse_bar("steps:   1%|          | 3/400 [00:30<1:06:10,  10.00s/it, avr_loss=nan]")
    assert slow.rate == pytest.approx(0.1) and math.isnan(slow.loss)
    scaled = parse_bar("steps:  50%|#####     | 5/10 [00:05<00:05,  1.00it/s, Keys Scaled=3, Average key norm=0.5, avr_loss=0.1]")
    assert scaled.postfix == {"Keys Scaled": "3", "Average key norm": "0.5", "avr_loss": "0.1"} and scaled.loss == 0.1
    start = parse_bar("steps:   0%|          | 0/12 [00:00<?, ?it/s]")
    assert start.step == 0 and start.rate is None
    caching = parse_bar("100%|██████████| 4/4 [00:00<00:00, 12.31it/s]")
    assert caching.bar == "" and caching.step == 4


def test_carriage_returns_split_across_reads() -> None:
    splitter = LineSplitter()
    assert splitter.feed("\rsteps:  10%|█ | 1/10 [00:01<00:09,  1.0it/s]\r") == [("", "\r")]
    assert splitter.feed("\nnext") == [("steps:  10%|█ | 1/10 [00:01<00:09,  1.0it/s]", "\r\n")]
    assert splitter.flush() == [("next", "")]


def test_log_line_written_after_an_unfinished_bar() -> None:
    parser = StreamParser()
    line = "steps: 100%|██████████| 12/12 [00:00<00:00, 24.6it/s, avr_loss=0.123]" + " " * 20 + "INFO     model saved.                  train_network.py:1729"
    events = parser.feed_segment(line) + parser.flush()
    assert [type(e) for e in events] == [ev.Progress, ev.Log, ev.ModelSaved]


def test_plain_logging_format_of_the_builtin_trainer() -> None:
    parser = StreamParser()
    events = []
    for line in ["INFO     caching latents...", "WARNING  state is mid-epoch (step 3): epoch 2 restarts",
                 "ERROR    No data found. Please verify arguments", "saving checkpoint: /r/out/x-000001.safetensors",
                 "epoch 2/5", "INFO     model saved."]:  # fmt: skip
        events += parser.feed_segment(line)
    kinds = [e.kind for e in events]
    assert kinds == ["log", "phase", "warning", "error", "phase", "checkpoint", "epoch", "log", "model_saved"]


def test_python_and_accelerate_warnings() -> None:
    parser = StreamParser()
    events = parser.feed_segment("/venv/lib/python3.10/site-packages/diffusers/utils/outputs.py:63: FutureWarning: `x` is deprecated")
    events += parser.feed_segment("The following values were not passed to `accelerate launch` and had defaults used instead:")
    assert [e.kind for e in events] == ["warning", "warning"]
    assert events[0].message.startswith("FutureWarning: `x` is deprecated")


def test_multiline_exception_message_stays_in_its_traceback() -> None:
    parser = StreamParser()
    lines = ["Traceback (most recent call last):", '  File "train_network.py", line 1, in <module>', "    main()",
             "RuntimeError: Error(s) in loading state_dict for UNet2DConditionModel:",
             "\tsize mismatch for conv_in.weight: copying a param with shape [320, 4, 3, 3]", "epoch 1/1"]  # fmt: skip
    events = [e for line in lines for e in parser.feed_segment(line)] + parser.flush()
    assert [e.kind for e in events] == ["error", "epoch"]
    assert events[0].message.startswith("RuntimeError: Error(s) in loading state_dict")
    assert "size mismatch" in events[0].traceback[-1]
