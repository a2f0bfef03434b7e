"""Suggest links between fiches of different plans by text similarity: pure TF-IDF, no database.

Each record is a fiche reduced to plain text. Words are folded (no accents, lower case), French
stop words dropped, plurals reduced ("soins" -> "soin", "sociaux" -> "social"); adjacent kept
words also form bigrams ("soin non", "non programme"), which carry most of the meaning of plan
vocabulary ("soins non programmés", "santé mentale"). Terms are weighted by TF-IDF over the
records given, so words every plan uses ("santé", "territoire") weigh little, and two fiches are
scored by the cosine of their vectors, in [0, 1]. Everything is sorted with explicit tie-breaks:
the same records always give the same suggestions.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

from pilotis.core.text import fold

# Title words say what a fiche is about more surely than its long body.
TITLE_WEIGHT = 3
# A bigram pins a notion down better than its two words apart.
BIGRAM_WEIGHT = 1.5
TOP_TERMS = 5

# French function words, and words of the plan genre itself that say nothing of a fiche's subject.
# Folded, since matching happens on folded words. "non" stays: "soins non programmés".
_STOP_WORDS = """
    afin ai ainsi alors apres au aupres aussi autre autres aux avant avec avoir ca car ce
    ceci cela celle celles celui cependant ces cet cette ceux chaque chez ci comme comment dans
    de depuis des deux dont du elle elles en encore entre est et etc ete etre eu fait faire
    faut il ils la le les leur leurs lors lorsque lui ma mais me meme memes mes moins mon
    ne ni nos notamment notre nous on ont ou par parmi pas pendant peu peut peuvent plus
    plusieurs pour pourra pourront qu quand que quel quelle quelles quels qui quoi sa sans se
    selon ses si son sont sous sur ta te tel telle telles tels tes toi ton tous tout toute
    toutes tres tu un une unes uns via vers vos votre vous
    an ans fois jour jours mois semaine semaines
    action actions annee annees axe cf fiche fiches indicateur indicateurs mise mettre nombre
    objectif objectifs operationnel operationnels place realise strategique suivi taux
"""
STOP_WORDS = frozenset(_STOP_WORDS.split())

_SEGMENT = re.compile(r"[.;:,!?()\[\]«»\"/•·\n\r\t–—]+|\s-\s")
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


@dataclass(frozen=True)
class Record:
    """A fiche as the engine sees it: plain values, no model."""

    id: int
    plan_id: int
    title: str
    text: str = ""


@dataclass(frozen=True)
class Suggestion:
    """A likely link from `source_id` to `target_id` (of another plan)."""

    source_id: int
    target_id: int
    score: float  # cosine similarity in [0, 1], rounded to 4 decimals
    terms: tuple[str, ...]  # shared terms as they were written, most telling first


def stem(word: str) -> str:
    """Light French plural stripping on a folded word: enough to match singular and plural."""
    if len(word) <= 3:
        return word
    if word.endswith("eaux"):
        return word[:-1]  # reseaux -> reseau
    if word.endswith("aux") and len(word) > 4:
        return word[:-3] + "al"  # sociaux -> social
    if word.endswith(("s", "x")) and not word.endswith("ss"):
        return word[:-1]
    return word


@lru_cache(maxsize=65536)
def _term(word: str) -> str:
    """Folded, stemmed form of a lower-cased word; empty for a stop word. Cached: plan texts
    repeat the same few thousand words, and folding is most of the engine's time."""
    folded = fold(word)
    if len(folded) < 2 or folded in STOP_WORDS:
        return ""
    return stem(folded)


def _segments(text: str) -> list[list[tuple[str, str]]]:
    """(stem, written form) of each kept word, by segment, so bigrams never span punctuation."""
    segments = []
    for segment in _SEGMENT.split(text):
        words = []
        for match in _WORD.finditer(segment):
            word = match.group(0)
            term = _term(word.lower())
            if term:
                # Acronyms keep their capitals when shown (« COPIL », « CPTS »), other words not.
                words.append((term, word if word.isupper() and len(word) > 1 else word.lower()))
        if words:
            segments.append(words)
    return segments


def _terms(segments: list[list[tuple[str, str]]]) -> Iterator[tuple[str, str, float]]:
    """(term, written form, weight) of each unigram and of each bigram of adjacent kept words."""
    for words in segments:
        for term, written in words:
            yield term, written, 1.0
        for (first, w1), (second, w2) in zip(words, words[1:], strict=False):
            if first != second:  # "médico-sociaux, sociaux" repeats a word, says nothing more
                yield f"{first} {second}", f"{w1} {w2}", BIGRAM_WEIGHT


def terms(text: str) -> Counter[str]:
    """Weighted term counts of a text: unigrams, and bigrams of adjacent kept words."""
    counts: Counter[str] = Counter()
    for term, _, weight in _terms(_segments(text)):
        counts[term] += weight
    return counts


