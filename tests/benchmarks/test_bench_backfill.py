"""The backfill benchmark's layouts are what it says, and its report section renders them, or
says it could not."""

from benchmarks.backfill_scale import layout_keys, plan
from benchmarks.report import backfill_section, render, section
from benchmarks.run import report_sections


def _sample(median: float, unit: str) -> dict[str, object]:
    return {"median": median, "minimum": median - 1, "maximum": median + 1, "n": 3, "unit": unit}


def _layout(one: float, eight: float) -> dict[str, object]:
    return {
        "rates": {"1": _sample(one, "keys/s"), "8": _sample(eight, "keys/s")},
        "speedup": _sample(eight / one, "×"),
    }


RESULT = {
    "workers": [1, 8],
    "fill_seconds": 3.0,
    "settings": {
        "emulator": {
            "keys": 3000,
            "round_trip_seconds": 0.0,
            "layouts": {"flat": _layout(200, 210), "deep": _layout(190, 200)},
        },
        "round_trips": {
            "keys": 400,
            "round_trip_seconds": 0.02,
            "layouts": {"flat": _layout(40, 300), "deep": _layout(40, 290)},
        },
    },
}


def test_the_layouts_are_flat_and_ten_by_ten_prefixes_deep() -> None:
    flat = layout_keys("flat", "p/", 3000)
    deep = layout_keys("deep", "p/", 3000)

    assert len(set(flat)) == len(set(deep)) == 3000
    assert all("/" not in key.removeprefix("p/") for key in flat)
    assert len({key.rsplit("/", 1)[0] for key in deep}) == 100
    assert {key.count("/") for key in deep} == {3}
    runs = plan(3, 3000, 400)
    assert len(runs) == len({run["prefix"] for run in runs}) == 3 * 2 * 2 * 2


def test_the_section_shows_each_setting_layout_and_the_speedup() -> None:
    text = "\n".join(backfill_section(RESULT))

    assert "| emulator | flat | 3,000 | 200 keys/s (n=3, 199-201) | 210 keys/s" in text
    assert "| simulated round trips | deep | 400 | 40 keys/s (n=3, 39-41) | 290 keys/s " in text
    assert "**7.25×** (n=3) |" in text
    assert "waits 20 ms" in text


def test_a_result_it_cannot_read_renders_as_not_measured() -> None:
    broken = {**RESULT, "settings": {"emulator": {"keys": 3000}}}

    lines = section("11. tap backfill's rate", backfill_section, {"ok": True, **broken})

    assert lines[0] == "## 11. tap backfill's rate"
    assert "**Not measured: its result could not be rendered (`KeyError: 'layouts'`).**" in lines
    results = {
        "environment": {"date": "d", "platform": "p", "cpus": 2, "python": "3", "packages": {}},
        "total_wall_seconds": 1.0,
        "measurements": {"backfill": {"ok": False, "error": "RuntimeError: no server"}},
    }
    assert "`RuntimeError: no server`" in render(results, report_sections())
