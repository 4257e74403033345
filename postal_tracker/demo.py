"""Demo data from Thái Nguyên province, made through the same services as the
pages, so a demo history is as genuine (and as verifiable) as a real one."""

from __future__ import annotations

import itertools
import uuid
from datetime import datetime, timedelta

from sqlalchemy.orm import Session
from sqlmodel import col, select

from postal_tracker.auth.models import User
from postal_tracker.auth.roles import Role
from postal_tracker.auth.service import create_user, find_user
from postal_tracker.clock import VN_TZ
from postal_tracker.config import Settings
from postal_tracker.custody.actors import actor_for
from postal_tracker.custody.ledger import Scan, record
from postal_tracker.custody.models import Item
from postal_tracker.custody.rules import EventKind
from postal_tracker.intake.models import DeliveryPreference
from postal_tracker.intake.service import DocumentLine, IntakeRecord, take_in
from postal_tracker.slips.issuing import SlipIssuer
from postal_tracker.units.kinds import UnitKind
from postal_tracker.units.models import Unit
from postal_tracker.units.service import add_unit

DEMO_PASSWORD = "demo-pass-2026"

# username, full name, role, unit codes
DEMO_USERS: list[tuple[str, str, Role, list[str]]] = [
    ("canbo.trangxa", "Lương Thị Thu Hà", Role.COMMUNE_OFFICER, ["MC-TRANGXA"]),
    ("canbo.trungvuong", "Đỗ Thị Thu Nga", Role.COMMUNE_OFFICER, ["MC-TRUNGVUONG"]),
    ("canbo.hoavanthu", "Ngô Quang Huy", Role.COMMUNE_OFFICER, ["MC-HOANGVANTHU"]),
    ("buuta.vonhai", "Nguyễn Văn Hùng", Role.POSTAL_WORKER, ["BD-VONHAI"]),
    ("buuta.donghy", "Trần Minh Đức", Role.POSTAL_WORKER, ["BD-DONGHY", "BDVH-HOATRUNG"]),
    ("gdv.tinh", "Phạm Thị Lan", Role.POST_OFFICE_CLERK, ["BD-TINH"]),
    ("chuyenvien.sct", "Hoàng Văn Nam", Role.AGENCY_CLERK, ["SCT"]),
    ("chuyenvien.snv", "Bùi Thị Hằng", Role.AGENCY_CLERK, ["SNV"]),
    ("giamsat", "Vũ Thị Mai", Role.SUPERVISOR, ["19"]),
    ("quantri", "Đặng Quốc Bảo", Role.ADMIN, ["19"]),
]


def has_data(session: Session) -> bool:
    return session.scalars(select(Unit.id)).first() is not None


def has_demo_users(session: Session) -> bool:
    return find_user(session, DEMO_USERS[0][0]) is not None


def logins_text() -> str:
    lines = [f"Demo logins (password for all: {DEMO_PASSWORD}):"]
    lines += [f"  {u:<18} {role.value:<18} {name}" for u, name, role, _ in DEMO_USERS]
    return "\n".join(lines)


