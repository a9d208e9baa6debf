"""Emails about a user's generations: "your ads are ready" and "your ads could not be made".

Sent through the platform's one email path (accounts.emails), under the user's
"generation_finished" preference, with a one-click unsubscribe. Called by the
job once its final state is committed.
"""

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from accounts import emails as account_emails
from generations.models import Asset, AssetKind, Generation, GenerationStatus

PREFERENCE = "generation_finished"


def _context(generation: Generation) -> dict:
    template_name = generation.template.name if generation.template_id else "your ad"
    return {
        "generation": generation,
        "template_name": template_name,
        "detail_url": f"{settings.SITE_URL}{reverse('generations:detail', args=[generation.pk])}",
    }


def send_generation_finished(*, generation_id) -> bool:
    """Email the owner of a completed or failed generation; False when nothing was sent."""
    generation = Generation.objects.select_related("user", "template").filter(pk=generation_id).first()
    if generation is None or generation.user is None:
        return False
    context = _context(generation)
    if generation.status == GenerationStatus.COMPLETED:
        results = list(
            Asset.objects.filter(generation=generation, kind=AssetKind.RESULT).order_by("format_key", "created_at")
        )
        inline = []
        formats = []
        for index, asset in enumerate(results):
            cid = f"ad-{index}@{settings.PRODUCT_NAME.lower()}"
            formats.append({"format": asset.format_key, "cid": cid, "width": asset.width, "height": asset.height})
            inline.append({"cid": cid, "name": (asset.thumbnail or asset.file).name})
        context["formats"] = formats
        return account_emails.send_email(
            user=generation.user,
            kind=PREFERENCE,
            template="generations/email/ready",
            subject=f"Your ads are ready: {context['template_name']}",
            context=context,
            inline_images=inline,
        )
    if generation.status == GenerationStatus.FAILED:
        return account_emails.send_email(
            user=generation.user,
            kind=PREFERENCE,
            template="generations/email/failed",
            subject=f"Your ads could not be made: {context['template_name']}",
            context=context,
        )
    return False


def send_generation_failed(*, generation_id) -> bool:
    """ "Your ads could not be made", only while the generation is failed (staff may have retried it since)."""
    if not Generation.objects.filter(pk=generation_id, status=GenerationStatus.FAILED).exists():
        return False
    return send_generation_finished(generation_id=generation_id)


def notify_on_commit(generation_id) -> None:
    """Send the finished email once the job's final state is committed (called inside the job's transaction)."""
    transaction.on_commit(lambda: send_generation_finished(generation_id=generation_id))
