"""Draw the favicon and the web-app icons (a white house on the brand red).

The SVG is the source; the PNG and ICO files are drawn from the same shapes
with Pillow, so that browsers without SVG favicons, home screens and the
`/favicon.ico` request get the same picture. The outputs are committed; run
this again after changing the shapes:

    .venv/bin/python scripts/make_icons.py
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
ICONS = ROOT / "src" / "linli" / "core" / "static" / "linli" / "icons"
SITE_ROOT = ROOT / "src" / "linli" / "core" / "site_root"  # served at / (WHITENOISE_ROOT)

BRAND = "#c8161d"  # --brand in app.css
WHITE = "#ffffff"

# The shapes on a 64 x 64 grid: a rounded square, a roof, the walls, a door.
ROOF = [(10, 31), (32, 11), (54, 31), (49, 36), (32, 20), (15, 36)]
WALLS = [(18, 33), (32, 22), (46, 33), (46, 53), (18, 53)]
DOOR = (28, 39, 36, 53)
RADIUS = 12

SVG = f"""<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">
<rect width="64" height="64" rx="{RADIUS}" fill="{BRAND}"/>
<path fill="{WHITE}" d="M{" L".join(f"{x} {y}" for x, y in ROOF)} Z"/>
<path fill="{WHITE}" d="M{" L".join(f"{x} {y}" for x, y in WALLS)} Z"/>
<rect x="{DOOR[0]}" y="{DOOR[1]}" width="{DOOR[2] - DOOR[0]}" height="{DOOR[3] - DOOR[1]}" fill="{BRAND}"/>
</svg>
"""


def draw(size: int, *, maskable: bool = False) -> Image.Image:
    """The icon at `size` px, drawn 4x larger and scaled down (smooth edges).

    A maskable icon fills the square with the brand colour and keeps the house
    inside the central safe zone (80 %), as launchers crop it to any shape."""
    big = size * 4
    img = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    if maskable:
        d.rectangle((0, 0, big, big), fill=BRAND)
        scale, offset = big * 0.8 / 64, big * 0.1
    else:
        scale, offset = big / 64, 0.0
        d.rounded_rectangle((0, 0, big - 1, big - 1), radius=RADIUS * scale, fill=BRAND)

    def pt(x: float, y: float) -> tuple[float, float]:
        return (offset + x * scale, offset + y * scale)

    d.polygon([pt(x, y) for x, y in ROOF], fill=WHITE)
    d.polygon([pt(x, y) for x, y in WALLS], fill=WHITE)
    d.rectangle((*pt(DOOR[0], DOOR[1]), *pt(DOOR[2], DOOR[3])), fill=BRAND)
    return img.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    ICONS.mkdir(parents=True, exist_ok=True)
    SITE_ROOT.mkdir(parents=True, exist_ok=True)
    (ICONS / "favicon.svg").write_text(SVG)
    for size in (192, 512):
        draw(size).save(ICONS / f"icon-{size}.png", optimize=True)
    draw(512, maskable=True).save(ICONS / "icon-maskable-512.png", optimize=True)
    # iOS rounds the corners itself and shows transparency as black: a full square.
    draw(180, maskable=True).save(ICONS / "apple-touch-icon.png", optimize=True)
    draw(48).save(SITE_ROOT / "favicon.ico", sizes=[(16, 16), (32, 32), (48, 48)])
    for path in sorted([*ICONS.iterdir(), SITE_ROOT / "favicon.ico"]):
        print(f"{path.relative_to(ROOT)}  {path.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
