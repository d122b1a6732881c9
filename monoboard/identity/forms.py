"""Forms only shape input and show errors; services.py validates."""

from __future__ import annotations

from django import forms

from monoboard.accounts.forms import ServiceErrorsMixin
from monoboard.identity.models import ProviderKind


class EmailRequestForm(ServiceErrorsMixin, forms.Form):
    email = forms.EmailField(
        label="Email",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )


class CodeForm(ServiceErrorsMixin, forms.Form):
    code = forms.CharField(
        label="Six-digit code",
        max_length=12,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autofocus": True,
                "pattern": r"[0-9 ]*",
            }
        ),
    )


class ProviderForm(ServiceErrorsMixin, forms.Form):
    kind = forms.ChoiceField(label="Provider", choices=ProviderKind.choices)
    slug = forms.CharField(
        label="Short name",
        max_length=40,
        help_text="Lower-case letters, digits and dashes; part of the callback address.",
    )
    name = forms.CharField(
        label="Button label", max_length=60, required=False, help_text="Shown as “Sign in with …”."
    )
    client_id = forms.CharField(label="Client id", max_length=255)
    client_secret = forms.CharField(
        label="Client secret",
        max_length=255,
        required=False,  # required when adding; on edit, empty keeps the stored one
        strip=True,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )
    issuer = forms.CharField(
        label="Issuer or server address",
        max_length=300,
        required=False,
        help_text=(
            "OpenID Connect: the issuer (required). GitLab or GitHub Enterprise: your "
            "server's address. Leave empty for gitlab.com, github.com and Google."
        ),
    )
    enabled = forms.BooleanField(label="Show on the sign-in page", required=False, initial=True)
