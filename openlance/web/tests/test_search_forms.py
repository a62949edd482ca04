"""The search forms' fields are the class's own, shared by every instance: what differs per
request must live on the form, never on a field."""

import copy

import pytest
from django import forms
from django.http import QueryDict

from openlance.core.forms import SearchForm
from openlance.jobs.forms import JobSearchForm
from openlance.jobs.search import JobSort
from openlance.profiles.forms import FreelancerSearchForm

FORMS = (JobSearchForm, FreelancerSearchForm)


def test_search_forms_share_their_class_fields():
    for form_class in FORMS:
        form = form_class(QueryDict(""))
        assert list(form.fields) == list(form_class.base_fields)
        for name, field in form.fields.items():
            assert field is form_class.base_fields[name]


def test_an_ordinary_form_still_gets_its_own_copy_of_the_fields():
    class Ordinary(forms.Form):
        name = forms.CharField()

    assert Ordinary().fields["name"] is not Ordinary.base_fields["name"]


@pytest.mark.django_db
def test_one_searchs_data_and_errors_do_not_reach_the_next():
    bad = JobSearchForm(QueryDict("fixed_min=lots&skills=no-such-skill&budget_types=fixed"))
    assert not bad.is_valid()
    assert set(bad.errors) == {"fixed_min", "skills"}
    bad.add_error(None, "Refused by the search.")
    drawn_bad = str(bad["fixed_min"]) + str(bad["budget_types"])
    assert 'value="lots"' in drawn_bad
    assert "checked" in drawn_bad

    fresh = JobSearchForm(QueryDict("q=writing"))
    assert fresh.is_valid(), fresh.errors
    assert fresh.cleaned_data["fixed_min"] is None
    assert fresh.cleaned_data["budget_types"] == []
    assert not fresh.non_field_errors()
    drawn_fresh = str(fresh["fixed_min"]) + str(fresh["budget_types"])
    assert "lots" not in drawn_fresh
    assert "checked" not in drawn_fresh
    assert 'value="writing"' in str(fresh["q"])


def test_a_search_form_subclass_shares_its_own_fields_including_inherited_ones():
    class Narrower(SearchForm):
        q = forms.CharField(required=False)

    class Wider(Narrower):
        page = forms.IntegerField(required=False)

    wider = Wider(QueryDict("q=a&page=2"))
    assert wider.is_valid()
    assert wider.cleaned_data == {"q": "a", "page": 2}
    assert wider.fields["q"] is Wider.base_fields["q"]
    assert wider.fields["page"] is Wider.base_fields["page"]


def _state(form_class):
    """Everything each shared field and its widget holds, as text; but the drawings a
    `FixedChoicesSelect` keeps, held to a fresh drawing below."""
    return {
        name: (
            repr(sorted(vars(field).items())),
            repr(sorted((k, v) for k, v in vars(field.widget).items() if k != "_drawn")),
        )
        for name, field in form_class.base_fields.items()
    }


@pytest.mark.django_db
def test_searches_through_the_pages_leave_the_shared_fields_as_they_were(client):
    before = {form_class: copy.deepcopy(_state(form_class)) for form_class in FORMS}
    queries = [
        "",
        "q=writing&sort=newest&budget_types=fixed&experience_levels=expert&page=2",
        "q=" + "x" * 300 + "&fixed_min=lots&fixed_max=-5&client_country=ZZ&skills=nope",
        "fixed_min=500&fixed_max=100&hourly_min=90&hourly_max=10&posted_within=7",
        "rate_min=90&rate_max=10&country=XX&jss_min=55&earned_min=3&badges=none",
        "q=%22unclosed&category=no-such&proposals=9&page=0",
    ]
    for path in ("/search/jobs/", "/search/freelancers/"):
        for query in queries:
            for headers in ({}, {"HX-Request": "true"}):
                assert client.get(f"{path}?{query}", headers=headers).status_code == 200
    assert {form_class: _state(form_class) for form_class in FORMS} == before


def test_a_search_form_may_not_set_its_fields_up_per_instance():
    with pytest.raises(TypeError, match="no __init__"):

        class Tailored(SearchForm):
            q = forms.CharField(required=False)

            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                self.fields["q"].widget.attrs["autofocus"] = True


class FreshSort(JobSearchForm):
    sort = forms.ChoiceField(choices=JobSort.choices, required=False, label="Sort by")


@pytest.mark.parametrize("query", ["", "sort=newest", "sort=relevance", "sort=", "sort=%3Cb%3E"])
def test_the_kept_sort_select_draws_what_a_fresh_one_draws(query):
    """The sort select is drawn once a value and given as drawn: searches in any order, with
    errors or without, read as a select drawn afresh for each."""
    for data, refused in ((query, False), ("sort=newest", False), (query, True), (query, False)):
        kept, fresh = JobSearchForm(QueryDict(data)), FreshSort(QueryDict(data))
        assert kept.is_valid() == fresh.is_valid()
        if refused:  # as the search service may refuse a valid choice
            kept.add_error("sort", "Refused.")
            fresh.add_error("sort", "Refused.")
        assert str(kept["sort"]) == str(fresh["sort"]) == str(kept["sort"])
