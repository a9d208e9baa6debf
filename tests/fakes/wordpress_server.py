"""A local fake of the WordPress REST API pieces CraftAds uses, over HTTP like the real one.

    GET  /wp-json/wp/v2/users/me          the authenticated user (application-password basic auth)
    POST /wp-json/wp/v2/media             raw image body + Content-Disposition filename → {id, source_url}
    POST /wp-json/wp/v2/pages             create a page → {id, link, title, content, status}
    POST /wp-json/wp/v2/pages/<id>        update that page (404 for an unknown id)
Anything else answers 404 with WordPress's error shape. Wrong credentials answer 401
(`rest_not_logged_in`). `redirect_to` makes every request answer 302 to that address.

    with FakeWordPress(username="editor", app_password="abcd efgh") as wp:
        wp.base_url, wp.pages, wp.media, wp.requests
"""

import base64
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeWordPress:
    def __init__(self, *, username="editor", app_password="abcd efgh ijkl mnop"):  # noqa: S107 (a fake's test credential)
        self.username = username
        self.app_password = app_password
        self.pages: dict[int, dict] = {}
        self.media: dict[int, dict] = {}
        self.requests: list[tuple[str, str]] = []
        self.redirect_to = ""
        self.fail_next_page_write = 0
        self._next_id = 100
        self._lock = threading.Lock()

    def __enter__(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status, body, headers=None):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def _authorised(self):
                expected = base64.b64encode(f"{fake.username}:{fake.app_password}".encode()).decode()
                return self.headers.get("Authorization") == f"Basic {expected}"

            def _handle(self, method):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                fake.requests.append((method, self.path))
                if fake.redirect_to:
                    self.send_response(302)
                    self.send_header("Location", fake.redirect_to)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if not self._authorised():
                    return self._send(
                        401, {"code": "rest_not_logged_in", "message": "You are not currently logged in."}
                    )
                path = self.path.split("?", 1)[0]
                with fake._lock:
                    if method == "GET" and path == "/wp-json/wp/v2/users/me":
                        return self._send(200, {"id": 1, "name": fake.username, "slug": fake.username})
                    if method == "POST" and path == "/wp-json/wp/v2/media":
                        match = re.search(r'filename="([^"]+)"', self.headers.get("Content-Disposition", ""))
                        if not match or not body:
                            return self._send(400, {"code": "rest_upload_no_data", "message": "No data supplied."})
                        fake._next_id += 1
                        item = {
                            "id": fake._next_id,
                            "source_url": f"{fake.base_url}/wp-content/uploads/{match.group(1)}",
                            "mime_type": self.headers.get("Content-Type"),
                            "bytes": len(body),
                        }
                        fake.media[item["id"]] = item
                        return self._send(201, item)
                    if method == "POST" and (
                        path == "/wp-json/wp/v2/pages" or re.fullmatch(r"/wp-json/wp/v2/pages/\d+", path)
                    ):
                        if fake.fail_next_page_write:
                            fake.fail_next_page_write -= 1
                            return self._send(500, {"code": "internal_error", "message": "Database error."})
                        data = json.loads(body or b"{}")
                        if path.endswith("/pages"):
                            fake._next_id += 1
                            page_id = fake._next_id
                        else:
                            page_id = int(path.rsplit("/", 1)[1])
                            if page_id not in fake.pages:
                                return self._send(404, {"code": "rest_post_invalid_id", "message": "Invalid post ID."})
                        page = {
                            **fake.pages.get(page_id, {}),
                            **data,
                            "id": page_id,
                            "link": f"{fake.base_url}/{data.get('slug', page_id)}/",
                        }
                        fake.pages[page_id] = page
                        return self._send(201 if path.endswith("/pages") else 200, page)
                return self._send(404, {"code": "rest_no_route", "message": "No route was found."})

            def do_GET(self):
                self._handle("GET")

            def do_POST(self):
                self._handle("POST")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
