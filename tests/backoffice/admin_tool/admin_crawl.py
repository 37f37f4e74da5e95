"""A read-only walk of the admin as one person: every changelist they may view and the change
pages of its first rows; what a page shows wrong is collected, not raised, so that one run lists
every problem (tests/backoffice/admin_tool/test_admin_daily_tool.py).

Looked for on every page:

* an amount with more decimals than its currency (the demo's currencies have two): a number with
  three or more decimals outside a rate (``<span class="rate">``), a percentage or an exchange rate
  (``1 EUR = 1.0845 USD``), and ``0E-18``-style exponents;
* a link into the admin that answers 403 to the same person (each target fetched once).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import unescape
from urllib.parse import urlsplit

from django.contrib import admin

RATE_SPAN = re.compile(r'<span class="rate">.*?</span>', re.S)
SCRIPT = re.compile(r"<(script|style)\b.*?</\1>", re.S | re.I)
HELP = re.compile(r'<div class="help"[^>]*>.*?</div>', re.S)  # a field's help text is not data
TAG = re.compile(r"<[^>]+>")
FX_TEXT = re.compile(r"= ?\d[\d,]*\.\d+ [A-Z]{3}")
PERCENT = re.compile(r"\d+\.\d+ ?%")
LONG_DECIMALS = re.compile(r"(?<![\d.:])\d[\d,]*\.(\d{3,})(?![\d.])(?: ([A-Z][A-Z0-9]{2,11})\b)?")
EXPONENT = re.compile(r"\b\d+(?:\.\d+)?E[-+]\d+\b")
HREF = re.compile(r'href="(/admin/[^"#]*)"')
CHANGE_LINK = re.compile(r'href="(/admin/[a-z_]+/[a-z_]+/[^/"?]+/change/)"')

SKIPPED_LINKS = ("/admin/logout/", "/admin/password_change/", "/admin/jsi18n/")


@dataclass
class Findings:
    raw_amounts: list[tuple[str, str]] = field(default_factory=list)  # (page, text around it)
    forbidden_links: list[tuple[str, str]] = field(default_factory=list)  # (page, link)
    broken_pages: list[tuple[str, int]] = field(default_factory=list)  # (page, status)
    pages: int = 0


def visible_text(html: str) -> str:
    html = SCRIPT.sub(" ", html)
    html = RATE_SPAN.sub(" ", HELP.sub(" ", html))
    text = unescape(TAG.sub(" ", html))
    text = FX_TEXT.sub(" ", text)
    return PERCENT.sub(" ", text)


def raw_amounts_in(html: str, exponents: dict[str, int] | None = None) -> list[str]:
    """Numbers with three or more decimals, unless followed by the code of a currency that has that
    many (``0.00534000 BTC``), and ``0E-18``-style exponents."""
    exponents = exponents or {}
    text = visible_text(html)
    found = []
    for match in LONG_DECIMALS.finditer(text):
        decimals, code = match.group(1), match.group(2)
        if code and len(decimals) <= exponents.get(code, 2):
            continue
        found.append(" ".join(text[max(0, match.start() - 60):match.end() + 20].split()))
    for match in EXPONENT.finditer(text):
        found.append(" ".join(text[max(0, match.start() - 60):match.end() + 20].split()))
    return found


def admin_changelists(user) -> list[str]:
    """The changelist URLs of the models ``user`` may view, from the admin site's registry."""
    from django.test import RequestFactory
    from django.urls import reverse

    request = RequestFactory().get("/admin/")
    request.user = user
    urls = []
    for model, model_admin in sorted(admin.site._registry.items(), key=lambda kv: kv[0]._meta.label_lower):
        if model_admin.has_view_or_change_permission(request):
            opts = model._meta
            urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    return urls


def walk(client, user, *, rows_per_list: int = 2, check_links: bool = True) -> Findings:
    from core_banking.ledger.models import Currency

    findings = Findings()
    statuses: dict[str, int] = {}
    exponents = dict(Currency.objects.values_list("code", "exponent"))

    def fetch(url: str) -> str | None:
        response = client.get(url)
        statuses[url] = response.status_code
        findings.pages += 1
        if response.status_code != 200:
            findings.broken_pages.append((url, response.status_code))
            return None
        return response.content.decode()

    def inspect(url: str, html: str) -> None:
        for text in raw_amounts_in(html, exponents):
            findings.raw_amounts.append((url, text))
        if not check_links:
            return
        for link in {unescape(href) for href in HREF.findall(html)}:
            path = urlsplit(link).path
            if path.startswith(SKIPPED_LINKS) or path == url:
                continue
            if path not in statuses:
                statuses[path] = client.get(path).status_code
            if statuses[path] == 403:
                findings.forbidden_links.append((url, path))

    pages = ["/admin/"]
    for changelist in admin_changelists(user):
        pages.append(changelist)
    for url in pages:
        html = fetch(url)
        if html is None:
            continue
        inspect(url, html)
        if url == "/admin/":
            continue
        rows = [unescape(link) for link in CHANGE_LINK.findall(html)
                if urlsplit(unescape(link)).path.startswith(url)]
        for row in list(dict.fromkeys(rows))[:rows_per_list]:
            row_html = fetch(row)
            if row_html is not None:
                inspect(row, row_html)
    return findings
