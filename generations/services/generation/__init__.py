"""Generations, one module per concern:

- `pricing`: what a request costs and whether the user may make it;
- `request`: checking a request against its template, holds, queueing, variations, staff retries;
- `render`: inputs (texts, images, AI copy and background), every format, the attempt's files;
- `job`: the job on the one runner (`craftplatform.jobs`): claim, render, complete or fail;
- `sweep`: the generations' part of the job sweep.

Reads (queue position, open holds, variation options, the status payload) are in
`generations.selectors`. Tasks are sent by name through `craftplatform.jobs.enqueue`, so no service
imports a task.
"""

from generations.services.generation.job import fail_generation, run_generation
from generations.services.generation.pricing import GenerationPrice, PriceLine, price_generation
from generations.services.generation.render import brand_style_for, render_all, render_inputs
from generations.services.generation.request import (
    OUTPUT_FORMATS,
    GenerationRequest,
    background_slot,
    brand_snapshot,
    check_request,
    request_fingerprint,
    request_generation,
    request_variation,
    retry_generation,
)
from generations.services.generation.sweep import sweep_stuck_generations

__all__ = [
    "OUTPUT_FORMATS",
    "GenerationPrice",
    "GenerationRequest",
    "PriceLine",
    "background_slot",
    "brand_snapshot",
    "brand_style_for",
    "check_request",
    "fail_generation",
    "price_generation",
    "render_all",
    "render_inputs",
    "request_fingerprint",
    "request_generation",
    "request_variation",
    "retry_generation",
    "run_generation",
    "sweep_stuck_generations",
]
