"""Loading the shipped template library (templates_app/library/*.json) into the database.

Idempotent: templates are matched on their slug; a template whose file has not changed since
it was last loaded is left alone (so staff edits to it in the admin survive a reload), one whose
file changed is updated (a new spec version and new renders only when the spec itself changed),
and a new file creates its template. Nothing is ever deleted: a library template whose file is
gone is reported as no longer shipped, and deactivated only when asked (`deactivate_missing`).
Templates staff created in the admin are never touched.
"""

import hashlib
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction

from accounts import services as account_services
from templates_app.constants import CampaignType, Industry, TemplateStyle
from templates_app.errors import TemplateSpecError
from templates_app.models import AdTemplate, Category
from templates_app.services.templates import TemplateError, save_template, set_active

logger = logging.getLogger(__name__)

LIBRARY_DIR = Path(settings.BASE_DIR) / "templates_app" / "library"
CATEGORIES_FILE = "categories.json"
TEMPLATE_KEYS = {"slug", "name", "description", "industry", "style", "campaign_type", "categories", "tags", "featured"}
CATEGORY_FIELDS = ("name", "description", "icon", "display_order")


@dataclass
class LibraryReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    rendered: list[str] = field(default_factory=list)
    categories_created: list[str] = field(default_factory=list)
    categories_updated: list[str] = field(default_factory=list)
    no_longer_shipped: list[str] = field(default_factory=list)
    deactivated: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(
            self.created or self.updated or self.categories_created or self.categories_updated or self.deactivated
        )


class LibraryFileError(ValueError):
    pass


def _checksum(document: dict) -> str:
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _read_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise LibraryFileError(f"{path.name}: not readable JSON ({exc}).") from exc


def _load_categories(directory: Path, report: LibraryReport) -> None:
    path = directory / CATEGORIES_FILE
    if not path.is_file():
        return
    document = _read_json(path)
    entries = document.get("categories") if isinstance(document, dict) else document
    if not isinstance(entries, list):
        raise LibraryFileError(f"{CATEGORIES_FILE}: expected a list of categories.")
    for position, entry in enumerate(entries):
        if not isinstance(entry, dict) or not entry.get("slug") or not entry.get("name"):
            raise LibraryFileError(f"{CATEGORIES_FILE}: entry {position + 1} needs a slug and a name.")
        wanted = {
            "name": str(entry["name"])[:100],
            "description": str(entry.get("description", "")),
            "icon": str(entry.get("icon", ""))[:100],
            "display_order": int(entry.get("display_order", (position + 1) * 10)),
        }
        category = Category.objects.filter(slug=entry["slug"]).first()
        if category is None:
            Category.objects.create(slug=entry["slug"], is_active=True, **wanted)
            report.categories_created.append(entry["slug"])
        elif any(getattr(category, name) != value for name, value in wanted.items()):
            for name, value in wanted.items():
                setattr(category, name, value)
            category.save()
            report.categories_updated.append(entry["slug"])


def _check_document(document, path: Path) -> dict:
    if not isinstance(document, dict):
        raise LibraryFileError(f"{path.name}: expected a JSON object.")
    problems = []
    for key in ("slug", "name", "industry", "style", "campaign_type", "spec"):
        if not document.get(key):
            problems.append(f"“{key}” is missing")
    unknown = set(document) - TEMPLATE_KEYS - {"spec"}
    if unknown:
        problems.append(f"unknown keys {', '.join(sorted(unknown))}")
    choices = (("industry", Industry), ("style", TemplateStyle), ("campaign_type", CampaignType))
    for key, choice in choices:
        if document.get(key) and document[key] not in choice.values:
            problems.append(f"{key} “{document[key]}” is not one of {', '.join(choice.values)}")
    if not isinstance(document.get("categories", []), list) or not isinstance(document.get("tags", []), list):
        problems.append("categories and tags must be lists")
    if problems:
        raise LibraryFileError(f"{path.name}: {'; '.join(problems)}.")
    return document


