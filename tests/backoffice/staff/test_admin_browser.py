"""The admin as each role's daily tool, in a real browser (issue 19, "Tests"): each role signs in
through the staff login and its second factor, lands on the admin's home with its own panels and
its name in the header, opens every page its panels link to and the first record of each list,
and finds no raw decimals, no constraint name and no link that answers 403. Screenshots of each
role's home and pages go to ``var/screenshots/``.

The checks are the admin crawl's (``tests/backoffice/admin_tool/admin_crawl.py``), applied here to
what Chromium rendered."""

from __future__ import annotations

import re

import pytest

from tests.backoffice.admin_tool.admin_crawl import raw_amounts_in

from .browser import shot, sign_in
from .test_browser import browser, expect  # noqa: F401 - the module's Chromium and expect fixtures

pytestmark = pytest.mark.django_db(transaction=True)

ROLES = ["ops", "support", "reviewer", "officer", "finance", "admin"]
ADMIN_LINK = re.compile(r'href="(/admin/[a-z_]+/[a-z_]+/[^"#]*)"')


def _constraint_names() -> set[str]:
    from django.apps import apps

    return {c.name for model in apps.get_models() for c in model._meta.constraints}


def _problems(page, url: str) -> list[str]:
    html = page.content()
    text = page.inner_text("body")
    found = [f"{url}: raw amount {amount!r}" for amount in raw_amounts_in(html)]
    found += [f"{url}: constraint name {name!r}" for name in _constraint_names() if name in text]
    if "is violated" in text:
        found.append(f"{url}: a database error shown as it is")
    for link in sorted(set(ADMIN_LINK.findall(html)))[:25]:
        if link.endswith(("/delete/", "/history/")):
            continue
        status = page.request.get(page.url.split("/admin/")[0] + link.replace("&amp;", "&")).status
        if status == 403:
            found.append(f"{url}: link {link} answers 403")
    return found


@pytest.mark.parametrize("who", ROLES)
def test_each_role_lands_on_its_page_and_walks_its_daily_work(live_server, browser, expect, people,  # noqa: F811
                                                              world, who):
    user = getattr(people, who)
    page = sign_in(browser, live_server, user)  # lands on the admin's home, the role's page
    assert page.url == f"{live_server.url}/admin/"
    expect(page.locator("#user-tools")).to_contain_text(user.get_full_name() or user.get_username())
    shot(page, f"admin-{who}-home")
    panel_links = [href for href in page.locator(".role-panels a").evaluate_all("els => els.map(e => e.href)")]
    assert panel_links, f"{who} lands on an admin home without panels of work"
    problems = _problems(page, "/admin/")
    for number, href in enumerate(dict.fromkeys(panel_links)):
        page.goto(href)
        frame = "#content" if "/admin/" in href else "#main"  # the admin's or the staff pages' frame
        assert page.locator(frame).count() == 1, f"{href} did not render the back office's frame"
        problems += _problems(page, href)
        first = page.locator("#result_list tbody tr th a").first
        if first.count():
            first.click()
            problems += _problems(page, page.url)
            if number < 3:
                shot(page, f"admin-{who}-{number}-record")
    assert not problems, "\n".join(problems)
