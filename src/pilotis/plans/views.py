"""Pages of the plans: thin views that load, call the core and render."""

from django.shortcuts import render

from pilotis.plans.models import Plan


def index(request):
    plans = Plan.objects.select_related("perimeter").order_by("title")
    return render(request, "plans/index.html", {"plans": plans})
