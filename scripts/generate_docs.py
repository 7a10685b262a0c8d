"""Regenerate the README's data dictionary and events table from schema/ and data/."""

from pathlib import Path

from belarus_timeline.outputs.docs import readme_chart, render_readme

ROOT = Path(__file__).resolve().parent.parent

if __name__ == "__main__":
    readme = ROOT / "README.md"
    readme.write_text(render_readme(readme.read_text(encoding="utf-8"), ROOT), encoding="utf-8")
    chart = ROOT / "docs" / "chart.png"
    chart.parent.mkdir(exist_ok=True)
    chart.write_bytes(readme_chart(ROOT))
    print(f"updated {readme.relative_to(ROOT)} and {chart.relative_to(ROOT)}")
