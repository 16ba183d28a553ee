"""The rapporteur's dashboard (/statistics/): key figures, charts and tables
for a period, from the same protected tables as the API; downloadable as
CSV from the API. A supervisor sees their organisation's own figures."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from core.errors import Forbidden, InvalidInput, NotVisible
from nrm.auth import staff_login_required
from referral.statistics import access, charts, services, tables
from referral.statistics.definitions import MEASURE_LABELS
from referral.statistics.periods import default_period, last_complete_year, parse_period

FUNNEL = ("screened", "referred", "presumed_victim", "recognised")


def _cell(value, kind: str) -> dict:
    if value is None:
        return {"suppressed": True}
    if kind == tables.SHARE:
        return {"text": f"{value * 100:.1f} %"}
    if kind == tables.DAYS:
        return {"text": f"{value:.1f}"}
    return {"text": f"{value:,}".replace(",", "\u202f")}


def _for_template(table: dict) -> dict:
    return {
        "name": table["name"],
        "title": table["title"],
        "unit": table["unit"],
        "columns": table["columns"],
        "rows": [
            {
                "label": row["label"],
                "level": row["level"],
                "cells": [
                    _cell(row["values"].get(c["key"]), c["kind"])
                    for c in table["columns"]
                ],
            }
            for row in table["rows"]
        ],
    }


def _charts(by_name: dict) -> dict:
    result = {}
    overview = by_name.get("overview")
    if overview:
        months = [r for r in overview["rows"] if r["level"] == 2] or overview["rows"]
        result["funnel"] = charts.funnel_chart(
            "chart-funnel",
            _("From screening to recognition, by month"),
            [r["key"] for r in months],
            [
                (str(MEASURE_LABELS[m]), [r["values"][m] for r in months])
                for m in FUNNEL
            ],
        )
    forms = by_name.get("by-exploitation-form")
    if forms:
        result["forms"] = charts.bar_chart(
            "chart-forms",
            _("Presumed victims by form of exploitation"),
            [
                (r["label"], r["values"]["presumed_victim"])
                for r in forms["rows"]
                if r["level"] > 0
            ],
        )
    durations = by_name.get("durations")
    if durations:
        result["durations"] = charts.durations_chart(
            "chart-durations",
            _("Days between steps (all cases)"),
            [
                (r["label"], r["values"]["all_median"], r["values"]["all_p90"])
                for r in durations["rows"]
            ],
        )
    compliance = by_name.get("deadline-compliance")
    if compliance:
        result["compliance"] = charts.bar_chart(
            "chart-compliance",
            _("Share on time"),
            [
                (
                    r["label"],
                    None
                    if r["values"]["share_on_time"] is None
                    else round(r["values"]["share_on_time"] * 100, 1),
                )
                for r in compliance["rows"]
            ],
            unit=" %",
            maximum=100,
        )
    return result


@staff_login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    try:
        membership, scope = access.resolve_scope(request.user, request.GET)
    except Forbidden:
        return render(request, "statistics/forbidden.html", status=403)
    except InvalidInput as exc:
        return render(
            request, "statistics/forbidden.html", {"error": exc.message}, status=400
        )
    status, error = 200, None
    period = default_period(today)
    if request.GET.get("period"):
        try:
            period = parse_period(request.GET["period"], today=today)
        except InvalidInput as exc:
            status, error = 400, exc.message
    try:
        data = tables.report(scope, period)
    except NotVisible as exc:
        return render(
            request, "statistics/forbidden.html", {"error": exc.message}, status=404
        )
    services.statistics_exported(
        actor=request.user,
        membership=membership,
        table="dashboard",
        period=period.key,
        format="html",
        scope=scope.code,
    )
    by_name = {t["name"]: t for t in data["tables"]}
    query = {"period": period.key, "format": "csv", "scope": scope.code}
    overview = by_name["overview"]
    key_figures = [
        {
            "label": c["label"],
            **_cell(overview["rows"][-1]["values"][c["key"]], "count"),
        }
        for c in overview["columns"]
    ]
    context = {
        "data": data,
        "period": period,
        "error": error,
        "scope": scope,
        "organisation": membership.organisation if not scope.national else None,
        "key_figures": key_figures,
        "charts": _charts(by_name),
        "tables": [_for_template(t) for t in data["tables"]],
        "csv_url": f"{reverse('v1:statistics-report')}?{urlencode(query)}",
        "suggestions": [default_period(today).key, last_complete_year(today).key],
        "monthly": period.kind == "month",
    }
    return render(request, "statistics/dashboard.html", context, status=status)
