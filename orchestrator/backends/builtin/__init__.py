"""The embedded CPU trainer (`builtin` backend): a drop-in for sd-scripts' train_network.py.

Run: `python -m orchestrator.backends.builtin.train --config_file C --dataset_config D`.
Import-light on purpose: the package and `capabilities` never import torch; only the
trainer process (`loop` and below) does.
"""
