"""Time of one volunteer certificate PDF in Chinese with the system's full CJK font (as it was)
and with the small cut of it (`core.fonts`, as it is), plus a holder whose name has a character
outside the cut: prints the cut's one-off build time, then median and p95 ms per mode.

Run with `.venv/bin/python bench/certificate_pdf.py [--runs R] [--records N]`.
"""

import argparse
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core import fonts  # noqa: E402
from core import pdf as core_pdf  # noqa: E402
from core.i18n import current_locale  # noqa: E402
from volunteers.models import Certificate  # noqa: E402
from volunteers.service.certificate import certificate_pdf  # noqa: E402


def sample(records: int) -> Certificate:
    start = date(2026, 7, 1)
    return Certificate(
        code="ABCDEFGHJKMN",
        volunteer_id=1,
        holder="王*",
        issued_at=datetime(2026, 8, 1, tzinfo=UTC),
        total_minutes=180 * records,
        records=[
            {
                "date": (start + timedelta(days=i)).isoformat(),
                "shift": f"沙袋装填 第{i + 1}班",
                "organization": "河畔红十字会",
                "location": "柳树村东门",
                "minutes": 180,
            }
            for i in range(records)
        ],
    )


def one(certificate: Certificate, name: str = "王芳") -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    document = certificate_pdf(
        certificate, name=name, verify_url="https://example.org/c/ABCD", zone_name="UTC"
    )
    assert document.startswith(b"%PDF-")
    return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--records", type=int, default=12)
    args = parser.parse_args()
    found = core_pdf.cjk_font()
    if found is None:
        sys.exit("no CJK font on this machine (install fonts-noto-cjk): nothing to measure")
    current_locale.set("zh_Hans")
    certificate = sample(args.records)
    source, number = found
    if fonts.cached_path(source, number).is_file():
        print(f"small cut already built: {fonts.cached_path(source, number)}")
    else:
        wall, cpu = time.perf_counter(), time.process_time()
        built = fonts.build(source, number)
        print(
            f"small cut built once: {time.perf_counter() - wall:.1f} s wall,"
            f" {time.process_time() - cpu:.1f} s CPU, {built.stat().st_size / 1e6:.1f} MB"
        )
    small_font = fonts.small_font
    modes = {
        "full font": (lambda *_a: None, "王芳"),
        "small cut": (small_font, "王芳"),
        "cut + rare": (small_font, "王堃"),  # 堃 is not in GB 2312: the full font joins
    }
    times: dict[str, list[tuple[float, float]]] = {mode: [] for mode in modes}
    one(certificate)  # fpdf2's and fontTools' imports
    # Interleaved, so a busy machine slows every mode alike.
    for _ in range(args.runs):
        for mode, (choose, name) in modes.items():
            fonts.small_font = choose
            times[mode].append(one(certificate, name))
    fonts.small_font = small_font
    print(f"font {source}, {args.records} records, {args.runs} runs per mode")
    print(f"{'mode':<12} {'wall median':>12} {'wall p95':>9} {'cpu median':>11}")
    for mode, found_times in times.items():
        walls = sorted(w for w, _c in found_times)
        cpus = sorted(c for _w, c in found_times)
        p95 = walls[min(len(walls) - 1, int(len(walls) * 0.95))]
        print(
            f"{mode:<12} {statistics.median(walls):>9.0f} ms {p95:>6.0f} ms"
            f" {statistics.median(cpus):>8.0f} ms"
        )


if __name__ == "__main__":
    main()
