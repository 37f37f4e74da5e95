from django import forms
from django.contrib.auth.forms import AuthenticationForm


class StaffLoginForm(AuthenticationForm):
    """Django's login form (so `authenticate` runs and axes counts failures), staff only."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "Enter the correct username and password of a staff account. "
        "Both fields may be case-sensitive.",
        "not_staff": "This account may not sign in to the back office.",
    }

    def confirm_login_allowed(self, user) -> None:
        super().confirm_login_allowed(user)
        if not user.is_staff:
            raise forms.ValidationError(self.error_messages["not_staff"], code="not_staff")


class TokenForm(forms.Form):
    token = forms.CharField(
        label="Authentication code",
        max_length=16,
        strip=True,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "autocapitalize": "off",
                "spellcheck": "false",
                "autofocus": True,
            }
        ),
    )


class EnrolmentTokenForm(TokenForm):
    token = forms.RegexField(
        label="6-digit code from your authenticator app",
        regex=r"^\s*\d{3}\s?\d{3}\s*$",
        error_messages={"invalid": "Enter the 6 digits your app shows."},
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autofocus": True,
            }
        ),
    )
