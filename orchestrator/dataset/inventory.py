"""Which images each subject trains on, read from the folders the preset names.

The filesystem side of `validate` and `plan`: folders exist, hold images the
trainer reads, and every image has a readable size. Sizes come from headers.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from orchestrator.compile.buckets import BucketSettings
from orchestrator.compile.steps import DatasetSpec, Schedule, SubsetImages
from orchestrator.dataset.scan import TRAINER_IMAGE_EXTENSIONS, ImageEntry, scan_images
from orchestrator.problems import Problem
from orchestrator.schema.project import Project


@dataclass(frozen=True)
class SubsetInventory:
    subject_index: int
    subject: str
    folder: Path
    repeats: int
    is_reg: bool
    images: tuple[ImageEntry, ...]

    @property
    def location(self) -> str:
        return f"subjects[{self.subject_index}].{'reg_images' if self.is_reg else 'images'}"


def _check_folder(inv: SubsetInventory) -> list[Problem]:
    if not inv.folder.exists():
        return [Problem(inv.location, f"folder not found: {inv.folder}", "Check the path (relative paths start at the preset file)")]
    if not inv.folder.is_dir():
        return [Problem(inv.location, f"not a folder: {inv.folder}", "Point it at the folder that holds the images")]
    if not inv.images:
        exts = ", ".join(TRAINER_IMAGE_EXTENSIONS)
        return [Problem(inv.location, f"no images the trainer reads in {inv.folder}", f"sd-scripts reads {exts} (lower or upper case)")]
    return [
        Problem(str(entry.path), "image size cannot be read: the file is corrupt or not an image", "Re-export or remove it")
        for entry in inv.images
        if entry.width <= 0 or entry.height <= 0
    ]


def take_inventory(project: Project) -> tuple[list[SubsetInventory], list[Problem]]:
    inventory: list[SubsetInventory] = []
    for i, subject in enumerate(project.subjects):
        folders = [(subject.images, subject.repeats, False)]
        if subject.reg_images is not None:
            folders.append((subject.reg_images, subject.reg_repeats, True))
        for folder, repeats, is_reg in folders:
            images = tuple(scan_images(folder)) if folder.is_dir() else ()
            inventory.append(SubsetInventory(i, subject.name, folder, repeats, is_reg, images))
    problems = [p for inv in inventory for p in _check_folder(inv)]
    return inventory, problems


def dataset_spec(project: Project, inventory: list[SubsetInventory]) -> DatasetSpec:
    b, t = project.buckets, project.training
    subsets = tuple(
        SubsetImages(inv.subject, tuple(e.size for e in inv.images if e.width > 0), inv.repeats, inv.is_reg)
        for inv in inventory
    )
    settings = BucketSettings(t.width_height, b.enabled, b.min_resolution, b.max_resolution, b.step, b.no_upscale)
    return DatasetSpec(subsets, settings, t.batch_size)


def schedule(project: Project) -> Schedule:
    t = project.training
    return Schedule(t.epochs, t.max_steps, t.gradient_accumulation_steps, project.launch.num_processes)
