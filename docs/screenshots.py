"""Screenshots of the web console's main pages, from the demo data, for the README.

    .venv/bin/python docs/screenshots.py        (or: make screenshots)

A throwaway SQLite database and photo directory get the demo seed (`flask seed demo`);
the app is served in this process and Debian's Chromium (through Playwright, as the
browser tests use it) signs in as reviewer1 and saves docs/screenshots/*.png at the
office PC's 1366×768, plus the visit page at a tablet's 768×1024."""

from __future__ import annotations

import shutil
import sys
import tempfile
import threading
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

OUT = Path(__file__).resolve().parent / "screenshots"
PASSWORD = "screenshot-demo-password"


def main() -> int:
    from flask_migrate import upgrade
    from playwright.sync_api import sync_playwright
    from sqlalchemy import select
    from werkzeug.serving import make_server

    from inspect_api.app import create_app
    from inspect_api.db import db
    from inspect_api.evidence.models import Evidence
    from inspect_api.seed import seed_demo, showcase_visit_ids

    chromium = shutil.which("chromium")
    if chromium is None:
        raise SystemExit("chromium is not installed (apt-get install chromium)")
    tmp = Path(tempfile.mkdtemp(prefix="console-shots-"))
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'demo.db'}", "JWT_SECRET_KEY": "s" * 40,
                      "DEMO_PASSWORD": PASSWORD, "STORAGE_DIR": str(tmp / "objects"),
                      "RATELIMIT_STORAGE_URI": "memory://", "AUDIT_ANCHOR_EVERY": 0, "LOG_LEVEL": "WARNING"},
                     environ={})
    visits = showcase_visit_ids()
    waiting = visits["minhxuan-2026-11-18"]
    with app.app_context():
        upgrade()
        seed_demo(echo=lambda message: None)
        photo = db.session.scalar(select(Evidence.id).where(Evidence.visit_id == uuid.UUID(waiting)))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    OUT.mkdir(exist_ok=True)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
            for viewport, pages in (
                ({"width": 1366, "height": 768}, [("sign-in", "/console/sign-in"), ("queue", "/console/queue"),
                                                  ("visit", f"/console/visits/{waiting}"),
                                                  ("photo", f"/console/evidence/{photo}"),
                                                  ("returned-visit", f"/console/visits/{visits['mylam-2026-11-05']}")]),
                ({"width": 768, "height": 1024}, [("visit-tablet", f"/console/visits/{waiting}#decide-h")])):
                context = browser.new_context(base_url=f"http://127.0.0.1:{server.server_port}", viewport=viewport,
                                              locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
                page = context.new_page()
                page.goto("/console/sign-in")
                if pages[0][0] == "sign-in":
                    page.screenshot(path=OUT / "sign-in.png")
                page.get_by_label("Tên đăng nhập").fill("reviewer1")
                page.get_by_label("Mật khẩu").fill(PASSWORD)
                page.get_by_role("button", name="Đăng nhập").click()
                page.get_by_role("button", name="Đăng xuất").wait_for()
                for name, path in pages:
                    if name != "sign-in":
                        page.goto(path)
                        page.screenshot(path=OUT / f"{name}.png")
                context.close()
            browser.close()
    finally:
        server.shutdown()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
