from pilotis.importers.organisations import (
    OrganisationResolver,
    parse_glossary,
    split_partners,
    split_pilots,
)


def test_variants_and_acronyms_resolve_to_one_organisation():
    resolver = OrganisationResolver()
    for spelling in ("CD", "Département", "Conseil départemental", "Département (PMI)"):
        assert resolver.resolve(spelling) == "departement"
    assert resolver.resolve("SMAAR") == resolver.resolve("SMMAR")
    assert resolver.resolve("DDESTPP") == resolver.resolve("DDESTSPP")
    assert resolver.resolve("Carcassonne Agglo : mobilités") == "carcassonne-agglo"
    (departement,) = [o for o in resolver.organisations() if o.key == "departement"]
    assert departement.aliases == [
        "CD",
        "Département",
        "Conseil départemental",
        "Département (PMI)",
    ]


def test_unknown_organisation_takes_its_full_name_from_the_glossary():
    resolver = OrganisationResolver(glossary={"CITFA": "Centre de Thérapie Familiale de l’Aude"})
    key = resolver.resolve("CITFA")
    (org,) = resolver.organisations()
    assert (key, org.name, org.acronym) == (
        "citfa",
        "Centre de Thérapie Familiale de l’Aude",
        "CITFA",
    )


def test_split_pilots_keeps_services_with_their_organisation():
    resolver = OrganisationResolver()
    text = (
        "Carcassonne Agglo : Enfance, jeunesse, famille/ Séniors, santé handicap/ "
        "Cohésion sociale insertion / CLS"
    )
    assert split_pilots(text, resolver) == [
        "Carcassonne Agglo : Enfance, jeunesse, famille / Séniors, santé handicap / "
        "Cohésion sociale insertion",
        "CLS",
    ]
    assert split_pilots("CAF/CD/CLS", resolver) == ["CAF", "CD", "CLS"]
    assert split_pilots("Carcassonne Agglo/CLS, Département", resolver) == [
        "Carcassonne Agglo",
        "CLS",
        "Département",
    ]


def test_split_partners_ignores_commas_inside_parentheses():
    assert split_partners("MG, autres (kinés, infirmiers), CAF.") == [
        "MG",
        "autres (kinés, infirmiers)",
        "CAF",
    ]


def test_parse_glossary_joins_wrapped_entries():
    lines = ["ASOPEH: Accompagnement à la Socialisation ", "des Enfants", "", "ARS: Agence"]
    assert parse_glossary(lines) == {
        "ASOPEH": "Accompagnement à la Socialisation des Enfants",
        "ARS": "Agence",
    }
