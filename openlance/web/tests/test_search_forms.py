"""The search forms' fields are the class's own, shared by every instance: what differs per
request must live on the form, never on a field."""

import pytest
from django import forms
from django.http import QueryDict

from openlance.core.forms import SEARCH_FORM_RENDERER, SearchForm
from openlance.jobs.forms import JobSearchForm
from openlance.profiles.forms import FreelancerSearchForm


def test_search_forms_share_their_class_fields_and_draw_with_the_search_renderer():
    for form_class in (JobSearchForm, FreelancerSearchForm):
        form = form_class(QueryDict(""))
        assert form.default_renderer is SEARCH_FORM_RENDERER
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
