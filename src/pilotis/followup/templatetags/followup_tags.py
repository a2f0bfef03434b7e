"""Template tags of the follow-up pages: DSFR form widgets, the link from a plan's overview."""

from django import template
from django.forms import BoundField

from pilotis.followup import perms

register = template.Library()


@register.simple_tag
def dsfr_widget(field: BoundField, css: str = "fr-input") -> str:
    """The field's widget with the DSFR class, its error state and what describes it.

    aria-describedby ties the input to its hint and its errors, so that a screen reader reads
    them with the label; the ids match those of followup/_field.html.
    """
    attrs = {"class": f"{css} {css}--error" if field.errors else css}
    described = []
    if field.errors:
        described.append(f"{field.auto_id}-errors")
        attrs["aria-invalid"] = "true"
    if field.help_text:
        described.append(f"{field.auto_id}-hint")
    if described:
        attrs["aria-describedby"] = " ".join(described)
    return field.as_widget(attrs=attrs)


@register.inclusion_tag("followup/_plan_link.html", takes_context=True)
def followup_link(context, plan) -> dict:
    """The « Suivi annuel » button of a plan's overview, for the members of the plan."""
    request = context.get("request")
    user = getattr(request, "user", None)
    return {"plan": plan, "shown": perms.can_view_followup(user, plan)}


@register.simple_tag
def error_summary(form) -> list[dict[str, str]]:
    """Each field in error, named as a person finds it on the page (a field's `summary_label`
    when its label alone is ambiguous), with its messages and the id to jump to."""
    items = []
    for name, errors in form.errors.items():
        if name == "__all__":
            continue
        field = form.fields[name]
        items.append(
            {
                "label": getattr(field, "summary_label", field.label),
                "id": form[name].auto_id,
                "message": " ".join(errors),
            }
        )
    return items
