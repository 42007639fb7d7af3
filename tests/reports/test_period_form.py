"""reports.forms.ReportPeriodForm: the one period form and its defaults, with or without a
choice of directive (the unit page has none)."""

from __future__ import annotations

import datetime

import pytest

from reports.forms import DEFAULT_DIRECTIVE, DEFAULT_START, FIRST_YEAR, ReportPeriodForm

TODAY = datetime.date(2023, 6, 5)


def test_without_a_directive_every_event_counts_and_the_defaults_apply():
    form = ReportPeriodForm({}, with_directive=False)
    assert form.is_valid(), form.errors
    assert "directive" not in form.fields
    period = form.period(TODAY)
    assert (period.start, period.end, period.directive) == (DEFAULT_START, TODAY, None)
    shown = form.showing(period)
    assert not shown.is_bound and "directive" not in shown.fields
    assert shown.initial["from"] == DEFAULT_START


def test_the_dates_or_a_whole_year():
    form = ReportPeriodForm({"from": "05/06/2021", "to": "31/12/2021"}, with_directive=False)
    assert form.is_valid(), form.errors
    assert (form.period(TODAY).start, form.period(TODAY).end) == (
        datetime.date(2021, 6, 5),
        datetime.date(2021, 12, 31),
    )
    form = ReportPeriodForm({"year": "2022", "from": "05/06/2021"}, with_directive=False)
    assert form.is_valid(), form.errors
    assert (form.period(TODAY).start, form.period(TODAY).end) == (
        datetime.date(2022, 1, 1),
        datetime.date(2022, 12, 31),
    )


@pytest.mark.parametrize(
    "data",
    [
        {"from": "31/12/1929"},
        {"year": str(FIRST_YEAR - 1)},
        {"from": "02/01/2022", "to": "01/01/2022"},
        {"from": "2022-01-01"},
    ],
)
def test_bad_input_is_a_form_error(data):
    assert not ReportPeriodForm(data, with_directive=False).is_valid()


@pytest.mark.django_db
def test_with_directives_the_default_is_28_when_it_exists(directive28):
    form = ReportPeriodForm({}, directives=[directive28])
    assert form.is_valid(), form.errors
    assert form.period(TODAY).directive == directive28
    assert directive28.code == DEFAULT_DIRECTIVE
    form = ReportPeriodForm({}, directives=[])
    assert form.is_valid(), form.errors
    assert form.period(TODAY).directive is None