def _load_template(path: Path, categories: dict[str, Category], report: LibraryReport, force_render: bool) -> str:
    document = _check_document(_read_json(path), path)
    slug = document["slug"]
    checksum = _checksum(document)
    existing = AdTemplate.objects.filter(slug=slug).first()
    if existing is not None:
        library = (existing.metadata or {}).get("library")
        if not library:
            raise LibraryFileError(f"{path.name}: the slug “{slug}” belongs to a template made in the admin.")
        if library.get("checksum") == checksum and not force_render:
            report.unchanged.append(slug)
            return slug
    unknown = [name for name in document.get("categories", []) if name not in categories]
    if unknown:
        raise LibraryFileError(f"{path.name}: unknown categories {', '.join(unknown)} (see {CATEGORIES_FILE}).")

    template = existing or AdTemplate(slug=slug, is_active=True)
    template.name = document["name"]
    template.description = document.get("description", "")
    template.industry = document["industry"]
    template.style = document["style"]
    template.campaign_type = document["campaign_type"]
    template.tags = document.get("tags", [])
    template.is_featured = bool(document.get("featured", False))
    template.metadata = {**(template.metadata or {}), "library": {"file": path.name, "checksum": checksum}}
    outcome = save_template(
        template=template,
        spec=document["spec"],
        categories=[categories[name] for name in document.get("categories", [])],
        force_render=force_render,
    )
    (report.created if outcome.created else report.updated).append(slug)
    if outcome.rendered:
        report.rendered.append(slug)
    for warning in outcome.warnings:
        logger.info("Layout warning in %s: %s", path.name, warning.message)
    return slug


def load_template_library(
    *, path: Path | str | None = None, deactivate_missing: bool = False, force_render: bool = False, actor=None
) -> LibraryReport:
    """Create and update the library's categories and templates; see the module docstring."""
    directory = Path(path) if path else LIBRARY_DIR
    report = LibraryReport()
    if not directory.is_dir():
        report.errors.append(f"{directory}: no such folder.")
        return report
    try:
        with transaction.atomic():
            _load_categories(directory, report)
    except LibraryFileError as exc:
        report.errors.append(str(exc))
    categories = {category.slug: category for category in Category.objects.all()}

    shipped: set[str] = set()
    failed_files: set[str] = set()
    for file in sorted(directory.glob("*.json")):
        if file.name == CATEGORIES_FILE:
            continue
        try:
            shipped.add(_load_template(file, categories, report, force_render))
        except TemplateSpecError as exc:
            problems = "; ".join(f"{where}: {what}" if where else what for where, what in exc.problems)
            report.errors.append(f"{file.name}: the spec is not valid: {problems}")
            failed_files.add(file.name)
        except TemplateError as exc:
            report.errors.append(f"{file.name}: {exc.message}")
            failed_files.add(file.name)
        except LibraryFileError as exc:
            report.errors.append(str(exc))
            failed_files.add(file.name)

    # A file that failed to load is still shipped: its template is not "missing".
    missing = [
        template
        for template in AdTemplate.objects.filter(metadata__has_key="library").only(
            "pk", "slug", "is_active", "metadata"
        )
        if template.slug not in shipped and template.metadata["library"].get("file") not in failed_files
    ]
    report.no_longer_shipped = sorted(template.slug for template in missing)
    if deactivate_missing:
        active = [template for template in missing if template.is_active]
        set_active(templates=active, active=False, actor=actor)
        report.deactivated = sorted(template.slug for template in active)

    if report.changed:
        account_services.record_audit_event(
            actor=actor,
            action="templates.library_loaded",
            details={
                "created": report.created,
                "updated": report.updated,
                "categories_created": report.categories_created,
                "categories_updated": report.categories_updated,
                "deactivated": report.deactivated,
            },
        )
    return report
