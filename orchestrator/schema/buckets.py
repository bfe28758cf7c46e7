"""[buckets]: aspect-ratio bucketing."""

from __future__ import annotations

from pydantic import Field

from orchestrator.schema.base import StrictModel


class Buckets(StrictModel):
    enabled: bool = Field(True, description="Group images by aspect ratio instead of cropping all to a square. → enable_bucket")
    min_resolution: int = Field(256, ge=8, description="Smallest bucket side. → min_bucket_reso")
    max_resolution: int = Field(1024, ge=8, description="Largest bucket side. → max_bucket_reso")
    step: int = Field(64, ge=8, description="Bucket sides are multiples of this (64 for SD 1.x/2.x, 32 for SDXL). → bucket_reso_steps")
    no_upscale: bool = Field(False, description="Never enlarge small images; buckets follow image sizes. → bucket_no_upscale")