def _units(session: Session) -> dict[str, Unit]:
    def add(code: str, name: str, kind: UnitKind, parent: Unit | None, address: str = "") -> Unit:
        unit = add_unit(session, code=code, name=name, kind=kind, parent=parent, address=address)
        units[code] = unit
        return unit

    units: dict[str, Unit] = {}
    tn = add("19", "Tỉnh Thái Nguyên", UnitKind.PROVINCE, None)
    add(
        "BD-TINH",
        "Bưu điện tỉnh Thái Nguyên",
        UnitKind.HUB,
        tn,
        "10 đường Đội Cấn, phường Trưng Vương, Thái Nguyên",
    )
    add("SCT", "Sở Công Thương", UnitKind.AGENCY, tn, "Thái Nguyên")
    add("BQLKCN", "Ban Quản lý các Khu công nghiệp tỉnh", UnitKind.AGENCY, tn, "Thái Nguyên")
    add("SNV", "Sở Nội vụ", UnitKind.AGENCY, tn, "Thái Nguyên")
    tv = add("P-TRUNGVUONG", "Phường Trưng Vương", UnitKind.COMMUNE, tn)
    add("MC-TRUNGVUONG", "Bộ phận một cửa phường Trưng Vương", UnitKind.COMMUNE_OFFICE, tv)
    hvt = add("P-HOANGVANTHU", "Phường Hoàng Văn Thụ", UnitKind.COMMUNE, tn)
    add("MC-HOANGVANTHU", "Bộ phận một cửa phường Hoàng Văn Thụ", UnitKind.COMMUNE_OFFICE, hvt)
    vn = add("H-VONHAI", "Huyện Võ Nhai", UnitKind.DISTRICT, tn)
    add(
        "BD-VONHAI", "Bưu điện huyện Võ Nhai", UnitKind.POST_OFFICE, vn, "Thị trấn Đình Cả, Võ Nhai"
    )
    tx = add("X-TRANGXA", "Xã Tràng Xá", UnitKind.COMMUNE, vn)
    add("MC-TRANGXA", "Bộ phận một cửa xã Tràng Xá", UnitKind.COMMUNE_OFFICE, tx)
    dh = add("H-DONGHY", "Huyện Đồng Hỷ", UnitKind.DISTRICT, tn)
    add(
        "BD-DONGHY",
        "Bưu điện huyện Đồng Hỷ",
        UnitKind.POST_OFFICE,
        dh,
        "Thị trấn Hóa Thượng, Đồng Hỷ",
    )
    ht = add("X-HOATRUNG", "Xã Hóa Trung", UnitKind.COMMUNE, dh)
    # Hóa Trung's one-stop desk sits in the commune's cultural post point.
    add("BDVH-HOATRUNG", "Điểm Bưu điện văn hóa xã Hóa Trung (một cửa)", UnitKind.POST_POINT, ht)
    return units


