from django import forms

from credits.constants import TransactionType


class HistoryFilterForm(forms.Form):
    type = forms.ChoiceField(label="Kind", choices=[("", "All kinds"), *TransactionType.choices], required=False)
    date_from = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("date_from") and cleaned.get("date_to") and cleaned["date_from"] > cleaned["date_to"]:
            self.add_error("date_to", "The end date must be on or after the start date.")
        return cleaned


class AdjustCreditsForm(forms.Form):
    amount = forms.IntegerField(
        label="Credits", help_text="Positive to add, negative to remove. Removal never goes below what is available."
    )
    reason = forms.CharField(
        label="Reason", max_length=255, help_text="Shown in the user's history and the audit trail."
    )

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount == 0:
            raise forms.ValidationError("Enter a number other than zero.")
        if abs(amount) > 1_000_000:
            raise forms.ValidationError("Adjust by at most 1,000,000 credits at a time.")
        return amount


class RefundPaymentForm(forms.Form):
    amount = forms.DecimalField(
        label="Amount to refund",
        max_digits=10,
        decimal_places=2,
        help_text="Leave as it is to refund everything not refunded yet.",
    )
    confirm = forms.BooleanField(label="I have checked this refund with the customer", required=True)

    def __init__(self, *args, payment, **kwargs):
        super().__init__(*args, **kwargs)
        self.payment = payment
        self.fields["amount"].initial = payment.amount - payment.amount_refunded

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        remaining = self.payment.amount - self.payment.amount_refunded
        if amount <= 0 or amount > remaining:
            raise forms.ValidationError(f"Enter an amount between 0.01 and {remaining}.")
        return amount
