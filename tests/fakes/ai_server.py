"""A local fake of the AI provider APIs CraftAds uses, answering over HTTP like the real ones.

OpenAI (and servers speaking its API):
    POST /v1/images/generations   {"data": [{"b64_json": <PNG of the asked size>, "revised_prompt": ...}]}
    POST /v1/chat/completions     a chat.completion whose message content is the next queued reply
Automatic1111 (Stable Diffusion web UI with --api):
    POST /sdapi/v1/txt2img             {"images": [<PNG of width x height>], "parameters": ..., "info": ...}
    POST /sdapi/v1/extra-single-image  {"image": <the input PNG scaled by upscaling_resize>, "html_info": ...}
    POST /rembg                        {"image": <the input as RGBA, its border made transparent>}

Faults are scripted per path and used once each, in order (`fail_next`):
    rate_limit      429 with Retry-After (and the API's own error body)
    quota           429 insufficient_quota (OpenAI: the account is out of money)
    server_error    500 (or `status=503`, ...)
    slow            waits `delay` seconds, then answers normally (a client with a shorter timeout gives up)
    malformed       200 with a truncated JSON body
    content_policy  400 with error code content_policy_violation (OpenAI)
    refusal         200 chat answer whose message is a refusal (OpenAI chat)
    bad_request     400 (OpenAI) or 422 validation error (Automatic1111)
    not_found       404 (an Automatic1111 server without the rembg extension)
Requests are recorded (`requests`, `requests_to(path)`) with their headers and JSON bodies.
`api_key` (Bearer) and `basic_auth` (user, password) make the fake answer 401 to anything else.

    with FakeAIServer(api_key="sk-test") as fake:
        settings.OPENAI_BASE_URL = fake.base_url + "/v1"
"""

import base64
import io
import json
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from PIL import Image, ImageDraw

OPENAI_IMAGES = "/v1/images/generations"
OPENAI_CHAT = "/v1/chat/completions"
A1111_TXT2IMG = "/sdapi/v1/txt2img"
A1111_EXTRAS = "/sdapi/v1/extra-single-image"
A1111_REMBG = "/rembg"
OPENAI_PATHS = (OPENAI_IMAGES, OPENAI_CHAT)
PATHS = (*OPENAI_PATHS, A1111_TXT2IMG, A1111_EXTRAS, A1111_REMBG)

CONTENT_POLICY_MESSAGE = (
    "Your request was rejected as a result of our safety system. Your prompt may contain text that is not "
    "allowed by our safety system."
)


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: dict | None


@dataclass
class Fault:
    kind: str
    status: int | None = None
    retry_after: str | None = None
    delay: float = 5.0
    message: str | None = None


@dataclass
class FakeAI:
    api_key: str | None = None
    basic_auth: tuple[str, str] | None = None
    base_url: str = ""
    requests: list[Recorded] = field(default_factory=list)
    faults: dict[str, deque[Fault]] = field(default_factory=lambda: defaultdict(deque))
    chat_replies: deque = field(default_factory=deque)
    stopping: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fail_next(
        self,
        path: str,
        kind: str,
        *,
        times: int = 1,
        status: int | None = None,
        retry_after: str | float | None = None,
        delay: float = 5.0,
        message: str | None = None,
    ) -> None:
        assert path in PATHS, path
        fault = Fault(kind, status, None if retry_after is None else str(retry_after), delay, message)
        with self.lock:
            self.faults[path].extend([fault] * times)

    def reply_chat(self, *contents: str | dict) -> None:
        """Queue message contents for the next chat completions (a dict is sent as its JSON)."""
        with self.lock:
            self.chat_replies.extend(json.dumps(c) if isinstance(c, dict) else c for c in contents)

    def requests_to(self, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.path == path]

    def next_fault(self, path: str) -> Fault | None:
        with self.lock:
            queue = self.faults.get(path)
            return queue.popleft() if queue else None

    def next_chat_reply(self) -> str:
        with self.lock:
            return self.chat_replies.popleft() if self.chat_replies else json.dumps({"variants": []})


def png_base64(image: Image.Image) -> str:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return base64.b64encode(out.getvalue()).decode()


