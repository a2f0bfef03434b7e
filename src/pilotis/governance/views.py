"""Pages of a plan's bodies and meetings: agenda, attendance (émargement), minutes, attachments,
decisions (the COPIL's yearly ones included), invitations and the iCalendar feed."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from pilotis.followup import api as followup_api
from pilotis.governance import amendments, files, ical, perms, versions
from pilotis.governance.forms import (
    STATUS_CHOICES,
    AmendmentForm,
    AttachmentForm,
    BodyForm,
    DecisionForm,
    MeetingForm,
    MemberForm,
    MergeForm,
)
from pilotis.governance.models import (
    Amendment,
    Attachment,
    Attendance,
    Body,
    BodyMember,
    Meeting,
    MeetingDecision,
)
from pilotis.plans import editor
from pilotis.plans.models import Fiche, Plan


def _plan(request, slug: str) -> Plan:
    plan = get_object_or_404(Plan, slug=slug)
    perms.ensure_can_read(request.user, plan)
    return plan


def _crumbs(plan: Plan, current: str, *extra: tuple[str, str]) -> dict:
    links = [
        {"url": plan.get_absolute_url(), "title": Truncator(plan.title).chars(40)},
        {"url": reverse("governance:bodies", args=[plan.slug]), "title": "Instances"},
    ]
    links += [{"url": url, "title": title} for url, title in extra]
    return {"links": links, "current": current}


def _context(request, plan: Plan, **extra) -> dict:
    return {
        "plan": plan,
        "may_edit": perms.can_edit(request.user, plan),
        "members_view": perms.can_read_members_only(request.user, plan),
        **extra,
    }


@require_safe
def bodies(request, slug):
    plan = _plan(request, slug)
    rows = Body.objects.filter(plan=plan).prefetch_related(
        Prefetch("meetings", queryset=Meeting.objects.order_by("starts_at"))
    )
    now = timezone.now()
    listed = []
    for body in rows:
        meetings = list(body.meetings.all())
        upcoming = next((m for m in meetings if m.starts_at >= now), None)
        last = next((m for m in reversed(meetings) if m.starts_at < now), None)
        listed.append((body, upcoming, last))
    return render(
        request,
        "governance/bodies.html",
        _context(
            request,
            plan,
            bodies=listed,
            title=f"Instances — {plan.title}",
            breadcrumb_data={
                "links": [
                    {"url": plan.get_absolute_url(), "title": Truncator(plan.title).chars(40)}
                ],
                "current": "Instances",
            },
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def body_edit(request, slug, pk=None):
    plan = _plan(request, slug)
    perms.ensure_can_edit(request.user, plan)
    body = get_object_or_404(Body, plan=plan, pk=pk) if pk else Body(plan=plan)
    form = BodyForm(request.POST or None, instance=body)
    if request.method == "POST" and form.is_valid():
        body = form.save(commit=False)
        body._history_user = request.user
        body.save()
        messages.success(request, f"L’instance « {body.name} » est enregistrée.")
        return redirect(body.get_absolute_url())
    title = f"Modifier « {body.name} »" if pk else "Ajouter une instance"
    return render(
        request,
        "governance/form.html",
        _context(request, plan, form=form, title=title, breadcrumb_data=_crumbs(plan, title)),
        status=400 if request.method == "POST" else 200,
    )


@require_http_methods(["GET", "POST"])
def body(request, slug, pk):
    plan = _plan(request, slug)
    item = get_object_or_404(
        Body.objects.prefetch_related("meetings").select_related("plan"), plan=plan, pk=pk
    )
    form = None
    if perms.can_edit(request.user, plan):
        form = MemberForm(request.POST or None, plan=plan, prefix="member")
        if request.method == "POST" and form.is_valid():
            member = form.save(commit=False)
            member.body = item
            member._history_user = request.user
            member.save()
            messages.success(request, f"« {member.label} » est membre de « {item.name} ».")
            return redirect(item.get_absolute_url())
    elif request.method == "POST":
        perms.ensure_can_edit(request.user, plan)
    members = list(item.members.select_related("organisation"))
    return render(
        request,
        "governance/body.html",
        _context(
            request,
            plan,
            body=item,
            members=members,
            meetings=list(item.meetings.all()),
            form=form,
            title=item.name,
            breadcrumb_data=_crumbs(plan, Truncator(item.name).chars(50)),
        ),
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def member_remove(request, slug, pk):
    plan = _plan(request, slug)
    perms.ensure_can_edit(request.user, plan)
    member = get_object_or_404(BodyMember, body__plan=plan, pk=pk)
    body = member.body
    if Attendance.objects.filter(member=member).exists():
        messages.error(
            request,
            f"« {member.label} » a un émargement enregistré : il reste membre pour que les "
            "feuilles de présence passées restent justes. Effacez seulement ses coordonnées.",
        )
    else:
        member._history_user = request.user
        member.delete()
        messages.success(request, f"« {member.label} » ne siège plus dans « {body.name} ».")
    return redirect(body.get_absolute_url())


@login_required
@require_http_methods(["GET", "POST"])
def meeting_edit(request, slug, body_pk=None, pk=None):
    plan = _plan(request, slug)
    perms.ensure_can_edit(request.user, plan)
    if pk:
        meeting = get_object_or_404(Meeting, body__plan=plan, pk=pk)
        body = meeting.body
    else:
        body = get_object_or_404(Body, plan=plan, pk=body_pk)
        meeting = Meeting(body=body)
    form = MeetingForm(request.POST or None, instance=meeting, plan=plan)
    if request.method == "POST" and form.is_valid():
        meeting = form.save(commit=False)
        meeting._history_user = request.user
        meeting.save()
        form.save_m2m()
        messages.success(request, f"La réunion « {meeting} » est enregistrée.")
        return redirect(meeting.get_absolute_url())
    title = f"Modifier la réunion « {meeting} »" if pk else f"Nouvelle réunion — {body.name}"
    return render(
        request,
        "governance/form.html",
        _context(
            request,
            plan,
            form=form,
            title=title,
            breadcrumb_data=_crumbs(plan, "Réunion", (body.get_absolute_url(), body.name)),
        ),
        status=400 if request.method == "POST" else 200,
    )


def _meeting(request, slug, pk) -> tuple[Plan, Meeting]:
    plan = _plan(request, slug)
    meeting = get_object_or_404(
        Meeting.objects.select_related("body__plan").prefetch_related(
            Prefetch("agenda_fiches", queryset=Fiche.objects.order_by("position"))
        ),
        body__plan=plan,
        pk=pk,
    )
    return plan, meeting


@require_safe
def meeting(request, slug, pk):
    plan, item = _meeting(request, slug, pk)
    members_view = perms.can_read_members_only(request.user, plan)
    members = list(item.body.members.select_related("organisation"))
    marks = {a.member_id: a for a in item.attendance.all()} if members_view else {}
    return render(
        request,
        "governance/meeting.html",
        _context(
            request,
            plan,
            meeting=item,
            body=item.body,
            rows=[(m, marks.get(m.pk)) for m in members],
            status_choices=STATUS_CHOICES,
            decisions=list(item.decisions.select_related("fiche")),
            attachments=list(item.attachments.all()) if members_view else [],
            show_minutes=members_view or item.published,
            decision_form=DecisionForm(plan=plan, prefix="decision"),
            attachment_form=AttachmentForm(prefix="file"),
            title=str(item),
            breadcrumb_data=_crumbs(
                plan,
                f"Réunion du {timezone.localtime(item.starts_at):%d/%m/%Y}",
                (item.body.get_absolute_url(), item.body.name),
            ),
        ),
    )


@login_required
@require_POST
def attendance(request, slug, pk):
    """Record the émargement after the meeting: one status per member, all at once."""
    plan, item = _meeting(request, slug, pk)
    perms.ensure_can_edit(request.user, plan)
    valid = set(Attendance.Status.values)
    with transaction.atomic():
        for member in item.body.members.all():
            status = request.POST.get(f"status-{member.pk}", "")
            represented_by = request.POST.get(f"by-{member.pk}", "").strip()[:200]
            if status and status not in valid:
                messages.error(request, f"Présence inconnue pour « {member.label} ».")
                transaction.set_rollback(True)
                return redirect(item.get_absolute_url())
            if status == Attendance.Status.REPRESENTED and not represented_by:
                messages.error(
                    request,
                    f"« {member.label} » est représenté : dites par qui. Rien n’a été enregistré.",
                )
                transaction.set_rollback(True)
                return redirect(item.get_absolute_url())
            if status:
                Attendance.objects.update_or_create(
                    meeting=item,
                    member=member,
                    defaults={"status": status, "represented_by": represented_by},
                )
            else:
                Attendance.objects.filter(meeting=item, member=member).delete()
    messages.success(request, "L’émargement est enregistré.")
    return redirect(item.get_absolute_url())


@require_safe
def attendance_sheet(request, slug, pk):
    """The sheet to print and sign at the meeting (members' names: members of the plan only)."""
    plan, item = _meeting(request, slug, pk)
    if not perms.can_read_members_only(request.user, plan):
        raise Http404("Feuille d’émargement réservée aux membres du plan.")
    return render(
        request,
        "governance/attendance_sheet.html",
        {
            "plan": plan,
            "meeting": item,
            "members": list(item.body.members.all()),
            "title": f"Émargement — {item}",
        },
    )


@login_required
@require_POST
def decision_add(request, slug, pk):
    plan, item = _meeting(request, slug, pk)
    perms.ensure_can_edit(request.user, plan)
    form = DecisionForm(request.POST, plan=plan, prefix="decision")
    if form.is_valid():
        decision = form.save(commit=False)
        decision.meeting = item
        decision.recorded_by = request.user
        decision._history_user = request.user
        decision.save()
        messages.success(request, "La décision est enregistrée.")
    else:
        messages.error(
            request,
            "La décision n’a pas été enregistrée : "
            + " ".join(e for errors in form.errors.values() for e in errors),
        )
    return redirect(item.get_absolute_url())


@login_required
@require_POST
def attachment_add(request, slug, pk):
    plan, item = _meeting(request, slug, pk)
    perms.ensure_can_edit(request.user, plan)
    form = AttachmentForm(request.POST, request.FILES, prefix="file")
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect(item.get_absolute_url())
    upload = form.cleaned_data["file"]
    data = upload.read()
    try:
        kind = files.sniff(data, upload.name)
    except files.RefusedFile as exc:
        messages.error(request, str(exc))
        return redirect(item.get_absolute_url())
    name = files.safe_name(upload.name, kind)
    attachment = Attachment(
        meeting=item, name=name, content_type=files.KINDS[kind][1], size=len(data)
    )
    attachment.file.save(name, ContentFile(data), save=True)
    messages.success(request, f"« {name} » est jointe à la réunion.")
    return redirect(item.get_absolute_url())


@require_safe
def attachment(request, slug, pk, attachment_pk):
    plan, item = _meeting(request, slug, pk)
    if not perms.can_read_members_only(request.user, plan):
        raise Http404("Pièce jointe réservée aux membres du plan.")
    found = get_object_or_404(Attachment, meeting=item, pk=attachment_pk)
    # Never rendered inline: a file is downloaded, with its checked type and no sniffing.
    response = FileResponse(
        found.file.open("rb"),
        as_attachment=True,
        filename=found.name,
        content_type=found.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
def invite(request, slug, pk):
    """E-mail the body's members (those with a professional address) the agenda and the event."""
    plan, item = _meeting(request, slug, pk)
    perms.ensure_can_edit(request.user, plan)
    recipients = [m for m in item.body.members.all() if m.email]
    if not recipients:
        messages.error(request, "Aucun membre de l’instance n’a de courriel : personne à inviter.")
        return redirect(item.get_absolute_url())
    event = ical.calendar(str(item.body), [_entry(request, item)], timezone.now())
    when = timezone.localtime(item.starts_at)
    agenda = "\n".join(
        [item.agenda, *(f"- Fiche {f.number} : {f.title}" for f in item.agenda_fiches.all())]
    ).strip()
    for member in recipients:
        message = EmailMessage(
            subject=f"Invitation : {item.body.name} le {when:%d/%m/%Y à %H:%M}",
            body=(
                f"Bonjour,\n\nVous êtes invité(e) à la réunion « {item.body.name} » du "
                f"{when:%d/%m/%Y à %H:%M}" + (f", {item.place}" if item.place else "") + ".\n\n"
                f"Ordre du jour :\n{agenda or 'à venir'}\n\n"
                f"{request.build_absolute_uri(item.get_absolute_url())}\n\nLa coordination"
            ),
            to=[member.email],
        )
        message.attach("reunion.ics", event, "text/calendar")
        message.send()
    messages.success(request, f"Invitation envoyée à {len(recipients)} membre(s).")
    return redirect(item.get_absolute_url())


def _entry(request, item: Meeting) -> ical.MeetingEntry:
    fiches = ", ".join(f"fiche {f.number}" for f in item.agenda_fiches.all())
    return ical.MeetingEntry(
        uid=f"reunion-{item.pk}@pilotis",
        title=item.body.name,
        starts_at=item.starts_at,
        minutes=item.duration_minutes,
        place=item.place,
        description="\n".join(p for p in (item.agenda, fiches and f"Fiches : {fiches}") if p),
        url=request.build_absolute_uri(item.get_absolute_url()),
    )


@require_safe
def feed(request, slug):
    """Upcoming meetings of the plan's bodies, for a calendar application (no account needed:
    a calendar cannot sign in; only dates, bodies, places and agendas, never names)."""
    plan = _plan(request, slug)
    upcoming = (
        Meeting.objects.filter(body__plan=plan, starts_at__gte=timezone.now())
        .select_related("body__plan")
        .prefetch_related("agenda_fiches")
        .order_by("starts_at")
    )
    data = ical.calendar(
        f"Réunions — {plan.title}", [_entry(request, m) for m in upcoming], timezone.now()
    )
    response = HttpResponse(data, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="reunions-{plan.slug}.ics"'
    return response


@require_safe
def decisions(request, slug):
    """Every decision of the plan's bodies, the COPIL's yearly evaluations included."""
    plan = _plan(request, slug)
    rows = list(
        MeetingDecision.objects.filter(meeting__body__plan=plan)
        .select_related("meeting__body", "fiche")
        .order_by("-meeting__starts_at", "pk")
    )
    return render(
        request,
        "governance/decisions.html",
        _context(
            request,
            plan,
            meeting_decisions=rows,
            copil_decisions=followup_api.copil_decisions(plan),
            title=f"Décisions — {plan.title}",
            breadcrumb_data=_crumbs(plan, "Décisions"),
        ),
    )


@require_http_methods(["GET", "POST"])
def amendment_list(request, slug):
    """The plan's avenants; the coordination records a new one, bundling the changes since."""
    plan = _plan(request, slug)
    items = list(Amendment.objects.filter(plan=plan).select_related("body", "recorded_by"))
    form = merge_form = None
    if perms.can_edit(request.user, plan):
        form = AmendmentForm(request.POST or None, plan=plan, prefix="avenant")
        merge_form = MergeForm(plan=plan, prefix="fusion")
        if request.method == "POST" and form.is_valid():
            amendment = amendments.record(plan, request.user, **form.cleaned_data)
            messages.success(request, f"L’avenant n°{amendment.number} est enregistré.")
            return redirect("governance:amendments", slug=plan.slug)
    elif request.method == "POST":
        perms.ensure_can_edit(request.user, plan)
    # What each avenant changed: the version after it against the one before it.
    listed = []
    previous = versions.version_at(plan, versions.signed_at(plan), "Tel que signé")
    for amendment in items:
        after = versions.version_at(plan, amendment.recorded_at, str(amendment))
        listed.append((amendment, versions.compare(previous, after)))
        previous = after
    pending = versions.compare(previous, versions.version_at(plan, None, "Aujourd’hui"))
    return render(
        request,
        "governance/amendments.html",
        _context(
            request,
            plan,
            amendments=listed,
            pending=pending,
            form=form,
            merge_form=merge_form,
            title=f"Avenants — {plan.title}",
            breadcrumb_data=_crumbs(plan, "Avenants"),
        ),
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def merge(request, slug):
    plan = _plan(request, slug)
    perms.ensure_can_edit(request.user, plan)
    form = MergeForm(request.POST, plan=plan, prefix="fusion")
    if not form.is_valid():
        messages.error(
            request,
            "Fusion refusée : " + " ".join(e for errors in form.errors.values() for e in errors),
        )
    else:
        keep, drop = form.cleaned_data["keep"], form.cleaned_data["drop"]
        try:
            moved = amendments.merge_fiches(keep, drop, request.user)
        except (editor.EditRefused, editor.VersionConflict) as exc:
            messages.error(request, f"Fusion refusée : {exc}")
        else:
            messages.success(
                request,
                f"La fiche n°{drop.number} est fusionnée dans la fiche n°{keep.number} "
                f"({moved} action(s) ajoutée(s)). Enregistrez l’avenant qui l’approuve.",
            )
    return redirect("governance:amendments", slug=plan.slug)


@require_safe
def plan_versions(request, slug):
    """Two versions of the plan side by side — as signed, after an avenant, today — with what
    changed between them."""
    plan = _plan(request, slug)
    items = list(Amendment.objects.filter(plan=plan))
    choices = amendments.refs(plan, items)
    keys = {c.key for c in choices}
    left_key = request.GET.get("de", "signe")
    right_key = request.GET.get("a", "aujourdhui")
    if left_key not in keys or right_key not in keys:
        raise Http404("Version inconnue.")
    left = amendments.load(plan, left_key, items)
    right = amendments.load(plan, right_key, items)
    differences = versions.compare(left, right)
    changed = {d.fiche for d in differences}
    numbers = list(dict.fromkeys([*left.fiches, *right.fiches]))
    rows = [(n, left.fiches.get(n), right.fiches.get(n), n in changed) for n in numbers]
    return render(
        request,
        "governance/versions.html",
        _context(
            request,
            plan,
            choices=choices,
            left=left,
            right=right,
            left_key=left_key,
            right_key=right_key,
            differences=differences,
            rows=rows,
            title=f"Versions du plan — {plan.title}",
            breadcrumb_data=_crumbs(plan, "Versions du plan"),
        ),
    )
