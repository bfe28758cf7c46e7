"""Judge a trained LoRA: fixed-seed grids, a contact sheet and a numeric scorecard."""
