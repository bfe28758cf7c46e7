"""Cross-field rules of a valid project. Each rule is a named function returning Problems
with the exact location, the rule and the fix; errors stop the project, warnings are shown."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from orchestrator.problems import Problem
from orchestrator.schema.base import BUILTIN_PREFIX
from orchestrator.schema.project import Project
from orchestrator.schema.training import ADAPTIVE_OPTIMIZERS

Rule = Callable[[Project], Iterator[Problem]]
RULES: list[Rule] = []


def rule(fn: Rule) -> Rule:
    RULES.append(fn)
    return fn


def check_rules(project: Project) -> list[Problem]:
    return [problem for fn in RULES for problem in fn(project)]


@rule
def unique_subjects(p: Project) -> Iterator[Problem]:
    names: dict[str, int] = {}
    triggers: dict[str, int] = {}
    for i, s in enumerate(p.subjects):
        if s.name in names:
            yield Problem(f"subjects[{i}].name", f"{s.name!r} is already used by subjects[{names[s.name]}]", "Give each subject its own name")
        names.setdefault(s.name, i)
        key = s.trigger.lower()
        if key in triggers:
            yield Problem(
                f"subjects[{i}].trigger",
                f"{s.trigger!r} is already the trigger of subjects[{triggers[key]}]",
                "Each subject needs its own trigger word, or the two concepts blend",
            )
        triggers.setdefault(key, i)


@rule
def resolution_fits_buckets(p: Project) -> Iterator[Problem]:
    b, (w, h) = p.buckets, p.training.width_height
    if not b.enabled:
        return
    if w % b.step or h % b.step:
        yield Problem(
            "training.resolution",
            f"{p.training.resolution} is not a multiple of buckets.step ({b.step})",
            f"Use a multiple of {b.step}, e.g. {max(b.step, w // b.step * b.step)}",
        )
    if b.min_resolution > b.max_resolution:
        yield Problem("buckets.min_resolution", f"{b.min_resolution} is above buckets.max_resolution ({b.max_resolution})", "Swap them")
    elif not b.no_upscale and b.min_resolution < b.step:
        yield Problem(
            "buckets.min_resolution",
            f"{b.min_resolution} is below buckets.step ({b.step}): sd-scripts rounds it down to a multiple of the step, "
            "0, and then divides by it while making the buckets (ZeroDivisionError)",
            f"Set buckets.min_resolution to at least {b.step}",
        )
    elif not b.no_upscale:
        if min(w, h) < b.min_resolution:
            yield Problem(
                "buckets.min_resolution",
                f"{b.min_resolution} is above the training resolution's short side ({min(w, h)})",
                f"Rule: min bucket ≤ resolution ≤ max bucket. Set buckets.min_resolution ≤ {min(w, h)}",
            )
        if max(w, h) > b.max_resolution:
            yield Problem(
                "buckets.max_resolution",
                f"{b.max_resolution} is below the training resolution's long side ({max(w, h)})",
                f"Rule: min bucket ≤ resolution ≤ max bucket. Set buckets.max_resolution ≥ {max(w, h)}",
            )


@rule
def bucket_step_fits_family(p: Project) -> Iterator[Problem]:
    # Both trainers assert it when the dataset loads (the builtin mirrors sd-scripts), after the launch.
    need = 32 if p.model.family == "sdxl" else 64
    if p.buckets.step % need:
        trainer = "sd-scripts asserts" if p.trainer.backend == "sd-scripts" else "sd-scripts and the builtin trainer assert"
        yield Problem(
            "buckets.step",
            f"{p.buckets.step} is not divisible by {need}",
            f"{trainer} this for {p.model.family} ('bucket_reso_steps … must be divisible by {need}'). Use {need}",
        )


@rule
def backend_matches_model(p: Project) -> Iterator[Problem]:
    builtin_model = p.model.base.startswith(BUILTIN_PREFIX)
    if p.trainer.backend == "sd-scripts" and builtin_model:
        yield Problem(
            "model.base",
            f"{p.model.base!r} is an embedded model that only the builtin trainer can load",
            "Set trainer.backend = \"builtin\", or point model.base at a real checkpoint",
        )
    if p.trainer.backend == "builtin" and not builtin_model:
        yield Problem(
            "model.base",
            f"the builtin trainer trains only its embedded models, not {p.model.base!r}",
            "Use model.base = \"builtin:tiny-sd\", or trainer.backend = \"sd-scripts\" for real checkpoints",
        )


@rule
def builtin_models_exist(p: Project) -> Iterator[Problem]:
    from orchestrator.backends.builtin.tiny_model import MODELS

    for where, ref in (("model.base", p.model.base), ("model.test_model", p.model.test_model)):
        if ref and ref.startswith(BUILTIN_PREFIX) and ref.removeprefix(BUILTIN_PREFIX) not in MODELS:
            known = ", ".join(f'"{BUILTIN_PREFIX}{name}"' for name in MODELS)
            yield Problem(where, f"there is no embedded model {ref!r}", f"Use one of {known}", code="unknown-builtin-model")


@rule
def latents_cache_vs_color_aug(p: Project) -> Iterator[Problem]:
    if not p.training.cache_latents:
        return
    for i, s in enumerate(p.subjects):
        if s.color_aug:
            yield Problem(
                f"subjects[{i}].color_aug",
                "color_aug cannot be used while training.cache_latents is on (sd-scripts asserts this)",
                "Set training.cache_latents = false, or color_aug = false",
            )


@rule
def save_cadence(p: Project) -> Iterator[Problem]:
    t = p.training
    if t.save_last_n_epochs and not t.save_every_n_epochs:
        yield Problem("training.save_last_n_epochs", "has no effect without save_every_n_epochs", "Set save_every_n_epochs too")
    if t.save_state and not (t.save_every_n_epochs or t.save_every_n_steps):
        yield Problem(
            "training.save_state",
            "no save cadence is set, so no resumable state is written until the end",
            "Set save_every_n_epochs so an interrupted run can be resumed",
            severity="warning",
        )


@rule
def schedule_is_explicit(p: Project) -> Iterator[Problem]:
    if p.training.epochs is None and p.training.max_steps is None:
        yield Problem(
            "training.epochs",
            "neither epochs nor max_steps is set: sd-scripts silently trains 1600 steps",
            "Set training.epochs (or training.max_steps)",
            severity="warning",
        )


@rule
def learning_rates_make_sense(p: Project) -> Iterator[Problem]:
    t, n = p.training, p.network
    if not n.train_text_encoder and t.text_encoder_lr:
        yield Problem("training.text_encoder_lr", "is set but network.train_text_encoder is false", "Remove it", severity="warning")
    if not n.train_unet and t.unet_lr:
        yield Problem("training.unet_lr", "is set but network.train_unet is false", "Remove it", severity="warning")
    if t.optimizer.lower() in ADAPTIVE_OPTIMIZERS:
        if (t.unet_lr is not None and t.unet_lr != t.learning_rate) or (
            t.text_encoder_lr is not None and t.text_encoder_lr != t.learning_rate
        ):
            yield Problem(
                "training.optimizer",
                f"{t.optimizer} adapts the step size itself and expects one learning rate (usually 1.0)",
                "Remove unet_lr/text_encoder_lr or set them equal to learning_rate",
                severity="warning",
            )


@rule
def alpha_not_above_dim(p: Project) -> Iterator[Problem]:
    if p.network.alpha > p.network.dim:
        yield Problem(
            "network.alpha",
            f"{p.network.alpha:g} is larger than dim {p.network.dim}: the update is scaled up {p.network.alpha / p.network.dim:g}×",
            "Usually alpha ≤ dim (half of dim is common)",
            severity="warning",
        )
    n = p.network
    if n.conv_alpha is not None and n.conv_dim is not None and n.conv_alpha > n.conv_dim:
        yield Problem("network.conv_alpha", f"{n.conv_alpha:g} is larger than conv_dim {n.conv_dim}", "Usually conv_alpha ≤ conv_dim", severity="warning")


@rule
def shuffle_keeps_trigger(p: Project) -> Iterator[Problem]:
    for i, s in enumerate(p.subjects):
        shuffled = p.training.shuffle_caption if s.shuffle_caption is None else s.shuffle_caption
        if shuffled and s.keep_tokens == 0:
            yield Problem(
                f"subjects[{i}].keep_tokens",
                "is 0 while captions are shuffled, so the trigger moves around",
                "Set keep_tokens = 1 to keep the trigger first",
                severity="warning",
            )


@rule
def cpu_training_is_full_precision(p: Project) -> Iterator[Problem]:
    if p.launch.cpu and p.training.mixed_precision != "no":
        yield Problem(
            "training.mixed_precision",
            f"{p.training.mixed_precision!r} needs a GPU but launch.cpu is true (accelerate: 'requires a GPU')",
            "Set training.mixed_precision = \"no\" for CPU training",
        )


@rule
def keep_tokens_only_the_trigger(p: Project) -> Iterator[Problem]:
    for i, s in enumerate(p.subjects):
        if s.keep_tokens > 1:
            yield Problem(
                f"subjects[{i}].keep_tokens",
                f"keeps the first {s.keep_tokens} tags in place, but the trigger is one tag",
                "Use keep_tokens = 1 unless the tags after the trigger must never move",
                severity="warning",
            )
