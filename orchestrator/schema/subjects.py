"""[[subjects]]: one concept each, with its trigger word, images and repeats."""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from orchestrator.schema.base import PresetPath, StrictModel

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class Subject(StrictModel):
    name: str = Field(description="Short identifier of the concept, used in reports and file names.")
    trigger: str = Field(
        description=(
            "The rare word that invokes the concept (first tag of every caption). With class_word it "
            "forms the subset's class tokens. → [[datasets.subsets]] class_tokens"
        )
    )
    class_word: str | None = Field(
        None, description="What the subject is (`man`, `woman`, `dog`). → class_tokens = `<trigger> <class_word>`"
    )
    images: PresetPath = Field(description="Folder of training images with their captions. → image_dir")
    repeats: int = Field(ge=1, description="Times each image is seen per epoch. → num_repeats")
    caption_extension: str = Field(
        ".txt",
        description=(
            "Extension of the caption file beside each image. Always written out, because the "
            "trainer's own default is `.caption`. → caption_extension"
        ),
    )
    keep_tokens: int = Field(
        1, ge=0, description="Leading comma-separated tags kept in place when captions are shuffled (1 keeps the trigger). → keep_tokens"
    )
    shuffle_caption: bool | None = Field(
        None, description="Shuffle this subject's tags (unset: training.shuffle_caption). → shuffle_caption"
    )
    flip_aug: bool = Field(False, description="Random horizontal flips (not for asymmetric subjects). → flip_aug")
    color_aug: bool = Field(False, description="Random hue shifts; disables latent caching. → color_aug")
    reg_images: PresetPath | None = Field(
        None, description="Folder of regularisation (class) images for this subject. → a subset with is_reg = true"
    )
    reg_repeats: int = Field(1, ge=1, description="Repeats of the regularisation images. → num_repeats of the reg subset")

    @field_validator("name")
    @classmethod
    def _name_is_identifier(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError("use letters, digits, '_', '-' or '.' only, starting with a letter or digit")
        return value

    @field_validator("trigger")
    @classmethod
    def _trigger_is_one_tag(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        if "," in value:
            raise ValueError("must be a single tag without commas (captions are comma-separated)")
        return value.strip()

    @field_validator("caption_extension")
    @classmethod
    def _extension_has_dot(cls, value: str) -> str:
        if not value.startswith(".") or len(value) < 2:
            raise ValueError(f"must start with a dot, like '.txt' (got {value!r})")
        return value

    @property
    def class_tokens(self) -> str:
        return f"{self.trigger} {self.class_word}" if self.class_word else self.trigger
