"""Exporting a big list to Excel: the project's workbook builder against a bare openpyxl
write-only loop writing the same rows, in the same run.

Each measurement runs in a fresh Python process, so its peak RSS (ru_maxrss) belongs to
that export alone. Sizes grow (25k, 50k, 100k staff rows, each with one finding row on the
detail sheet); memory must stay flat as rows grow, and the time ratio says what the
layout (header block, styles, text safety, hyperlinks) costs over the bare loop.

    .venv/bin/python benchmarks/bench_export.py [--sizes 25000 50000 100000] [--repeat 3] [--rev REV]

With --repeat N the three run N times in turn and the medians are shown. With --rev the
builder of that git revision (exported with `git archive`, run with this virtualenv's
packages) is measured in the same run as a third column: before and after side by side.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

NAMES = ["Nguyễn Văn An", "Trần Thị Bích", "Lê Hoàng Cường", "Phạm Thu Dung", "Hoàng Đức Em",
         "Ma Văn Giang", "Nông Thị Hà", "Giàng A Lử", "Sùng Thị Mai", "Lò Văn Nam"]


def staff_rows(count: int):
    day = dt.date(2026, 11, 20)
    for i in range(count):
        yield {"name": NAMES[i % len(NAMES)], "position_title": "Công chức Tư pháp - Hộ tịch",
               "org_name": f"UBND xã số {i % 3300}", "commune": f"Xã số {i % 3300}",
               "content": "CON-01 (chính) ngày 20/11/2026: thái độ chưa hòa nhã; CON-06 (nhỏ)",
               "visit_dates": [day], "evidence": [f"https://inspect.example.vn/api/v1/evidence/{i}/content"],
               "form_name": "Phê bình", "note": None, "explanation_status": None}


def finding_rows(count: int):
    day = dt.date(2026, 11, 20)
    for i in range(count):
        yield {"entry_name": NAMES[i % len(NAMES)], "entry_type": "staff", "visit_date": day,
               "desk": f"Trung tâm Phục vụ hành chính công xã số {i % 3300}",
               "criterion_code": "CON-01", "criterion_text": "Công chức có thái độ lịch sự, hòa nhã?",
               "result": "fail", "severity": "major", "note": "Người dân phải chờ lâu",
               "inspector": "Lê Văn Thành",
               "evidence": [f"https://inspect.example.vn/api/v1/evidence/{i}/content"]}


def run_builder(count: int, path: str) -> None:
    """The list attachment's workbook (documents/list_xlsx.py) from its content, with the
    rows as list_content gives them: display strings, streamed."""
    from inspect_api.documents.list_content import (
        DetailRow, ListContent, ListGroup, ListRow, Photo, attached_line, detail_columns, list_columns,
        total_line,
    )
    from inspect_api.documents.list_xlsx import write_list_workbook

    def rows():
        for number, row in enumerate(staff_rows(count), start=1):
            yield ListRow(number, (str(number), row["name"], row["position_title"], row["org_name"], "",
                                   row["content"], row["form_name"], "Luật Cán bộ, công chức số 80/2025/QH15",
                                   ""), False)

    def details():
        for number, row in enumerate(finding_rows(count), start=1):
            photo = Photo(f"e{number}", f"{number:08d}-57eb-45ae-9f2d-4d5e85de87b7.jpg", "b29f23fbea5f")
            yield DetailRow(number, (str(number), row["entry_name"], "20/11/2026", row["desk"],
                                     f"{row['criterion_code']}: {row['criterion_text']}", "Không đạt (chính)",
                                     row["note"], row["inspector"], photo.label), (photo,))

    content = ListContent(
        kind="criticism", supervising_body="ỦY BAN NHÂN DÂN TỈNH TUYÊN QUANG", issuing_body="SỞ NỘI VỤ",
        title="DANH SÁCH", subject="Tập thể, cá nhân đề nghị phê bình",
        attached_line=attached_line("125/TTr-SNV", dt.date(2026, 12, 20)), period_label="năm 2026",
        document_number="125/TTr-SNV", columns=list_columns("criticism"),
        groups=(ListGroup("I", "CÁ NHÂN", count, rows()),), unit_count=0, staff_count=count,
        pending_count=0, total_line=total_line(0, count), remarks=(), signature=None,
        detail_title="CHI TIẾT KẾT QUẢ KIỂM TRA VÀ MINH CHỨNG", detail_attached_line="(Kèm theo Danh sách)",
        detail_columns=detail_columns("criticism"), detail_rows=details(), detail_count=count,
        photo_count=count, detail_total_line=f"Tổng số: {count} kết quả kiểm tra không đạt./.")
    write_list_workbook(content, path)


def run_bare(count: int, path: str) -> None:
    """The same values, written row by row with no layout at all."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Danh sách")
    for number, row in enumerate(staff_rows(count), start=1):
        sheet.append([number, row["name"], row["position_title"], row["org_name"], row["commune"],
                      row["content"], row["visit_dates"][0], len(row["evidence"]), row["form_name"],
                      row["note"]])
    detail = book.create_sheet("Chi tiết")
    for row in finding_rows(count):
        detail.append([row["entry_name"], row["visit_date"], row["desk"], row["criterion_code"],
                       row["criterion_text"], row["result"], row["severity"], row["note"],
                       row["inspector"], row["evidence"][0]])
    book.save(path)


