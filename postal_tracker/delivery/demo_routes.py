"""Demo routes for Thái Nguyên (``demo.load`` may call :func:`load_demo_routes`):
the Võ Nhai worker serves Tràng Xá on Monday, Wednesday and Friday mornings;
the Đồng Hỷ worker serves Hóa Trung on Tuesday and Thursday afternoons, with
results held for pickup at Hóa Trung's cultural post point."""

from __future__ import annotations

from sqlalchemy.orm import Session

from postal_tracker.delivery.routes import RouteInput, check_route, save_route

DEMO_ROUTES = (
    RouteInput("buuta.vonhai", "X-TRANGXA", "Mon Wed Fri", "08:00", "11:30", "30", "MC-TRANGXA"),
    RouteInput("buuta.donghy", "X-HOATRUNG", "Tue Thu", "13:30", "17:00", "25", "BDVH-HOATRUNG"),
)


def load_demo_routes(session: Session) -> int:
    for raw in DEMO_ROUTES:
        save_route(session, check_route(session, raw))
    return len(DEMO_ROUTES)
