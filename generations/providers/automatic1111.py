"""A Stable Diffusion web UI server (AUTOMATIC1111, or Forge, which keeps its API) started with
`--api`: images from `POST /sdapi/v1/txt2img`, upscaling with `POST /sdapi/v1/extra-single-image`
and, when its rembg extension is installed, background removal with `POST /rembg`.

It runs on the self-hoster's own GPU: there is no content policy and no rate limit of its own, but a
proxy in front of it may answer 429 or 5xx, and a busy GPU may time out.
"""

from typing import ClassVar

import httpx
from django.conf import settings
from PIL import Image

from generations.models import ProviderKind, ProviderOperation
from generations.providers.base import Provider, ProviderImage, decode_base64_image, encode_png_base64
from generations.providers.errors import MalformedResponse, ProviderError
from generations.providers.transport import HttpAnswer, clean_detail, post_json, raise_for_status

# Stable Diffusion works in multiples of 8 pixels and looks best near its training size.
MIN_SIDE = 256
SEED_RANGE = 2**32  # the web UI takes an unsigned 32-bit seed (-1 means random)


def request_dimensions(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    """The size to ask for: the ad's shape with its longer side at `max_side`, in multiples of 8."""
    width, height = size
    scale = max_side / max(width, height)
    return tuple(max(MIN_SIDE, round(side * scale / 8) * 8) for side in (width, height))  # type: ignore[return-value]


class Automatic1111Provider(Provider):
    key = ProviderKind.AUTOMATIC1111.value
    label = "The Automatic1111 image server"
    operations: ClassVar[frozenset[str]] = frozenset(
        {ProviderOperation.IMAGE, ProviderOperation.UPSCALE, ProviderOperation.REMOVE_BACKGROUND}
    )

    def missing_settings(self, operation: str | None = None) -> list[str]:
        missing = [] if settings.AUTOMATIC1111_URL else ["AUTOMATIC1111_URL"]
        if operation == ProviderOperation.REMOVE_BACKGROUND and not settings.AUTOMATIC1111_REMBG_MODEL:
            missing.append("AUTOMATIC1111_REMBG_MODEL")
        if operation == ProviderOperation.UPSCALE and not settings.AUTOMATIC1111_UPSCALER:
            missing.append("AUTOMATIC1111_UPSCALER")
        return missing

    def default_model(self, operation: str) -> str:
        return {
            ProviderOperation.IMAGE: settings.AUTOMATIC1111_MODEL,
            ProviderOperation.UPSCALE: settings.AUTOMATIC1111_UPSCALER,
            ProviderOperation.REMOVE_BACKGROUND: settings.AUTOMATIC1111_REMBG_MODEL,
        }.get(operation, "")

    def describe_settings(self) -> str:
        if not settings.AUTOMATIC1111_URL:
            return "Not configured: set AUTOMATIC1111_URL"
        extras = ["background removal on" if settings.AUTOMATIC1111_REMBG_MODEL else "background removal off"]
        if settings.AUTOMATIC1111_API_AUTH:
            extras.append("with a password")
        return f"Configured: {clean_detail(settings.AUTOMATIC1111_URL)} ({', '.join(extras)})"

    # -- HTTP ----------------------------------------------------------------------------------

    def _auth(self) -> httpx.BasicAuth | None:
        user, sep, password = settings.AUTOMATIC1111_API_AUTH.partition(":")
        return httpx.BasicAuth(user, password) if sep else None

    def _post(self, path: str, payload: dict) -> HttpAnswer:
        answer = post_json(
            service=self.label, url=settings.AUTOMATIC1111_URL.rstrip("/") + path, payload=payload, auth=self._auth()
        )
        if not answer.ok:
            raise_for_status(answer, detail=self._detail(answer))
        return answer

    def _detail(self, answer: HttpAnswer) -> str:
        body = answer.error_json()
        detail = body.get("detail")
        if isinstance(detail, list) and detail and isinstance(detail[0], dict):
            # FastAPI validation: [{"loc": ["body", "width"], "msg": "...", "type": "..."}]
            first = detail[0]
            where = ".".join(str(part) for part in first.get("loc", [])[1:])
            detail = f"{where}: {first.get('msg', '')}" if where else first.get("msg", "")
        text = body.get("errors") or detail or body.get("error") or ""
        password = settings.AUTOMATIC1111_API_AUTH.partition(":")[2]
        return clean_detail(text, secrets=(password,))

    def _image_from(self, answer: HttpAnswer, field: str) -> Image.Image:
        body = answer.json_object()
        value = body.get(field)
        if isinstance(value, list):
            value = value[0] if value else None
        if value is None:
            raise MalformedResponse(f"{self.label} answered without an image.", status_code=answer.status_code)
        return decode_base64_image(value, service=self.label, status_code=answer.status_code)

    # -- operations ----------------------------------------------------------------------------

    def generate_image(
        self,
        *,
        prompt: str,
        negative_prompt: str,
        size: tuple[int, int],
        seed: int,
        brand_colors: dict[str, str],
        model: str,
    ) -> ProviderImage:
        width, height = request_dimensions(size, settings.AUTOMATIC1111_MAX_SIDE)
        payload: dict = {
            "prompt": prompt,
            "negative_prompt": negative_prompt,
            "seed": seed % SEED_RANGE,
            "width": width,
            "height": height,
            "steps": settings.AUTOMATIC1111_STEPS,
            "cfg_scale": 7,
            "sampler_name": settings.AUTOMATIC1111_SAMPLER,
            "batch_size": 1,
            "n_iter": 1,
            "send_images": True,
            "save_images": False,
        }
        if model:
            payload["override_settings"] = {"sd_model_checkpoint": model}
            payload["override_settings_restore_afterwards"] = True
        answer = self._post("/sdapi/v1/txt2img", payload)
        image = self._image_from(answer, "images")
        return ProviderImage(
            image=image,
            status_code=answer.status_code,
            details={"request_size": f"{width}x{height}", "seed": seed % SEED_RANGE},
        )

    def upscale(self, *, image: Image.Image, factor: int, model: str) -> ProviderImage:
        if not model:
            raise ProviderError(f"{self.label} has no upscaler set (AUTOMATIC1111_UPSCALER).", code="provider_settings")
        payload = {
            "image": encode_png_base64(image),
            "resize_mode": 0,
            "upscaling_resize": factor,
            "upscaler_1": model,
            "show_extras_results": True,
        }
        answer = self._post("/sdapi/v1/extra-single-image", payload)
        return ProviderImage(image=self._image_from(answer, "image"), status_code=answer.status_code)

    def remove_background(self, *, image: Image.Image, model: str) -> ProviderImage:
        if not model:
            raise ProviderError(
                f"{self.label} has no background removal model set (AUTOMATIC1111_REMBG_MODEL).",
                code="provider_settings",
            )
        payload = {
            "input_image": encode_png_base64(image),
            "model": model,
            "return_mask": False,
            "alpha_matting": False,
        }
        answer = self._post("/rembg", payload)
        result = self._image_from(answer, "image")
        if result.mode != "RGBA":
            raise MalformedResponse(
                f"{self.label} sent back an image without transparency.", status_code=answer.status_code
            )
        return ProviderImage(image=result, status_code=answer.status_code)