def load(session: Session, settings: Settings) -> None:
    units = _units(session)
    users: dict[str, User] = {}
    for username, name, role, codes in DEMO_USERS:
        users[username] = create_user(
            session,
            username=username,
            full_name=name,
            role=role,
            password=DEMO_PASSWORD,
            units=[units[c] for c in codes],
        )
    now = datetime.now(VN_TZ)
    seals = itertools.count(1)  # a seal number is used once per intake unit

    def intake(
        user: str,
        office: str,
        sender: str,
        phone: str,
        address: str,
        agency: str,
        proc: tuple[str, str, str],
        docs: list[DocumentLine],
        hours_ago: float,
        pickup: bool = False,
    ) -> Item:
        u = users[user]
        _, item = take_in(
            session,
            actor_for(session, u, units[office].id),
            IntakeRecord(
                sender_name=sender,
                sender_phone=phone,
                sender_address=address,
                sender_id_number="",
                authorised=False,
                principal_name="",
                procedure_code=proc[0],
                procedure_name=proc[1],
                procedure_field=proc[2],
                agency_id=_id(units[agency]),
                documents=tuple(docs),
                fee_vnd=0,
                postage_vnd=26_000,
                seal_number=f"NT-{next(seals):06d}",
                delivery_preference=DeliveryPreference.PICKUP
                if pickup
                else DeliveryPreference.HOME,
                delivery_address="",
                note="",
                intake_unit_id=_id(units[office]),
            ),
            client_id=str(uuid.uuid4()),
            device_time=now - timedelta(hours=hours_ago),
            tracking_prefix=settings.tracking_prefix,
            tracking_country=settings.tracking_country,
            issuer=SlipIssuer.from_settings(settings),
        )
        return item

    def step(
        user: str,
        item: Item,
        kind: EventKind,
        hours_ago: float,
        *,
        to_user: str | None = None,
        to_unit: str | None = None,
        confirm: bool = False,
    ) -> None:
        u = users[user]
        receiver_unit = units[to_unit] if to_unit else None
        record(
            session,
            actor_for(session, u),
            Scan(
                client_id=str(uuid.uuid4()),
                tracking_code=item.tracking_code,
                kind=kind,
                device_time=now - timedelta(hours=hours_ago),
                follows=item.head_event_id if confirm else None,
                receiver_user_id=users[to_user].id if to_user else None,
                receiver_unit_id=receiver_unit.id if receiver_unit else None,
                receiver_is_agency=bool(receiver_unit and receiver_unit.kind is UnitKind.AGENCY),
            ),
        )

    docs = [
        DocumentLine("Đơn đề nghị cấp giấy phép", 1, 0, 0, 2),
        DocumentLine("Giấy chứng nhận đăng ký kinh doanh", 0, 1, 0, 3),
    ]
    # 1. Just taken in at Tràng Xá.
    intake(
        "canbo.trangxa",
        "MC-TRANGXA",
        "Nguyễn Thị Phương Thảo",
        "0912 345 678",
        "Thôn Tràng Xá, xã Tràng Xá, huyện Võ Nhai",
        "SCT",
        ("2.000633", "Cấp Giấy phép bán lẻ sản phẩm rượu", "Lưu thông hàng hóa"),
        docs,
        1,
    )
    # 2. Tràng Xá → postal worker (confirmed) → offered to the provincial hub.
    it = intake(
        "canbo.trangxa",
        "MC-TRANGXA",
        "Lâm Văn Sùng",
        "0987 654 321",
        "Xóm Cây Thị, xã Tràng Xá, huyện Võ Nhai",
        "SNV",
        ("1.005384", "Xác nhận thời gian công tác", "Công chức, viên chức"),
        docs[:1],
        30,
    )
    step(
        "canbo.trangxa",
        it,
        EventKind.HANDOVER_OFFERED,
        29,
        to_user="buuta.vonhai",
        to_unit="BD-VONHAI",
    )
    step("buuta.vonhai", it, EventKind.HANDOVER_CONFIRMED, 28.9, confirm=True)
    step("buuta.vonhai", it, EventKind.DEPARTED, 27)
    step("buuta.vonhai", it, EventKind.HANDOVER_OFFERED, 20, to_unit="BD-TINH")
    # 3. Trưng Vương → hub → Sở Nội vụ, received.
    it = intake(
        "canbo.trungvuong",
        "MC-TRUNGVUONG",
        "Đỗ Thị Thu Nga",
        "0868 123 456",
        "Số 5 ngõ 12 đường Hoàng Văn Thụ, phường Trưng Vương",
        "SNV",
        ("1.009335", "Thi tuyển công chức", "Công chức, viên chức"),
        docs,
        52,
    )
    step("canbo.trungvuong", it, EventKind.HANDOVER_OFFERED, 50, to_unit="BD-TINH")
    step("gdv.tinh", it, EventKind.HANDOVER_CONFIRMED, 49.5, confirm=True)
    step("gdv.tinh", it, EventKind.HANDOVER_OFFERED, 30, to_unit="SNV")
    step("chuyenvien.snv", it, EventKind.DELIVERED_TO_AGENCY, 26, confirm=True)
    # 4. Picked up at home by the Đồng Hỷ postal worker, for Hóa Trung.
    intake(
        "buuta.donghy",
        "BDVH-HOATRUNG",
        "Lương Thị Thu Hà",
        "0203 3821 456",
        "Xóm Hóa Trung, xã Hóa Trung, huyện Đồng Hỷ",
        "BQLKCN",
        ("2.001234", "Cấp giấy phép lao động cho người nước ngoài", "Việc làm"),
        docs,
        3,
        pickup=True,
    )


def _id(unit: Unit) -> int:
    assert unit.id is not None
    return unit.id


def demo_units_by_code(session: Session) -> dict[str, Unit]:
    return {u.code: u for u in session.scalars(select(Unit).order_by(col(Unit.id)))}
