from django import forms


class ChooseAccountsForm(forms.Form):
    ad_accounts = forms.MultipleChoiceField(label="Ad accounts to publish in", widget=forms.CheckboxSelectMultiple)
    page = forms.ChoiceField(label="Facebook Page the ads run as", required=False)
    use_instagram = forms.BooleanField(label="Also publish as the Page's Instagram account", required=False)

    def __init__(self, *args, connection, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ad_accounts"].choices = [
            (
                str(a.pk),
                f"{a.name} ({a.account_id}, {a.currency}, {a.timezone_name})"
                + ("" if a.is_usable else " — not active at Meta"),
            )
            for a in connection.ad_accounts.all()
        ]
        self.fields["ad_accounts"].initial = [str(a.pk) for a in connection.ad_accounts.all() if a.selected]
        self.fields["page"].choices = [("", "— none —")] + [
            (str(p.pk), p.name + (" (with Instagram)" if p.instagram_actor_id else "")) for p in connection.pages.all()
        ]
        selected = next((p for p in connection.pages.all() if p.selected), None)
        self.fields["page"].initial = str(selected.pk) if selected else ""
        self.fields["use_instagram"].initial = bool(selected and selected.use_instagram)
