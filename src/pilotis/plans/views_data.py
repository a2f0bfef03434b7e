"""The "Données du plan" page: a plan's structured data besides its fiches, as tables."""

from django.shortcuts import get_object_or_404, render
from django.utils.text import Truncator
from django.views.decorators.http import require_safe

from pilotis.plans import datasets, perms
from pilotis.plans.models import Plan


@require_safe
def plan_data(request, slug):
    plan = get_object_or_404(Plan.objects.select_related("perimeter"), slug=slug)
    perms.ensure_can_read_whole_plan(request.user, plan)
    # One query for the communes, whatever their number; none when the plan has no perimeter.
    communes = list(plan.perimeter.communes.order_by("name", "code")) if plan.perimeter else []
    context = {
        "plan": plan,
        "parts": datasets.parts(plan.extra, communes),
        "title": f"Données du plan — {plan.title}",
        "breadcrumb_data": {
            "links": [{"url": plan.get_absolute_url(), "title": Truncator(plan.title).chars(60)}],
            "current": "Données du plan",
        },
    }
    return render(request, "plans/data/page.html", context)
