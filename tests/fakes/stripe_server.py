"""A local fake of the parts of Stripe's API CraftAds uses, answering over HTTP like Stripe.

localstripe has no Checkout Sessions, Prices or Billing Portal (DESIGN.md section 9),
so this fake covers: customers, products, prices, Checkout sessions (payment and
subscription mode) with a hosted payment page, subscriptions, invoices, refunds and
the Billing Portal; it sends events as signed webhooks, or keeps them for a test to
deliver itself (twice, out of order). The Stripe SDK talks to it unchanged through
`STRIPE_API_BASE`. Requests are form-encoded the way the SDK sends them; answers are
JSON objects with Stripe's shapes and error format. Idempotency keys replay the
first answer.

Test controls live under `/_test/` (never a Stripe path) and as methods on
`FakeStripe`.
"""

import hashlib
import hmac
import html
import itertools
import json
import threading
import time
import urllib.request
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

API_VERSION = "2025-03-31.basil"
PERIOD = 30 * 24 * 3600


def sign(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """A Stripe-Signature header value for `payload` (what Stripe computes)."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def _set_path(target: dict, keys: list[str], value: str) -> None:
    node: Any = target
    for index, key in enumerate(keys):
        last = index == len(keys) - 1
        nxt = None if last else keys[index + 1]
        container_for_next: Any = [] if (nxt == "" or (nxt or "").isdigit()) else {}
        if isinstance(node, list):
            position = len(node) if key == "" else int(key)
            while len(node) <= position:
                node.append(None)
            if last:
                node[position] = value
            else:
                if node[position] is None:
                    node[position] = container_for_next
                node = node[position]
        else:
            if last:
                node[key] = value
            else:
                node = node.setdefault(key, container_for_next)


def parse_form(body: bytes) -> dict:
    """Stripe's form encoding (`metadata[user_id]=…`, `line_items[0][price]=…`) into nested dicts and lists."""
    result: dict = {}
    for raw_key, value in parse_qsl(body.decode(), keep_blank_values=True):
        head, _, rest = raw_key.partition("[")
        keys = [head] + ([part.rstrip("]") for part in ("[" + rest).split("[")[1:]] if rest else [])
        _set_path(result, keys, value)
    return result


class StripeError(Exception):
    def __init__(self, status: int, message: str, type_: str = "invalid_request_error", code: str = "") -> None:
        super().__init__(message)
        self.status, self.message, self.type, self.code = status, message, type_, code


class FakeStripe:
    """The fake's state and behaviour; `FakeStripeServer` puts it on a port."""

    def __init__(self, *, webhook_secret: str) -> None:
        self.webhook_secret = webhook_secret
        self.webhook_url: str | None = None
        self.base_url = ""
        self.lock = threading.RLock()
        self.objects: dict[str, dict[str, dict]] = {}
        self.events: list[dict] = []
        self.requests: list[tuple[str, str, dict]] = []
        self.idempotent: dict[str, tuple[int, dict]] = {}
        self.fail_next: list[tuple[int, str]] = []
        self.pending_after_response: list[dict] = []
        # Called with (method, path) as each API request arrives, before it is answered: a test
        # looks at our database while our code waits for Stripe.
        self.on_request: Callable[[str, str], None] | None = None
        self._ids = itertools.count(1)

    # -- helpers -----------------------------------------------------------
    def new_id(self, prefix: str) -> str:
        return f"{prefix}_test_{next(self._ids):06d}"

    def store(self, kind: str, obj: dict) -> dict:
        self.objects.setdefault(kind, {})[obj["id"]] = obj
        return obj

    def get(self, kind: str, object_id: str) -> dict:
        try:
            return self.objects[kind][object_id]
        except KeyError:
            raise StripeError(404, f"No such {kind}: '{object_id}'", code="resource_missing") from None

    def emit(self, type_: str, obj: dict) -> dict:
        event = {
            "id": self.new_id("evt"),
            "object": "event",
            "api_version": API_VERSION,
            "created": int(time.time()),
            "livemode": False,
            "type": type_,
            "data": {"object": json.loads(json.dumps(obj))},
        }
        self.events.append(event)
        return event

    def deliver(self, event: dict, url: str | None = None) -> int:
        """POST one event, signed, to the webhook URL; returns the HTTP status."""
        payload = json.dumps(event).encode()
        request = urllib.request.Request(
            url or self.webhook_url or "",
            data=payload,
            headers={"Content-Type": "application/json", "Stripe-Signature": sign(payload, self.webhook_secret)},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    def _send(self, events: list[dict]) -> None:
        if self.webhook_url:
            for event in events:
                self.deliver(event)

    # -- API ---------------------------------------------------------------
    def handle(self, method: str, path: str, params: dict) -> dict:
        self.requests.append((method, path, params))
        if self.on_request is not None:
            self.on_request(method, path)
        if self.fail_next:
            status, message = self.fail_next.pop(0)
            raise StripeError(status, message, type_="api_error")
        parts = [part for part in path.split("/") if part]
        if parts[:1] != ["v1"]:
            raise StripeError(404, f"Unrecognized request URL ({method}: {path}).")
        route = parts[1:]
        with self.lock:
            if method == "POST" and route == ["customers"]:
                return self.store(
                    "customer",
                    {
                        "id": self.new_id("cus"),
                        "object": "customer",
                        "email": params.get("email"),
                        "name": params.get("name"),
                        "metadata": params.get("metadata", {}),
                    },
                )
            if method == "POST" and route == ["products"]:
                return self.store(
                    "product",
                    {
                        "id": self.new_id("prod"),
                        "object": "product",
                        "name": params["name"],
                        "description": params.get("description"),
                        "metadata": params.get("metadata", {}),
                        "active": True,
                    },
                )
            if method == "POST" and route == ["prices"]:
                self.get("product", params["product"])
                recurring = params.get("recurring")
                return self.store(
                    "price",
                    {
                        "id": self.new_id("price"),
                        "object": "price",
                        "product": params["product"],
                        "unit_amount": int(params["unit_amount"]),
                        "currency": params["currency"],
                        "recurring": {"interval": recurring["interval"]} if recurring else None,
                        "type": "recurring" if recurring else "one_time",
                        "metadata": params.get("metadata", {}),
                        "active": True,
                    },
                )
            if method == "POST" and route == ["checkout", "sessions"]:
                return self._create_session(params)
            if method == "GET" and route[:2] == ["checkout", "sessions"] and len(route) == 3:
                return self._expanded_session(self.get("checkout.session", route[2]))
            if method == "POST" and route == ["billing_portal", "sessions"]:
                self.get("customer", params["customer"])
                return {
                    "id": self.new_id("bps"),
                    "object": "billing_portal.session",
                    "customer": params["customer"],
                    "return_url": params.get("return_url"),
                    "url": f"{self.base_url}/portal/{params['customer']}",
                }
            if method == "GET" and route[:1] == ["subscriptions"] and len(route) == 2:
                return self.get("subscription", route[1])
            if method == "GET" and route[:1] == ["invoices"] and len(route) == 2:
                return self.get("invoice", route[1])
            if method == "POST" and route == ["refunds"]:
                return self._refund(params)
            if method == "GET" and route == ["refunds"]:
                refunds = [r for r in self.objects.get("refund", {}).values() if r["charge"] == params.get("charge")]
                return {"object": "list", "data": refunds, "has_more": False, "url": "/v1/refunds"}
            if method == "GET" and route[:1] == ["disputes"] and len(route) == 2:
                return self.get("dispute", route[1])
        raise StripeError(404, f"Unrecognized request URL ({method}: {path}).")

    def _create_session(self, params: dict) -> dict:
        mode = params.get("mode")
        if mode not in {"payment", "subscription"}:
            raise StripeError(
                400, "Invalid mode: must be one of payment, setup, or subscription", code="parameter_invalid"
            )
        for key in ("success_url", "cancel_url", "line_items"):
            if not params.get(key):
                raise StripeError(400, f"Missing required param: {key}.", code="parameter_missing")
        item = params["line_items"][0]
        price = self.get("price", item["price"])
        if (price["type"] == "recurring") != (mode == "subscription"):
            raise StripeError(400, f"The price {price['id']} is not a {mode} price.")
        if params.get("customer"):
            self.get("customer", params["customer"])
        session_id = self.new_id("cs")
        return self.store(
            "checkout.session",
            {
                "id": session_id,
                "object": "checkout.session",
                "mode": mode,
                "status": "open",
                "payment_status": "unpaid",
                "customer": params.get("customer"),
                "client_reference_id": params.get("client_reference_id"),
                "metadata": params.get("metadata", {}),
                "amount_total": price["unit_amount"] * int(item.get("quantity", 1)),
                "currency": price["currency"],
                "success_url": params["success_url"],
                "cancel_url": params["cancel_url"],
                "url": f"{self.base_url}/pay/{session_id}",
                "payment_intent": None,
                "subscription": None,
                "invoice": None,
                "_price": price["id"],
                "_subscription_data": params.get("subscription_data", {}),
                "_payment_intent_data": params.get("payment_intent_data", {}),
                "_invoice_creation": (params.get("invoice_creation") or {}).get("enabled") == "true",
            },
        )

    def _expanded_session(self, session: dict) -> dict:
        """The session as the API shows it (without the fake's own bookkeeping)."""
        return {key: value for key, value in session.items() if not key.startswith("_")}

    def _new_invoice(self, *, customer: str, amount: int, currency: str, subscription: str | None, paid: bool) -> dict:
        intent_id = self.new_id("pi")
        charge_id = self.new_id("ch")
        invoice_id = self.new_id("in")
        self.store(
            "charge",
            {
                "id": charge_id,
                "object": "charge",
                "amount": amount,
                "amount_refunded": 0,
                "currency": currency,
                "payment_intent": intent_id,
                "refunded": False,
            },
        )
        self.store("payment_intent", {"id": intent_id, "object": "payment_intent", "latest_charge": charge_id})
        now = int(time.time())
        return self.store(
            "invoice",
            {
                "id": invoice_id,
                "object": "invoice",
                "customer": customer,
                "subscription": subscription,
                "status": "paid" if paid else "open",
                "amount_due": amount,
                "amount_paid": amount if paid else 0,
                "currency": currency,
                "payment_intent": intent_id,
                "hosted_invoice_url": f"{self.base_url}/invoice/{invoice_id}",
                "status_transitions": {"paid_at": now if paid else None},
                "last_finalization_error": None if paid else {"message": "Your card was declined."},
            },
        )

    # -- what a customer does on Stripe's pages ------------------------------
    def complete_checkout(self, session_id: str, *, send: bool = True) -> list[dict]:
        """The customer pays on the hosted page: the objects Stripe creates and the events it sends."""
        with self.lock:
            session = self.get("checkout.session", session_id)
            if session["status"] != "open":
                raise StripeError(400, "This Checkout session is no longer open.")
            price = self.get("price", session["_price"])
            events: list[dict] = []
            session["status"] = "complete"
            session["payment_status"] = "paid"
            if session["mode"] == "payment":
                invoice = self._new_invoice(
                    customer=session["customer"],
                    amount=session["amount_total"],
                    currency=session["currency"],
                    subscription=None,
                    paid=True,
                )
                session["payment_intent"] = invoice["payment_intent"]
                if session["_invoice_creation"]:
                    session["invoice"] = invoice["id"]
                events.append(self.emit("checkout.session.completed", self._expanded_session(session)))
            else:
                subscription = self._new_subscription(session, price)
                invoice = self._new_invoice(
                    customer=session["customer"],
                    amount=price["unit_amount"],
                    currency=price["currency"],
                    subscription=subscription["id"],
                    paid=True,
                )
                subscription["latest_invoice"] = invoice["id"]
                session["subscription"] = subscription["id"]
                session["invoice"] = invoice["id"]
                events.append(self.emit("customer.subscription.created", subscription))
                events.append(self.emit("invoice.paid", invoice))
                events.append(self.emit("checkout.session.completed", self._expanded_session(session)))
        if send:
            self._send(events)
        return events

    def expire_checkout(self, session_id: str, *, send: bool = True) -> list[dict]:
        with self.lock:
            session = self.get("checkout.session", session_id)
            session["status"] = "expired"
            events = [self.emit("checkout.session.expired", self._expanded_session(session))]
        if send:
            self._send(events)
        return events

    def _new_subscription(self, session: dict, price: dict) -> dict:
        now = int(time.time())
        return self.store(
            "subscription",
            {
                "id": self.new_id("sub"),
                "object": "subscription",
                "customer": session["customer"],
                "status": "active",
                "metadata": (session["_subscription_data"] or {}).get("metadata", {}),
                "items": {"object": "list", "data": [{"id": self.new_id("si"), "price": price}]},
                "current_period_start": now,
                "current_period_end": now + PERIOD,
                "cancel_at_period_end": False,
                "canceled_at": None,
                "ended_at": None,
            },
        )

    def renew(self, subscription_id: str, *, paid: bool = True, send: bool = True) -> list[dict]:
        """A new billing period starts: Stripe invoices it and sends invoice.paid (or payment_failed)."""
        with self.lock:
            subscription = self.get("subscription", subscription_id)
            price = subscription["items"]["data"][0]["price"]
            subscription["current_period_start"] = subscription["current_period_end"]
            subscription["current_period_end"] += PERIOD
            if not paid:
                subscription["status"] = "past_due"
            invoice = self._new_invoice(
                customer=subscription["customer"],
                amount=price["unit_amount"],
                currency=price["currency"],
                subscription=subscription_id,
                paid=paid,
            )
            subscription["latest_invoice"] = invoice["id"]
            events = [
                self.emit("customer.subscription.updated", subscription),
                self.emit("invoice.paid" if paid else "invoice.payment_failed", invoice),
            ]
        if send:
            self._send(events)
        return events

    def update_subscription(self, subscription_id: str, *, send: bool = True, **changes) -> list[dict]:
        """Change status, price (`price_id`) or cancellation, as the Billing Portal would."""
        with self.lock:
            subscription = self.get("subscription", subscription_id)
            if "price_id" in changes:
                subscription["items"]["data"][0]["price"] = self.get("price", changes.pop("price_id"))
            subscription.update(changes)
            deleted = subscription["status"] == "canceled"
            kind = "customer.subscription.deleted" if deleted else "customer.subscription.updated"
            events = [self.emit(kind, subscription)]
        if send:
            self._send(events)
        return events

    def _refund(self, params: dict) -> dict:
        intent = self.get("payment_intent", params["payment_intent"])
        charge = self.get("charge", intent["latest_charge"])
        amount = int(params.get("amount") or charge["amount"] - charge["amount_refunded"])
        if amount <= 0 or charge["amount_refunded"] + amount > charge["amount"]:
            raise StripeError(
                400, "Refund amount is greater than unrefunded amount on charge.", code="amount_too_large"
            )
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] == charge["amount"]
        refund = self.store(
            "refund",
            {
                "id": self.new_id("re"),
                "object": "refund",
                "amount": amount,
                "charge": charge["id"],
                "payment_intent": charge["payment_intent"],
                "status": "succeeded",
            },
        )
        self.pending_after_response = [self.emit("charge.refunded", charge)]
        return refund

    def refund_from_dashboard(self, payment_intent_id: str, amount: int | None = None, *, send: bool = True):
        """Staff refund in Stripe's dashboard: the charge.refunded event follows."""
        with self.lock:
            self._refund({"payment_intent": payment_intent_id, "amount": amount})
            events = self.pending_after_response
            self.pending_after_response = []
        if send:
            self._send(events)
        return events

    def open_dispute(self, payment_intent_id: str, amount: int | None = None, *, send: bool = True) -> list[dict]:
        """The card holder disputes the charge with their bank: Stripe opens a dispute."""
        with self.lock:
            intent = self.get("payment_intent", payment_intent_id)
            charge = self.get("charge", intent["latest_charge"])
            dispute = self.store(
                "dispute",
                {
                    "id": self.new_id("du"),
                    "object": "dispute",
                    "amount": charge["amount"] if amount is None else amount,
                    "charge": charge["id"],
                    "payment_intent": payment_intent_id,
                    "currency": charge["currency"],
                    "status": "needs_response",
                },
            )
            events = [self.emit("charge.dispute.created", dispute)]
        if send:
            self._send(events)
        return events

    def close_dispute(self, dispute_id: str, *, won: bool, send: bool = True) -> list[dict]:
        """The bank decides: `won` (the money comes back to the merchant) or lost."""
        with self.lock:
            dispute = self.get("dispute", dispute_id)
            dispute["status"] = "won" if won else "lost"
            events = [self.emit("charge.dispute.closed", dispute)]
        if send:
            self._send(events)
        return events


class _Handler(BaseHTTPRequestHandler):
    fake: FakeStripe

    def log_message(self, format, *args):
        return

    def _json(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Request-Id", f"req_{int(time.time() * 1000)}")
        self.end_headers()
        self.wfile.write(data)

    def _html(self, status: int, body: str) -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _redirect(self, url: str) -> None:
        self.send_response(303)
        self.send_header("Location", url)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _api(self, method: str) -> None:
        url = urlsplit(self.path)
        params = parse_form(self._body() if method == "POST" else url.query.encode())
        if not (self.headers.get("Authorization") or "").startswith("Bearer sk_"):
            self._json(401, {"error": {"type": "invalid_request_error", "message": "Invalid API Key provided."}})
            return
        key = self.headers.get("Idempotency-Key") if method == "POST" else None
        if key and key in self.fake.idempotent:
            self._json(*self.fake.idempotent[key])
            return
        try:
            body = self.fake.handle(method, url.path, params)
            status = 200
        except StripeError as error:
            status = error.status
            body = {"error": {"type": error.type, "message": error.message, "code": error.code}}
        if key and status < 500:
            self.fake.idempotent[key] = (status, body)
        self._json(status, body)
        events, self.fake.pending_after_response = self.fake.pending_after_response, []
        if events:
            threading.Thread(target=self.fake._send, args=(events,), daemon=True).start()

    def do_GET(self):
        url = urlsplit(self.path)
        if url.path.startswith("/v1/"):
            self._api("GET")
        elif url.path.startswith("/pay/"):
            self._pay_page(url.path.removeprefix("/pay/"))
        elif url.path.startswith("/invoice/") or url.path.startswith("/portal/"):
            title = "Invoice" if url.path.startswith("/invoice/") else "Billing portal"
            self._html(200, f"<!doctype html><title>{title}</title><h1>{title}</h1><p>{html.escape(url.path)}</p>")
        else:
            self._json(404, {"error": {"type": "invalid_request_error", "message": "Not found"}})

    def do_POST(self):
        url = urlsplit(self.path)
        if url.path.startswith("/v1/"):
            self._api("POST")
        elif url.path.startswith("/pay/"):
            session_id = url.path.removeprefix("/pay/")
            self._body()
            try:
                self.fake.complete_checkout(session_id)
            except StripeError as error:
                self._html(400, f"<p>{html.escape(error.message)}</p>")
                return
            session = self.fake.get("checkout.session", session_id)
            self._redirect(session["success_url"].replace("{CHECKOUT_SESSION_ID}", session_id))
        else:
            self._json(404, {"error": {"type": "invalid_request_error", "message": "Not found"}})

    def _pay_page(self, session_id: str) -> None:
        try:
            session = self.fake.get("checkout.session", session_id)
        except StripeError:
            self._html(404, "<p>This checkout does not exist.</p>")
            return
        amount = f"{session['amount_total'] / 100:.2f} {session['currency'].upper()}"
        cancel = html.escape(session["cancel_url"].replace("{CHECKOUT_SESSION_ID}", session_id))
        self._html(
            200,
            f"""<!doctype html><html lang="en"><head><title>Pay {amount} (test Stripe)</title></head>
<body style="font-family: sans-serif; max-width: 420px; margin: 60px auto;">
<h1>Test checkout</h1><p>Amount due: <strong>{amount}</strong></p>
<form method="post"><label>Card number <input name="card" value="4242 4242 4242 4242"></label>
<button type="submit" id="pay">Pay {amount}</button></form>
<p><a href="{cancel}" id="cancel">Back</a></p></body></html>""",
        )


class FakeStripeServer:
    """Runs a FakeStripe on 127.0.0.1 in a thread: `with FakeStripeServer(secret) as fake: ...`."""

    def __init__(self, *, webhook_secret: str = "whsec_test_fake") -> None:  # noqa: S107 - a test value
        self.fake = FakeStripe(webhook_secret=webhook_secret)
        handler = type("Handler", (_Handler,), {"fake": self.fake})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.fake.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> FakeStripe:
        self.thread.start()
        return self.fake

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
