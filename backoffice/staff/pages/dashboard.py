"""The operations dashboard (``staff.view_operations_dashboard``: operations, finance, compliance
officers): the bank's figures over a period, each from its app's selector and each shown only to
who may view its source, as charts (Chart.js 4, vendored in ``static/vendor/chartjs/``, drawn by
``static/js/staff-charts.js``) with the same figures in a table beside each chart (for screen
readers and for copying):

* payments per business date, stacked by status (``payments.selectors.payment_daily_counts``);
* fee income per business date and currency, from the ledger (``fee_income_daily``);
* end-of-day runs and their durations, and the live progress of the latest run, a panel that
  htmx (vendored in ``static/vendor/htmx/``) refreshes every few seconds while a run is going
  (``eod_panel_view``; without JavaScript a "Refresh" link does the same);
* KYC and ticket backlogs with their SLA breaches;
* compliance alerts by rule;
* reconciliation match rate and open breaks by age; safeguarding position per currency.

Every figure is one grouped query; the page's query count does not grow with the data.
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from backoffice.kyc import selectors as kyc_selectors
from backoffice.staff.decorators import staff_page
from backoffice.tickets import selectors as tickets_selectors
from compliance.cases import selectors as cases_selectors
from core_banking.common.money import quantize
from core_banking.eod import selectors as eod_selectors
from core_banking.payments import selectors as payments_selectors
from core_banking.payments.models import Payment
from reconciliation import selectors as reconciliation_selectors

from .forms import DashboardForm

VIEW = "staff.view_operations_dashboard"
EOD_RUNS = 30
STATUS_COLOURS = {"posted": "#1b6e3a", "pending_review": "#b35c00", "initiated": "#555555", "rejected": "#a40000",
                  "returned": "#6a1b9a"}
PALETTE = ["#0b5394", "#b35c00", "#1b6e3a", "#6a1b9a", "#a40000", "#555555"]


def _days(request: HttpRequest) -> tuple[DashboardForm, int]:
    form = DashboardForm(request.GET or None)
    days = 30
    if form.is_bound and form.is_valid() and form.cleaned_data.get("days"):
        days = form.cleaned_data["days"]
    return form, days


def _payments_chart(date_from: dt.date, date_to: dt.date) -> dict:
    rows = payments_selectors.payment_daily_counts(date_from=date_from, date_to=date_to)
    dates = sorted({r["business_date"] for r in rows})
    counts = {(r["business_date"], r["status"]): r["n"] for r in rows}
    statuses = [s for s in Payment.Status if any(r["status"] == s.value for r in rows)]
    return {
        "id": "chart-payments", "type": "bar", "stacked": True, "title": "Payments per business date by status",
        "labels": [d.isoformat() for d in dates],
        "datasets": [{"label": s.label, "data": [counts.get((d, s.value), 0) for d in dates],
                      "backgroundColor": STATUS_COLOURS.get(s.value, "#0b5394")} for s in statuses],
        "total_by_status": [{"label": s.label, "count": sum(counts.get((d, s.value), 0) for d in dates)}
                            for s in statuses],
    }


def _fees_chart(date_from: dt.date, date_to: dt.date) -> dict:
    from core_banking.ledger.models import Currency

    rows = payments_selectors.fee_income_daily(date_from=date_from, date_to=date_to)
    exponents = dict(Currency.objects.filter(code__in={r["currency"] for r in rows}).values_list("code", "exponent"))
    dates = sorted({r["business_date"] for r in rows})
    currencies = sorted({r["currency"] for r in rows})
    income = {(r["business_date"], r["currency"]): quantize(r["income"], exponents.get(r["currency"], 2))
              for r in rows}
    return {
        "id": "chart-fees", "type": "line", "title": "Fee income per business date",
        "labels": [d.isoformat() for d in dates],
        "datasets": [{"label": c, "data": [str(income.get((d, c), 0)) for d in dates],
                      "borderColor": PALETTE[i % len(PALETTE)], "backgroundColor": PALETTE[i % len(PALETTE)]}
                     for i, c in enumerate(currencies)],
        "totals": [{"currency": c, "total": sum((income.get((d, c), 0) for d in dates), 0)} for c in currencies],
    }


def _eod_chart() -> dict:
    runs = list(eod_selectors.run_list()[:EOD_RUNS])
    runs.reverse()
    rows = []
    for run in runs:
        seconds = (run.finished_at - run.started_at).total_seconds() if run.finished_at else None
        rows.append({"run": run, "seconds": round(seconds, 1) if seconds is not None else None})
    return {
        "id": "chart-eod", "type": "bar", "title": "End-of-day runs: duration (seconds)",
        "labels": [r["run"].business_date.isoformat() for r in rows],
        "datasets": [{"label": "Duration (s)", "data": [r["seconds"] for r in rows],
                      "backgroundColor": ["#a40000" if r["run"].status == "failed" else "#0b5394" for r in rows]}],
        "rows": rows,
    }


def _backlog_chart(kyc: dict | None, tickets: dict | None) -> dict:
    labels, open_counts, breached = [], [], []
    for name, backlog in (("KYC", kyc), ("Tickets", tickets)):
        if backlog is None:
            continue
        for row in backlog["by_status"]:
            labels.append(f"{name}: {row['status']}")
            open_counts.append(row["count"])
            breached.append(row["breached"])
    return {"id": "chart-backlog", "type": "bar", "title": "KYC and ticket backlog (past SLA in red)",
            "labels": labels,
            "datasets": [{"label": "Open", "data": open_counts, "backgroundColor": "#0b5394"},
                         {"label": "Past SLA", "data": breached, "backgroundColor": "#a40000"}]}


def _alerts_chart(since: dt.datetime) -> dict:
    rows = cases_selectors.alerts_by_rule(since=since)
    return {"id": "chart-alerts", "type": "bar", "horizontal": True, "title": "Compliance alerts by rule",
            "labels": [f"{r['source']}: {r['rule_code']}" for r in rows],
            "datasets": [{"label": "Alerts", "data": [r["n"] for r in rows], "backgroundColor": "#6a1b9a"},
                         {"label": "Still open", "data": [r["open"] for r in rows], "backgroundColor": "#b35c00"}],
            "rows": rows}


def _safeguarding_chart() -> dict:
    checks = reconciliation_selectors.safeguarding_latest()
    for check in checks:
        exponent = check.currency.exponent
        check.client_money_text = str(quantize(check.client_money, exponent))
        check.safeguarded_text = str(quantize(check.safeguarded, exponent))
        check.difference_text = str(quantize(check.difference, exponent))
    return {"id": "chart-safeguarding", "type": "bar", "title": "Safeguarding position per currency (latest check)",
            "labels": [c.currency_id for c in checks],
            "datasets": [{"label": "Client money", "data": [c.client_money_text for c in checks],
                          "backgroundColor": "#555555"},
                         {"label": "Safeguarded", "data": [c.safeguarded_text for c in checks],
                          "backgroundColor": "#1b6e3a"}],
            "checks": checks}


def _eod_panel_context(request: HttpRequest) -> dict:
    run = eod_selectors.run_list().first() if request.user.has_perm("eod.view_eodrun") else None
    steps = list(run.steps.all()) if run is not None else []
    for step in steps:
        step.percent = (100 if step.status == "completed" else
                        round(100 * step.chunks_done / step.chunks_total) if step.chunks_total else 0)
    done = sum(1 for s in steps if s.status == "completed")
    return {"run": run, "steps": steps, "percent": round(100 * done / len(steps)) if steps else 0,
            "running": run is not None and run.status == "running"}


@staff_page(VIEW)
def dashboard_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    form, days = _days(request)
    today = timezone.localdate()
    date_from = today - dt.timedelta(days=days - 1)
    since = timezone.now() - dt.timedelta(days=days)
    charts: list[dict] = []
    context: dict = {"form": form, "days": days, "date_from": date_from, "date_to": today}
    if user.has_perm("payments.view_payment"):
        context["payments_chart"] = _payments_chart(date_from, today)
        charts.append(context["payments_chart"])
    if user.has_perm("payments.view_bookingaccount"):  # the bank's own accounts: operations, finance
        context["fees_chart"] = _fees_chart(date_from, today)
        charts.append(context["fees_chart"])
    if user.has_perm("eod.view_eodrun"):
        context["eod_chart"] = _eod_chart()
        charts.append(context["eod_chart"])
        context.update(_eod_panel_context(request))
    kyc = kyc_selectors.kyc_backlog() if user.has_perm("kyc.view_kycapplication") else None
    tickets = tickets_selectors.ticket_backlog() if user.has_perm("tickets.view_ticket") else None
    if kyc is not None or tickets is not None:
        context.update(kyc_backlog=kyc, ticket_backlog=tickets, backlog_chart=_backlog_chart(kyc, tickets))
        charts.append(context["backlog_chart"])
    if user.has_perm("compliance_cases.view_alert"):
        context["alerts_chart"] = _alerts_chart(since)
        charts.append(context["alerts_chart"])
    if user.has_perm("reconciliation.view_statementline"):
        context["match_rate"] = reconciliation_selectors.match_rate(since=date_from)
        context["breaks"] = reconciliation_selectors.open_breaks_summary()
    if user.has_perm("reconciliation.view_safeguardingcheck"):
        context["safeguarding_chart"] = _safeguarding_chart()
        charts.append(context["safeguarding_chart"])
    context["charts"] = [{k: v for k, v in chart.items() if k in ("id", "type", "title", "labels", "datasets",
                                                                  "stacked", "horizontal")} for chart in charts]
    return render(request, "staff/dashboard.html", context)


@staff_page(VIEW)
def eod_panel_view(request: HttpRequest) -> HttpResponse:
    """The end-of-day progress panel alone (what htmx polls)."""
    return render(request, "staff/_eod_panel.html", _eod_panel_context(request))
