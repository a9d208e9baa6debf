"""Generations: jobs that turn a template and a user's inputs into finished ads, the files they make
(assets), image operations on those files, collections, and what AI providers cost."""

import logging
from functools import partial

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import models, transaction
from django.db.models import Q, Sum

from craftplatform.jobs.models import ACTIVE_STATUSES, FINISHED_STATUSES, Job, JobStatus  # noqa: F401 (re-exported)
from craftplatform.models import MutableModel, TimestampedModel
from credits.models import CreditHold
from templates_app.models import AdTemplate

logger = logging.getLogger(__name__)


def _delete_stored(names: list[str]) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except Exception:  # one file that cannot go must not keep the others
            logger.exception("could not delete file from storage", extra={"file_name": name})


# Generations and image operations are jobs of the one runner (craftplatform.jobs): one vocabulary.
GenerationStatus = JobStatus
OperationStatus = JobStatus


class Visibility(models.TextChoices):
    PRIVATE = "private", "Private"
    PUBLIC = "public", "Public"


class VariationKind(models.TextChoices):
    SEED = "seed", "New seed"
    PALETTE = "palette", "Palette variant"
    COPY = "copy", "Copy variant"


class Generation(Job):
    """One request to render a template in one or more formats, and its lineage: everything needed to
    render it again exactly (template and spec version, inputs, brand kit as it was, seed, provider
    and model, prices)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="generations")
    # Templates used by generations are never deleted (soft delete only).
    template = models.ForeignKey(AdTemplate, on_delete=models.PROTECT, related_name="generations")
    spec_version = models.PositiveIntegerField()
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="variations")
    variation_kind = models.CharField(max_length=20, choices=VariationKind.choices, blank=True)

    # The queue priority, sent as the task message's priority: lower is served first (paid plans 1,
    # free 5; generations.services.priority).
    priority = models.PositiveSmallIntegerField(default=5)
    formats = models.JSONField(default=list, help_text="Format keys to render, in order.")
    # What the user asked for: {"texts": {slot: text}, "colors": {slot: hex}, "images": {slot: asset id},
    # "ai": {"copy": bool, "background": bool, "prompt": str}}.
    customization_data = models.JSONField(default=dict, blank=True)
    # What AI providers were asked and answered (copy variants chosen, image prompts), for lineage.
    prompt_data = models.JSONField(default=dict, blank=True)
    # Seed, palette variant, style, negative prompt and the like.
    parameters = models.JSONField(default=dict, blank=True)
    brand_snapshot = models.JSONField(default=dict, blank=True, help_text="The brand kit as it was at request time.")
    seed = models.BigIntegerField(default=0)
    provider = models.CharField(max_length=50, default="builtin")
    ai_model = models.CharField(max_length=100, blank=True)
    watermarked = models.BooleanField(default=False)

    credits_quoted = models.PositiveIntegerField(default=0)
    credits_used = models.PositiveIntegerField(default=0)
    # One hold per priced part: the renders, AI copy, the AI image. Success captures all, failure releases all.
    hold = models.ForeignKey(CreditHold, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    copy_hold = models.ForeignKey(CreditHold, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    image_hold = models.ForeignKey(CreditHold, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    provider_cost = models.DecimalField(max_digits=10, decimal_places=4, default=0)

    # {format_key: "queued" | "rendering" | "done" | "failed"}
    progress = models.JSONField(default=dict, blank=True)
    processing_time_ms = models.PositiveIntegerField(null=True, blank=True)

    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    feedback = models.TextField(blank=True)
    is_favorite = models.BooleanField(default=False)
    visibility = models.CharField(max_length=20, choices=Visibility.choices, default=Visibility.PRIVATE)
    # A request submitted twice (double click, retried POST) creates one generation.
    request_key = models.CharField(max_length=100, null=True, blank=True)  # noqa: DJ001 (NULL: no key, not unique)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="gen_user_created_idx"),
            models.Index(fields=["status"], name="gen_status_idx"),
            models.Index(fields=["created_at"], name="gen_created_idx"),
            models.Index(fields=["ai_model"], name="gen_ai_model_idx"),
            models.Index(
                fields=["priority", "status"],
                name="gen_active_priority_idx",
                condition=Q(status__in=["queued", "processing"]),
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["user", "request_key"], name="gen_unique_request_key"),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5), name="gen_rating_1_to_5"
            ),
            models.CheckConstraint(condition=Q(priority__gte=1, priority__lte=10), name="gen_priority_1_to_10"),
        ]

    job_task = "generations.tasks.generation.render_generation_task"
    max_attempts_setting = "GENERATION_MAX_ATTEMPTS"
    lease_seconds_setting = "GENERATION_TIME_LIMIT_SECONDS"
    failure_notice_task = "generations.tasks.notifications.send_generation_failed_task"  # "could not be made"
    queue_priority_field = "priority"

    def __str__(self) -> str:
        return f"{self.template.name} ({self.get_status_display()}) for {self.user}"

    def job_hold_ids(self) -> list:
        return [hold_id for hold_id in (self.hold_id, self.copy_hold_id, self.image_hold_id) if hold_id]

    def on_job_failed(self) -> list[str]:
        """In the failing transaction: formats not done are marked failed, what providers cost is
        recorded, and an AI background made for the job (never paid for) goes with it."""
        self.progress = {key: ("done" if state == "done" else "failed") for key, state in self.progress.items()}
        self.provider_cost = ProviderCall.objects.filter(generation=self).aggregate(total=Sum("cost"))["total"] or 0
        orphans = list(Asset.objects.filter(generation=self, kind=AssetKind.AI_IMAGE))
        names = [name for asset in orphans for name in (asset.file.name, asset.thumbnail.name) if name]
        Asset.objects.filter(pk__in=[asset.pk for asset in orphans]).delete()
        if names:
            transaction.on_commit(partial(_delete_stored, names))
        return ["progress", "provider_cost"]


class AssetKind(models.TextChoices):
    UPLOAD = "upload", "Upload"
    RESULT = "result", "Generated ad"
    OPERATION = "operation", "Image operation result"
    AI_IMAGE = "ai_image", "AI image"


class AssetStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    EXPIRED = "expired", "Expired"


def asset_upload_to(instance: "Asset", filename: str) -> str:
    # Services pass a readable name (brand, template, format, date); it sits under the owner's folder.
    return f"assets/{instance.user_id}/{filename}"


class Asset(MutableModel):
    """A file the user owns: an upload, a rendered ad, an AI image or an image operation's result."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assets")
    generation = models.ForeignKey(Generation, null=True, blank=True, on_delete=models.CASCADE, related_name="assets")
    source = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="derived",
        help_text="The image this one was made from (image operations).",
    )
    kind = models.CharField(max_length=20, choices=AssetKind.choices)
    format_key = models.CharField(max_length=8, blank=True, help_text="Ad format (1:1, 4:5, 9:16, 16:9) of a result.")
    file = models.FileField(upload_to=asset_upload_to, max_length=500, blank=True)
    thumbnail = models.FileField(upload_to=asset_upload_to, max_length=500, blank=True)
    original_filename = models.CharField(max_length=255, blank=True)
    mime_type = models.CharField(max_length=100, blank=True)
    file_format = models.CharField(max_length=10, blank=True, help_text="png, jpeg, webp or svg.")
    size_bytes = models.PositiveBigIntegerField(default=0)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=20, choices=AssetStatus.choices, default=AssetStatus.ACTIVE)
    expires_at = models.DateTimeField(null=True, blank=True)
    is_favorite = models.BooleanField(default=False)
    # SHA-256 of the stored bytes of an upload: the same photo uploaded again is the same asset.
    content_hash = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["user", "kind", "-created_at"], name="asset_user_kind_created_idx"),
            models.Index(fields=["kind", "created_at"], name="asset_kind_created_idx"),
            models.Index(fields=["status", "expires_at"], name="asset_status_expiry_idx"),
        ]
        constraints = [
            # Running a generation's job twice never stores a format twice.
            models.UniqueConstraint(
                fields=["generation", "format_key"],
                condition=Q(kind="result"),
                name="asset_one_result_per_format",
            ),
            # One active upload per content: what upload_dedupe's check stands on when two requests race.
            models.UniqueConstraint(
                fields=["user", "content_hash"],
                condition=Q(kind="upload", status="active") & ~Q(content_hash=""),
                name="asset_one_upload_per_content",
            ),
        ]

    def __str__(self) -> str:
        return self.original_filename or self.file.name or str(self.pk)

    @property
    def is_expired(self) -> bool:
        return self.status == AssetStatus.EXPIRED

    @property
    def display_name(self) -> str:
        return self.original_filename or (self.file.name.rsplit("/", 1)[-1] if self.file else str(self.pk))


