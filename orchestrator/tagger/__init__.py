"""ONNX auto-taggers (WD14 family, DeepDanbooru-style exports) that write training captions.

One concept a module:

- `profiles`   how each tagger family wants its pixels (size, channel order, scale, padding)
- `labels`     the tag list beside the model (`selected_tags.csv`, `tags.txt`)
- `resolve`    a `--model` argument → local files (a folder, or a Hugging Face repo via its cache)
- `session`    onnxruntime: provider choice, session options, the input read from the graph
- `preprocess` decode one image and turn it into the network's input array
- `model`      `Tagger`: files + session + labels, prepares and runs batches
- `infer`      batched inference with decoding in a thread pool ahead of the network
- `selection`  scores → tags (thresholds, MCut, ratings, exclusions, replacements, order)
- `captions`   caption files as tag lists: read, split, merge, trigger first
- `plan`       what happens to each caption file (create, merge, overwrite), backups, writing
- `targets`    DIR|PRESET → folders with their trigger and caption extension
- `job`        the whole run: targets → predictions → caption changes + problems

Nothing here imports torch. onnxruntime and Pillow are imported by the modules that need them.
"""
