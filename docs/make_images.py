"""Page images of the documents a leader gets, made from the demo data, for the README.

    make doc-images          # writes docs/images/*.png

A throwaway SQLite database and object store are filled with `flask seed demo`; the
showcase quarter's lists are frozen as a leader would; every document is fetched through
the API as that leader, printed (PDF as produced; .xlsx and .docx through LibreOffice
headless, as an office prints them) and its first pages rasterised with pypdfium2.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
QUARTER = {"from": "2026-10-01", "to": "2026-12-31"}
# What the README shows, and how many pages of each (the demo's commendation list is
# empty: two approved visits commend nobody).
SHOWN = {"list-criticism-docx": 3, "list-criticism-pdf": 1, "list-criticism-xlsx": 1,
         "scores-pdf": 1, "scores-xlsx": 1, "minutes-pdf": 2, "notice-pdf": 2,
         "notice-docx": 2}
PASSWORD = "readme-images-2026"


def _app(workdir: Path):
    sys.path.insert(0, str(ROOT))
    from inspect_api.app import create_app

    return create_app(environ={
        "DATABASE_URL": f"sqlite:///{workdir / 'demo.db'}", "STORAGE_BACKEND": "local",
        "STORAGE_DIR": str(workdir / "store"), "JWT_SECRET_KEY": "readme-images-only-" + "x" * 32,
        "DEMO_PASSWORD": PASSWORD, "ARGON2_TIME_COST": "1", "ARGON2_MEMORY_KIB": "8192",
        "LOG_LEVEL": "WARNING", "PUBLIC_BASE_URL": "http://127.0.0.1:5000"})


def _load_demo(app) -> None:
    from flask_migrate import upgrade

    from inspect_api.seed import seed_demo

    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        seed_demo(echo=lambda _line: None)


def _fetch(client, url: str, token: str) -> bytes:
    response = client.get(url, headers={"Authorization": f"Bearer {token}"})
    if response.status_code != 200:
        raise SystemExit(f"GET {url}: {response.status_code} {response.get_data(as_text=True)[:300]}")
    return response.get_data()


def _documents(app) -> dict[str, tuple[bytes, str]]:
    """name -> (bytes, extension) of every document, fetched as leader1."""
    client = app.test_client()
    login = client.post("/api/v1/auth/login", json={"username": "leader1", "password": PASSWORD})
    token = login.get_json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    documents: dict[str, tuple[bytes, str]] = {}
    for number, kind in enumerate(("criticism",), start=125):
        frozen = client.post("/api/v1/reports/lists", headers=auth, json={
            "kind": kind, **QUARTER, "document_number": f"{number}/TTr-SNV", "document_date": "2026-12-20",
            "signer_name": "Nguyễn Thị Thanh Hương"})
        if frozen.status_code != 201:
            raise SystemExit(f"freeze {kind}: {frozen.status_code} {frozen.get_data(as_text=True)[:300]}")
        list_id = frozen.get_json()["id"]
        for fmt in ("pdf", "xlsx", "docx"):
            documents[f"list-{kind}-{fmt}"] = (
                _fetch(client, f"/api/v1/reports/lists/{list_id}/export?format={fmt}", token), fmt)
    query = f"from={QUARTER['from']}&to={QUARTER['to']}"
    for fmt in ("pdf", "xlsx"):
        documents[f"scores-{fmt}"] = (_fetch(client, f"/api/v1/reports/scores/export?{query}&format={fmt}", token), fmt)
    visits = client.get("/api/v1/visits?status=approved", headers=auth).get_json()["items"]
    if not visits:
        raise SystemExit("the demo data has no approved visit")
    documents["minutes-pdf"] = (_fetch(client, f"/api/v1/visits/{visits[0]['id']}/minutes.pdf", token), "pdf")
    # The conclusion notice to the unit of that visit, for its plan.
    unit_id = client.get(f"/api/v1/desks/{visits[0]['desk_id']}", headers=auth).get_json()["org_unit_id"]
    notices = f"/api/v1/plans/{visits[0]['plan_id']}/notices"
    notice = client.post(notices, headers=auth, json={
        "org_unit_id": unit_id, "document_number": "15/TB-SNV", "document_date": "2026-12-20",
        "signer_name": "Nguyễn Thị Thanh Hương"})
    if notice.status_code != 201:
        raise SystemExit(f"issue the notice: {notice.status_code} {notice.get_data(as_text=True)[:300]}")
    issued = f"{notices}/{notice.get_json()['id']}/export"
    documents["notice-pdf"] = (_fetch(client, f"{issued}?format=pdf", token), "pdf")
    documents["notice-docx"] = (_fetch(client, f"{issued}?format=docx", token), "docx")
    return documents


def _to_pdf(source: Path, workdir: Path) -> Path:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise SystemExit("LibreOffice (soffice) is needed to print .xlsx and .docx: "
                         "apt-get install --no-install-recommends libreoffice-calc-nogui libreoffice-writer-nogui")
    subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{workdir / 'lo-profile'}",
                    "--convert-to", "pdf", "--outdir", str(workdir), str(source)],
                   check=True, capture_output=True, timeout=180)
    return source.with_suffix(".pdf")


def _rasterise(pdf: Path, out_dir: Path, name: str, pages: int, width: int) -> list[Path]:
    import pypdfium2

    document = pypdfium2.PdfDocument(str(pdf))
    written = []
    for index in range(min(pages, len(document))):
        page = document[index]
        scale = width / page.get_width()
        path = out_dir / f"{name}-p{index + 1}.png"
        page.render(scale=scale).to_pil().convert("RGB").save(path, optimize=True)
        written.append(path)
    document.close()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE / "images")
    parser.add_argument("--width", type=int, default=800, help="image width in pixels")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="inspect-images-") as temp:
        workdir = Path(temp)
        app = _app(workdir)
        _load_demo(app)
        with app.app_context():
            documents = _documents(app)
        for name, (content, extension) in documents.items():
            source = workdir / f"{name}.{extension}"
            source.write_bytes(content)
            pdf = source if extension == "pdf" else _to_pdf(source, workdir)
            for path in _rasterise(pdf, args.out, name, SHOWN[name], args.width):
                print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)


if __name__ == "__main__":
    main()
