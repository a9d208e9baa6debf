from credits.models import CreditAccount
from credits.services.ledger import projected_available


def credits(request):
    """The signed-in user's available credits for the top bar; read only when a page shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def available():
        account = CreditAccount.objects.filter(user=user).first()
        # Counts today's free credits before the first action of the day grants them, like the credits page.
        return None if account is None else projected_available(account)

    # A callable: the template calls it (one query) only where it is shown.
    return {"credits_available": available}
