"""Screenshots of the web console's main pages, from the demo data, for the README.

    .venv/bin/python docs/screenshots.py        (or: make screenshots)

A throwaway SQLite database and photo directory get the demo seed (`flask seed demo`);
the app is served in this process and Debian's Chromium (through Playwright, as the
browser tests use it) signs in as reviewer1, leader1 and admin in turn and saves
docs/screenshots/*.png at the office PC's 1366×768, plus the visit page at a tablet's
768×1024. The leader freezes a list through the console's form on the way, so the
frozen list shown is one the demo data really gives."""

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
# The demo's showcase visits fall in Q4/2026, whatever today is.
PERIOD = "from=01/10/2026&to=31/12/2026"
DESKTOP = {"width": 1366, "height": 768}
TABLET = {"width": 768, "height": 1024}


def _freeze(page) -> None:
    """Freeze the list on screen through its form, as a leader does."""
    page.get_by_label("Số Tờ trình (bắt buộc)").fill("125/TTr-SNV")
    page.get_by_label("Họ tên người ký (bắt buộc)").fill("Nguyễn Văn An")
    page.get_by_role("button", name="Chốt danh sách").click()
    page.wait_for_url("**/console/lists/frozen/*")


def main() -> int:
    from flask_migrate import upgrade
    from playwright.sync_api import sync_playwright
    from sqlalchemy import select
    from werkzeug.serving import make_server

    from inspect_api.app import create_app
    from inspect_api.db import db
    from inspect_api.auth.models import User
    from inspect_api.evidence.flags import FlagRules, flags_for_visits
    from inspect_api.evidence.models import Evidence
    from inspect_api.org.models import Desk, OrgUnit
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
        # The photo page shows what the flags say: a flagged photo, if the visit has one.
        reviewer = db.session.scalar(select(User).where(User.username == "reviewer1"))
        flags = flags_for_visits(reviewer, [uuid.UUID(waiting)], FlagRules.from_settings(app.config))
        photo = next((found for found, f in sorted(flags.items(), key=lambda item: str(item[0])) if f.attention),
                     photo)
        unit = db.session.scalar(select(OrgUnit.id).where(OrgUnit.code == "TQ-TANTRAO"))
        desk = db.session.scalar(select(Desk.id).where(Desk.code == "TQ-MINHXUAN-MC"))
    # (who signs in, viewport, [(png name, path, full page?, what to do once there)])
    sessions = [
        ("reviewer1", DESKTOP, [("sign-in", None, False, None), ("queue", "/console/queue", False, None),
                                ("visit", f"/console/visits/{waiting}", False, None),
                                ("photo", f"/console/evidence/{photo}", True, None),
                                ("returned-visit", f"/console/visits/{visits['mylam-2026-11-05']}", False, None)]),
        ("reviewer1", TABLET, [("visit-tablet", f"/console/visits/{waiting}#decide-h", False, None)]),
        ("leader1", DESKTOP, [("scores", f"/console/scores?{PERIOD}", True, None),
                              ("scores-unit", f"/console/scores/units/{unit}?{PERIOD}", True, None),
                              ("lists", f"/console/lists?kind=criticism&{PERIOD}", True, _freeze),
                              ("frozen-list", None, True, None)]),
        ("admin", DESKTOP, [("admin-accounts", "/console/admin/accounts", False, None),
                            ("admin-staff", f"/console/admin/staff?desk={desk}", False, None)]),
    ]
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    OUT.mkdir(exist_ok=True)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
            for username, viewport, pages in sessions:
                context = browser.new_context(base_url=f"http://127.0.0.1:{server.server_port}", viewport=viewport,
                                              locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
                page = context.new_page()
                page.goto("/console/sign-in")
                if pages[0][0] == "sign-in":
                    page.screenshot(path=OUT / "sign-in.png")
                page.get_by_label("Tên đăng nhập").fill(username)
                page.get_by_label("Mật khẩu").fill(PASSWORD)
                page.get_by_role("button", name="Đăng nhập").click()
                page.get_by_role("button", name="Đăng xuất").wait_for()
                for name, path, full_page, then in pages:
                    if name == "sign-in":
                        continue
                    if path is not None:  # else: the page the previous step led to
                        page.goto(path)
                    page.screenshot(path=OUT / f"{name}.png", full_page=full_page)
                    if then is not None:
                        then(page)
                context.close()
            browser.close()
    finally:
        server.shutdown()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
