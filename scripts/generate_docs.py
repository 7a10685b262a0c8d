"""Regenerate the README's generated sections, the chart it shows, and the description,
sources and coverage of datapackage.json from schema/ and data/ (``make docs``)."""

from pathlib import Path

from belarus_timeline.outputs.docs import readme_chart, render_descriptor, render_readme

ROOT = Path(__file__).resolve().parent.parent

if __name__ == "__main__":
    descriptor = ROOT / "datapackage.json"
    descriptor.write_bytes(render_descriptor(ROOT))
    readme = ROOT / "README.md"
    readme.write_text(render_readme(readme.read_text(encoding="utf-8"), ROOT), encoding="utf-8")
    chart = ROOT / "docs" / "chart.png"
    chart.parent.mkdir(exist_ok=True)
    chart.write_bytes(readme_chart(ROOT))
    print(f"updated {descriptor.name}, {readme.relative_to(ROOT)} and {chart.relative_to(ROOT)}")
