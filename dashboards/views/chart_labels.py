"""Where a scatter chart's point labels go so that they do not overprint each other or a point:
each label takes the first of above, below, right and left of its point whose box is free."""

from __future__ import annotations

POSITIONS = ("top center", "bottom center", "middle right", "middle left")
MARKER_PX = 22
CHAR_PX, LINE_PX = 9.5, 20  # a label of the charts' 16 px font, roughly


def _overlaps(a, b) -> bool:
    return abs(a[0] - b[0]) * 2 < a[2] + b[2] and abs(a[1] - b[1]) * 2 < a[3] + b[3]


def text_positions(xs, ys, texts, x_range, y_range, plot_px=(900, 460)) -> list[str]:
    """A plotly textposition per point (lists in the same order; None for a point whose text is
    None: no label, only its marker is avoided), the axes spanning x_range and y_range over about
    plot_px pixels."""
    scale_x = plot_px[0] / (x_range[1] - x_range[0])
    scale_y = plot_px[1] / (y_range[1] - y_range[0])
    points = [(x * scale_x, y * scale_y) for x, y in zip(xs, ys)]
    taken = [(px, py, MARKER_PX, MARKER_PX) for px, py in points]  # boxes: centre x, centre y, width, height
    chosen = []
    for (px, py), text in zip(points, texts):
        if text is None:
            chosen.append(None)
            continue
        width, gap = CHAR_PX * len(str(text)), MARKER_PX / 2 + 2
        boxes = {
            "top center": (px, py + gap + LINE_PX / 2, width, LINE_PX),
            "bottom center": (px, py - gap - LINE_PX / 2, width, LINE_PX),
            "middle right": (px + gap + width / 2, py, width, LINE_PX),
            "middle left": (px - gap - width / 2, py, width, LINE_PX),
        }
        position = next((p for p in POSITIONS if not any(_overlaps(boxes[p], box) for box in taken)), POSITIONS[0])
        taken.append(boxes[position])
        chosen.append(position)
    return chosen
