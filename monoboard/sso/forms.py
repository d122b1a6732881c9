"""Forms of the admins' single sign-on pages (checks are in services.py)."""

from __future__ import annotations

from django import forms

from monoboard.sso.models import RedirectMode


class SSOSettingsForm(forms.Form):
    jwks_url = forms.CharField(
        label="JWKS URL (RS256 / ES256)",
        required=False,
        max_length=500,
        help_text="Where your public signing keys are published, e.g. https://app.example.com/.well-known/jwks.json",
    )
    issuer = forms.CharField(
        label="Issuer (iss)", required=False, max_length=200, help_text="Checked when set."
    )
    audience = forms.CharField(
        label="Audience (aud)", required=False, max_length=200, help_text="Checked when set."
    )
    login_url = forms.CharField(
        label="Your login URL",
        required=False,
        max_length=500,
        help_text="For redirect sign-in: we add return_to=<this board>/sso/callback?next=...",
    )
    redirect_mode = forms.ChoiceField(label="Redirect sign-in", choices=RedirectMode.choices)
    widget_origins = forms.CharField(
        label="Sites allowed to embed the widget",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One origin a line, e.g. https://app.example.com",
    )


class BoardRulesForm(forms.Form):
    email_domains = forms.CharField(
        label="Allowed email domains",
        required=False,
        max_length=500,
        help_text="Space-separated, e.g. example.com acme.io. Empty: any.",
    )
    sso_only = forms.BooleanField(
        label="Only people who came through single sign-on", required=False
    )
    roles = forms.CharField(
        label="Roles from the token",
        required=False,
        max_length=500,
        help_text="Any of these roles (the token's roles claim). Empty: any.",
    )
    plans = forms.CharField(
        label="Plans from the token",
        required=False,
        max_length=500,
        help_text="Any of these plans (the token's plan claim). Empty: any.",
    )


class RevenueFilterForm(forms.Form):
    board = forms.SlugField(required=False)
    min_revenue = forms.IntegerField(label="At least", required=False, min_value=0)
    company = forms.CharField(label="Company", required=False, max_length=120)
