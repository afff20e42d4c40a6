"""The grid: the unit tree, households, people, party members, and who answers for each (包保).

The tree is kept as a parent key plus a materialised path: `path` is the concatenation of the zero-padded
ids of the unit's ancestors and itself (PATH_WIDTH digits each, digits only so that ordering is the same in
every collation). A subtree is one indexed prefix query; the ancestors of a unit are read off its path
without touching the database. `district` (the top ancestor) is kept on the hot tables so that a large
deployment can partition by it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

PATH_WIDTH = 10  # digits per path segment: ids up to 9,999,999,999


def path_ids(path: str) -> list[int]:
    """The ids of a unit's ancestors and itself, from the root down, read off its path."""
    return [int(path[i : i + PATH_WIDTH]) for i in range(0, len(path), PATH_WIDTH)]


def path_segment(pk: int) -> str:
    return f"{pk:0{PATH_WIDTH}d}"


def path_upper(path: str) -> str:
    """The smallest digit string above every string that starts with `path` (a range bound any B-tree uses,
    whatever the collation, since paths are digits only)."""
    return f"{int(path) + 1:0{len(path)}d}"


class UnitQuerySet(models.QuerySet["Unit"]):
    def subtree(self, *paths: str) -> UnitQuerySet:
        """Units at or under any of `paths` (the roots' paths): one indexed range query per root."""
        return self.filter(subtree_q("path", *paths))


def subtree_q(field: str, *paths: str) -> Q:
    """`field` (a path column, possibly across a join, e.g. `unit__path`) is at or under one of `paths`.

    The range (>= path, < next path) uses a plain B-tree index on SQLite and PostgreSQL alike, and is
    exactly `startswith` because paths are digit strings of whole segments.
    """
    q = Q(pk__in=[])
    for p in _outermost(paths):
        q |= Q(**{f"{field}__gte": p, f"{field}__lt": path_upper(p)})
    return q


def _outermost(paths: Any) -> list[str]:
    """Drop every path that lies under another one in the list."""
    kept: list[str] = []
    for p in sorted(set(paths)):
        if not kept or not p.startswith(kept[-1]):
            kept.append(p)
    return kept