class OperationType(models.TextChoices):
    UPSCALE = "upscale", "Upscale"
    REMOVE_BACKGROUND = "remove_background", "Remove background"
    VECTORIZE = "vectorize", "Vectorize to SVG"


class ImageOperation(Job):
    """Upscale, background removal or vectorisation of one of the user's images, priced and held."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="image_operations")
    source = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="operations")
    result = models.ForeignKey(Asset, null=True, blank=True, on_delete=models.SET_NULL, related_name="made_by")
    operation_type = models.CharField(max_length=30, choices=OperationType.choices)
    parameters = models.JSONField(default=dict, blank=True, help_text="For example {'factor': 4}.")
    provider = models.CharField(max_length=50, default="builtin")
    credits_quoted = models.PositiveIntegerField(default=0)
    credits_used = models.PositiveIntegerField(default=0)
    hold = models.ForeignKey(CreditHold, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    api_cost = models.DecimalField(max_digits=10, decimal_places=4, default=0)
    processing_time_ms = models.PositiveIntegerField(null=True, blank=True)
    request_key = models.CharField(max_length=100, null=True, blank=True)  # noqa: DJ001 (NULL: no key, not unique)
    # As Generation.priority: the task message's priority, lower served first (paid plans first).
    priority = models.PositiveSmallIntegerField(default=5)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["source"], name="imgop_source_idx"),
            models.Index(fields=["status"], name="imgop_status_idx"),
            models.Index(fields=["created_at"], name="imgop_created_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["user", "request_key"], name="imgop_unique_request_key"),
            models.CheckConstraint(condition=Q(priority__gte=0, priority__lte=9), name="imgop_priority_0_to_9"),
        ]

    job_task = "generations.tasks.operations.run_image_operation_task"
    max_attempts_setting = "GENERATION_MAX_ATTEMPTS"
    lease_seconds_setting = "GENERATION_TIME_LIMIT_SECONDS"
    queue_priority_field = "priority"

    def __str__(self) -> str:
        return f"{self.get_operation_type_display()} of {self.source} ({self.get_status_display()})"

    def job_hold_ids(self) -> list:
        return [self.hold_id] if self.hold_id else []


class Collection(MutableModel):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="collections")
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    is_public = models.BooleanField(default=False)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="collection_unique_name_per_user")]

    def __str__(self) -> str:
        return self.name


class CollectionItem(TimestampedModel):
    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="items")
    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="collection_items")
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "created_at"]
        constraints = [
            models.UniqueConstraint(fields=["collection", "asset"], name="collection_item_unique_asset"),
        ]

    def __str__(self) -> str:
        return f"{self.asset} in {self.collection}"


class ProviderKind(models.TextChoices):
    BUILTIN = "builtin", "Built-in offline renderer"
    OPENAI = "openai", "OpenAI-compatible"
    AUTOMATIC1111 = "automatic1111", "Automatic1111 / Stable Diffusion web UI"


class ProviderOperation(models.TextChoices):
    IMAGE = "image", "Image generation"
    COPY = "copy", "Copy variants"
    UPSCALE = "upscale", "Upscale"
    REMOVE_BACKGROUND = "remove_background", "Background removal"
    VECTORIZE = "vectorize", "Vectorize"


class AIProvider(MutableModel):
    """Staff switch for a provider. A provider is used only when it is enabled here and configured by
    its environment variables (URL, key)."""

    key = models.CharField(max_length=50, choices=ProviderKind.choices, unique=True)
    enabled = models.BooleanField(default=False)
    image_model = models.CharField(max_length=100, blank=True)
    chat_model = models.CharField(max_length=100, blank=True)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["key"]
        verbose_name = "AI provider"

    def __str__(self) -> str:
        return self.get_key_display()


class ProviderPrice(MutableModel):
    """What one call costs us at a provider, from a date on."""

    provider = models.CharField(max_length=50, choices=ProviderKind.choices)
    operation = models.CharField(max_length=30, choices=ProviderOperation.choices)
    model = models.CharField(max_length=100, blank=True, help_text="Blank: any model of this provider.")
    cost_per_call = models.DecimalField(max_digits=10, decimal_places=4)
    currency = models.CharField(max_length=3, default="USD")
    effective_date = models.DateField()
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["provider", "operation", "-effective_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "operation", "model", "effective_date"], name="provider_price_unique"
            ),
            models.CheckConstraint(condition=Q(cost_per_call__gte=0), name="provider_price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.operation} {self.model or '*'}: {self.cost_per_call} {self.currency}"


class CallStatus(models.TextChoices):
    SUCCESS = "success", "Success"
    RATE_LIMITED = "rate_limited", "Rate limited"
    SERVER_ERROR = "server_error", "Server error"
    TIMEOUT = "timeout", "Timed out"
    MALFORMED = "malformed", "Malformed answer"
    REFUSED = "refused", "Refused by content policy"
    ERROR = "error", "Error"


class ProviderCall(TimestampedModel):
    """One call to an AI provider: who, what for, how long, how it ended, what it cost."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    generation = models.ForeignKey(
        Generation, null=True, blank=True, on_delete=models.SET_NULL, related_name="provider_calls"
    )
    image_operation = models.ForeignKey(
        ImageOperation, null=True, blank=True, on_delete=models.SET_NULL, related_name="provider_calls"
    )
    provider = models.CharField(max_length=50, choices=ProviderKind.choices)
    operation = models.CharField(max_length=30, choices=ProviderOperation.choices)
    model = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=20, choices=CallStatus.choices)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(default=0)
    cost = models.DecimalField(max_digits=10, decimal_places=4, default=0)
    attempt = models.PositiveSmallIntegerField(default=1)
    # A summary without secrets or image bytes: prompt length, size asked for, and the like.
    request_summary = models.JSONField(default=dict, blank=True)
    error_message = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["provider", "created_at"], name="provcall_provider_created_idx"),
            models.Index(fields=["user", "created_at"], name="provcall_user_created_idx"),
            models.Index(fields=["status"], name="provcall_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.operation} {self.status} ({self.latency_ms} ms)"
