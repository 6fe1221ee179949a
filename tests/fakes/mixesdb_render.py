"""Render MixesDB wikitext as the site's HTML (monobook skin, as in the saved MCDE page).

Only what the product reads is rendered faithfully: `<title>`, `mw.config` with `wgTitle` and
`wgCategories`, `h1#firstHeading`, the sections, the tracklist (`ol > li`, `dl > dt` for `;` headings,
`div.list > div.list-track` for `<list>` blocks, `<p>` for other lines), `div#bodyBottom`, the
`#relatedPages-List` that follows it, and `#mw-normal-catlinks`. Category pages use the old
`ul#catMixesList` with a "next 200" link carrying `pagefrom=`.
"""

from __future__ import annotations

import html
import json
import re
from urllib.parse import quote

_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_HEADING = re.compile(r"^(={2,4})\s*(.*?)\s*\1\s*$")
_CATEGORY = re.compile(r"\[\[\s*Category\s*:\s*([^\]|]+)(?:\|[^\]]*)?\]\]", re.IGNORECASE)
_WIKILINK = re.compile(r"\[\[([^\]|]*)(?:\|([^\]]*))?\]\]")
_EXTLINK = re.compile(r"\[((?:https?:)?//[^\s\]]+)\s*([^\]]*)\]")
_BOLD = re.compile(r"'''(.*?)'''")
_ITALIC = re.compile(r"''(.*?)''")
_TEMPLATE = re.compile(r"\{\{.*?\}\}", re.DOTALL)


def _href(title: str) -> str:
    return "/w/" + quote(title.replace(" ", "_"), safe="/:@,()!'")


def inline(text: str) -> str:
    """Wiki inline markup → HTML (links, bold, italics), text escaped."""
    out = html.escape(text, quote=False)
    out = _WIKILINK.sub(
        lambda m: f'<a href="{_href(m[1])}" title="{html.escape(m[1])}">{m[2] or m[1]}</a>', out
    )
    out = _EXTLINK.sub(
        lambda m: f'<a rel="nofollow" class="external text" href="{m[1]}">{m[2] or m[1]}</a>', out
    )
    out = _BOLD.sub(r"<b>\1</b>", out)
    return _ITALIC.sub(r"<i>\1</i>", out)


def _tracklist_html(lines: list[str]) -> str:
    out: list[str] = []
    open_tag = None  # 'ol', 'dl' or 'list'

    def close():
        nonlocal open_tag
        if open_tag:
            out.append({"ol": "</ol>", "dl": "</dl>", "list": "</div>"}[open_tag])
        open_tag = None

    in_list = False
    for line in lines:
        stripped = line.strip()
        if stripped.lower().startswith("<list"):
            close()
            in_list = True
            stripped = stripped[stripped.find(">") + 1 :].strip()
        ends_list = "</list>" in stripped.lower()
        if ends_list:
            stripped = stripped[: stripped.lower().find("</list>")].strip()
        if stripped.startswith(";"):
            if open_tag != "dl":
                close()
                out.append("<dl>")
                open_tag = "dl"
            out.append(f"<dt>{inline(stripped[1:].strip())}</dt>")
        elif in_list and stripped:
            if open_tag != "list":
                close()
                out.append('<div class="list">')
                open_tag = "list"
            out.append(f'<div class="list-track">{inline(stripped.lstrip("#").strip())}</div>')
        elif stripped.startswith("#"):
            if open_tag != "ol":
                close()
                out.append("<ol>")
                open_tag = "ol"
            out.append(f"<li> {inline(stripped.lstrip('#').strip())}</li>")
        elif stripped:
            close()
            out.append(f"<p>{inline(stripped)}\n</p>")
        if ends_list:
            close()
            in_list = False
    close()
    return "\n".join(out)


