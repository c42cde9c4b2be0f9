"""The emails as a reader sees them: the CLI's dry run writes them, headless Chromium renders them at desktop and
phone widths (screenshots kept under out/screenshots/), the weekly chain roll-up, and the demo's delivery."""
from __future__ import annotations

import email
import email.policy
from pathlib import Path

import pytest
from click.testing import CliRunner
from report_env import DAY, SITE, make_config
from smtp_sink import Sink, start

from footfall.devserver.services import free_port

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "out" / "screenshots"


@pytest.fixture(scope="module")
def previews(seeded, pki, tmp_path_factory):
    """`footfall-cloud report daily|weekly --dry-run` from a config file: what the command writes."""
    import yaml

    from footfall.cloud.__main__ import main

    db, _ = seeded
    tmp = tmp_path_factory.mktemp("previews")
    cfg = make_config(tmp, db, 25, pki[0].crt, chain=True)
    path = tmp / "cloud.yaml"
    path.write_text(yaml.safe_dump(cfg.model_dump(mode="json", exclude_none=True)))
    out = tmp / "out"
    for kind in ("daily", "weekly", "monthly"):
        r = CliRunner().invoke(main, ["report", kind, "--config", str(path), "--date", str(DAY), "--dry-run", str(out)])
        assert r.exit_code == 0, r.output
    return out


def test_dry_run_writes_eml_html_text_and_chart(previews):
    folder = previews / SITE
    stem = f"store-a-daily-{DAY}"
    for ext in ("eml", "html", "txt", "png"):
        assert (folder / f"{stem}.{ext}").stat().st_size > 0
    msg = email.message_from_bytes((folder / f"{stem}.eml").read_bytes(), policy=email.policy.default)
    assert [p.get_content_type() for p in msg.walk()] == [
        "multipart/alternative", "text/plain", "multipart/related", "text/html", "image/png"]
    assert f'src="{stem}.png"' in (folder / f"{stem}.html").read_text()  # the standalone page shows the chart


def test_weekly_chain_roll_up_adds_the_stores(previews, seeded):
    _, s = seeded
    week = f"{DAY.isocalendar()[0]}-W{DAY.isocalendar()[1]:02d}"
    text = (previews / "chain" / f"chain-weekly-{week}.txt").read_text()
    # seeded days of this week: DAY alone (the Monday); the previous week holds DAY-1 and DAY-7
    total = s.line_in[("store-a", DAY)] + s.line_in[("store-b", DAY)]
    assert "Visitors in:" in text and f"{total:,}" in text.split("Visitors in:")[1].splitlines()[0]
    assert f"- store-a ({SITE}): {s.line_in[('store-a', DAY)]:,}" in text
    assert "Unique visitors are not shown" in (previews / SITE / f"store-a-weekly-{week}.txt").read_text()


@pytest.mark.parametrize("width,height,name", [(1280, 900, "desktop"), (375, 812, "phone")])
def test_emails_render_in_chromium_at_desktop_and_phone_width(previews, browser, width, height, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    week = f"{DAY.isocalendar()[0]}-W{DAY.isocalendar()[1]:02d}"
    pages = {"store-a-daily": previews / SITE / f"store-a-daily-{DAY}.html",
             "store-b-daily": previews / SITE / f"store-b-daily-{DAY}.html",
             "chain-weekly": previews / "chain" / f"chain-weekly-{week}.html",
             "store-a-monthly": previews / SITE / f"store-a-monthly-{DAY:%Y-%m}.html"}
    page = browser.new_page(viewport={"width": width, "height": height})
    try:
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        for label, html in pages.items():
            page.goto(html.as_uri())
            page.wait_for_load_state("load")
            img = page.locator("img")
            assert img.evaluate("i => i.complete && i.naturalWidth > 0"), f"{label}: chart did not load"
            box = img.bounding_box()
            assert box["width"] <= width - 16 + 0.5, f"{label}: chart wider than the {name} viewport"
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{label}: {overflow}px sideways scrolling at {width}px"
            page.screenshot(path=str(SHOTS / f"report-{label}-{name}.png"), full_page=True)
        assert all(u.startswith("file://") for u in requests)  # nothing fetched from the network
    finally:
        page.close()


def test_demo_email_is_written_and_delivered_to_a_sink(seeded, pki, tmp_path):
    from footfall.cloud.report.demo import write_demo_email

    db, s = seeded
    sink, port = Sink(), free_port()
    c = start(sink, port, auth=False)  # the demo's sink: plain SMTP on loopback
    try:
        cfg = make_config(tmp_path, db, 25, pki[0].crt)
        paths = write_demo_email(cfg, "store-a", DAY, tmp_path / "demo", "127.0.0.1", port, db=db)
    finally:
        c.stop()
    assert paths["eml"].exists() and paths["html"].exists()
    assert len(sink.messages) == 1
    assert f"{s.line_in[('store-a', DAY)]:,} visitors in" in sink.messages[0]["Subject"]