def _analyse(
    records: Sequence[Record],
) -> tuple[list[dict[str, float]], dict[str, Counter[str]]]:
    """TF-IDF unit vectors of the records, and how each term was written, by frequency."""
    forms: dict[str, Counter[str]] = defaultdict(Counter)
    counts = []
    for record in records:
        bag: Counter[str] = Counter()
        for text, factor in ((record.title, TITLE_WEIGHT), (record.text, 1)):
            for term, written, weight in _terms(_segments(text)):
                bag[term] += weight * factor
                forms[term][written] += 1
        counts.append(bag)
    document_frequency: Counter[str] = Counter()
    for bag in counts:
        document_frequency.update(bag.keys())
    total = len(records)
    vectors = []
    for bag in counts:
        # Smoothed idf, and a sub-linear tf so that a word repeated in a long text does not swamp
        # the fiche's other words.
        vector = {
            term: (1 + math.log(n)) * (math.log((1 + total) / (1 + document_frequency[term])) + 1)
            for term, n in bag.items()
        }
        norm = math.sqrt(sum(w * w for w in vector.values())) or 1.0
        vectors.append({term: w / norm for term, w in vector.items()})
    return vectors, forms


def suggest(
    records: Sequence[Record],
    source_ids: Iterable[int] | None = None,
    *,
    limit_per_source: int = 3,
    min_score: float = 0.1,
    top_terms: int = TOP_TERMS,
) -> list[Suggestion]:
    """Best matches in other plans for each source record, best first.

    `source_ids` are the records to find links for; every record, source or not, counts in the
    term weights. A source keeps its `limit_per_source` best matches scoring at least `min_score`.
    Without `source_ids` every record is a source and each pair comes once, from its lower id.
    """
    records = sorted(records, key=lambda r: r.id)
    vectors, forms = _analyse(records)
    index = {r.id: i for i, r in enumerate(records)}
    everything = source_ids is None
    sources = sorted(index) if everything else sorted(set(source_ids) & index.keys())

    # Inverted index: only records sharing a term are scored against each other.
    postings: dict[str, list[int]] = defaultdict(list)
    for i, vector in enumerate(vectors):
        for term in vector:
            postings[term].append(i)

    found: dict[tuple[int, int], float] = {}
    for source_id in sources:
        i = index[source_id]
        for j, score in _best_matches(i, records, vectors, postings, limit_per_source, min_score):
            found[(min(i, j), max(i, j)) if everything else (i, j)] = score

    suggestions = [
        Suggestion(
            source_id=records[i].id,
            target_id=records[j].id,
            score=score,
            terms=_shared_terms(vectors[i], vectors[j], forms, top_terms),
        )
        for (i, j), score in found.items()
    ]
    suggestions.sort(key=lambda s: (-s.score, s.source_id, s.target_id))
    return suggestions


def _best_matches(
    i: int,
    records: Sequence[Record],
    vectors: Sequence[dict[str, float]],
    postings: dict[str, list[int]],
    limit: int,
    min_score: float,
) -> list[tuple[int, float]]:
    """Indexes and scores of the records of other plans closest to record `i`."""
    plan_id = records[i].plan_id
    scores: dict[int, float] = defaultdict(float)
    for term, weight in vectors[i].items():
        for j in postings[term]:
            if records[j].plan_id != plan_id:
                scores[j] += weight * vectors[j][term]
    # Rounded before ranking, so that float noise never decides between equal scores.
    ranked = sorted(
        ((round(min(score, 1.0), 4), records[j].id, j) for j, score in scores.items()),
        key=lambda item: (-item[0], item[1]),
    )
    return [(j, score) for score, _, j in ranked if score >= min_score][:limit]


def _shared_terms(
    a: dict[str, float], b: dict[str, float], forms: dict[str, Counter[str]], top: int
) -> tuple[str, ...]:
    """The terms that weigh most in both vectors, chained bigrams read as one phrase."""
    shared = sorted(a.keys() & b.keys(), key=lambda t: (-a[t] * b[t], t))
    phrases: list[list[str]] = []
    for term in shared:
        stems = term.split(" ")
        if len(stems) == 2:
            # "soins non" + "non programmés" say "soins non programmés": one phrase, not two.
            # Three words at most: longer chains make phrases the texts may not contain.
            joined = next((p for p in phrases if len(p) == 2 and p[-1] == stems[0]), None)
            if joined:
                joined.append(stems[1])
                continue
            joined = next((p for p in phrases if len(p) == 2 and p[0] == stems[1]), None)
            if joined:
                joined.insert(0, stems[0])
                continue
            # A word already listed alone is now said by the phrase.
            phrases = [p for p in phrases if len(p) > 1 or p[0] not in stems]
        elif any(stems[0] in p for p in phrases):
            continue
        if len(phrases) == top:
            break
        phrases.append(stems)
    return tuple(_phrase(p, forms) for p in phrases)


def _phrase(stems: list[str], forms: dict[str, Counter[str]]) -> str:
    if len(stems) == 1:
        return _written(stems[0], forms)
    words = _written(f"{stems[0]} {stems[1]}", forms).split(" ")
    for first, second in zip(stems[1:], stems[2:], strict=False):
        words.append(_written(f"{first} {second}", forms).split(" ")[-1])
    return " ".join(words)


def _written(term: str, forms: dict[str, Counter[str]]) -> str:
    """The most frequent written form of a term (ties: alphabetical), for people to read."""
    counter = forms.get(term)
    if not counter:
        return term
    return min(counter.items(), key=lambda item: (-item[1], item[0]))[0]


def reason(terms: Sequence[str]) -> str:
    """The French line stored with a suggestion: the terms both fiches share."""
    if not terms:
        return ""
    label = "Termes communs" if len(terms) > 1 else "Terme commun"
    return f"{label} : {', '.join(terms)}"
