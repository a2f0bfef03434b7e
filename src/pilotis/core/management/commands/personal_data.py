"""`pilotis personal_data export|erase PERSON`: a person's data, exported or erased (RGPD).

The person is named by their username or e-mail address. The command finds what refers to them
through the model registry (foreign keys to the user model, e-mail fields holding their address,
`username` fields of the login-attempt logs), so a model added later is covered without editing
this file. Erasing keeps the account row, anonymised, so that the history of the plans still
says « personne supprimée » instead of losing who changed what; everything else is deleted.
"""

from __future__ import annotations

import json
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core.management.base import BaseCommand, CommandError
from django.db import models, transaction

USER_FIELDS = ["username", "first_name", "last_name", "email", "date_joined", "last_login"]


def user_references(user_model) -> list[tuple[type[models.Model], models.Field]]:
    """Every (model, foreign key) pointing at the user model, history tables included."""
    found = []
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if (
                getattr(field, "concrete", False)
                and field.is_relation
                and (field.many_to_one or field.one_to_one)
                and field.related_model is user_model
            ):
                found.append((model, field))
    return found


def email_fields(user_model) -> list[tuple[type[models.Model], models.Field]]:
    return [
        (model, field)
        for model in apps.get_models()
        if model is not user_model
        for field in model._meta.concrete_fields
        if isinstance(field, models.EmailField)
    ]


def username_fields(user_model) -> list[tuple[type[models.Model], models.Field]]:
    """The login-attempt logs (django-axes) keep the username typed, not a foreign key."""
    return [
        (model, field)
        for model in apps.get_models()
        if model is not user_model and not model._meta.label.startswith("simple_history")
        for field in model._meta.concrete_fields
        if field.name == "username"
    ]


class Command(BaseCommand):
    help = (
        "Exporte (JSON) ou efface les données personnelles d'une personne, désignée par son "
        "identifiant ou son adresse électronique. « erase » dit ce qu'il ferait ; --oui l'exécute."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("action", choices=["export", "erase"])
        parser.add_argument("person", help="identifiant de connexion ou adresse électronique")
        parser.add_argument("--output", help="fichier où écrire l'export (sinon la sortie)")
        parser.add_argument("--oui", action="store_true", help="effacer pour de bon")

    def handle(self, *args, action: str, person: str, output=None, oui=False, **options) -> None:
        user_model = get_user_model()
        user = user_model.objects.filter(username=person).first() or (
            user_model.objects.filter(email__iexact=person).first() if "@" in person else None
        )
        email = user.email if user and user.email else (person if "@" in person else "")
        if user is None and not email:
            raise CommandError(f"Aucun compte « {person} » : donnez un identifiant ou une adresse.")
        if action == "export":
            data = json.dumps(self._export(user, email), ensure_ascii=False, indent=2, default=str)
            if output:
                with open(output, "w", encoding="utf-8") as handle:
                    handle.write(data + "\n")
                self.stdout.write(f"Export écrit dans {output}.")
            else:
                self.stdout.write(data)
            return
        self._erase(user, email, really=oui)

    # --- export ---------------------------------------------------------------------------------

    def _export(self, user, email: str) -> dict[str, Any]:
        user_model = get_user_model()
        data: dict[str, Any] = {"compte": None, "références": [], "adresse": email}
        if user is not None:
            data["compte"] = {name: getattr(user, name) for name in USER_FIELDS}
            for model, field in user_references(user_model):
                rows = model._default_manager.filter(**{field.attname: user.pk})
                for row in rows.order_by("pk")[:1000]:
                    data["références"].append(
                        {
                            "donnée": model._meta.verbose_name,
                            "champ": field.verbose_name,
                            "id": row.pk,
                            "texte": str(row)[:200],
                        }
                    )
        if email:
            for model, field in email_fields(user_model):
                for row in model._default_manager.filter(**{f"{field.name}__iexact": email}):
                    data["références"].append(
                        {
                            "donnée": model._meta.verbose_name,
                            "champ": field.verbose_name,
                            "id": row.pk,
                            "texte": str(row)[:200],
                        }
                    )
        return data

    # --- erase ----------------------------------------------------------------------------------

    def _erase(self, user, email: str, really: bool) -> None:
        user_model = get_user_model()
        plan: list[tuple[str, Any]] = []  # (what, callable)
        if user is not None:
            for model, field in user_references(user_model):
                rows = model._default_manager.filter(**{field.attname: user.pk})
                count = rows.count()
                if not count:
                    continue
                label = f"{count} × {model._meta.verbose_name} ({field.verbose_name})"
                if field.remote_field.on_delete is models.CASCADE and not _is_history(model):
                    plan.append((f"supprimer {label}", rows.delete))
                else:
                    plan.append((f"garder {label}, rattaché au compte anonymisé", None))
            for model, field in username_fields(user_model):
                rows = model._default_manager.filter(**{field.name: user.username})
                if rows.exists():
                    plan.append(
                        (f"supprimer {rows.count()} × {model._meta.verbose_name}", rows.delete)
                    )
            sessions = [s.pk for s in Session.objects.all() if _session_user(s) == str(user.pk)]
            if sessions:
                plan.append(
                    (
                        f"fermer {len(sessions)} session(s)",
                        Session.objects.filter(pk__in=sessions).delete,
                    )
                )
            plan.append(
                (
                    "anonymiser le compte (nom, adresse, mot de passe ; désactivé)",
                    lambda: _anonymise(user),
                )
            )
        if email:
            for model, field in email_fields(user_model):
                rows = model._default_manager.filter(**{f"{field.name}__iexact": email})
                if not rows.exists():
                    continue
                label = f"{rows.count()} × {model._meta.verbose_name} ({field.verbose_name})"
                if field.blank:
                    # What the model says goes with the address (a representative's name and
                    # function beside their e-mail) is erased with it.
                    values = {field.name: "", **_person_fields(model)}
                    plan.append(
                        (
                            f"effacer l'adresse de {label}"
                            + (" et ce qui l'accompagne" if len(values) > 1 else ""),
                            lambda rows=rows, values=values: rows.update(**values),
                        )
                    )
                else:
                    plan.append((f"supprimer {label}", rows.delete))
        if not really:
            self.stdout.write("Effacement prévu (relancer avec --oui pour l'exécuter) :")
        with transaction.atomic():
            for what, run in plan:
                self.stdout.write(f"- {what}")
                if really and run is not None:
                    run()
        if really:
            self.stdout.write("Données personnelles effacées.")


def _person_fields(model) -> dict[str, Any]:
    """The empty values of the fields a model lists in `PERSON_FIELDS` (its history table
    follows its model's list)."""
    source = getattr(model, "instance_type", model)
    values: dict[str, Any] = {}
    for name in getattr(source, "PERSON_FIELDS", ()):
        field = model._meta.get_field(name)
        values[name] = None if field.null else ""
    return values


def _is_history(model) -> bool:
    return model.__name__.startswith("Historical")


def _session_user(session: Session) -> str | None:
    try:
        return str(session.get_decoded().get("_auth_user_id"))
    except Exception:  # a session that no longer decodes belongs to nobody
        return None


def _anonymise(user) -> None:
    user.username = f"personne-supprimee-{user.pk}"
    user.first_name = "Personne"
    user.last_name = "supprimée"
    user.email = ""
    user.is_active = False
    user.is_staff = False
    user.set_unusable_password()
    user.save()
