"""LoRA files after training: read them (no torch), check their health, inspect, resize and merge.

- `reader`    open a .safetensors LoRA as numpy arrays + its string metadata (.ckpt/.pt only on request)
- `keys`      kohya key grammar: module name, tensor role, the block a module belongs to
- `metadata`  the ss_*/modelspec.* metadata in words: network, base model, steps, trigger words, tags
- `norms`     per-module and per-block weight statistics (‖ΔW‖, |up|)
- `health`    findings as Problems: NaN/Inf, zero up weights, alpha 0 or missing, rank mismatch, foreign keys
- `inspect`   everything above as one report (table or JSON)
- `scripts`   argv for sd-scripts' own resize_lora.py / merge_lora.py, run in its environment
- `autocheck` the health check run after a successful training
"""
