"""The rule form: conditions as up to three rows of metric, comparison, threshold and days."""

from decimal import Decimal

from django import forms

from campaigns.rules import engine
from campaigns.rules.models import RuleAction, RuleLevel, RuleMode

CONDITION_ROWS = 3
METRIC_CHOICES = [("", "—"), *engine.METRICS.items()]
OPERATOR_CHOICES = [("", "—"), *engine.OPERATOR_LABELS.items()]


class RuleForm(forms.Form):
    name = forms.CharField(max_length=120)
    level = forms.ChoiceField(choices=RuleLevel.choices, label="Watch")
    min_spend = forms.DecimalField(
        min_value=0, max_digits=12, decimal_places=2, initial=0, label="Only after spending at least"
    )
    min_impressions = forms.IntegerField(min_value=0, initial=0, label="Only after this many impressions")
    action = forms.ChoiceField(choices=RuleAction.choices)
    change_percent = forms.IntegerField(
        min_value=0, max_value=500, initial=0, required=False, label="Budget change (%)"
    )
    budget_floor = forms.DecimalField(min_value=0, decimal_places=2, required=False, label="Never below (budget)")
    budget_ceiling = forms.DecimalField(min_value=0, decimal_places=2, required=False, label="Never above (budget)")
    daily_change_cap_percent = forms.IntegerField(
        min_value=1, max_value=500, initial=30, label="At most this much change a day (%)"
    )
    cooldown_hours = forms.IntegerField(
        min_value=1, max_value=24 * 30, initial=24, label="Wait between firings (hours)"
    )
    mode = forms.ChoiceField(choices=RuleMode.choices, widget=forms.RadioSelect)
    enabled = forms.BooleanField(required=False, initial=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for n in range(1, CONDITION_ROWS + 1):
            self.fields[f"metric_{n}"] = forms.ChoiceField(
                choices=METRIC_CHOICES, required=n == 1, label=f"Condition {n}"
            )
            self.fields[f"operator_{n}"] = forms.ChoiceField(choices=OPERATOR_CHOICES, required=n == 1, label="is")
            self.fields[f"value_{n}"] = forms.DecimalField(
                required=n == 1, max_digits=14, decimal_places=4, label="than"
            )
            self.fields[f"days_{n}"] = forms.IntegerField(
                required=n == 1, min_value=1, max_value=engine.MAX_WINDOW_DAYS, initial=7, label="over the last (days)"
            )

    def clean(self):
        data = super().clean()
        for n in range(1, CONDITION_ROWS + 1):
            parts = [data.get(f"{p}_{n}") for p in ("metric", "operator", "value", "days")]
            if any(p not in (None, "") for p in parts) and not all(p not in (None, "") for p in parts):
                self.add_error(f"metric_{n}", "Fill in the whole condition, or leave it all empty.")
        return data

    def to_data(self) -> dict:
        data = self.cleaned_data
        conditions = [
            {
                "metric": data[f"metric_{n}"],
                "operator": data[f"operator_{n}"],
                "value": str(data[f"value_{n}"]),
                "days": data[f"days_{n}"],
            }
            for n in range(1, CONDITION_ROWS + 1)
            if data.get(f"metric_{n}")
        ]

        def minor(value):
            return None if value is None else int((value * 100).to_integral_value())

        return {
            "name": data["name"],
            "level": data["level"],
            "conditions": conditions,
            "min_spend": data["min_spend"],
            "min_impressions": data["min_impressions"],
            "action": data["action"],
            "change_percent": data.get("change_percent") or 0,
            "budget_floor": minor(data.get("budget_floor")),
            "budget_ceiling": minor(data.get("budget_ceiling")),
            "daily_change_cap_percent": data["daily_change_cap_percent"],
            "cooldown_hours": data["cooldown_hours"],
            "mode": data["mode"],
            "enabled": data["enabled"],
        }

    @classmethod
    def initial_from(cls, source: dict) -> dict:
        initial = {k: v for k, v in source.items() if k != "conditions"}
        for key in ("budget_floor", "budget_ceiling"):
            if initial.get(key) is not None:
                initial[key] = Decimal(initial[key]) / 100
        for n, condition in enumerate(source.get("conditions", []), start=1):
            for part in ("metric", "operator", "value", "days"):
                initial[f"{part}_{n}"] = condition.get(part)
        return initial
