"""Forms only shape input and show errors; services.py does the validating."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from monoboard.accounts.models import Role

STRENGTH_HINT = "At least 8 characters; not a common or all-number password."


def _email(**kwargs: Any) -> forms.EmailField:
    return forms.EmailField(
        label="Email",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
        **kwargs,
    )


def _password(label: str, autocomplete: str, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        strip=False,
        help_text=help_text,
        widget=forms.PasswordInput(attrs={"autocomplete": autocomplete}),
    )


def _name() -> forms.CharField:
    return forms.CharField(
        label="Name",
        max_length=80,
        required=False,
        help_text="Shown beside your posts and comments.",
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )


class ServiceErrorsMixin:
    """Put a service's ValidationError on the matching fields of this form."""

    def add_service_error(self, exc: ValidationError) -> None:
        form: forms.Form = self  # type: ignore[assignment]
        if not hasattr(exc, "error_dict"):
            form.add_error(None, exc)
            return
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)


class SignUpForm(ServiceErrorsMixin, forms.Form):
    email = _email()
    name = _name()
    password = _password("Password", "new-password", STRENGTH_HINT)


class SignInForm(ServiceErrorsMixin, forms.Form):
    email = _email()
    password = _password("Password", "current-password")


class SetupForm(ServiceErrorsMixin, forms.Form):
    email = _email()
    name = _name()
    password = _password("Password", "new-password", STRENGTH_HINT)
    password2 = _password("Password again", "new-password")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password") and data.get("password") != data.get("password2"):
            self.add_error("password2", "The two passwords differ.")
        return data


class ResetRequestForm(forms.Form):
    email = _email()


class SetPasswordForm(ServiceErrorsMixin, forms.Form):
    new_password1 = _password("New password", "new-password", STRENGTH_HINT)
    new_password2 = _password("New password again", "new-password")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, second = data.get("new_password1"), data.get("new_password2")
        if first and second and first != second:
            self.add_error("new_password2", "The two passwords differ.")
        return data


class ChangePasswordForm(SetPasswordForm):
    current_password = _password("Current password", "current-password")
    field_order = ["current_password", "new_password1", "new_password2"]


class ProfileForm(ServiceErrorsMixin, forms.Form):
    name = _name()
    email = forms.EmailField(
        label="Email",
        max_length=254,
        help_text="You sign in with this address.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    current_password = forms.CharField(
        label="Current password",
        required=False,
        strip=False,
        help_text="Needed only when you change your email address.",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)
