"""MixesDB categories → styles and tracklist completeness.

A mix page's categories mix years, artists, venues, series, styles and bookkeeping
(`Tracklist: complete`). Styles are the categories in MixesDB's style tree below.
"""

from __future__ import annotations

# The style categories of MixesDB (Category:Style tree); other categories are not styles.
STYLES = frozenset(
    """Acid|Acid House|Acid Jazz|Acid Techno|Afro House|Afrobeat|Ambient|Balearic|Bass|Bass House|Bassline|
    Beats|Big Beat|Blues|Breakbeat|Breaks|Broken Beat|Chillout|Classical|Cosmic|Dance|Dancehall|Deep House|
    Deep Tech House|Deep Techno|Detroit Techno|Disco|Downtempo|Drum & Bass|Dub|Dub Techno|Dubstep|EBM|
    Electro|Electro House|Electronica|Electronic|Euro House|Eurodance|Experimental|Footwork|Funk|Funky House|
    Future Garage|Future Jazz|Gabber|Garage|Ghetto House|Grime|Hard House|Hard Techno|Hard Trance|Hardcore|
    Hardstyle|Hip Hop|House|House (Old School)|IDM|Indie|Industrial|Italo Disco|Jazz|Jungle|Latin|
    Leftfield|Melodic House|Melodic Techno|Minimal|Minimal Techno|Neo Soul|New Beat|New Wave|Nu Disco|Pop|
    Progressive|Progressive House|Progressive Trance|Psytrance|Psychedelic|R&B|Rap|Reggae|Rock|Soul|
    Soulful House|Synth Pop|Tech House|Tech Trance|Techno|Trance|Trap|Tribal|Tribal House|Trip Hop|
    UK Bass|UK Funky|UK Garage|Uplifting Trance|Vocal House|Wave|World|Worldwide""".replace("\n", "").split(
        "|"
    )
)
STYLES = frozenset(style.strip() for style in STYLES)

COMPLETENESS = {
    "tracklist: complete": True,
    "tracklist: incomplete": False,
    "tracklist: none": False,
}


def styles_of(categories: list[str]) -> list[str]:
    """The style categories among `categories`, in page order, without duplicates."""
    seen: list[str] = []
    for category in categories:
        name = category.replace("_", " ").strip()
        if name in STYLES and name not in seen:
            seen.append(name)
    return seen


def completeness_of(categories: list[str]) -> bool | None:
    """True for `Tracklist: complete`, False for incomplete or none, None when the page says nothing."""
    for category in categories:
        value = COMPLETENESS.get(category.replace("_", " ").strip().casefold())
        if value is not None:
            return value
    return None
