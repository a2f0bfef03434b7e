"""Length limits of free text, defined once for forms, the API, spreadsheet uploads and imports.

Issue 9: the follow-up form stored 5 MiB of obstacles while the API capped the same field at
20,000 characters. Every entry point of a field uses the constant below, so the limit and its
French message are the same wherever the text comes from.
"""

# Obstacles, comments, an indicator's text value, a decision's reason: about ten pages of text.
LONG_TEXT = 20_000
# A value of reference or a target of an indicator.
SHORT_TEXT = 200
# A unit (« personnes », « séances »).
UNIT = 40


def too_long(limit: int) -> str:
    return f"Ce texte dépasse {limit:_} caractères : raccourcissez-le.".replace("_", "\u202f")