def child(variant: str, count: int, code: str | None) -> None:
    sys.path.insert(0, code or os.path.join(os.path.dirname(__file__), ".."))
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "out.xlsx")
        started = time.perf_counter()
        (run_builder if variant == "builder" else run_bare)(count, path)
        elapsed = time.perf_counter() - started
        size = os.path.getsize(path)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    import inspect_api

    print(json.dumps({"variant": variant, "rows": count, "seconds": round(elapsed, 2), "code": inspect_api.__file__,
                      "peak_rss_mib": round(peak_mib, 1), "bytes": size}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[25_000, 50_000, 100_000])
    parser.add_argument("--repeat", type=int, default=1, help="runs of each, in turn; medians shown")
    parser.add_argument("--rev", help="also measure the builder of this git revision")
    parser.add_argument("--child", nargs=2, metavar=("VARIANT", "ROWS"))
    parser.add_argument("--code", help=argparse.SUPPRESS)  # a child's code to import
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]), args.code)
        return
    with tempfile.TemporaryDirectory() as tmp:
        variants = [("bare", "bare", None), ("builder", "builder", None)]
        if args.rev:
            sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
            from _servers import export_revision

            variants.append((f"builder@{args.rev}", "builder", str(export_revision(args.rev, Path(tmp)))))
        results: dict[tuple[str, int], list[dict]] = {}
        for count in args.sizes:
            for _ in range(max(1, args.repeat)):
                for label, variant, code in variants:
                    argv = [sys.executable, __file__, "--child", variant, str(count)]
                    argv += ["--code", code] if code else []
                    out = subprocess.run(argv, check=True, capture_output=True, text=True).stdout
                    results.setdefault((label, count), []).append(json.loads(out.strip().splitlines()[-1]))
                    print(label, out.strip(), flush=True)
    print(f"\nload average {os.getloadavg()[0]:.2f}; medians of {max(1, args.repeat)} run(s)")
    header = f"{'rows':>8}" + "".join(f" {label + ' s':>18}" for label, _, _ in variants)
    print(header + "".join(f" {label + '/bare':>18}" for label, _, _ in variants[1:])
          + "".join(f" {label + ' MiB':>20}" for label, _, _ in variants))

    def median(label: str, count: int, key: str) -> float:
        return statistics.median(r[key] for r in results[(label, count)])

    for count in args.sizes:
        bare = median("bare", count, "seconds")
        print(f"{count:>8}" + "".join(f" {median(label, count, 'seconds'):>18.2f}" for label, _, _ in variants)
              + "".join(f" {median(label, count, 'seconds') / bare:>18.2f}" for label, _, _ in variants[1:])
              + "".join(f" {median(label, count, 'peak_rss_mib'):>20.1f}" for label, _, _ in variants))
    first, last = args.sizes[0], args.sizes[-1]
    growth = median("builder", last, "peak_rss_mib") - median("builder", first, "peak_rss_mib")
    print(f"builder peak RSS growth from {first} to {last} rows: {growth:.1f} MiB")


if __name__ == "__main__":
    main()
