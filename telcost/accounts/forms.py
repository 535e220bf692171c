"""The forms of the user pages: what a person types, before a service judges it."""

from django import forms
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from telcost.accounts.models import Membership
from telcost.customers.models import Customer

ROLE_CHOICES = [("viewer", _("viewer")), ("manager", _("manager"))]
assert {code for code, _label in ROLE_CHOICES} == set(Membership.Role.values)


def add_service_error(form: forms.Form, message: str) -> None:
    """A service's "field: message" on that field of the form (else on the form as a whole)."""
    field, sep, text = message.partition(": ")
    if sep and field in form.fields:
        form.add_error(field, text)
    else:
        form.add_error(None, message)


class UserCreateForm(forms.Form):
    username = forms.CharField(
        label=_("Username"), max_length=150, validators=[UnicodeUsernameValidator()]
    )
    email = forms.EmailField(label=_("Email"), required=False, max_length=254)
    is_staff = forms.BooleanField(label=_("Staff"), required=False)
    password_mode = forms.ChoiceField(
        label=_("Password"),
        choices=[
            ("link", _("The user chooses a password through a link")),
            ("password", _("Set a password now")),
        ],
        initial="link",
        widget=forms.RadioSelect,
    )
    password = forms.CharField(
        label=_("New password"),
        required=False,
        max_length=4096,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("password_mode") == "password" and not data.get("password"):
            self.add_error("password", _("Type the password, or choose the link."))
        return data


class UserEditForm(forms.Form):
    email = forms.EmailField(label=_("Email"), required=False, max_length=254)
    is_active = forms.BooleanField(label=_("Active"), required=False)
    is_staff = forms.BooleanField(label=_("Staff"), required=False)


class MembershipAddForm(forms.Form):
    customer = forms.ModelChoiceField(
        label=_("Customer"),
        queryset=Customer.objects.order_by("name", "pk"),
        empty_label=_("choose a customer"),
    )
    role = forms.ChoiceField(label=_("Role"), choices=ROLE_CHOICES)


class TokenCreateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)


def _django_messages_translated_here(n: int) -> str:  # never called
    """Django 6's Dutch catalogue lacks its minimum-length validator's message, so ours has it;
    written here so that makemessages keeps it."""
    return ngettext(
        "This password is too short. It must contain at least %d character.",
        "This password is too short. It must contain at least %d characters.",
        n,
    )
