"""Ship a trained LoRA where it is used (seed case: A1111/Forge, ComfyUI, the Hugging Face Hub).

- `source`     what every export needs, from a run (its project.toml) or from a bare LoRA file
- `prompt`     the A1111/Forge prompt snippet `<lora:NAME:0.8>` + trigger words
- `comfy_nodes` the inputs/outputs of the ComfyUI core nodes we emit (the contract the test checks)
- `comfyui`    a ComfyUI workflow in API ("prompt") format, and its structural validation
- `model_card` the Hugging Face README.md with YAML front matter
- `publish`    the model-card folder (offline, `--dry-run`) and the upload with huggingface_hub
"""
