from credits.models import CreditAccount


def credits(request):
    """The signed-in user's available credits for the top bar; read only when a page shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def available():
        row = CreditAccount.objects.filter(user=user).values_list("balance", "reserved").first()
        return None if row is None else row[0] - row[1]

    # A callable: the template calls it (one query) only where it is shown.
    return {"credits_available": available}