def picture(width: int, height: int, seed: int = 0) -> Image.Image:
    """A recognisable image: a colour from the seed, a lighter disc in the middle."""
    colour = ((seed * 67) % 256, (seed * 131 + 40) % 256, (seed * 29 + 90) % 256)
    image = Image.new("RGB", (width, height), colour)
    ImageDraw.Draw(image).ellipse((width // 4, height // 4, 3 * width // 4, 3 * height // 4), fill=(250, 250, 250))
    return image


def decode_png(data: str) -> Image.Image:
    image = Image.open(io.BytesIO(base64.b64decode(data)))
    image.load()
    return image


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    fake: FakeAI

    def log_message(self, format, *args):
        pass

    # -- answering -----------------------------------------------------------------------------

    def _send(self, status: int, body: bytes | dict, headers: dict[str, str] | None = None) -> None:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(raw)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test)

    def _openai_error(self, status: int, message: str, type_: str, code: str | None, headers=None) -> None:
        self._send(status, {"error": {"message": message, "type": type_, "param": None, "code": code}}, headers)

    def do_POST(self):
        fake = self.fake
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        path = self.path.split("?", 1)[0]
        with fake.lock:
            fake.requests.append(Recorded("POST", path, dict(self.headers.items()), body))
        if path not in PATHS:
            self._send(404, {"detail": "Not Found"})
            return
        openai = path in OPENAI_PATHS
        if not self._authorised(openai):
            return
        fault = fake.next_fault(path)
        if fault is not None and fault.kind == "slow":
            fake.stopping.wait(fault.delay)
            fault = None
        if fault is not None:
            self._fault(fault, openai, path)
            return
        if not isinstance(body, dict):
            self._send(400 if openai else 422, {"detail": "The body must be a JSON object."})
            return
        {
            OPENAI_IMAGES: self._openai_image,
            OPENAI_CHAT: self._openai_chat,
            A1111_TXT2IMG: self._txt2img,
            A1111_EXTRAS: self._extras,
            A1111_REMBG: self._rembg,
        }[path](body)

    def _authorised(self, openai: bool) -> bool:
        fake = self.fake
        given = self.headers.get("Authorization", "")
        if openai and fake.api_key and given != f"Bearer {fake.api_key}":
            self._openai_error(401, "Incorrect API key provided: sk-****. ", "invalid_request_error", "invalid_api_key")
            return False
        if not openai and fake.basic_auth:
            expected = "Basic " + base64.b64encode(":".join(fake.basic_auth).encode()).decode()
            if given != expected:
                self._send(401, {"detail": "Incorrect credentials"}, {"WWW-Authenticate": "Basic"})
                return False
        return True

    def _fault(self, fault: Fault, openai: bool, path: str) -> None:
        kind = fault.kind
        if kind == "rate_limit":
            headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
            if openai:
                self._openai_error(
                    429,
                    "Rate limit reached for requests. Please try again later.",
                    "requests",
                    "rate_limit_exceeded",
                    headers,
                )
            else:
                self._send(429, {"detail": "Too Many Requests"}, headers)
        elif kind == "quota":
            self._openai_error(
                429,
                "You exceeded your current quota, please check your plan.",
                "insufficient_quota",
                "insufficient_quota",
            )
        elif kind == "server_error":
            status = fault.status or 500
            headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
            if openai:
                self._openai_error(
                    status, "The server had an error while processing your request.", "server_error", None, headers
                )
            else:
                self._send(
                    status,
                    {"error": "OutOfMemoryError", "detail": "", "body": "", "errors": "CUDA out of memory."},
                    headers,
                )
        elif kind == "malformed":
            partial = b'{"data": [{"b64_json": "iVBORw0KGgo' if path == OPENAI_IMAGES else b'{"choices": [{"mess'
            self._send(200, partial if openai else b'{"images": ["iVBORw0KGgo')
        elif kind == "content_policy":
            self._openai_error(
                400, fault.message or CONTENT_POLICY_MESSAGE, "invalid_request_error", "content_policy_violation"
            )
        elif kind == "refusal":
            self._send(200, self._completion(None, refusal=fault.message or "I'm sorry, I can't help with that."))
        elif kind == "bad_request":
            if openai:
                self._openai_error(400, fault.message or "Invalid value for 'size'.", "invalid_request_error", None)
            else:
                self._send(
                    422,
                    {
                        "detail": [
                            {
                                "loc": ["body", "width"],
                                "msg": fault.message or "value is not a valid integer",
                                "type": "type_error.integer",
                            }
                        ]
                    },
                )
        elif kind == "not_found":
            self._send(404, {"detail": "Not Found"})
        else:
            raise AssertionError(f"unknown fault {kind}")

    # -- OpenAI --------------------------------------------------------------------------------

    def _openai_image(self, body: dict) -> None:
        size = str(body.get("size") or "1024x1024")
        if size == "auto":
            size = "1024x1024"
        try:
            width, height = (int(part) for part in size.split("x"))
        except ValueError:
            self._openai_error(400, f"Invalid value: '{size}'.", "invalid_request_error", "invalid_value")
            return
        if not body.get("prompt"):
            self._openai_error(400, "Missing required parameter: 'prompt'.", "invalid_request_error", None)
            return
        image = picture(width, height, seed=len(body["prompt"]))
        self._send(
            200,
            {
                "created": int(time.time()),
                "data": [{"b64_json": png_base64(image), "revised_prompt": body["prompt"]}],
                "usage": {"input_tokens": 50, "output_tokens": 4160, "total_tokens": 4210},
            },
        )

    def _completion(self, content: str | None, *, refusal: str | None = None, model: str = "fake-chat") -> dict:
        return {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content, "refusal": refusal},
                    "logprobs": None,
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 420, "completion_tokens": 180, "total_tokens": 600},
        }

    def _openai_chat(self, body: dict) -> None:
        if not body.get("messages"):
            self._openai_error(400, "Missing required parameter: 'messages'.", "invalid_request_error", None)
            return
        self._send(200, self._completion(self.fake.next_chat_reply(), model=str(body.get("model") or "")))

    # -- Automatic1111 -------------------------------------------------------------------------

    def _txt2img(self, body: dict) -> None:
        width, height = body.get("width", 512), body.get("height", 512)
        if not isinstance(width, int) or not isinstance(height, int) or width % 8 or height % 8:
            self._send(
                422, {"detail": [{"loc": ["body", "width"], "msg": "must be a multiple of 8", "type": "value_error"}]}
            )
            return
        seed = int(body.get("seed", -1))
        info = {"prompt": body.get("prompt", ""), "seed": seed, "width": width, "height": height}
        self._send(
            200, {"images": [png_base64(picture(width, height, seed))], "parameters": body, "info": json.dumps(info)}
        )

    def _extras(self, body: dict) -> None:
        image = decode_png(body["image"])
        factor = float(body.get("upscaling_resize", 2))
        result = image.resize((round(image.width * factor), round(image.height * factor)), Image.Resampling.BICUBIC)
        self._send(
            200,
            {
                "html_info": f"<p>Postprocess upscale by: {factor:g}, upscaler: {body.get('upscaler_1')}</p>",
                "image": png_base64(result),
            },
        )

    def _rembg(self, body: dict) -> None:
        image = decode_png(body["input_image"]).convert("RGBA")
        alpha = Image.new("L", image.size, 0)
        w, h = image.size
        ImageDraw.Draw(alpha).rectangle((w // 8, h // 8, w - w // 8 - 1, h - h // 8 - 1), fill=255)
        image.putalpha(alpha)
        self._send(200, {"image": png_base64(image)})


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False


class FakeAIServer:
    """Runs a FakeAI on 127.0.0.1 on an ephemeral port in a thread: `with FakeAIServer() as fake: ...`."""

    def __init__(self, *, api_key: str | None = None, basic_auth: tuple[str, str] | None = None) -> None:
        self.fake = FakeAI(api_key=api_key, basic_auth=basic_auth)
        handler = type("Handler", (_Handler,), {"fake": self.fake})
        self.httpd = _Server(("127.0.0.1", 0), handler)
        self.fake.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        # A short poll interval: shutdown() waits for the loop to notice, once per test.
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    def __enter__(self) -> FakeAI:
        self.thread.start()
        return self.fake

    def __exit__(self, *exc) -> None:
        self.fake.stopping.set()  # a slow answer stops waiting
        self.httpd.shutdown()
        self.httpd.server_close()


def point_settings_at(settings, fake: FakeAI, *, api_key: str = "sk-test-fake-0123456789abcdef") -> None:
    """Configure both remote providers to talk to the fake (the pytest-django `settings` fixture)."""
    settings.OPENAI_API_KEY = api_key
    settings.OPENAI_BASE_URL = fake.base_url + "/v1"
    settings.AUTOMATIC1111_URL = fake.base_url
    settings.AI_PROVIDER_TIMEOUT_SECONDS = 5
