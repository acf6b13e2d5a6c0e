"""Draw gongzhi's icon: a house whose windows are a 2 × 2 grid (网格), white on the brand red. Writes the SVG and the
bitmaps browsers and phones ask for into gongzhi/static/icons/ (committed; run again only to change the drawing):

    .venv/bin/python scripts/favicon.py
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

RED = "#a8231c"
WHITE = "#ffffff"
OUT = Path(__file__).resolve().parents[1] / "gongzhi" / "static" / "icons"
# On a 64-unit square: the roof and walls, then the four windows.
HOUSE = [(32, 9), (55, 28), (48, 28), (48, 53), (16, 53), (16, 28), (9, 28)]
WINDOWS = [(21, 31, 30, 40), (34, 31, 43, 40), (21, 43, 30, 52), (34, 43, 43, 52)]

SVG = f"""<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">
<rect width="64" height="64" rx="14" fill="{RED}"/>
<path d="M{" L".join(f"{x} {y}" for x, y in HOUSE)} Z" fill="{WHITE}"/>
<g fill="{RED}">{"".join(f'<rect x="{a}" y="{b}" width="{c - a}" height="{d - b}"/>' for a, b, c, d in WINDOWS)}</g>
</svg>
"""


def draw(size: int, *, rounded: bool = True) -> Image.Image:
    scale = size * 8 / 64  # drawn 8× larger, then reduced: smooth edges
    big = Image.new("RGBA", (size * 8, size * 8), (0, 0, 0, 0))
    pen = ImageDraw.Draw(big)
    pen.rounded_rectangle((0, 0, size * 8 - 1, size * 8 - 1), radius=round(14 * scale) if rounded else 0, fill=RED)
    pen.polygon([(x * scale, y * scale) for x, y in HOUSE], fill=WHITE)
    for a, b, c, d in WINDOWS:
        pen.rectangle((a * scale, b * scale, c * scale - 1, d * scale - 1), fill=RED)
    return big.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "favicon.svg").write_text(SVG, encoding="utf-8")
    draw(32).save(OUT / "favicon-32.png", optimize=True)
    # Phones put their own rounded corners on a home-screen icon: a full square.
    draw(180, rounded=False).convert("RGB").save(OUT / "apple-touch-icon.png", optimize=True)
    draw(48).save(OUT / "favicon.ico", sizes=[(16, 16), (32, 32), (48, 48)])


if __name__ == "__main__":
    main()
