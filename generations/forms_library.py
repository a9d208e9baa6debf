"""Forms of the library pages: the filters of "my generations", rating, collections."""

from django import forms

from generations.models import GenerationStatus
from generations.selectors import LibraryFilters
from generations.services.library import (
    COLLECTION_DESCRIPTION_MAX_CHARS,
    COLLECTION_NAME_MAX_CHARS,
    FEEDBACK_MAX_CHARS,
)
from templates_app.spec import FORMAT_KEYS

RATING_CHOICES = [(value, f"{value} star{'s' if value > 1 else ''}") for value in range(1, 6)]


class LibraryFilterForm(forms.Form):
    """GET filters; a value that does not validate is shown beside its field and ignored."""

    status = forms.ChoiceField(choices=[("", "Any status"), *GenerationStatus.choices], required=False)
    template = forms.ChoiceField(choices=[("", "Any template")], required=False)
    format = forms.ChoiceField(choices=[("", "Any format"), *((key, key) for key in FORMAT_KEYS)], required=False)
    date_from = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    date_to = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    favorites = forms.BooleanField(label="Only favourites", required=False)

    def __init__(self, *args, templates: list[tuple], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["template"].choices = [("", "Any template"), *((str(pk), name) for pk, name in templates)]

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end date is before the start date.")
            cleaned.pop("date_to", None)
        return cleaned

    def filters(self) -> LibraryFilters:
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return LibraryFilters(
            status=data.get("status") or "",
            template_id=data.get("template") or None,
            format=data.get("format") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            favorites=bool(data.get("favorites")),
        )


class RatingForm(forms.Form):
    rating = forms.TypedChoiceField(
        choices=RATING_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose a rating from 1 to 5 stars.", "invalid_choice": "Choose 1 to 5 stars."},
    )
    feedback = forms.CharField(
        label="Feedback (optional)",
        required=False,
        max_length=FEEDBACK_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What worked, what did not: it helps us improve the templates.",
    )


class CollectionForm(forms.Form):
    name = forms.CharField(max_length=COLLECTION_NAME_MAX_CHARS)
    description = forms.CharField(
        required=False, max_length=COLLECTION_DESCRIPTION_MAX_CHARS, widget=forms.Textarea(attrs={"rows": 2})
    )


class AddToCollectionForm(forms.Form):
    asset_id = forms.UUIDField(widget=forms.HiddenInput)
    collection_id = forms.ChoiceField(label="Collection", required=False)
    new_name = forms.CharField(label="Or a new collection", required=False, max_length=COLLECTION_NAME_MAX_CHARS)

    def __init__(self, *args, collections: list, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["collection_id"].choices = [
            ("", "Choose a collection"),
            *((str(c.pk), c.name) for c in collections),
        ]
        self.has_collections = bool(collections)
        if not collections:
            # Nothing to choose from: "Or a new collection" would answer a question never asked.
            self.fields["new_name"].label = "New collection name"

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("collection_id") and not (cleaned.get("new_name") or "").strip():
            if self.has_collections:
                self.add_error("collection_id", "Choose a collection, or name a new one.")
            else:
                self.add_error("new_name", "Name your new collection.")
        return cleaned
