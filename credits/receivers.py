"""New users get their credit account, with the sign-up bonus, when they sign up."""

from allauth.account.signals import user_signed_up
from django.dispatch import receiver

from credits.services import get_or_open_account


@receiver(user_signed_up, dispatch_uid="credits_open_account_on_signup")
def open_account_on_signup(sender, request, user, **kwargs):
    get_or_open_account(user=user)
