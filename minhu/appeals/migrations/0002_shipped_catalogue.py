"""The shipped dispatch catalogue (派单目录): a starting point that staff edit. Deadlines follow the defaults in
docs/appeals.md (Beijing's 2021 draft standard): emergency 2 h, water/power/gas/heating 24 h, ordinary 7 days,
complex 15 days. Existing codes are never overwritten, so re-running is harmless."""

from __future__ import annotations

from typing import Any

from django.db import migrations

# code, name, English name, group, default kind, urgency, level, response h, resolution, unit, required, keywords
CATALOGUE: list[tuple[Any, ...]] = [
    ("E01", "紧急险情", "Emergency hazard", "安全", "help", "emergency", "area", 1, 2, "hours", ["location"],
     "燃气 泄漏 火 冒烟 塌 坠落 漏电"),
    ("U01", "停水停电停气", "Water, power or gas cut", "水电气热", "help", "utilities", "household", 4, 24,
     "hours", [], "停水 停电 停气 没水 没电 断电"),
    ("U02", "供暖问题", "Heating", "水电气热", "help", "utilities", "household", 4, 24, "hours", [],
     "暖气 不热 供暖 温度"),
    ("G01", "环境卫生", "Sanitation", "环境", "complaint", "ordinary", "household", 24, 7, "days", [],
     "垃圾 卫生 死角 异味 清运 堆放"),
    ("G02", "电动车充电", "Electric-bike charging", "设施", "help", "ordinary", "household", 24, 7, "days", [],
     "电动车 充电 飞线 充电桩 电瓶车"),
    ("G03", "公共设施缺失或损坏", "Missing or broken facilities", "设施", "report", "ordinary", "household",
     24, 7, "days", ["location"], "路灯 井盖 座椅 健身器材 设施 损坏 缺失"),
    ("G04", "物业服务", "Property management", "物业", "complaint", "ordinary", "household", 24, 7, "days",
     [], "物业 保安 保洁 电梯 维修"),
    ("G05", "邻里纠纷", "Dispute between neighbours", "矛盾调解", "help", "ordinary", "household", 24, 7,
     "days", [], "邻居 纠纷 吵架 矛盾"),
    ("G06", "噪音扰民", "Noise", "环境", "complaint", "ordinary", "household", 24, 7, "days", [],
     "噪音 吵 扰民 装修 广场舞"),
    ("G07", "停车管理", "Parking", "交通", "complaint", "ordinary", "household", 24, 7, "days", [],
     "停车 车位 占道 乱停"),
    ("P01", "政策咨询", "Policy question", "咨询", "consult", "ordinary", "household", 24, 3,
     "working_days", [], "政策 怎么办理 咨询 社保 医保 补贴"),
    ("H01", "养老助残帮扶", "Help for the elderly and disabled", "民生", "help", "ordinary", "household", 24,
     7, "days", [], "老人 独居 残疾 帮扶 助餐"),
    ("C01", "违法建设", "Illegal construction", "城市管理", "report", "complex", "village", 24, 15, "days",
     ["location"], "违建 私搭乱建 加盖"),
    ("C02", "复杂疑难问题", "Complex matter", "其他", "complaint", "complex", "village", 24, 15, "days", [],
     ""),
    ("S01", "意见建议", "Suggestion", "其他", "suggestion", "ordinary", "household", 24, 13, "working_days",
     [], "建议 希望 意见"),
]


def load(apps: Any, schema_editor: Any) -> None:
    Category = apps.get_model("appeals", "Category")
    for code, name, name_en, group, kind, urgency, level, resp, amount, unit, required, words in CATALOGUE:
        Category.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "name_en": name_en,
                "group": group,
                "default_kind": kind,
                "urgency": urgency,
                "handling_level": level,
                "response_hours": resp,
                "resolution_amount": amount,
                "resolution_unit": unit,
                "required_fields": required,
                "keywords": words,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("appeals", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
