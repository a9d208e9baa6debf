"""Every write to templates goes through these functions (DESIGN.md section 3)."""

from templates_app.services.favorites import set_favorite, toggle_favorite  # noqa: F401
from templates_app.services.fonts import (  # noqa: F401
    MAX_BRAND_FONTS,
    BrandFontError,
    BrandFontNotFound,
    FontDeletion,
    delete_brand_font,
    extra_fonts_for_user,
    render_font_preview,
    upload_brand_font,
)
from templates_app.services.library import LibraryReport, load_template_library  # noqa: F401
from templates_app.services.metrics import (  # noqa: F401
    CSV_HELP,
    MetricsImportError,
    MetricsImportReport,
    import_metrics_csv,
    refresh_metric_summaries,
)
from templates_app.services.templates import (  # noqa: F401
    LIVE_PREVIEW_SCALE,
    PREVIEW_SCALE,
    THUMBNAIL_SIZE,
    PreparedSpec,
    SaveOutcome,
    SlugTaken,
    TemplateError,
    TemplateNotFound,
    create_template,
    duplicate_template,
    prepare_spec,
    record_template_use,
    render_live_preview,
    save_template,
    save_template_spec,
    set_active,
    set_featured,
)