def render_mix_page(title: str, wikitext: str, *, related: list[str] = ()) -> str:
    """The HTML MixesDB serves for a mix page with this wikitext."""
    categories = [c.strip() for c in _CATEGORY.findall(wikitext)]
    text = _CATEGORY.sub("", _COMMENT.sub("", wikitext))
    text = _TEMPLATE.sub("", text)
    body: list[str] = []
    section: list[str] | None = None
    for line in text.splitlines():
        heading = _HEADING.match(line.strip())
        if heading:
            if section is not None:
                body.append(_tracklist_html(section))
                section = None
            name = heading[2]
            anchor = name.replace(" ", "_")
            level = len(heading[1])
            body.append(
                f'<h{level} id="{html.escape(anchor)}"><span class="mw-headline">{html.escape(name)}</span></h{level}>'
            )
            if name.lower().startswith("tracklist"):
                section = []
            continue
        if section is not None:
            section.append(line)
        elif line.strip():
            body.append(f"<p>{inline(line.strip())}\n</p>")
    if section is not None:
        body.append(_tracklist_html(section))
    config = json.dumps(
        {
            "wgPageName": title.replace(" ", "_"),
            "wgTitle": title,
            "wgCategories": categories,
            "wgNamespaceNumber": 0,
        },
        ensure_ascii=False,
    )
    related_html = "".join(
        f'<li><a href="{_href(t)}" title="{html.escape(t)}">{html.escape(t)}</a></li>' for t in related
    )
    catlinks = "".join(
        f'<li><a href="{_href("Category:" + c)}" title="Category:{html.escape(c)}">{html.escape(c)}</a></li>'
        for c in categories
    )
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="UTF-8" /><title>{html.escape(title)} | DJ sets &amp; tracklists on MixesDB</title>
<script>RLCONF={config};</script></head>
<body class="mediawiki ltr ns-0 page-{html.escape(title.replace(" ", "_"))} skin-monobook"><div id="globalWrapper"><div id="column-content"><div id="content" class="mw-body" role="main">
    <h1 id="firstHeading" class="firstHeading" lang="en"><span id="pageIcons"></span>{html.escape(title)}</h1>
    <div id="bodyContent" class="mw-body-content"><div id="mw-content-text" class="mw-content-ltr"><div class="mw-parser-output">
    {chr(10).join(body)}
    </div></div>
    <div id="bodyBottom"></div><h2 id="relatedPages" class="hand relatedmixes"><span class="mw-headline">Related mixes</span></h2><ul id="relatedPages-List" class="linkPreviewWrapperList nolist">{related_html}</ul>
    <div id="pageContentEnd"></div>
    <div id="catlinks" class="catlinks" data-mw="interface"><div id="mw-normal-catlinks" class="mw-normal-catlinks"><a href="/w/Special:Categories" title="Special:Categories">Categories</a>: <ul>{catlinks}</ul></div></div>
    </div></div></div></div></body></html>
"""


def render_category_page(category: str, titles: list[str], next_from: str | None) -> str:
    """An old-style category page: `ul#catMixesList li a` and a "next 200" link with `pagefrom=`."""
    items = "".join(
        f'<li><a href="{_href(t)}" title="{html.escape(t)}">{html.escape(t)}</a></li>' for t in titles
    )
    cat = "Category:" + category
    next_link = ""
    if next_from:
        href = f"/db/index.php?title={quote(cat.replace(' ', '_'), safe=':')}&amp;pagefrom={quote(next_from)}"
        next_link = f'(<a href="{href}" title="{html.escape(cat)}">next 200</a>)'
    config = json.dumps({"wgTitle": category, "wgNamespaceNumber": 14, "wgCategories": []})
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="UTF-8" /><title>{html.escape(cat)} | MixesDB</title>
<script>RLCONF={config};</script></head><body class="mediawiki ns-14 skin-monobook">
<h1 id="firstHeading" class="firstHeading">{html.escape(cat)}</h1>
<div id="mw-content-text"><p>Mixes in this category:</p>
<ul id="catMixesList" class="catMixesList">{items}</ul>
<div class="listPagination">(previous 200) {next_link}</div>
<ul id="relatedPages-List"><li><a href="/w/Some_Other_Mix" title="Some Other Mix">Some Other Mix</a></li></ul>
</div></body></html>
"""


CHALLENGE_PAGE = """<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title>
<meta http-equiv="Content-Type" content="text/html; charset=UTF-8"><meta name="robots" content="noindex,nofollow">
</head><body><div class="main-wrapper" role="main"><div class="main-content"><h1 class="zone-name-title h1">www.mixesdb.com</h1>
<h2 class="h2" id="challenge-running">Checking if the site connection is secure</h2>
<noscript><div id="challenge-error-title">Enable JavaScript and cookies to continue</div></noscript>
<script src="/cdn-cgi/challenge-platform/h/g/orchestrate/chl_page/v1?ray=8a0000000000"></script></div></div></body></html>
"""
