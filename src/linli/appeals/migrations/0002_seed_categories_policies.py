from django.db import migrations

# Two-level categories with their default departments. Administrators edit
# them in the admin; codes are stable identifiers for the API and exports.
CATEGORIES = [
    ("livelihood", "民生诉求", "appeal", None, [
        ("roads", "道路交通", "交通运输局"),
        ("water", "供水排水", "水务局"),
        ("power", "供电", "供电公司"),
        ("sanitation", "环境卫生", "城管局"),
        ("facilities", "市政设施(井盖、路灯等)", "住建局"),
        ("housing", "住房保障", "住建局"),
        ("assistance", "社会救助", "民政局"),
        ("elderly", "养老服务", "民政局"),
        ("medical", "医疗卫生", "卫健局"),
        ("education", "教育入学", "教育局"),
        ("livelihood_other", "其他民生诉求", None),
    ]),
    ("dispute", "矛盾纠纷", "dispute", None, [
        ("neighbour", "邻里纠纷", "司法局"),
        ("land", "土地山林纠纷", "自然资源局"),
        ("family", "婚姻家庭纠纷", "妇联"),
        ("labour", "劳动争议", "人社局"),
        ("property", "房屋宅基地纠纷", "自然资源局"),
        ("dispute_other", "其他纠纷", "司法局"),
    ]),
    ("hazard", "安全隐患", "hazard", None, [
        ("fire", "消防隐患", "消防救援大队"),
        ("traffic_safety", "交通安全", "公安局"),
        ("geological", "地质灾害", "自然资源局"),
        ("building", "房屋安全", "住建局"),
        ("food", "食品安全", "市场监管局"),
        ("hazard_other", "其他安全隐患", "应急管理局"),
    ]),
    ("consult", "政策咨询", "consult", None, [
        ("social_security", "社保医保", "人社局"),
        ("agriculture", "农业补贴", "农业农村局"),
        ("consult_other", "其他政策咨询", None),
    ]),
    ("suggestion", "意见建议", "suggestion", None, [
        ("village_affairs", "村务建议", None),
        ("suggestion_other", "其他建议", None),
    ]),
]

# (level, urgency, claim_hours, resolve_amount, resolve_unit, remind_before_hours, auto_escalate)
POLICIES = [
    ("group", "normal", 24, 3, "working_days", 8, True),
    ("group", "urgent", 2, 24, "hours", 4, True),
    ("village", "normal", 24, 5, "working_days", 8, True),
    ("village", "urgent", 2, 2, "days", 6, True),
    ("town", "normal", 24, 10, "working_days", 24, True),
    ("town", "urgent", 4, 3, "days", 12, True),
    ("city", "normal", 24, 15, "working_days", 24, False),
    ("city", "urgent", 4, 5, "days", 24, False),
]


def seed(apps, schema_editor):
    Category = apps.get_model("appeals", "Category")
    Department = apps.get_model("org", "Department")
    DeadlinePolicy = apps.get_model("appeals", "DeadlinePolicy")
    depts = {d.name: d for d in Department.objects.all()}
    for i, (code, name, kind, dept, children) in enumerate(CATEGORIES):
        parent, _ = Category.objects.get_or_create(
            code=code, defaults={"name": name, "kind": kind, "order": i,
                                 "default_department": depts.get(dept)}
        )
        for j, (ccode, cname, cdept) in enumerate(children):
            Category.objects.get_or_create(
                code=ccode,
                defaults={"name": cname, "kind": kind, "parent": parent, "order": j,
                          "default_department": depts.get(cdept)},
            )
    for level, urgency, claim, amount, unit, remind, auto in POLICIES:
        DeadlinePolicy.objects.get_or_create(
            level=level, urgency=urgency,
            defaults={"claim_hours": claim, "resolve_amount": amount, "resolve_unit": unit,
                      "remind_before_hours": remind, "auto_escalate": auto, "visit_days": 3},
        )


class Migration(migrations.Migration):
    dependencies = [("appeals", "0001_initial"), ("org", "0003_seed_departments")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
