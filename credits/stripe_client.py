"""The only module that talks to Stripe (CONVENTIONS: one client module per outside service).

Everything we send carries an idempotency key derived from our own row ids, so a
retried request never creates a second session, customer, product or refund.
Objects come back as plain dicts (`to_dict`), so the rest of the code does not
depend on the SDK's classes.
"""

import json
import logging
from typing import Any

import stripe
from django.conf import settings

from credits.errors import CreditError

logger = logging.getLogger(__name__)

SignatureVerificationError = stripe.SignatureVerificationError
InvalidRequestError = stripe.InvalidRequestError


class BillingUnavailable(CreditError):
    default_message = "Buying credits is switched off on this installation."


class StripeUnavailable(CreditError):
    default_message = "Stripe could not be reached. Nothing was charged; please try again in a minute."


def is_configured() -> bool:
    return bool(settings.STRIPE_SECRET_KEY)


def webhooks_configured() -> bool:
    return bool(settings.STRIPE_WEBHOOK_SECRET)


def _client() -> stripe.StripeClient:
    if not is_configured():
        raise BillingUnavailable()
    options: dict[str, Any] = {"max_network_retries": 2}
    if settings.STRIPE_API_BASE:
        options["base_addresses"] = {"api": settings.STRIPE_API_BASE}
    http_client = stripe.new_default_http_client(timeout=settings.STRIPE_TIMEOUT_SECONDS)
    return stripe.StripeClient(settings.STRIPE_SECRET_KEY, http_client=http_client, **options)


def _call(description: str, fn, *args, **kwargs) -> dict:
    try:
        return fn(*args, **kwargs).to_dict()
    except stripe.InvalidRequestError:
        raise
    except (stripe.APIConnectionError, stripe.RateLimitError, stripe.APIError) as error:
        logger.warning("Stripe call failed: %s (%s)", description, type(error).__name__)
        raise StripeUnavailable() from error


def _options(idempotency_key: str | None) -> dict:
    return {"idempotency_key": idempotency_key} if idempotency_key else {}


def create_customer(*, email: str, name: str, user_id: str, idempotency_key: str) -> dict:
    client = _client()
    params = {"email": email, "name": name, "metadata": {"user_id": user_id}}
    return _call("create customer", client.v1.customers.create, params=params, options=_options(idempotency_key))


def create_checkout_session(*, params: dict, idempotency_key: str) -> dict:
    client = _client()
    return _call(
        "create checkout session", client.v1.checkout.sessions.create, params=params, options=_options(idempotency_key)
    )


def retrieve_checkout_session(session_id: str) -> dict:
    client = _client()
    return _call("retrieve checkout session", client.v1.checkout.sessions.retrieve, session_id)


def create_portal_session(*, customer_id: str, return_url: str) -> dict:
    client = _client()
    params = {"customer": customer_id, "return_url": return_url}
    return _call("create portal session", client.v1.billing_portal.sessions.create, params=params)


def retrieve_subscription(subscription_id: str) -> dict:
    client = _client()
    return _call("retrieve subscription", client.v1.subscriptions.retrieve, subscription_id)


def retrieve_invoice(invoice_id: str) -> dict:
    client = _client()
    return _call("retrieve invoice", client.v1.invoices.retrieve, invoice_id)


def create_product(*, name: str, description: str, metadata: dict, idempotency_key: str) -> dict:
    client = _client()
    params: dict[str, Any] = {"name": name, "metadata": metadata}
    if description:
        params["description"] = description
    return _call("create product", client.v1.products.create, params=params, options=_options(idempotency_key))


def create_price(
    *, product_id: str, unit_amount: int, currency: str, interval: str | None, metadata: dict, idempotency_key: str
) -> dict:
    client = _client()
    params: dict[str, Any] = {
        "product": product_id,
        "unit_amount": unit_amount,
        "currency": currency,
        "metadata": metadata,
    }
    if interval:
        params["recurring"] = {"interval": interval}
    return _call("create price", client.v1.prices.create, params=params, options=_options(idempotency_key))


def create_refund(*, payment_intent_id: str, amount: int | None, idempotency_key: str) -> dict:
    client = _client()
    params: dict[str, Any] = {"payment_intent": payment_intent_id}
    if amount is not None:
        params["amount"] = amount
    return _call("create refund", client.v1.refunds.create, params=params, options=_options(idempotency_key))


def list_refunds(*, charge_id: str) -> list[dict]:
    """Every refund of a charge (a charge has a handful at most: one page of 100 covers it)."""
    client = _client()
    page = _call("list refunds", client.v1.refunds.list, params={"charge": charge_id, "limit": 100})
    return list(page.get("data") or [])


def retrieve_dispute(dispute_id: str) -> dict:
    client = _client()
    return _call("retrieve dispute", client.v1.disputes.retrieve, dispute_id)


def construct_event(*, payload: bytes, signature: str) -> dict:
    """Verify a webhook's signature over its raw body; raises SignatureVerificationError or ValueError."""
    if not webhooks_configured():
        raise SignatureVerificationError("No webhook secret is configured.", signature)
    # An event is a JSON object; anything else (an array, a number) is refused before the SDK sees it.
    if not isinstance(json.loads(payload), dict):
        raise ValueError("The webhook body is not a JSON object.")
    event = stripe.Webhook.construct_event(
        payload, signature, settings.STRIPE_WEBHOOK_SECRET, tolerance=settings.STRIPE_WEBHOOK_TOLERANCE_SECONDS
    )
    return event.to_dict()
