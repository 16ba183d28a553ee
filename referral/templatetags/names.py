"""Language and country codes shown by name, in the page's language:
`{% load names %}{{ code|language_name }}`, `{{ code|country_name }}`."""

from django import template

from referral import forms

register = template.Library()


@register.filter
def language_name(code: str) -> str:
    return forms.language_name(code) if code else ""


@register.filter
def country_name(code: str) -> str:
    return forms.country_name(code) if code else ""
