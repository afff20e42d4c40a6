"""The minutes of a meeting: a printable PDF (for the file and the notice board) and an editable .xlsx.

Chinese text uses the Adobe standard CID font STSong-Light, as the ledger's notices do (minhu/ledger/pdf.py):
built into reportlab and not embedded, so every reader with Chinese support renders it, the file stays small
and the text stays extractable and searchable. Times are shown in the deployment's zone (Asia/Shanghai).
"""

from __future__ import annotations

from collections.abc import Iterator
from io import BytesIO
from typing import Any
from xml.sax.saxutils import escape

from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from minhu.core.tabular import xlsx_response
from minhu.meetings.models import Meeting

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def _local(dt: Any) -> str:
    return f"{timezone.localtime(dt):%Y-%m-%d %H:%M}" if dt else ""


def _style(size: float, leading: float | None = None, space: float = 2) -> ParagraphStyle:
    return ParagraphStyle(
        f"m{size}",
        fontName=FONT,
        fontSize=size,
        leading=leading or size * 1.5,
        wordWrap="CJK",  # Chinese breaks between any two characters
        spaceAfter=space,
    )


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def _owner(who: Any, role: str) -> str:
    return f"{role} {who}".strip() if who is not None else role


def minutes_pdf(meeting: Meeting) -> bytes:
    """The minutes as an A4 PDF: heading, attendance with sign-in times, then each matter with its notes,
    decision and actions. `meeting` comes from `selectors.meeting_detail` (everything prefetched)."""
    h1, h2, body, small = _style(16, space=6), _style(13, space=4), _style(10.5), _style(9)
    buf = BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=f"{meeting.title} {_('Minutes')}",
    )
    story: list[Any] = [
        _p(f"{meeting.title} · {_('Minutes')}", h1),
        _p(f"{meeting.type.name} · {meeting.unit.name}", body),
        _p(f"{_('Starts at')}: {_local(meeting.starts_at)}    {_('Place')}: {meeting.place or '—'}", body),
        _p(f"{_('Convener')}: {meeting.convener}    {_('State')}: {meeting.get_state_display()}", body),
        Spacer(1, 4 * mm),
        _p(_("Attendance"), h2),
    ]
    rows = [[_p(_("Party"), small), _p(_("Name"), small), _p(_("Role"), small), _p(_("Signed in at"), small)]]
    for a in meeting.attendance.all():
        rows.append(
            [
                _p(a.party, small),
                _p(a.name, small),
                _p(a.role, small),
                _p(_local(a.signed_in_at) or _("absent"), small),
            ]
        )
    table = Table(rows, colWidths=[40 * mm, 35 * mm, 50 * mm, 45 * mm], repeatRows=1)
    table.setStyle(
        TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP")])
    )
    story += [table, Spacer(1, 4 * mm)]
    if meeting.minutes:
        story += [_p(_("Minutes"), h2), _p(meeting.minutes, body), Spacer(1, 2 * mm)]
    story.append(_p(_("Matters (one matter per item)"), h2))
    for item in meeting.items.all():
        story.append(_p(f"{item.number}. {item.title} ({item.get_state_display()})", _style(11.5, space=3)))
        if item.notes:
            story.append(_p(f"{_('Discussion notes')}: {item.notes}", body))
        if item.state != item.State.OPEN:
            story.append(_p(f"{_('Solution')}: {item.solution}", body))
            budget = f"{item.budget} {_('yuan')}" if item.budget is not None else "—"
            story.append(
                _p(
                    f"{_('Responsible party')}: {_owner(item.owner, item.owner_role)}    "
                    f"{_('Deadline')}: {item.deadline:%Y-%m-%d}    {_('Budget')}: {budget}",
                    body,
                )
            )
            for n, action in enumerate(item.actions.all(), 1):
                story.append(
                    _p(
                        f"  ({n}) {action.title} — {_owner(action.owner, action.owner_role)}, "
                        f"{_('due')} {timezone.localtime(action.due_at):%Y-%m-%d}, "
                        f"{action.get_state_display()}",
                        small,
                    )
                )
        if item.closed_at:
            story.append(_p(f"{_('Closed out at')}: {_local(item.closed_at)} {item.close_note}", small))
        story.append(Spacer(1, 2 * mm))
    story.append(_p(f"{_('Printed at')}: {_local(timezone.now())}", small))
    doc.build(story)
    return buf.getvalue()


def _xlsx_rows(meeting: Meeting) -> Iterator[list[Any]]:
    yield [
        _("Meeting"),
        "",
        meeting.title,
        meeting.type.name,
        meeting.unit.name,
        _local(meeting.starts_at),
        meeting.place,
        meeting.get_state_display(),
        "",
        "",
    ]
    for a in meeting.attendance.all():
        yield [_("Attendance"), "", a.name, a.party, a.role, _local(a.signed_in_at), "", "", "", ""]
    for item in meeting.items.all():
        yield [
            _("Matter"),
            item.number,
            item.title,
            _owner(item.owner, item.owner_role),
            item.solution,
            f"{item.deadline:%Y-%m-%d}" if item.deadline else "",
            item.budget if item.budget is not None else "",
            item.get_state_display(),
            item.notes,
            _local(item.closed_at),
        ]
        for action in item.actions.all():
            yield [
                _("Action"),
                item.number,
                action.title,
                _owner(action.owner, action.owner_role),
                action.result,
                f"{timezone.localtime(action.due_at):%Y-%m-%d}",
                "",
                action.get_state_display(),
                action.verify_note,
                _local(action.verified_at),
            ]


def minutes_xlsx(meeting: Meeting) -> FileResponse:
    """The minutes as one sheet that staff edit in Excel: a row for the meeting, each attendee, each matter
    and each action."""
    header = [
        _("Row"),
        _("No."),
        pgettext("minutes column", "Title"),
        _("Who"),
        _("Solution / result"),
        _("Date"),
        _("Budget (yuan)"),
        _("State"),
        _("Notes"),
        _("Closed / verified at"),
    ]
    return xlsx_response(f"minutes-{meeting.pk}.xlsx", header, _xlsx_rows(meeting))
