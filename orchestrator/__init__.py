"""orchestrator: checked, reproducible LoRA training with kohya-ss sd-scripts."""

__version__ = "0.1.0"
