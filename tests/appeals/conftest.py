"""Appeals fixtures: the small county plus one account per handling role."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from linli.accounts.models import Role, RoleAssignment
from linli.appeals import services
from linli.appeals.models import Category
from linli.org.models import Department
from tests.conftest import make_user

RESIDENT_PHONE = "13912345678"


class Actors:
    def __init__(self, county):
        self.county = county
        self.rep = make_user("13700000001", "辜大祥", Role.REPRESENTATIVE, county.group_a)
        county.rep_a.user = self.rep
        county.rep_a.save(update_fields=["user"])
        self.rep_b = make_user("13700000002", "刘代表", Role.REPRESENTATIVE, county.group_b)
        county.rep_b.user = self.rep_b
        county.rep_b.save(update_fields=["user"])
        self.group_leader = make_user("13700000003", "组长", Role.GROUP_LEADER, county.group_a)
        self.village = make_user("13700000004", "村干部", Role.VILLAGE, county.village_a)
        self.town = make_user("13700000005", "镇干部", Role.TOWN, county.town_a)
        self.town_b = make_user("13700000006", "永和镇干部", Role.TOWN, county.town_b)
        self.city = make_user("13700000007", "指挥中心", Role.CITY, county.city)
        self.dept = make_user("13700000008", "住建局办事员", None)
        RoleAssignment.objects.create(
            user=self.dept,
            role=Role.DEPARTMENT,
            unit=county.city,
            department=Department.objects.get(name="住建局"),
        )
        self.other_dept = make_user("13700000009", "水务局办事员", None)
        RoleAssignment.objects.create(
            user=self.other_dept,
            role=Role.DEPARTMENT,
            unit=county.city,
            department=Department.objects.get(name="水务局"),
        )

    def fresh(self, user):
        """The same user without the per-request caches (scope, departments)."""
        return type(user).objects.get(pk=user.pk)


@pytest.fixture
def actors(reference_data, county):
    return Actors(county)


@pytest.fixture
def manhole_category(reference_data):
    return Category.objects.get(code="facilities")


@pytest.fixture
def file_appeal(actors, manhole_category):
    """Factory: a resident's appeal from a household of group A (rep_a's)."""

    def make(**kw):
        county = actors.county
        defaults = dict(
            actor=None,
            category=manhole_category,
            description="小区门口的井盖松动破损，晚上有人踩空",
            household=county.households_a[1],
            reporter_name="李四",
            reporter_phone=RESIDENT_PHONE,
        )
        defaults.update(kw)
        return services.appeal_file(**defaults)

    return make


def png_bytes(size=(40, 30), color=(200, 30, 30), exif=False, fmt="PNG") -> bytes:
    img = Image.new("RGB", size, color)
    buf = io.BytesIO()
    if exif:
        ex = Image.Exif()
        ex[0x010F] = "PhoneMaker"  # Make
        ex[0x0110] = "PhoneModel"  # Model
        img.save(buf, format="JPEG", exif=ex)
    else:
        img.save(buf, format=fmt)
    return buf.getvalue()
