"""Template helpers for forms and navigation."""

from django import forms, template
from django.urls import NoReverseMatch, reverse

register = template.Library()

CHECK_WIDGETS = (forms.CheckboxInput, forms.RadioSelect, forms.CheckboxSelectMultiple)


@register.simple_tag
def field_widget(bound_field):
    """Render a field's widget with Bootstrap classes and the accessibility attributes its state needs."""
    widget = bound_field.field.widget
    classes = []
    if isinstance(widget, forms.CheckboxInput):
        classes.append("form-check-input")
    elif isinstance(widget, forms.Select | forms.SelectMultiple):
        classes.append("form-select")
    elif getattr(widget, "input_type", "") == "color":
        classes.append("form-control form-control-color")
    elif not isinstance(widget, CHECK_WIDGETS):
        classes.append("form-control")
    attrs = {"class": " ".join([widget.attrs.get("class", ""), *classes]).strip()}
    described_by = []
    if bound_field.help_text:
        described_by.append(f"{bound_field.auto_id}_help")
    if bound_field.errors:
        attrs["class"] += " is-invalid"
        attrs["aria-invalid"] = "true"
        described_by.append(f"{bound_field.auto_id}_errors")
    if described_by:
        attrs["aria-describedby"] = " ".join(described_by)
    limit = widget.attrs.get("maxlength")
    if limit and isinstance(widget, forms.TextInput | forms.Textarea) and not isinstance(widget, forms.PasswordInput):
        # No maxlength: the browser would cut pasted text silently. The counter (static/js/app.js)
        # warns while typing and the form refuses an overlong value with a message.
        attrs["maxlength"] = False
        attrs["data-char-limit"] = limit
    return bound_field.as_widget(attrs=attrs)


@register.filter
def is_checkbox(bound_field) -> bool:
    return isinstance(bound_field.field.widget, forms.CheckboxInput)


@register.simple_tag(takes_context=True)
def nav_active(context, *url_names):
    """'active' when the current page is one of the named URLs or below them."""
    request = context.get("request")
    if request is None:
        return ""
    for name in url_names:
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        if request.path == url or (url != "/" and request.path.startswith(url)):
            return "active"
    return ""