class Unit(models.Model):
    """One node of the administrative and grid tree: district → street → village/community (→ estate) →
    area (片) → block (块).

    Invariants: `path` is the parent's path plus this unit's own segment, and `depth` its number of
    segments; `district` is the top ancestor (itself for a root). Both are written only by the services
    (`unit_create`, `unit_move`), which rewrite a moved subtree in bulk and never let a unit move under
    itself. Codes are unique (Beijing's 15-digit unit-grid code by default; only uniqueness is enforced).
    """

    class Kind(models.TextChoices):
        DISTRICT = "district", _("District")
        STREET = "street", _("Street")
        VILLAGE = "village", _("Village")
        COMMUNITY = "community", _("Community")
        ESTATE = "estate", _("Estate")
        AREA = "area", _("Area (片)")
        BLOCK = "block", _("Block (块)")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(
        _("code"), max_length=32, unique=True, help_text=_("e.g. the 15-digit unit-grid code")
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(_("path"), max_length=255, blank=True, editable=False)
    depth = models.PositiveSmallIntegerField(_("depth"), default=0, editable=False)
    district = models.ForeignKey(
        "self",
        verbose_name=_("district"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    polygon = models.TextField(_("boundary (GeoJSON)"), blank=True)
    under_rectification = models.BooleanField(
        _("under rectification"), default=False, help_text=_("a weak organisation with its four-ones")
    )

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["path"]
        indexes = [
            # subtrees: Unit.objects.subtree(path) — a range on path (also the tree browser's ordering)
            models.Index(fields=["path"], name="grid_unit_path"),
            # children of a unit, by name: the tree browser's next level
            models.Index(fields=["parent", "name"], name="grid_unit_parent_name"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    kind__in=["district", "street", "village", "community", "estate", "area", "block"]
                ),
                name="grid_unit_kind",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="grid_unit_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="grid_unit_longitude_range",
            ),
            models.CheckConstraint(condition=~Q(pk=models.F("parent")), name="grid_unit_not_own_parent"),
        ]

    def __str__(self) -> str:
        return self.name

    def ancestor_ids(self) -> list[int]:
        """Ids from the root down to the parent (not this unit)."""
        return path_ids(self.path)[:-1]


class Household(models.Model):
    """A household (户), attached to the unit it lives in (usually a block).

    Invariants: `district` equals the unit's district (written by the services); the door number is unique
    within its unit.
    """

    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="households"
    )
    district = models.ForeignKey(
        Unit, verbose_name=_("district"), on_delete=models.PROTECT, related_name="+", editable=False
    )
    number = models.CharField(_("door number"), max_length=50)
    address = models.CharField(_("address"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        ordering = ["unit", "number"]
        indexes = [
            # partitioning and district-wide counts: Household.objects.filter(district=...)
            models.Index(fields=["district"], name="grid_household_district"),
        ]
        constraints = [
            # also serves a unit's household list: Household.objects.filter(unit=...).order_by("number")
            models.UniqueConstraint(fields=["unit", "number"], name="grid_household_unit_number"),
        ]

    def __str__(self) -> str:
        return self.number


class Person(models.Model):
    """A resident (or a cadre) known to the grid.

    Personal data (PIPL): phone and ID number are stored whole and shown masked; only cadres of the
    person's units (and above) may reveal them, and each reveal is recorded (`person.reveal`). The sensitive
    categories are shown only with a reveal. `user` links a login to the person (a resident who logs in sees
    their own household).
    """

    class Gender(models.TextChoices):
        FEMALE = "f", _("Female")
        MALE = "m", _("Male")
        UNKNOWN = "", _("Not recorded")

    name = models.CharField(_("name"), max_length=50)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    id_number = models.CharField(_("ID number"), max_length=18, blank=True)
    household = models.ForeignKey(
        Household,
        verbose_name=_("household"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    is_head = models.BooleanField(_("head of household"), default=False)
    district = models.ForeignKey(
        Unit,
        verbose_name=_("district"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("login"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="person",
    )
    # Sensitive categories (PIPL art. 28): least privilege, shown only on a recorded reveal.
    elderly_alone = models.BooleanField(_("elderly, living alone"), default=False)
    disability = models.BooleanField(_("disability"), default=False)
    low_income = models.BooleanField(_("low income (低保)"), default=False)
    special_population = models.BooleanField(_("special population"), default=False)

    SENSITIVE_FIELDS = ("elderly_alone", "disability", "low_income", "special_population")

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["household", "-is_head", "name"]
        indexes = [
            # partitioning and district-wide counts
            models.Index(fields=["district"], name="grid_person_district"),
            # duplicate checks on import: Person.objects.filter(id_number=...)
            models.Index(fields=["id_number"], name="grid_person_id_number"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["household"],
                condition=Q(is_head=True),
                name="grid_person_one_head_per_household",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def sensitive_labels(self) -> list[str]:
        return [
            str(self._meta.get_field(f).verbose_name)  # type: ignore[union-attr]
            for f in self.SENSITIVE_FIELDS
            if getattr(self, f)
        ]


class PartyMember(models.Model):
    """A party member's grid record: party group, centre household (党员中心户), in work or retired,
    dual registration (双报到) in the community where they live, and whether they show their identity
    (亮身份) publicly."""

    class Status(models.TextChoices):
        WORKING = "working", _("In work")
        RETIRED = "retired", _("Retired")

    person = models.OneToOneField(
        Person, verbose_name=_("person"), on_delete=models.CASCADE, related_name="party_member"
    )
    party_group = models.CharField(_("party group"), max_length=100, blank=True)
    centre_household = models.BooleanField(_("centre household (党员中心户)"), default=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.WORKING)
    registered_unit = models.ForeignKey(
        Unit,
        verbose_name=_("registered in (双报到)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="registered_party_members",
    )
    registered_on = models.DateField(_("registered on"), null=True, blank=True)
    show_identity = models.BooleanField(_("shows identity (亮身份)"), default=True)

    class Meta:
        verbose_name = _("party member")
        verbose_name_plural = _("party members")
        constraints = [
            models.CheckConstraint(condition=Q(status__in=["working", "retired"]), name="grid_pm_status"),
            models.CheckConstraint(
                condition=Q(registered_on__isnull=True) | Q(registered_unit__isnull=False),
                name="grid_pm_registration_has_unit",
            ),
        ]

    def __str__(self) -> str:
        return str(self.person)


class ResponsibilityQuerySet(models.QuerySet["Responsibility"]):
    def active(self, on: date | None = None) -> ResponsibilityQuerySet:
        """In force on `on` (today by default): started and not yet ended (`end` is the first day out)."""
        from django.utils import timezone

        day = on or timezone.localdate()
        return self.filter(Q(end__isnull=True) | Q(end__gt=day), start__lte=day)


class Responsibility(models.Model):
    """Someone answers for a unit or a household (包保): a street leader for a village (包村), a committee
    member for an area (包片), a party-group leader for a block (包块), a party member for a household (包户);
    and the four-ones (四个一) of a unit under rectification.

    Invariants: history is kept — ending an assignment sets `end`, nothing is deleted; `end` is never before
    `start`; a 包户 assignment names its household (and `unit` is the household's unit); a paired department
    names a department, every other role a person or a login.
    """

    class Role(models.TextChoices):
        STREET_LEADER = "street_leader", _("Street leader (包村)")
        COMMITTEE_MEMBER = "committee_member", _("Committee member (包片)")
        GROUP_LEADER = "group_leader", _("Party-group leader (包块)")
        PARTY_MEMBER = "party_member", _("Party member (包户)")
        GRID_MEMBER = "grid_member", _("Grid member")
        FOUR_DISTRICT_LEADER = "four_district_leader", _("District leader (四个一)")
        FOUR_STREET_SECRETARY = "four_street_secretary", _("Street secretary (四个一)")
        FOUR_FIRST_SECRETARY = "four_first_secretary", _("Resident first secretary (四个一)")
        FOUR_PAIRED_DEPARTMENT = "four_paired_department", _("Paired department (四个一)")

    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="responsibilities"
    )
    household = models.ForeignKey(
        Household,
        verbose_name=_("household"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="responsibilities",
    )
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    person = models.ForeignKey(
        Person,
        verbose_name=_("person"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="responsibilities",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("login"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="grid_responsibilities",
    )
    department = models.CharField(_("department"), max_length=100, blank=True)
    start = models.DateField(_("start"))
    end = models.DateField(_("end"), null=True, blank=True, help_text=_("the first day no longer in force"))
    district = models.ForeignKey(
        Unit, verbose_name=_("district"), on_delete=models.PROTECT, related_name="+", editable=False
    )

    objects = ResponsibilityQuerySet.as_manager()

    class Meta:
        verbose_name = _("responsibility")
        verbose_name_plural = _("responsibilities")
        ordering = ["unit", "role", "start"]
        indexes = [
            # the chain and coverage: Responsibility.objects.active().filter(unit_id__in=ancestors)
            models.Index(fields=["unit", "end"], name="grid_resp_unit_end"),
            # a login's scope: Responsibility.objects.active().filter(user=...)
            models.Index(fields=["user", "end"], name="grid_resp_user_end"),
            # a household's 包户 member: .filter(household=...)
            models.Index(fields=["household", "end"], name="grid_resp_household_end"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=models.F("start")),
                name="grid_resp_end_after_start",
            ),
            models.CheckConstraint(
                condition=~Q(role="party_member") | Q(household__isnull=False),
                name="grid_resp_party_member_has_household",
            ),
            models.CheckConstraint(
                condition=Q(role="four_paired_department", department__gt="")
                | (~Q(role="four_paired_department") & (Q(person__isnull=False) | Q(user__isnull=False))),
                name="grid_resp_has_someone",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.holder_label()}"

    def holder_label(self) -> str:
        if self.department:
            return self.department
        if self.person is not None:
            return self.person.name
        if self.user_id is not None:
            return str(self.user)
        return ""

    def is_active(self, on: date | None = None) -> bool:
        from django.utils import timezone

        day = on or timezone.localdate()
        return self.start <= day and (self.end is None or self.end > day)


class Post(models.Model):
    """An office a login holds in a unit (a village's cadre, a street's or district's staff): it gives the
    login the unit's subtree as scope while it lasts. Ending sets `end`; nothing is deleted."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("login"), on_delete=models.PROTECT, related_name="grid_posts"
    )
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="posts")
    title = models.CharField(_("title"), max_length=100)
    start = models.DateField(_("start"))
    end = models.DateField(_("end"), null=True, blank=True, help_text=_("the first day no longer in force"))

    class Meta:
        verbose_name = _("post")
        verbose_name_plural = _("posts")
        indexes = [
            # a login's scope: Post.objects.filter(user=..., end is null or later)
            models.Index(fields=["user", "end"], name="grid_post_user_end"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=models.F("start")),
                name="grid_post_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} @ {self.unit}"


class ScopeGrant(models.Model):
    """An explicit grant of a unit's subtree to a login (a supervisor, an auditor's temporary access), with
    a reason and an optional expiry."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("login"),
        on_delete=models.PROTECT,
        related_name="grid_grants",
    )
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="grants")
    reason = models.CharField(_("reason"), max_length=200)
    until = models.DateField(
        _("until"), null=True, blank=True, help_text=_("the first day no longer in force")
    )

    class Meta:
        verbose_name = _("scope grant")
        verbose_name_plural = _("scope grants")
        indexes = [
            # a login's scope: ScopeGrant.objects.filter(user=..., until is null or later)
            models.Index(fields=["user", "until"], name="grid_grant_user_until"),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.unit}"


class Term(models.Model):
    """A term of a village's or community's two committees (两委), e.g. 2021–2026."""

    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="terms")
    start_year = models.PositiveSmallIntegerField(_("first year"))
    end_year = models.PositiveSmallIntegerField(_("last year"))
    dispatched_secretary = models.BooleanField(_("secretary dispatched from above (下派书记)"), default=False)

    class Meta:
        verbose_name = _("term")
        verbose_name_plural = _("terms")
        ordering = ["unit", "start_year"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "start_year"], name="grid_term_unit_start"),
            models.CheckConstraint(condition=Q(end_year__gte=models.F("start_year")), name="grid_term_years"),
        ]

    def __str__(self) -> str:
        return f"{self.unit} {self.start_year}–{self.end_year}"


class Cadre(models.Model):
    """A member of the two committees in one term, with the facts the term report compares: birth date,
    education, and posts (secretary, director; both at once is 一肩挑)."""

    class Education(models.TextChoices):
        PRIMARY = "primary", _("Primary school or less")
        JUNIOR = "junior", _("Junior high school")
        SENIOR = "senior", _("High school or technical secondary")
        COLLEGE = "college", _("College")
        BACHELOR = "bachelor", _("Bachelor or above")

    HIGH_SCHOOL_OR_ABOVE = ("senior", "college", "bachelor")

    term = models.ForeignKey(Term, verbose_name=_("term"), on_delete=models.CASCADE, related_name="cadres")
    person = models.ForeignKey(
        Person, verbose_name=_("person"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("name"), max_length=50)
    birth_date = models.DateField(_("birth date"))
    education = models.CharField(_("education"), max_length=10, choices=Education.choices)
    is_secretary = models.BooleanField(_("party secretary"), default=False)
    is_director = models.BooleanField(_("committee director"), default=False)
    dispatched = models.BooleanField(_("dispatched from above (下派)"), default=False)
    posts = models.CharField(_("other posts"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("cadre")
        verbose_name_plural = _("cadres")
        ordering = ["term", "-is_secretary", "-is_director", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["term"], condition=Q(is_secretary=True), name="grid_cadre_one_secretary"
            ),
            models.CheckConstraint(
                condition=Q(education__in=["primary", "junior", "senior", "college", "bachelor"]),
                name="grid_cadre_education",
            ),
        ]

    def __str__(self) -> str:
        return self.name
